using System.Net;
using System.Net.Sockets;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Channel;

/// <summary>One accepted connection: Hello, then frames to the receiver until the stream ends or breaks.</summary>
public sealed partial class DataChannelListener
{
    /// <summary>Serializes the calls into one receiver, and names the connection that feeds it.</summary>
    private sealed class ReceiverSlot
    {
        public Lock Deliver { get; } = new();

        /// <summary>Guarded by <see cref="Deliver"/>.</summary>
        public Connection? Active { get; set; }
    }

    private sealed class Connection
    {
        private readonly DataChannelListener _listener;
        private readonly Socket _socket;
        private readonly CancellationTokenSource _abort;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _abortReason;
        private ChannelPeer? _peer;
        private IFrameReceiver? _receiver;
        private ReceiverSlot? _slot;
        private bool _staged;
        private ulong _lastGeneration;
        private ulong _lastEpoch;
        private ulong? _resyncReportedEpoch;

        public Connection(DataChannelListener listener, long id, Socket socket)
        {
            _listener = listener;
            _socket = socket;
            _abort = CancellationTokenSource.CreateLinkedTokenSource(listener._stopping.Token);
            Id = id;
            Remote = RemoteOf(socket);
        }

        public long Id { get; }

        public EndPoint? Remote { get; }

        public Task Completion => _done.Task;

        /// <summary>The peer's address, or null if the connection was reset before anyone looked (the first read will say so).</summary>
        public static EndPoint? RemoteOf(Socket socket)
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

        public void Start() => _ = Task.Run(RunAsync);

        /// <summary>Ends the connection at its next read (replaced, or the listener stops).</summary>
        public void Abort(string reason)
        {
            Interlocked.CompareExchange(ref _abortReason, reason, null);
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already ended.
            }
        }

        private async Task RunAsync()
        {
            string reason;
            try
            {
                reason = await ServeAsync();
            }
            catch (Exception e) when (_abort.IsCancellationRequested && e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // Ended by us. Only frames left staged (half a checkpoint, a pre-copy) need the receiver to know.
                reason = _abortReason ?? "the listener stopped";
                if (_staged) Broken($"{reason} inside epoch {_lastEpoch}");
            }
            catch (FrameException e)
            {
                reason = e.Message;
                Broken(reason);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                reason = $"connection failed: {(e.InnerException ?? e).Message}";
                Broken(reason);
            }
            catch (Exception e)
            {
                // The owner's accept, the receiver or the outcome callback threw: a bug there, contained to this connection.
                reason = $"closed after {e.GetType().Name}: {e.Message}";
                Broken(reason);
            }
            finally
            {
                if (_slot is not null)
                {
                    lock (_slot.Deliver)
                    {
                        if (_slot.Active == this) _slot.Active = null;
                    }
                }
                _socket.Dispose();
                _abort.Dispose();
            }
            _listener.Forget(this, new ChannelClosed(Id, Remote, _peer, reason));
            _done.TrySetResult();
        }

        private async Task<string> ServeAsync()
        {
            var options = _listener._options;
            ChannelSockets.Tune(_socket, 0, options.ReceiveBufferBytes, options.KeepAlive);
            await using var network = new NetworkStream(_socket, ownsSocket: false);
            await using var stream = new BufferedStream(network, options.ReadBufferBytes);

            var (hello, refusal) = await ReadHelloAsync(stream);
            if (hello is null) return refusal!;
            var payload = HelloPayload.Decode(hello.Payload.Span);
            var receiver = _listener._accept(hello, payload);
            if (receiver is null) return $"refused: guest {payload.GuestName} ({hello.Header.Guest}) from {payload.Sender}, generation {hello.Generation}";
            _peer = new ChannelPeer(Id, Remote, hello.Header.Guest, payload.GuestName, payload.Sender, hello.Generation);
            _receiver = receiver;
            _slot = _listener._slots.GetValue(receiver, _ => new ReceiverSlot());
            _lastGeneration = hello.Generation;

            // The Hello goes to the receiver before this connection takes over: a stale primary is fenced here and
            // never gets to cut the connection of the primary that replaced it.
            if (Deliver(hello) is AssemblyOutcome.Fenced fenced) return Fenced(fenced);
            await TakeOverAsync();

            while (true)
            {
                var frame = await Frame.ReadAsync(stream, _abort.Token);
                if (frame is null)
                {
                    if (!_staged) return "closed by the primary";
                    string reason = $"closed by the primary inside epoch {_lastEpoch}, with frames staged";
                    Broken(reason);
                    return reason;
                }
                if (frame.Header.Guest != _peer.GuestId)
                {
                    throw new FrameException($"a frame of guest {frame.Header.Guest} on the connection of guest {_peer.GuestId}");
                }
                _lastGeneration = frame.Generation;
                _lastEpoch = frame.Epoch;
                var outcome = Deliver(frame);
                // A fenced sender has nothing more to say here; every reconnect of it is told again at its Hello.
                if (outcome is AssemblyOutcome.Fenced f) return Fenced(f);
                // Between a commit (or a resync, which drops everything) and the next one, the receiver holds frames of
                // this stream that a later cut would leave half-used: a checkpoint's first frames, a pre-copy's pages.
                _staged = outcome is AssemblyOutcome.Staged;
            }
        }

