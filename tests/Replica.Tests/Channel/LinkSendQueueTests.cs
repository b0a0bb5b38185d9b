using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>What a backup link keeps when the backup is slow or gone: a gap-free run from the last full checkpoint, within a bound.</summary>
public sealed class LinkSendQueueTests
{
    private static EncodedCheckpoint Checkpoint(ulong epoch, bool full, int pageBytes)
    {
        var begin = new CheckpointBeginPayload(full, epoch, full ? 0 : epoch - 1, 1 << 20, 1, [], new byte[16]).Encode();
        List<Frame> frames =
        [
            Frame.Create(FrameType.CheckpointBegin, 1, 1, epoch, begin),
            Frame.Create(FrameType.Pages, 1, 1, epoch, new byte[pageBytes]),
            Frame.Create(FrameType.CheckpointEnd, 1, 1, epoch, new CheckpointEndPayload(1, 0).Encode()),
        ];
        return new EncodedCheckpoint(frames, 1, pageBytes, pageBytes);
    }

    private static List<ulong> Drain(LinkSendQueue q)
    {
        var epochs = new List<ulong>();
        while (q.TryTake(out var c)) epochs.Add(c.Frames[0].Epoch);
        return epochs;
    }

    [Fact]
    public void Checkpoints_come_out_in_the_order_they_went_in_and_their_bytes_are_counted_as_on_the_wire()
    {
        var q = new LinkSendQueue(1 << 20);
        var first = Checkpoint(1, full: true, 1000);
        Assert.Equal(LinkOffer.QueuedRestart, q.Offer(first));
        Assert.Equal(LinkOffer.Queued, q.Offer(Checkpoint(2, full: false, 100)));
        Assert.Equal(LinkOffer.Queued, q.Offer(Checkpoint(3, full: false, 100)));
        Assert.Equal(LinkSendQueue.WireBytes(first) + 2 * LinkSendQueue.WireBytes(Checkpoint(2, false, 100)), q.WaitingBytes);
        Assert.Equal(3 * FrameHeader.Size + first.Frames.Sum(f => f.Payload.Length), LinkSendQueue.WireBytes(first));
        Assert.Equal([1UL, 2, 3], Drain(q));
        Assert.Equal(0, q.WaitingBytes);
        Assert.Equal(0, q.Dropped);
    }

    [Fact]
    public void A_full_checkpoint_replaces_every_checkpoint_still_waiting()
    {
        var q = new LinkSendQueue(1 << 20);
        q.Offer(Checkpoint(1, full: true, 100));
        q.Offer(Checkpoint(2, full: false, 100));
        Assert.Equal(LinkOffer.QueuedRestart, q.Offer(Checkpoint(3, full: true, 100)));
        q.Offer(Checkpoint(4, full: false, 100));
        Assert.Equal([3UL, 4], Drain(q));
        Assert.Equal(2, q.Dropped);
    }

    [Fact]
    public void Past_the_bound_everything_waiting_is_dropped_and_deltas_are_refused_until_a_full_checkpoint_comes()
    {
        var q = new LinkSendQueue(10_000);
        q.Offer(Checkpoint(1, full: false, 4000));
        q.Offer(Checkpoint(2, full: false, 4000));
        Assert.Equal(LinkOffer.Overflow, q.Offer(Checkpoint(3, full: false, 4000)));
        Assert.True(q.AwaitingRestart);
        Assert.Equal(0, q.WaitingCount);
        Assert.Equal(LinkOffer.DroppedAwaitingRestart, q.Offer(Checkpoint(4, full: false, 10)));
        Assert.Equal(LinkOffer.QueuedRestart, q.Offer(Checkpoint(5, full: true, 10)));
        Assert.False(q.AwaitingRestart);
        Assert.Equal(LinkOffer.Queued, q.Offer(Checkpoint(6, full: false, 10)));
        Assert.Equal([5UL, 6], Drain(q));
        Assert.Equal(4, q.Dropped);
    }

    [Fact]
    public void A_checkpoint_larger_than_the_bound_is_still_taken_when_no_delta_waits()
    {
        var q = new LinkSendQueue(1000);
        Assert.Equal(LinkOffer.QueuedRestart, q.Offer(Checkpoint(1, full: true, 50_000)));
        Assert.Equal(LinkOffer.Queued, q.Offer(Checkpoint(2, full: false, 20_000)));
        Assert.Equal(LinkOffer.Overflow, q.Offer(Checkpoint(3, full: false, 10)));
    }

