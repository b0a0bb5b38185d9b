using System.Collections.Concurrent;
using System.Net;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Cluster.Tests.Gateway;
using FaultTolerant.Cluster.Tests.Support;
using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// miniredis across three "nodes" in one process, wired as nodes will wire it: node A runs the primary behind its
/// <see cref="IngressServer"/>; node C holds the backup (over the real TCP data channel) and, after A dies, the promoted
/// primary behind its own ingress server; node B runs the <see cref="GuestGateway"/> that real TCP clients use, reaching
/// whichever primary is current through a <see cref="RemotePrimary"/>. Each node's objects and ports are its own.
/// </summary>
public sealed class ThreeNodeRedis : IAsyncDisposable
{
    public const string Guest = "miniredis";
    public const int GuestPort = 6379;
    public const string GatewayNode = "node-b";
    private const ulong GuestId = 21;

    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<IAsyncDisposable> _remotes = [];
    private volatile PrimaryReplica? _primary;
    private IngressServer? _ingressC;

    private ThreeNodeRedis()
    {
        // Node C: the backup, fed over the data channel; its answers go to whichever primary is current.
        Backup = new BackupReplica("backup-c", full => Rv64Guest.Restore(full, null, new GuestOptions()));
        Listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => Backup, OnOutcome);
        Listener.Start();

        // Node A: the primary, and the ingress its gateways reach it through.
        IngressA = new IngressServer(new IPEndPoint(IPAddress.Loopback, 0), new IngressServerOptions { Log = l => _log.Enqueue($"[A] {l}") });
        IngressA.Start();
        Link = new TcpBackupLink("backup-c", Listener.LocalEndpoint, GuestId, Guest, 1, "node-a", (id, _) => _primary?.ResyncRequested(id, 1));
        Shipping = new SwitchableLink(Link);
        var guest = Rv64Guest.Load(File.ReadAllBytes(FtProcess.Guest("miniredis")), ["miniredis.elf", "--port", $"{GuestPort}"], options: new GuestOptions());
        var primary = new PrimaryReplica(guest, new PrimaryOptions(Guest, GuestId, 1), [Shipping], IngressA.SourceFor(Guest));
        IngressA.Attach(Guest, 1, primary, guest.Connections);
        _primary = primary;
        primary.Start();

        // Node B: the gateway, up before it knows any primary.
        Gateway = new GuestGateway(Guest, [new PortExposure(GuestPort, 0)], new GuestGatewayOptions { Log = l => _log.Enqueue($"[B] {l}") });
        Gateway.Start();
    }

    public BackupReplica Backup { get; }

    public DataChannelListener Listener { get; }

    public TcpBackupLink Link { get; }

    /// <summary>The primary's only backup link; it can be made to lose everything from some point on.</summary>
    public SwitchableLink Shipping { get; }

    public IngressServer IngressA { get; }

    /// <summary>Node C's ingress server, once the backup there is promoted.</summary>
    public IngressServer? IngressC => _ingressC;

    public GuestGateway Gateway { get; }

    /// <summary>Node B's current way to the primary.</summary>
    public RemotePrimary? Remote { get; private set; }

    public PrimaryReplica Primary => _primary!;

    public int Port => Gateway.BoundEndpoints[0].Port;

    public IReadOnlyCollection<string> Log => _log;

    public RespClient Client() => new(Port, TimeSpan.FromSeconds(25));

    /// <summary>All three nodes up, node B's gateway pointed at node A's primary (optionally through <paramref name="via"/>).</summary>
    public static async Task<ThreeNodeRedis> StartAsync(Func<IPEndPoint, IPEndPoint>? via = null)
    {
        var cluster = new ThreeNodeRedis();
        await cluster.PointGatewayAtAsync((via ?? (e => e))(cluster.IngressA.LocalEndpoint), 1);
        return cluster;
    }

    /// <summary>
    /// What node B does when it learns where the guest's primary is (at start, after its ingress connection broke, after a
    /// promotion): a new <see cref="RemotePrimary"/> claiming every connection it has clients for, and a failover onto it.
    /// </summary>
    public async Task<IngressMessage.Welcome> PointGatewayAtAsync(IPEndPoint ingress, ulong generation)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var remote = await Gateway.FailoverToRemoteAsync(ingress, generation, GatewayNode, new RemotePrimaryOptions { Log = l => _log.Enqueue($"[B] {l}") },
            patience.Token);
        lock (_remotes) _remotes.Add(remote);
        Remote = remote;
        return await remote.Welcome;
    }

    /// <summary>Node A dies: its guest stops mid-run, its data channel and its ingress sessions are cut.</summary>
    public async Task KillNodeAAsync()
    {
        Primary.Stop();
        await Link.DisposeAsync();
        var end = await Primary.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PrimaryEndReason.Stopped, end.Reason);
        await IngressA.DisposeAsync();
    }

    /// <summary>Node C promotes its backup to the primary of generation 2, unprotected, behind its own ingress server.</summary>
    public IReadOnlyList<ConnectionInfo> PromoteOnNodeC()
    {
        var promoted = Backup.Promote(2);
        var connections = promoted.Connections;
        _ingressC = new IngressServer(new IPEndPoint(IPAddress.Loopback, 0), new IngressServerOptions { Log = l => _log.Enqueue($"[C] {l}") });
        _ingressC.Start();
        var next = new PrimaryReplica(promoted, new PrimaryOptions(Guest, GuestId, 2), [], _ingressC.SourceFor(Guest));
        _ingressC.Attach(Guest, 2, next, connections);
        _primary = next;
        next.Start();
        return connections;
    }

    public async ValueTask DisposeAsync()
    {
        Primary.Stop();
        await Primary.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Link.DisposeAsync();
        await Gateway.DisposeAsync();
        List<IAsyncDisposable> remotes;
        lock (_remotes) remotes = [.. _remotes];
        foreach (var r in remotes) await r.DisposeAsync();
        await IngressA.DisposeAsync();
        if (_ingressC is not null) await _ingressC.DisposeAsync();
        await Listener.DisposeAsync();
    }

    private void OnOutcome(ChannelOutcome o)
    {
        switch (o.Outcome)
        {
            case AssemblyOutcome.Committed c:
                _primary?.Acked("backup-c", c.Generation, c.Epoch);
                break;
            case AssemblyOutcome.ResyncNeeded:
                _primary?.ResyncRequested("backup-c", o.Generation);
                break;
            case AssemblyOutcome.Fenced f:
                _primary?.Fence(f.HighestGeneration);
                break;
        }
    }
}
