using System.Diagnostics;
using FaultTolerant.Guest;

namespace FaultTolerant.Replica.Primary;

/// <summary>The guest thread: run, end epochs, apply inputs and control events.</summary>
public sealed partial class PrimaryReplica
{
    private readonly Dictionary<long, PendingInput> _pendingInput = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<ulong, TimeSpan> _epochEndedAt = [];
    private Dictionary<long, StreamMark> _lastMarks = [];
    private GuestRunResult? _final;
    private bool _needFull = true;
    private bool _changedSinceEpoch = true;
    private bool _stopped;
    private TimeSpan _epochStart;
    private int _fullCaptures;
    private long _heldOutputBytes;
    private long _lastPauseTicks;

    /// <summary>Output bytes the guest produced that are not released yet (as of the last epoch end or release).</summary>
    public long HeldOutputBytes => Interlocked.Read(ref _heldOutputBytes);

    /// <summary>The last epoch's pause (the capture).</summary>
    public TimeSpan LastPause => TimeSpan.FromTicks(Interlocked.Read(ref _lastPauseTicks));

    /// <summary>Full captures taken: one at start; backups that join or resync later are brought up by pre-copy.</summary>
    public int FullCaptures => Volatile.Read(ref _fullCaptures);

    private sealed class PendingInput
    {
        public Queue<byte[]> Chunks { get; } = new();

        public int Offset { get; set; }

        public bool Ended { get; set; }
    }

    private void Run()
    {
        PrimaryEnd end;
        try
        {
            end = Loop();
        }
        catch (Exception e)
        {
            ReleasesEnded();
            Shutdown();
            _end.TrySetException(e);
            return;
        }
        ReleasesEnded();
        Shutdown();
        _end.TrySetResult(end);
    }

    /// <summary>Stops taking events; connects still queued are refused, so no caller waits on a primary that is gone.</summary>
    private void Shutdown()
    {
        _events.CompleteAdding();
        _shipper.Complete();
        foreach (var e in _events.GetConsumingEnumerable()) Refuse(e);
    }

    private static void Refuse(Event e)
    {
        if (e is Event.Connect c) c.Result.TrySetException(new GuestConnectionRefusedException(c.Port, "the primary has stopped"));
    }

    private PrimaryEnd Loop()
    {
        // The first checkpoint is full and taken before the guest runs, so backups have a base at once.
        EndEpoch();
        while (true)
        {
            while (_events.TryTake(out var e)) Apply(e);
            if (_stopped) return Ended(PrimaryEndReason.Stopped);
            if (_gate.Fenced) return Ended(PrimaryEndReason.Fenced);
            DeliverPendingInput();
            AdvancePrecopy();
            var elapsed = _clock.Elapsed - _epochStart;

            if (_final is not null)
            {
                // The guest has ended and cannot run, but its last state must still reach every backup and its last
                // output be released: a backup that needs a resync is brought up by pre-copy and by epochs (with
                // nothing new in them) that complete it.
                if (ReleasedEpoch >= Epoch) return Ended(PrimaryEndReason.GuestEnded);
                if (_options.Epochs.ShouldEnd(elapsed, outputWaiting: false)) EndEpoch();
                else WaitForEvent(PrecopyPending ? TimeSpan.Zero : _options.Epochs.Remaining(elapsed, outputWaiting: false));
                continue;
            }

            if (_shipper.BacklogBytes > _options.ShipperBacklogBytes)
            {
                // Encoding and sending are behind the guest: hold it back rather than queue checkpoints without bound.
                WaitForEvent(TimeSpan.FromMilliseconds(1));
                continue;
            }

            long before = _guest.InstructionsRetired;
            var result = _guest.Run(_options.Slice);
            if (_guest.InstructionsRetired != before) _changedSinceEpoch = true;
            if (result is GuestRunResult.Exited or GuestRunResult.Faulted)
            {
                _final = result;
                EndEpoch();
                continue;
            }
            elapsed = _clock.Elapsed - _epochStart;
            bool outputWaiting = OutputSinceLastEpoch();
            // An idle guest with everything released needs no epochs. While output is held, epochs go on even
            // if nothing changed: a lost frame is only noticed by the frames after it, so an idle primary
            // would otherwise wait forever for an ack that cannot come.
            bool due = _changedSinceEpoch || ReleasedEpoch < Epoch;
            if (due && _options.Epochs.ShouldEnd(elapsed, outputWaiting))
            {
                EndEpoch();
            }
            else if (result is GuestRunResult.Blocked blocked)
            {
                // Nothing to run until input, a guest timer, or this epoch's end.
                var wait = due ? _options.Epochs.Remaining(elapsed, outputWaiting) : Timeout.InfiniteTimeSpan;
                if (blocked.WakeAfter is { } wake && (wait == Timeout.InfiniteTimeSpan || wake < wait)) wait = wake;
                WaitForEvent(PrecopyPending ? TimeSpan.Zero : wait);
            }
        }
    }

    private PrimaryEnd Ended(PrimaryEndReason reason) => new(reason, _final, Epoch, ReleasedEpoch);

    private void WaitForEvent(TimeSpan timeout)
    {
        if (_events.TryTake(out var e, timeout)) Apply(e);
    }

