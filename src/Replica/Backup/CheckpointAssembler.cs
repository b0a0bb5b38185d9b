using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Codec;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Backup;

/// <summary>What the assembler made of a frame.</summary>
public abstract record AssemblyOutcome
{
    /// <summary>Taken into staging; nothing to report yet.</summary>
    public sealed record Staged : AssemblyOutcome
    {
        public static readonly Staged Instance = new();
    }

    /// <summary>Checkpoint <paramref name="Epoch"/> of <paramref name="Generation"/> is applied: acknowledge it.</summary>
    public sealed record Committed(ulong Generation, ulong Epoch) : AssemblyOutcome;

    /// <summary>A frame from a generation older than one already seen: refused, and the sender should learn it is fenced.</summary>
    public sealed record Fenced(ulong FrameGeneration, ulong HighestGeneration) : AssemblyOutcome;

    /// <summary>The frame could not be used; staging was dropped, the committed state is untouched, and only a full sync can follow.</summary>
    public sealed record ResyncNeeded(string Reason) : AssemblyOutcome;
}

/// <summary>
/// The backup's side of the data channel for one guest: stages a checkpoint frame by frame, verifies it,
/// and applies it atomically when its last frame arrives. Invariant A: the committed guest always equals
/// the primary's state at some epoch boundary, whatever arrives corrupted, late, twice or not at all.
/// Invariant F: nothing of a generation below the highest seen is accepted.
/// </summary>
/// <remarks>
/// Three phases: <b>in sync</b> (deltas apply to the committed guest), <b>needs a full sync</b> (after any
/// trouble: only a full checkpoint or a sync session is taken), and <b>syncing</b> (iterative pre-copy: page
/// copies taken while the guest ran, overlaid by every delta since, committed as a whole at the first delta
/// after the last copy, when the overlay is consistent). Not thread-safe: one connection's reader feeds it.
/// </remarks>
public sealed class CheckpointAssembler(Func<GuestCheckpoint, IGuest> restoreFull)
{
    private Staging? _staging;
    private Sync? _sync;
    private bool _needFull = true;

    /// <summary>The committed guest, or null before the first full state arrived.</summary>
    public IGuest? Committed { get; private set; }

    public ulong HighestGeneration { get; private set; }

    /// <summary>The epoch of the committed state (0 before any).</summary>
    public ulong CommittedEpoch { get; private set; }

    public ulong CommittedGeneration { get; private set; }

    /// <summary>Whether a pre-copy is under way (the committed state, if any, is kept until it completes).</summary>
    public bool Syncing => _sync is not null;

    /// <summary>Fences everything below <paramref name="generation"/> (learned from the coordinator, not only from frames).</summary>
    public void ObserveGeneration(ulong generation)
    {
        if (generation <= HighestGeneration) return;
        HighestGeneration = generation;
        _staging = null;
        _sync = null;
    }

    /// <summary>The channel broke (a frame failed its checks, or the connection was cut): staging is gone, a full sync must follow.</summary>
    public AssemblyOutcome ChannelBroken(string reason) => Resync(reason);

    public AssemblyOutcome Accept(Frame frame)
    {
        if (frame.Generation < HighestGeneration) return new AssemblyOutcome.Fenced(frame.Generation, HighestGeneration);
        ObserveGeneration(frame.Generation);
        try
        {
            return frame.Type switch
            {
                FrameType.Hello => AssemblyOutcome.Staged.Instance,
                FrameType.CheckpointBegin => Begin(frame),
                FrameType.Pages when _staging is null && _sync is not null => SyncPages(frame),
                FrameType.Pages => Pages(frame),
                FrameType.CheckpointEnd => End(frame),
                FrameType.SyncBegin => SyncBegin(frame),
                FrameType.SyncEnd => SyncEnd(frame),
                _ => Resync($"unexpected {frame.Type} frame"),
            };
        }
        catch (Exception e) when (e is ReplicaException or GuestStateException)
        {
            return Resync(e.Message);
        }
    }

