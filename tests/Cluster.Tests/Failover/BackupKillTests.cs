using FaultTolerant.Cluster.Harness;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md case 3: the backup's process is SIGKILLed under load. The primary keeps its guest running, the
/// coordinator writes the next generation without the backup (unprotected), the primary releases what it held, and
/// the killed node, restarted, protects the guest again.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class BackupKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Backup_SIGKILLed_the_primary_runs_on_unprotected_at_the_next_generation_and_the_restarted_node_protects_it_again()
    {
        await using var kv = await KvCluster.StartAsync(output);
        var before = await kv.StatusAsync();
        var (primary, backup) = kv.Placement(before);
        ulong generation = LocalCluster.Generation(before, KvCluster.Guest);
        // Through the primary's node: the backup's gateway dies with it.
        await using var load = kv.StartLoad(primary);
        await load.Progress(300, "before the kill");

        backup.Kill();
        kv.Say($"SIGKILL {backup.Name}, the backup's node");
        var dropped = await kv.WaitFor(s => LocalCluster.Generation(s, KvCluster.Guest) > generation && KvCluster.Backups(s).Length == 0,
            $"the coordinator to drop {backup.Name}");
        kv.Expect(LocalCluster.Primary(dropped, KvCluster.Guest) == primary.AkkaAddress, $"the primary moved although only its backup died: {dropped}");
        kv.Expect(LocalCluster.Generation(dropped, KvCluster.Guest) == generation + 1, $"the backup was dropped at generation {LocalCluster.Generation(dropped, KvCluster.Guest)}, not {generation + 1}");
        kv.Expect(LocalCluster.Phase(dropped, KvCluster.Guest) == "unprotected", $"phase {LocalCluster.Phase(dropped, KvCluster.Guest)}, not unprotected, without a backup");
        await load.Progress(300, "with the guest unprotected");

        kv.Cluster.Restart(backup);
        kv.Say($"{backup.Name} restarted");
        await kv.WaitFor(s => LocalCluster.Protected(s, KvCluster.Guest) && KvCluster.Backups(s).SequenceEqual([backup.AkkaAddress])
            && LocalCluster.Primary(s, KvCluster.Guest) == primary.AkkaAddress,
            $"the restarted {backup.Name} to protect the guest again", TimeSpan.FromSeconds(60));
        await load.Progress(300, "protected again");

        await load.StopAndVerifyAsync();
        kv.Passed();
    }
}
