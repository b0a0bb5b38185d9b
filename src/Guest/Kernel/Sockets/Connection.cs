namespace FaultTolerant.Guest.Kernel.Sockets;

/// <summary>
/// One TCP-like connection from the outside world to a guest listener. Both directions count bytes:
/// <see cref="Received"/> (delivered into the guest by the host) and <see cref="Output"/>.Sent. Those
/// offsets are guest state and are what lets a gateway replay input and dedupe output after failover.
/// </summary>
internal sealed class Connection(long id, int localPort, uint peerAddress, int peerPort)
{
    public long Id { get; } = id;

    public int LocalPort { get; } = localPort;

    public uint PeerAddress { get; } = peerAddress;

    public int PeerPort { get; } = peerPort;

    public ByteQueue Input { get; } = new();

    public long Received { get; set; }

    /// <summary>The peer will send no more (FIN): reads return 0 once the input is drained.</summary>
    public bool PeerEnded { get; set; }

    /// <summary>The peer is gone entirely: writes fail with EPIPE.</summary>
    public bool PeerGone { get; set; }

    public bool ShutRead { get; set; }

    public OutputStream Output { get; } = new(id);

    /// <summary>The guest closed its socket (or its listener, before accepting): nothing more will be read or sent.</summary>
    public bool GuestClosed { get; set; }

    /// <summary>Accepted by the guest (an fd refers to it), as opposed to waiting in a listener's backlog.</summary>
    public bool Accepted { get; set; }
}

internal sealed class Listener(int port, int backlog)
{
    public int Port { get; } = port;

    public int Backlog { get; set; } = backlog;

    public Queue<long> Pending { get; } = new();
}
