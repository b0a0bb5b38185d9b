using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using FaultTolerant.Replica.Actors;

namespace FaultTolerant.Cluster.Placement;

/// <summary>How the coordinator decides.</summary>
/// <param name="MajorityTimeout">The longest a majority write or read of the guest table may take.</param>
/// <param name="SuspectPingTimeout">How long a suspected primary's node has to answer before its guests fail over.</param>
/// <param name="AskTimeout">How long a node has to answer the coordinator (status, promotion, starting a guest).</param>
/// <param name="MajorityFirstTimeout">The first, short try of a majority write (see placement.majority-first-timeout); null: 400 ms.</param>
public sealed record CoordinatorSettings(TimeSpan MajorityTimeout, TimeSpan SuspectPingTimeout, TimeSpan AskTimeout, TimeSpan? MajorityFirstTimeout = null)
{
    /// <summary>How long after a member looks unreachable the coordinator looks for two members that lost each other, and half that between its two looks (<c>placement.indirect-down-after</c>).</summary>
    public TimeSpan IndirectDownAfter { get; init; } = TimeSpan.FromMilliseconds(600);

    /// <summary>The first try's timeout, never longer than the whole.</summary>
    public TimeSpan FirstTry => MajorityFirstTimeout is { } first && first < MajorityTimeout ? first : TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(400).Ticks, MajorityTimeout.Ticks));
}

/// <summary>
/// The placement coordinator (DESIGN §5): a cluster singleton that owns the guest table — kept in Distributed Data with
/// majority writes and reads, so that it survives the singleton moving — and makes every placement decision: where a
/// guest starts, which backup is promoted when its primary is lost, which backups are dropped or added.
/// </summary>
/// <remarks>
/// <para>Safety: a decision is acted on only after its generation is written with a majority, and only while this node
/// sees a majority of voting members (workers and witnesses). The replicas do the fencing; the coordinator never
/// relies on the failure detector being right.</para>
/// <para>Decisions run one at a time: every handler is asynchronous and the actor takes its next message only when the
/// current one is done (each await is bounded by a timeout), so no two decisions interleave.</para>
/// <para>Split by concern: requests in <c>PlacementCoordinator.Commands.cs</c>, failover and re-protection in
/// <c>PlacementCoordinator.Failover.cs</c>, status in <c>PlacementCoordinator.Status.cs</c>.</para>
/// </remarks>
public sealed partial class PlacementCoordinator : ReceiveActor, IWithStash, IWithTimers
{
    /// <summary>The guest table's key in Distributed Data.</summary>
    public static readonly LWWDictionaryKey<string, GuestEntry> TableKey = new("ft-guest-table");

    private readonly CoordinatorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Dictionary<string, RegisterNode> _nodes = [];

    /// <summary>
    /// Nodes that failed a suspect ping, and when: treated as unreachable (no guest is placed there, none stays primary
    /// there) until they show life — a registration sent after the suspicion — or leave the cluster.
    /// </summary>
    private readonly Dictionary<string, DateTime> _suspects = [];
    private Dictionary<string, GuestEntry> _table = [];

    public PlacementCoordinator(CoordinatorSettings settings)
    {
        _settings = settings;
        Loading();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CoordinatorSettings settings) => Akka.Actor.Props.Create(() => new PlacementCoordinator(settings));

