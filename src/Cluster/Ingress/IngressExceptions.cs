namespace FaultTolerant.Cluster.Ingress;

/// <summary>Base of every error the ingress (the gateway ↔ primary connection) reports.</summary>
public abstract class IngressException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A frame is malformed, truncated, corrupted or out of place: the connection it came on is dropped.</summary>
public class IngressProtocolException(string message, Exception? inner = null) : IngressException(message, inner);

/// <summary>The peer speaks another version of the ingress protocol.</summary>
public sealed class UnsupportedIngressVersionException(int found, int supported)
    : IngressProtocolException($"ingress protocol version {found} is not supported (this build speaks version {supported})")
{
    public int Found { get; } = found;
}

/// <summary>The primary node refused the gateway's Hello.</summary>
public sealed class IngressRefusedException(RefusalReason reason, ulong generation, string message)
    : IngressException($"ingress refused ({reason}): {message}")
{
    public RefusalReason Reason { get; } = reason;

    /// <summary>The generation of the primary on that node, 0 if there is none.</summary>
    public ulong Generation { get; } = generation;
}

/// <summary>The ingress connection could not be made, or ended before the primary answered.</summary>
public sealed class IngressConnectionLostException(string message, Exception? inner = null) : IngressException(message, inner);

/// <summary>The primary node could not make a client's connection for a reason other than the guest refusing it.</summary>
public sealed class IngressConnectFailedException(int port, string message) : IngressException($"guest port {port}: connect failed on the primary node: {message}")
{
    public int Port { get; } = port;
}
