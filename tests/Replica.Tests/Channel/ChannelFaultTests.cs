using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>
/// The network misbehaves between a running primary and its backup (memstress dirtying every page, epoch after
/// epoch): a bit flips, the connection is cut inside a checkpoint, the backup stops reading. Each time both ends
/// notice, the backup never commits what it did not wholly get, and after a resync (a pre-copy) it holds the
/// primary's state again.
/// </summary>
[Collection(DataChannelCollection.Name)]
public sealed class ChannelFaultTests
{
    [Fact]
    public async Task A_bit_flipped_in_transit_is_caught_and_after_a_resync_the_backup_converges_on_the_primary()
    {
        await using var c = TcpCluster.Start("memstress", ["512", "0"], viaProxy: true);
        await c.Until(c => c.Commits.Count() >= 3, "three epochs committed through the proxy");

        var corrupted = await Eventually.Within(c.Proxy!.CorruptNext(FrameType.Pages), "a Pages frame to corrupt");

        await c.Until(c => c.Resyncs.Any(r => r.Reason.Contains("checksum", StringComparison.Ordinal)), "the backup to report the corrupted frame");
        await c.Until(c => c.Closed.Any(x => x.Reason.Contains("checksum", StringComparison.Ordinal)), "the listener to close the connection that carried it");
        await c.Until(c => !c.Broken.IsEmpty, "the link to report its connection broken");
        await c.Until(c => c.Proxy!.Connections >= 2, "the link to reconnect");
        await c.Until(c => c.LastCommittedEpoch >= corrupted.Epoch + 3, $"commits to resume after epoch {corrupted.Epoch}");

        Assert.DoesNotContain(corrupted.Epoch, c.CommittedHash.Keys);
        c.AssertBackupTrackedThePrimary();
    }

    [Fact]
    public async Task A_connection_cut_inside_a_checkpoint_breaks_both_ends_and_the_backup_converges_after_reconnecting()
    {
        await using var c = TcpCluster.Start("memstress", ["512", "0"], viaProxy: true);
        await c.Until(c => c.Commits.Count() >= 3, "three epochs committed through the proxy");

        var cut = await Eventually.Within(c.Proxy!.CutInside(FrameType.Pages), "a Pages frame to cut");

        await c.Until(c => c.Received.BrokenReasons.Any(r => r.Contains("inside a frame", StringComparison.Ordinal)),
            "the backup to hear that its stream ended inside a frame");
        await c.Until(c => c.Resyncs.Any(), "the listener to report the backup's resync");
        await c.Until(c => !c.Broken.IsEmpty, "the link to report its connection broken");
        await c.Until(c => c.Proxy!.Connections >= 2 && c.Link.IsConnected, "the link to reconnect");
        await c.Until(c => c.LastCommittedEpoch >= cut.Epoch + 3, $"commits to resume after epoch {cut.Epoch}");

        Assert.DoesNotContain(cut.Epoch, c.CommittedHash.Keys);
        Assert.True(c.Link.Statistics.Breaks >= 1);
        c.AssertBackupTrackedThePrimary();
    }

    [Fact]
    public async Task A_backup_that_stops_reading_costs_the_primary_a_bounded_queue_not_unbounded_memory()
    {
        const long bound = 4 << 20;
        var options = new TcpBackupLinkOptions { MaxQueuedBytes = bound, SendBufferBytes = 64 << 10 };
        await using var c = TcpCluster.Start("memstress", ["512", "0"], viaProxy: true, options, proxyReceiveBuffer: 64 << 10);
        await c.Until(c => c.Commits.Count() >= 3, "three epochs committed through the proxy");

        c.Proxy!.Pause();
        await c.Until(c => c.Broken.Any(r => r.Contains("queued", StringComparison.Ordinal)), "the link to give up on its queue");
        // Deltas waiting stay under the bound; what else it holds is at most the unit being written and one image.
        for (int i = 0; i < 20; i++)
        {
            Assert.True(c.Link.Statistics.QueuedBytes <= bound + (20 << 20), $"{c.Link.Statistics.QueuedBytes} bytes queued");
            await Task.Delay(10);
        }
        ulong before = c.LastCommittedEpoch;
        c.Proxy.Resume();

        await c.Until(c => c.LastCommittedEpoch >= before + 3, $"commits to resume after epoch {before}");
        Assert.True(c.Link.Statistics.CheckpointsDropped > 0);
        c.AssertBackupTrackedThePrimary();
    }

    [Fact]
    public async Task A_write_that_stalls_gives_up_its_connection_and_after_the_network_moves_again_the_backup_converges()
    {
        // The proxy's stall also holds every reconnect, and on resuming it delivers what those dead connections had
        // buffered, in any order: the listener must let the newest connection win and the backup must refuse stale frames.
        var options = new TcpBackupLinkOptions { WriteStallTimeout = TimeSpan.FromMilliseconds(300), SendBufferBytes = 64 << 10 };
        await using var c = TcpCluster.Start("memstress", ["512", "0"], viaProxy: true, options, proxyReceiveBuffer: 64 << 10);
        await c.Until(c => c.Commits.Count() >= 3, "three epochs committed through the proxy");

        c.Proxy!.Pause();
        await c.Until(c => c.Broken.Any(r => r.Contains("no progress", StringComparison.Ordinal)), "the link to give up on its stalled connection");
        await c.Until(c => c.Proxy!.Connections >= 2, "the link to reconnect");
        ulong before = c.LastCommittedEpoch;
        c.Proxy.Resume();

        await c.Until(c => c.LastCommittedEpoch >= before + 3, $"commits to resume after epoch {before}");
        c.AssertBackupTrackedThePrimary();
    }
}
