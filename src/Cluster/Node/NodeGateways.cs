using System.Net;
using System.Net.Sockets;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Node;

/// <summary>
/// A worker's gateways (DESIGN §4): one per guest with exposed ports, listening on the node's gateway address at each
/// cluster port, forwarding every client connection to the guest's current primary through that node's ingress. When
/// the guest table names a new primary (failover, switchover) the gateway is pointed at it: its clients keep their TCP
/// connections, and what the new primary's guest has not received is replayed.
/// </summary>
/// <remarks>
/// Fed by the node agent with every version of the guest table; works on its own tasks (never on the actor's thread).
/// A gateway that loses its primary's ingress keeps retrying the primary the table names, so a client sees a pause, not
/// an error, until the coordinator has promoted a backup.
/// </remarks>
public sealed class NodeGateways(string node, IPAddress address, Action<string> log, GuestGatewayOptions? options = null) : IAsyncDisposable
{
    /// <summary>Every gateway's options: the node's limits (ft.cluster.gateway), its address, its log.</summary>
    private readonly GuestGatewayOptions _options = (options ?? new GuestGatewayOptions { EndUnclaimedOnFailover = false }) with { BindAddress = address, Log = log };

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Served> _guests = [];

    private sealed class Served(GuestGateway gateway)
    {
        public GuestGateway Gateway { get; } = gateway;

        /// <summary>The newest row seen for the guest; the attach loop follows it.</summary>
        public GuestEntry Entry { get; set; } = null!;

        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenSource Stop { get; } = new();
    }

    /// <summary>The ports this node serves, for status and tests.</summary>
    public IReadOnlyList<string> Serving
    {
        get
        {
            lock (_lock) return [.. _guests.Select(g => $"{g.Key}@{g.Value.Entry.Generation}")];
        }
    }

    /// <summary>Whether one of this node's gateways listens on <paramref name="clusterPort"/> (for a guest the table had when last seen).</summary>
    public bool Holds(int clusterPort)
    {
        lock (_lock) return _guests.Values.Any(s => s.Entry.Ports.Any(p => p.ClusterPort == clusterPort));
    }

    /// <summary>Takes the whole guest table as it now stands: new guests get a gateway, gone ones lose theirs, moved ones follow.</summary>
    public void Update(IReadOnlyDictionary<string, GuestEntry> table)
    {
        var gone = new List<Served>();
        lock (_lock)
        {
            // A guest stopped and another started under its name (another id) is a gone one and a new one.
            foreach (var (name, served) in _guests.Where(g => !table.TryGetValue(g.Key, out var e) || e.Phase == "ended" || e.GuestId != g.Value.Entry.GuestId).ToList())
            {
                _guests.Remove(name);
                gone.Add(served);
                // Its ports are let go of now, not when its clients are closed: a guest started on them since (one version
                // of the table may bring both) binds them just below.
                served.Gateway.StopListening();
            }
            foreach (var entry in table.Values.Where(e => e.Ports.Length > 0 && e.Phase != "ended"))
            {
                if (_guests.TryGetValue(entry.Name, out var served))
                {
                    // Only a primary that moved needs the clients moved. A new generation on the same primary (backups
                    // dropped or added) changes nothing for them: re-attaching would replay from the offsets the primary
                    // was promoted with, which its guest has long passed.
                    if (served.Entry.Primary == entry.Primary && served.Entry.Ingress == entry.Ingress)
                    {
                        served.Entry = entry;
                        continue;
                    }
                    served.Entry = entry;
                    var changed = served.Changed;
                    served.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    changed.TrySetResult();
                    continue;
                }
                var gateway = new GuestGateway(entry.Name, [.. entry.Ports.Select(p => new PortExposure(p.GuestPort, p.ClusterPort))], _options);
                try
                {
                    gateway.Start();
                }
                catch (SocketException e)
                {
                    log($"gateway {entry.Name}: cannot listen on {address}:{string.Join(",", entry.Ports.Select(p => p.ClusterPort))}: {e.Message}; this node does not serve it");
                    _ = gateway.DisposeAsync().AsTask();
                    continue;
                }
                served = new Served(gateway) { Entry = entry };
                _guests[entry.Name] = served;
                log($"gateway {entry.Name}: serving {string.Join(", ", entry.Ports.Select(p => $"{address}:{p.ClusterPort}"))}");
                _ = FollowAsync(served);
            }
        }
        foreach (var served in gone) _ = CloseAsync(served);
    }

