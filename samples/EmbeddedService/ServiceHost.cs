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
        // appsettings.json sits next to the assembly, wherever the service is started from.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var node = builder.Configuration.GetSection("Node").Get<FaultTolerantNodeOptions>() ?? new FaultTolerantNodeOptions();
        var settings = builder.Configuration.GetSection("Guest").Get<GuestSettings>() ?? new GuestSettings();
        var guest = ProtectedGuest.FromFile(settings.Name, Locate(settings.Image), settings.Replicas, settings.Expose, settings.Args);

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
            .WithProtectedGuest(guest));
        // The service's own actors go on the same builder: .WithActors((system, registry) => ...).
        return builder.Build();
    }

    /// <summary>
    /// A relative path is looked for from the working directory upwards, so that guests/bin/miniredis.elf is found from
    /// the repository root and from the sample's own directory (where <c>dotnet run --project</c> starts it) alike.
    /// </summary>
    private static string Locate(string path)
    {
        if (Path.IsPathRooted(path)) return path;
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, path);
            if (File.Exists(candidate)) return candidate;
        }
        return path;
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
