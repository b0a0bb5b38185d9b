using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>One TCP client: its retained input, its delivered output, and the two socket pumps.</summary>
public sealed partial class GuestGateway
{
    /// <summary>Bytes to write to a client, or the guest's close of its side.</summary>
    private readonly record struct Outbound(ReadOnlyMemory<byte> Data, bool Close);

    /// <summary>
    /// A client bridged to one guest connection. Everything but the socket and the unsent-byte count is guarded by
    /// the gateway's lock; the read and write pumps do their I/O outside it.
    /// </summary>
    private sealed class Client(long number, Socket socket, int guestPort)
    {
        private TaskCompletionSource? _resume;

        /// <summary>Accept order, for logs: the guest connection id changes if a failover connects it again.</summary>
        public long Number { get; } = number;

        public Socket Socket { get; } = socket;

        public int GuestPort { get; } = guestPort;

        public EndPoint? Remote { get; } = RemoteOf(socket);

        /// <summary>The guest connection on the current primary; null while (re)connecting.</summary>
        public long? Id { get; set; }

        public InputLog Input { get; } = new();

        /// <summary>The client half-closed: the guest gets end-of-input after the bytes kept.</summary>
        public bool InputEnded { get; set; }

        /// <summary>Stream offset up to which released output was handed to the writer.</summary>
        public long Delivered { get; set; }

        /// <summary>The guest's close was released and handed to the writer.</summary>
        public bool CloseQueued { get; set; }

        /// <summary>Dropped (reset, refused, gap) or finished: nothing more goes to or from the guest.</summary>
        public bool Finished { get; set; }

        /// <summary>Written by the writer, read by the reader: bytes handed to the writer and not yet in the socket.</summary>
        public long Unsent;

        public Channel<Outbound> Outbound { get; } = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });

        /// <summary>Completes when the reader stops reading (end-of-file, error, or the gateway stopping).</summary>
        public TaskCompletionSource ReaderDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Whether the reader should wait: too much uncommitted input, or too much output the client has not read.</summary>
        public bool OverLimits(GuestGatewayOptions options) =>
            Input.Length > options.MaxUncommittedInputBytes || Interlocked.Read(ref Unsent) > options.MaxUnsentOutputBytes;

        /// <summary>Guarded by the gateway's lock: a task the reader awaits before its next read, or null to read on.</summary>
        public Task? PauseIfOver(GuestGatewayOptions options)
        {
            if (Finished || !OverLimits(options)) return null;
            _resume ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _resume.Task;
        }

        /// <summary>Guarded by the gateway's lock: lets a paused reader go on once below the limits (or finished).</summary>
        public void ResumeIfBelow(GuestGatewayOptions options)
        {
            if (_resume is null || (!Finished && OverLimits(options))) return;
            // Continuations run asynchronously: this may be the primary's guest thread, which must never run socket code.
            _resume.TrySetResult();
            _resume = null;
        }

        /// <summary>The peer's IPv4 address as the guest's getpeername reports it (host order), and its port.</summary>
        public (uint Address, int Port) Peer => Remote is IPEndPoint { Address: var a, Port: var p } && a.MapToIPv4().GetAddressBytes() is [var b0, var b1, var b2, var b3]
            ? (((uint)b0 << 24) | ((uint)b1 << 16) | ((uint)b2 << 8) | b3, p)
            : (0x7f000001u, 0);

        private static EndPoint? RemoteOf(Socket socket)
        {
            try
            {
                return socket.RemoteEndPoint;
            }
            catch (SocketException)
            {
                return null;
            }
        }
    }

    private async Task ReadLoopAsync(Client c)
    {
        var buffer = new byte[_options.ReadChunkBytes];
        try
        {
            while (true)
            {
                Task? paused;
                lock (_lock)
                {
                    paused = c.PauseIfOver(_options);
                    if (paused is not null) _readPauses++;
                }
                if (paused is not null) await paused.WaitAsync(_stopping.Token);
                int n = await c.Socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (n == 0)
                {
                    ClientEnded(c);
                    return;
                }
                ClientSent(c, buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The gateway stops, or the client was finished and its socket closed.
        }
        catch (SocketException e)
        {
            Drop(c, $"read failed: {e.SocketErrorCode}", abort: false);
        }
        finally
        {
            c.ReaderDone.TrySetResult();
        }
    }

    private async Task WriteLoopAsync(Client c)
    {
        try
        {
            await foreach (var item in c.Outbound.Reader.ReadAllAsync(_stopping.Token))
            {
                if (item.Close)
                {
                    await CloseSendSideAsync(c);
                    return;
                }
                for (int sent = 0; sent < item.Data.Length;)
                {
                    sent += await c.Socket.SendAsync(item.Data[sent..], SocketFlags.None, _stopping.Token);
                }
                Interlocked.Add(ref c.Unsent, -item.Data.Length);
                lock (_lock) c.ResumeIfBelow(_options);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping, or dropped meanwhile.
        }
        catch (SocketException e)
        {
            Drop(c, $"write failed: {e.SocketErrorCode}", abort: false);
        }
    }

    /// <summary>
    /// The guest closed its side and every byte before the close is written: the client reads end-of-file. The socket
    /// stays open a little to drain the client's last bytes, since closing with unread input would reset the connection
    /// and could destroy replies the client has not read yet.
    /// </summary>
    private async Task CloseSendSideAsync(Client c)
    {
        try
        {
            c.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The client left first; the close is complete all the same.
        }
        // Until the client closes its side too (the reader sees end-of-file), or the linger runs out, or the gateway stops.
        await Task.WhenAny(c.ReaderDone.Task, Task.Delay(_options.CloseLinger, _stopping.Token));
        c.Socket.Dispose();
    }
}
