using Akka.Hosting;
using FaultTolerant.Cluster.Hosting;

namespace EmbeddedService;

/// <summary>
/// A service that is also a FaultTolerant node: its actor system joins the cluster and declares one protected guest,
/// miniredis with a backup, reachable on every worker's gateway. Configured from appsettings.json under command-line
/// arguments (<c>--Node:Port=4102 --Node:GatewayAddress=127.0.0.3</c>); see samples/README.md.
/// </summary>
public static class ServiceHost
{
    public static IHost Build(string[] args)
    {
        // appsettings.json sits next to the assembly; the guest's image path is taken from the working directory.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var node = builder.Configuration.GetSection("Node").Get<FaultTolerantNodeOptions>() ?? new FaultTolerantNodeOptions();
        var guest = builder.Configuration.GetSection("Guest").Get<GuestSettings>() ?? new GuestSettings();

        builder.Services.AddProtectedGuests();
        builder.Services.AddHostedService<GuestWatcher>();
        // Every member of a cluster runs an actor system of the same name; "ft" is also ft node's, so the two mix.
        builder.Services.AddAkka("ft", akka => akka
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            })
            .WithFaultTolerantNode(node)
            .WithProtectedGuest(guest.Name, guest.Image, guest.Replicas, guest.Expose, guest.Args));
        // The service's own actors go on the same builder: .WithActors((system, registry) => ...).
        return builder.Build();
    }

    /// <summary>The "Guest" section: what to run protected.</summary>
    public sealed record GuestSettings
    {
        public string Name { get; init; } = "kv";

        public string Image { get; init; } = "guests/bin/miniredis.elf";

        public int Replicas { get; init; } = 1;

        /// <summary>GUESTPORT:CLUSTERPORT.</summary>
        public string[]? Expose { get; init; }

        public string[]? Args { get; init; }
    }
}
