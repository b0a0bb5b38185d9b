using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>
/// The primary side of the ingress (DESIGN §4, docs/GATEWAY.md): one per node, a TCP listener where gateways of any
/// node open a session per guest and reach that guest's primary if it runs here. As the node's
/// <see cref="IGuestGateway"/>, it learns of each primary (<see cref="Attach"/>) and routes its releases
/// (<see cref="SourceFor"/>): each connection's output and committed offsets go only to the session that owns it.
/// </summary>
/// <remarks>
/// <para>One lock guards every guest's registration, connection table and sessions. Under it, calls into a primary only
/// queue events, and releases only go to per-session writer queues: the guest's thread never waits on a socket. A
/// session that cannot keep up is dropped, not waited for (<see cref="IngressServerOptions.MaxUnacknowledgedOutputBytes"/>).</para>
/// <para>Split by concern: routing releases in <c>IngressServer.Route.cs</c>, a session's socket in
/// <c>IngressServer.Session.cs</c>, what a session's frames do in <c>IngressServer.Inputs.cs</c>; who owns what is
/// decided by <see cref="ConnectionTable{TOwner}"/>.</para>
/// </remarks>
public sealed partial class IngressServer : IGuestGateway, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly IPEndPoint _endpoint;
    private readonly IngressServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Per guest name, created by the first <see cref="SourceFor"/> or <see cref="Attach"/>. Guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<string, GuestRoute> _routes = [];

    /// <summary>Every session open, welcomed or not. Guarded by <see cref="_lock"/>.</summary>
    private readonly HashSet<Session> _sessions = [];

    private Socket? _socket;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _timerLoop = Task.CompletedTask;
    private long _welcomed;
    private long _refused;
    private long _dropped;
    private long _claimed;
    private long _orphansEnded;
    private long _duplicateInputBytes;
    private long _staleReleases;
    private int _disposed;

    /// <param name="endpoint">Where to listen; port 0 picks a free port (see <see cref="LocalEndpoint"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option that cannot work.</exception>
    public IngressServer(IPEndPoint endpoint, IngressServerOptions? options = null)
    {
        _endpoint = endpoint;
        _options = options ?? IngressServerOptions.Default;
        _options.Validate();
    }

    /// <summary>The bound endpoint, with the real port when 0 was asked for.</summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public IPEndPoint LocalEndpoint => (IPEndPoint?)_socket?.LocalEndPoint ?? throw new InvalidOperationException("the ingress server is not started");

    public IngressStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new IngressStatistics(_routes.Values.Sum(r => r.Current?.Sessions.Count ?? 0), _welcomed, _refused, _dropped, _claimed, _orphansEnded,
                    _duplicateInputBytes, _staleReleases);
            }
        }
    }

    /// <summary>Binds, listens, and starts accepting gateway sessions.</summary>
    /// <exception cref="SocketException">The endpoint cannot be bound.</exception>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_socket is not null) throw new InvalidOperationException("the ingress server is already started");
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
        _timerLoop = TimerLoopAsync();
    }

    /// <summary>Where the primary of <paramref name="guest"/> reports its releases; the same object for every generation.</summary>
    public IInputSource SourceFor(string guest)
    {
        lock (_lock) return RouteOf(guest);
    }

    /// <summary>
    /// The primary of <paramref name="guest"/> for <paramref name="generation"/> is about to start here: gateways may
    /// now open sessions to it. <paramref name="connections"/> (a promoted guest's) are orphans until a gateway claims
    /// them. A primary of an older generation is replaced: its sessions are closed, and their gateways look for the
    /// current primary. An Attach of a generation not above the current one is ignored (logged).
    /// </summary>
    public void Attach(string guest, ulong generation, IGuestInputs primary, IReadOnlyList<ConnectionInfo> connections)
    {
        List<Session> replaced = [];
        lock (_lock)
        {
            var route = RouteOf(guest);
            if (route.Current is { } old)
            {
                if (old.Generation >= generation)
                {
                    Log($"guest {guest}: attach of generation {generation} ignored, generation {old.Generation} is attached");
                    return;
                }
                replaced.AddRange(old.Sessions);
                old.Sessions.Clear();
            }
            var registration = new Registration(guest, generation, primary, new ConnectionTable<Session>(_options.OrphanTimeout, _options.MaxUnacknowledgedOutputBytes));
            registration.Table.AddPromoted(connections, _clock.Elapsed);
            route.Current = registration;
        }
        Log($"guest {guest}: primary of generation {generation} attached with {connections.Count} promoted connections" +
            (replaced.Count > 0 ? $"; {replaced.Count} sessions of the previous primary closed" : ""));
        foreach (var s in replaced) s.Close($"the primary of generation {generation} replaced it");
    }

    /// <summary>The primary of <paramref name="guest"/> for <paramref name="generation"/> ended: its sessions are closed once their queued output is sent.</summary>
    public void Detach(string guest, ulong generation)
    {
        List<Session> closing;
        lock (_lock)
        {
            if (!_routes.TryGetValue(guest, out var route) || route.Current is not { } current || current.AttachedGeneration != generation) return;
            route.Current = null;
            closing = [.. current.Sessions];
            current.Sessions.Clear();
        }
        Log($"guest {guest}: primary of generation {generation} detached; {closing.Count} sessions closed");
        foreach (var s in closing) s.Close("the primary ended");
    }

    /// <summary>Stops listening and closes every session at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        _socket?.Dispose();
        List<Session> sessions;
        lock (_lock)
        {
            sessions = [.. _sessions];
            _sessions.Clear();
            foreach (var r in _routes.Values)
            {
                r.Current?.Sessions.Clear();
                r.Current = null;
            }
        }
        foreach (var s in sessions) s.Abort();
        await Task.WhenAll(sessions.Select(s => s.Completion).Append(_acceptLoop).Append(_timerLoop));
        _stopping.Dispose();
    }

    /// <summary>Guarded by <see cref="_lock"/>.</summary>
    private GuestRoute RouteOf(string guest)
    {
        if (!_routes.TryGetValue(guest, out var route)) _routes[guest] = route = new GuestRoute(this, guest);
        return route;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(_stopping.Token);
                var session = new Session(this, socket);
                lock (_lock)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        session.Abort();
                        return;
                    }
                    _sessions.Add(session);
                }
                session.Start();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping.
        }
    }

    /// <summary>Orphans past their timeout are given up; sessions get their heartbeat.</summary>
    private async Task TimerLoopAsync()
    {
        var tick = TimeSpan.FromTicks(Math.Clamp(Math.Min(_options.OrphanTimeout.Ticks, _options.HeartbeatInterval.Ticks) / 4,
            TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromMilliseconds(250).Ticks));
        var nextHeartbeat = _clock.Elapsed + _options.HeartbeatInterval;
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var now = _clock.Elapsed;
                bool beat = now >= nextHeartbeat;
                if (beat) nextHeartbeat = now + _options.HeartbeatInterval;
                var given = new List<string>();
                lock (_lock)
                {
                    foreach (var route in _routes.Values)
                    {
                        if (route.Current is not { } r) continue;
                        var ended = r.Table.Expire(now);
                        foreach (var id in ended) r.Primary.EndInput(id);
                        _orphansEnded += ended.Count;
                        if (ended.Count > 0) given.Add($"guest {r.Guest} generation {r.Generation}: connections {string.Join(", ", ended)} unclaimed for {_options.OrphanTimeout.TotalSeconds:0.###} s: input ended");
                    }
                    if (beat)
                    {
                        // Welcomed sessions only: a gateway's first frame from us is the answer to its Hello.
                        foreach (var s in _sessions.Where(s => s.Registration is not null)) s.Send(IngressMessage.Heartbeat.Instance);
                    }
                }
                foreach (var line in given) Log(line);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Log(string message)
    {
        try
        {
            _options.Log?.Invoke($"ingress: {message}");
        }
        catch (Exception)
        {
            // A failing log sink must not take a session or the guest thread down.
        }
    }
}
