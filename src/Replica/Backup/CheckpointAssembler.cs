using FaultTolerant.Guest;
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

    /// <summary>The frame could not be used; staging was dropped, the committed state is untouched, and only a full checkpoint can follow.</summary>
    public sealed record ResyncNeeded(string Reason) : AssemblyOutcome;
}

/// <summary>
/// The backup's side of the data channel for one guest: stages a checkpoint frame by frame, verifies it,
/// and applies it atomically when its last frame arrives. Invariant A: the committed guest always equals
/// the primary's state at some epoch boundary, whatever arrives corrupted, late, twice or not at all.
/// Invariant F: nothing of a generation below the highest seen is accepted.
/// </summary>
/// <remarks>Not thread-safe: one connection's reader feeds it.</remarks>
public sealed class CheckpointAssembler(Func<GuestCheckpoint, IGuest> restoreFull)
{
    private Staging? _staging;
    private bool _needFull = true;

    /// <summary>The committed guest, or null before the first full checkpoint arrived.</summary>
    public IGuest? Committed { get; private set; }

    public ulong HighestGeneration { get; private set; }

    /// <summary>The epoch of the committed state (0 before any).</summary>
    public ulong CommittedEpoch { get; private set; }

    public ulong CommittedGeneration { get; private set; }

    /// <summary>Fences everything below <paramref name="generation"/> (learned from the coordinator, not only from frames).</summary>
    public void ObserveGeneration(ulong generation)
    {
        if (generation <= HighestGeneration) return;
        HighestGeneration = generation;
        _staging = null;
    }

    /// <summary>The channel broke (a frame failed its checks, or the connection was cut): staging is gone, a full checkpoint must follow.</summary>
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
                FrameType.Pages => Pages(frame),
                FrameType.CheckpointEnd => End(frame),
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
        if (!begin.IsFull)
        {
            if (_needFull || Committed is null) return Resync("a delta arrived while only a full checkpoint can be applied");
            if (frame.Epoch != CommittedEpoch + 1) return Resync($"delta for epoch {frame.Epoch} does not follow committed epoch {CommittedEpoch}");
            if (begin.BaseSequence != Committed.CaptureSequence) return Resync($"delta follows capture {begin.BaseSequence}, committed state is capture {Committed.CaptureSequence}");
        }
        if (begin.PageCount > begin.PageLimit) throw new FrameException($"checkpoint declares {begin.PageCount} pages over a limit of {begin.PageLimit}");
        _staging = new Staging(frame.Generation, frame.Epoch, begin);
        return AssemblyOutcome.Staged.Instance;
    }

    private AssemblyOutcome Pages(Frame frame)
    {
        var s = Current(frame);
        foreach (var page in PagesPayload.Decode(frame.Payload))
        {
            if (s.Pages.Count >= s.Begin.PageCount) throw new FrameException($"more than the {s.Begin.PageCount} pages the checkpoint declared");
            var previous = ReadOnlySpan<byte>.Empty;
            if (page.Encoding is PageEncoding.Unchanged or PageEncoding.XorZeroRun or PageEncoding.XorZeroRunLz4)
            {
                if (s.Begin.IsFull || Committed is null || !Committed.TryCopyPage(page.Number, s.Previous)) throw new FrameException($"page 0x{page.Number:x} is a delta against a page the backup does not have");
                previous = s.Previous;
            }
            var data = new byte[PageCodec.PageSize];
            PageCodec.Decode(page.Encoding, page.Body.Span, previous, data);
            bool zero = !data.AsSpan().ContainsAnyExcept((byte)0);
            s.Pages.Add(new CheckpointPage(page.Number, page.Permissions, zero ? ReadOnlyMemory<byte>.Empty : data));
        }
        return AssemblyOutcome.Staged.Instance;
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

        // The commit point: a restore builds a new guest, an apply is atomic; either way a failure leaves the old state.
        if (checkpoint.IsFull) Committed = restoreFull(checkpoint);
        else Committed!.ApplyCheckpoint(checkpoint);
        _needFull = false;
        CommittedEpoch = s.Epoch;
        CommittedGeneration = s.Generation;
        return new AssemblyOutcome.Committed(s.Generation, s.Epoch);
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
}
