using FaultTolerant.Cluster.Harness;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md case 5: the witness — the coordinator's node — is SIGKILLed. The guest's replication does not need
/// the coordinator, so it keeps serving; the split brain resolver downs the witness, the coordinator singleton starts on
/// a worker; the witness, restarted, rejoins. No worker is killed here: with the witness gone two members remain, and
/// losing one of them would leave no majority.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class WitnessKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Witness_SIGKILLed_the_guest_keeps_serving_the_coordinator_moves_to_a_worker_and_the_restarted_witness_rejoins()
    {
        await using var kv = await KvCluster.StartAsync(output);
        var before = await kv.StatusAsync();
        var (primary, backup) = kv.Placement(before);
        var witness = kv.Cluster.Witness;
        ulong generation = LocalCluster.Generation(before, KvCluster.Guest);
        kv.Expect(KvCluster.Coordinator(before) == witness.AkkaAddress, $"the coordinator is not on the witness at the start: {before}");
        await using var load = kv.StartLoad(backup);
        await load.Progress(300, "before the witness's kill");

        witness.Kill();
        kv.Say($"SIGKILL {witness.Name}, the coordinator's node");
        await load.Progress(300, "right after the witness's kill, with no coordinator");
        var moved = await kv.WaitFor(s => KvCluster.Coordinator(s) != witness.AkkaAddress && s.GetProperty("majority").GetBoolean()
            && !KvCluster.UpMembers(s).Contains(witness.AkkaAddress),
            "the coordinator to move to a worker once the witness is downed", TimeSpan.FromSeconds(60));
        kv.Expect(kv.Cluster.Workers.Any(w => w.AkkaAddress == KvCluster.Coordinator(moved)), $"the coordinator is on {KvCluster.Coordinator(moved)}, not a worker");
        kv.Expect(LocalCluster.Protected(moved, KvCluster.Guest) && LocalCluster.Primary(moved, KvCluster.Guest) == primary.AkkaAddress
            && LocalCluster.Generation(moved, KvCluster.Guest) == generation,
            $"the guest did not stay as it was (primary {primary.Name}, generation {generation}, protected) while the coordinator moved: {moved}");
        await load.Progress(300, "with the coordinator on a worker");

        // The witness was the seed: restarted with only itself to join, it would form a cluster of its own.
        kv.Cluster.Restart(witness, joinThrough: primary);
        kv.Say($"{witness.Name} restarted, joining through {primary.Name}");
        var rejoined = await kv.WaitFor(s => KvCluster.UpMembers(s).Length == 3 && KvCluster.UpMembers(s).Contains(witness.AkkaAddress)
            && s.GetProperty("majority").GetBoolean() && LocalCluster.Protected(s, KvCluster.Guest),
            "the witness to rejoin: three members up, the guest protected", TimeSpan.FromSeconds(60));
        kv.Expect(LocalCluster.Primary(rejoined, KvCluster.Guest) == primary.AkkaAddress && LocalCluster.Generation(rejoined, KvCluster.Guest) == generation,
            $"the guest moved or changed generation when the witness rejoined: {rejoined}");
        await load.Progress(300, "after the witness rejoined");

        await load.StopAndVerifyAsync();
        kv.Passed();
    }
}