    /// <summary>
    /// Keeps the gateway attached to the primary its row names: connect, take the Welcome, fail the clients over to it;
    /// when that session ends or the row changes, do it again with the newest row.
    /// </summary>
    private async Task FollowAsync(Served served)
    {
        var token = served.Stop.Token;
        RemotePrimary? current = null;
        var backoff = TimeSpan.FromMilliseconds(20);
        while (!token.IsCancellationRequested)
        {
            GuestEntry entry;
            Task changed;
            lock (_lock)
            {
                entry = served.Entry;
                changed = served.Changed.Task;
            }
            RemotePrimary? next = null;
            try
            {
                var endpoint = ParseEndpoint(entry.Ingress);
                // Generation 0: whichever primary of the guest runs on the node the table names. The row's generation runs
                // ahead of the primary's own while it re-protects (it switches once its new backups are hosted); a stale
                // primary elsewhere is never asked, and releases of an older generation are ignored by the gateway.
                // The failover runs on the remote's reader, before the releases that follow the Welcome reach the gateway
                // (after it, those could trim input past the Welcome's offsets). Connections the primary gave up are reset.
                next = new RemotePrimary(endpoint, entry.Name, 0, node, served.Gateway.ConnectionIds, served.Gateway.OnRelease, onWelcome:
                    (primary, w) => served.Gateway.Failover(primary, w.Connections, w.Lost));
                var welcome = await next.Welcome.WaitAsync(TimeSpan.FromSeconds(5), token);
                log($"gateway {entry.Name}: attached to the primary of generation {welcome.Generation} at {entry.Ingress} ({welcome.Connections.Count} connection(s) to resume)");
                if (current is not null) _ = current.DisposeAsync().AsTask();
                current = next;
                next = null;
                backoff = TimeSpan.FromMilliseconds(20);
                // Attached: wait until the session ends or the table names another primary.
                await Task.WhenAny(current.Disconnected, changed).WaitAsync(token);
                if (current.Disconnected.IsCompleted) log($"gateway {entry.Name}: lost the primary at {entry.Ingress} ({current.Disconnected.Result}); following the guest table");
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IngressRefusedException or IngressConnectionLostException or TimeoutException or SocketException or FormatException)
            {
                // The primary is not there yet (promotion under way) or gone (failover under way): try again shortly,
                // with whatever the table says then. Clients wait meanwhile; their bytes are kept.
                if (next is not null) _ = next.DisposeAsync().AsTask();
                try
                {
                    await Task.WhenAny(Task.Delay(backoff, token), changed);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                // Capped at 100 ms: right after a failover the promoted primary attaches to its ingress a moment after the
                // table names it, and a longer sleep here is time every client of this gateway waits. A refused connect
                // on a LAN costs next to nothing.
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
            }
        }
        if (current is not null) await current.DisposeAsync();
    }

    private static IPEndPoint ParseEndpoint(string hostPort) =>
        IPEndPoint.TryParse(hostPort, out var endpoint) ? endpoint : throw new FormatException($"'{hostPort}' is not an ingress endpoint");

    private static async Task CloseAsync(Served served)
    {
        await served.Stop.CancelAsync();
        await served.Gateway.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        List<Served> all;
        lock (_lock)
        {
            all = [.. _guests.Values];
            _guests.Clear();
        }
        foreach (var served in all) await CloseAsync(served);
    }
}
