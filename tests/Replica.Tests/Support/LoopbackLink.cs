using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Tests.Support;

/// <summary>
/// A primary→backup channel in one process, with faults on demand: frames dropped or corrupted, acks
/// withheld. Frames travel as bytes, so a corruption is caught by the same checks as on a socket.
/// </summary>
public sealed class LoopbackLink(BackupReplica backup, int seed = 0) : IBackupLink
{
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public string BackupId => backup.BackupId;

    public BackupReplica Backup => backup;

    public PrimaryReplica? Primary { get; set; }

    /// <summary>Out of 1000 frames, how many are dropped and how many corrupted.</summary>
    public int DropPerMille { get; set; }

    public int CorruptPerMille { get; set; }

    /// <summary>The backup commits but its acks are held back until this is cleared (a slow or stalled ack path).</summary>
    public bool WithholdAcks
    {
        get => _withhold;
        set
        {
            List<AssemblyOutcome.Committed> held;
            lock (_lock)
            {
                _withhold = value;
                held = value ? [] : [.. _held];
                if (!value) _held.Clear();
            }
            foreach (var c in held) Primary?.Acked(BackupId, c.Generation, c.Epoch);
        }
    }

    private bool _withhold;
    private readonly List<AssemblyOutcome.Committed> _held = [];

    /// <summary>The link is cut: nothing arrives.</summary>
    public bool Cut { get; set; }

    /// <summary>Delivery is synchronous: nothing is ever waiting.</summary>
    public long QueuedBytes => 0;

    public int Commits { get; private set; }

    public int Resyncs { get; private set; }

    /// <summary>What each delivered frame led to, in order, with when: for a failing test to show.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Journal { get; } = new();

    public void Send(EncodedCheckpoint checkpoint)
    {
        foreach (var frame in checkpoint.Frames)
        {
            var bytes = frame.ToBytes();
            lock (_lock)
            {
                if (Cut) return;
                int roll = _random.Next(1000);
                if (roll < DropPerMille) continue;
                if (roll < DropPerMille + CorruptPerMille) bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
            }
            var outcome = backup.Receive(bytes);
            if (outcome is not AssemblyOutcome.Staged || frame.Type is not Wire.FrameType.Pages)
            {
                Journal.Enqueue($"{DateTime.UtcNow:HH:mm:ss.ffff} {frame.Type} g{frame.Generation} e{frame.Epoch} -> {outcome}");
            }
            switch (outcome)
            {
                case AssemblyOutcome.Committed c:
                    Commits++;
                    lock (_lock)
                    {
                        if (_withhold)
                        {
                            _held.Add(c);
                            break;
                        }
                    }
                    Primary?.Acked(BackupId, c.Generation, c.Epoch);
                    break;
                case AssemblyOutcome.ResyncNeeded:
                    Resyncs++;
                    Primary?.ResyncRequested(BackupId, frame.Generation);
                    break;
                case AssemblyOutcome.Fenced f:
                    Primary?.Fence(f.HighestGeneration);
                    break;
            }
        }
    }
}
