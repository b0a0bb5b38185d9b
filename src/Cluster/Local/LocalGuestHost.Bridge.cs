using System.Net.Sockets;
using System.Threading.Channels;
using FaultTolerant.Guest;

namespace FaultTolerant.Cluster.Local;

/// <summary>The TCP side: accepting clients, pumping their bytes in, and guest output out.</summary>
public sealed partial class LocalGuestHost
{
    private const int ReadChunk = 64 * 1024;

    private abstract record HostEvent
    {
        public sealed record Stop : HostEvent
        {
            public static readonly Stop Instance = new();
        }

        public sealed record Accepted(Socket Socket, int GuestPort) : HostEvent;

        public sealed record Input(long Id, byte[] Data) : HostEvent;

        public sealed record InputEnded(long Id) : HostEvent;

        public sealed record ClientGone(long Id) : HostEvent;

        public sealed record Delivered(long Id, long Offset, bool Final) : HostEvent;
    }

    /// <summary>One real TCP client bridged to one guest connection.</summary>
    private sealed class ClientBridge(long id, Socket socket) : IDisposable
    {
        public long Id { get; } = id;

        public Socket Socket { get; } = socket;

        /// <summary>Released by the guest thread when the reader's last chunk was fully delivered.</summary>
        public SemaphoreSlim InputTaken { get; } = new(0);

        public Channel<(byte[] Data, long End, bool Close)> Outbound { get; } = Channel.CreateUnbounded<(byte[], long, bool)>();

        public byte[]? PendingInput { get; set; }

        public int PendingInputOffset { get; set; }

        public bool InputEndPending { get; set; }

        public long Forwarded { get; set; }

        public bool CloseForwarded { get; set; }

        /// <summary>The client vanished: output is released unsent until the guest closes its side.</summary>
        public bool Gone { get; set; }

        public void Dispose()
        {
            Outbound.Writer.TryComplete();
            Socket.Dispose();
        }
    }

    private async Task AcceptLoopAsync(TcpListener listener, int guestPort)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(_stopping.Token);
                socket.NoDelay = true;
                _events.Add(new HostEvent.Accepted(socket, guestPort));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The host is stopping.
        }
    }

    private void Apply(HostEvent ev)
    {
        switch (ev)
        {
            case HostEvent.Accepted a:
                long id;
                try
                {
                    id = _guest.Connect(a.GuestPort);
                }
                catch (GuestConnectionRefusedException)
                {
                    a.Socket.Dispose();
                    return;
                }
                var bridge = new ClientBridge(id, a.Socket);
                _clients[id] = bridge;
                _ = ReadLoopAsync(bridge);
                _ = WriteLoopAsync(bridge);
                break;
            case HostEvent.Input i when _clients.TryGetValue(i.Id, out var b):
                b.PendingInput = i.Data;
                b.PendingInputOffset = 0;
                DeliverPending(b);
                break;
            case HostEvent.InputEnded e when _clients.TryGetValue(e.Id, out var b):
                b.InputEndPending = true;
                DeliverPending(b);
                break;
            case HostEvent.ClientGone g when _clients.TryGetValue(g.Id, out var b):
                b.PendingInput = null;
                b.Gone = true;
                _guest.Abort(b.Id);
                break;
            case HostEvent.Delivered d when _clients.TryGetValue(d.Id, out var b):
                _guest.ReleaseOutput(b.Id, d.Offset);
                if (d.Final)
                {
                    _clients.Remove(b.Id);
                    b.Dispose();
                }
                break;
        }
    }

    private void DeliverPending(ClientBridge b)
    {
        if (b.PendingInput is { } data)
        {
            b.PendingInputOffset += _guest.Deliver(b.Id, data.AsSpan(b.PendingInputOffset));
            if (b.PendingInputOffset < data.Length) return;
            b.PendingInput = null;
            b.InputTaken.Release();
        }
        if (b.InputEndPending)
        {
            b.InputEndPending = false;
            _guest.EndInput(b.Id);
        }
    }

    private void FlushOutput()
    {
        foreach (var b in _clients.Values)
        {
            if (b.PendingInput is not null || b.InputEndPending) DeliverPending(b);
        }
        foreach (var o in _guest.PendingOutput())
        {
            long end = o.Offset + o.Data.Length;
            switch (o.StreamId)
            {
                case GuestStreams.Stdout or GuestStreams.Stderr:
                    var target = o.StreamId == GuestStreams.Stdout ? _stdout : _stderr;
                    target.Write(o.Data);
                    target.Flush();
                    _guest.ReleaseOutput(o.StreamId, end);
                    break;
                default:
                    if (!_clients.TryGetValue(o.StreamId, out var b) || b.Gone)
                    {
                        // No client any more: the output has nowhere to go.
                        _guest.ReleaseOutput(o.StreamId, end);
                        if (b is not null && o.Closed)
                        {
                            _clients.Remove(b.Id);
                            b.Dispose();
                        }
                        break;
                    }
                    if (end > b.Forwarded)
                    {
                        var fresh = o.Data.AsSpan((int)(b.Forwarded - o.Offset)).ToArray();
                        b.Forwarded = end;
                        b.Outbound.Writer.TryWrite((fresh, end, false));
                    }
                    if (o.Closed && !b.CloseForwarded)
                    {
                        b.CloseForwarded = true;
                        b.Outbound.Writer.TryWrite(([], end, true));
                    }
                    break;
            }
        }
    }

    private async Task ReadLoopAsync(ClientBridge b)
    {
        var buffer = new byte[ReadChunk];
        try
        {
            while (true)
            {
                int n = await b.Socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (n == 0)
                {
                    _events.Add(new HostEvent.InputEnded(b.Id));
                    return;
                }
                _events.Add(new HostEvent.Input(b.Id, buffer.AsSpan(0, n).ToArray()));
                await b.InputTaken.WaitAsync(_stopping.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping, or the bridge closed after the guest closed the connection.
        }
        catch (SocketException)
        {
            _events.Add(new HostEvent.ClientGone(b.Id));
        }
    }

    private async Task WriteLoopAsync(ClientBridge b)
    {
        try
        {
            await foreach (var (data, end, close) in b.Outbound.Reader.ReadAllAsync(_stopping.Token))
            {
                if (close)
                {
                    try
                    {
                        b.Socket.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                        // The client already left; the guest's close completes all the same.
                    }
                    _events.Add(new HostEvent.Delivered(b.Id, end, Final: true));
                    return;
                }
                int sent = 0;
                while (sent < data.Length) sent += await b.Socket.SendAsync(data.AsMemory(sent), SocketFlags.None, _stopping.Token);
                _events.Add(new HostEvent.Delivered(b.Id, end, Final: false));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
        catch (SocketException)
        {
            _events.Add(new HostEvent.ClientGone(b.Id));
        }
    }
}
