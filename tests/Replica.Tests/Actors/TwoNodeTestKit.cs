using Akka.Actor;
using Akka.Configuration;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Serialization;
using FaultTolerant.Replica.Settings;
using FaultTolerant.Replica.Tests.Channel;
using FaultTolerant.Replica.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>
/// Two nodes in one process, each its own actor system with Akka remoting on 127.0.0.1 and a free port: the
/// primary node is the test kit's <c>Sys</c>, the backup node runs a <see cref="BackupHostActor"/> with its data-channel
/// listener. Control messages cross between them through remoting and the restricted serializer; checkpoints through
/// the TCP data channel. Both nodes share one <see cref="TestGateway"/>, as clients of a surviving gateway would.
/// </summary>
public abstract class TwoNodeTestKit : Akka.TestKit.Xunit2.TestKit
{
    public const string GuestName = "miniredis";
    public const ulong GuestId = 7;
    public const string BackupNode = "backup-node";

    protected static readonly TimeSpan Patience = Eventually.Patience;

    private static readonly Config NodeConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.loglevel = INFO
        akka.test.single-expect-default = 20s
        akka.remote.log-remote-lifecycle-events = off
        """);

    protected TwoNodeTestKit(ITestOutputHelper output, string? overrides = null)
        : base(ReplicaActorSystem.Setup(NodeWith(overrides)), "primary-node", output)
    {
        Settings = ReplicaSettings.Create(Sys.Settings.Config);
        BackupSystem = ActorSystem.Create("backup-node", ReplicaActorSystem.Setup(NodeWith(overrides)));
        InitializeLogger(BackupSystem);
        Port = new TestGatewayPort(Gateway);
        BackupHost = BackupSystem.ActorOf(BackupHostActor.Props(new BackupHostSetup(BackupNode, TestGuests.RestoreFull, Port, Settings)), "replica-host");
        var backupAddress = ((ExtendedActorSystem)BackupSystem).Provider.DefaultAddress;
        // The primary reaches the backup node as a remote actor, through its address, as a cluster member would.
        RemoteBackupHost = Sys.ActorSelection(new RootActorPath(backupAddress) / "user" / "replica-host").ResolveOne(Patience).GetAwaiter().GetResult();
        Observer = CreateTestProbe("observer");
    }

    protected ReplicaSettings Settings { get; }

    protected ActorSystem BackupSystem { get; }

    protected TestGateway Gateway { get; } = new();

    protected TestGatewayPort Port { get; }

    /// <summary>The backup node's host actor, as the backup node itself sees it.</summary>
    protected IActorRef BackupHost { get; }

    /// <summary>The same actor as the primary node sees it: a remote reference.</summary>
    protected IActorRef RemoteBackupHost { get; }

    /// <summary>Stands in for the placement coordinator: hears what the primaries report.</summary>
    protected Akka.TestKit.TestProbe Observer { get; }

    /// <summary>Starts the primary of generation 1 on the primary node, backed up on the backup node, and waits until it runs.</summary>
    protected async Task<(IActorRef Primary, RecordingGuest Guest)> StartPrimaryAsync(params IActorRef[] backupHosts)
    {
        var guest = new RecordingGuest(TestGuests.Load(GuestName, "--port", "6379"));
        var hosts = backupHosts.Length > 0 ? backupHosts : [RemoteBackupHost];
        var primary = Sys.ActorOf(PrimaryActor.Props(new PrimaryActorSetup(GuestName, GuestId, 1, guest, hosts, Port, Settings, Observer)), "primary-" + GuestName);
        var started = await Observer.ExpectMsgAsync<PrimaryStarted>(Patience);
        Assert.Equal(1UL, started.Generation);
        await Eventually.Within(Port.WhenAttached(1), "the gateway to be attached to the primary");
        return (primary, guest);
    }

    protected Task<ReplicaStatus> StatusAsync(IActorRef replica, bool hash = false) =>
        replica.Ask<ReplicaStatus>(new GetReplicaStatus(GuestName, hash), Patience);

    /// <summary>Asks <paramref name="replica"/> for its status until <paramref name="done"/> holds (bounded), and returns that status.</summary>
    protected async Task<ReplicaStatus> StatusUntilAsync(IActorRef replica, Func<ReplicaStatus, bool> done, string what, bool hash = false)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var status = await StatusAsync(replica, hash);
            if (done(status)) return status;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}; last status {status}");
            await Task.Delay(20);
        }
    }

    protected override void AfterAll()
    {
        BackupSystem.Terminate().Wait(Patience);
        base.AfterAll();
    }

    private static Config NodeWith(string? overrides) =>
        overrides is null ? NodeConfig : ConfigurationFactory.ParseString(overrides).WithFallback(NodeConfig);
}
