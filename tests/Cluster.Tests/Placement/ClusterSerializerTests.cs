using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Cluster.Serialization;
using Hyperion.Internal;

namespace FaultTolerant.Cluster.Tests.Placement;

/// <summary>The cluster's messages and guest-table rows go through the allow-listed serializer, and nothing else comes out of it.</summary>
public sealed class ClusterSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("serialization", ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        # A remote system, not a cluster member: the node's Distributed Data extension (which needs the cluster) stays off.
        akka.extensions = []
        """).WithFallback(NodeHost.Reference));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static GuestEntry Entry() => new("kv", 42, "00ff", ["--port", "6379"], [new PortMapping(6379, 7379)], 1, 3,
        "akka.tcp://ft@127.0.0.1:4101", ["akka.tcp://ft@127.0.0.1:4102"], "127.0.0.1:39000", "running");

    private IEnumerable<IClusterMessage> Samples()
    {
        var actor = _system.DeadLetters;
        yield return new PortMapping(6379, 7379);
        yield return Entry();
        yield return new RegisterNode("akka.tcp://ft@127.0.0.1:4101", NodeRole.Worker, actor, actor, "127.0.0.1:39000", "127.0.0.2");
        // A witness hosts no replicas: Nobody (found by ft chaos: its registration was refused by the allow-list).
        yield return new RegisterNode("akka.tcp://ft@127.0.0.1:4100", NodeRole.Witness, actor, ActorRefs.Nobody, "127.0.0.1:39001", "127.0.0.1");
        yield return new NodeRegistered("akka.tcp://ft@127.0.0.1:4101");
        yield return new StartGuest("kv", [1, 2, 3], ["--port", "6379"], 1, [new PortMapping(6379, 7379)]);
        yield return new StopGuest("kv");
        yield return new FailoverGuest("kv");
        yield return new CommandResult(true, "started", Entry());
        yield return GetClusterStatus.Instance;
        yield return new NodeStatus("akka.tcp://ft@127.0.0.1:4101", "worker", "Up", true, true);
        yield return new GuestStatus(Entry(), 10, 9, 9, 40, 0.2, 12, 1, "Running");
        yield return new ClusterStatus("akka.tcp://ft@127.0.0.1:4100", true, [new NodeStatus("a", "witness", "Up", true, true)], [new GuestStatus(Entry(), 1, 1, 1, 0, 0, 0, 0, "Running")]);
        yield return new RunGuest(Entry(), [1, 2, 3], [actor]);
        yield return new RunGuestResult("kv", 1, false, "no");
        yield return new Ping(7);
        yield return new Pong(7, "akka.tcp://ft@127.0.0.1:4101");
        yield return new ProbeThrough(8, "akka.tcp://ft@127.0.0.1:4102", 300);
        yield return new Probed(8, "akka.tcp://ft@127.0.0.1:4100", true);
        yield return new CommandResult(false, "no guest named kv", null, RefusalReason.UnknownGuest);
        yield return new CheckPorts([7379, 7380]);
        yield return new PortsChecked("akka.tcp://ft@127.0.0.1:4101", ["127.0.0.2:7379 is in use"]);
    }

    [Fact]
    public void Every_cluster_message_is_bound_to_the_restricted_serializer_and_round_trips_through_it()
    {
        var seen = new HashSet<Type>();
        foreach (var message in Samples())
        {
            var serializer = _system.Serialization.FindSerializerFor(message);
            Assert.IsType<ClusterSerializer>(serializer);
            var back = serializer.FromBinary(serializer.ToBinary(message), message.GetType());
            Assert.NotSame(message, back);
            Assert.Equivalent(message, back, strict: true);
            seen.Add(message.GetType());
        }
        Assert.Equal(ClusterProtocol.Messages.OrderBy(t => t.Name), seen.OrderBy(t => t.Name));
        var declared = typeof(IClusterMessage).Assembly.GetTypes().Where(t => typeof(IClusterMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });
        Assert.Equal(declared.OrderBy(t => t.Name), ClusterProtocol.Messages.OrderBy(t => t.Name));
    }

    [Fact]
    public void A_type_off_the_allow_list_is_refused_on_deserialization()
    {
        var unrestricted = new HyperionSerializer((ExtendedActorSystem)_system, HyperionSerializerSettings.Default.WithDisallowUnsafeType(false));
        var restricted = _system.Serialization.FindSerializerForType(typeof(IClusterMessage));
        Assert.IsType<ClusterSerializer>(restricted);
        foreach (object payload in new object[] { new List<string> { "a" }, new Uri("http://example.invalid/") })
        {
            var e = Assert.Throws<SerializationException>(() => restricted.FromBinary(unrestricted.ToBinary(payload), typeof(object)));
            Assert.IsType<UserEvilDeserializationException>(e.InnerException);
        }
    }
}
