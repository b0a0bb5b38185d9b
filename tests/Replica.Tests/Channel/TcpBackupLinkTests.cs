using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>The primary's link on its own: connecting late, losing the backup, being disposed at any moment.</summary>
public sealed class TcpBackupLinkTests
{
    private const ulong Guest = 5;

    private static IPEndPoint FreeLoopbackEndpoint()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!;
    }

    [Fact]
    public async Task A_link_to_a_backup_that_is_not_there_keeps_trying_reports_nothing_lost_and_disposes_at_once()
    {
        var broken = new ConcurrentQueue<string>();
        var link = new TcpBackupLink("b", FreeLoopbackEndpoint(), Guest, "g", 1, "p", (_, r) => broken.Enqueue(r));
        var frames = new GuestFrames(Guest, "counter", "100");
        link.Send(frames.Next());
        await Task.Delay(300);
        Assert.False(link.IsConnected);
        Assert.Empty(broken); // nothing was lost: the checkpoint waits for the connection
        Assert.True(link.Statistics.QueuedBytes > 0, "the checkpoint should wait in the queue");
        Assert.Equal(0, link.Statistics.CheckpointsDropped);
        await Eventually.Within(link.DisposeAsync().AsTask(), "the link to stop", TimeSpan.FromSeconds(5));
        link.Send(frames.Next()); // after dispose: ignored, not thrown
    }

    [Fact]
    public async Task Checkpoints_sent_before_the_backup_listens_are_delivered_once_it_does()
    {
        var endpoint = FreeLoopbackEndpoint();
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var commits = new ConcurrentQueue<ulong>();
        await using var link = new TcpBackupLink("b", endpoint, Guest, "g", 1, "p",
            options: new TcpBackupLinkOptions { ReconnectMax = TimeSpan.FromMilliseconds(200) });
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        for (int i = 0; i < 3; i++) link.Send(frames.Next());
        await Task.Delay(150);

        await using var listener = new DataChannelListener(endpoint, (_, _) => backup, o =>
        {
            if (o.Outcome is AssemblyOutcome.Committed c) commits.Enqueue(c.Epoch);
        });
        listener.Start();

        await Eventually.True(() => commits.Count == 3, "all three checkpoints to commit");
        Assert.Equal([1UL, 2, 3], commits.ToArray());
        Assert.Equal(frames.HashAt[3], backup.CommittedHash());
        Assert.Equal(0, link.Statistics.Breaks);
    }

    [Fact]
    public async Task After_the_backup_restarts_deltas_are_held_back_until_a_full_checkpoint_and_the_link_asks_for_one()
    {
        var endpoint = FreeLoopbackEndpoint();
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var outcomes = new ConcurrentQueue<ChannelOutcome>();
        var broken = new ConcurrentQueue<string>();
        await using var link = new TcpBackupLink("b", endpoint, Guest, "g", 1, "p", (_, r) => broken.Enqueue(r),
            new TcpBackupLinkOptions { ReconnectMax = TimeSpan.FromMilliseconds(200) });
        var frames = new GuestFrames(Guest, "memstress", "64", "0");

        var first = new DataChannelListener(endpoint, (_, _) => backup, outcomes.Enqueue);
        first.Start();
        link.Send(frames.Next());
        await Eventually.True(() => backup.CommittedEpoch == 1, "the first checkpoint to commit");
        await first.DisposeAsync();
        await Eventually.True(() => !broken.IsEmpty, "the link to notice the backup went away");

        var restarted = new BackupReplica("b", TestGuests.RestoreFull); // a fresh process: nothing committed
        await using var second = new DataChannelListener(endpoint, (_, _) => restarted, outcomes.Enqueue);
        second.Start();
        await Eventually.True(() => link.IsConnected, "the link to reconnect");
        await Eventually.True(() => broken.Count >= 2, "the link to ask again for a full checkpoint on reconnecting");

        link.Send(frames.Next()); // a delta the restarted backup could not apply: the link drops it
        link.Send(frames.Next(full: true));
        link.Send(frames.Next());
        await Eventually.True(() => restarted.CommittedEpoch == 4, "the full checkpoint and the delta after it to commit");
        Assert.Equal(frames.HashAt[4], restarted.CommittedHash());
        Assert.DoesNotContain(outcomes, o => o.Outcome is AssemblyOutcome.ResyncNeeded && o.Peer.ConnectionId > 1 && o.Epoch == 2);
        Assert.True(link.Statistics.CheckpointsDropped >= 1);
    }

    [Fact]
    public async Task Disposing_a_link_between_checkpoints_ends_its_stream_cleanly()
    {
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var closed = new ConcurrentQueue<ChannelClosed>();
        await using var listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => backup, _ => { });
        listener.ConnectionClosed += closed.Enqueue;
        listener.Start();
        var broken = new ConcurrentQueue<string>();
        var link = new TcpBackupLink("b", listener.LocalEndpoint, Guest, "g", 1, "p", (_, r) => broken.Enqueue(r));
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        link.Send(frames.Next());
        await Eventually.True(() => backup.CommittedEpoch == 1, "the checkpoint to commit");

        await Eventually.Within(link.DisposeAsync().AsTask(), "the link to close");
        await Eventually.True(() => !closed.IsEmpty, "the listener to see the connection end");
        Assert.Equal("closed by the primary", Assert.Single(closed).Reason);
        Assert.Empty(broken);
        Assert.Equal(frames.HashAt[1], backup.CommittedHash());
    }

    [Fact]
    public async Task Disposing_a_link_in_the_middle_of_a_unit_finishes_it_first_and_the_backup_keeps_its_place()
    {
        var backup = new BackupReplica("b", TestGuests.RestoreFull);
        var closed = new ConcurrentQueue<ChannelClosed>();
        await using var listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => backup, _ => { });
        listener.ConnectionClosed += closed.Enqueue;
        listener.Start();
        await using var proxy = new FrameProxy(listener.LocalEndpoint, clientReceiveBuffer: 64 << 10);
        var link = new TcpBackupLink("b", proxy.LocalEndpoint, Guest, "g", 1, "p",
            options: new TcpBackupLinkOptions { SendBufferBytes = 64 << 10, DisposeDrainTimeout = TimeSpan.FromSeconds(10) });
        await Eventually.Within(link.WaitConnectedAsync(), "the link to connect");
        var frames = new GuestFrames(Guest, "memstress", "2048", "0");
        proxy.Pause();
        link.Send(frames.Next(instructions: 2_000_000)); // 8 MiB: far more than the socket buffers hold
        await Eventually.True(() => link.Statistics.QueuedBytes == 0, "the writer to take the unit");
        var disposing = link.DisposeAsync().AsTask();
        await Task.Delay(200);
        Assert.False(disposing.IsCompleted, "dispose should wait for the unit being written");
        proxy.Resume();

        await Eventually.Within(disposing, "the link to finish its unit and close");
        await Eventually.True(() => backup.CommittedEpoch == 1, "the backup to commit the unit written during dispose");
        Assert.Equal(frames.HashAt[1], backup.CommittedHash());
        await Eventually.True(() => !closed.IsEmpty, "the listener to see the stream end");
        Assert.Equal("closed by the primary", Assert.Single(closed).Reason);
    }
}

