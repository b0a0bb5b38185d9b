using System.Net;
using System.Net.Sockets;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>
/// The gateway of one replicated guest on this node (DESIGN §4): real TCP clients on HOSTPORT (of 127.0.0.1 unless
/// <see cref="GuestGatewayOptions.BindAddress"/> says otherwise) for each exposed guest port, each bridged to a guest
/// connection on the current primary — in this process, or on another node through <c>RemotePrimary</c>. It keeps every client byte until
/// a release shows the guest committed it, forwards only released output past what each client already got, and
/// after a failover replays to the new primary what its guest has not received — so a client sees a pause, not an
/// error.
/// </summary>
/// <remarks>
/// <para>Data flows one way: socket → <see cref="IGuestInputs.Deliver"/> on the primary; release
/// (<see cref="OnRelease"/>, on the primary's guest thread) → a per-client writer → socket.</para>
/// <para>One lock guards the clients' bookkeeping and which primary is current; socket I/O happens outside it.
/// Calls into the primary under the lock only queue events, and <see cref="OnRelease"/> only hands bytes to writer
/// queues, so the guest thread never waits on a socket.</para>
/// <para>Connections are split by concern: the client and its pumps in <c>GuestGateway.Client.cs</c>, accepting and
/// connecting in <c>GuestGateway.Connect.cs</c>, releases in <c>GuestGateway.Release.cs</c>, failover in
/// <c>GuestGateway.Failover.cs</c>.</para>
/// </remarks>
public sealed partial class GuestGateway : IInputSource, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly string _guestName;
    private readonly IReadOnlyList<PortExposure> _exposures;
    private readonly GuestGatewayOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpListener> _listeners = [];

    /// <summary>Clients by their guest connection id on the current primary. Guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<long, Client> _byId = [];

    /// <summary>Every client not finished, including those (re)connecting. Guarded by <see cref="_lock"/>.</summary>
    private readonly HashSet<Client> _clients = [];

    /// <summary>The current primary; null until the first one is given (<see cref="Start()"/> without one).</summary>
    private IGuestInputs? _primary;
    private bool _started;
    private long _nextNumber;
    private long _accepted;
    private long _readPauses;
    private long _peakUncommitted;
    private long _replayed;
    private long _reconnected;
    private long _duplicateBytes;
    private long _gaps;
    private long _dropped;
    private long _staleReleases;
    private int _disposed;

    /// <param name="guestName">For logs.</param>
    /// <param name="exposures">Guest port → host port on the bind address (host port 0 picks a free one; see <see cref="BoundEndpoints"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option that cannot work.</exception>
    public GuestGateway(string guestName, IReadOnlyList<PortExposure> exposures, GuestGatewayOptions? options = null)
    {
        _guestName = guestName;
        _exposures = exposures;
        _options = options ?? GuestGatewayOptions.Default;
        _options.Validate();
        _stdio = new StdioPump(_options, _stopping.Token);
    }

    /// <summary>The guest this gateway serves.</summary>
    public string GuestName => _guestName;

    /// <summary>The host endpoints bound, once started, in the order of the exposures.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints
    {
        get
        {
            lock (_lock) return [.. _listeners.Select(l => (IPEndPoint)l.LocalEndpoint)];
        }
    }

    public GatewayStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new GatewayStatistics(_accepted, _clients.Count, _readPauses, _peakUncommitted, _replayed, _reconnected, _duplicateBytes, _gaps,
                    _dropped, _staleReleases);
            }
        }
    }

    /// <summary>
    /// The guest connection ids of the clients bound now: what this gateway claims in an ingress Hello after its primary
    /// was lost (<c>RemotePrimary</c>).
    /// </summary>
    public IReadOnlyList<long> ConnectionIds
    {
        get
        {
            lock (_lock) return [.. _byId.Keys];
        }
    }

    /// <summary>Binds every exposed port and starts taking clients for <paramref name="primary"/> (which may start after this).</summary>
    /// <exception cref="SocketException">A host port cannot be bound; nothing stays bound.</exception>
    /// <exception cref="InvalidOperationException">Already started, or disposed.</exception>
    public void Start(IGuestInputs primary) => Bind(primary);

    /// <summary>
    /// Binds every exposed port before any primary is known: clients that connect wait (up to
    /// <see cref="GuestGatewayOptions.ConnectTimeout"/>) until <see cref="Failover"/> gives the gateway one.
    /// </summary>
    /// <exception cref="SocketException">A host port cannot be bound; nothing stays bound.</exception>
    /// <exception cref="InvalidOperationException">Already started, or disposed.</exception>
    public void Start() => Bind(null);

    private void Bind(IGuestInputs? primary)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var listeners = new List<TcpListener>();
        lock (_lock)
        {
            if (_started) throw new InvalidOperationException("the gateway is already started");
            try
            {
                foreach (var e in _exposures)
                {
                    var listener = new TcpListener(_options.BindAddress, e.HostPort);
                    listeners.Add(listener);
                    listener.Start(512);
                }
            }
            catch (SocketException)
            {
                foreach (var l in listeners) l.Stop();
                throw;
            }
            _started = true;
            _primary = primary;
            _listeners.AddRange(listeners);
        }
        for (int i = 0; i < listeners.Count; i++) _ = AcceptLoopAsync(listeners[i], _exposures[i].GuestPort);
    }

    /// <summary>
    /// Lets go of every port at once, so that another gateway can bind them now; clients already connected stay until
    /// <see cref="DisposeAsync"/>.
    /// </summary>
    public void StopListening()
    {
        lock (_lock)
        {
            foreach (var l in _listeners) l.Stop();
        }
    }

    /// <summary>Stops listening and closes every client (they see a reset or end-of-file: this node's gateway is gone).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        List<Client> clients;
        lock (_lock)
        {
            foreach (var l in _listeners) l.Stop();
            clients = [.. _clients];
            _clients.Clear();
            _byId.Clear();
        }
        foreach (var c in clients)
        {
            c.Outbound.Writer.TryComplete();
            c.Socket.Dispose();
        }
        await _stdio.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>Client bytes: kept until committed, and queued to the primary at once if the client is connected there.</summary>
    private void ClientSent(Client c, byte[] data)
    {
        lock (_lock)
        {
            if (c.Finished || c.CloseQueued) return; // the guest closed or the client was dropped: like a kernel, drop.
            c.Input.Append(data);
            _peakUncommitted = Math.Max(_peakUncommitted, c.Input.Length);
            // While (re)connecting there is no id yet: the whole log is replayed once the connect completes.
            if (c.Id is { } id) _primary!.Deliver(id, data);
        }
    }

    /// <summary>The client half-closed: the guest reads end-of-file after the bytes it was given.</summary>
    private void ClientEnded(Client c)
    {
        lock (_lock)
        {
            if (c.Finished || c.InputEnded) return;
            c.InputEnded = true;
            if (c.Id is { } id && !c.CloseQueued) _primary!.EndInput(id);
        }
    }

    /// <summary>
    /// Ends a client: its socket is closed (reset when <paramref name="abort"/>), and its guest connection, if any, gets
    /// end-of-input so the guest closes it; output released for it later goes nowhere.
    /// </summary>
    private void Drop(Client c, string reason, bool abort)
    {
        lock (_lock)
        {
            if (c.Finished) return;
            Finish(c);
            _dropped++;
            if (c.Id is { } id && !c.InputEnded && !c.CloseQueued) _primary!.EndInput(id);
        }
        Log($"client {c.Number} ({c.Remote}) dropped: {reason}");
        if (abort)
        {
            try
            {
                c.Socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
        }
        c.Socket.Dispose();
    }

    /// <summary>Guarded by <see cref="_lock"/>: the client leaves the books; its pumps end on their own.</summary>
    private void Finish(Client c)
    {
        c.Finished = true;
        _clients.Remove(c);
        if (c.Id is { } id && _byId.TryGetValue(id, out var current) && current == c) _byId.Remove(id);
        c.Outbound.Writer.TryComplete();
        c.ResumeIfBelow(_options);
    }

    private void Log(string message)
    {
        try
        {
            _options.Log?.Invoke($"gateway {_guestName}: {message}");
        }
        catch (Exception)
        {
            // A failing log sink must not take a client or the guest thread down.
        }
    }
}
