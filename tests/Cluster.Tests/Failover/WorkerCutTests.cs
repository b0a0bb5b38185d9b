using System.Text.RegularExpressions;
using FaultTolerant.Cluster.Harness;
using FaultTolerant.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md case 10 (RELIABILITY.md findings 6 and 7): the link between the two workers — the guest's primary
/// and its backup — is cut both ways (iptables in their namespaces) while the witness still reaches both. Each worker
/// marks the other unreachable, so the split brain resolver, left alone, downs both after <c>stable-after</c> (its
/// indirectly-connected rule) and the guest with them. The coordinator must down exactly one worker before that, keep
/// the guest running on the other, and the clients through the survivor's gateway must see a pause, not an error.
/// Once healed, the downed worker restarts and the guest is protected again.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed partial class WorkerCutTests(ITestOutputHelper output)
{
    /// <summary>The coordinator on the witness sees both workers answer its pings (finding 6).</summary>
    [NetnsFact]
    public async Task Workers_cut_from_each_other_with_the_coordinator_on_the_witness_one_is_downed_and_the_guest_keeps_serving()
    {
        await using var kv = await KvCluster.StartAsync(output, TimeSpan.FromSeconds(150), namespaces: true);
        var status = await kv.StatusAsync();
        kv.Expect(KvCluster.Coordinator(status) == kv.Cluster.Witness.AkkaAddress, $"the coordinator is not on the witness at the start: {status}");
        await CutAndCheck(kv, status, expectedToStay: kv.Placement(status).Primary);
    }

    /// <summary>
    /// The coordinator on one of the two workers cannot tell the other from a dead node by its own ping; a probe through
    /// the witness tells it that the other lives (finding 7). This is what failed the CI campaign before the probe.
    /// </summary>
    [NetnsFact]
    public async Task Workers_cut_from_each_other_with_the_coordinator_on_one_of_them_one_is_downed_and_the_guest_keeps_serving()
    {
        await using var kv = await KvCluster.StartAsync(output, TimeSpan.FromSeconds(180), namespaces: true);
        var before = await kv.StatusAsync();
        var (primary, _) = kv.Placement(before);
        var witness = kv.Cluster.Witness;
        // Every member must see the others Up before one is killed: a worker that still sees the other Joining counts
        // two members, one unreachable, and its resolver downs its own side (seen 3 s after the cluster formed).
        await Task.Delay(TimeSpan.FromSeconds(3), kv.Cancellation);
        // The coordinator is a singleton on the oldest member: with the witness gone and back, that is a worker.
        witness.Kill();
        kv.Say($"SIGKILL {witness.Name}, so that the coordinator moves to a worker");
        await kv.WaitFor(s => KvCluster.Coordinator(s) != witness.AkkaAddress && s.GetProperty("majority").GetBoolean() && !KvCluster.UpMembers(s).Contains(witness.AkkaAddress),
            "the coordinator to move to a worker once the witness is downed", TimeSpan.FromSeconds(60));
        kv.Cluster.Restart(witness, joinThrough: primary);
        var status = await kv.WaitFor(s => KvCluster.UpMembers(s).Length == 3 && s.GetProperty("majority").GetBoolean() && LocalCluster.Protected(s, KvCluster.Guest),
            "the witness to rejoin: three members up, the guest protected", TimeSpan.FromSeconds(60));
        var coordinator = kv.Cluster.ByAddress(KvCluster.Coordinator(status));
        kv.Expect(coordinator.Spec.Role == "worker", $"the coordinator is on {coordinator.Name}, not a worker");
        // The other worker fails the coordinator's ping: its primaries fail over (or its backup is dropped) first, so
        // the coordinator's node then hosts the guest and the other is the one downed.
        await CutAndCheck(kv, status, expectedToStay: coordinator);
    }

    /// <summary>
    /// The other side of the check: the coordinator's own node (the witness) cut off from both workers for 2.6 s, then
    /// healed. Its failure detector lags the heal, so for a moment both workers look unreachable yet answer its pings —
    /// which, taken alone, looks like two workers that lost each other (seed 5 of the record on efa993a downed the
    /// witness so). The workers reach each other, so the probes between them succeed and nobody may be downed. Whether
    /// a check lands in that moment depends on timing: this test can pass on code without the pairwise probe.
    /// </summary>
    [NetnsFact]
    public async Task The_coordinators_node_cut_off_briefly_and_healed_downs_nobody()
    {
        await using var kv = await KvCluster.StartAsync(output, TimeSpan.FromSeconds(120), namespaces: true);
        var status = await kv.StatusAsync();
        var witness = kv.Cluster.Witness;
        kv.Expect(KvCluster.Coordinator(status) == witness.AkkaAddress, $"the coordinator is not on the witness at the start: {status}");
        var (primary, _) = kv.Placement(status);
        await using var load = kv.StartLoad(primary);
        await load.Progress(300, "before the cut");

        kv.Network!.Isolate([kv.Cluster.Nodes.IndexOf(witness)]);
        kv.Say("witness (the coordinator's node) cut off from both workers");
        await Task.Delay(TimeSpan.FromSeconds(2.6), kv.Cancellation);
        kv.Network.Heal();
        kv.Say("healed");
        // Past the resolver's stable-after and a few of the coordinator's checks.
        await Task.Delay(TimeSpan.FromSeconds(8), kv.Cancellation);
        var after = await kv.WaitFor(s => KvCluster.UpMembers(s).Length == 3, "three members up and reachable", TimeSpan.FromSeconds(20));
        kv.Expect(kv.Cluster.Nodes.All(n => !n.Exited), "a node exited after the heal: something downed it");
        kv.Expect(!Downing().IsMatch(kv.LogOf(witness)), $"the coordinator downed a member after its own node's cut healed: {Downing().Match(kv.LogOf(witness)).Value}");
        kv.Expect(LocalCluster.Primary(after, KvCluster.Guest) == primary.AkkaAddress, $"the guest moved off {primary.Name}: {after}");
        await load.Progress(300, "after the heal");
        await load.StopAndVerifyAsync();
        kv.Passed();
    }

    private async Task CutAndCheck(KvCluster kv, System.Text.Json.JsonElement status, NodeProcess expectedToStay)
    {
        var network = kv.Network!;
        var workers = kv.Cluster.Workers.ToList();
        var other = workers.Single(w => w.Name != expectedToStay.Name);
        ulong generation = LocalCluster.Generation(status, KvCluster.Guest);
        kv.Say($"guest on {kv.NameOf(LocalCluster.Primary(status, KvCluster.Guest))}, coordinator on {kv.NameOf(KvCluster.Coordinator(status))}; {expectedToStay.Name} should stay");
        await using var load = kv.StartLoad(expectedToStay);
        await load.Progress(300, "before the cut");

        int a = kv.Cluster.Nodes.IndexOf(workers[0]), b = kv.Cluster.Nodes.IndexOf(workers[1]);
        network.Cut(a, b);
        kv.Say($"cut {workers[0].Name} <-> {workers[1].Name}; the witness reaches both");

        // The generation moves when the coordinator drops the downed node's backup or fails its primary over: after the
        // member is gone, so it is waited for too.
        var settled = await kv.WaitFor(s => LocalCluster.Primary(s, KvCluster.Guest) == expectedToStay.AkkaAddress
                && LocalCluster.Generation(s, KvCluster.Guest) > generation && Gone(s, other) && KvCluster.UpMembers(s).Contains(expectedToStay.AkkaAddress)
                && KvCluster.UpMembers(s).Contains(kv.Cluster.Witness.AkkaAddress) && s.GetProperty("majority").GetBoolean(),
            $"{other.Name} downed, the guest's primary on {expectedToStay.Name} at a generation above {generation}, the witness and {expectedToStay.Name} up with a majority",
            TimeSpan.FromSeconds(30));
        var downing = Downing().Match(kv.LogOf(kv.Cluster.ByAddress(KvCluster.Coordinator(settled))));
        kv.Expect(downing.Success && downing.Groups["down"].Value == other.AkkaAddress,
            $"the coordinator did not log downing {other.Name} ({(downing.Success ? downing.Value : "no such line")})");
        // Past the resolver's stable-after (4 s): it did not down the survivor or the witness too.
        await Task.Delay(TimeSpan.FromSeconds(6), kv.Cancellation);
        kv.Expect(!expectedToStay.Exited && !kv.Cluster.Witness.Exited, $"{expectedToStay.Name} or the witness exited: the resolver downed more than one member");
        await load.Progress(300, $"after the cut, with {other.Name} downed");

        network.Heal();
        await kv.Within(Task.Run(async () => { while (!other.Exited) await Task.Delay(100, kv.Cancellation); }), $"{other.Name}, downed, to exit");
        kv.Cluster.Restart(other);
        kv.Say($"healed; {other.Name} exited once downed and was restarted");
        await kv.WaitFor(s => KvCluster.UpMembers(s).Length == 3 && LocalCluster.Protected(s, KvCluster.Guest) && LocalCluster.Primary(s, KvCluster.Guest) == expectedToStay.AkkaAddress,
            $"{other.Name} back as the guest's backup", TimeSpan.FromSeconds(60));
        await load.Progress(300, "with the guest protected again");
        await load.StopAndVerifyAsync();
        kv.Passed();
    }

    /// <summary>Whether the node is downed or already removed (not merely unreachable).</summary>
    private static bool Gone(System.Text.Json.JsonElement status, NodeProcess node) =>
        !status.GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("address").GetString() == node.AkkaAddress
            && n.GetProperty("status").GetString() is "Up" or "Joining" or "WeaklyUp" or "Leaving");

    [GeneratedRegex(@"cannot reach one another [^\n]*Downing (?<down>akka\.tcp://\S+)")]
    private static partial Regex Downing();
}
