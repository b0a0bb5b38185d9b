using System.Net;
using Akka;
using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Hosting;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Replica.Settings;
using Microsoft.Extensions.Logging;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// What a node runs beside the coordinator singleton, started once its actor system is: the ingress listener, the
/// gateways (workers), the node agent, the guest declarations and the management endpoint; and what stops them, as
/// tasks of the actor system's coordinated shutdown (so they stop whether the service stops or the cluster downs the node).
/// </summary>
internal static class NodeRuntime
{
    /// <summary>The coordinator's settings, from the actor system's configuration (the service's HOCON included).</summary>
    public static CoordinatorSettings Coordinator(ActorSystem system)
    {
        var settings = ClusterSettings.Create(system.Settings.Config);
        var replica = ReplicaSettings.Create(system.Settings.Config);
        return new CoordinatorSettings(settings.MajorityTimeout, settings.SuspectPingTimeout, replica.RecruitTimeout + TimeSpan.FromSeconds(3), settings.MajorityFirstTimeout)
        {
            IndirectDownAfter = settings.IndirectDownAfter,
        };
    }

    public static void Start(ActorSystem system, IActorRegistry registry, IDependencyResolver resolver, FaultTolerantNodeOptions options)
    {
        var settings = ClusterSettings.Create(system.Settings.Config);
        var replica = ReplicaSettings.Create(system.Settings.Config);
        var log = options.Log ?? LoggerLog(resolver);
        var cluster = Akka.Cluster.Cluster.Get(system);

        var ingress = new IngressServer(new IPEndPoint(settings.IngressAddress, settings.IngressPort), settings.IngressOptions(m => log($"ingress: {m}")));
        var gateways = settings.Role == NodeRole.Worker ? new NodeGateways(settings.NodeId, settings.GatewayAddress, log, settings.GatewayOptions(log)) : null;
        ingress.Start();
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "ft-gateways-and-ingress", async () =>
        {
            if (gateways is not null) await gateways.DisposeAsync();
            await ingress.DisposeAsync();
            return Done.Instance;
        });

        var coordinator = registry.Get<PlacementCoordinator>();
        var address = cluster.SelfAddress.ToString();
        var advertised = $"{settings.IngressAdvertised}:{ingress.LocalEndpoint.Port}";
        var agent = system.ActorOf(NodeAgent.Props(new NodeAgentSetup(address, settings.Role, replica, ingress, advertised, gateways,
            settings.GatewayAddress.ToString(), coordinator)), NodeAgent.Name);
        registry.Register<NodeAgent>(agent);
        registry.Register<GuestDeclarations>(system.ActorOf(GuestDeclarations.Props(coordinator), "guests"));

        var management = "off";
        if (options.Management)
        {
            var endpoint = new ManagementEndpoint(ActorRegistry.For(system), settings, settings.ResolveToken(), log);
            _ = endpoint.StartAsync(CancellationToken.None);
            shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "ft-management", async () =>
            {
                await endpoint.StopAsync(CancellationToken.None);
                endpoint.Dispose();
                return Done.Instance;
            });
            management = $"http://{settings.ManagementAddress}:{settings.ManagementPort}/";
        }

        // Seeds are joined here, not written to akka.cluster.seed-nodes: a HOST:PORT seed names a node of this actor
        // system, whose name the service chose in its AddAkka call and which is known only now.
        if (options.Seeds.Count > 0) cluster.JoinSeedNodes([.. options.Seeds.Select(s => Address.Parse(NodeConfiguration.SeedAddress(s, system.Name)))]);
        log($"node {address}: {settings.Role.ToString().ToLowerInvariant()}, ingress {advertised}, gateways on {settings.GatewayAddress}, management on {management}");
    }

    private static Action<string> LoggerLog(IDependencyResolver resolver)
    {
        var logger = resolver.GetService<ILoggerFactory>()?.CreateLogger("FaultTolerant.Cluster.Node");
        if (logger is null) return Console.Error.WriteLine;
        return m => logger.LogInformation("{Message}", m);
    }
}
