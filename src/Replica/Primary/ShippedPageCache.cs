namespace FaultTolerant.Replica.Primary;

/// <summary>
/// The copy of each page as last shipped to the backups, so the next version can be sent as an XOR delta.
/// Bounded, as QEMU's XBZRLE cache is: past its capacity the oldest entries go, and those pages are then
/// sent whole (or LZ4-compressed) until cached again. The backups hold every page either way.
/// </summary>
public sealed class ShippedPageCache(long capacityBytes)
{
    private const int PageSize = 4096;
    private readonly Dictionary<ulong, byte[]> _pages = [];
    private readonly Queue<ulong> _order = new();

    public long CapacityBytes { get; } = capacityBytes;

    public int Count => _pages.Count;

    public long Bytes => (long)_pages.Count * PageSize;

    public ReadOnlySpan<byte> Get(ulong vpn) => _pages.TryGetValue(vpn, out var p) ? p : [];

    public void Put(ulong vpn, ReadOnlySpan<byte> page)
    {
        if (CapacityBytes < PageSize) return;
        if (!_pages.TryGetValue(vpn, out var copy))
        {
            while (Bytes + PageSize > CapacityBytes && _order.TryDequeue(out var old)) _pages.Remove(old);
            copy = new byte[PageSize];
            _pages[vpn] = copy;
            _order.Enqueue(vpn);
        }
        page.CopyTo(copy);
    }

    public void Remove(ulong vpn) => _pages.Remove(vpn);

    public void Clear()
    {
        _pages.Clear();
        _order.Clear();
    }
}
