using System.Net.Sockets;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>Accepting clients and connecting them to the current primary's guest.</summary>
public sealed partial class GuestGateway
{
    /// <summary>Between connect attempts that the guest refused (not listening yet, backlog full).</summary>
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromMilliseconds(20);

    /// <summary>Bumped by every failover; a connect issued in an older era belongs to a primary that is gone.</summary>
    private long _era;

    /// <summary>Completed (and replaced) by every failover, so connects waiting on a dead primary try the new one.</summary>
    private TaskCompletionSource _eraChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Connects under way; while there are any, output released for an unknown connection is kept for them.</summary>
    private int _connecting;

    /// <summary>Output released for a connection whose connect has not returned to us yet (its guest answered at once).</summary>
    private readonly Dictionary<long, List<ReleasedOutput>> _early = [];

    private async Task AcceptLoopAsync(TcpListener listener, int guestPort)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(_stopping.Token);
                socket.NoDelay = true;
                Client c;
                lock (_lock)
                {
                    c = new Client(++_nextNumber, socket, guestPort);
                    _clients.Add(c);
                    _accepted++;
                }
                _ = ConnectAsync(c, firstTime: true);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // The gateway is stopping.
        }
    }

    /// <summary>
    /// Connects a client to the current primary's guest and replays what it has sent so far: at its accept, and again
    /// when a failover finds that the promoted guest never committed the connection. A connect caught by a failover
    /// is tried again on the new primary.
    /// </summary>
    private async Task ConnectAsync(Client c, bool firstTime)
    {
        var deadline = DateTime.UtcNow + _options.ConnectTimeout;
        lock (_lock) _connecting++;
        try
        {
            while (true)
            {
                IGuestInputs? primary;
                long era;
                Task eraChanged;
                lock (_lock)
                {
                    if (c.Finished) return;
                    primary = _primary;
                    era = _era;
                    eraChanged = _eraChanged.Task;
                }
                var left = deadline - DateTime.UtcNow;
                if (primary is null)
                {
                    // Started before any primary was known: the client waits for the first, as for a paused server.
                    if (left <= TimeSpan.Zero || await Task.WhenAny(eraChanged, Task.Delay(left, _stopping.Token)) != eraChanged)
                    {
                        _stopping.Token.ThrowIfCancellationRequested();
                        Drop(c, $"no primary of the guest for {_options.ConnectTimeout.TotalSeconds:0.#} s", abort: true);
                        return;
                    }
                    continue;
                }
                var (address, port) = c.Peer;
                var connect = primary.ConnectAsync(c.GuestPort, address, port);
                var timeout = Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero, _stopping.Token);
                if (await Task.WhenAny(connect, eraChanged, timeout) == timeout && !connect.IsCompleted && !eraChanged.IsCompleted)
                {
                    _stopping.Token.ThrowIfCancellationRequested();
                    Drop(c, $"guest port {c.GuestPort}: the primary did not answer the connect in {_options.ConnectTimeout.TotalSeconds:0.#} s", abort: true);
                    // Should it answer after all, its guest's side of the connection has no client: it ends.
                    _ = connect.ContinueWith(t => primary.EndInput(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion,
                        TaskScheduler.Default);
                    return;
                }
                if (!connect.IsCompleted) continue; // the primary is gone: its connect will never answer
                if (connect.IsCompletedSuccessfully)
                {
                    if (Register(c, connect.Result, era, firstTime)) return;
                    // Connected on a primary replaced meanwhile: if its guest committed the connection, the failover found
                    // it unclaimed and ended its input. Connect again on the new one.
                    continue;
                }
                if (connect.Exception?.InnerException is not GuestConnectionRefusedException refused)
                {
                    Drop(c, $"connect failed: {connect.Exception?.InnerException?.Message}", abort: true);
                    return;
                }
                if (DateTime.UtcNow >= deadline)
                {
                    Drop(c, $"guest port {c.GuestPort} refused it for {_options.ConnectTimeout.TotalSeconds:0.#} s: {refused.Message}", abort: true);
                    return;
                }
                await Task.WhenAny(Task.Delay(RefusedRetry, _stopping.Token), eraChanged);
            }
        }
        catch (OperationCanceledException)
        {
            // The gateway stops.
        }
        finally
        {
            lock (_lock)
            {
                if (--_connecting == 0) _early.Clear();
            }
        }
    }

    /// <summary>Books the client under its guest connection id and replays its input; false if a failover came first.</summary>
    private bool Register(Client c, long id, long era, bool firstTime)
    {
        lock (_lock)
        {
            if (era != _era) return false;
            if (c.Finished)
            {
                // Dropped while connecting (reset, the gateway stopping): the guest's side ends too.
                _primary!.EndInput(id);
                return true;
            }
            c.Id = id;
            _byId[id] = c;
            // A fresh connection has received nothing: everything the client sent (while we connected, or since its first
            // connect if it is connected again after a failover) goes in, in order.
            var pending = c.Input.From(c.Input.Start);
            if (pending.Length > 0)
            {
                _primary!.Deliver(id, pending);
                if (!firstTime) _replayed += pending.Length;
            }
            if (c.InputEnded) _primary!.EndInput(id);
            if (_early.Remove(id, out var early))
            {
                foreach (var o in early) Forward(c, o);
            }
        }
        if (firstTime)
        {
            _ = ReadLoopAsync(c);
            _ = WriteLoopAsync(c);
        }
        return true;
    }
}
