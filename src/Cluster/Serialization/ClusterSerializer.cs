using Akka.Actor;
using Akka.Serialization;
using FaultTolerant.Cluster.Placement;
using FaultTolerant.Replica.Serialization;

namespace FaultTolerant.Cluster.Serialization;

/// <summary>
/// The cluster layer's messages and guest-table entries: Hyperion restricted to <see cref="ClusterProtocol"/>'s types,
/// as <see cref="ReplicationSerializer"/> is to the replication protocol's (see there for why a subclass). A peer that
/// sends anything else is refused on deserialization; we refuse to send anything else.
/// </summary>
public sealed class ClusterSerializer(ExtendedActorSystem system)
    : HyperionSerializer(system, ReplicationSerializer.RestrictedTo(ClusterProtocol.Messages.Concat(ClusterProtocol.Contents)))
{
    public const int SerializerId = 7312;

    public override int Identifier => SerializerId;

    public static IReadOnlyCollection<Type> AllowedTypes { get; } = [.. ClusterProtocol.Messages, .. ClusterProtocol.Contents];
}
