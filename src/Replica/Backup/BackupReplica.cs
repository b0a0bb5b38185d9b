using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Backup;

/// <summary>
/// One guest's backup: takes data-channel frames, keeps the committed state, and on promotion hands that
/// state over to become the new primary's guest. Thread-safe: a channel reader feeds it, a control thread
/// promotes it.
/// </summary>
public sealed class BackupReplica(string backupId, Func<GuestCheckpoint, IGuest> restoreFull) : IFrameReceiver
{
    private readonly Lock _lock = new();
    private readonly CheckpointAssembler _assembler = new(restoreFull);
    private bool _promoted;

    public string BackupId { get; } = backupId;

    public ulong CommittedEpoch
    {
        get
        {
            lock (_lock) return _assembler.CommittedEpoch;
        }
    }

    public ulong HighestGeneration
    {
        get
        {
            lock (_lock) return _assembler.HighestGeneration;
        }
    }

    /// <summary>The committed state's hash (null before the first checkpoint): for tests and diagnostics.</summary>
    public UInt128? CommittedHash()
    {
        lock (_lock) return _assembler.Committed?.StateHash();
    }

    /// <summary>The committed state's connections (none before the first checkpoint): for tests and diagnostics.</summary>
    public IReadOnlyList<ConnectionInfo> CommittedConnections()
    {
        lock (_lock) return _assembler.Committed?.Connections ?? [];
    }

    /// <summary>Takes one frame as it came off the wire; a frame that fails its checks asks for a resync.</summary>
    public AssemblyOutcome Receive(ReadOnlyMemory<byte> frameBytes)
    {
        Frame frame;
        try
        {
            frame = Frame.Parse(frameBytes);
        }
        catch (FrameException e)
        {
            return Receive(e);
        }
        return Receive(frame);
    }

    public AssemblyOutcome Receive(Frame frame)
    {
        lock (_lock)
        {
            if (_promoted) return new AssemblyOutcome.Fenced(frame.Generation, _assembler.HighestGeneration);
            var outcome = _assembler.Accept(frame);
            // Taken before the acknowledgement leaves (its sender acts on the outcome), and after the whole epoch arrived,
            // so after the primary started shipping it: where the primary's lease on it started, or later.
            if (outcome is AssemblyOutcome.Committed) _lastCommitted = System.Diagnostics.Stopwatch.GetTimestamp();
            return outcome;
        }
    }

    private long _lastCommitted;

    /// <summary>
    /// The earliest <see cref="System.Diagnostics.Stopwatch"/> timestamp at which this backup, promoted, may release
    /// output if its old primary keeps a release lease of <paramref name="lease"/> (docs/FAILOVER.md, "The release
    /// lease"): its last commit (each is acknowledged) plus the lease, plus an eighth of it for clock rates that differ
    /// between the two processes and for the moment between a primary's lease check and its release. Null before the
    /// first commit or with no lease.
    /// </summary>
    public long? ReleaseNotBefore(TimeSpan lease)
    {
        lock (_lock)
        {
            if (_lastCommitted == 0 || lease <= TimeSpan.Zero) return null;
            return _lastCommitted + (long)((lease + lease / 8).TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        }
    }

    /// <summary>The channel broke mid-stream (a corrupt frame, a cut connection): whatever was staged is gone.</summary>
    public AssemblyOutcome Receive(FrameException broken) => ChannelBroken(broken.Message);

    public AssemblyOutcome ChannelBroken(string reason)
    {
        lock (_lock) return _assembler.ChannelBroken(reason);
    }

    public void ObserveGeneration(ulong generation)
    {
        lock (_lock) _assembler.ObserveGeneration(generation);
    }

    /// <summary>
    /// Becomes the primary of <paramref name="generation"/>: fences every lower generation (no frame or ack of
    /// the old primary is taken from now on) and returns the committed guest to resume.
    /// </summary>
    /// <exception cref="InvalidOperationException">No state was ever committed, or already promoted.</exception>
    public IGuest Promote(ulong generation)
    {
        lock (_lock)
        {
            if (_promoted) throw new InvalidOperationException($"backup {BackupId} was already promoted");
            var guest = _assembler.Committed ?? throw new InvalidOperationException($"backup {BackupId} has no committed state to promote");
            _assembler.ObserveGeneration(generation);
            _promoted = true;
            return guest;
        }
    }
}
