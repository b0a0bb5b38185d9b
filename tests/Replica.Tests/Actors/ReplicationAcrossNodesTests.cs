using Akka.Actor;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Channel;
using Xunit.Abstractions;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>
/// miniredis replicated from a primary node to a backup node, each its own actor system: control over Akka
/// remoting, checkpoints over the TCP data channel. Acks drive releases (O), the backup holds the primary's state at
/// an acknowledged epoch (A), a higher generation fences the primary (F), and a promoted backup loses no
/// acknowledged write.
/// </summary>
[Collection(DataChannelCollection.Name)]
public sealed class ReplicationAcrossNodesTests(ITestOutputHelper output) : TwoNodeTestKit(output)
{
    [Fact(Timeout = 30_000)]
    public async Task Acks_cross_the_nodes_so_releases_advance_and_clients_get_their_replies()
    {
        var (primary, _) = await StartPrimaryAsync();
        long conn = await Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Resp.Call(Gateway, conn, "PING"));
        for (int i = 0; i < 10; i++) Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", $"k{i}", $"v{i}"));
        Assert.Equal("v3", Resp.Call(Gateway, conn, "GET", "k3"));

        var status = await StatusAsync(primary);
        Assert.Equal((ReplicaRole.Primary, nameof(PrimaryPhase.Running), 1UL), (status.Role, status.Phase, status.Generation));
        Assert.Equal(new[] { BackupNode }, status.Backups);
        Assert.True(status.ReleasedEpoch > 0, "nothing was released");
        Assert.True(status.ReleasedEpoch <= status.CommittedEpoch, $"released {status.ReleasedEpoch} beyond what the backup acknowledged ({status.CommittedEpoch})");

        // Asked over remoting, the backup node has committed at least everything released.
        var backup = await StatusAsync(RemoteBackupHost);
        Assert.Equal((ReplicaRole.Backup, 1UL), (backup.Role, backup.Generation));
        Assert.True(backup.CommittedEpoch >= status.ReleasedEpoch, $"backup committed {backup.CommittedEpoch}, primary released {status.ReleasedEpoch}");
        Assert.All(Gateway.Releases, r => Assert.True(r.Epoch <= backup.CommittedEpoch));

