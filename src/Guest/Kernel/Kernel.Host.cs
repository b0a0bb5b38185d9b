using FaultTolerant.Guest.Kernel.Sockets;

namespace FaultTolerant.Guest.Kernel;

/// <summary>The host's side of the guest's I/O: connections in, bytes in, output out.</summary>
internal sealed partial class LinuxKernel
{
    public long Connect(int port, uint peerAddress, int peerPort)
    {
        if (!_listeners.TryGetValue(port, out var listener)) throw new GuestConnectionRefusedException(port, "nothing listens there");
        if (listener.Pending.Count >= listener.Backlog) throw new GuestConnectionRefusedException(port, "backlog full");
        var connection = new Connection(NextConnectionId++, port, peerAddress, peerPort);
        _connections[connection.Id] = connection;
        listener.Pending.Enqueue(connection.Id);
        return connection.Id;
    }

    private Connection ConnectionOf(long id) =>
        _connections.TryGetValue(id, out var c) ? c : throw new ArgumentException($"no connection {id} in this guest", nameof(id));

    /// <summary>Delivers client bytes. Returns how many were accepted: fewer when the receive buffer is full.</summary>
    public int Deliver(long id, ReadOnlySpan<byte> data)
    {
        var c = ConnectionOf(id);
        if (c.PeerEnded) throw new InvalidOperationException($"connection {id}: input already ended");
        if (c.GuestClosed)
        {
            // The guest closed the socket: like a kernel, accept and drop.
            c.Received += data.Length;
            return data.Length;
        }
        int n = Math.Min(data.Length, Limits.SocketReceiveBuffer - c.Input.Count);
        if (n <= 0) return 0;
        c.Input.Append(data[..n]);
        c.Received += n;
        return n;
    }

    public void EndInput(long id) => ConnectionOf(id).PeerEnded = true;

    public void Abort(long id)
    {
        var c = ConnectionOf(id);
        c.PeerEnded = true;
        c.PeerGone = true;
        c.Output.Pending.Clear();
    }

    public int DeliverStdin(ReadOnlySpan<byte> data)
    {
        if (Stdin.Ended) throw new InvalidOperationException("stdin already ended");
        int n = Math.Min(data.Length, Limits.SocketReceiveBuffer - Stdin.Buffer.Count);
        if (n <= 0) return 0;
        Stdin.Buffer.Append(data[..n]);
        Stdin.Received += n;
        return n;
    }

    public void EndStdin() => Stdin.Ended = true;

    public IEnumerable<OutputStream> OutputStreams()
    {
        yield return Stdout;
        yield return Stderr;
        foreach (var c in _connections.Values) yield return c.Output;
    }

    public ConnectionInfo? ConnectionInfo(long id) =>
        _connections.TryGetValue(id, out var c)
            ? new ConnectionInfo(c.Id, c.LocalPort, c.Received, c.Output.Sent, c.Output.ReleasedOffset, c.Accepted, c.PeerEnded, c.Output.Closed)
            : null;

    public IEnumerable<ConnectionInfo> Connections() => _connections.Keys.Select(id => ConnectionInfo(id)!);

    /// <summary>Drops released output; a closed connection whose output is all released leaves the guest.</summary>
    public void Release(long streamId, long upTo)
    {
        var stream = streamId switch
        {
            GuestStreams.Stdout => Stdout,
            GuestStreams.Stderr => Stderr,
            _ => ConnectionOf(streamId).Output,
        };
        if (stream.Release(upTo) && streamId >= GuestStreams.FirstConnection)
        {
            if (_connections[streamId].GuestClosed) _connections.Remove(streamId);
        }
    }
}
