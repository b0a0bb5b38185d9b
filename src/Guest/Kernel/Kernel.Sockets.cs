using System.Buffers.Binary;
using FaultTolerant.Guest.Kernel.Sockets;

namespace FaultTolerant.Guest.Kernel;

/// <summary>
/// Virtual AF_INET stream sockets. A guest only listens: connections arrive from the host side
/// (<see cref="Connect"/>), never from a real network stack.
/// </summary>
internal sealed partial class LinuxKernel
{
    private const int AfInet = 2, SockStream = 1, SockTypeMask = 0xf, SockNonblock = 0x800, SockCloexec = 0x80000;
    private const int MsgPeek = 0x2, MsgDontwait = 0x40;
    private const int SockaddrInSize = 16;
    private const int SoType = 3, SoError = 4, SoSndbuf = 7, SoRcvbuf = 8, SoAcceptConn = 30;
    private const uint Loopback = 0x7f000001;
    private const int FirstEphemeralPort = 32768, LastEphemeralPort = 60999;

    private static readonly HashSet<(int, int)> KnownOptions =
    [
        (SocketFile.SolSocket, 2), (SocketFile.SolSocket, 5), (SocketFile.SolSocket, 6), (SocketFile.SolSocket, SoSndbuf),
        (SocketFile.SolSocket, SoRcvbuf), (SocketFile.SolSocket, 9), (SocketFile.SolSocket, 10), (SocketFile.SolSocket, 13),
        (SocketFile.SolSocket, 15), (SocketFile.SolSocket, 18), (SocketFile.SolSocket, 19), (SocketFile.SolSocket, 20),
        (SocketFile.SolSocket, 21), (SocketFile.IpProtoTcp, 1), (SocketFile.IpProtoTcp, 2), (SocketFile.IpProtoTcp, 4),
        (SocketFile.IpProtoTcp, 5), (SocketFile.IpProtoTcp, 6), (SocketFile.IpProtoTcp, 12), (SocketFile.IpProtoTcp, 18),
    ];

    private readonly SortedDictionary<int, Listener> _listeners = [];
    private readonly SortedDictionary<long, Connection> _connections = [];
    private readonly SortedSet<int> _portsInUse = [];

    public long NextConnectionId { get; set; } = GuestStreams.FirstConnection;

    public int NextEphemeralPort { get; set; } = FirstEphemeralPort;

    internal Listener? Listener(int port) => _listeners.GetValueOrDefault(port);

    private long Socket(int domain, int type, int protocol)
    {
        if (domain != AfInet) return -Errno.EAFNOSUPPORT;
        if ((type & SockTypeMask) != SockStream || (type & ~(SockTypeMask | SockNonblock | SockCloexec)) != 0) return -Errno.EPROTONOSUPPORT;
        if (protocol is not (0 or SocketFile.IpProtoTcp)) return -Errno.EPROTONOSUPPORT;
        var socket = new SocketFile(this) { Flags = OpenFile.ReadWrite | ((type & SockNonblock) != 0 ? OpenFile.ONonblock : 0) };
        return Install(socket, (type & SockCloexec) != 0);
    }

    private long SocketOf(int fd, out SocketFile socket)
    {
        socket = null!;
        var file = FileOf(fd);
        if (file is null) return -Errno.EBADF;
        if (file is not SocketFile s) return -Errno.ENOTSOCK;
        socket = s;
        return 0;
    }

