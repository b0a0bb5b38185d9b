using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using FaultTolerant.Replica.Settings;

namespace FaultTolerant.Replica.Serialization;

/// <summary>
/// Builds the configuration of an actor system that hosts replicas: the node's own configuration over the
/// replica reference configuration, which brings the <c>ft.replica</c> defaults and binds the protocol's messages
/// to <see cref="ReplicationSerializer"/>.
/// </summary>
public static class ReplicaActorSystem
{
    /// <summary><paramref name="config"/> with the replica reference configuration as fallback.</summary>
    public static Config Config(Config? config = null) => ReplicaSettings.WithReference(config);

    /// <summary>An <see cref="ActorSystemSetup"/> for <c>ActorSystem.Create(name, setup)</c> with <see cref="Config"/>.</summary>
    public static ActorSystemSetup Setup(Config? config = null) => ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(Config(config)));
}
