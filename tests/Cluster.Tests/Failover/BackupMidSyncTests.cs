using System.Text.Json;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Harness;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// docs/FAILOVER.md case 4: a new backup dies during its initial sync (the pre-copy of the whole guest). The guest is
/// filled first with enough data that the sync takes a while; the primary is killed, so the backup is promoted; the
/// killed node is restarted, recruited as the new backup, and SIGKILLed again while it syncs. It must be dropped, and
/// once restarted again, protection must complete with nothing lost.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class BackupMidSyncTests(ITestOutputHelper output)
{
    /// <summary>128 MiB of values (the guest's memory limit is 1 GiB): a sync of seconds, not milliseconds.</summary>
    private const int FillKeys = 512, FillValueBytes = 256 << 10;

    [Fact]
    public async Task Backup_killed_during_its_initial_sync_is_dropped_and_after_its_restart_protection_completes()
    {
        await using var kv = await KvCluster.StartAsync(output, TimeSpan.FromSeconds(150));
        var before = await kv.StatusAsync();
        var (primary, backup) = kv.Placement(before);
        ulong generation = LocalCluster.Generation(before, KvCluster.Guest);
        await kv.Within(KvFill.FillAsync(kv.GatewayOf(backup), FillKeys, FillValueBytes, kv.Cancellation), "the fill");
        kv.Say($"filled: {FillKeys} values of {FillValueBytes >> 10} KiB");

        // Through the backup's node, which becomes the primary and stays up to the end.
        await using var load = kv.StartLoad(backup);
        await load.Progress(200, "before the primary's kill");
        primary.Kill();
        kv.Say($"SIGKILL {primary.Name}, the primary's node");
        await kv.WaitFor(s => LocalCluster.Primary(s, KvCluster.Guest) == backup.AkkaAddress && LocalCluster.Generation(s, KvCluster.Guest) > generation,
            $"{backup.Name} promoted at a generation above {generation}");
        await load.Progress(100, "after the failover");

        // The moment the primary starts the pre-copy to the restarted node is when it says it is re-protected by it; the
        // node is killed right then, on that log line (polling the status is too slow to catch a sync of a second or two).
        var syncing = backup.NextLine(l => l.Contains("guest kv generation", StringComparison.Ordinal) && l.Contains("-> Running (re-protected by", StringComparison.Ordinal));
        var restarted = kv.Cluster.Restart(primary);
        kv.Say($"{primary.Name} restarted; it is to be killed again as soon as it syncs as the backup");
        var started = await kv.Within(syncing, "the primary to start syncing the restarted node");
        restarted.Kill();
        kv.Say($"the primary: {started.Trim()}");
        var caught = await CatchSync(kv, primary.AkkaAddress);
        kv.Say($"SIGKILL {primary.Name} during its initial sync: generation {LocalCluster.Generation(caught, KvCluster.Guest)}, "
            + $"backups [{string.Join(", ", KvCluster.Backups(caught).Select(kv.NameOf))}], phase {LocalCluster.Phase(caught, KvCluster.Guest)}, "
            + $"primary's phase {KvCluster.PrimaryPhase(caught)}, committed epoch {KvCluster.CommittedEpoch(caught)} (the new backup has acknowledged nothing)");

        await kv.WaitFor(s => LocalCluster.Primary(s, KvCluster.Guest) == backup.AkkaAddress && !KvCluster.Backups(s).Contains(primary.AkkaAddress),
            $"the coordinator to drop the half-synced {primary.Name}");
        await load.Progress(100, "after the half-synced backup was dropped");

        kv.Cluster.Restart(primary);
        kv.Say($"{primary.Name} restarted again");
        await kv.WaitFor(s => LocalCluster.Protected(s, KvCluster.Guest) && KvCluster.Backups(s).SequenceEqual([primary.AkkaAddress])
            && LocalCluster.Primary(s, KvCluster.Guest) == backup.AkkaAddress,
            $"{primary.Name} to complete its sync and protect the guest", TimeSpan.FromSeconds(60));
        await load.Progress(200, "protected again");

        await load.StopAndVerifyAsync();
        int wrong = await kv.Within(KvFill.CountWrongAsync(kv.GatewayOf(backup), FillKeys, FillValueBytes, kv.Cancellation), "the fill's check");
        kv.Expect(wrong == 0, $"{wrong} of the {FillKeys} filled values are missing or of another length");
        kv.Passed();
    }

    /// <summary>
    /// After the kill: the status must show the node at <paramref name="node"/> as the guest's backup that acknowledged
    /// nothing — the primary runs with it in its commit gate (it answered the coordinator), committed epoch 0 — so the
    /// kill did come during the initial sync. Fails if the sync is seen complete: the fill is then too small.
    /// </summary>
    private static async Task<JsonElement> CatchSync(KvCluster kv, string node)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string last = "no status yet";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            JsonElement status;
            try
            {
                status = await kv.StatusAsync();
            }
            catch (ManagementException e)
            {
                last = e.Message;
                await kv.Within(Task.Delay(20, kv.Cancellation), "the initial sync");
                continue;
            }
            bool listed = KvCluster.Backups(status).Contains(node);
            if (listed && LocalCluster.Phase(status, KvCluster.Guest) == "running" && KvCluster.PrimaryPhase(status) == "Running" && KvCluster.CommittedEpoch(status) == 0)
            {
                return status;
            }
            kv.Expect(!(listed && LocalCluster.Protected(status, KvCluster.Guest)),
                $"the restarted node's initial sync completed before the test saw it under way: fill more (status: {status})");
            last = status.GetRawText();
            await kv.Within(Task.Delay(20, kv.Cancellation), "the initial sync");
        }
        throw new TimeoutException($"the restarted node was never seen syncing as the backup within 60 s; last status: {last}\n{kv.Evidence()}");
    }
}
