using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Replica.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// Embeds a FaultTolerant node in a service's own actor system (Akka.Hosting), next to the service's own actors:
/// <code>
/// builder.Services.AddProtectedGuests();
/// builder.Services.AddAkka("ft", akka => akka
///     .WithFaultTolerantNode(new FaultTolerantNodeOptions { Port = 4101, Seeds = ["127.0.0.1:4100"] })
///     .WithProtectedGuest("kv", "guests/bin/miniredis.elf", replicas: 1, exposes: ["6379:7379"], args: ["--port", "6379"])
///     .WithActors((system, registry) => { /* the service's own actors */ }));
/// </code>
/// Every member of a cluster runs an actor system of the same name (<c>ft node</c>'s is <see cref="NodeHost.SystemName"/>).
/// </summary>
public static class FaultTolerantHostingExtensions
{
    /// <summary>
    /// Makes this actor system a cluster node: the reference configuration (hocon/cluster.conf) behind all of the
    /// service's HOCON, the options' overrides in front of the HOCON added before this call (HOCON added after it wins),
    /// the placement coordinator singleton and its proxy, and, once the actor system runs, the node agent, the ingress
    /// listener, the gateways (workers), the management endpoint and the join of <see cref="FaultTolerantNodeOptions.Seeds"/>.
    /// Everything it starts stops with the actor system's coordinated shutdown.
    /// </summary>
    /// <exception cref="ConfigurationException">The options' HOCON or file cannot be read or parsed.</exception>
    /// <exception cref="ClusterConfigurationException">An <c>ft.cluster</c> value is wrong.</exception>
    /// <exception cref="ReplicaConfigurationException">An <c>ft.replica</c> value is wrong.</exception>
    /// <exception cref="FormatException">A seed is neither HOST:PORT nor an Akka address.</exception>
    public static AkkaConfigurationBuilder WithFaultTolerantNode(this AkkaConfigurationBuilder builder, FaultTolerantNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        // Refused here rather than halfway through the actor system's start. The service's own HOCON can still make a
        // value wrong; that is refused, with the same message, when the node starts.
        NodeConfiguration.Validate(options);

        builder.AddHocon(NodeConfiguration.Front(options), HoconAddMode.Prepend);
        builder.AddHocon(NodeConfiguration.Reference, HoconAddMode.Append);
        builder.WithSingleton<PlacementCoordinator>("coordinator", (system, _, _) => PlacementCoordinator.Props(NodeRuntime.Coordinator(system)),
            new ClusterSingletonOptions(), createProxyToo: true);
        builder.WithActors((system, registry, resolver) => NodeRuntime.Start(system, registry, resolver, options));
        return builder;
    }

    /// <summary>
    /// Declares a protected guest: once the node has joined and the coordinator answers, the coordinator is asked to start
    /// it unless a guest of that name exists. Idempotent: across restarts of the service and across several nodes declaring
    /// the same guest, whoever asks first starts it and the others find it. While the cluster cannot start it (no majority,
    /// too few workers) it is asked again with backoff; a refusal that asking again cannot change (a bad image, say) is
    /// logged as an error and not retried. <see cref="IProtectedGuests"/> shows where each declaration stands.
    /// </summary>
    /// <remarks>Needs <see cref="WithFaultTolerantNode"/> on the same builder, before or after.</remarks>
    public static AkkaConfigurationBuilder WithProtectedGuest(this AkkaConfigurationBuilder builder, ProtectedGuest guest)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(guest);
        // A startup task runs after every actor starter, so the declarations actor exists whichever call came first.
        return builder.AddStartup((_, registry) =>
        {
            if (!registry.TryGet<GuestDeclarations>(out var declarations))
            {
                throw new InvalidOperationException($"WithProtectedGuest({guest.Name}) needs WithFaultTolerantNode on the same AkkaConfigurationBuilder");
            }
            declarations.Tell(new Declare(guest, ReplyWhenSettled: false), ActorRefs.NoSender);
        });
    }

    /// <summary>Declares a protected guest from an ELF file; <paramref name="exposes"/> as GUESTPORT:CLUSTERPORT. See <see cref="WithProtectedGuest(AkkaConfigurationBuilder, ProtectedGuest)"/>.</summary>
    /// <exception cref="IOException">The image cannot be read.</exception>
    /// <exception cref="FormatException">An exposure is not GUESTPORT:CLUSTERPORT.</exception>
    public static AkkaConfigurationBuilder WithProtectedGuest(this AkkaConfigurationBuilder builder, string name, string imagePath, int replicas = 1,
        IEnumerable<string>? exposes = null, IEnumerable<string>? args = null) =>
        builder.WithProtectedGuest(ProtectedGuest.FromFile(name, imagePath, replicas, exposes, args));

    /// <summary>Registers <see cref="IProtectedGuests"/>, the service's view of its node's declarations and of the cluster's guests.</summary>
    public static IServiceCollection AddProtectedGuests(this IServiceCollection services)
    {
        services.TryAddSingleton<IProtectedGuests, ProtectedGuests>();
        return services;
    }
}
