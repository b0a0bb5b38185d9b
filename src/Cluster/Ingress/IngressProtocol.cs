using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>
/// The ingress conversation between a gateway node and a primary node, per guest (DESIGN §4, docs/GATEWAY.md): one
/// TCP connection, opened by the gateway with a <see cref="Hello"/>, answered by a <see cref="Welcome"/> or a
/// <see cref="Refused"/>. Each message is one frame (<see cref="IngressCodec"/>).
/// </summary>
public abstract record IngressMessage
{
    /// <summary>Gateway → primary, first frame: which guest, which generation the gateway expects (0: whichever is here), who it is, and the connections it has clients for.</summary>
    /// <param name="Claims">Connection ids this gateway had clients for before the primary it reached: after a promotion or a broken ingress connection, they are its again.</param>
    public sealed record Hello(string Guest, ulong Generation, string GatewayId, IReadOnlyList<long> Claims) : IngressMessage
    {
        public bool Equals(Hello? other) => other is not null && Guest == other.Guest && Generation == other.Generation && GatewayId == other.GatewayId &&
            Claims.SequenceEqual(other.Claims);

        public override int GetHashCode() => HashCode.Combine(Guest, Generation, GatewayId, Claims.Count);
    }

    /// <summary>Gateway → primary: a client connected to <paramref name="Port"/>; answered by <see cref="Connected"/> or <see cref="ConnectRefused"/> with the same request id.</summary>
    public sealed record Connect(long RequestId, int Port, uint PeerAddress, int PeerPort) : IngressMessage;

    /// <summary>
    /// Gateway → primary: client bytes of a connection this gateway owns, starting at stream offset <paramref name="Offset"/>.
    /// The offset makes a replay idempotent: bytes the primary already has are dropped, a gap drops the session.
    /// </summary>
    public sealed record Deliver(long Connection, long Offset, byte[] Data) : IngressMessage
    {
        public bool Equals(Deliver? other) => other is not null && Connection == other.Connection && Offset == other.Offset && Data.AsSpan().SequenceEqual(other.Data);

        public override int GetHashCode() => HashCode.Combine(Connection, Offset, Data.Length);
    }

    /// <summary>Gateway → primary: the client half-closed; the guest reads end-of-file after the bytes delivered.</summary>
    public sealed record EndInput(long Connection) : IngressMessage;

    /// <summary>Gateway → primary: every <see cref="Release"/> up to <paramref name="Sequence"/> was handed to the gateway; the primary side may forget its output.</summary>
    public sealed record Ack(long Sequence) : IngressMessage;

    /// <summary>Either way, when nothing else was sent for a while: silence past the idle timeout means the peer is gone.</summary>
    public sealed record Heartbeat : IngressMessage
    {
        public static readonly Heartbeat Instance = new();
    }

    /// <summary>
    /// Primary → gateway, answer to <see cref="Hello"/>: the generation of the primary here and, of the connections
    /// claimed, those that are this gateway's now, as the primary has them (see docs/GATEWAY.md for the offsets).
    /// </summary>
    /// <param name="Lost">
    /// Claimed connections the primary has (or had) but will not give: given up after the orphan timeout. Their clients
    /// must be reset, never connected again and replayed: the guest may have acted on their bytes already. A claimed
    /// connection in neither list is one the primary never had.
    /// </param>
    public sealed record Welcome(ulong Generation, IReadOnlyList<ConnectionInfo> Connections, IReadOnlyList<long> Lost) : IngressMessage
    {
        public bool Equals(Welcome? other) => other is not null && Generation == other.Generation && Connections.SequenceEqual(other.Connections) &&
            Lost.SequenceEqual(other.Lost);

        public override int GetHashCode() => HashCode.Combine(Generation, Connections.Count, Lost.Count);
    }

    /// <summary>Primary → gateway, answer to <see cref="Hello"/>, then the connection is closed. <paramref name="Generation"/> is the primary's here, 0 if none.</summary>
    public sealed record Refused(RefusalReason Reason, ulong Generation, string Message) : IngressMessage;

    /// <summary>Primary → gateway: the guest took the connection of request <paramref name="RequestId"/>; it is this gateway's.</summary>
    public sealed record Connected(long RequestId, long Connection) : IngressMessage;

    /// <summary>Primary → gateway: the connection of request <paramref name="RequestId"/> was not made.</summary>
    public sealed record ConnectRefused(long RequestId, ConnectRefusal Reason, string Message) : IngressMessage;

    /// <summary>
    /// Primary → gateway: committed output of this gateway's connections and their committed offsets, from the release
    /// of <paramref name="Epoch"/>. One release may come as several frames; <paramref name="Sequence"/> numbers the
    /// frames of a session from 1, for <see cref="Ack"/>.
    /// </summary>
    public sealed record Release(long Sequence, ulong Generation, ulong Epoch, IReadOnlyList<ReleasedOutput> Output, IReadOnlyList<CommittedOffsets> Connections)
        : IngressMessage
    {
        public bool Equals(Release? other) => other is not null && Sequence == other.Sequence && Generation == other.Generation && Epoch == other.Epoch &&
            Output.Count == other.Output.Count && Output.Zip(other.Output).All(p => SameOutput(p.First, p.Second)) && Connections.SequenceEqual(other.Connections);

        public override int GetHashCode() => HashCode.Combine(Sequence, Generation, Epoch, Output.Count, Connections.Count);

        /// <summary>What the gateway's <see cref="IInputSource.OnRelease"/> takes.</summary>
        public ReleasedEpoch ToReleasedEpoch() => new(Generation, Epoch, Output, Connections);

        private static bool SameOutput(ReleasedOutput a, ReleasedOutput b) =>
            a.StreamId == b.StreamId && a.Offset == b.Offset && a.Closed == b.Closed && a.Data.AsSpan().SequenceEqual(b.Data);
    }
}

/// <summary>Why a primary node refused a gateway's <see cref="IngressMessage.Hello"/>.</summary>
public enum RefusalReason : byte
{
    /// <summary>No primary of that guest is attached on this node (never was, or it ended, or not yet).</summary>
    NoPrimary = 1,

    /// <summary>The primary here is of another generation than the one the gateway asked for: one of the two is out of date.</summary>
    StaleGeneration = 2,
}

/// <summary>Why a <see cref="IngressMessage.Connect"/> was not made.</summary>
public enum ConnectRefusal : byte
{
    /// <summary>The guest refused it (nothing listens on the port, or its backlog is full), or the primary has stopped: worth trying again.</summary>
    GuestRefused = 1,

    /// <summary>Anything else: the gateway should give up on this client.</summary>
    Failed = 2,
}
