namespace FaultTolerant.Replica.Primary;

/// <summary>
/// The copy of each page as last shipped to the backups, so the next version can be sent as an XOR delta.
/// Bounded, as QEMU's XBZRLE cache is: past its capacity the least recently shipped page goes, and that page
/// is then sent whole (or LZ4-compressed) until cached again. The backups hold every page either way.
/// </summary>
/// <remarks>
/// A working set larger than the cache that is rewritten in a cycle (memstress) evicts every page before its
/// next version, so every page goes whole: size the cache to the guest's hot set (<c>xor-cache-size</c>).
/// </remarks>
public sealed class ShippedPageCache(long capacityBytes)
{
    private const int PageSize = 4096;
    private readonly Dictionary<ulong, LinkedListNode<(ulong Vpn, byte[] Data)>> _pages = [];
    private readonly LinkedList<(ulong Vpn, byte[] Data)> _recency = new();

    public long CapacityBytes { get; } = capacityBytes;

    public int Count => _pages.Count;

    public long Bytes => (long)_pages.Count * PageSize;

    public ReadOnlySpan<byte> Get(ulong vpn) => _pages.TryGetValue(vpn, out var node) ? node.Value.Data : [];

    public void Put(ulong vpn, ReadOnlySpan<byte> page)
    {
        if (CapacityBytes < PageSize) return;
        if (_pages.TryGetValue(vpn, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
        else
        {
            // Reuse the evicted page's buffer: the cache allocates only while it fills.
            byte[] buffer;
            if (Bytes + PageSize > CapacityBytes && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _pages.Remove(oldest.Value.Vpn);
                buffer = oldest.Value.Data;
            }
            else
            {
                buffer = new byte[PageSize];
            }
            node = _recency.AddFirst((vpn, buffer));
            _pages[vpn] = node;
        }
        page.CopyTo(node.Value.Data);
    }

    public void Remove(ulong vpn)
    {
        if (_pages.Remove(vpn, out var node)) _recency.Remove(node);
    }

    public void Clear()
    {
        _pages.Clear();
        _recency.Clear();
    }
}
