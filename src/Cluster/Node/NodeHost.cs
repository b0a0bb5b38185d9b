using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Replica.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Node;

/// <summary>What <c>ft node</c> was asked for; every field overrides the configuration when set.</summary>
public sealed record NodeOptions
{
    public string? ConfigFile { get; init; }

    public IReadOnlyList<string> Seeds { get; init; } = [];

    public string? Role { get; init; }

    public int? Port { get; init; }

    public string? Hostname { get; init; }

    public string? DataDirectory { get; init; }

    public string? GatewayAddress { get; init; }

    public int? ManagementPort { get; init; }

    public string? Token { get; init; }
}

/// <summary>
/// Builds a node: an Akka.Cluster member hosted with Akka.Hosting on Microsoft.Extensions.Hosting, configured from
/// hocon/cluster.conf (and hocon/replica.conf) under the node's file and flags, running the placement coordinator
/// singleton, the node agent, the ingress listener, the gateways and the management endpoint.
/// </summary>
public static class NodeHost
{
    private const string ReferenceResource = "FaultTolerant.Cluster.reference.conf";

    /// <summary>The cluster reference configuration (hocon/cluster.conf), embedded in this assembly.</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>Flags over the node's file over the references.</summary>
    /// <exception cref="ConfigurationException">The file cannot be read or parsed.</exception>
    public static Config BuildConfig(NodeOptions options)
    {
        var overrides = new List<string>();
        if (options.Port is { } port) overrides.Add($"akka.remote.dot-netty.tcp.port = {port}");
        if (options.Hostname is { } host) overrides.Add($"akka.remote.dot-netty.tcp.hostname = \"{host}\"");
        if (options.Role is { } role) overrides.Add($"ft.cluster.role = {role}");
        if (options.DataDirectory is { } data) overrides.Add($"ft.cluster.data-directory = \"{data.Replace("\\", "\\\\")}\"");
        if (options.GatewayAddress is { } gateway) overrides.Add($"ft.cluster.gateway-address = \"{gateway}\"");
        if (options.ManagementPort is { } management) overrides.Add($"ft.cluster.management.port = {management}");
        if (options.Token is { } token) overrides.Add($"ft.cluster.management.token = \"{token}\"");
        if (options.Seeds.Count > 0) overrides.Add($"akka.cluster.seed-nodes = [{string.Join(", ", options.Seeds.Select(s => $"\"{SeedAddress(s)}\""))}]");
        var config = ConfigurationFactory.ParseString(string.Join("\n", overrides));
        if (options.ConfigFile is { } file)
        {
            if (!File.Exists(file)) throw new ConfigurationException($"--config {file}: no such file");
            config = config.WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(file)));
        }
        return ReplicaSettings.WithReference(config.WithFallback(Reference));
    }

    /// <summary>A seed given as host:port means the node at that address; a full Akka address is taken as is.</summary>
    public static string SeedAddress(string seed) => seed.Contains("://", StringComparison.Ordinal) ? seed : $"akka.tcp://ft@{seed}";

    /// <summary>Builds the node (not started).</summary>
    public static IHost Build(NodeOptions options, Action<string>? log = null)
    {
        var config = BuildConfig(options);
        var settings = ClusterSettings.Create(config);
        var replica = ReplicaSettings.Create(config);
        log ??= Console.Error.WriteLine;
        var say = log;
        var token = settings.ResolveToken();

        var ingress = new IngressServer(new IPEndPoint(settings.IngressAddress, settings.IngressPort), new IngressServerOptions
        {
            OrphanTimeout = settings.OrphanTimeout,
            Log = m => say($"ingress: {m}"),
        });
        var gateways = settings.Role == NodeRole.Worker ? new NodeGateways(settings.NodeId, settings.GatewayAddress, say) : null;

        var builder = Host.CreateApplicationBuilder();
        builder.Services.RemoveAll<Microsoft.Extensions.Logging.ILoggerProvider>();
        builder.Services.AddSingleton(settings);
        builder.Services.AddAkka("ft", (akka, _) =>
        {
            akka.AddHocon(config, HoconAddMode.Prepend);
            akka.WithSingleton<PlacementCoordinator>("coordinator",
                PlacementCoordinator.Props(new CoordinatorSettings(settings.MajorityTimeout, settings.SuspectPingTimeout, replica.RecruitTimeout + TimeSpan.FromSeconds(3))),
                new ClusterSingletonOptions(), createProxyToo: true);
            akka.WithActors((system, registry) =>
            {
                ingress.Start();
                var coordinator = registry.Get<PlacementCoordinator>();
                var address = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
                var advertised = $"{settings.IngressAdvertised}:{ingress.LocalEndpoint.Port}";
                var agent = system.ActorOf(NodeAgent.Props(new NodeAgentSetup(address, settings.Role, replica, ingress, advertised, gateways,
                    settings.GatewayAddress.ToString(), coordinator)), "node");
                registry.Register<NodeAgent>(agent);
                say($"node {address}: {settings.Role.ToString().ToLowerInvariant()}, ingress {advertised}, gateways on {settings.GatewayAddress}, management on http://{settings.ManagementAddress}:{settings.ManagementPort}/");
            });
        });
        builder.Services.AddHostedService(sp => new ManagementEndpoint(sp.GetRequiredService<ActorRegistry>(), settings, token, say));
        builder.Services.AddHostedService(_ => new NodeResources(ingress, gateways));
        return builder.Build();
    }

    private static Config LoadReference()
    {
        using var stream = typeof(NodeHost).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"the reference configuration {ReferenceResource} is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Random management token, hex.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>Disposes what the node owns outside Akka when the host stops.</summary>
    private sealed class NodeResources(IngressServer ingress, NodeGateways? gateways) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (gateways is not null) await gateways.DisposeAsync();
            await ingress.DisposeAsync();
        }
    }
}
