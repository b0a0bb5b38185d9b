namespace FaultTolerant.Cluster.Ingress;

/// <summary>How a <see cref="RemotePrimary"/> keeps its ingress connection.</summary>
public sealed record RemotePrimaryOptions
{
    public static readonly RemotePrimaryOptions Default = new();

    /// <summary>How long the TCP connect and the primary's answer to the Hello may take together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The primary node gets a heartbeat this often, so it can tell a quiet gateway from a dead node.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Nothing from the primary node (not even a heartbeat) for this long: the connection is given up as broken.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where it says what went wrong. Must be quick and thread-safe.</summary>
    public Action<string>? Log { get; init; }

    /// <exception cref="ArgumentOutOfRangeException">A value that cannot work, named.</exception>
    public void Validate()
    {
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "must be positive");
        if (HeartbeatInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, "must be positive");
        if (IdleTimeout <= HeartbeatInterval) throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "must be longer than the heartbeat interval");
    }
}
