using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Channel;

/// <summary>
/// The backup side of the checkpoint data channel (DESIGN §3): a TCP listener, one connection per primary→backup
/// pair. Each connection must open with a Hello; the owner's <c>accept</c> maps it to the receiver of that guest
/// (or refuses it), and from then on every frame goes to that receiver in order. What the receiver makes of a frame
/// goes to the owner's <c>outcomes</c> callback, which answers the primary over Akka: this channel is one-way.
/// </summary>
/// <remarks>
/// <para>Reads are asynchronous I/O on the thread pool; the receiver and both callbacks run on the thread that
/// completed the read, so they must be quick (an actor's Tell) or bounded (a backup decoding one frame).</para>
/// <para>A receiver is never called by two connections at once, and at most one connection feeds it: a new
/// connection whose Hello it accepts replaces the previous one, so a primary that reconnects after a failure it
/// noticed first is not raced by the remains of its old connection. Outcomes of one receiver are reported in the
/// order they happened.</para>
/// <para>One connection's failure — garbage, a corrupted frame, a reset, a receiver or callback that throws — closes
/// that connection only. Per connection, memory is the read-ahead buffer plus one frame.</para>
/// </remarks>
public sealed partial class DataChannelListener : IAsyncDisposable
{
    private readonly IPEndPoint _endpoint;
    private readonly Func<Frame, HelloPayload, IFrameReceiver?> _accept;
    private readonly Action<ChannelOutcome> _outcomes;
    private readonly DataChannelListenerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly ConditionalWeakTable<IFrameReceiver, ReceiverSlot> _slots = new();
    private Socket? _socket;
    private Task? _acceptLoop;
    private long _nextConnectionId;
    private int _disposed;

    /// <param name="endpoint">Where to listen; port 0 picks a free port (see <see cref="LocalEndpoint"/>).</param>
    /// <param name="accept">
    /// Maps a connection's Hello (the verified frame and its decoded payload) to the receiver of its guest, or null to
    /// refuse: the connection is closed. Called once per connection, on a pool thread.
    /// </param>
    /// <param name="outcomes">Every outcome but <c>Staged</c>; see <see cref="ChannelOutcome"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option that cannot work.</exception>
    public DataChannelListener(IPEndPoint endpoint, Func<Frame, HelloPayload, IFrameReceiver?> accept, Action<ChannelOutcome> outcomes,
        DataChannelListenerOptions? options = null)
    {
        _endpoint = endpoint;
        _accept = accept;
        _outcomes = outcomes;
        _options = options ?? DataChannelListenerOptions.Default;
        _options.Validate();
    }

    /// <summary>A connection ended (refused, fenced, broken, replaced or cleanly closed), with the reason.</summary>
    public event Action<ChannelClosed>? ConnectionClosed;

    /// <summary>The bound endpoint, with the real port when 0 was asked for.</summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public IPEndPoint LocalEndpoint => (IPEndPoint?)_socket?.LocalEndPoint ?? throw new InvalidOperationException("the listener is not started");

    /// <summary>Connections open now (including those still waiting for their Hello).</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds, listens, and starts accepting.</summary>
    /// <exception cref="SocketException">The endpoint cannot be bound.</exception>
    /// <exception cref="InvalidOperationException">Already started, or disposed.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_socket is not null) throw new InvalidOperationException("the listener is already started");
        var socket = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(_endpoint);
            socket.Listen(_options.Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _acceptLoop = AcceptLoopAsync(socket);
    }

    /// <summary>Stops accepting, closes every connection (a receiver with a checkpoint open hears that it broke), and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        _socket?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        foreach (var c in _connections.Values) c.Abort("the listener stopped");
        await Task.WhenAll(_connections.Values.Select(c => c.Completion));
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        // Leave the caller's context: everything after the first accept runs on the pool anyway.
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // Transient (a connection reset before it was accepted, or out of descriptors): keep listening, gently.
                if (_stopping.IsCancellationRequested) return;
                try
                {
                    await Task.Delay(10, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            long id = Interlocked.Increment(ref _nextConnectionId);
            if (_connections.Count >= _options.MaxConnections)
            {
                var remote = Connection.RemoteOf(accepted);
                ChannelSockets.Abort(accepted);
                RaiseClosed(new ChannelClosed(id, remote, null, $"refused: {_options.MaxConnections} connections are open already"));
                continue;
            }
            var connection = new Connection(this, id, accepted);
            _connections[id] = connection;
            connection.Start();
        }
    }

    private void Forget(Connection connection, ChannelClosed closed)
    {
        _connections.TryRemove(connection.Id, out _);
        RaiseClosed(closed);
    }

    private void RaiseClosed(ChannelClosed closed)
    {
        try
        {
            ConnectionClosed?.Invoke(closed);
        }
        catch (Exception)
        {
            // A failing observer must not take the listener down; the close itself already happened.
        }
    }
}