        primary.Tell(new StopPrimary(GuestName));
        var stopped = await Observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience);
        Assert.Equal(PrimaryEndReason.Stopped, stopped.End);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_backup_s_committed_state_is_the_primary_s_state_at_the_epoch_it_acknowledged()
    {
        var (primary, guest) = await StartPrimaryAsync();
        long conn = await Gateway.ConnectAsync(6379, Patience);
        for (int i = 0; i < 20; i++) Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", $"key{i}", new string('x', 200 + 50 * i)));

        // Stop the primary first, so the state stops moving; the backup commits what was already shipped.
        primary.Tell(new StopPrimary(GuestName));
        var stopped = await Observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience);
        Assert.Equal(PrimaryEndReason.Stopped, stopped.End);

        var backup = await StatusUntilAsync(BackupHost, s => s.CommittedEpoch == (ulong)guest.HashAt.Count, "the backup to commit every epoch the primary captured", hash: true);
        Assert.True(backup.CommittedEpoch >= stopped.ReleasedEpoch, $"backup committed {backup.CommittedEpoch}, primary released {stopped.ReleasedEpoch}");
        Assert.NotNull(backup.StateHash);
        Assert.Equal(guest.HashAt[backup.CommittedEpoch].ToString("x32"), backup.StateHash);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_primary_is_fenced_once_the_backup_node_learns_of_a_higher_generation_and_releases_nothing_more()
    {
        var (primary, _) = await StartPrimaryAsync();
        Watch(primary);
        long conn = await Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Resp.Call(Gateway, conn, "PING"));
        await StatusUntilAsync(primary, s => s.ReleasedEpoch == s.Epoch, "the primary to release everything it holds");
        int releases = Gateway.Releases.Count;

        // The coordinator wrote generation 2 and told the backup node: from now on it refuses generation 1.
        BackupHost.Tell(new GenerationAdvanced(GuestName, 2));
        Assert.Equal(2UL, (await StatusAsync(BackupHost)).Generation);

        Gateway.Send(conn, Resp.Command("SET", "lost", "1"));
        var stopped = await Observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience);
        Assert.Equal(PrimaryEndReason.Fenced, stopped.End);
        await ExpectTerminatedAsync(primary, Patience);

        Assert.Equal(releases, Gateway.Releases.Count);
        Assert.Single(Resp.Replies(Gateway.ReceivedSoFar(conn)));
        // Its gateway registration is released: gateways stop waiting on it and follow the guest table.
        Assert.Equal([1UL], Port.Detached.ToArray());
    }

    [Fact(Timeout = 30_000)]
    public async Task After_an_abrupt_primary_stop_the_promoted_backup_serves_every_acknowledged_write()
    {
        var (primary, _) = await StartPrimaryAsync();
        long conn = await Gateway.ConnectAsync(6379, Patience);
        const int Acknowledged = 40;
        const int InFlight = 5;
        for (int i = 0; i < Acknowledged; i++)
        {
            Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", $"key{i}", $"value{i}"));
            Assert.Equal($":{i + 1}", Resp.Call(Gateway, conn, "INCR", "writes"));
        }
        // Writes in flight when the primary dies: sent, never answered.
        for (int i = Acknowledged; i < Acknowledged + InFlight; i++) Gateway.Send(conn, Resp.Command("SET", $"key{i}", $"value{i}"));

        // Abrupt: the replica stops releasing at once; the actor systems stay up (Terminate would be a graceful leave).
        primary.Tell(new StopPrimary(GuestName));
        var stopped = await Observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience);
        Assert.Equal(PrimaryEndReason.Stopped, stopped.End);

        // The coordinator's part: generation 2, with the backup node as primary, told over remoting.
        var promoted = await RemoteBackupHost.Ask<Promoted>(new Promote(GuestName, 2), Patience);
        Assert.Equal(2UL, promoted.Generation);
        Assert.True(promoted.CommittedEpoch >= stopped.ReleasedEpoch, $"promoted at {promoted.CommittedEpoch}, below the released {stopped.ReleasedEpoch}");
        await Eventually.Within(Port.WhenAttached(2), "the gateway to fail over to the promoted primary");

        // The writes in flight are replayed to the new primary and answered exactly once, whether or not the old one
        // had committed them: the client sees one reply per command, no gap, no duplicate.
        const int ExpectedReplies = 2 * Acknowledged + InFlight;
        Assert.True(Gateway.WaitFor(conn, d => Resp.Replies(d).Count >= ExpectedReplies, Patience), "the writes in flight were never answered");
        await Task.Delay(200); // a duplicate would follow close behind
        var replies = Resp.Replies(Gateway.ReceivedSoFar(conn));
        Assert.Equal(ExpectedReplies, replies.Count);
        Assert.All(replies.Skip(2 * Acknowledged), r => Assert.Equal("+OK", r));

        for (int i = 0; i < Acknowledged + InFlight; i++) Assert.Equal($"value{i}", Resp.Call(Gateway, conn, "GET", $"key{i}"));
        // Replayed input applies exactly once: the counter continues from the last acknowledged INCR.
        Assert.Equal($":{Acknowledged + 1}", Resp.Call(Gateway, conn, "INCR", "writes"));

        var status = await StatusAsync(RemoteBackupHost);
        Assert.Equal((ReplicaRole.Primary, nameof(PrimaryPhase.Running), 2UL), (status.Role, status.Phase, status.Generation));
        Assert.Empty(status.Backups);

        Watch(promoted.Primary);
        promoted.Primary.Tell(new StopPrimary(GuestName));
        await ExpectTerminatedAsync(promoted.Primary, Patience);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_new_generation_re_protects_the_running_primary_and_one_without_backups_leaves_it_unprotected()
    {
        var (primary, _) = await StartPrimaryAsync();
        long conn = await Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", "a", "1"));

        // Re-protection: the backup node is asked again for generation 2. It refuses generation 1 from then on,
        // which must not fence the primary that asked; the primary switches over and acks of 2 drive releases.
        primary.Tell(new GenerationChanged(GuestName, 2, [RemoteBackupHost]));
        var reprotected = await Observer.FishForMessageAsync<PrimaryStarted>(m => m.Generation == 2, Patience);
        Assert.Equal(new[] { BackupNode }, reprotected.Backups);
        Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", "b", "2"));
        var status = await StatusAsync(primary);
        Assert.Equal((2UL, nameof(PrimaryPhase.Running)), (status.Generation, status.Phase));
        var backup = await StatusUntilAsync(BackupHost, s => s.CommittedEpoch >= status.ReleasedEpoch, "the backup to commit what generation 2 released");
        Assert.Equal(2UL, backup.Generation);

        // Backup lost: generation 3 has no backups, and the primary goes on alone, releasing at once.
        primary.Tell(new GenerationChanged(GuestName, 3, []));
        Assert.Empty((await Observer.FishForMessageAsync<PrimaryStarted>(m => m.Generation == 3, Patience)).Backups);
        BackupHost.Tell(new DropBackup(GuestName, 3));
        Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", "c", "3"));
        Assert.Equal("1", Resp.Call(Gateway, conn, "GET", "a"));
        Assert.Equal("2", Resp.Call(Gateway, conn, "GET", "b"));
        Assert.IsType<NoReplica>(await BackupHost.Ask<object>(new GetReplicaStatus(GuestName), Patience));

        primary.Tell(new StopPrimary(GuestName));
        Assert.Equal(PrimaryEndReason.Stopped, (await Observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience)).End);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_promotion_to_a_generation_that_does_not_follow_is_refused_and_the_primary_keeps_running()
    {
        var (primary, _) = await StartPrimaryAsync();
        long conn = await Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Resp.Call(Gateway, conn, "PING"));

        var refused = await RemoteBackupHost.Ask<PromotionRefused>(new Promote(GuestName, 1), Patience);
        Assert.Contains("does not follow", refused.Reason);
        var unknown = await RemoteBackupHost.Ask<PromotionRefused>(new Promote("nobody", 2), Patience);
        Assert.Contains("no backup", unknown.Reason);

        Assert.Equal("+OK", Resp.Call(Gateway, conn, "SET", "still", "here"));
        primary.Tell(new StopPrimary(GuestName));
        await Observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience);
    }
}