    private AssemblyOutcome Begin(Frame frame)
    {
        var begin = CheckpointBeginPayload.Decode(frame.Payload.Span);
        if (_staging is not null) return Resync($"checkpoint {_staging.Epoch} never ended before checkpoint {frame.Epoch} began");
        if (begin.PageCount > begin.PageLimit) throw new FrameException($"checkpoint declares {begin.PageCount} pages over a limit of {begin.PageLimit}");
        if (begin.IsFull)
        {
            _sync = null;
        }
        else if (_sync is not null)
        {
            if (!begin.Plain) return Resync("a shared delta arrived during a pre-copy: its end was lost");
            if (frame.Epoch != _sync.LastEpoch + 1) return Resync($"delta for epoch {frame.Epoch} does not follow epoch {_sync.LastEpoch} of the pre-copy");
            if (begin.PageLimit != _sync.PageLimit) throw new FrameException("delta's page limit differs from the pre-copy's");
        }
        else
        {
            if (_needFull || Committed is null) return Resync("a delta arrived while only a full sync can be applied");
            if (frame.Epoch != CommittedEpoch + 1) return Resync($"delta for epoch {frame.Epoch} does not follow committed epoch {CommittedEpoch}");
            if (begin.BaseSequence != Committed.CaptureSequence) return Resync($"delta follows capture {begin.BaseSequence}, committed state is capture {Committed.CaptureSequence}");
        }
        _staging = new Staging(frame.Generation, frame.Epoch, begin);
        return AssemblyOutcome.Staged.Instance;
    }

    private AssemblyOutcome Pages(Frame frame)
    {
        var s = Current(frame);
        foreach (var page in PagesPayload.Decode(frame.Payload))
        {
            if (s.Pages.Count >= s.Begin.PageCount) throw new FrameException($"more than the {s.Begin.PageCount} pages the checkpoint declared");
            // During a pre-copy the backup's pages are not what the shared XOR cache describes: deltas come plain.
            bool againstCommitted = !s.Begin.IsFull && _sync is null;
            s.Pages.Add(Decode(page, againstCommitted ? Committed : null, s.Previous));
        }
        return AssemblyOutcome.Staged.Instance;
    }

    private static CheckpointPage Decode(EncodedPage page, IGuest? previousSource, byte[] previousBuffer)
    {
        var previous = ReadOnlySpan<byte>.Empty;
        if (page.Encoding is PageEncoding.Unchanged or PageEncoding.XorZeroRun or PageEncoding.XorZeroRunLz4)
        {
            if (previousSource is null || !previousSource.TryCopyPage(page.Number, previousBuffer, out _))
            {
                throw new FrameException($"page 0x{page.Number:x} is a delta against a page the backup does not have");
            }
            previous = previousBuffer;
        }
        var data = new byte[PageCodec.PageSize];
        PageCodec.Decode(page.Encoding, page.Body.Span, previous, data);
        bool zero = !data.AsSpan().ContainsAnyExcept((byte)0);
        return new CheckpointPage(page.Number, page.Permissions, zero ? ReadOnlyMemory<byte>.Empty : data);
    }

    private AssemblyOutcome End(Frame frame)
    {
        var s = Current(frame);
        _staging = null;
        var end = CheckpointEndPayload.Decode(frame.Payload.Span);
        if (end.PageCount != s.Pages.Count || s.Begin.PageCount != s.Pages.Count)
        {
            return Resync($"checkpoint {s.Epoch} ended with {s.Pages.Count} pages, declared {s.Begin.PageCount} and {end.PageCount}");
        }
        var checkpoint = new GuestCheckpoint(s.Begin.IsFull, s.Begin.Sequence, s.Begin.BaseSequence, s.Begin.PageLimit, s.Begin.Machine, s.Begin.Unmapped, s.Pages);
        if (CheckpointEndPayload.Hash(checkpoint) != end.ContentHash) return Resync($"checkpoint {s.Epoch} decoded to different content than was sent");

        if (_sync is not null)
        {
            _sync.Overlay(checkpoint, s.Epoch);
            if (!_sync.Ended) return AssemblyOutcome.Staged.Instance;
            // Every page was copied, and every write since the copies began is in the overlaid deltas:
            // the staged image is the primary's state at this epoch.
            checkpoint = _sync.ToFullCheckpoint(checkpoint);
            _sync = null;
        }

        // The commit point: a restore builds a new guest, an apply is atomic; either way a failure leaves the old state.
        if (checkpoint.IsFull) Committed = restoreFull(checkpoint);
        else Committed!.ApplyCheckpoint(checkpoint);
        _needFull = false;
        CommittedEpoch = s.Epoch;
        CommittedGeneration = s.Generation;
        return new AssemblyOutcome.Committed(s.Generation, s.Epoch);
    }