    [Fact]
    public void A_full_checkpoint_waiting_does_not_count_against_the_bound_so_the_next_small_delta_does_not_throw_it_away()
    {
        var q = new LinkSendQueue(1000);
        q.Offer(Checkpoint(1, full: true, 1 << 20));
        for (ulong e = 2; e <= 5; e++) Assert.Equal(LinkOffer.Queued, q.Offer(Checkpoint(e, full: false, 10)));
        Assert.True(q.WaitingDeltaBytes < 1000);
        Assert.True(q.WaitingBytes > 1 << 20);
        Assert.Equal([1UL, 2, 3, 4, 5], Drain(q));
    }

    [Fact]
    public void When_continuity_is_lost_deltas_before_the_first_waiting_full_checkpoint_go_and_it_and_what_follows_stay()
    {
        var q = new LinkSendQueue(1 << 20);
        q.Offer(Checkpoint(1, full: false, 10));
        q.LoseContinuity(droppedInFlight: true);
        Assert.True(q.AwaitingRestart);
        Assert.Equal(2, q.Dropped);

        q.Offer(Checkpoint(2, full: true, 10));
        q.Offer(Checkpoint(3, full: false, 10));
        q.LoseContinuity();
        Assert.False(q.AwaitingRestart);
        Assert.Equal([2UL, 3], Drain(q));
    }

    private static EncodedCheckpoint Unit(FrameType type, ulong epoch, byte[] payload) => new([Frame.Create(type, 1, 1, epoch, payload)], 0, 0, 0);

    [Fact]
    public void Full_checkpoints_and_pre_copy_starts_are_restart_points_and_a_pre_copys_pages_and_end_are_its_image()
    {
        Assert.Equal(LinkItemKind.Restart, LinkSendQueue.Classify(Checkpoint(1, full: true, 1)));
        Assert.Equal(LinkItemKind.Restart, LinkSendQueue.Classify(Unit(FrameType.SyncBegin, 1, new SyncBeginPayload(100).Encode())));
        Assert.Equal(LinkItemKind.Image, LinkSendQueue.Classify(Unit(FrameType.Pages, 1, new byte[3])));
        Assert.Equal(LinkItemKind.Image, LinkSendQueue.Classify(Unit(FrameType.SyncEnd, 1, [])));
        Assert.Equal(LinkItemKind.Delta, LinkSendQueue.Classify(Checkpoint(2, full: false, 1)));
        Assert.Equal(LinkItemKind.Delta, LinkSendQueue.Classify(Unit(FrameType.CheckpointBegin, 2, [7, 2, 3])));
        Assert.Equal(LinkItemKind.Delta, LinkSendQueue.Classify(Unit(FrameType.CheckpointBegin, 2, [])));
        Assert.Equal(LinkItemKind.Delta, LinkSendQueue.Classify(new EncodedCheckpoint([], 0, 0, 0)));
    }

    [Fact]
    public void A_pre_copy_is_kept_whole_its_pages_do_not_count_against_the_bound_and_a_new_one_replaces_it()
    {
        var q = new LinkSendQueue(1000);
        q.Offer(Unit(FrameType.SyncBegin, 5, new SyncBeginPayload(100).Encode()));
        for (int i = 0; i < 10; i++) Assert.Equal(LinkOffer.Queued, q.Offer(Unit(FrameType.Pages, 5, new byte[4096])));
        Assert.Equal(LinkOffer.Queued, q.Offer(Checkpoint(6, full: false, 500)));
        Assert.Equal(LinkOffer.Queued, q.Offer(Unit(FrameType.SyncEnd, 5, [])));
        Assert.Equal(0, q.Dropped);
        Assert.True(q.WaitingBytes > 40_000);

        Assert.Equal(LinkOffer.QueuedRestart, q.Offer(Unit(FrameType.SyncBegin, 9, new SyncBeginPayload(100).Encode())));
        Assert.Equal(13, q.Dropped);
        Assert.Equal([9UL], Drain(q));
    }

    [Fact]
    public void After_continuity_is_lost_a_pre_copys_remaining_pages_are_dropped_until_the_next_one_starts()
    {
        var q = new LinkSendQueue(1 << 20);
        q.Offer(Unit(FrameType.SyncBegin, 5, new SyncBeginPayload(100).Encode()));
        Assert.True(q.TryTake(out _));
        q.LoseContinuity(droppedInFlight: true);
        Assert.Equal(LinkOffer.DroppedAwaitingRestart, q.Offer(Unit(FrameType.Pages, 5, new byte[10])));
        Assert.Equal(LinkOffer.DroppedAwaitingRestart, q.Offer(Unit(FrameType.SyncEnd, 5, [])));
        Assert.Equal(LinkOffer.QueuedRestart, q.Offer(Unit(FrameType.SyncBegin, 7, new SyncBeginPayload(100).Encode())));
        Assert.Equal(LinkOffer.Queued, q.Offer(Unit(FrameType.Pages, 7, new byte[10])));
        Assert.Equal([7UL, 7], Drain(q));
    }
}
