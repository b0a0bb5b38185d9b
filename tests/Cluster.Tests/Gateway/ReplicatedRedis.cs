using System.Collections.Concurrent;
using System.Net;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Cluster.Tests.Support;
using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Tests.Gateway;

/// <summary>
/// miniredis replicated to one in-process backup over the real TCP data channel, reached by real TCP clients through
/// a <see cref="GuestGateway"/>. The owner's side of both channel ends is wired as the actors will wire it: acks,
/// resync requests and fencing go back to the current primary.
/// </summary>
public sealed class ReplicatedRedis : IAsyncDisposable
{
    public const int GuestPort = 6379;
    private const ulong GuestId = 11;

    private readonly ConcurrentQueue<string> _log = new();
    private volatile PrimaryReplica? _primary;

    public ReplicatedRedis(GuestGatewayOptions? options = null)
    {
        Backup = new BackupReplica("b1", Restore);
        Listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => Backup, OnOutcome);
        Listener.Start();
        Link = new TcpBackupLink("b1", Listener.LocalEndpoint, GuestId, "miniredis", 1, "gateway-test", (id, _) => _primary?.ResyncRequested(id, 1));
        Shipping = new SwitchableLink(Link);
        Gateway = new GuestGateway("miniredis", [new PortExposure(GuestPort, 0)], (options ?? GuestGatewayOptions.Default) with { Log = _log.Enqueue });
        var guest = Rv64Guest.Load(File.ReadAllBytes(FtProcess.Guest("miniredis")), ["miniredis.elf", "--port", $"{GuestPort}"], options: new GuestOptions());
        var primary = new PrimaryReplica(guest, new PrimaryOptions("miniredis", GuestId, 1), [Shipping], Gateway);
        _primary = primary;
        Gateway.Start(primary);
        primary.Start();
    }

    public BackupReplica Backup { get; }

    public DataChannelListener Listener { get; }

    public TcpBackupLink Link { get; }

    /// <summary>The primary's only backup link; it can be made to lose everything (a cut the primary does not notice).</summary>
    public SwitchableLink Shipping { get; }

    public GuestGateway Gateway { get; }

    public PrimaryReplica Primary => _primary!;

    public int Port => Gateway.BoundEndpoints[0].Port;

    public IReadOnlyCollection<string> Log => _log;

    public RespClient Client() => new(Port, TimeSpan.FromSeconds(25));

    /// <summary>The primary dies: its guest stops mid-run and its data channel is cut (a checkpoint in flight is lost).</summary>
    public async Task KillPrimaryAsync()
    {
        Primary.Stop();
        await Link.DisposeAsync();
        var end = await Primary.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PrimaryEndReason.Stopped, end.Reason);
    }

    /// <summary>The backup becomes the primary of generation 2, unprotected, and the gateway moves every client to it.</summary>
    public IReadOnlyList<ConnectionInfo> PromoteBackup()
    {
        var promoted = Backup.Promote(2);
        var connections = promoted.Connections;
        var next = new PrimaryReplica(promoted, new PrimaryOptions("miniredis", GuestId, 2), [], Gateway);
        _primary = next;
        Gateway.Failover(next, connections);
        next.Start();
        return connections;
    }

    public async ValueTask DisposeAsync()
    {
        Primary.Stop();
        await Primary.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Link.DisposeAsync();
        await Gateway.DisposeAsync();
        await Listener.DisposeAsync();
    }

    private static IGuest Restore(GuestCheckpoint full) => Rv64Guest.Restore(full, null, new GuestOptions());

    private void OnOutcome(ChannelOutcome o)
    {
        switch (o.Outcome)
        {
            case AssemblyOutcome.Committed c:
                _primary?.Acked("b1", c.Generation, c.Epoch);
                break;
            case AssemblyOutcome.ResyncNeeded:
                _primary?.ResyncRequested("b1", o.Generation);
                break;
            case AssemblyOutcome.Fenced f:
                _primary?.Fence(f.HighestGeneration);
                break;
        }
    }
}

/// <summary>A backup link that can silently lose every checkpoint from some point on, as a dead network would.</summary>
public sealed class SwitchableLink(IBackupLink inner) : IBackupLink
{
    public long QueuedBytes => inner.QueuedBytes;

    private volatile bool _cut;

    public string BackupId => inner.BackupId;

    public void Cut() => _cut = true;

    public void Send(EncodedCheckpoint checkpoint)
    {
        if (!_cut) inner.Send(checkpoint);
    }
}