    private AssemblyOutcome SyncBegin(Frame frame)
    {
        var begin = SyncBeginPayload.Decode(frame.Payload.Span);
        _staging = null;
        _sync = new Sync(frame.Generation, frame.Epoch, begin.PageLimit);
        return AssemblyOutcome.Staged.Instance;
    }

    private AssemblyOutcome SyncPages(Frame frame)
    {
        var sync = _sync!;
        if (frame.Generation != sync.Generation) throw new FrameException("pre-copy pages of another generation");
        foreach (var page in PagesPayload.Decode(frame.Payload)) sync.Copy(Decode(page, null, []));
        return AssemblyOutcome.Staged.Instance;
    }

    private AssemblyOutcome SyncEnd(Frame frame)
    {
        if (_sync is null || frame.Generation != _sync.Generation) return Resync("a pre-copy ended that never began");
        var end = SyncEndPayload.Decode(frame.Payload.Span);
        if (end.Pages != _sync.Copies.Pages || end.CopiesHash != _sync.Copies.Value)
        {
            return Resync($"pre-copy ended with {_sync.Copies.Pages} of its {end.Pages} page copies, or different ones");
        }
        _sync.Ended = true;
        return AssemblyOutcome.Staged.Instance;
    }

    private Staging Current(Frame frame)
    {
        if (_staging is null || _staging.Epoch != frame.Epoch || _staging.Generation != frame.Generation)
        {
            throw new FrameException($"{frame.Type} frame for epoch {frame.Epoch} with no such checkpoint open");
        }
        return _staging;
    }

    private AssemblyOutcome.ResyncNeeded Resync(string reason)
    {
        _staging = null;
        _sync = null;
        _needFull = true;
        return new AssemblyOutcome.ResyncNeeded(reason);
    }

    private sealed class Staging(ulong generation, ulong epoch, CheckpointBeginPayload begin)
    {
        public ulong Generation { get; } = generation;

        public ulong Epoch { get; } = epoch;

        public CheckpointBeginPayload Begin { get; } = begin;

        public List<CheckpointPage> Pages { get; } = new(Math.Min(begin.PageCount, 4096));

        public byte[] Previous { get; } = new byte[PageCodec.PageSize];
    }

    /// <summary>An image being built by pre-copy: copies first, then every delta since overlaid in order.</summary>
    private sealed class Sync(ulong generation, ulong epoch, long pageLimit)
    {
        private readonly SortedDictionary<ulong, CheckpointPage> _pages = [];

        public ulong Generation { get; } = generation;

        public long PageLimit { get; } = pageLimit;

        /// <summary>The epoch of the last overlaid delta (at first, the epoch the copies started after).</summary>
        public ulong LastEpoch { get; private set; } = epoch;

        public bool Ended { get; set; }

        /// <summary>The copies as received, checked against the primary's count and hash at SyncEnd.</summary>
        public CopiesHash Copies { get; } = new();

        public void Copy(CheckpointPage page)
        {
            if (Ended) throw new FrameException("pre-copy pages after the pre-copy ended");
            Copies.Add(page);
            _pages[page.Number] = page;
            if (_pages.Count > PageLimit) throw new FrameException("pre-copy holds more pages than the guest's limit");
        }

        public void Overlay(GuestCheckpoint delta, ulong epoch)
        {
            foreach (var vpn in delta.Unmapped) _pages.Remove(vpn);
            foreach (var page in delta.Pages) _pages[page.Number] = page;
            if (_pages.Count > PageLimit) throw new FrameException("pre-copy holds more pages than the guest's limit");
            LastEpoch = epoch;
        }

        public GuestCheckpoint ToFullCheckpoint(GuestCheckpoint last) =>
            new(true, last.Sequence, 0, PageLimit, last.Machine, [], [.. _pages.Values]);
    }
}
