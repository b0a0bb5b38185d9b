namespace FaultTolerant.Replica.Channel;

/// <summary>How a backup's data-channel listener treats connections.</summary>
public sealed record DataChannelListenerOptions
{
    public static readonly DataChannelListenerOptions Default = new();

    /// <summary>The Hello must arrive this soon after the connection; a peer that says nothing is dropped.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest Hello taken. It is read before anything is known of the peer, so it is kept small.</summary>
    public int MaxHelloBytes { get; init; } = 4096;

    /// <summary>Connections open at once; more are closed as soon as they are accepted.</summary>
    public int MaxConnections { get; init; } = 256;

    public int Backlog { get; init; } = 64;

    /// <summary>SO_RCVBUF of accepted sockets; 0 leaves the system's default (and, on Linux, its autotuning).</summary>
    public int ReceiveBufferBytes { get; init; }

    /// <summary>
    /// Read-ahead per connection: small frames come out of it without a system call each; a frame larger than it
    /// is read straight into its own array. Together with one frame (at most <c>FrameHeader.MaxPayload</c>) it is a
    /// connection's whole memory.
    /// </summary>
    public int ReadBufferBytes { get; init; } = 64 << 10;

    /// <summary>TCP keep-alive idle time: a primary whose host vanished is noticed although the channel is legitimately idle.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(10);

    /// <exception cref="ArgumentOutOfRangeException">A value that cannot work, named.</exception>
    public void Validate()
    {
        if (HelloTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HelloTimeout), HelloTimeout, "must be positive");
        if (MaxHelloBytes < 16) throw new ArgumentOutOfRangeException(nameof(MaxHelloBytes), MaxHelloBytes, "must be at least 16");
        if (MaxConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "must be at least 1");
        if (Backlog < 1) throw new ArgumentOutOfRangeException(nameof(Backlog), Backlog, "must be at least 1");
        if (ReceiveBufferBytes < 0) throw new ArgumentOutOfRangeException(nameof(ReceiveBufferBytes), ReceiveBufferBytes, "must be 0 (system default) or positive");
        if (ReadBufferBytes < 1) throw new ArgumentOutOfRangeException(nameof(ReadBufferBytes), ReadBufferBytes, "must be positive");
        if (KeepAlive < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(KeepAlive), KeepAlive, "must be at least 1 s");
    }
}
