using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Primary;

/// <summary>Iterative pre-copy: a backup brought up while the guest keeps running and dirtying memory.</summary>
public sealed class PrecopyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task WaitUntil(Func<bool> condition, string what) => await WaitUntil(condition, () => what);

    private static async Task WaitUntil(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what()}");
            await Task.Delay(10);
        }
    }

    [Theory]
    [InlineData("memstress", new[] { "3000", "0" }, false)]
    [InlineData("compute", new[] { "400" }, false)]
    [InlineData("memstress", new[] { "500", "0" }, true)]
    public async Task A_backup_that_joins_late_reaches_exactly_the_state_of_one_in_sync_from_the_start(string program, string[] args, bool withFiles)
    {
        // A file the guest never touches again: deltas leave its contents out, yet the late backup must have them.
        var files = withFiles ? new Dictionary<string, byte[]> { ["/data/config.bin"] = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray() } : null;
        var early = new BackupReplica("early", TestGuests.RestoreFull);
        var late = new BackupReplica("late", TestGuests.RestoreFull);
        var earlyLink = new LoopbackLink(early);
        var lateLink = new LoopbackLink(late);
        var recording = new FaultTolerant.Replica.Tests.Channel.RecordingGuest(TestGuests.LoadWithFiles(program, files, args));
        var primary = new PrimaryReplica(recording, new PrimaryOptions(program, 1, 1), [earlyLink], new TestGateway());
        earlyLink.Primary = primary;
        lateLink.Primary = primary;
        primary.Start();
        await WaitUntil(() => early.CommittedEpoch >= 5, "the first backup is in sync");

        primary.GenerationChanged(2, stillPrimary: true, [earlyLink, lateLink]);
        await WaitUntil(() => late.CommittedEpoch > 0, () => $"the late backup completes its pre-copy (resyncs asked: {lateLink.Resyncs})");
        ulong joined = late.CommittedEpoch;
        await WaitUntil(() => primary.ReleasedEpoch >= joined + 3,
            () => $"both backups ack a few more epochs (joined at {joined}; now early {early.CommittedEpoch}, late {late.CommittedEpoch}, late resyncs {lateLink.Resyncs}, released {primary.ReleasedEpoch}, epoch {primary.Epoch})");

        primary.Stop();
        var end = await primary.Completion.WaitAsync(Patience);
        // Each backup's epoch is read once: reading one twice let a commit land between the reads, and the test then
        // compared a backup at the last epoch with one still applying it (the flake this journal was added to find).
        await WaitUntil(() => early.CommittedEpoch >= end.Epoch && late.CommittedEpoch >= end.Epoch, "every shipped epoch is applied");

        var waited = DateTime.UtcNow;
        if (early.CommittedHash() != late.CommittedHash())
        {
            var journals = $" wait ended {waited:HH:mm:ss.ffff}; early's journal: [{string.Join(" | ", earlyLink.Journal.TakeLast(12))}]; late's journal: [{string.Join(" | ", lateLink.Journal.TakeLast(25))}]";
            var truth = recording.HashAt[end.Epoch];
            var matches = recording.HashAt.Where(kv => kv.Value == late.CommittedHash()).Select(kv => kv.Key).ToList();
            var earlyMatches = recording.HashAt.Where(kv => kv.Value == early.CommittedHash()).Select(kv => kv.Key).ToList();
            Assert.Fail($"at epoch {end.Epoch} (late joined at {joined}): early {(early.CommittedHash() == truth ? "right" : "WRONG")} (equals the primary at epochs [{string.Join(",", earlyMatches)}]), " +
                        $"late {(late.CommittedHash() == truth ? "right" : "WRONG")} (equals the primary at epochs [{string.Join(",", matches)}]); " + Difference(early.Promote(3), late.Promote(3)) + journals);
        }
        Assert.Equal(1, primary.FullCaptures);
    }

    /// <summary>Where two guests' states differ: the machine section, or which pages.</summary>
    private static string Difference(FaultTolerant.Guest.IGuest a, FaultTolerant.Guest.IGuest b)
    {
        var ca = a.Checkpoint(full: true);
        var cb = b.Checkpoint(full: true);
        var notes = new List<string>();
        if (!ca.Machine.Span.SequenceEqual(cb.Machine.Span)) notes.Add($"machine sections differ ({ca.Machine.Length} vs {cb.Machine.Length} bytes)");
        var pa = ca.Pages.ToDictionary(p => p.Number);
        var pb = cb.Pages.ToDictionary(p => p.Number);
        var onlyA = pa.Keys.Except(pb.Keys).ToList();
        var onlyB = pb.Keys.Except(pa.Keys).ToList();
        var differ = pa.Keys.Intersect(pb.Keys).Where(v => pa[v].Permissions != pb[v].Permissions || !pa[v].Data.Span.SequenceEqual(pb[v].Data.Span)).ToList();
        notes.Add($"pages only in the early backup: {onlyA.Count} [{string.Join(",", onlyA.Take(5).Select(v => $"0x{v:x}"))}]");
        notes.Add($"pages only in the late backup: {onlyB.Count} [{string.Join(",", onlyB.Take(5).Select(v => $"0x{v:x}"))}]");
        notes.Add($"pages that differ: {differ.Count} [{string.Join(",", differ.Take(5).Select(v => $"0x{v:x}"))}]");
        return "the two backups differ: " + string.Join("; ", notes);
    }

    [Fact]
    public async Task A_backup_that_loses_frames_is_resynced_by_pre_copy_not_by_a_full_capture()
    {
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var link = new LoopbackLink(backup, seed: 4);
        var primary = new PrimaryReplica(TestGuests.Load("memstress", "2000", "0"), new PrimaryOptions("memstress", 1, 1), [link], new TestGateway());
        link.Primary = primary;
        primary.Start();
        await WaitUntil(() => backup.CommittedEpoch >= 3, "the backup is in sync");
        link.DropPerMille = 200;
        await WaitUntil(() => link.Resyncs > 0, "a lost frame forces a resync");
        link.DropPerMille = 0;
        ulong lost = backup.CommittedEpoch;
        await WaitUntil(() => backup.CommittedEpoch > lost + 3, "the resynced backup commits again");
        Assert.Equal(1, primary.FullCaptures);
        primary.Stop();
        await primary.Completion.WaitAsync(Patience);
    }
}