    /// <summary>The pause: capture, mark where every stream stands, hand the checkpoint to the shipper.</summary>
    private void EndEpoch()
    {
        var pauseStart = _clock.Elapsed;
        if (_needFull) Interlocked.Increment(ref _fullCaptures);
        // A backup in a pre-copy builds its full state from a delta's machine section: that one must be complete.
        var checkpoint = _guest.Checkpoint(_needFull, completeKernel: _session is not null);
        var pause = _clock.Elapsed - pauseStart;
        _needFull = false;
        _changedSinceEpoch = false;
        ulong epoch = (ulong)Interlocked.Increment(ref _epoch);
        var outputMarks = _guest.OutputMarks();
        var marks = outputMarks.ToDictionary(m => m.StreamId, m => new StreamMark(m.Sent, m.Closed));
        Interlocked.Exchange(ref _heldOutputBytes, outputMarks.Sum(m => m.Sent - m.Released));
        Interlocked.Exchange(ref _lastPauseTicks, pause.Ticks);
        var connections = _guest.Connections.Select(c => new CommittedOffsets(c.Id, c.Received, c.Sent)).ToList();
        _gate.EpochEnded(epoch, marks, connections);
        _lastMarks = marks;
        _epochStart = _clock.Elapsed;
        _epochEndedAt[epoch] = _epochStart;

        var tag = new KeyValuePair<string, object?>("guest", _options.GuestName);
        ReplicaMetrics.Epochs.Add(1, tag);
        ReplicaMetrics.Pause.Record(pause.TotalMilliseconds, tag);
        ReplicaMetrics.DirtyPages.Record(checkpoint.Pages.Count, tag);
        var (shared, plain) = Recipients();
        _shipper.Ship(new ShipJob.Epoch(checkpoint, _gate.Generation, epoch, shared, plain));
        TryRelease();
    }

    /// <summary>Output (or a close) the guest produced since the last epoch boundary: a reason to end the epoch early.</summary>
    private bool OutputSinceLastEpoch()
    {
        foreach (var m in _guest.OutputMarks())
        {
            if (!_lastMarks.TryGetValue(m.StreamId, out var last) || last.Sent != m.Sent || last.Closed != m.Closed) return true;
        }
        return false;
    }

    private void Apply(Event e)
    {
        switch (e)
        {
            case Event.Connect c:
                try
                {
                    c.Result.SetResult(_guest.Connect(c.Port, c.PeerAddress, c.PeerPort));
                    _changedSinceEpoch = true;
                }
                catch (GuestConnectionRefusedException refused)
                {
                    c.Result.SetException(refused);
                }
                break;
            case Event.Input i:
                Pending(i.Connection).Chunks.Enqueue(i.Data);
                break;
            case Event.InputEnd end:
                Pending(end.Connection).Ended = true;
                break;
            case Event.Ack ack:
                if (_gate.Acked(ack.Backup, ack.Generation, ack.Epoch)) TryRelease();
                break;
            case Event.Resync r when r.Generation == _gate.Generation:
                WantSync(r.Backup);
                break;
            case Event.NewGeneration g:
                _gate.NewGeneration(g.Generation, g.StillPrimary, g.Backups.Select(b => b.BackupId));
                if (g.StillPrimary)
                {
                    var known = _links.Select(l => l.BackupId).ToHashSet();
                    _links = [.. g.Backups];
                    // New backups have nothing to apply a delta to: they are brought up by pre-copy.
                    foreach (var link in _links.Where(l => !known.Contains(l.BackupId))) WantSync(link.BackupId);
                    TryRelease();
                }
                break;
            case Event.Fenced f:
                _gate.ObservedGeneration(f.Generation);
                break;
            case Event.Stop:
                _stopped = true;
                break;
        }
    }

    private PendingInput Pending(long connection)
    {
        if (!_pendingInput.TryGetValue(connection, out var p)) _pendingInput[connection] = p = new PendingInput();
        return p;
    }

    /// <summary>Moves queued client bytes into the guest as its receive buffers allow; the rest waits for the next slice.</summary>
    private void DeliverPendingInput()
    {
        foreach (var (connection, p) in _pendingInput)
        {
            while (p.Chunks.TryPeek(out var chunk))
            {
                int n;
                try
                {
                    n = _guest.Deliver(connection, chunk.AsSpan(p.Offset));
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    // The connection is gone from the guest (closed and released): its input has nowhere to go.
                    p.Chunks.Clear();
                    p.Ended = false;
                    break;
                }
                if (n > 0) _changedSinceEpoch = true;
                p.Offset += n;
                if (p.Offset < chunk.Length) break;
                p.Chunks.Dequeue();
                p.Offset = 0;
            }
            if (p.Ended && p.Chunks.Count == 0)
            {
                p.Ended = false;
                try
                {
                    _guest.EndInput(connection);
                    _changedSinceEpoch = true;
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
        foreach (var done in _pendingInput.Where(kv => kv.Value.Chunks.Count == 0 && !kv.Value.Ended).Select(kv => kv.Key).ToList())
        {
            _pendingInput.Remove(done);
        }
    }
}