    private string SelfAddress => _cluster.SelfAddress.ToString();

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.IMemberEvent));
        Self.Tell(LoadTable.Instance);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>Until the table is read with a majority, the coordinator knows nothing and decides nothing.</summary>
    private void Loading()
    {
        ReceiveAsync<LoadTable>(async _ =>
        {
            try
            {
                var response = await _replicator.Ask<IGetResponse>(Dsl.Get(TableKey, new ReadMajority(_settings.MajorityTimeout)), _settings.MajorityTimeout + TimeSpan.FromSeconds(1));
                if (response.IsFound)
                {
                    _table = response.Get(TableKey).Entries.ToDictionary(kv => kv.Key, kv => kv.Value);
                }
                else if (response.IsFailure)
                {
                    throw new TimeoutException("no majority answered the read of the guest table");
                }
                _log.Info("coordinator on {0}: guest table read with a majority: {1} guest(s)", SelfAddress, _table.Count);
                Become(Active);
                Stash.UnstashAll();
                // Events can be missed while a decision runs or a majority is lacking: look at everything now and then.
                Timers.StartPeriodicTimer(nameof(Reconcile), Reconcile.Instance, TimeSpan.FromSeconds(2));
                Self.Tell(Reconcile.Instance);
            }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException)
            {
                _log.Warning("coordinator on {0}: cannot read the guest table with a majority yet ({1}); retrying", SelfAddress, e.Message);
                Timers.StartSingleTimer(nameof(LoadTable), LoadTable.Instance, TimeSpan.FromMilliseconds(500));
            }
        });
        Receive<RegisterNode>(OnRegister);
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Active()
    {
        Receive<RegisterNode>(r =>
        {
            bool restarted = _nodes.TryGetValue(r.Address, out var known) && !known.Agent.Equals(r.Agent);
            bool fresh = OnRegister(r);
            // Another agent at a known address: the node was restarted, and what its old incarnation ran is gone.
            if (restarted) Self.Tell(new IncarnationChanged(r.Address));
            if (fresh) Self.Tell(Reconcile.Instance);
        });
        ReceiveAsync<IncarnationChanged>(c => OnNodeLost(c.Address, "restarted (a new incarnation registered)"));
        ReceiveAsync<StartGuest>(OnStartGuest);
        ReceiveAsync<StopGuest>(OnStopGuest);
        ReceiveAsync<FailoverGuest>(OnFailoverGuest);
        Receive<GetClusterStatus>(OnStatus);
        ReceiveAsync<ClusterEvent.UnreachableMember>(u => OnNodeLost(u.Member.Address.ToString(), "unreachable", confirm: true));
        ReceiveAsync<CheckIndirect>(_ => OnCheckIndirect());
        ReceiveAsync<ClusterEvent.MemberRemoved>(r =>
        {
            var address = r.Member.Address.ToString();
            _suspects.Remove(address);
            // Its registration names actors of that incarnation: a node restarted on the same address registers anew,
            // and until it has, it is not a place for anything (a backup recruited through the old refs never answers).
            _nodes.Remove(address);
            return OnNodeLost(address, "removed from the cluster");
        });
        Receive<ClusterEvent.ReachableMember>(_ => Self.Tell(Reconcile.Instance));
        Receive<ClusterEvent.MemberUp>(_ => Self.Tell(Reconcile.Instance));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        ReceiveAsync<DataChannelLost>(OnDataChannelLost);
        ReceiveAsync<BackupSilent>(OnBackupSilent);
        ReceiveAsync<PrimaryStopped>(OnPrimaryStopped);
        ReceiveAsync<PrimaryStarted>(OnPrimaryStarted);
        ReceiveAsync<BackupRefused>(OnBackupRefused);
        ReceiveAsync<Reconcile>(_ => OnReconcile());
    }

    /// <summary>Returns whether the node is new to the coordinator.</summary>
    private bool OnRegister(RegisterNode r)
    {
        bool fresh = !_nodes.TryGetValue(r.Address, out var known) || !known.Agent.Equals(r.Agent);
        // A registration is sent every second: one arriving well after the suspicion was sent after it, by a live node.
        if (_suspects.TryGetValue(r.Address, out var since) && (fresh || DateTime.UtcNow - since > TimeSpan.FromSeconds(1.5)))
        {
            _suspects.Remove(r.Address);
            _log.Info("coordinator: node {0} shows life again ({1}); no longer suspected", r.Address, fresh ? "a new incarnation registered" : "it registered");
        }
        _nodes[r.Address] = r;
        r.Agent.Tell(new NodeRegistered(r.Address));
        if (fresh) _log.Info("coordinator: node {0} registered as {1} (ingress {2}, gateway {3})", r.Address, r.Role, r.Ingress, r.Gateway);
        return fresh;
    }

    /// <summary>
    /// Whether this node sees a majority of the voting members (every member that is up: workers and witnesses). A
    /// coordinator on the minority side of a partition sees at most half, and decides nothing.
    /// </summary>
    private bool HasMajority()
    {
        var state = _cluster.State;
        return PlacementDecisions.HasMajority([.. state.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.WeaklyUp)
            .Select(m => new Voter(m.Address.ToString(), !state.Unreachable.Contains(m)))]);
    }

    /// <summary>Registered workers that are up and reachable: where guests may go.</summary>
    private List<RegisterNode> EligibleWorkers()
    {
        var state = _cluster.State;
        var up = state.Members.Where(m => m.Status == MemberStatus.Up && !state.Unreachable.Contains(m)).Select(m => m.Address.ToString())
            .Where(a => !_suspects.ContainsKey(a)).ToHashSet();
        return [.. _nodes.Values.Where(n => n.Role == NodeRole.Worker && up.Contains(n.Address))];
    }

    private bool IsReachable(string address)
    {
        var state = _cluster.State;
        var member = state.Members.FirstOrDefault(m => m.Address.ToString() == address);
        return member is not null && member.Status == MemberStatus.Up && !state.Unreachable.Contains(member) && !_suspects.ContainsKey(address);
    }

    /// <summary>
    /// Writes a guest's row (or removes it, when <paramref name="entry"/> is null) with a majority; false if no majority
    /// acknowledged in time. A short first try, then one with the full timeout (placement.majority-first-timeout): Akka
    /// asks a random majority first and the others only after a fifth of the timeout, and right after a node dies that
    /// random pick may be the dead node.
    /// </summary>
    private async Task<bool> WriteMajority(string name, GuestEntry? entry)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var first = _settings.FirstTry;
        bool ok = await TryWriteMajority(name, entry, first) || (first < _settings.MajorityTimeout && await TryWriteMajority(name, entry, _settings.MajorityTimeout));
        if (!ok)
        {
            _log.Warning("guest {0}: the majority write of generation {1} failed; nothing is acted on", name, entry?.Generation);
            return false;
        }
        _log.Debug("guest {0}: generation {1} written with a majority in {2:0} ms", name, entry?.Generation, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (entry is null) _table.Remove(name);
        else _table[name] = entry;
        return true;
    }

    /// <summary>
    /// Reads a guest's row with a majority (short try, then the full timeout, as writes do); throws TimeoutException if no
    /// majority answered. The row is null if the guest is not in the table.
    /// </summary>
    private async Task<GuestEntry?> ReadMajority(string name)
    {
        foreach (var timeout in new[] { _settings.FirstTry, _settings.MajorityTimeout }.Distinct())
        {
            try
            {
                var response = await _replicator.Ask<IGetResponse>(Dsl.Get(TableKey, new ReadMajority(timeout)), timeout + TimeSpan.FromSeconds(1));
                if (response.IsFound) return response.Get(TableKey).TryGetValue(name, out var row) ? row : null;
                if (response is NotFound) return null;
            }
            catch (AskTimeoutException)
            {
                // Tried again with the full timeout, or reported below.
            }
        }
        throw new TimeoutException($"no majority answered a read of guest {name}'s row");
    }

    private async Task<bool> TryWriteMajority(string name, GuestEntry? entry, TimeSpan timeout)
    {
        var node = _cluster;
        var update = Dsl.Update(TableKey, LWWDictionary<string, GuestEntry>.Empty, new WriteMajority(timeout),
            map => entry is null ? map.Remove(node, name) : map.SetItem(node, name, entry));
        try
        {
            var response = await _replicator.Ask<IUpdateResponse>(update, timeout + TimeSpan.FromSeconds(1));
            if (response.IsSuccessful) return true;
            _log.Info("guest {0}: no majority acknowledged generation {1} within {2:0} ms ({3})", name, entry?.Generation, timeout.TotalMilliseconds, response.GetType().Name);
            return false;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }

    /// <summary>A node registered with a new agent at an address that had another: it was restarted.</summary>
    private sealed record IncarnationChanged(string Address);

    private sealed record LoadTable
    {
        public static readonly LoadTable Instance = new();
    }

    /// <summary>Looks for members that lost each other (<c>OnCheckIndirect</c>).</summary>
    private sealed record CheckIndirect
    {
        public static readonly CheckIndirect Instance = new();
    }

    /// <summary>Looks at every guest and repairs what it can: lost primaries, missing backups.</summary>
    private sealed record Reconcile
    {
        public static readonly Reconcile Instance = new();
    }
}
