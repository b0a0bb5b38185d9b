using FaultTolerant.Cluster.Harness;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md cases 1 and 6: the primary's process is SIGKILLed under load; its backup is promoted, clients
/// connected through the backup's gateway keep their connections, and the killed node, restarted, rejoins and becomes
/// the new backup.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class PrimaryKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Primary_SIGKILLed_the_backup_takes_over_clients_keep_their_connections_and_the_restarted_node_becomes_the_backup()
    {
        await using var kv = await KvCluster.StartAsync(output);
        var before = await kv.StatusAsync();
        var (primary, backup) = kv.Placement(before);
        ulong generation = LocalCluster.Generation(before, KvCluster.Guest);
        await using var load = kv.StartLoad(backup);
        await load.Progress(300, "before the kill");

        primary.Kill();
        kv.Say($"SIGKILL {primary.Name}, the primary's node");
        var failedOver = await kv.WaitFor(s => LocalCluster.Primary(s, KvCluster.Guest) == backup.AkkaAddress && LocalCluster.Generation(s, KvCluster.Guest) > generation,
            $"{backup.Name} promoted at a generation above {generation}");
        await load.Progress(300, "after the failover, on the same connections");

        kv.Cluster.Restart(primary);
        kv.Say($"{primary.Name} restarted");
        var reprotected = await kv.WaitFor(s => LocalCluster.Protected(s, KvCluster.Guest) && KvCluster.Backups(s).SequenceEqual([primary.AkkaAddress]),
            $"the restarted {primary.Name} to become the backup", TimeSpan.FromSeconds(60));
        kv.Expect(LocalCluster.Primary(reprotected, KvCluster.Guest) == backup.AkkaAddress, $"the primary moved again during re-protection: {reprotected}");
        kv.Expect(LocalCluster.Generation(reprotected, KvCluster.Guest) > LocalCluster.Generation(failedOver, KvCluster.Guest), "re-protection did not take a new generation");
        await load.Progress(300, "with the restarted node as the backup");

        await load.StopAndVerifyAsync();
        kv.Passed();
    }
}
