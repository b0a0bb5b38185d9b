namespace FaultTolerant.Guest.Memory;

/// <summary>Copies between the kernel and guest memory, with the guest's permissions checked (EFAULT otherwise).</summary>
public sealed partial class GuestMemory
{
    /// <summary>Copies guest bytes out. False, copying nothing useful, if any byte is unmapped or unreadable.</summary>
    public bool TryRead(ulong address, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            ulong a = address + (ulong)done;
            if (!_pages.TryGetValue(a >> Page.Shift, out var page) || (page.Permissions & PagePermissions.Read) == 0) return false;
            int off = (int)(a & Page.OffsetMask);
            int n = Math.Min(Page.Size - off, destination.Length - done);
            if (page.Data is null) destination.Slice(done, n).Clear();
            else page.Data.AsSpan(off, n).CopyTo(destination.Slice(done, n));
            done += n;
        }
        return true;
    }

    /// <summary>Copies bytes into guest memory, marking pages dirty. False, writing nothing, if any byte is not writable.</summary>
    public bool TryWrite(ulong address, ReadOnlySpan<byte> source) => TryWrite(address, source, checkPermissions: true);

    /// <summary>Writes regardless of page permissions (the loader filling read-only segments). Pages must be mapped.</summary>
    internal bool TryWritePrivileged(ulong address, ReadOnlySpan<byte> source) => TryWrite(address, source, checkPermissions: false);

    private bool TryWrite(ulong address, ReadOnlySpan<byte> source, bool checkPermissions)
    {
        for (ulong vpn = address >> Page.Shift; source.Length > 0 && vpn <= (address + (ulong)source.Length - 1) >> Page.Shift; vpn++)
        {
            if (!_pages.TryGetValue(vpn, out var page)) return false;
            if (checkPermissions && (page.Permissions & PagePermissions.Write) == 0) return false;
        }
        int done = 0;
        while (done < source.Length)
        {
            ulong a = address + (ulong)done;
            ulong vpn = a >> Page.Shift;
            var page = _pages[vpn];
            int off = (int)(a & Page.OffsetMask);
            int n = Math.Min(Page.Size - off, source.Length - done);
            var data = page.Materialize();
            source.Slice(done, n).CopyTo(data.AsSpan(off, n));
            // Kernel writes happen between interpreter runs, and every run fetches afresh, so dropping the
            // cache is enough. (Setting CodeInvalidated here would make the next faulting store look benign.)
            page.Decoded = null;
            InvalidateTlb(vpn);
            MarkDirty(page, vpn);
            done += n;
        }
        return true;
    }

    /// <summary>Whether every byte of the range may be written by the kernel on the guest's behalf.</summary>
    public bool IsWritable(ulong address, ulong length)
    {
        if (length == 0) return true;
        if (address + length < address) return false;
        for (ulong vpn = address >> Page.Shift; vpn <= (address + length - 1) >> Page.Shift; vpn++)
        {
            if (!_pages.TryGetValue(vpn, out var page) || (page.Permissions & PagePermissions.Write) == 0) return false;
        }
        return true;
    }

    /// <summary>Reads a NUL-terminated string of at most <paramref name="max"/> bytes; null on a fault or no terminator.</summary>
    public byte[]? TryReadCString(ulong address, int max)
    {
        var bytes = new List<byte>();
        Span<byte> one = stackalloc byte[1];
        for (int i = 0; i < max; i++)
        {
            if (!TryRead(address + (ulong)i, one)) return null;
            if (one[0] == 0) return [.. bytes];
            bytes.Add(one[0]);
        }
        return null;
    }

    /// <summary>The page's bytes (zeros when never written) for capture.</summary>
    internal ReadOnlySpan<byte> PageBytes(ulong vpn) => _pages[vpn].Data ?? ZeroPage;
}
