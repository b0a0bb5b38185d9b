using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Primary;

/// <summary>The primary's edges: its guest ending mid-resync, connects after it stopped, a shipper that falls behind.</summary>
public sealed class PrimaryLifecycleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task A_guest_that_exits_while_its_backup_resyncs_still_gets_its_last_state_committed_and_released(int seed)
    {
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var link = new LoopbackLink(backup, seed) { DropPerMille = 300 };
        var gateway = new TestGateway();
        // Releasing output changes the guest after its last capture: compare with the hash recorded at each epoch.
        var guest = new FaultTolerant.Replica.Tests.Channel.RecordingGuest(TestGuests.Load("memstress", "300", "40"));
        var primary = new PrimaryReplica(guest, new PrimaryOptions("memstress", 1, 1), [link], gateway);
        link.Primary = primary;
        primary.Start();
        await Task.Delay(200);
        link.DropPerMille = 0;

        PrimaryEnd end;
        try
        {
            end = await primary.Completion.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the primary never finished: epoch {primary.Epoch}, released {primary.ReleasedEpoch}, backup committed {backup.CommittedEpoch}, " +
                        $"resyncs {link.Resyncs}, commits {link.Commits}, guest {guest.Status}");
            throw;
        }

        Assert.Equal(PrimaryEndReason.GuestEnded, end.Reason);
        Assert.IsType<GuestRunResult.Exited>(end.GuestResult);
        Assert.Equal(end.Epoch, end.ReleasedEpoch);
        Assert.Equal(end.Epoch, backup.CommittedEpoch);
        Assert.Equal(guest.HashAt[end.Epoch], backup.CommittedHash());
    }

    [Fact]
    public async Task A_connect_to_a_stopped_primary_is_refused_rather_left_waiting()
    {
        var primary = new PrimaryReplica(TestGuests.Load("miniredis", "--port", "6379"), new PrimaryOptions("miniredis", 1, 1), [], new TestGateway());
        primary.Start();
        primary.Stop();
        await primary.Completion.WaitAsync(Patience);
        var e = await Assert.ThrowsAsync<GuestConnectionRefusedException>(() => primary.ConnectAsync(6379).WaitAsync(Patience));
        Assert.Contains("stopped", e.Message);
    }

    [Fact]
    public async Task A_shipper_that_falls_behind_holds_the_guest_back_instead_of_queueing_without_bound()
    {
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var stalled = new StallingLink(new LoopbackLink(backup));
        var guest = TestGuests.Load("memstress", "2000", "0");
        var primary = new PrimaryReplica(guest, new PrimaryOptions("memstress", 1, 1) { ShipperBacklogBytes = 16L << 20 }, [stalled], new TestGateway());
        stalled.Inner.Primary = primary;
        primary.Start();
        await Task.Delay(500);
        long held = guest.InstructionsRetired;
        await Task.Delay(400);
        Assert.Equal(held, guest.InstructionsRetired);

        stalled.Release();
        var deadline = DateTime.UtcNow + Patience;
        while (guest.InstructionsRetired == held && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(guest.InstructionsRetired > held, "the guest should run again once the shipper catches up");
        primary.Stop();
        await primary.Completion.WaitAsync(Patience);
    }

    /// <summary>A link whose sends block (a stuck network write) until released.</summary>
    private sealed class StallingLink(LoopbackLink inner) : IBackupLink
    {
        private readonly ManualResetEventSlim _open = new(false);

        public LoopbackLink Inner { get; } = inner;

        public string BackupId => Inner.BackupId;

        public long QueuedBytes => 0;

        public void Send(EncodedCheckpoint checkpoint)
        {
            _open.Wait(TimeSpan.FromSeconds(30));
            Inner.Send(checkpoint);
        }

        public void Release() => _open.Set();
    }
}
