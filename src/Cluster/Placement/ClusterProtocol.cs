using Akka.Actor;

namespace FaultTolerant.Cluster.Placement;

/// <summary>
/// Marks the cluster layer's messages and the guest table's entries. They travel over Akka remoting (and inside
/// Distributed Data) and are bound (in <c>hocon/cluster.conf</c>) to <see cref="Serialization.ClusterSerializer"/>:
/// Hyperion restricted to <see cref="ClusterProtocol.Messages"/> and <see cref="ClusterProtocol.Contents"/>.
/// </summary>
public interface IClusterMessage;

/// <summary>A node's role: workers host guests and gateways; witnesses only vote.</summary>
public enum NodeRole
{
    Worker = 1,
    Witness = 2,
}

/// <summary>One exposed port: clients reach the guest's <paramref name="GuestPort"/> at <paramref name="ClusterPort"/> on every worker's gateway.</summary>
public sealed record PortMapping(int GuestPort, int ClusterPort) : IClusterMessage
{
    public override string ToString() => $"{GuestPort}:{ClusterPort}";
}

/// <summary>
/// One row of the guest table, as kept in Distributed Data (majority writes and reads). A row changes only by a
/// coordinator's majority write of a higher <see cref="Generation"/> (or its removal when stopped).
/// </summary>
/// <param name="GuestId">The guest's id on the data channels (random at start, fixed for life).</param>
/// <param name="ImageHash">XXH128 of the ELF the guest started from (hex), for status.</param>
/// <param name="Replicas">How many backups the guest should have.</param>
/// <param name="Primary">The primary's node (its Akka address).</param>
/// <param name="Backups">The backups' nodes counted for acks in this generation.</param>
/// <param name="Ingress">Where gateways reach the primary's node for this guest's client connections (host:port).</param>
/// <param name="Phase">What the coordinator last did with it, for people: starting, running, failing-over, reprotecting, unprotected.</param>
public sealed record GuestEntry(
    string Name,
    ulong GuestId,
    string ImageHash,
    string[] Args,
    PortMapping[] Ports,
    int Replicas,
    ulong Generation,
    string Primary,
    string[] Backups,
    string Ingress,
    string Phase) : IClusterMessage;

/// <summary>What a node tells the coordinator about itself (sent on start and whenever the coordinator changes).</summary>
/// <param name="Address">The node's Akka address.</param>
/// <param name="Agent">The node's <see cref="Node.NodeAgent"/>.</param>
/// <param name="Replicas">The node's replica host (backups and the primaries it runs).</param>
/// <param name="Ingress">The node's ingress listener (host:port), where gateways reach its primaries.</param>
/// <param name="Gateway">The address its gateways listen on.</param>
public sealed record RegisterNode(string Address, NodeRole Role, IActorRef Agent, IActorRef Replicas, string Ingress, string Gateway) : IClusterMessage;

/// <summary>The coordinator knows the node.</summary>
public sealed record NodeRegistered(string Address) : IClusterMessage;

// --- Requests from the command line (through a node's management endpoint) to the coordinator ---

/// <summary>Starts a guest from an ELF image with <paramref name="Replicas"/> backups.</summary>
public sealed record StartGuest(string Name, byte[] Image, string[] Args, int Replicas, PortMapping[] Ports) : IClusterMessage;

/// <summary>Stops a guest everywhere and forgets it.</summary>
public sealed record StopGuest(string Name) : IClusterMessage;

/// <summary>A planned switchover: the backup with the highest committed epoch becomes the primary.</summary>
public sealed record FailoverGuest(string Name) : IClusterMessage;

/// <summary>Why a request was refused, for programs (the message says it for people).</summary>
public enum RefusalReason
{
    /// <summary>Not refused.</summary>
    None = 0,

    /// <summary>No guest has the name (the management endpoint answers 404).</summary>
    UnknownGuest = 1,

    /// <summary>A guest of that name exists already.</summary>
    AlreadyExists = 2,

    /// <summary>The request itself is wrong (name, image, replica count, ports): asking again is refused again.</summary>
    InvalidRequest = 3,

    /// <summary>The coordinator sees no majority, or a majority did not acknowledge: the cluster may be able later.</summary>
    NoMajority = 4,

    /// <summary>Fewer eligible workers than the primary and its backups need, or no backup to switch to: later, perhaps.</summary>
    NotEnoughNodes = 5,

    /// <summary>A cluster port cannot be served now (another program holds it on a worker's gateway address).</summary>
    PortUnavailable = 6,

    /// <summary>A node did not answer, or could not do its part (start, promote): later, perhaps elsewhere.</summary>
    NodeUnavailable = 7,
}

/// <summary>The answer to a request: done, or refused with the reason and nothing changed.</summary>
/// <param name="Reason">Why it was refused (<see cref="RefusalReason.None"/> when done).</param>
public sealed record CommandResult(bool Ok, string Message, GuestEntry? Guest, RefusalReason Reason = RefusalReason.None) : IClusterMessage
{
    /// <summary>Refused because no guest has the name.</summary>
    public bool UnknownGuest => Reason == RefusalReason.UnknownGuest;

