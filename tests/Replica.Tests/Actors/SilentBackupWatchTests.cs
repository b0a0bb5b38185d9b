using FaultTolerant.Replica.Actors;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>When a backup counts as silent: only while output waits on it, once per silence.</summary>
public sealed class SilentBackupWatchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_backup_that_acknowledges_nothing_while_output_waits_is_reported_once_after_the_timeout()
    {
        var watch = new SilentBackupWatch(Timeout);
        watch.Reset(["b1", "b2"], At(0));
        watch.Acked("b1", 3, At(1));
        watch.Acked("b2", 3, At(1));
        Assert.Empty(watch.Check(At(5.9), outputWaiting: true));
        watch.Acked("b1", 4, At(5.9));

        var silent = Assert.Single(watch.Check(At(6.1), outputWaiting: true));
        Assert.Equal(new SilentBackup("b2", 3, At(5.1)), silent);
        Assert.DoesNotContain(watch.Check(At(20), outputWaiting: true), s => s.BackupId == "b2");
    }

    [Fact]
    public void Silence_while_nothing_waits_is_not_held_against_a_backup()
    {
        var watch = new SilentBackupWatch(Timeout);
        watch.Reset(["b1"], At(0));
        Assert.Empty(watch.Check(At(60), outputWaiting: false));
        // Output starts waiting at 60 s: the backup has the whole timeout from then.
        Assert.Empty(watch.Check(At(64), outputWaiting: true));
        Assert.Single(watch.Check(At(65.5), outputWaiting: true));
    }

    [Fact]
    public void A_backup_reported_silent_is_reported_again_only_after_it_acknowledged_something()
    {
        var watch = new SilentBackupWatch(Timeout);
        watch.Reset(["b1"], At(0));
        Assert.Single(watch.Check(At(6), outputWaiting: true));
        watch.Acked("b1", 1, At(7));
        Assert.Empty(watch.Check(At(11), outputWaiting: true));
        Assert.Single(watch.Check(At(12.5), outputWaiting: true));
    }

    [Fact]
    public void Old_and_stale_acks_do_not_count_and_the_committed_epoch_is_the_slowest_backup_s()
    {
        var watch = new SilentBackupWatch(Timeout);
        watch.Reset(["b1", "b2"], At(0));
        Assert.Equal(0UL, watch.CommittedEpoch);
        watch.Acked("b1", 9, At(1));
        watch.Acked("b2", 7, At(1));
        watch.Acked("b2", 5, At(4)); // an older epoch is no progress
        watch.Acked("gone", 50, At(4)); // not a backup of this generation
        Assert.Equal(7UL, watch.CommittedEpoch);
        Assert.Contains(watch.Check(At(6.5), outputWaiting: true), s => s.BackupId == "b1");

        watch.Reset(["b3"], At(7));
        Assert.Equal(0UL, watch.CommittedEpoch);
        Assert.Equal(["b3"], watch.Backups);
    }
}
