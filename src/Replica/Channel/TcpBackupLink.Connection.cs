using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Channel;

/// <summary>One TCP connection of a link: written by the writer task, watched for the backup's end by a reader.</summary>
public sealed partial class TcpBackupLink
{
    private sealed class LinkConnection
    {
        /// <summary>Frames per gathered write; their headers share one array.</summary>
        private const int MaxFramesPerWrite = 64;

        private readonly Socket _socket;
        private readonly TcpBackupLinkOptions _options;
        private readonly CancellationTokenSource _cts;
        private readonly byte[] _headers = new byte[MaxFramesPerWrite * FrameHeader.Size];
        private readonly List<ArraySegment<byte>> _segments = new(2 * MaxFramesPerWrite);
        private readonly Task _watch;
        private string? _breakReason;

        private LinkConnection(Socket socket, TcpBackupLinkOptions options)
        {
            _socket = socket;
            _options = options;
            _cts = new CancellationTokenSource();
            _watch = WatchAsync();
        }

        /// <summary>Cancelled when the connection breaks (not when the link stops: a unit being written may finish first).</summary>
        public CancellationToken Token => _cts.Token;

        public string? BreakReason => Volatile.Read(ref _breakReason);

        /// <summary>Connects and writes the Hello; null and why on failure.</summary>
        public static async Task<(LinkConnection? Connection, string? Failure)> OpenAsync(EndPoint endpoint, TcpBackupLinkOptions options, byte[] hello,
            CancellationToken stopping)
        {
            var socket = endpoint is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                ChannelSockets.Tune(socket, options.SendBufferBytes, 0, options.KeepAlive);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(options.ConnectTimeout);
                await socket.ConnectAsync(endpoint, timeout.Token);
                int sent = await socket.SendAsync(hello, SocketFlags.None, timeout.Token);
                if (sent != hello.Length) throw new IOException($"the Hello went out short ({sent} of {hello.Length} bytes)");
                return (new LinkConnection(socket, options), null);
            }
            catch (Exception e)
            {
                // Whatever it was (refused, unreachable, timed out, a bad endpoint), the writer backs off and tries again.
                socket.Dispose();
                return (null, e is OperationCanceledException && !stopping.IsCancellationRequested ? $"no connection within {options.ConnectTimeout}" : e.Message);
            }
        }

        /// <summary>
        /// Writes a checkpoint's frames, gathered into writes of up to <see cref="TcpBackupLinkOptions.MaxWriteBytes"/>:
        /// headers are made here (with their checksum), payloads go from the frames' own arrays, nothing is copied.
        /// </summary>
        /// <returns>Bytes written.</returns>
        /// <exception cref="OperationCanceledException">The connection broke or the link stopped.</exception>
        /// <exception cref="SocketException">The write failed.</exception>
        /// <exception cref="TimeoutException">A write made no progress within <see cref="TcpBackupLinkOptions.WriteStallTimeout"/>.</exception>
        public async Task<long> WriteAsync(IReadOnlyList<Frame> frames)
        {
            long total = 0;
            int i = 0;
            while (i < frames.Count)
            {
                _segments.Clear();
                int headers = 0;
                long batch = 0;
                while (i < frames.Count && headers < MaxFramesPerWrite && (headers == 0 || batch + FrameHeader.Size + frames[i].Payload.Length <= _options.MaxWriteBytes))
                {
                    var frame = frames[i++];
                    var header = new ArraySegment<byte>(_headers, headers++ * FrameHeader.Size, FrameHeader.Size);
                    frame.Header.Write(header, frame.Payload.Span);
                    _segments.Add(header);
                    if (frame.Payload.Length > 0) _segments.Add(ArrayOf(frame.Payload));
                    batch += FrameHeader.Size + frame.Payload.Length;
                }
                await SendAllAsync(batch);
                total += batch;
            }
            return total;
        }

        /// <summary>Gives up the connection; pending and later writes fail at once.</summary>
        public void Break(string reason)
        {
            if (Interlocked.CompareExchange(ref _breakReason, reason, null) is not null) return;
            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Closed already.
            }
            ChannelSockets.Abort(_socket);
        }

        /// <summary>Closes: with a clean end of stream between checkpoints, with a reset otherwise.</summary>
        public async Task CloseAsync(bool cleanly)
        {
            if (cleanly && BreakReason is null)
            {
                try
                {
                    _socket.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Gone already; the dispose below is all that is left.
                }
                Interlocked.CompareExchange(ref _breakReason, "closed", null);
                _socket.Dispose();
            }
            else
            {
                Break("closed");
            }
            await _watch;
            _cts.Dispose();
        }

        private async Task SendAllAsync(long count)
        {
            while (true)
            {
                var send = _socket.SendAsync(_segments, SocketFlags.None);
                int sent;
                try
                {
                    sent = await send.WaitAsync(_options.WriteStallTimeout, _cts.Token);
                }
                catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                {
                    if (e is TimeoutException) Break($"a write made no progress in {_options.WriteStallTimeout.TotalSeconds:0.###} s: the backup stopped reading");
                    // The abandoned send fails once the socket is gone; nobody else will look at it.
                    _ = send.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    throw;
                }
                if (sent >= count) return;
                // A short write (the platform's gather limit): skip what went out and write the rest.
                count -= sent;
                while (sent > 0)
                {
                    var first = _segments[0];
                    if (sent >= first.Count)
                    {
                        sent -= first.Count;
                        _segments.RemoveAt(0);
                    }
                    else
                    {
                        _segments[0] = first.Slice(sent);
                        sent = 0;
                    }
                }
            }
        }

        /// <summary>
        /// Reads, to notice the backup's end while the link is idle: the backup never writes on this channel, so any
        /// read completes only with its close or a reset (and stray bytes are ignored).
        /// </summary>
        private async Task WatchAsync()
        {
            await Task.Yield();
            var buffer = new byte[256];
            try
            {
                while (true)
                {
                    int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _cts.Token);
                    if (n == 0)
                    {
                        Break("the backup closed the connection");
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The connection broke already: closing is CloseAsync's job.
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Break(e is SocketException s ? $"connection lost: {s.SocketErrorCode}" : "closed");
            }
        }

        private static ArraySegment<byte> ArrayOf(ReadOnlyMemory<byte> payload) =>
            MemoryMarshal.TryGetArray(payload, out var segment) ? segment : new ArraySegment<byte>(payload.ToArray());
    }
}
