using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Channel;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Primary;

/// <summary>A replicated miniredis: output commit (O), fencing (F), and failover with no acknowledged write lost.</summary>
public sealed class PrimaryReplicaTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private sealed class Cluster
    {
        public Cluster(int seed = 0)
        {
            Backup = new BackupReplica("b1", TestGuests.RestoreFull);
            Link = new LoopbackLink(Backup, seed);
            var guest = TestGuests.Load("miniredis", "--port", "6379");
            Primary = new PrimaryReplica(guest, new PrimaryOptions("miniredis", 1, 1), [Link], Gateway);
            Link.Primary = Primary;
            Gateway.Primary = Primary;
            Primary.Start();
        }

        public BackupReplica Backup { get; }

        public LoopbackLink Link { get; }

        public PrimaryReplica Primary { get; }

        public TestGateway Gateway { get; } = new();
    }

    private static byte[] Command(params string[] args) => Resp.Command(args);

    private static List<string> Replies(byte[] data) => Resp.Replies(data);

    private static string Call(TestGateway gateway, long connection, params string[] args) => Resp.Call(gateway, connection, args);

    [Fact]
    public async Task No_output_leaves_while_the_backup_has_not_acknowledged_and_all_of_it_once_it_has()
    {
        var c = new Cluster();
        long conn = await c.Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Call(c.Gateway, conn, "PING"));

        c.Link.WithholdAcks = true;
        c.Gateway.Send(conn, Command("SET", "held", "value"));
        Assert.False(c.Gateway.WaitFor(conn, d => Replies(d).Count > 1, TimeSpan.FromMilliseconds(400)), "output left before its epoch was acknowledged");
        int commitsWhileHeld = c.Link.Commits;
        Assert.True(commitsWhileHeld > 0, "the backup should have committed while its acks were withheld");

        c.Link.WithholdAcks = false;
        Assert.True(c.Gateway.WaitFor(conn, d => Replies(d).Count > 1, Patience), "the held reply never came after the acks resumed");
        Assert.Equal("+OK", Replies(c.Gateway.ReceivedSoFar(conn))[1]);
        Assert.Equal("value", Call(c.Gateway, conn, "GET", "held"));

        // Released bytes are exactly committed ones: every release is of an epoch the backup committed.
        Assert.All(c.Gateway.Releases, r => Assert.True(r.Epoch <= c.Backup.CommittedEpoch));
        c.Primary.Stop();
        await c.Primary.Completion;
    }

    [Fact]
    public async Task A_primary_told_of_a_higher_generation_stops_and_releases_nothing_more()
    {
        var c = new Cluster();
        long conn = await c.Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Call(c.Gateway, conn, "PING"));
        int releases = c.Gateway.Releases.Count;

        c.Backup.ObserveGeneration(2); // the coordinator promoted someone else; the backup now refuses generation 1
        c.Gateway.Send(conn, Command("SET", "lost", "1"));
        var end = await c.Primary.Completion.WaitAsync(Patience);

        Assert.Equal(PrimaryEndReason.Fenced, end.Reason);
        Assert.Equal(releases, c.Gateway.Releases.Count);
        Assert.Single(Replies(c.Gateway.ReceivedSoFar(conn)));
    }

    [Theory]
    [InlineData(1, 0, 0)]
    [InlineData(2, 20, 10)]
    [InlineData(3, 50, 30)]
    public async Task After_an_abrupt_primary_stop_the_promoted_backup_has_every_acknowledged_write(int seed, int dropPerMille, int corruptPerMille)
    {
        var c = new Cluster(seed);
        c.Link.DropPerMille = dropPerMille;
        c.Link.CorruptPerMille = corruptPerMille;
        long conn = await c.Gateway.ConnectAsync(6379, Patience);
        var random = new Random(seed);
        int acknowledged = 0;
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal("+OK", Call(c.Gateway, conn, "SET", $"key{i}", $"value{i}"));
            Assert.Equal($":{i + 1}", Call(c.Gateway, conn, "INCR", "writes"));
            acknowledged++;
        }
        // Writes in flight when the primary dies: sent, never answered.
        int inFlight = random.Next(1, 8);
        for (int i = 60; i < 60 + inFlight; i++) c.Gateway.Send(conn, Command("SET", $"key{i}", $"value{i}"));
        c.Link.DropPerMille = 0;
        c.Link.CorruptPerMille = 0;
        c.Primary.Stop();
        Assert.Equal(PrimaryEndReason.Stopped, (await c.Primary.Completion.WaitAsync(Patience)).Reason);

        var promoted = c.Backup.Promote(2);
        var next = new PrimaryReplica(promoted, new PrimaryOptions("miniredis", 1, 2), [], c.Gateway);
        c.Gateway.Failover(next, promoted.Connections);
        next.Start();

        // The replayed in-flight writes are answered once each, before anything sent after the failover.
        int expected = 2 * acknowledged + inFlight;
        Assert.True(c.Gateway.WaitFor(conn, d => Replies(d).Count >= expected, Patience), "the replayed writes were not all answered");
        Assert.Equal(expected, Replies(c.Gateway.ReceivedSoFar(conn)).Count);
        for (int i = 0; i < acknowledged + inFlight; i++) Assert.Equal($"value{i}", Call(c.Gateway, conn, "GET", $"key{i}"));
        // Replayed input applies exactly once: the counter continues from the last acknowledged INCR.
        Assert.Equal($":{acknowledged + 1}", Call(c.Gateway, conn, "INCR", "writes"));
        next.Stop();
        await next.Completion;
    }

    [Fact]
    public async Task The_backup_tracks_the_primary_through_resyncs_on_a_lossy_channel()
    {
        var c = new Cluster(seed: 9);
        c.Link.DropPerMille = 100;
        c.Link.CorruptPerMille = 50;
        long conn = await c.Gateway.ConnectAsync(6379, Patience);
        for (int i = 0; i < 30; i++) Assert.Equal("+OK", Call(c.Gateway, conn, "SET", $"k{i}", new string('x', 500 + i)));
        Assert.True(c.Link.Resyncs > 0, "the lossy channel should have forced resyncs");
        c.Link.DropPerMille = 0;
        c.Link.CorruptPerMille = 0;
        Assert.Equal("+OK", Call(c.Gateway, conn, "SET", "final", "1"));
        c.Primary.Stop();
        await c.Primary.Completion;
        var promoted = c.Backup.Promote(2);
        Assert.Contains(promoted.Connections, i => i.Id == conn);
        Assert.Equal(GuestStatus.Runnable, promoted.Status);
    }
}
