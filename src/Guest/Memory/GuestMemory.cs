namespace FaultTolerant.Guest.Memory;

/// <summary>
/// A sparse 64-bit guest address space of 4 KiB pages, with permissions, a limit on mapped pages,
/// and a dirty bit per page.
/// </summary>
/// <remarks>
/// Split by concern: mapping here, the CPU's fast paths in <c>GuestMemory.Access.cs</c>, kernel copies in
/// <c>GuestMemory.Kernel.cs</c>, and the dirty set in <c>GuestMemory.Dirty.cs</c>.
/// </remarks>
public sealed partial class GuestMemory
{
    private readonly Dictionary<ulong, Page> _pages = [];

    /// <param name="maxPages">The most pages that may be mapped at once; a map past it fails (ENOMEM).</param>
    public GuestMemory(long maxPages)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPages);
        MaxPages = maxPages;
        InitTlb();
    }

    public long MaxPages { get; }

    public long MappedPages => _pages.Count;

    /// <summary>Pages whose contents are held in host memory (written at least once).</summary>
    public long ResidentPages
    {
        get
        {
            long n = 0;
            foreach (var p in _pages.Values)
            {
                if (p.Data is not null) n++;
            }
            return n;
        }
    }

    public static ulong PageNumber(ulong address) => address >> Page.Shift;

    public bool IsMapped(ulong vpn) => _pages.ContainsKey(vpn);

    public bool TryGetPermissions(ulong vpn, out PagePermissions permissions)
    {
        if (_pages.TryGetValue(vpn, out var p))
        {
            permissions = p.Permissions;
            return true;
        }
        permissions = PagePermissions.None;
        return false;
    }

    /// <summary>Maps <paramref name="count"/> zero pages from <paramref name="firstVpn"/>, replacing any mapped there.</summary>
    /// <returns>False, mapping nothing, when the limit would be passed.</returns>
    public bool Map(ulong firstVpn, ulong count, PagePermissions permissions)
    {
        ulong fresh = 0;
        for (ulong i = 0; i < count; i++)
        {
            if (!_pages.ContainsKey(firstVpn + i)) fresh++;
        }
        if ((ulong)_pages.Count + fresh > (ulong)MaxPages) return false;
        for (ulong i = 0; i < count; i++)
        {
            Unmap(firstVpn + i);
            var page = new Page(permissions);
            _pages[firstVpn + i] = page;
            MarkDirty(page, firstVpn + i);
        }
        return true;
    }

    /// <summary>Changes the permissions of mapped pages; unmapped ones in the range are skipped.</summary>
    public void Protect(ulong firstVpn, ulong count, PagePermissions permissions)
    {
        for (ulong i = 0; i < count; i++)
        {
            var vpn = firstVpn + i;
            if (!_pages.TryGetValue(vpn, out var page) || page.Permissions == permissions) continue;
            page.Permissions = permissions;
            page.Decoded = null;
            InvalidateTlb(vpn);
            MarkDirty(page, vpn);
        }
    }

    public void Unmap(ulong firstVpn, ulong count)
    {
        for (ulong i = 0; i < count; i++) Unmap(firstVpn + i);
    }

    private void Unmap(ulong vpn)
    {
        if (!_pages.Remove(vpn)) return;
        InvalidateTlb(vpn);
        if (_trackDirty) _unmappedSinceHarvest.Add(vpn);
    }

    /// <summary>The mapped page numbers in ascending order.</summary>
    public IEnumerable<ulong> MappedPageNumbers()
    {
        var keys = _pages.Keys.ToArray();
        Array.Sort(keys);
        return keys;
    }

    internal Page? GetPage(ulong vpn) => _pages.GetValueOrDefault(vpn);

    /// <summary>Installs a page exactly as given, for restore. Not subject to the limit check of <see cref="Map"/>.</summary>
    internal void Install(ulong vpn, PagePermissions permissions, ReadOnlySpan<byte> data)
    {
        Unmap(vpn);
        var page = new Page(permissions);
        if (!data.IsEmpty)
        {
            if (data.Length != Page.Size) throw new ArgumentException("a page is 4096 bytes", nameof(data));
            data.CopyTo(page.Materialize());
        }
        _pages[vpn] = page;
        MarkDirty(page, vpn);
    }

    /// <summary>Removes a page for restore (a delta that records an unmap).</summary>
    internal void Remove(ulong vpn) => Unmap(vpn);

    /// <summary>Finds the highest free run of <paramref name="count"/> pages that ends at or below <paramref name="topVpn"/>
    /// and starts at or above <paramref name="bottomVpn"/>.</summary>
    public ulong? FindFreeRange(ulong count, ulong bottomVpn, ulong topVpn)
    {
        if (count == 0 || topVpn < bottomVpn || topVpn - bottomVpn < count) return null;
        ulong end = topVpn; // exclusive
        while (end - bottomVpn >= count)
        {
            ulong start = end - count;
            ulong? conflict = null;
            for (ulong v = end; v > start; v--)
            {
                if (_pages.ContainsKey(v - 1))
                {
                    conflict = v - 1;
                    break;
                }
            }
            if (conflict is null) return start;
            end = conflict.Value;
        }
        return null;
    }
}
