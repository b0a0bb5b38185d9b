using FaultTolerant.Guest.State;

namespace FaultTolerant.Replica.Primary;

/// <summary>
/// Iterative pre-copy for a new or lagging backup (DESIGN §3): every page is copied once while the guest keeps
/// running, a chunk between run slices; the epochs' deltas keep flowing to that backup meanwhile, and the
/// first delta after the last copy makes its image consistent. The pause never includes a full image.
/// </summary>
public sealed partial class PrimaryReplica
{
    /// <summary>Pages copied per turn of the loop: 1 MiB, a few tens of microseconds of copying.</summary>
    private const int PrecopyChunk = 256;
    private const int PageSize = Codec.PageCodec.PageSize;

    /// <summary>A pre-copy waits while any of its links holds more than this unsent: copies must not outrun the network.</summary>
    private const long PrecopyBacklog = 8L << 20;

    private readonly HashSet<string> _wantSync = [];
    private PrecopySession? _session;

    private sealed class PrecopySession(ulong afterEpoch, IReadOnlyList<ulong> pages, IReadOnlyList<IBackupLink> links)
    {
        public ulong AfterEpoch { get; } = afterEpoch;

        public IReadOnlyList<ulong> Pages { get; } = pages;

        public IReadOnlyList<IBackupLink> Links { get; } = links;

        public int Next { get; set; }

        public bool CopiesDone { get; set; }

        public Wire.CopiesHash Copies { get; init; } = new();
    }

    /// <summary>Whether the loop has pre-copy work it can do now, and so should not sleep.</summary>
    private bool PrecopyPending => (_session is { CopiesDone: false } && !PrecopyBackedUp) || (_session is null && _wantSync.Count > 0);

    private bool PrecopyBackedUp => _session is not null && _session.Links.Any(l => l.QueuedBytes > PrecopyBacklog);

    private void WantSync(string backup)
    {
        if (_session is not null && _session.Links.Any(l => l.BackupId == backup))
        {
            // It lost the session's stream: that session cannot complete for it; start it again after this one.
            _session = new PrecopySession(_session.AfterEpoch, _session.Pages, [.. _session.Links.Where(l => l.BackupId != backup)])
            {
                Next = _session.Next,
                CopiesDone = _session.CopiesDone,
                Copies = _session.Copies,
            };
        }
        if (_links.Any(l => l.BackupId == backup)) _wantSync.Add(backup);
    }

    /// <summary>One turn of pre-copy work, on the guest thread between slices.</summary>
    private void AdvancePrecopy()
    {
        if (_session is null)
        {
            if (_wantSync.Count == 0) return;
            var links = _links.Where(l => _wantSync.Contains(l.BackupId)).ToList();
            _wantSync.Clear();
            if (links.Count == 0) return;
            _session = new PrecopySession(Epoch, _guest.MappedPageNumbers(), links);
            _shipper.Ship(new ShipJob.SyncBegin(_guest.MemoryStatistics.LimitPages, _gate.Generation, Epoch, links));
            return;
        }
        if (_session.CopiesDone || PrecopyBackedUp) return;
        var chunk = new List<CheckpointPage>(PrecopyChunk);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(PrecopyChunk * PageSize);
        while (_session.Next < _session.Pages.Count && chunk.Count < PrecopyChunk)
        {
            ulong vpn = _session.Pages[_session.Next++];
            var slice = buffer.AsMemory(chunk.Count * PageSize, PageSize);
            // A page unmapped since the list was taken is simply gone: a delta says so.
            if (!_guest.TryCopyPage(vpn, slice.Span, out var perms)) continue;
            var page = new CheckpointPage(vpn, perms, slice.Span.ContainsAnyExcept((byte)0) ? slice : ReadOnlyMemory<byte>.Empty);
            chunk.Add(page);
            _session.Copies.Add(page);
        }
        if (chunk.Count > 0) _shipper.Ship(new ShipJob.SyncPages(chunk, buffer, _gate.Generation, _session.AfterEpoch, _session.Links));
        else System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        if (_session.Next >= _session.Pages.Count)
        {
            _session.CopiesDone = true;
            _shipper.Ship(new ShipJob.SyncEnd(_session.Copies.Pages, _session.Copies.Value, _gate.Generation, _session.AfterEpoch, _session.Links));
            // The next epoch's delta completes the image; make sure there is one.
            _changedSinceEpoch = true;
        }
    }

    /// <summary>Who gets an epoch's checkpoint, and how: in-sync backups shared, pre-copying ones plain.</summary>
    private (IReadOnlyList<IBackupLink> Shared, IReadOnlyList<IBackupLink> Plain) Recipients()
    {
        var plain = _session?.Links ?? [];
        var shared = _links.Where(l => !_wantSync.Contains(l.BackupId) && !plain.Contains(l)).ToList();
        if (_session is { CopiesDone: true })
        {
            // This delta completes the pre-copy: from the next epoch on these backups are in sync.
            _session = null;
        }
        return (shared, plain);
    }
}
