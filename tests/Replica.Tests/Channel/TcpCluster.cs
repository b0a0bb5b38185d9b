using System.Collections.Concurrent;
using System.Net;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Support;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>
/// A real primary and a real backup joined by the TCP data channel, optionally through a <see cref="FrameProxy"/>.
/// The owner's side of both ends is done the way the actors will do it: every outcome the listener reports goes back
/// to the primary (ack → Acked, resync → ResyncRequested, fenced → Fence), and so does every break the link reports.
/// </summary>
public sealed class TcpCluster : IAsyncDisposable
{
    public const string BackupId = "b1";
    public const ulong GuestId = 7;

    private readonly ConcurrentDictionary<ulong, UInt128> _committedHash = new();
    private readonly PrimaryReplica? _primary;

    private TcpCluster(string program, string[] args, bool viaProxy, TcpBackupLinkOptions? linkOptions, int proxyReceiveBuffer)
    {
        Backup = new BackupReplica(BackupId, TestGuests.RestoreFull);
        Received = new RecordingReceiver(Backup);
        Listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => Received, OnOutcome);
        Listener.ConnectionClosed += Closed.Enqueue;
        Listener.Start();
        Proxy = viaProxy ? new FrameProxy(Listener.LocalEndpoint, proxyReceiveBuffer) : null;
        Guest = new RecordingGuest(TestGuests.Load(program, args));
        Link = new TcpBackupLink(BackupId, Proxy?.LocalEndpoint ?? Listener.LocalEndpoint, GuestId, program, 1, "test-primary", OnBroken, linkOptions);
        Shipped = new RecordingLink(Link);
        var primary = new PrimaryReplica(Guest, new PrimaryOptions(program, GuestId, 1), [Shipped], Gateway);
        _primary = primary;
        Gateway.Primary = primary;
        primary.Start();
    }

    public static TcpCluster Start(string program, string[] args, bool viaProxy = false, TcpBackupLinkOptions? linkOptions = null, int proxyReceiveBuffer = 0) =>
        new(program, args, viaProxy, linkOptions, proxyReceiveBuffer);

    public BackupReplica Backup { get; }

    /// <summary>The backup as the listener sees it: every frame it was handed, in order.</summary>
    public RecordingReceiver Received { get; }

    public DataChannelListener Listener { get; }

    public FrameProxy? Proxy { get; }

    public RecordingGuest Guest { get; }

    public TcpBackupLink Link { get; }

    public RecordingLink Shipped { get; }

    public PrimaryReplica Primary => _primary!;

    public TestGateway Gateway { get; } = new();

    public ConcurrentQueue<ChannelOutcome> Outcomes { get; } = new();

    public ConcurrentQueue<ChannelClosed> Closed { get; } = new();

    /// <summary>Reasons the link gave for asking for a full checkpoint.</summary>
    public ConcurrentQueue<string> Broken { get; } = new();

    /// <summary>The backup's committed state hash, taken when it reported each commit.</summary>
    public IReadOnlyDictionary<ulong, UInt128> CommittedHash => _committedHash;

    public IEnumerable<AssemblyOutcome.Committed> Commits => Outcomes.Select(o => o.Outcome).OfType<AssemblyOutcome.Committed>();

    public IEnumerable<AssemblyOutcome.ResyncNeeded> Resyncs => Outcomes.Select(o => o.Outcome).OfType<AssemblyOutcome.ResyncNeeded>();

    public ulong LastCommittedEpoch => Commits.Select(c => c.Epoch).DefaultIfEmpty().Max();

    /// <summary>The state of both ends, for a failing wait to print.</summary>
    public string Describe() =>
        $"commits {Commits.Count()} (last epoch {LastCommittedEpoch}), primary epoch {Primary.Epoch} released {Primary.ReleasedEpoch}, " +
        $"resyncs [{string.Join("; ", Resyncs.Select(r => r.Reason).Distinct().Take(5))}], link broken [{string.Join("; ", Broken.Distinct().Take(5))}], " +
        $"link {Link.Statistics}, closed [{string.Join("; ", Closed.Select(c => c.Reason).Take(5))}], proxy connections {Proxy?.Connections}";

    /// <summary>Waits (bounded) until the cluster satisfies a condition, printing its state if it never does.</summary>
    public Task Until(Func<TcpCluster, bool> condition, string what) => Eventually.True(() => condition(this), () => $"{what}: {Describe()}");

    /// <summary>Invariant A seen from outside: at every epoch the backup committed, it held exactly the primary's state at that epoch.</summary>
    public void AssertBackupTrackedThePrimary()
    {
        Assert.NotEmpty(_committedHash);
        foreach (var (epoch, hash) in _committedHash)
        {
            Assert.True(Guest.HashAt.TryGetValue(epoch, out var expected), $"the backup committed epoch {epoch}, which the primary never captured");
            Assert.True(expected == hash, $"at epoch {epoch} the backup's state differs from the primary's");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Primary.Stop();
        await Eventually.Within(Primary.Completion, "the primary to stop");
        await Eventually.Within(Link.DisposeAsync().AsTask(), "the link to close");
        if (Proxy is not null) await Proxy.DisposeAsync();
        await Eventually.Within(Listener.DisposeAsync().AsTask(), "the listener to close");
    }

    private void OnOutcome(ChannelOutcome o)
    {
        Outcomes.Enqueue(o);
        switch (o.Outcome)
        {
            case AssemblyOutcome.Committed c:
                // Called before the backup takes its next frame: the committed state is still exactly epoch c.Epoch.
                _committedHash[c.Epoch] = Backup.CommittedHash()!.Value;
                _primary?.Acked(BackupId, c.Generation, c.Epoch);
                break;
            case AssemblyOutcome.ResyncNeeded:
                _primary?.ResyncRequested(BackupId, o.Generation);
                break;
            case AssemblyOutcome.Fenced f:
                _primary?.Fence(f.HighestGeneration);
                break;
        }
    }

    private void OnBroken(string backupId, string reason)
    {
        Broken.Enqueue(reason);
        _primary?.ResyncRequested(backupId, 1);
    }
}

/// <summary>Remembers every frame shipped through a link, in order, then passes the checkpoint on.</summary>
public sealed class RecordingLink(IBackupLink inner) : IBackupLink
{
    public long QueuedBytes => inner.QueuedBytes;

    private readonly ConcurrentQueue<Frame> _frames = new();

    public string BackupId => inner.BackupId;

    public IReadOnlyCollection<Frame> Frames => _frames;

    public void Send(EncodedCheckpoint checkpoint)
    {
        foreach (var f in checkpoint.Frames) _frames.Enqueue(f);
        inner.Send(checkpoint);
    }
}

/// <summary>Remembers every frame a receiver was given, in order, then passes it on.</summary>
public sealed class RecordingReceiver(IFrameReceiver inner) : IFrameReceiver
{
    private readonly ConcurrentQueue<Frame> _frames = new();
    private readonly ConcurrentQueue<string> _broken = new();

    public IReadOnlyCollection<Frame> Frames => _frames;

    public IReadOnlyCollection<string> BrokenReasons => _broken;

    public AssemblyOutcome Receive(Frame frame)
    {
        _frames.Enqueue(frame);
        return inner.Receive(frame);
    }

    public AssemblyOutcome ChannelBroken(string reason)
    {
        _broken.Enqueue(reason);
        return inner.ChannelBroken(reason);
    }
}
