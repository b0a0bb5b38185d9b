using FaultTolerant.Cluster.Harness;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md case 7: a planned switchover (<c>POST /v1/guests/kv/failover</c>, what <c>ft guest failover</c>
/// sends) with every node up. The backup becomes the primary at a higher generation, clients through its gateway see no
/// error, and the old primary — fenced, its guest stopped — is taken back as the backup without a restart.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class SwitchoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Planned_switchover_promotes_the_backup_and_the_old_primary_becomes_its_backup_without_a_restart()
    {
        await using var kv = await KvCluster.StartAsync(output);
        var before = await kv.StatusAsync();
        var (primary, backup) = kv.Placement(before);
        ulong generation = LocalCluster.Generation(before, KvCluster.Guest);
        int oldPrimaryPid = primary.Pid;
        await using var load = kv.StartLoad(backup);
        await load.Progress(300, "before the switchover");

        using (var client = kv.Cluster.Client())
        {
            var answer = await kv.Within(client.SendAsync(HttpMethod.Post, $"v1/guests/{KvCluster.Guest}/failover"), "the switchover's answer");
            kv.Say($"switchover: {answer.GetProperty("message").GetString()}");
            kv.Expect(answer.GetProperty("ok").GetBoolean(), $"the switchover was refused: {answer}");
        }
        await kv.WaitFor(s => LocalCluster.Primary(s, KvCluster.Guest) == backup.AkkaAddress && LocalCluster.Generation(s, KvCluster.Guest) > generation,
            $"{backup.Name} to be the primary at a generation above {generation}");
        await load.Progress(300, "after the switchover, on the same connections");

        var reprotected = await kv.WaitFor(s => LocalCluster.Protected(s, KvCluster.Guest) && KvCluster.Backups(s).SequenceEqual([primary.AkkaAddress]),
            $"the old primary {primary.Name} to become the backup", TimeSpan.FromSeconds(60));
        // The switchover wrote generation+1 (the backup as primary, no backup); re-protection writes the next one.
        kv.Expect(LocalCluster.Primary(reprotected, KvCluster.Guest) == backup.AkkaAddress && LocalCluster.Generation(reprotected, KvCluster.Guest) > generation + 1,
            $"re-protection moved the primary or took no generation of its own: {reprotected}");
        kv.Expect(!primary.Exited && primary.Pid == oldPrimaryPid && kv.Cluster.Nodes.Contains(primary), $"{primary.Name} was restarted or exited: the old primary should be taken back as it runs");
        await load.Progress(300, "with the old primary as the backup");

        await load.StopAndVerifyAsync();
        kv.Passed();
    }
}
