using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Settings;

namespace FaultTolerant.Cluster.Node;

/// <summary>What a node agent needs: who it is, its replica settings, its ingress, its gateways (workers only).</summary>
public sealed record NodeAgentSetup(
    string Address,
    NodeRole Role,
    ReplicaSettings Replica,
    IngressServer Ingress,
    string IngressEndpoint,
    NodeGateways? Gateways,
    string GatewayAddress,
    IActorRef Coordinator);

/// <summary>
/// The cluster's hands on one node: it registers the node with the coordinator, runs the node's replica host (backups,
/// and the primaries it runs or was promoted to), starts a guest's first primary when told, answers the coordinator's
/// pings, and keeps the node's gateways following the guest table.
/// </summary>
public sealed class NodeAgent : ReceiveActor, IWithTimers
{
    /// <summary>The agent's name under <c>/user</c> on every node: a node that has not registered is reached by its address and this.</summary>
    public const string Name = "node";

    private readonly NodeAgentSetup _setup;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _replicas = ActorRefs.Nobody;
    private bool _registered;
    private bool _tableChanged;

    public NodeAgent(NodeAgentSetup setup)
    {
        _setup = setup;
        Receive<Register>(_ => _setup.Coordinator.Tell(new RegisterNode(_setup.Address, _setup.Role, Self, _replicas, _setup.IngressEndpoint, _setup.GatewayAddress)));
        Receive<NodeRegistered>(_ =>
        {
            if (!_registered)
            {
                _log.Info("node {0}: registered with the coordinator", _setup.Address);
                // A node that (re)joins learns the guest table by gossip within a few ticks, or at once by this read:
                // its gateways serve the exposed ports before it can be chosen as anything.
                if (_setup.Gateways is not null)
                {
                    DistributedData.Get(Context.System).Replicator.Tell(Dsl.Get(PlacementCoordinator.TableKey, new ReadMajority(TimeSpan.FromSeconds(3))));
                }
            }
            _registered = true;
        });
        Receive<Ping>(p => Sender.Tell(new Pong(p.Id, _setup.Address)));
        // Answered from the ask's continuation: the agent goes on with its mailbox while the target has time to answer.
        Receive<ProbeThrough>(p => Context.ActorSelection(AgentPath(p.Target)).Ask<Pong>(new Ping(p.Id), TimeSpan.FromMilliseconds(p.TimeoutMilliseconds))
            .ContinueWith(t => new Probed(p.Id, _setup.Address, t.IsCompletedSuccessfully), TaskScheduler.Default)
            .PipeTo(Sender));
        Receive<CheckPorts>(c => Sender.Tell(new PortsChecked(_setup.Address, ProbePorts(c.Ports))));
        ReceiveAsync<RunGuest>(OnRunGuest);
        // The read's answer only until the subscription has spoken: a Changed is always the newer view.
        Receive<GetSuccess>(g => g.Key.Equals(PlacementCoordinator.TableKey) && !_tableChanged, g =>
            _setup.Gateways?.Update(g.Get(PlacementCoordinator.TableKey).Entries.ToDictionary(kv => kv.Key, kv => kv.Value)));
        Receive<IGetResponse>(_ => { });
        Receive<Changed>(c => c.Key.Equals(PlacementCoordinator.TableKey), c =>
        {
            _tableChanged = true;
            _setup.Gateways?.Update(c.Get(PlacementCoordinator.TableKey).Entries.ToDictionary(kv => kv.Key, kv => kv.Value));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The agent of the node at <paramref name="address"/> (an Akka address), whichever incarnation runs there now.</summary>
    public static string AgentPath(string address) => $"{address}/user/{Name}";

    public static Props Props(NodeAgentSetup setup) => Akka.Actor.Props.Create(() => new NodeAgent(setup));

    protected override void PreStart()
    {
        if (_setup.Role == NodeRole.Worker)
        {
            var host = new BackupHostSetup(_setup.Address, c => Rv64Guest.Restore(c), _setup.Ingress, _setup.Replica, _setup.Coordinator);
            _replicas = Context.ActorOf(BackupHostActor.Props(host), "replicas");
        }
        // Registration is repeated: the coordinator may move (it is a singleton) and forgets nothing by a repeat.
        Timers.StartPeriodicTimer(nameof(Register), Register.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        if (_setup.Gateways is not null) DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(PlacementCoordinator.TableKey, Self));
    }

    private async Task OnRunGuest(RunGuest run)
    {
        var sender = Sender;
        var entry = run.Entry;
        if (_setup.Role != NodeRole.Worker)
        {
            sender.Tell(new RunGuestResult(entry.Name, entry.Generation, false, $"node {_setup.Address} is a witness and runs no guests"));
            return;
        }
        IGuest guest;
        try
        {
            guest = Rv64Guest.Load(run.Image, [entry.Name, .. entry.Args]);
        }
        catch (Exception e) when (e is InvalidElfException or ArgumentException or InvalidOperationException)
        {
            sender.Tell(new RunGuestResult(entry.Name, entry.Generation, false, $"the image cannot run: {e.Message}"));
            return;
        }
        var setup = new PrimaryActorSetup(entry.Name, entry.GuestId, entry.Generation, guest, run.BackupHosts, _setup.Ingress, _setup.Replica, _setup.Coordinator);
        try
        {
            await _replicas.Ask<IActorRef>(new RunPrimary(setup), TimeSpan.FromSeconds(5));
            _log.Info("guest {0} generation {1}: primary started on {2}", entry.Name, entry.Generation, _setup.Address);
            sender.Tell(new RunGuestResult(entry.Name, entry.Generation, true, "started"));
        }
        catch (Exception e) when (e is AskTimeoutException or InvalidOperationException)
        {
            sender.Tell(new RunGuestResult(entry.Name, entry.Generation, false, e.Message));
        }
    }

    /// <summary>
    /// Which of <paramref name="ports"/> this node's gateway could not listen on now: each is bound on the gateway address
    /// (as the gateway binds it) and let go at once. Only a moment's answer: another program may take a port right after.
    /// </summary>
    /// <remarks>
    /// A port this node's own gateways hold is no problem here: the coordinator refuses a port a guest in its table exposes,
    /// so this is a guest it has stopped and this node has not heard of yet; that gateway lets go when it does.
    /// </remarks>
    private string[] ProbePorts(int[] ports)
    {
        if (_setup.Gateways is not { } gateways) return [];
        var address = IPAddress.Parse(_setup.GatewayAddress);
        var problems = new List<string>();
        foreach (int port in ports.Where(p => !gateways.Holds(p)))
        {
            TcpListener? probe = null;
            try
            {
                probe = new TcpListener(address, port);
                probe.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                problems.Add($"{address}:{port} is in use");
            }
            catch (Exception e) when (e is SocketException or ArgumentOutOfRangeException)
            {
                problems.Add($"{address}:{port} cannot be bound ({e.Message})");
            }
            finally
            {
                probe?.Dispose();
            }
        }
        return [.. problems];
    }

    private sealed record Register
    {
        public static readonly Register Instance = new();
    }
}
