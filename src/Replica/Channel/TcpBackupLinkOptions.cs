namespace FaultTolerant.Replica.Channel;

/// <summary>How a primary's link to one backup behaves on a slow or failing network.</summary>
public sealed record TcpBackupLinkOptions
{
    public static readonly TcpBackupLinkOptions Default = new();

    /// <summary>
    /// Bytes of deltas that may wait to be written. Past it the backup (or the network) is too slow: the queue is
    /// dropped and the owner asked for a resync, rather than the primary's memory growing without end. Images (a full
    /// checkpoint, a pre-copy's pages) are not counted (see <see cref="LinkSendQueue"/>).
    /// </summary>
    public long MaxQueuedBytes { get; init; } = 64L << 20;

    /// <summary>First delay before a reconnect; it doubles per failed attempt up to <see cref="ReconnectMax"/>.</summary>
    public TimeSpan ReconnectMin { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A write that makes no progress this long means the backup stopped reading: the connection is given up.</summary>
    public TimeSpan WriteStallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>SO_SNDBUF; 0 leaves the system's default (on Linux: autotuning up to net.ipv4.tcp_wmem's maximum).</summary>
    public int SendBufferBytes { get; init; } = 4 << 20;

    /// <summary>Bytes handed to the socket per system call (frames are gathered, never copied); at least one frame.</summary>
    public int MaxWriteBytes { get; init; } = 4 << 20;

    /// <summary>How long <see cref="TcpBackupLink.DisposeAsync"/> lets the unit being written finish before cutting it.</summary>
    public TimeSpan DisposeDrainTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>TCP keep-alive idle time, so a vanished backup is noticed while the link is idle.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(10);

    /// <exception cref="ArgumentOutOfRangeException">A value that cannot work, named.</exception>
    public void Validate()
    {
        if (MaxQueuedBytes <= 0) throw new ArgumentOutOfRangeException(nameof(MaxQueuedBytes), MaxQueuedBytes, "must be positive");
        if (ReconnectMin <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ReconnectMin), ReconnectMin, "must be positive");
        if (ReconnectMax < ReconnectMin) throw new ArgumentOutOfRangeException(nameof(ReconnectMax), ReconnectMax, "must be at least ReconnectMin");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "must be positive");
        if (WriteStallTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(WriteStallTimeout), WriteStallTimeout, "must be positive");
        if (SendBufferBytes < 0) throw new ArgumentOutOfRangeException(nameof(SendBufferBytes), SendBufferBytes, "must be 0 (system default) or positive");
        if (MaxWriteBytes < 1) throw new ArgumentOutOfRangeException(nameof(MaxWriteBytes), MaxWriteBytes, "must be positive");
        if (DisposeDrainTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DisposeDrainTimeout), DisposeDrainTimeout, "must not be negative");
        if (KeepAlive < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(KeepAlive), KeepAlive, "must be at least 1 s");
    }
}

/// <summary>A backup link's counters since it was made.</summary>
/// <param name="Connects">Connections established (Hello written).</param>
/// <param name="Breaks">Established connections that failed.</param>
/// <param name="CheckpointsSent">Units (checkpoints and pre-copy pieces) written whole.</param>
/// <param name="CheckpointsDropped">Units never written whole: cut by a break, dropped for the bound, or useless until a resync.</param>
public sealed record TcpBackupLinkStatistics(long Connects, long Breaks, long CheckpointsSent, long CheckpointsDropped, long BytesSent, long QueuedBytes);
