using System.Security.Cryptography;
using Akka.Configuration;
using Akka.Hosting;
using FaultTolerant.Cluster.Hosting;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Replica.Settings;
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
/// Builds an <c>ft node</c>: a generic host (Microsoft.Extensions.Hosting) whose only work is an Akka.Hosting actor
/// system named <see cref="SystemName"/> made a cluster node by <see cref="FaultTolerantHostingExtensions.WithFaultTolerantNode"/>,
/// the same call a service that embeds a node makes (samples/EmbeddedService).
/// </summary>
public static class NodeHost
{
    /// <summary>The actor system's name: every member of a cluster has the same one.</summary>
    public const string SystemName = "ft";

    private const string ReferenceResource = "FaultTolerant.Cluster.reference.conf";

    /// <summary>The cluster reference configuration (hocon/cluster.conf), embedded in this assembly.</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>Flags over the node's file over the references (the seeds are joined at start, not configured).</summary>
    /// <exception cref="ConfigurationException">The file cannot be read or parsed.</exception>
    /// <exception cref="ClusterConfigurationException">The role is neither worker nor witness.</exception>
    public static Config BuildConfig(NodeOptions options) => NodeConfiguration.Effective(ToHosting(options, null));

    /// <summary>A seed given as host:port means the node at that address; a full Akka address is taken as is.</summary>
    public static string SeedAddress(string seed) => NodeConfiguration.SeedAddress(seed, SystemName);

    /// <summary>Builds the node (not started).</summary>
    /// <exception cref="ConfigurationException">The file cannot be read or parsed.</exception>
    /// <exception cref="ClusterConfigurationException">An <c>ft.cluster</c> value is wrong.</exception>
    /// <exception cref="ReplicaConfigurationException">An <c>ft.replica</c> value is wrong.</exception>
    /// <exception cref="FormatException">A seed is neither HOST:PORT nor an Akka address.</exception>
    public static IHost Build(NodeOptions options, Action<string>? log = null)
    {
        var node = ToHosting(options, log ?? Console.Error.WriteLine);
        // Checked now, so that a wrong flag or file is refused before anything starts (ft node exits 2 with the reason).
        NodeConfiguration.Validate(node);

        var builder = Host.CreateApplicationBuilder();
        builder.Services.RemoveAll<Microsoft.Extensions.Logging.ILoggerProvider>();
        builder.Services.AddAkka(SystemName, akka => akka.WithFaultTolerantNode(node));
        return builder.Build();
    }

    private static FaultTolerantNodeOptions ToHosting(NodeOptions options, Action<string>? log) => new()
    {
        Role = options.Role switch
        {
            null => null,
            "worker" => NodeRole.Worker,
            "witness" => NodeRole.Witness,
            var other => throw new ClusterConfigurationException($"ft.cluster.role = {other}: expected worker or witness"),
        },
        Port = options.Port,
        Hostname = options.Hostname,
        Seeds = options.Seeds,
        DataDirectory = options.DataDirectory,
        GatewayAddress = options.GatewayAddress,
        ManagementPort = options.ManagementPort,
        Token = options.Token,
        ConfigFile = options.ConfigFile,
        Log = log,
    };

    private static Config LoadReference()
    {
        using var stream = typeof(NodeHost).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"the reference configuration {ReferenceResource} is not embedded");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    /// <summary>Random management token, hex.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
