using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using static FaultTolerant.Cluster.Ingress.IngressMessage;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>
/// The gateway side of the ingress (DESIGN §4, docs/GATEWAY.md): a guest's primary on another node (or this one),
/// reached over one TCP connection to that node's <see cref="IngressServer"/>, as the <see cref="IGuestInputs"/> a
/// <c>GuestGateway</c> drives. Every release that comes back is handed to the release callback (the gateway's
/// <c>OnRelease</c>), in order, then acknowledged.
/// </summary>
/// <remarks>
/// <para>It connects at once and says Hello with the connections its gateway claims; <see cref="Welcome"/> completes
/// with the primary's answer. Inputs are queued in call order and never block the caller; a single writer sends
/// them.</para>
/// <para>When the connection breaks (or is refused, or goes silent) <see cref="Disconnected"/> completes with the
/// reason; from then on inputs are dropped (the gateway keeps them and replays them to whichever primary it is pointed at
/// next) and connects are refused, so the gateway retries them. It never reconnects by itself: the node decides where
/// the guest's primary is and builds a new one.</para>
/// </remarks>
public sealed class RemotePrimary : IGuestInputs, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly string _guest;
    private readonly Action<ReleasedEpoch> _onRelease;
    private readonly Action<RemotePrimary, Welcome>? _onWelcome;
    private readonly RemotePrimaryOptions _options;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _abort = new();
    private readonly Channel<IngressMessage> _outbound = Channel.CreateUnbounded<IngressMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<Welcome> _welcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Connects asked for and not answered, by request id. Guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<long, (TaskCompletionSource<long> Result, int Port)> _connects = [];

    /// <summary>Per connection, the stream offset of the next client byte to send. Guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<long, long> _offsets = [];

    private readonly Task _run;
    private long _nextRequest;
    private bool _broken;

    /// <param name="endpoint">The primary node's ingress endpoint.</param>
    /// <param name="generation">The generation of the primary the gateway expects there; 0 for whichever is there.</param>
    /// <param name="gatewayId">This gateway's node, the same for every session it opens: a claim is honoured only for the gateway that made the connection.</param>
    /// <param name="claims">The connection ids the gateway has clients for (<c>GuestGateway.ConnectionIds</c>).</param>
    /// <param name="onRelease">Each release, in order, on a pool thread: must not block.</param>
    /// <param name="options">How the connection is kept; null for the defaults.</param>
    /// <param name="onWelcome">
    /// The Welcome, on the reader, before any release that follows it reaches <paramref name="onRelease"/>: where the
    /// gateway fails over to this primary (<c>GuestGateway.Failover</c>). Doing that after <see cref="Welcome"/> completes
    /// instead races with the first releases, which may trim input past the offsets the Welcome gave. If it throws, the
    /// connection ends and <see cref="Welcome"/> faults. Must not block.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">An option that cannot work.</exception>
    /// <exception cref="ArgumentException">A guest or gateway name longer than 1024 UTF-8 bytes.</exception>
    public RemotePrimary(IPEndPoint endpoint, string guest, ulong generation, string gatewayId, IReadOnlyList<long> claims, Action<ReleasedEpoch> onRelease,
        RemotePrimaryOptions? options = null, Action<RemotePrimary, Welcome>? onWelcome = null)
    {
        _options = options ?? RemotePrimaryOptions.Default;
        _options.Validate();
        var hello = new Hello(guest, generation, gatewayId, [.. claims]);
        IngressCodec.Encode(hello); // fails here, not on the writer, if a name is too long
        Endpoint = endpoint;
        _guest = guest;
        _onRelease = onRelease;
        _onWelcome = onWelcome;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _outbound.Writer.TryWrite(hello);
        _run = RunAsync();
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>
    /// The primary's answer: its generation and the claimed connections that are this gateway's, with the offsets to
    /// replay from (pass them to <c>GuestGateway.Failover</c>).
    /// </summary>
    /// <exception cref="IngressRefusedException">Through the task: no primary of the guest there, or another generation.</exception>
    /// <exception cref="IngressConnectionLostException">Through the task: no connection, or it broke before the answer.</exception>
    public Task<Welcome> Welcome => _welcome.Task;

    /// <summary>Completes with the reason once the ingress connection has ended (refused, broken, silent, disposed). Never faults.</summary>
    public Task<string> Disconnected => _disconnected.Task;

    /// <exception cref="GuestConnectionRefusedException">Through the task: the guest refused, the primary has stopped, or the ingress connection is lost.</exception>
    /// <exception cref="IngressConnectFailedException">Through the task: any other failure on the primary node.</exception>
    public Task<long> ConnectAsync(int port, uint peerAddress = 0x7f000001, int peerPort = 0)
    {
        lock (_lock)
        {
            if (_broken) return Task.FromException<long>(new GuestConnectionRefusedException(port, $"the ingress connection to {Endpoint} is lost"));
            var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            long request = ++_nextRequest;
            _connects[request] = (result, port);
            _outbound.Writer.TryWrite(new Connect(request, port, peerAddress, peerPort));
            return result.Task;
        }
    }

    public void Deliver(long connection, byte[] data)
    {
        lock (_lock)
        {
            if (_broken || data.Length == 0) return;
            long offset = _offsets.GetValueOrDefault(connection);
            for (int at = 0; at < data.Length; at += IngressFrameHeader.ChunkBytes)
            {
                int n = Math.Min(IngressFrameHeader.ChunkBytes, data.Length - at);
                var chunk = at == 0 && n == data.Length ? data : data.AsSpan(at, n).ToArray();
                _outbound.Writer.TryWrite(new Deliver(connection, offset + at, chunk));
            }
            _offsets[connection] = offset + data.Length;
        }
    }

    public void EndInput(long connection)
    {
        lock (_lock)
        {
            if (!_broken) _outbound.Writer.TryWrite(new EndInput(connection));
        }
    }

    /// <summary>Closes the connection; the primary node keeps this gateway's connections for its orphan timeout.</summary>
    public async ValueTask DisposeAsync()
    {
        Fail("disposed");
        await _run;
        _abort.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            connecting.CancelAfter(_options.ConnectTimeout);
            await _socket.ConnectAsync(Endpoint, connecting.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Fail(_abort.IsCancellationRequested ? "disposed" : $"cannot connect: {(e is OperationCanceledException ? "timed out" : e.Message)}");
            return;
        }
        using var stream = new NetworkStream(_socket, ownsSocket: false);
        var writer = WriteLoopAsync(stream);
        var heartbeat = HeartbeatLoopAsync();
        Fail(await ReadLoopAsync(stream));
        await Task.WhenAll(writer, heartbeat);
    }

    /// <summary>Returns why the connection ended.</summary>
    private async Task<string> ReadLoopAsync(NetworkStream stream)
    {
        var header = new byte[IngressFrameHeader.Size];
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        bool welcomed = false;
        try
        {
            idle.CancelAfter(_options.ConnectTimeout);
            var answer = await IngressCodec.ReadAsync(stream, header, idle.Token);
            while (answer is Heartbeat) answer = await IngressCodec.ReadAsync(stream, header, idle.Token); // harmless, whenever it comes
            switch (answer)
            {
                case null:
                    return "the primary node closed the connection before answering";
                case Refused r:
                    _welcome.TrySetException(new IngressRefusedException(r.Reason, r.Generation, r.Message));
                    return $"refused ({r.Reason}): {r.Message}";
                case Welcome w:
                    lock (_lock)
                    {
                        // A claimed connection's bytes go on from what the primary side has committed: it drops any it has twice.
                        foreach (var c in w.Connections) _offsets[c.Id] = c.Received;
                    }
                    if (_onWelcome is { } onWelcome)
                    {
                        try
                        {
                            onWelcome(this, w);
                        }
                        catch (Exception e)
                        {
                            return $"the welcome callback failed: {e.Message}";
                        }
                    }
                    welcomed = true;
                    _welcome.TrySetResult(w);
                    break;
                case var other:
                    throw new IngressProtocolException($"the answer to the Hello is a {other.GetType().Name}");
            }
            while (true)
            {
                idle.CancelAfter(_options.IdleTimeout);
                var message = await IngressCodec.ReadAsync(stream, header, idle.Token);
                if (message is null) return "the primary node closed the connection";
                if (Handle(message) is { } ended) return ended;
            }
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            return "disposed";
        }
        catch (IngressProtocolException e)
        {
            return $"bad frame: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return welcomed ? $"the primary node was silent for {_options.IdleTimeout.TotalSeconds:0.###} s" : $"no answer to the Hello in {_options.ConnectTimeout.TotalSeconds:0.###} s";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return $"connection broken: {e.Message}";
        }
    }

    /// <summary>One frame after the Welcome; returns why the connection must end, if it must.</summary>
    /// <exception cref="IngressProtocolException">A frame the primary side must not send.</exception>
    private string? Handle(IngressMessage message)
    {
        switch (message)
        {
            case Release r:
                try
                {
                    _onRelease(r.ToReleasedEpoch());
                }
                catch (Exception e)
                {
                    return $"the release callback failed: {e.Message}";
                }
                _outbound.Writer.TryWrite(new Ack(r.Sequence));
                return null;
            case Connected c:
            {
                TaskCompletionSource<long> result;
                lock (_lock)
                {
                    if (!_connects.Remove(c.RequestId, out var asked)) throw new IngressProtocolException($"answers connect request {c.RequestId}, which was never asked");
                    _offsets[c.Connection] = 0;
                    result = asked.Result;
                }
                result.TrySetResult(c.Connection);
                return null;
            }
            case ConnectRefused r:
            {
                (TaskCompletionSource<long> Result, int Port) asked;
                lock (_lock)
                {
                    if (!_connects.Remove(r.RequestId, out asked)) throw new IngressProtocolException($"refuses connect request {r.RequestId}, which was never asked");
                }
                asked.Result.TrySetException(r.Reason == ConnectRefusal.GuestRefused
                    ? new GuestConnectionRefusedException(asked.Port, r.Message)
                    : new IngressConnectFailedException(asked.Port, r.Message));
                return null;
            }
            case Heartbeat:
                return null;
            default:
                throw new IngressProtocolException($"a {message.GetType().Name} frame from a primary node, after its Welcome");
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
        }
        catch (Exception) when (_abort.IsCancellationRequested)
        {
            // Ended.
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Fail($"write failed: {e.Message}");
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_abort.Token)) _outbound.Writer.TryWrite(Heartbeat.Instance);
        }
        catch (OperationCanceledException)
        {
            // Ended.
        }
    }

    /// <summary>The connection is over: connects waiting are refused (the gateway retries them on the next primary), and it is closed.</summary>
    private void Fail(string reason)
    {
        List<(TaskCompletionSource<long> Result, int Port)> waiting;
        lock (_lock)
        {
            if (_broken) return;
            _broken = true;
            waiting = [.. _connects.Values];
            _connects.Clear();
            _outbound.Writer.TryComplete();
        }
        foreach (var (result, port) in waiting)
        {
            result.TrySetException(new GuestConnectionRefusedException(port, $"the ingress connection to {Endpoint} is lost: {reason}"));
        }
        _welcome.TrySetException(new IngressConnectionLostException($"ingress to {Endpoint} for guest {_guest}: {reason}"));
        _ = _welcome.Task.Exception; // observed: nobody may be waiting for it any more
        _abort.Cancel();
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Never connected, or closed already.
        }
        _socket.Dispose();
        if (reason != "disposed") Log($"connection ended: {reason}");
        _disconnected.TrySetResult(reason);
    }

    private void Log(string message)
    {
        try
        {
            _options.Log?.Invoke($"ingress to {Endpoint} for guest {_guest}: {message}");
        }
        catch (Exception)
        {
            // A failing log sink must not take the connection down.
        }
    }
}