    /// <summary>A refusal the same request may not get later (the cluster's state, not the request, was the cause).</summary>
    public bool Transient => Reason is RefusalReason.NoMajority or RefusalReason.NotEnoughNodes or RefusalReason.PortUnavailable or RefusalReason.NodeUnavailable;
}

/// <summary>Asks the coordinator for nodes and guests, with each primary's live figures.</summary>
public sealed record GetClusterStatus : IClusterMessage
{
    public static readonly GetClusterStatus Instance = new();
}

/// <summary>A member as the coordinator sees it.</summary>
public sealed record NodeStatus(string Address, string Role, string Status, bool Reachable, bool Registered) : IClusterMessage;

/// <summary>A guest and its primary's live figures (zero when the primary did not answer in time).</summary>
public sealed record GuestStatus(
    GuestEntry Entry,
    ulong Epoch,
    ulong ReleasedEpoch,
    ulong CommittedEpoch,
    double EpochsPerSecond,
    double PauseMilliseconds,
    long HeldOutputBytes,
    ulong LagEpochs,
    string PrimaryPhase) : IClusterMessage;

/// <summary>The cluster as the coordinator sees it.</summary>
/// <param name="Coordinator">The coordinator's node.</param>
/// <param name="Majority">Whether the coordinator sees a majority of voting members (it decides nothing otherwise).</param>
public sealed record ClusterStatus(string Coordinator, bool Majority, NodeStatus[] Nodes, GuestStatus[] Guests) : IClusterMessage;

// --- The coordinator to a node ---

/// <summary>Runs the first primary of a guest on this node, with backups on <paramref name="BackupHosts"/>.</summary>
public sealed record RunGuest(GuestEntry Entry, byte[] Image, IActorRef[] BackupHosts) : IClusterMessage;

/// <summary>The node started (or could not start) the guest's primary.</summary>
public sealed record RunGuestResult(string Name, ulong Generation, bool Ok, string Message) : IClusterMessage;

/// <summary>Asks a node's agent whether it is alive (the coordinator's check of a suspected primary).</summary>
public sealed record Ping(long Id) : IClusterMessage;

public sealed record Pong(long Id, string Address) : IClusterMessage;

/// <summary>
/// Asks a node's agent to ping the agent of the node at <paramref name="Target"/> (an Akka address: the node may not have
/// registered — it cannot, if it lost the coordinator's node) and say whether it answered within
/// <paramref name="TimeoutMilliseconds"/>: an indirect probe, as SWIM has. A member the coordinator cannot reach but a
/// third member can is not dead: the coordinator's node and it have lost each other.
/// </summary>
public sealed record ProbeThrough(long Id, string Target, int TimeoutMilliseconds) : IClusterMessage;

/// <summary>What an indirect probe found: whether the target answered the node <paramref name="Via"/>.</summary>
public sealed record Probed(long Id, string Via, bool Answered) : IClusterMessage;

/// <summary>
/// Asks a worker's agent whether its gateway could listen on these cluster ports now (it binds each on its gateway
/// address and lets go at once): a start request is refused before anything is written if one is taken.
/// </summary>
public sealed record CheckPorts(int[] Ports) : IClusterMessage;

/// <summary>The ports a node's gateway could not bind, each said for people with its address and port; empty when all are free.</summary>
public sealed record PortsChecked(string Node, string[] Problems) : IClusterMessage;

/// <summary>The protocol's types, for the serializer's allow-list and for tests that check every one.</summary>
public static class ClusterProtocol
{
    /// <summary>Every message: the concrete types implementing <see cref="IClusterMessage"/>.</summary>
    public static IReadOnlyList<Type> Messages { get; } =
    [
        typeof(PortMapping), typeof(GuestEntry), typeof(RegisterNode), typeof(NodeRegistered),
        typeof(StartGuest), typeof(StopGuest), typeof(FailoverGuest), typeof(CommandResult),
        typeof(GetClusterStatus), typeof(NodeStatus), typeof(GuestStatus), typeof(ClusterStatus),
        typeof(RunGuest), typeof(RunGuestResult), typeof(Ping), typeof(Pong), typeof(ProbeThrough), typeof(Probed), typeof(CheckPorts), typeof(PortsChecked),
    ];

    /// <summary>What the messages contain beyond primitives and strings: enums and arrays Hyperion names on the wire.</summary>
    public static IReadOnlyList<Type> Contents { get; } =
    [
        typeof(NodeRole), typeof(RefusalReason), typeof(PortMapping[]), typeof(NodeStatus[]), typeof(GuestStatus[]), typeof(IActorRef[]),
        typeof(ActorRefBase.Surrogate),
        // A witness registers with Nobody as its replica host (it runs none).
        typeof(Nobody.NobodySurrogate),
    ];
}
