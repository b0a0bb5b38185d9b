using System.Diagnostics;
using System.Text.Json;
using FaultTolerant.Cluster.Harness;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>A fault as it was carried out.</summary>
/// <param name="Nodes">The nodes it hit (for a partition: the side cut off, or the deaf end and the speaker of a one-way cut).</param>
/// <param name="HitPrimary">Whether the primary's node was killed, paused or cut off (a failover was to be expected).</param>
/// <param name="Injected">Stopwatch timestamps: when the fault began, when it was healed, when the guest was protected again.</param>
internal sealed record FaultRecord(
    PlannedFault Plan,
    string Description,
    IReadOnlyList<string> Nodes,
    bool HitPrimary,
    long Injected,
    long Healed,
    long Recovered,
    bool RecoveredInTime,
    ulong GenerationBefore,
    ulong GenerationAfter,
    string? PrimaryBefore,
    string? PrimaryAfter,
    IReadOnlyList<string> Notes);

/// <summary>
/// Carries out planned faults on a local cluster, one at a time: resolves the target against the current status, injects
/// the fault, holds it, heals it (restart, SIGCONT, flushing the iptables rules), then waits until every node is a
/// reachable member again and the guest is protected. Nodes that died meanwhile (a partitioned or paused node the split
/// brain resolver downed leaves the cluster) are restarted.
/// </summary>
internal sealed class Nemesis(LocalCluster cluster, Network? network, string guest, Action<string> say)
{
    /// <summary>How long a fault may take to heal and the guest to be protected again before the campaign gives up.</summary>
    public static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(90);

    /// <summary>How long a healed node that runs but is not an Up member may stay so before it is killed and restarted.</summary>
    private static readonly TimeSpan StrayLimit = TimeSpan.FromSeconds(15);

    /// <summary>How long the recovered state must hold unchanged before the next fault.</summary>
    private static readonly TimeSpan Steady = TimeSpan.FromMilliseconds(600);

    public async Task<FaultRecord> RunAsync(PlannedFault fault, CancellationToken cancellation)
    {
        var before = await StatusAsync();
        string? primaryAddress = LocalCluster.Primary(before, guest);
        var primary = primaryAddress is null ? null : cluster.Nodes.FirstOrDefault(n => n.AkkaAddress == primaryAddress);
        var backups = Backups(before).Select(a => cluster.Nodes.FirstOrDefault(n => n.AkkaAddress == a)).OfType<NodeProcess>().ToList();
        ulong generation = LocalCluster.Generation(before, guest);
        var notes = new List<string>();
        var (targets, description) = Resolve(fault, primary, backups);
        bool hitPrimary = primary is not null && targets.Contains(primary);

        say($"fault {fault.Number}: {description}");
        long injected = Stopwatch.GetTimestamp();
        switch (fault.Kind)
        {
            case FaultKind.Kill:
                foreach (var node in targets) node.Kill();
                break;
            case FaultKind.Pause:
                foreach (var node in targets) node.Pause();
                break;
            case FaultKind.Partition:
                Cut(fault, targets);
                break;
        }
        await Task.Delay(fault.Hold, cancellation);

        switch (fault.Kind)
        {
            case FaultKind.Kill:
                foreach (var node in targets) Restart(node);
                break;
            case FaultKind.Pause:
                foreach (var node in targets) Current(node).Resume();
                break;
            case FaultKind.Partition:
                network!.Heal();
                break;
        }
        long healed = Stopwatch.GetTimestamp();
        bool hitReplica = fault.Kind == FaultKind.Kill && targets.Any(t => t == primary || backups.Contains(t));
        var (after, recovered) = await Recover(fault.Describe(), hitReplica, generation, notes, cancellation);
        long recoveredAt = Stopwatch.GetTimestamp();
        var generationAfter = after is { } a ? LocalCluster.Generation(a, guest) : 0;
        var primaryAfter = after is { } s ? LocalCluster.Primary(s, guest) : null;
        string Name(string? address) => address is null ? "none" : cluster.Nodes.FirstOrDefault(n => n.AkkaAddress == address)?.Name ?? address;
        say(recovered
            ? $"fault {fault.Number}: healed; protected again {Stopwatch.GetElapsedTime(healed, recoveredAt).TotalSeconds:0.0} s later; generation {generation} -> {generationAfter}, primary {Name(primaryAddress)} -> {Name(primaryAfter)}"
            : $"fault {fault.Number}: NOT recovered within {RecoveryLimit.TotalSeconds:0} s of healing");
        return new FaultRecord(fault, description, [.. targets.Select(t => t.Name)], hitPrimary, injected, healed, recoveredAt, recovered,
            generation, generationAfter, Name(primaryAddress), Name(primaryAfter), notes);
    }

