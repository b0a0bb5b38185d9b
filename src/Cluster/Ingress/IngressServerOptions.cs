namespace FaultTolerant.Cluster.Ingress;

/// <summary>How an <see cref="IngressServer"/> treats gateway sessions and the connections they leave behind.</summary>
public sealed record IngressServerOptions
{
    public static readonly IngressServerOptions Default = new();

    /// <summary>
    /// How long a connection whose gateway session is gone waits for a session of that gateway (or, for a promoted
    /// guest's connection, any gateway) to claim it before the guest gets end-of-input on it and closes it. Its client
    /// was on a gateway node that died: it reconnects.
    /// </summary>
    public TimeSpan OrphanTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Output per session sent and not yet acknowledged by the gateway, and output per orphan waiting for a claimant,
    /// past which the session is dropped (it cannot keep up, and the guest's thread must never wait for it) or the orphan
    /// given up.
    /// </summary>
    public long MaxUnacknowledgedOutputBytes { get; init; } = 16L << 20;

    /// <summary>How long a new ingress connection has to send its Hello.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Each session gets a heartbeat this often, so a gateway can tell a quiet guest from a dead node.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A session that sends nothing (not even a heartbeat) for this long is dropped: its gateway node is gone.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pending TCP connections of the listener.</summary>
    public int Backlog { get; init; } = 128;

    /// <summary>Where the server says what went wrong (a bad frame, a dropped session, an orphan given up). Must be quick and thread-safe.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Where the guests' released stdout and stderr go, on the primary's guest thread: must be quick and must not
    /// block. Null drops them. After a failover the new primary releases from its committed offset: the sink sees
    /// <see cref="GuestStdio.Offset"/> and may drop what it had.
    /// </summary>
    public Action<GuestStdio>? Stdio { get; init; }

    /// <exception cref="ArgumentOutOfRangeException">A value that cannot work, named.</exception>
    public void Validate()
    {
        if (OrphanTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(OrphanTimeout), OrphanTimeout, "must be positive");
        if (MaxUnacknowledgedOutputBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxUnacknowledgedOutputBytes), MaxUnacknowledgedOutputBytes, "must be positive");
        if (HelloTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HelloTimeout), HelloTimeout, "must be positive");
        if (HeartbeatInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, "must be positive");
        if (IdleTimeout <= HeartbeatInterval) throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "must be longer than the heartbeat interval");
        if (Backlog < 1) throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "must be positive");
    }
}

/// <summary>Released stdout or stderr bytes of a guest, from <paramref name="Offset"/> of the stream.</summary>
public sealed record GuestStdio(string Guest, ulong Generation, long Stream, long Offset, byte[] Data);

/// <summary>An ingress server's counters since it started.</summary>
/// <param name="Sessions">Gateway sessions open now (welcomed).</param>
/// <param name="Welcomed">Hellos answered with a Welcome.</param>
/// <param name="Refused">Hellos refused (no primary, stale generation).</param>
/// <param name="Dropped">Sessions dropped for a bad frame, a protocol violation, silence or not keeping up.</param>
/// <param name="Claimed">Connections granted to a claiming session.</param>
/// <param name="OrphansEnded">Connections given up (orphan timeout, or too much output waiting): their input was ended on the primary.</param>
/// <param name="DuplicateInputBytes">Client bytes a gateway replayed that the primary already had, dropped.</param>
/// <param name="StaleReleases">Releases from a primary that is not the attached one, ignored.</param>
public sealed record IngressStatistics(int Sessions, long Welcomed, long Refused, long Dropped, long Claimed, long OrphansEnded, long DuplicateInputBytes,
    long StaleReleases);
