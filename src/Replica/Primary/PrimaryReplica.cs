using System.Collections.Concurrent;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Replica.Primary;

/// <summary>How a primary is set up.</summary>
/// <param name="GuestId">The guest's id on the data channel (every frame carries it).</param>
/// <param name="CacheBytes">Bound of the cache of last-shipped pages used for XOR encoding.</param>
/// <param name="Slice">Instructions per run call: the granularity at which inputs, acks and epoch ends are noticed.</param>
public sealed record PrimaryOptions(string GuestName, ulong GuestId, ulong Generation)
{
    public EpochPolicy Epochs { get; init; } = EpochPolicy.Default;

    public long CacheBytes { get; init; } = 64L << 20;

    public bool Lz4 { get; init; }

    public long Slice { get; init; } = 200_000;

    /// <summary>
    /// Captured bytes waiting to be encoded and sent past which the guest is held back: a guest that dirties
    /// memory faster than it can be shipped must not make the primary queue checkpoints without bound.
    /// </summary>
    public long ShipperBacklogBytes { get; init; } = 64L << 20;

    /// <summary>Told of every release and of the primary's end, on the guest thread (the node's release journal); null: nobody.</summary>
    public IReleaseObserver? ReleaseObserver { get; init; }

    /// <summary>
    /// The release lease (docs/FAILOVER.md, "The release lease"): an epoch's output is released on its backups'
    /// acknowledgements only within this long of when the epoch was shipped, on this process's monotonic clock. A
    /// promoted backup waits as long after its own last acknowledgement before its first release, so every release of
    /// an old primary precedes every release of its successor, even one that was paused or cut off and resumes.
    /// 300 ms by default (<c>ft.replica.release-lease</c>); <see cref="TimeSpan.Zero"/>: no lease, which is safe only
    /// where no backup is ever promoted while its old primary may still run.
    /// </summary>
    public TimeSpan ReleaseLease { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// A <see cref="System.Diagnostics.Stopwatch"/> timestamp before which nothing is released: a promoted backup's
    /// last acknowledgement plus the lease its old primary kept (<c>BackupReplica.ReleaseNotBefore</c>). Null: none.
    /// </summary>
    public long? ReleaseNotBefore { get; init; }
}

/// <summary>Why a primary stopped.</summary>
public enum PrimaryEndReason
{
    /// <summary>The guest exited or faulted, and that final state and its output were committed and released.</summary>
    GuestEnded,

    /// <summary>A higher generation exists: this primary stopped its guest and released nothing more.</summary>
    Fenced,

    /// <summary>Stopped from outside (shutdown, or a test's abrupt stop), releasing nothing more.</summary>
    Stopped,
}

public sealed record PrimaryEnd(PrimaryEndReason Reason, GuestRunResult? GuestResult, ulong Epoch, ulong ReleasedEpoch);

/// <summary>
/// The primary of one replicated guest (DESIGN §3): runs it in epochs on a dedicated thread, captures each
/// epoch's delta in a short pause, ships it to every backup from another thread, and releases each epoch's
/// output only when every backup of the current generation acknowledged it.
/// </summary>
/// <remarks>
/// Everything that touches the guest or the commit gate happens on the guest thread; every public method
/// only queues an event for it. Split by concern: the loop in <c>PrimaryReplica.Loop.cs</c>, releases in
/// <c>PrimaryReplica.Release.cs</c>, shipping in <c>PrimaryReplica.Shipping.cs</c>.
/// </remarks>
public sealed partial class PrimaryReplica : IGuestInputs
{
    private readonly IGuest _guest;
    private readonly PrimaryOptions _options;
    private readonly IInputSource _source;
    private readonly OutputCommitGate _gate;
    private readonly BlockingCollection<Event> _events = new(new ConcurrentQueue<Event>());
    private readonly TaskCompletionSource<PrimaryEnd> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<IBackupLink> _links;
    private Thread? _thread;
    private long _epoch;
    private long _released;

    public PrimaryReplica(IGuest guest, PrimaryOptions options, IEnumerable<IBackupLink> backups, IInputSource source)
    {
        _guest = guest;
        _options = options;
        _source = source;
        _links = [.. backups];
        _gate = new OutputCommitGate(options.Generation, _links.Select(l => l.BackupId));
        _shipper = new Shipper(options);
        _leaseHolds = options.ReleaseLease > TimeSpan.Zero ? LeaseHolds : null;
    }

    /// <summary>Completes when the primary stops, saying why.</summary>
    public Task<PrimaryEnd> Completion => _end.Task;

    public ulong Epoch => (ulong)Interlocked.Read(ref _epoch);

    public ulong ReleasedEpoch => (ulong)Interlocked.Read(ref _released);

    public string GuestName => _options.GuestName;

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("already started");
        _shipper.Start();
        // A guest is CPU-bound: it gets its own thread, never the pool that Akka's scheduler and heartbeats need.
        _thread = new Thread(Run) { IsBackground = true, Name = $"primary:{_options.GuestName}" };
        _thread.Start();
    }

    public Task<long> ConnectAsync(int port, uint peerAddress = 0x7f000001, int peerPort = 0)
    {
        var connected = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new Event.Connect(port, peerAddress, peerPort, connected));
        return connected.Task;
    }

    public void Deliver(long connection, byte[] data) => Post(new Event.Input(connection, data));

    public void EndInput(long connection) => Post(new Event.InputEnd(connection));

    /// <summary>A backup committed <paramref name="epoch"/> of <paramref name="generation"/>.</summary>
    public void Acked(string backup, ulong generation, ulong epoch) => Post(new Event.Ack(backup, generation, epoch));

    /// <summary>A backup lost its place (corrupt or missing data): the next checkpoint is a full one.</summary>
    public void ResyncRequested(string backup, ulong generation) => Post(new Event.Resync(backup, generation));

    /// <summary>The coordinator wrote a new generation: this primary continues with these backups, or is fenced.</summary>
    public void GenerationChanged(ulong generation, bool stillPrimary, IReadOnlyList<IBackupLink> backups) =>
        Post(new Event.NewGeneration(generation, stillPrimary, backups));

    /// <summary>Someone has seen a generation above this primary's: stop, release nothing more.</summary>
    public void Fence(ulong observedGeneration) => Post(new Event.Fenced(observedGeneration));

    /// <summary>Stops at once, releasing nothing more (a shutdown, or a test's stand-in for a crash).</summary>
    public void Stop() => Post(Event.Stop.Instance);

    private void Post(Event e)
    {
        try
        {
            _events.Add(e);
        }
        catch (InvalidOperationException)
        {
            // The primary has ended; late events have nothing left to act on, and a connect is refused.
            Refuse(e);
        }
    }

    private abstract record Event
    {
        public sealed record Connect(int Port, uint PeerAddress, int PeerPort, TaskCompletionSource<long> Result) : Event;

        public sealed record Input(long Connection, byte[] Data) : Event;

        public sealed record InputEnd(long Connection) : Event;

        public sealed record Ack(string Backup, ulong Generation, ulong Epoch) : Event;

        public sealed record Resync(string Backup, ulong Generation) : Event;

        public sealed record NewGeneration(ulong Generation, bool StillPrimary, IReadOnlyList<IBackupLink> Backups) : Event;

        public sealed record Fenced(ulong Generation) : Event;

        public sealed record Stop : Event
        {
            public static readonly Stop Instance = new();
        }
    }
}
