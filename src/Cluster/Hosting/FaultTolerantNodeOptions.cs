using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// What a node embedded in a service is asked for. Every field set here overrides the configuration (the keys of
/// hocon/cluster.conf, named on each field); null leaves the configuration's value. Binds from
/// Microsoft.Extensions.Configuration (<c>configuration.GetSection("Node").Get&lt;FaultTolerantNodeOptions&gt;()</c>).
/// </summary>
public sealed record FaultTolerantNodeOptions
{
    /// <summary><c>ft.cluster.role</c>: workers host guests and gateways; witnesses only vote.</summary>
    public NodeRole? Role { get; init; }

    /// <summary><c>akka.remote.dot-netty.tcp.port</c>: the node's Akka port.</summary>
    public int? Port { get; init; }

    /// <summary><c>akka.remote.dot-netty.tcp.hostname</c>: the node's Akka hostname.</summary>
    public string? Hostname { get; init; }

    /// <summary>
    /// The nodes to join, each HOST:PORT (a node of this actor system's name) or a full Akka address. Empty: the node
    /// joins whatever <c>akka.cluster.seed-nodes</c> names, if anything. Give the same list to every node; a node that
    /// finds itself first in the list and no other up starts the cluster.
    /// </summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary><c>ft.cluster.data-directory</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary><c>ft.cluster.gateway-address</c>: where this node's gateways listen for the guests' clients.</summary>
    public string? GatewayAddress { get; init; }

    /// <summary><c>ft.cluster.management.port</c>: the HTTP endpoint the <c>ft</c> command line talks to.</summary>
    public int? ManagementPort { get; init; }

    /// <summary><c>ft.cluster.management.token</c>: the management endpoint's shared secret.</summary>
    public string? Token { get; init; }

    /// <summary>Whether the node runs its management endpoint (so that <c>ft status</c> and <c>ft guest</c> reach it).</summary>
    public bool Management { get; init; } = true;

    /// <summary>HOCON over the reference configuration, under the fields above.</summary>
    public string? Hocon { get; init; }

    /// <summary>A HOCON file over the reference configuration, under <see cref="Hocon"/> and the fields above.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Where the node's own lines go (ingress, gateways, management); null: an ILogger from the service's DI.</summary>
    public Action<string>? Log { get; init; }
}
