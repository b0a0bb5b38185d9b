using System.Diagnostics;
using System.Net.Sockets;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Channel;

/// <summary>The writer task: connect, Hello, write checkpoints in order; on a break, report, back off, reconnect.</summary>
public sealed partial class TcpBackupLink
{
    private async Task RunAsync()
    {
        var backoff = _options.ReconnectMin;
        while (!_stopping.IsCancellationRequested)
        {
            var (connection, _) = await LinkConnection.OpenAsync(Backup, _options, HelloBytes(), _stopping.Token);
            if (connection is null)
            {
                // Nothing was lost: what is queued stays queued (within its bound) for the next attempt.
                await BackOffAsync(backoff);
                backoff = Longer(backoff);
                continue;
            }
            long opened = Stopwatch.GetTimestamp();
            bool awaitingRestart;
            lock (_lock)
            {
                _connection = connection;
                _connects++;
                awaitingRestart = _queue.AwaitingRestart;
                _connectedSignal.TrySetResult();
            }
            if (awaitingRestart) Report("reconnected to the backup: a resync is needed");

            string reason = await PumpAsync(connection);

            bool stopping = _stopping.IsCancellationRequested;
            bool cleanly;
            lock (_lock)
            {
                _connection = null;
                cleanly = stopping && !_writing;
                if (!stopping) _breaks++;
                // What went out on this connection may not all have arrived: the backup's place is unknown.
                _queue.LoseContinuity(droppedInFlight: _writing);
                _writing = false;
                if (_connectedSignal.Task.IsCompleted) _connectedSignal = NewSignal();
                CompleteDrainWaitersIfIdle();
            }
            await connection.CloseAsync(cleanly);
            if (stopping) return;
            Report(reason);
            backoff = Stopwatch.GetElapsedTime(opened) >= _options.ReconnectMax ? _options.ReconnectMin : Longer(backoff);
            await BackOffAsync(backoff);
        }
    }

    /// <summary>
    /// Writes units until the connection breaks or the link stops; returns why it ended. A stop waits for the unit
    /// being written (<see cref="DisposeAsync"/> bounds how long), so a link closed between epochs ends its stream
    /// cleanly and the backup keeps its place.
    /// </summary>
    private async Task<string> PumpAsync(LinkConnection connection)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(connection.Token, _stopping.Token);
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                EncodedCheckpoint? next;
                lock (_lock)
                {
                    _writing = _queue.TryTake(out next);
                    if (!_writing) CompleteDrainWaitersIfIdle();
                }
                if (!_writing)
                {
                    await _work.WaitAsync(idle.Token);
                    continue;
                }
                long bytes = await connection.WriteAsync(next!.Frames);
                lock (_lock)
                {
                    _writing = false;
                    _checkpointsSent++;
                    _bytesSent += bytes;
                }
            }
            return "the link was disposed";
        }
        catch (Exception e)
        {
            // Any failure, expected (reset, stall, break) or not, ends this connection only; the writer reconnects.
            if (connection.BreakReason is { } reason) return reason;
            if (_stopping.IsCancellationRequested) return "the link was disposed";
            return $"write failed: {(e.InnerException ?? e).Message}";
        }
    }

    /// <summary>Guarded by <see cref="_lock"/>.</summary>
    private void CompleteDrainWaitersIfIdle()
    {
        if (!IsIdle) return;
        foreach (var w in _drainWaiters) w.TrySetResult();
        _drainWaiters.Clear();
    }

    private TimeSpan Longer(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.ReconnectMax.Ticks));

    /// <summary>Waits about <paramref name="backoff"/> (±20 %, so links cut together do not reconnect in lockstep).</summary>
    private async Task BackOffAsync(TimeSpan backoff)
    {
        var jittered = backoff * (0.8 + 0.4 * Random.Shared.NextDouble());
        try
        {
            await Task.Delay(jittered, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Disposed: the loop ends.
        }
    }
}