        private static string Fenced(AssemblyOutcome.Fenced f) => $"fenced: generation {f.FrameGeneration} is below {f.HighestGeneration}";

        /// <summary>The Hello, read with a size and time limit: nothing is known of the peer yet.</summary>
        private async Task<(Frame? Hello, string? Refusal)> ReadHelloAsync(Stream stream)
        {
            var options = _listener._options;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            timeout.CancelAfter(options.HelloTimeout);
            try
            {
                var header = new byte[FrameHeader.Size];
                int got = await stream.ReadAtLeastAsync(header, FrameHeader.Size, throwOnEndOfStream: false, timeout.Token);
                if (got == 0) return (null, "closed before its Hello");
                if (got < FrameHeader.Size) return (null, $"closed inside its first frame header ({got} of {FrameHeader.Size} bytes)");
                var parsed = FrameHeader.Parse(header, out _);
                if (parsed.Type != FrameType.Hello) return (null, $"refused: the first frame is {parsed.Type}, not Hello");
                if (parsed.PayloadLength > options.MaxHelloBytes) return (null, $"refused: a Hello of {parsed.PayloadLength} bytes is over the limit of {options.MaxHelloBytes}");
                var bytes = new byte[FrameHeader.Size + parsed.PayloadLength];
                header.CopyTo(bytes, 0);
                got = await stream.ReadAtLeastAsync(bytes.AsMemory(FrameHeader.Size), parsed.PayloadLength, throwOnEndOfStream: false, timeout.Token);
                if (got < parsed.PayloadLength) return (null, $"closed inside its Hello ({got} of {parsed.PayloadLength} payload bytes)");
                return (Frame.Parse(bytes), null);
            }
            catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
            {
                return (null, $"no Hello within {options.HelloTimeout.TotalSeconds:0.###} s");
            }
        }

        /// <summary>Becomes the connection that feeds the receiver; the one before ends first, so its last word comes first.</summary>
        private async Task TakeOverAsync()
        {
            Connection? previous;
            lock (_slot!.Deliver)
            {
                previous = _slot.Active;
                _slot.Active = this;
            }
            if (previous is null) return;
            previous.Abort($"replaced by connection {Id}");
            await previous.Completion.WaitAsync(_abort.Token);
        }

        private AssemblyOutcome Deliver(Frame frame)
        {
            lock (_slot!.Deliver)
            {
                var outcome = _receiver!.Receive(frame);
                Report(frame.Generation, frame.Epoch, outcome, dedupe: true);
                return outcome;
            }
        }

        /// <summary>The stream can no longer be trusted: whatever the receiver staged from it is void.</summary>
        private void Broken(string reason)
        {
            if (_receiver is null) return;
            try
            {
                lock (_slot!.Deliver)
                {
                    Report(_lastGeneration, _lastEpoch, _receiver.ChannelBroken(reason), dedupe: false);
                }
            }
            catch (Exception)
            {
                // The connection is closing either way; a receiver or callback that throws here has nothing left to break.
            }
        }

        /// <summary>
        /// Hands an outcome to the owner, under the receiver's lock so one receiver's outcomes keep their order. A backup
        /// that has lost its place answers every frame of every delta with a resync; one request per epoch is enough.
        /// </summary>
        private void Report(ulong generation, ulong epoch, AssemblyOutcome outcome, bool dedupe)
        {
            if (outcome is AssemblyOutcome.Staged) return;
            if (outcome is AssemblyOutcome.ResyncNeeded)
            {
                if (dedupe && _resyncReportedEpoch == epoch) return;
                _resyncReportedEpoch = epoch;
            }
            _listener._outcomes(new ChannelOutcome(_peer!, generation, epoch, outcome));
        }
    }
}