    /// <summary>After the last fault: heals whatever may be left (nothing, normally) and waits for the cluster to be whole.</summary>
    public async Task<(bool Recovered, IReadOnlyList<string> Notes)> FinalRecoveryAsync(CancellationToken cancellation)
    {
        network?.Heal();
        foreach (var node in cluster.Nodes.Where(n => n.Paused)) node.Resume();
        var notes = new List<string>();
        var (_, recovered) = await Recover("the last fault", hitReplica: false, 0, notes, cancellation);
        return (recovered, notes);
    }

    /// <summary>
    /// The cluster's status from the first node that answers within two seconds: nodes whose current incarnation has
    /// registered first (their path to the coordinator works); a node still joining would hold the request for the
    /// management endpoint's whole command timeout (20 s) before saying it cannot reach the coordinator.
    /// </summary>
    private async Task<JsonElement> StatusAsync()
    {
        Exception? last = null;
        foreach (var node in cluster.Nodes.Where(n => !n.Exited && !n.Paused).OrderBy(n => n.Registered ? 0 : 1).ThenBy(n => n.Spec.Role == "witness" ? 1 : 0).ToList())
        {
            using var client = cluster.Client(node);
            try
            {
                return await client.SendAsync(HttpMethod.Get, "v1/status").WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is Cli.ManagementException or TimeoutException)
            {
                last = e;
            }
        }
        throw new Cli.ManagementException($"no node answered the status in time ({last?.Message ?? "none runs"})", Cli.ManagementClient.Unreachable);
    }

    private string[] Backups(JsonElement status) =>
        LocalCluster.Guest(status, guest) is { } g ? [.. g.GetProperty("entry").GetProperty("backups").EnumerateArray().Select(b => b.GetString()!)] : [];

    private (List<NodeProcess> Targets, string Description) Resolve(PlannedFault fault, NodeProcess? primary, List<NodeProcess> backups)
    {
        var witness = cluster.Witness;
        var nodes = cluster.Nodes;
        NodeProcess Pick(IReadOnlyList<NodeProcess> candidates) => candidates[fault.Pick % candidates.Count];
        // Without a known primary (it should always be known here: faults start only once the guest is protected), hit a worker.
        primary ??= Pick([.. cluster.Workers]);
        var backup = backups.Count > 0 ? Pick(backups) : Pick([.. cluster.Workers.Where(w => w != primary)]);
        string Role(NodeProcess n) => n == primary ? "primary" : backups.Contains(n) ? "backup" : n == witness ? "witness" : "spare worker";
        switch (fault.Kind, fault.Target)
        {
            case (FaultKind.Partition, FaultTarget.Minority):
            {
                var order = new Random(fault.Pick);
                var minority = nodes.Select(n => (Node: n, Key: order.Next())).OrderBy(p => p.Key).Select(p => p.Node).Take((nodes.Count - 1) / 2).ToList();
                return (minority, $"partition: minority [{string.Join(", ", minority.Select(n => $"{n.Name} ({Role(n)})"))}] cut off from the rest for {fault.Hold.TotalSeconds:0.0} s");
            }
            case (FaultKind.Partition, _) when fault.OneWay:
            {
                var peer = Pick([.. nodes.Where(n => n != primary)]);
                return fault.IntoTarget
                    ? ([primary, peer], $"partition, one-way: {primary.Name} (primary) stops hearing {peer.Name} ({Role(peer)}) for {fault.Hold.TotalSeconds:0.0} s")
                    : ([peer, primary], $"partition, one-way: {peer.Name} ({Role(peer)}) stops hearing {primary.Name} (primary) for {fault.Hold.TotalSeconds:0.0} s");
            }
        }
        var target = fault.Target switch
        {
            FaultTarget.Primary => primary,
            FaultTarget.Backup => backup,
            _ => witness,
        };
        string verb = fault.Kind switch
        {
            FaultKind.Kill => $"SIGKILL {target.Name} ({Role(target)}), restart it after {fault.Hold.TotalSeconds:0.0} s",
            FaultKind.Pause => $"SIGSTOP {target.Name} ({Role(target)}) for {fault.Hold.TotalSeconds:0.0} s, then SIGCONT",
            _ => $"partition: {target.Name} ({Role(target)}) cut off from every other node for {fault.Hold.TotalSeconds:0.0} s",
        };
        return ([target], verb);
    }

    /// <summary>Partitions: <paramref name="targets"/> is the side cut off, or for a one-way cut [deaf, speaker].</summary>
    private void Cut(PlannedFault fault, List<NodeProcess> targets)
    {
        if (network is null) throw new InvalidOperationException("a partition needs the namespaces network");
        int Index(NodeProcess n) => cluster.Nodes.IndexOf(n);
        if (fault.OneWay) network.CutOneWay(speaker: Index(targets[1]), deaf: Index(targets[0]));
        else network.Isolate([.. targets.Select(Index)]);
    }

    /// <summary>The node's process as the cluster now has it (a restart replaces the object).</summary>
    private NodeProcess Current(NodeProcess node) => cluster.Nodes.First(n => n.Name == node.Name);

