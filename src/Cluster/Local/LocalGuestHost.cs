using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Guest;

namespace FaultTolerant.Cluster.Local;

/// <summary>
/// Runs one guest on this machine without replication: its own thread, stdout/stderr to the host's, and
/// real TCP clients on exposed host ports bridged to the guest's virtual listeners.
/// </summary>
/// <remarks>
/// The guest thread owns the guest; socket tasks talk to it only through <see cref="_events"/>.
/// Backpressure runs both ways: a reader posts one chunk at a time and waits until the guest took it all;
/// output is released only after the TCP send completed, so a slow client makes the guest's writes block
/// (its send buffer fills) rather than making this process buffer without bound.
/// </remarks>
public sealed partial class LocalGuestHost : IAsyncDisposable
{
    /// <summary>Instructions per run slice: long enough to amortise the loop, short enough to stay responsive.</summary>
    private const long Slice = 2_000_000;

    private readonly IGuest _guest;
    private readonly Stream _stdout;
    private readonly Stream _stderr;
    private readonly IReadOnlyList<PortExposure> _exposures;
    private readonly BlockingCollection<HostEvent> _events = new(new ConcurrentQueue<HostEvent>());
    private readonly Dictionary<long, ClientBridge> _clients = [];
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stopping = new();

    public LocalGuestHost(IGuest guest, Stream stdout, Stream stderr, IReadOnlyList<PortExposure>? exposures = null)
    {
        _guest = guest;
        _stdout = stdout;
        _stderr = stderr;
        _exposures = exposures ?? [];
    }

    /// <summary>The host endpoints actually bound, once <see cref="Start"/> returned (port 0 becomes a real port).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => [.. _listeners.Select(l => (IPEndPoint)l.LocalEndpoint)];

    /// <summary>Binds the exposed ports. Separate from running so a caller learns a bind failure before the guest starts.</summary>
    /// <exception cref="SocketException">A host port cannot be bound.</exception>
    public void Start()
    {
        foreach (var e in _exposures)
        {
            var listener = new TcpListener(IPAddress.Loopback, e.HostPort);
            listener.Start(512);
            _listeners.Add(listener);
            _ = AcceptLoopAsync(listener, e.GuestPort);
        }
    }

    /// <summary>Runs the guest to its end on a dedicated thread.</summary>
    /// <returns>How it ended: exited, faulted, or stopped by cancellation.</returns>
    public Task<GuestRunResult> RunAsync(CancellationToken cancellation)
    {
        var done = new TaskCompletionSource<GuestRunResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = cancellation.Register(() => _events.Add(HostEvent.Stop.Instance));
        // Guests are CPU-bound: never on the thread pool, where they would starve timers and socket I/O.
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(GuestLoop());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
            finally
            {
                registration.Dispose();
            }
        })
        {
            IsBackground = true,
            Name = "guest",
        };
        thread.Start();
        return done.Task;
    }

    private GuestRunResult GuestLoop()
    {
        while (true)
        {
            while (_events.TryTake(out var ev))
            {
                if (ev is HostEvent.Stop) return new GuestRunResult.Exited(StoppedExitCode);
                Apply(ev);
            }
            var result = _guest.Run(Slice);
            FlushOutput();
            switch (result)
            {
                case GuestRunResult.Exited or GuestRunResult.Faulted:
                    FlushOutput();
                    return result;
                case GuestRunResult.Blocked blocked:
                    var timeout = blocked.WakeAfter is { } w ? (int)Math.Min(Math.Ceiling(w.TotalMilliseconds), int.MaxValue) : Timeout.Infinite;
                    if (_events.TryTake(out var next, timeout))
                    {
                        if (next is HostEvent.Stop) return new GuestRunResult.Exited(StoppedExitCode);
                        Apply(next);
                    }
                    break;
            }
        }
    }

    /// <summary>The exit code reported when the host stopped the guest (Ctrl-C): 128 + SIGINT, as a shell would.</summary>
    public const int StoppedExitCode = 130;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var l in _listeners) l.Stop();
        foreach (var c in _clients.Values) c.Dispose();
        _stopping.Dispose();
    }
}

/// <summary>A guest port reachable from real TCP clients on 127.0.0.1:HostPort.</summary>
public sealed record PortExposure(int GuestPort, int HostPort)
{
    /// <exception cref="FormatException">Not GUESTPORT:HOSTPORT with both in 0–65535 (guest port 1–65535).</exception>
    public static PortExposure Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var g) || !int.TryParse(parts[1], out var h) || g is < 1 or > 65535 || h is < 0 or > 65535)
        {
            throw new FormatException($"'{text}' is not GUESTPORT:HOSTPORT (for example 6379:16379)");
        }
        return new PortExposure(g, h);
    }
}
