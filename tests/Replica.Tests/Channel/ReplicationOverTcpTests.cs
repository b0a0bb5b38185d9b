using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>A replicated guest over the real data channel: a clean channel delivers every frame, and acks drive releases.</summary>
[Collection(DataChannelCollection.Name)]
public sealed class ReplicationOverTcpTests
{
    [Fact]
    public async Task Every_frame_shipped_arrives_intact_and_in_order_and_the_backup_holds_the_primarys_state_at_every_ack()
    {
        await using var c = TcpCluster.Start("miniredis", ["--port", "6379"]);
        long conn = await c.Gateway.ConnectAsync(6379, Eventually.Patience);
        for (int i = 0; i < 40; i++)
        {
            // A reply leaves only once the backup acked its epoch: each one proves an ack came back over the owner's path.
            Assert.Equal("+OK", Resp.Call(c.Gateway, conn, "SET", $"key{i}", new string((char)('a' + i % 26), 100 + 37 * i)));
        }
        Assert.Equal(new string('h', 100 + 37 * 7), Resp.Call(c.Gateway, conn, "GET", "key7"));

        c.Primary.Stop();
        await Eventually.Within(c.Primary.Completion, "the primary to stop");
        // Its shipper sends what was captured before the stop; the backup commits all of it.
        await Eventually.True(() => c.CommittedHash.Count == c.Guest.HashAt.Count, "the backup to commit every epoch the primary captured");
        var shipped = c.Shipped.Frames.ToList();
        await Eventually.True(() => c.Received.Frames.Count(f => f.Type != FrameType.Hello) == shipped.Count,
            $"the backup to receive all {shipped.Count} frames shipped");

        var received = c.Received.Frames.Where(f => f.Type != FrameType.Hello).ToList();
        for (int i = 0; i < shipped.Count; i++)
        {
            Assert.True(shipped[i].Header == received[i].Header, $"frame {i}: shipped {shipped[i].Header}, received {received[i].Header}");
            Assert.True(shipped[i].Payload.Span.SequenceEqual(received[i].Payload.Span), $"frame {i} ({shipped[i].Type}, epoch {shipped[i].Epoch}): payload differs");
        }
        Assert.Single(c.Received.Frames, f => f.Type == FrameType.Hello);
        Assert.Empty(c.Resyncs);
        Assert.Empty(c.Broken);
        Assert.Equal(1, c.Link.Statistics.Connects);
        Assert.Equal(0, c.Link.Statistics.Breaks);

        // Every epoch the primary captured was committed, each with exactly the primary's state at that epoch.
        Assert.True(c.CommittedHash.Count >= 40, $"only {c.CommittedHash.Count} epochs committed");
        c.AssertBackupTrackedThePrimary();
        Assert.True(c.Primary.ReleasedEpoch <= c.Backup.CommittedEpoch);
    }

    [Fact]
    public async Task A_primary_whose_frames_the_backup_fences_stops_and_releases_nothing_more()
    {
        await using var c = TcpCluster.Start("miniredis", ["--port", "6379"]);
        long conn = await c.Gateway.ConnectAsync(6379, Eventually.Patience);
        Assert.Equal("+PONG", Resp.Call(c.Gateway, conn, "PING"));
        int releases = c.Gateway.Releases.Count;

        c.Backup.ObserveGeneration(2); // the coordinator moved on; this primary's generation 1 is stale
        c.Gateway.Send(conn, Resp.Command("SET", "lost", "1"));
        var end = await Eventually.Within(c.Primary.Completion, "the primary to learn it is fenced");

        Assert.Equal(PrimaryEndReason.Fenced, end.Reason);
        // Every reconnect of the stale link is fenced again at its Hello, until its owner disposes it.
        var fenced = c.Outcomes.Select(o => o.Outcome).OfType<AssemblyOutcome.Fenced>().ToList();
        Assert.NotEmpty(fenced);
        Assert.All(fenced, f => Assert.Equal(new AssemblyOutcome.Fenced(1, 2), f));
        Assert.Equal(releases, c.Gateway.Releases.Count);
        Assert.Single(Resp.Replies(c.Gateway.ReceivedSoFar(conn)));
        await Eventually.True(() => c.Closed.Any(x => x.Reason.StartsWith("fenced", StringComparison.Ordinal)), "the listener to close the fenced connection");
    }
}