    private void Restart(NodeProcess node)
    {
        node = Current(node);
        if (node.Spec.Role == "witness")
        {
            // The witness is the seed: restarted with itself as its only seed it would form a cluster of its own.
            var through = cluster.Workers.FirstOrDefault(w => !w.Exited && !w.Paused) ?? throw new InvalidOperationException("no worker runs to rejoin through");
            cluster.Restart(node, through);
        }
        else
        {
            cluster.Restart(node);
        }
        say($"  restarted {node.Name}");
    }

    /// <summary>
    /// Until the cluster is whole again and has shown it for a while: every node's current process admitted to the
    /// cluster and (workers) registered with the coordinator (a restarted node's old incarnation had the same address,
    /// so the status alone cannot tell), every
    /// node an Up, reachable member, a majority, the guest protected — after a kill of its primary or a backup, under a
    /// generation above <paramref name="generation"/> (the coordinator has acted on the kill) — and all of that twice,
    /// a second apart, with nothing changed: a status taken just before the coordinator reacts would otherwise let the
    /// next fault hit a cluster that is about to lose its protection.
    /// </summary>
    private async Task<(JsonElement? Status, bool Recovered)> Recover(string after, bool hitReplica, ulong generation, List<string> notes, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var strays = new Dictionary<string, TimeSpan>();
        JsonElement? last = null;
        (string Row, TimeSpan At)? steady = null;
        string? waiting = "no status yet";
        var lastSaid = TimeSpan.Zero;
        while (clock.Elapsed < RecoveryLimit)
        {
            foreach (var node in cluster.Nodes.ToList().Where(n => n.Exited))
            {
                notes.Add($"{node.Name} had exited (downed by the split brain resolver?) and was restarted");
                say($"  {node.Name} exited; restarting it");
                Restart(node);
            }
            try
            {
                var status = await StatusAsync();
                last = status;
                var members = status.GetProperty("nodes").EnumerateArray()
                    .Where(n => n.GetProperty("status").GetString() == "Up" && n.GetProperty("reachable").GetBoolean())
                    .Select(n => n.GetProperty("address").GetString())
                    .ToHashSet();
                // Witnesses are not asked to be registered: a witness cannot register with a coordinator on another node
                // (its RegisterNode carries no replica host, which the cluster serializer refuses), and the coordinator
                // needs only its vote.
                waiting = !status.GetProperty("majority").GetBoolean() ? "the coordinator sees no majority"
                    : cluster.Nodes.FirstOrDefault(n => !members.Contains(n.AkkaAddress)) is { } absent ? $"{absent.Name} is not an Up, reachable member"
                    : cluster.Nodes.FirstOrDefault(n => !n.Joined) is { } outside ? $"{outside.Name} (pid {outside.Pid}) has not joined"
                    : cluster.Nodes.FirstOrDefault(n => !n.Registered && n.Spec.Role != "witness") is { } unregistered ? $"{unregistered.Name} (pid {unregistered.Pid}) has not registered"
                    : !LocalCluster.Protected(status, guest) ? $"the guest is not protected (phase {LocalCluster.Phase(status, guest)})"
                    : hitReplica && LocalCluster.Generation(status, guest) <= generation ? $"the coordinator has not acted yet (generation {generation})"
                    : null;
                if (waiting is null)
                {
                    var row = LocalCluster.Guest(status, guest)!.Value.GetProperty("entry").GetRawText();
                    if (steady is { } st && st.Row == row && clock.Elapsed - st.At >= Steady) return (status, true);
                    if (steady?.Row != row) steady = (row, clock.Elapsed);
                }
                else
                {
                    steady = null;
                }
                foreach (var node in cluster.Nodes.ToList().Where(n => !members.Contains(n.AkkaAddress)))
                {
                    var since = strays.TryGetValue(node.Name, out var s) ? s : strays[node.Name] = clock.Elapsed;
                    if (clock.Elapsed - since > StrayLimit)
                    {
                        notes.Add($"{node.Name} ran but was no Up member {StrayLimit.TotalSeconds:0} s after healing; killed and restarted");
                        say($"  {node.Name} is not an Up member; restarting it");
                        Restart(node);
                        strays.Remove(node.Name);
                    }
                }
            }
            catch (Exception e) when (e is Cli.ManagementException or KeyNotFoundException or InvalidOperationException)
            {
                waiting = $"no status: {e.Message}";
            }
            if (waiting is not null && clock.Elapsed - lastSaid > TimeSpan.FromSeconds(5))
            {
                say($"  waiting: {waiting}");
                lastSaid = clock.Elapsed;
            }
            await Task.Delay(200, cancellation);
        }
        notes.Add($"not recovered after {after}: {waiting}; last status: {last?.GetRawText() ?? "none"}");
        return (last, false);
    }
}
