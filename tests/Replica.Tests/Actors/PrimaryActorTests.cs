using System.Net;
using Akka.Actor;
using Akka.Configuration;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Serialization;
using FaultTolerant.Replica.Settings;
using FaultTolerant.Replica.Tests.Channel;
using FaultTolerant.Replica.Tests.Support;
using FaultTolerant.Replica.Wire;
using Xunit.Abstractions;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>A primary whose backups do not come, say no, or never acknowledge: it never releases unprotected output.</summary>
[Collection(DataChannelCollection.Name)]
public sealed class PrimaryActorTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ReplicaActorSystem.Setup(ConfigurationFactory.ParseString(Hocon)), "primary-actor", output)
{
    private const string Hocon = """
        akka.loglevel = INFO
        ft.replica { recruit-timeout = 300ms, ack-timeout = 500ms }
        """;

    private static readonly TimeSpan Patience = Eventually.Patience;

    private readonly TestGatewayPort _port = new(new TestGateway());

    private IActorRef StartPrimary(IActorRef backupHost, Akka.TestKit.TestProbe observer)
    {
        var settings = ReplicaSettings.Create(Sys.Settings.Config);
        var guest = TestGuests.Load("miniredis", "--port", "6379");
        return Sys.ActorOf(PrimaryActor.Props(new PrimaryActorSetup("miniredis", 7, 1, guest, [backupHost], _port, settings, observer)));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_primary_whose_backup_node_never_answers_gives_up_without_running_the_guest()
    {
        var host = CreateTestProbe();
        var observer = CreateTestProbe();
        var primary = StartPrimary(host, observer);
        Watch(primary);

        var ask = await host.ExpectMsgAsync<HostBackup>(Patience);
        Assert.Equal(("miniredis", 7UL, 1UL, primary), (ask.Guest, ask.GuestId, ask.Generation, ask.Primary));
        // The observer (which chose the backup) hears which backup never answered, then that the primary stopped.
        var silent = await observer.ExpectMsgAsync<BackupRefused>(Patience);
        Assert.Equal((1UL, host.Ref.Path.Address.ToString()), (silent.Generation, silent.BackupId));
        Assert.Contains("no answer", silent.Reason);
        var stopped = await observer.ExpectMsgAsync<PrimaryStopped>(Patience);
        Assert.Null(stopped.End);
        Assert.Contains("no answer", stopped.Reason);
        await ExpectTerminatedAsync(primary, Patience);
        Assert.False(_port.WhenAttached(1).IsCompleted, "the guest was started with a backup missing from its gate");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_refusing_backup_node_stops_the_primary_before_it_runs_and_the_observer_hears_why()
    {
        var host = CreateTestProbe();
        var observer = CreateTestProbe();
        var primary = StartPrimary(host, observer);
        await host.ExpectMsgAsync<HostBackup>(Patience);
        host.Reply(new BackupRefused("miniredis", 1, "node-b", "generation 1 is fenced"));

        var refused = await observer.ExpectMsgAsync<BackupRefused>(Patience);
        Assert.Equal("node-b", refused.BackupId);
        var stopped = await observer.ExpectMsgAsync<PrimaryStopped>(Patience);
        Assert.Contains("generation 1 is fenced", stopped.Reason);
        Assert.False(_port.WhenAttached(1).IsCompleted);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_backup_that_never_acknowledges_holds_every_reply_and_is_reported_silent()
    {
        var mute = new MuteReceiver();
        await using var listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => mute, _ => { });
        listener.Start();
        var host = CreateTestProbe();
        var observer = CreateTestProbe();
        var primary = StartPrimary(host, observer);
        await host.ExpectMsgAsync<HostBackup>(Patience);
        host.Reply(new BackupReady("miniredis", 1, "mute", "127.0.0.1", listener.LocalEndpoint.Port));
        var started = await observer.ExpectMsgAsync<PrimaryStarted>(Patience);
        Assert.Equal(["mute"], started.Backups);
        await Eventually.Within(_port.WhenAttached(1), "the gateway to be attached");

        long conn = await _port.Gateway.ConnectAsync(6379, Patience);
        _port.Gateway.Send(conn, Resp.Command("PING"));
        var silent = await observer.ExpectMsgAsync<BackupSilent>(Patience);
        Assert.Equal(("mute", 0UL), (silent.BackupId, silent.AckedEpoch));
        Assert.True(silent.Silence >= TimeSpan.FromMilliseconds(500));
        Assert.True(mute.Frames > 0, "the backup never received a frame");
        Assert.Empty(_port.Gateway.ReceivedSoFar(conn));
        Assert.Empty(_port.Gateway.Releases);

        primary.Tell(new StopPrimary("miniredis"));
        Assert.Equal(FaultTolerant.Replica.Primary.PrimaryEndReason.Stopped, (await observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience)).End);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_primary_with_no_backups_runs_unprotected_and_releases_at_once()
    {
        var observer = CreateTestProbe();
        var settings = ReplicaSettings.Create(Sys.Settings.Config);
        var primary = Sys.ActorOf(PrimaryActor.Props(new PrimaryActorSetup("miniredis", 7, 1, TestGuests.Load("miniredis", "--port", "6379"), [], _port, settings, observer)));
        Assert.Empty((await observer.ExpectMsgAsync<PrimaryStarted>(Patience)).Backups);
        await Eventually.Within(_port.WhenAttached(1), "the gateway to be attached");
        long conn = await _port.Gateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Resp.Call(_port.Gateway, conn, "PING"));
        var status = await primary.Ask<ReplicaStatus>(new GetReplicaStatus("miniredis"), Patience);
        Assert.Equal((nameof(PrimaryPhase.Running), 0), (status.Phase, status.Backups.Length));
        primary.Tell(new StopPrimary("miniredis"));
        await observer.FishForMessageAsync<PrimaryStopped>(_ => true, Patience);
    }

    /// <summary>A backup that takes every frame and never commits one.</summary>
    private sealed class MuteReceiver : IFrameReceiver
    {
        private int _frames;

        public int Frames => Volatile.Read(ref _frames);

        public AssemblyOutcome Receive(Frame frame)
        {
            Interlocked.Increment(ref _frames);
            return AssemblyOutcome.Staged.Instance;
        }

        public AssemblyOutcome ChannelBroken(string reason) => AssemblyOutcome.Staged.Instance;
    }
}
