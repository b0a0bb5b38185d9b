using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>A gateway session: one TCP connection, a reader that hands frames to the server, a writer that drains a queue.</summary>
public sealed partial class IngressServer
{
    /// <summary>After a graceful close, how long the socket stays open for the gateway to read the last frames and close its side.</summary>
    private static readonly TimeSpan CloseLinger = TimeSpan.FromSeconds(2);

    private sealed class Session
    {
        private readonly IngressServer _server;
        private readonly Socket _socket;
        private readonly CancellationTokenSource _abort;
        private readonly Channel<IngressMessage> _outbound = Channel.CreateUnbounded<IngressMessage>(new UnboundedChannelOptions { SingleReader = true });
        private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Release frames sent (or queued) and not acknowledged, in order. Guarded by the server's lock.</summary>
        private readonly Queue<(long Sequence, List<ReleasedOutput> Output, long Bytes)> _unacknowledged = new();

        private long _unacknowledgedBytes;
        private long _sequence;
        private int _ended;
        private Task _completion = Task.CompletedTask;

        public Session(IngressServer server, Socket socket)
        {
            _server = server;
            _socket = socket;
            _abort = CancellationTokenSource.CreateLinkedTokenSource(server._stopping.Token);
            Remote = RemoteOf(socket);
            socket.NoDelay = true;
        }

        public EndPoint? Remote { get; }

        /// <summary>Set by the Hello. Guarded by the server's lock.</summary>
        public string GatewayId { get; private set; } = "(no Hello yet)";

        /// <summary>The primary this session was welcomed by; null before (or if refused). Guarded by the server's lock.</summary>
        public Registration? Registration { get; private set; }

        public Task Completion => _completion;

        public void Start() => _completion = RunAsync();

        /// <summary>Guarded by the server's lock.</summary>
        public void Identify(string gatewayId) => GatewayId = gatewayId;

        /// <summary>Guarded by the server's lock.</summary>
        public void Welcomed(Registration registration) => Registration = registration;

        public void Send(IngressMessage message) => _outbound.Writer.TryWrite(message);

        /// <summary>
        /// Guarded by the server's lock: queues one release's output and offsets for this session's connections, in
        /// frames of at most <see cref="IngressFrameHeader.ChunkBytes"/> data bytes, each kept until acknowledged.
        /// Returns false once more is unacknowledged than the bound: the session cannot keep up.
        /// </summary>
        public bool SendRelease(ulong generation, ulong epoch, IReadOnlyList<ReleasedOutput> output, IReadOnlyList<CommittedOffsets> connections)
        {
            var frames = new List<(List<ReleasedOutput> Output, long Bytes)>();
            var current = new List<ReleasedOutput>();
            long bytes = 0;
            foreach (var piece in output.SelectMany(Pieces))
            {
                if (current.Count > 0 && bytes + piece.Data.Length > IngressFrameHeader.ChunkBytes)
                {
                    frames.Add((current, bytes));
                    current = [];
                    bytes = 0;
                }
                current.Add(piece);
                bytes += piece.Data.Length;
            }
            frames.Add((current, bytes));
            for (int i = 0; i < frames.Count; i++)
            {
                var (pieces, size) = frames[i];
                long sequence = ++_sequence;
                _unacknowledged.Enqueue((sequence, pieces, size));
                _unacknowledgedBytes += size;
                Send(new IngressMessage.Release(sequence, generation, epoch, pieces, i == frames.Count - 1 ? connections : []));
            }
            return _unacknowledgedBytes <= _server._options.MaxUnacknowledgedOutputBytes;
        }

        /// <summary>Guarded by the server's lock: forgets what the gateway has; returns the connections whose close it has, or null for an ack of a frame never sent.</summary>
        public List<long>? Acked(long sequence)
        {
            if (sequence > _sequence) return null;
            var closed = new List<long>();
            while (_unacknowledged.TryPeek(out var head) && head.Sequence <= sequence)
            {
                _unacknowledged.Dequeue();
                _unacknowledgedBytes -= head.Bytes;
                closed.AddRange(head.Output.Where(o => o.Closed).Select(o => o.StreamId));
            }
            return closed;
        }

        /// <summary>Guarded by the server's lock: everything sent and not acknowledged, in order; forgotten here.</summary>
        public List<ReleasedOutput> TakeUnacknowledged()
        {
            var all = _unacknowledged.SelectMany(u => u.Output).ToList();
            _unacknowledged.Clear();
            _unacknowledgedBytes = 0;
            return all;
        }

