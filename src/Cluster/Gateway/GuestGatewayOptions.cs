using System.Net;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>How a <see cref="GuestGateway"/> treats its clients.</summary>
public sealed record GuestGatewayOptions
{
    public static readonly GuestGatewayOptions Default = new();

    /// <summary>
    /// Client bytes per connection that may be kept uncommitted (read from the socket, not yet shown committed by a
    /// release). Past it the gateway stops reading that client, so a fast sender and a slow backup fill the client's
    /// TCP window, not this process's memory.
    /// </summary>
    public long MaxUncommittedInputBytes { get; init; } = 4L << 20;

    /// <summary>
    /// Released output per connection that may wait for the client to read it. Past it the gateway stops reading that
    /// client's requests too, so a request/response guest stops producing for a client that does not read its replies.
    /// </summary>
    public long MaxUnsentOutputBytes { get; init; } = 4L << 20;

    /// <summary>Bytes per socket read: one chunk of input handed to the primary.</summary>
    public int ReadChunkBytes { get; init; } = 64 << 10;

    /// <summary>How long a new client waits for the guest to take its connection (nothing listening yet, backlog full, no primary yet or a failover under way).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After the guest closed a connection, how long the socket stays open to drain the client's last bytes before it is closed.</summary>
    public TimeSpan CloseLinger { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The address the exposed ports are bound on: loopback by default; a node serving clients of other hosts binds its own address or <see cref="IPAddress.Any"/>.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>
    /// Whether a failover ends (end-of-input) the promoted guest's connections that this gateway has no client for. True
    /// when this is the guest's only gateway, or when its primary is reached through <c>RemotePrimary</c> (a Welcome lists
    /// only this gateway's connections). False when it is handed every promoted connection while other gateways own
    /// some of them: those belong to clients of other nodes, and the primary side's orphan timeout ends the ones nobody claims.
    /// </summary>
    public bool EndUnclaimedOnFailover { get; init; } = true;

    /// <summary>Where the gateway says what went wrong (a client reset, a refused connect, a protocol bug). Must be quick and thread-safe.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Where the guest's released stdout goes (written off the guest's thread); null drops it.</summary>
    public Stream? Stdout { get; init; }

    /// <summary>Where the guest's released stderr goes; null drops it.</summary>
    public Stream? Stderr { get; init; }

    /// <exception cref="ArgumentOutOfRangeException">A value that cannot work, named.</exception>
    public void Validate()
    {
        if (MaxUncommittedInputBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxUncommittedInputBytes), MaxUncommittedInputBytes, "must be positive");
        if (MaxUnsentOutputBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxUnsentOutputBytes), MaxUnsentOutputBytes, "must be positive");
        if (ReadChunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(ReadChunkBytes), ReadChunkBytes, "must be positive");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "must be positive");
        if (CloseLinger < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(CloseLinger), CloseLinger, "must not be negative");
    }
}

/// <summary>A gateway's counters since it started.</summary>
/// <param name="Accepted">TCP clients accepted.</param>
/// <param name="Open">Clients with a live guest connection (or waiting for one) now.</param>
/// <param name="ReadPauses">Times a client's socket stopped being read for backpressure.</param>
/// <param name="PeakUncommittedInputBytes">The most client bytes one connection ever kept uncommitted.</param>
/// <param name="ReplayedBytes">Input bytes replayed to a new primary after failovers.</param>
/// <param name="Reconnected">Clients whose guest connection the promoted guest did not have (never committed), connected again and replayed from the start.</param>
/// <param name="DuplicateOutputBytes">Released bytes dropped because they were already delivered (a new primary re-releasing from its committed offset).</param>
/// <param name="Gaps">Releases that started past what a client was given: a bug in the primary; the client was closed.</param>
/// <param name="Dropped">Clients dropped: reset, refused, gap.</param>
/// <param name="StaleReleases">Releases of a generation below one already seen, ignored.</param>
public sealed record GatewayStatistics(long Accepted, int Open, long ReadPauses, long PeakUncommittedInputBytes, long ReplayedBytes, long Reconnected,
    long DuplicateOutputBytes, long Gaps, long Dropped, long StaleReleases);
