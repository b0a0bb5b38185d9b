namespace FaultTolerant.Guest.Kernel.Sockets;

internal enum SocketState : byte
{
    Unbound = 0,
    Bound = 1,
    Listening = 2,
    Connected = 3,
    Closed = 4,
}

/// <summary>An AF_INET stream socket, in any of its states.</summary>
internal sealed class SocketFile(LinuxKernel kernel) : OpenFile
{
    public const int SolSocket = 1, IpProtoTcp = 6;

    public SocketState State { get; set; }

    public int Port { get; set; }

    public uint BoundAddress { get; set; }

    public Connection? Connection { get; set; }

    /// <summary>Options the guest set, returned as set by getsockopt: (level, name) → value.</summary>
    public SortedDictionary<(int Level, int Name), int> Options { get; } = [];

    public override uint Mode => 0xC000 | 0x1FF; // S_IFSOCK | 0777

    public override long Read(Span<byte> destination)
    {
        if (State != SocketState.Connected || Connection is null) return -Errno.ENOTCONN;
        var c = Connection;
        if (c.Input.Count > 0) return c.Input.Read(destination);
        if (c.PeerEnded || c.ShutRead || destination.IsEmpty) return 0;
        return WouldBlock;
    }

    public override long Write(ReadOnlySpan<byte> source)
    {
        // Linux: sending on a TCP socket that is not connected is EPIPE; receiving is ENOTCONN.
        if (State != SocketState.Connected || Connection is null) return -Errno.EPIPE;
        var c = Connection;
        if (c.PeerGone || c.Output.Closed) return -Errno.EPIPE;
        int room = kernel.Limits.SocketSendBuffer - c.Output.Pending.Count;
        if (room <= 0) return source.IsEmpty ? 0 : WouldBlock;
        int n = Math.Min(room, source.Length);
        c.Output.Write(source[..n]);
        return n;
    }

    public override PollEvents Poll()
    {
        switch (State)
        {
            case SocketState.Listening:
                return kernel.Listener(Port) is { Pending.Count: > 0 } ? PollEvents.In | PollEvents.RdNorm : PollEvents.None;
            case SocketState.Connected when Connection is { } c:
                var ev = PollEvents.None;
                if (c.Input.Count > 0 || c.PeerEnded || c.ShutRead) ev |= PollEvents.In | PollEvents.RdNorm;
                if (c.PeerEnded) ev |= PollEvents.RdHup;
                if (c.PeerGone) ev |= PollEvents.Err | PollEvents.Hup;
                else if (c.Output.Closed && c.PeerEnded) ev |= PollEvents.Hup;
                else if (!c.Output.Closed && c.Output.Pending.Count < kernel.Limits.SocketSendBuffer) ev |= PollEvents.Out | PollEvents.WrNorm;
                return ev;
            default:
                // An unconnected socket: Linux reports POLLOUT | POLLHUP.
                return PollEvents.Out | PollEvents.Hup;
        }
    }

    public override void Closed() => kernel.SocketClosed(this);
}
