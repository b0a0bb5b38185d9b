using System.Text.RegularExpressions;
using FaultTolerant.Cluster.Harness;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md case 2, the one where two primaries could exist: the primary's process is frozen (SIGSTOP) until
/// its backup has been promoted, then continued (SIGCONT). The old primary must learn of the higher generation, stop
/// its guest and release nothing past the epoch its backup was promoted from.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed partial class PrimaryPauseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Primary_SIGSTOPped_until_failed_over_is_fenced_after_SIGCONT_and_released_nothing_past_the_promotion()
    {
        await using var kv = await KvCluster.StartAsync(output);
        var before = await kv.StatusAsync();
        var (primary, backup) = kv.Placement(before);
        ulong generation = LocalCluster.Generation(before, KvCluster.Guest);
        // Through the node that is not frozen: the frozen node's gateway answers nobody while it is stopped.
        await using var load = kv.StartLoad(backup);
        await load.Progress(300, "before the freeze");

        primary.Pause();
        kv.Say($"SIGSTOP {primary.Name}, the primary's node");
        var failedOver = await kv.WaitFor(s => LocalCluster.Primary(s, KvCluster.Guest) == backup.AkkaAddress && LocalCluster.Generation(s, KvCluster.Guest) > generation,
            $"{backup.Name} promoted at a generation above {generation} while {primary.Name} is frozen");
        await load.Progress(100, "after the failover, with the old primary still frozen");
        primary.Resume();
        kv.Say($"SIGCONT {primary.Name}");

        // The old primary hears of the new generation (from the coordinator, or refused by its old backup) and stops.
        var fenced = await kv.WaitForLog(primary, Fenced(), "that it was fenced");
        var ended = await kv.WaitForLog(primary, EndedFenced(), "that its guest stopped, fenced");
        var promoted = await kv.WaitForLog(backup, Promoted(), "its promotion");
        ulong released = ulong.Parse(ended.Groups["released"].Value);
        ulong committed = ulong.Parse(promoted.Groups["epoch"].Value);
        kv.Expect(ulong.Parse(fenced.Groups["generation"].Value) == generation, $"{primary.Name} was fenced at another generation than {generation}: {fenced.Value}");
        kv.Expect(released <= committed,
            $"the old primary released up to epoch {released}, past epoch {committed}, which its backup was promoted from: output the new primary does not have reached clients");

        // One primary: the resumed node is taken back as the backup (its node refuses to back up a guest whose primary runs there).
        var reprotected = await kv.WaitFor(s => LocalCluster.Protected(s, KvCluster.Guest) && KvCluster.Backups(s).SequenceEqual([primary.AkkaAddress]),
            $"the resumed {primary.Name} to become the backup of {backup.Name}", TimeSpan.FromSeconds(60));
        kv.Expect(LocalCluster.Primary(reprotected, KvCluster.Guest) == backup.AkkaAddress
            && LocalCluster.Generation(reprotected, KvCluster.Guest) > LocalCluster.Generation(failedOver, KvCluster.Guest),
            $"not one primary at a higher generation: {reprotected}");
        kv.Expect(!primary.Exited, $"{primary.Name} exited after SIGCONT");
        await load.Progress(300, "with the resumed node as the backup");

        await load.StopAndVerifyAsync();
        kv.Passed();
    }

    [GeneratedRegex(@"guest kv generation (?<generation>\d+) epoch \d+: fenced: [^\n]*")]
    private static partial Regex Fenced();

    [GeneratedRegex(@"guest kv generation \d+ epoch \d+: primary \w+ -> Ended \(fenced by a higher generation; released up to epoch (?<released>\d+)\)")]
    private static partial Regex EndedFenced();

    [GeneratedRegex(@"guest kv generation \d+ epoch (?<epoch>\d+): backup -> promoted")]
    private static partial Regex Promoted();
}
