namespace FaultTolerant.Guest.Memory;

/// <summary>The dirty set: which pages changed (or were unmapped) since the last harvest.</summary>
/// <remarks>
/// The set is a list of page numbers plus a flag on each page, so harvesting costs time in proportion to
/// the pages dirtied, never to the size of the address space.
/// </remarks>
public sealed partial class GuestMemory
{
    private readonly List<ulong> _dirty = [];
    private readonly HashSet<ulong> _unmappedSinceHarvest = [];
    private bool _trackDirty = true;

    /// <summary>
    /// Whether stores record dirty pages. Off only for measuring its cost: a guest that is captured
    /// needs it on, or its deltas would miss pages.
    /// </summary>
    public bool TrackDirty
    {
        get => _trackDirty;
        set
        {
            if (_trackDirty == value) return;
            _trackDirty = value;
            ClearDirty();
            FlushTlb();
        }
    }

    public int DirtyPageCount => _dirty.Count;

    private void MarkDirty(Page page, ulong vpn)
    {
        if (!_trackDirty || page.Dirty) return;
        page.Dirty = true;
        _dirty.Add(vpn);
    }

    /// <summary>Marks a page dirty on behalf of the kernel (it wrote into the page without a CPU store).</summary>
    internal void Touch(ulong vpn)
    {
        if (_pages.TryGetValue(vpn, out var page)) MarkDirty(page, vpn);
    }

    /// <summary>
    /// Takes the pages dirtied since the last harvest, in ascending order, and those unmapped since then,
    /// and starts a new dirty set.
    /// </summary>
    public DirtySet HarvestDirty()
    {
        var dirty = new List<ulong>(_dirty.Count);
        foreach (var vpn in _dirty)
        {
            if (_pages.TryGetValue(vpn, out var page) && page.Dirty)
            {
                page.Dirty = false;
                dirty.Add(vpn);
            }
            ref var w = ref WriteEntry(vpn);
            if (w.Tag == vpn) w.Tag = ulong.MaxValue;
        }
        _dirty.Clear();
        var unmapped = _unmappedSinceHarvest.Where(v => !_pages.ContainsKey(v)).ToList();
        _unmappedSinceHarvest.Clear();
        dirty.Sort();
        unmapped.Sort();
        return new DirtySet(dirty, unmapped);
    }

    /// <summary>Forgets the dirty set without reporting it (after a full capture).</summary>
    public void ClearDirty() => HarvestDirty();
}

/// <summary>Pages written and pages unmapped in one epoch, each list ascending.</summary>
public sealed record DirtySet(IReadOnlyList<ulong> Written, IReadOnlyList<ulong> Unmapped);
