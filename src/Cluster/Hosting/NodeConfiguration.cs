using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Replica.Settings;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// How a node's configuration is layered: the options' fields over <see cref="FaultTolerantNodeOptions.Hocon"/> over
/// <see cref="FaultTolerantNodeOptions.ConfigFile"/> (the overrides, put in front of the service's own HOCON), and the
/// references hocon/cluster.conf and hocon/replica.conf (behind everything, over Akka's own defaults only).
/// </summary>
internal static class NodeConfiguration
{
    /// <summary>What the options override.</summary>
    /// <exception cref="ConfigurationException">The file cannot be read or a HOCON text cannot be parsed.</exception>
    public static Config Overrides(FaultTolerantNodeOptions options)
    {
        var lines = new List<string>();
        if (options.Port is { } port) lines.Add($"akka.remote.dot-netty.tcp.port = {port.ToString(CultureInfo.InvariantCulture)}");
        if (options.Hostname is { } host) lines.Add($"akka.remote.dot-netty.tcp.hostname = {Quote(host)}");
        if (options.Role is { } role) lines.Add($"ft.cluster.role = {role.ToString().ToLowerInvariant()}");
        if (options.DataDirectory is { } data) lines.Add($"ft.cluster.data-directory = {Quote(data)}");
        if (options.GatewayAddress is { } gateway) lines.Add($"ft.cluster.gateway-address = {Quote(gateway)}");
        if (options.ManagementPort is { } management) lines.Add($"ft.cluster.management.port = {management.ToString(CultureInfo.InvariantCulture)}");
        if (options.Token is { } token) lines.Add($"ft.cluster.management.token = {Quote(token)}");
        var config = ConfigurationFactory.ParseString(string.Join("\n", lines));
        if (!string.IsNullOrWhiteSpace(options.Hocon)) config = config.WithFallback(ConfigurationFactory.ParseString(options.Hocon));
        if (options.ConfigFile is { } file)
        {
            if (!File.Exists(file)) throw new ConfigurationException($"--config {file}: no such file");
            config = config.WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(file)));
        }
        return config;
    }

    /// <summary>
    /// The reference's values of the keys that Akka.Cluster.Hosting sets to Akka's defaults, by appending those defaults
    /// (WithClustering, WithShardRegion and others do). Appended before the node's reference, they would take its place
    /// and slow every failover: gateways would learn of a new primary up to 500 ms later, and a moved coordinator would
    /// be found a second later. So these go in front, with the overrides; HOCON the service adds after the node still wins.
    /// </summary>
    public static Config Shadowed { get; } = ConfigurationFactory.ParseString(string.Join("\n", new[]
    {
        "akka.cluster.distributed-data.notify-subscribers-interval",
        "akka.cluster.singleton.hand-over-retry-interval",
        "akka.cluster.singleton-proxy.singleton-identification-interval",
    }.Select(key => $"{key} = {NodeHost.Reference.GetString(key)}")));

    /// <summary>What goes in front of the service's HOCON added before the node: the overrides over <see cref="Shadowed"/>.</summary>
    public static Config Front(FaultTolerantNodeOptions options) => Overrides(options).WithFallback(Shadowed);

    /// <summary>The references: hocon/cluster.conf over hocon/replica.conf.</summary>
    public static Config Reference { get; } = ReplicaSettings.WithReference(NodeHost.Reference);

    /// <summary>The overrides over the references: what the node runs with when the service adds no HOCON of its own.</summary>
    public static Config Effective(FaultTolerantNodeOptions options) => Overrides(options).WithFallback(Reference);

    /// <summary>
    /// Refuses what the options get wrong before anything starts: the configuration they make (without the service's own
    /// HOCON, which can still make a value wrong when the node starts) and the seeds.
    /// </summary>
    /// <exception cref="ConfigurationException">A HOCON text or file cannot be read or parsed.</exception>
    /// <exception cref="ClusterConfigurationException">An <c>ft.cluster</c> value is wrong.</exception>
    /// <exception cref="ReplicaConfigurationException">An <c>ft.replica</c> value is wrong.</exception>
    /// <exception cref="FormatException">A seed is neither HOST:PORT nor an Akka address.</exception>
    public static void Validate(FaultTolerantNodeOptions options)
    {
        var effective = Effective(options);
        _ = ClusterSettings.Create(effective);
        _ = ReplicaSettings.Create(effective);
        foreach (var seed in options.Seeds)
        {
            Address address;
            try
            {
                address = Address.Parse(SeedAddress(seed, "ft"));
            }
            catch (UriFormatException e)
            {
                throw new FormatException($"seed '{seed}': expected HOST:PORT or an Akka address ({e.Message})", e);
            }
            if (address.Port is null or <= 0) throw new FormatException($"seed '{seed}': expected HOST:PORT or an Akka address with a port");
        }
    }

    /// <summary>A seed given as HOST:PORT means the node at that address in an actor system of that name; a full Akka address is taken as is.</summary>
    public static string SeedAddress(string seed, string systemName) =>
        seed.Contains("://", StringComparison.Ordinal) ? seed : $"akka.tcp://{systemName}@{seed}";

    private static string Quote(string text) => $"\"{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
