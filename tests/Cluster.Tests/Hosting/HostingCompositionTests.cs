using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using FaultTolerant.Cluster.Hosting;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Tests.Hosting;

/// <summary>A node inside a service's own AddAkka call: the service's HOCON and actors live next to it.</summary>
public sealed class HostingCompositionTests
{
    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_services_own_hocon_and_actors_compose_with_the_node()
    {
        int port = FreePort.Next();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddProtectedGuests();
        builder.Services.AddAkka("orders", akka => akka
            .WithClustering()
            .AddHocon("akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s\nakka.remote.dot-netty.tcp.port = 1", HoconAddMode.Prepend)
            .WithActors((system, registry) => registry.Register<Echo>(system.ActorOf(Akka.Actor.Props.Create(() => new Echo()), "echo")))
            .WithFaultTolerantNode(new FaultTolerantNodeOptions { Role = NodeRole.Witness, Port = port, Management = false }));
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
            var system = host.Services.GetRequiredService<ActorSystem>();
            var registry = host.Services.GetRequiredService<ActorRegistry>();

            // The service's HOCON wins over the reference; the node's options win over the HOCON added before them.
            Assert.Equal(TimeSpan.FromSeconds(2), system.Settings.Config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
            Assert.Equal(port, system.Settings.Config.GetInt("akka.remote.dot-netty.tcp.port"));
            Assert.Equal(NodeHost.Reference.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"),
                system.Settings.Config.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
            // WithClustering appended Akka's defaults before the node: the node's intervals still hold.
            foreach (var key in new[] { "akka.cluster.distributed-data.notify-subscribers-interval", "akka.cluster.singleton.hand-over-retry-interval" })
            {
                Assert.Equal(NodeHost.Reference.GetTimeSpan(key), system.Settings.Config.GetTimeSpan(key));
            }
            Assert.Equal("hello", await registry.Get<Echo>().Ask<string>("hello", TimeSpan.FromSeconds(5)));
            Assert.True(registry.TryGet<NodeAgent>(out _));
            Assert.True(registry.TryGet<PlacementCoordinator>(out _));
            Assert.Empty(await host.Services.GetRequiredService<IProtectedGuests>().GetDeclarationsAsync());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_declaration_without_a_node_is_refused_when_the_service_starts()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("orders", akka => akka
            .AddHocon("akka.actor.provider = local", HoconAddMode.Prepend)
            .WithProtectedGuest(new ProtectedGuest("kv", [1], 0, [], [])));
        using var host = builder.Build();

        var e = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.Contains("needs WithFaultTolerantNode", e.GetBaseException().Message);
    }
}