    private long Bind(int fd, ulong address, int length)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if (length < SockaddrInSize) return -Errno.EINVAL;
        var sa = new byte[SockaddrInSize];
        if (!_memory.TryRead(address, sa)) return -Errno.EFAULT;
        if (BinaryPrimitives.ReadUInt16LittleEndian(sa) != AfInet) return -Errno.EAFNOSUPPORT;
        if (socket.State != SocketState.Unbound) return -Errno.EINVAL;
        int port = BinaryPrimitives.ReadUInt16BigEndian(sa.AsSpan(2));
        if (port == 0)
        {
            if (AllocateEphemeralPort() is not { } p) return -Errno.EADDRINUSE;
            port = p;
        }
        else if (!_portsInUse.Add(port))
        {
            return -Errno.EADDRINUSE;
        }
        socket.Port = port;
        socket.BoundAddress = BinaryPrimitives.ReadUInt32BigEndian(sa.AsSpan(4));
        socket.State = SocketState.Bound;
        return 0;
    }

    private int? AllocateEphemeralPort()
    {
        for (int i = 0; i <= LastEphemeralPort - FirstEphemeralPort; i++)
        {
            int port = NextEphemeralPort;
            NextEphemeralPort = port == LastEphemeralPort ? FirstEphemeralPort : port + 1;
            if (_portsInUse.Add(port)) return port;
        }
        return null;
    }

    private long Listen(int fd, int backlog)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        backlog = Math.Clamp(backlog, 1, 4096);
        switch (socket.State)
        {
            case SocketState.Listening:
                _listeners[socket.Port].Backlog = backlog;
                return 0;
            case SocketState.Unbound:
                if (AllocateEphemeralPort() is not { } p) return -Errno.EADDRINUSE;
                socket.Port = p;
                break;
            case SocketState.Bound:
                break;
            default:
                return -Errno.EINVAL;
        }
        _listeners[socket.Port] = new Listener(socket.Port, backlog);
        socket.State = SocketState.Listening;
        return 0;
    }

    private long Accept(int fd, ulong address, ulong lengthAddress, int flags)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if ((flags & ~(SockNonblock | SockCloexec)) != 0) return -Errno.EINVAL;
        if (socket.State != SocketState.Listening) return -Errno.EINVAL;
        var listener = _listeners[socket.Port];
        if (listener.Pending.Count == 0) return Complete(OpenFile.WouldBlock, socket, "accept");
        if (_fds.Count >= MaxFds) return -Errno.EMFILE;
        var connection = _connections[listener.Pending.Peek()];
        if (address != 0)
        {
            long w = WriteSockaddr(address, lengthAddress, connection.PeerAddress, connection.PeerPort);
            if (w != 0) return w;
        }
        listener.Pending.Dequeue();
        connection.Accepted = true;
        var accepted = new SocketFile(this)
        {
            Flags = OpenFile.ReadWrite | ((flags & SockNonblock) != 0 ? OpenFile.ONonblock : 0),
            State = SocketState.Connected,
            Port = socket.Port,
            BoundAddress = Loopback,
            Connection = connection,
        };
        return Install(accepted, (flags & SockCloexec) != 0);
    }

    private long ConnectOutbound(int fd)
    {
        long r = SocketOf(fd, out _);
        // Guests reach the world only through connections the host brings in.
        return r != 0 ? r : -Errno.ENETUNREACH;
    }

    private long WriteSockaddr(ulong address, ulong lengthAddress, uint ip, int port)
    {
        if (!TryReadI32(lengthAddress, out var length)) return -Errno.EFAULT;
        if (length < 0) return -Errno.EINVAL;
        var sa = new byte[SockaddrInSize];
        BinaryPrimitives.WriteUInt16LittleEndian(sa, AfInet);
        BinaryPrimitives.WriteUInt16BigEndian(sa.AsSpan(2), (ushort)port);
        BinaryPrimitives.WriteUInt32BigEndian(sa.AsSpan(4), ip);
        if (!_memory.TryWrite(address, sa.AsSpan(0, Math.Min(length, SockaddrInSize)))) return -Errno.EFAULT;
        return TryWriteI32(lengthAddress, SockaddrInSize) ? 0 : -Errno.EFAULT;
    }

    private long SocketName(int fd, ulong address, ulong lengthAddress, bool peer)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if (peer)
        {
            if (socket.State != SocketState.Connected || socket.Connection is null) return -Errno.ENOTCONN;
            return WriteSockaddr(address, lengthAddress, socket.Connection.PeerAddress, socket.Connection.PeerPort);
        }
        return WriteSockaddr(address, lengthAddress, socket.BoundAddress, socket.Port);
    }

    private long Setsockopt(int fd, int level, int name, ulong value, int length)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if (!KnownOptions.Contains((level, name))) return -Errno.ENOPROTOOPT;
        if (length < 4) return -Errno.EINVAL;
        if (!TryReadI32(value, out var v)) return -Errno.EFAULT;
        socket.Options[(level, name)] = v;
        return 0;
    }

    private long Getsockopt(int fd, int level, int name, ulong value, ulong lengthAddress)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if (!TryReadI32(lengthAddress, out var length)) return -Errno.EFAULT;
        if (length < 0) return -Errno.EINVAL;
        int? v = (level, name) switch
        {
            (SocketFile.SolSocket, SoType) => SockStream,
            (SocketFile.SolSocket, SoError) => 0,
            (SocketFile.SolSocket, SoAcceptConn) => socket.State == SocketState.Listening ? 1 : 0,
            (SocketFile.SolSocket, SoSndbuf) => socket.Options.GetValueOrDefault((level, name), Limits.SocketSendBuffer),
            (SocketFile.SolSocket, SoRcvbuf) => socket.Options.GetValueOrDefault((level, name), Limits.SocketReceiveBuffer),
            _ when KnownOptions.Contains((level, name)) => socket.Options.GetValueOrDefault((level, name)),
            _ => null,
        };
        if (v is null) return -Errno.ENOPROTOOPT;
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, v.Value);
        if (!_memory.TryWrite(value, b[..Math.Min(length, 4)])) return -Errno.EFAULT;
        return TryWriteI32(lengthAddress, 4) ? 0 : -Errno.EFAULT;
    }

    private long Recvfrom(int fd, ulong buffer, ulong length, int flags, ulong address, ulong lengthAddress)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if (socket.State != SocketState.Connected || socket.Connection is null) return -Errno.ENOTCONN;
        var c = socket.Connection;
        int n = (int)Math.Min(length, MaxIoChunk);
        if (!_memory.IsWritable(buffer, (ulong)n)) return -Errno.EFAULT;
        long got;
        if ((flags & MsgPeek) != 0 && c.Input.Count > 0)
        {
            got = Math.Min(n, c.Input.Count);
            _memory.TryWrite(buffer, c.Input.Span[..(int)got]);
        }
        else
        {
            var temp = new byte[n];
            got = Complete(socket.Read(temp), socket, "recvfrom", (flags & MsgDontwait) != 0);
            if (got > 0) _memory.TryWrite(buffer, temp.AsSpan(0, (int)got));
        }
        if (got >= 0 && address != 0)
        {
            long w = WriteSockaddr(address, lengthAddress, c.PeerAddress, c.PeerPort);
            if (w != 0) return w;
        }
        return got;
    }

    private long Sendto(int fd, ulong buffer, ulong length, int flags)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        int n = (int)Math.Min(length, MaxIoChunk);
        var temp = new byte[n];
        if (!_memory.TryRead(buffer, temp)) return -Errno.EFAULT;
        return Complete(socket.Write(temp), socket, "sendto", (flags & MsgDontwait) != 0);
    }

    private long Shutdown(int fd, int how)
    {
        long r = SocketOf(fd, out var socket);
        if (r != 0) return r;
        if (how is < 0 or > 2) return -Errno.EINVAL;
        if (socket.State != SocketState.Connected || socket.Connection is null) return -Errno.ENOTCONN;
        if (how != 1) socket.Connection.ShutRead = true;
        if (how != 0) socket.Connection.Output.Closed = true;
        return 0;
    }

    /// <summary>The guest closed a socket fd: free its port, end its connection's output, drop unaccepted connections.</summary>
    internal void SocketClosed(SocketFile socket)
    {
        switch (socket.State)
        {
            case SocketState.Listening:
                var listener = _listeners[socket.Port];
                _listeners.Remove(socket.Port);
                foreach (var id in listener.Pending)
                {
                    // Never accepted: the client sees the connection end with no data (Linux would reset it).
                    _connections[id].Output.Closed = true;
                    _connections[id].GuestClosed = true;
                    _connections[id].Input.Clear();
                }
                _portsInUse.Remove(socket.Port);
                break;
            case SocketState.Bound:
                _portsInUse.Remove(socket.Port);
                break;
            case SocketState.Connected when socket.Connection is { } c:
                c.Output.Closed = true;
                c.GuestClosed = true;
                c.Input.Clear();
                break;
        }
        socket.State = SocketState.Closed;
    }
}
