using Akka.Actor;
using Akka.Serialization;
using FaultTolerant.Replica.Actors;
using Hyperion;

namespace FaultTolerant.Replica.Serialization;

/// <summary>
/// Hyperion for the replication protocol, restricted to an allow-list: a peer can make this serializer instantiate
/// the protocol's messages and what they contain (<see cref="ReplicationProtocol"/>), and nothing else. Bound to
/// <see cref="IReplicationMessage"/> in <c>hocon/replica.conf</c>.
/// </summary>
/// <remarks>
/// <para>The remote envelope names the serializer by identifier, so anyone who can reach the node can ask for this
/// one with any type name in the payload: the allow-list, not the binding, is what keeps a gadget type from being
/// deserialized. Hyperion also refuses its own deny-list of unsafe types (<c>disallow-unsafe-type</c>).</para>
/// <para>Why a subclass rather than <c>HyperionSerializerSetup.WithTypeFilter</c>: Akka.Serialization.Hyperion
/// 1.5.73 records a setup's filter in <c>Settings</c> but builds its Hyperion serializer from the constructor's
/// settings, so a filter given through an <c>ActorSystemSetup</c> is silently not applied. Passing the settings to
/// the constructor is the path that works, and it also keeps a setup meant for a plain <c>hyperion</c> serializer
/// from loosening this one. The serializer's tests check that the filter really refuses.</para>
/// </remarks>
public sealed class ReplicationSerializer(ExtendedActorSystem system) : HyperionSerializer(system, RestrictedSettings)
{
    /// <summary>
    /// This serializer's identifier on the wire. Akka reserves 0–40 for itself and Hyperion uses -5; this one is
    /// distinct so that a plain, unrestricted Hyperion configured elsewhere is never mistaken for it.
    /// </summary>
    public const int SerializerId = 7311;

    private static readonly HyperionSerializerSettings RestrictedSettings = RestrictedTo(ReplicationProtocol.Messages.Concat(ReplicationProtocol.Contents));

    /// <summary>
    /// Hyperion settings that refuse unsafe types and every type not in <paramref name="types"/>, on both sides: for this
    /// serializer and for other layers' allow-listed serializers (the cluster's), which subclass Hyperion the same way.
    /// </summary>
    public static HyperionSerializerSettings RestrictedTo(IEnumerable<Type> types) => HyperionSerializerSettings.Default
        .WithDisallowUnsafeType(true)
        .WithTypeFilter(AllowList.Filter(types));

    public override int Identifier => SerializerId;

    /// <summary>The types this serializer will instantiate.</summary>
    public static IReadOnlyCollection<Type> AllowedTypes { get; } = [.. ReplicationProtocol.Messages, .. ReplicationProtocol.Contents];

    /// <summary>
    /// Hyperion asks a filter about a type by two spellings: on serialization the full assembly-qualified name
    /// (with version and public key token), on deserialization the short form written on the wire. Hyperion's own
    /// <see cref="TypeFilter"/> knows only the short form, so with <c>disallow-unsafe-type</c> on it refuses to
    /// serialize the very types it allows. This filter accepts both spellings of the listed types.
    /// </summary>
    private sealed class AllowList(TypeFilter shortNames, IReadOnlySet<string> fullNames) : ITypeFilter
    {
        public static AllowList Filter(IEnumerable<Type> types)
        {
            var list = types.ToList();
            var builder = TypeFilterBuilder.Create();
            foreach (var t in list) builder.Include(t);
            return new AllowList(builder.Build(), list.Select(t => t.AssemblyQualifiedName!).ToHashSet(StringComparer.Ordinal));
        }

        public bool IsAllowed(string typeName) => fullNames.Contains(typeName) || shortNames.IsAllowed(typeName);
    }
}