        /// <summary>Sends what is queued, then closes: the gateway reads the last frames and end-of-stream.</summary>
        public void Close(string reason)
        {
            _server.Log($"session of {GatewayId} ({Remote}) closing: {reason}");
            _outbound.Writer.TryComplete();
        }

        /// <summary>Closes at once (the caller has taken the session off the books): the gateway sees a reset.</summary>
        public void Abort()
        {
            Interlocked.Exchange(ref _ended, 1);
            _outbound.Writer.TryComplete();
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Finished already.
            }
            try
            {
                _socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
            _socket.Dispose();
        }

        /// <summary>The session ended on its own (the gateway left, a bad frame, silence, a broken socket): reported once.</summary>
        private void End(string reason, bool fault)
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0) return;
            _server.SessionEnded(this, reason, fault);
            Abort();
        }

        private async Task RunAsync()
        {
            using var stream = new NetworkStream(_socket, ownsSocket: false);
            var writer = WriteLoopAsync(stream);
            try
            {
                if (await ReadLoopAsync(stream) is { } ended) End(ended.Reason, ended.Fault);
            }
            finally
            {
                _readerDone.TrySetResult();
            }
            await writer;
            _abort.Dispose();
        }

        /// <summary>Returns why the session ended, or null when the server ended it (it has said why).</summary>
        private async Task<(string Reason, bool Fault)?> ReadLoopAsync(NetworkStream stream)
        {
            var header = new byte[IngressFrameHeader.Size];
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            var options = _server._options;
            try
            {
                idle.CancelAfter(options.HelloTimeout);
                var first = await IngressCodec.ReadAsync(stream, header, idle.Token);
                if (first is null) return ("closed before its Hello", false);
                if (first is not IngressMessage.Hello hello) throw new IngressProtocolException($"the first frame is a {first.GetType().Name}, not a Hello");
                if (!_server.OnHello(this, hello))
                {
                    // Refused: the writer sends the refusal and closes; read on (and ignore) until the gateway closes too.
                    idle.CancelAfter(CloseLinger);
                    while (await IngressCodec.ReadAsync(stream, header, idle.Token) is not null)
                    {
                    }
                    return ("refused", false);
                }
                while (true)
                {
                    idle.CancelAfter(options.IdleTimeout);
                    var message = await IngressCodec.ReadAsync(stream, header, idle.Token);
                    if (message is null) return ("the gateway closed the connection", false);
                    _server.OnFrame(this, message);
                }
            }
            catch (Exception) when (_abort.IsCancellationRequested)
            {
                return null;
            }
            catch (IngressProtocolException e)
            {
                return ($"bad frame: {e.Message}", true);
            }
            catch (OperationCanceledException)
            {
                return ($"silent for {options.IdleTimeout.TotalSeconds:0.###} s", true);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                return ($"connection broken: {e.Message}", false);
            }
        }

        private async Task WriteLoopAsync(NetworkStream stream)
        {
            try
            {
                await foreach (var message in _outbound.Reader.ReadAllAsync(_abort.Token))
                {
                    await stream.WriteAsync(IngressCodec.Encode(message), _abort.Token);
                }
                if (Volatile.Read(ref _ended) != 0) return;
                // A graceful close: every frame is written; the gateway reads end-of-stream and closes its side.
                _socket.Shutdown(SocketShutdown.Send);
                await Task.WhenAny(_readerDone.Task, Task.Delay(CloseLinger, _abort.Token));
                End("closed", fault: false);
            }
            catch (Exception) when (_abort.IsCancellationRequested)
            {
                // Aborted.
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                End($"write failed: {e.Message}", fault: false);
            }
            catch (ArgumentException e)
            {
                End($"BUG: a frame could not be encoded: {e.Message}", fault: true);
            }
        }

        /// <summary>Output cut into pieces a frame can carry; the close goes with the last piece.</summary>
        private static IEnumerable<ReleasedOutput> Pieces(ReleasedOutput o)
        {
            if (o.Data.Length <= IngressFrameHeader.ChunkBytes)
            {
                yield return o;
                yield break;
            }
            for (int at = 0; at < o.Data.Length; at += IngressFrameHeader.ChunkBytes)
            {
                int n = Math.Min(IngressFrameHeader.ChunkBytes, o.Data.Length - at);
                yield return new ReleasedOutput(o.StreamId, o.Offset + at, o.Data.AsSpan(at, n).ToArray(), o.Closed && at + n == o.Data.Length);
            }
        }

        private static EndPoint? RemoteOf(Socket socket)
        {
            try
            {
                return socket.RemoteEndPoint;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }
    }
}
