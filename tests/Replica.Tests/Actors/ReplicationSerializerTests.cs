using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Serialization;
using Hyperion.Internal;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>A message type not on the allow-list: shaped like a protocol message, bound to the same serializer.</summary>
public sealed record UnlistedMessage(string Guest, string Payload) : IReplicationMessage;

/// <summary>Control messages go through the restricted Hyperion serializer, and nothing off its allow-list comes out of it.</summary>
public sealed class ReplicationSerializerTests() : Akka.TestKit.Xunit2.TestKit(ReplicaActorSystem.Setup(RemoteConfig), "serialization")
{
    private static readonly Config RemoteConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.loglevel = WARNING
        """);

    private IEnumerable<IReplicationMessage> Samples()
    {
        var someone = Sys.ActorOf(Props.Empty, "someone");
        yield return new HostBackup("redis", 7, 3, someone);
        yield return new BackupReady("redis", 3, "node-b", "127.0.0.1", 40123);
        yield return new BackupRefused("redis", 3, "node-b", "generation 3 is fenced: 4 was seen");
        yield return new DropBackup("redis", 4);
        yield return new CheckpointAcked("redis", 3, ulong.MaxValue, "node-b");
        yield return new ResyncRequested("redis", 3, "node-b", "checksum mismatch");
        yield return new GenerationFenced("redis", 3, 4, "node-b");
        yield return new GenerationAdvanced("redis", 4);
        yield return new GenerationChanged("redis", 5, [someone, TestActor]);
        yield return new GenerationChanged("redis", 6, []);
        yield return new Promote("redis", 4);
        yield return new Promoted("redis", 4, 118, someone);
        yield return new PromotionRefused("redis", 4, "no committed state");
        yield return new BackupSilent("redis", 3, "node-b", 17, TimeSpan.FromSeconds(5.5));
        yield return new DataChannelLost("redis", 3, "node-b", "node-a", "connection reset by peer");
        yield return new PrimaryStarted("redis", 3, ["node-b", "node-c"]);
        yield return new PrimaryStopped("redis", 3, PrimaryEndReason.Fenced, "fenced by generation 4", 120, 118);
        yield return new PrimaryStopped("redis", 3, null, "backups could not be recruited", 0, 0);
        yield return new StopPrimary("redis");
        yield return new GetReplicaStatus("redis");
        yield return new GetReplicaStatus("redis", IncludeStateHash: true);
        yield return new ReplicaStatus("redis", ReplicaRole.Primary, "Running", 3, 120, 118, 119, ["node-b"], null, 40.5, 0.25, 4096);
        yield return new ReplicaStatus("redis", ReplicaRole.Backup, "Receiving", 3, 119, 0, 119, [], "0123456789abcdef0123456789abcdef");
        yield return new NoReplica("redis", "node-b");
    }

    [Fact]
    public void Every_protocol_message_is_bound_to_the_restricted_serializer_and_round_trips_through_it()
    {
        var seen = new HashSet<Type>();
        foreach (var message in Samples())
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<ReplicationSerializer>(serializer);
            Assert.Equal(ReplicationSerializer.SerializerId, serializer.Identifier);
            var bytes = serializer.ToBinary(message);
            var back = serializer.FromBinary(bytes, message.GetType());
            Assert.NotSame(message, back);
            Assert.IsType(message.GetType(), back);
            Assert.Equivalent(message, back, strict: true);
            seen.Add(message.GetType());
        }
        Assert.Equal(ReplicationProtocol.Messages.OrderBy(t => t.Name), seen.OrderBy(t => t.Name));
    }

    [Fact]
    public void An_actor_reference_survives_the_trip_and_still_reaches_its_actor()
    {
        var bytes = Sys.Serialization.FindSerializerFor(new HostBackup("g", 1, 1, TestActor)).ToBinary(new HostBackup("g", 1, 1, TestActor));
        var back = (HostBackup)Sys.Serialization.FindSerializerForType(typeof(HostBackup)).FromBinary(bytes, typeof(HostBackup));
        back.Primary.Tell("hello");
        ExpectMsg("hello");
    }

    [Fact]
    public void Every_replication_message_type_in_the_assembly_is_on_the_allow_list()
    {
        var declared = typeof(IReplicationMessage).Assembly.GetTypes()
            .Where(t => typeof(IReplicationMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        Assert.Equal(declared.OrderBy(t => t.Name), ReplicationProtocol.Messages.OrderBy(t => t.Name));
        Assert.All(ReplicationProtocol.Messages, t => Assert.Contains(t, ReplicationSerializer.AllowedTypes));
    }

    [Fact]
    public void A_type_off_the_allow_list_is_refused_on_deserialization()
    {
        // The bytes an attacker (or a node of another build) would send: the same wire format, written by an
        // unrestricted Hyperion, naming a type that is not on the list.
        var unrestricted = new HyperionSerializer((ExtendedActorSystem)Sys, HyperionSerializerSettings.Default.WithDisallowUnsafeType(false));
        var restricted = Sys.Serialization.FindSerializerForType(typeof(IReplicationMessage));
        Assert.IsType<ReplicationSerializer>(restricted);

        foreach (object payload in new object[] { new UnlistedMessage("redis", "x"), new List<string> { "a" }, new Uri("http://example.invalid/") })
        {
            var bytes = unrestricted.ToBinary(payload);
            var e = Assert.Throws<SerializationException>(() => restricted.FromBinary(bytes, typeof(object)));
            Assert.IsType<UserEvilDeserializationException>(e.InnerException);
        }
    }

    [Fact]
    public void A_type_off_the_allow_list_is_not_even_serialized()
    {
        var message = new UnlistedMessage("redis", "x");
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<ReplicationSerializer>(serializer);
        Assert.Throws<UserEvilDeserializationException>(() => serializer.ToBinary(message));
    }
}
