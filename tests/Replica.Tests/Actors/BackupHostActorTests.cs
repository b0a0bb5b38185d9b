using Akka.Actor;
using Akka.Configuration;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Serialization;
using FaultTolerant.Replica.Settings;
using FaultTolerant.Replica.Tests.Channel;
using FaultTolerant.Replica.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>What a backup node refuses: stale generations, a guest id under another's name, promotions it cannot make.</summary>
public sealed class BackupHostActorTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ReplicaActorSystem.Setup(ConfigurationFactory.ParseString("akka.loglevel = INFO")), "backup-host", output)
{
    private static readonly TimeSpan Patience = Eventually.Patience;

    private IActorRef Host() => Sys.ActorOf(BackupHostActor.Props(
        new BackupHostSetup("node-b", TestGuests.RestoreFull, new TestGatewayPort(new TestGateway()), ReplicaSettings.Create(Sys.Settings.Config))));

    [Fact(Timeout = 30_000)]
    public async Task A_backup_is_hosted_with_the_listener_s_endpoint_and_answers_its_status()
    {
        var host = Host();
        var primary = CreateTestProbe();
        host.Tell(new HostBackup("redis", 7, 3, primary));
        var ready = await primary.ExpectMsgAsync<BackupReady>(Patience);
        Assert.Equal(("redis", 3UL, "node-b", "127.0.0.1"), (ready.Guest, ready.Generation, ready.BackupId, ready.Host));
        Assert.InRange(ready.Port, 1, 65535);
        Assert.Equal(host, primary.LastSender);

        var status = await host.Ask<ReplicaStatus>(new GetReplicaStatus("redis", IncludeStateHash: true), Patience);
        Assert.Equal((ReplicaRole.Backup, 3UL, 0UL), (status.Role, status.Generation, status.CommittedEpoch));
        Assert.Null(status.StateHash);
        Assert.Equal(new NoReplica("other", "node-b"), await host.Ask<NoReplica>(new GetReplicaStatus("other"), Patience));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_stale_generation_or_another_guest_under_the_same_name_is_refused()
    {
        var host = Host();
        var primary = CreateTestProbe();
        host.Tell(new HostBackup("redis", 7, 3, primary));
        await primary.ExpectMsgAsync<BackupReady>(Patience);
        host.Tell(new GenerationAdvanced("redis", 5));

        host.Tell(new HostBackup("redis", 7, 4, primary));
        Assert.Contains("fenced", (await primary.ExpectMsgAsync<BackupRefused>(Patience)).Reason);
        host.Tell(new HostBackup("redis", 8, 6, primary));
        Assert.Contains("guest id 7", (await primary.ExpectMsgAsync<BackupRefused>(Patience)).Reason);

        // The same guest for a newer generation (re-protection) keeps the backup.
        host.Tell(new HostBackup("redis", 7, 6, primary));
        Assert.Equal(6UL, (await primary.ExpectMsgAsync<BackupReady>(Patience)).Generation);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_backup_with_nothing_committed_cannot_be_promoted()
    {
        var host = Host();
        var primary = CreateTestProbe();
        host.Tell(new HostBackup("redis", 7, 3, primary));
        await primary.ExpectMsgAsync<BackupReady>(Patience);

        var refused = await host.Ask<PromotionRefused>(new Promote("redis", 4), Patience);
        Assert.Contains("no committed state", refused.Reason);
        Assert.Contains("does not follow", (await host.Ask<PromotionRefused>(new Promote("redis", 3), Patience)).Reason);
        Assert.Contains("no backup", (await host.Ask<PromotionRefused>(new Promote("nobody", 4), Patience)).Reason);
    }
}
