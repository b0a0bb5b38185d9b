namespace FaultTolerant.Replica.Primary;

/// <summary>A stream's position at an epoch boundary: bytes sent so far, and whether the guest had closed it.</summary>
public readonly record struct StreamMark(long Sent, bool Closed);

/// <summary>A connection's committed byte accounting at a released epoch, for the input source.</summary>
public readonly record struct CommittedOffsets(long Connection, long Received, long Sent);

/// <summary>What may now leave for the outside world: every stream up to its mark at <see cref="Epoch"/>.</summary>
public sealed record Release(ulong Generation, ulong Epoch, IReadOnlyDictionary<long, StreamMark> Streams, IReadOnlyList<CommittedOffsets> Connections);

/// <summary>
/// Output commit (invariant O) as a pure decision: output of epoch e may be released only when every
/// backup of the current generation has acknowledged e. Fencing (invariant F): once a higher generation is
/// known, nothing more is released, ever.
/// </summary>
/// <remarks>Not thread-safe; the primary's control loop owns it.</remarks>
public sealed class OutputCommitGate
{
    private readonly SortedDictionary<ulong, (IReadOnlyDictionary<long, StreamMark> Streams, IReadOnlyList<CommittedOffsets> Connections)> _boundaries = [];
    private readonly Dictionary<string, ulong> _acked = [];
    private HashSet<string> _backups = [];

    public OutputCommitGate(ulong generation, IEnumerable<string> backups)
    {
        Generation = generation;
        _backups = [.. backups];
    }

    public ulong Generation { get; private set; }

    /// <summary>A higher generation exists: this primary must stop and release nothing more.</summary>
    public bool Fenced { get; private set; }

    public ulong ReleasedEpoch { get; private set; }

    /// <summary>Times an acknowledged epoch was not released because its lease had run out (see <see cref="TakeRelease"/>).</summary>
    public long LateAcknowledgements { get; private set; }

    public IReadOnlyCollection<string> Backups => _backups;

    /// <summary>Records where every stream stood when epoch <paramref name="epoch"/> ended.</summary>
    public void EpochEnded(ulong epoch, IReadOnlyDictionary<long, StreamMark> streams, IReadOnlyList<CommittedOffsets> connections)
    {
        if (_boundaries.Count > 0 && epoch <= _boundaries.Keys.Last()) throw new ArgumentException($"epoch {epoch} does not follow the last recorded one", nameof(epoch));
        _boundaries[epoch] = (streams, connections);
    }

    /// <summary>A backup acknowledged that it committed <paramref name="epoch"/> of <paramref name="generation"/>.</summary>
    /// <returns>False when the ack is not of this generation or not from a backup of it (ignored).</returns>
    public bool Acked(string backup, ulong generation, ulong epoch)
    {
        if (generation != Generation || !_backups.Contains(backup)) return false;
        _acked[backup] = Math.Max(_acked.GetValueOrDefault(backup), epoch);
        return true;
    }

    /// <summary>
    /// The coordinator wrote a new generation. If this primary is still the primary of it, the backup set is
    /// replaced (acks of the old generation do not count). Otherwise it is fenced.
    /// </summary>
    public void NewGeneration(ulong generation, bool stillPrimary, IEnumerable<string> backups)
    {
        if (generation <= Generation) return;
        Generation = generation;
        if (!stillPrimary)
        {
            Fenced = true;
            return;
        }
        _backups = [.. backups];
        _acked.Clear();
    }

    /// <summary>A backup or a peer reported a generation above ours.</summary>
    public void ObservedGeneration(ulong generation)
    {
        if (generation > Generation) Fenced = true;
    }

    /// <summary>The release now allowed, if any: the newest epoch every backup of the generation has acknowledged.</summary>
    /// <param name="leaseHolds">
    /// Whether the acknowledgements of an epoch may still be acted on (docs/FAILOVER.md, "The release lease"): false
    /// once the lease that started when the epoch was shipped has run out, for then a backup that acknowledged it may
    /// have been promoted and be releasing under the next generation. Asked of the newest acknowledged epoch only:
    /// older ones were shipped earlier, so their leases ran out first. If it does not hold, nothing is released now;
    /// a later epoch acknowledged in time releases everything up to it. Null: no lease. Not asked when the guest runs
    /// without backups, whose releases depend on no acknowledgement.
    /// </param>
    public Release? TakeRelease(Func<ulong, bool>? leaseHolds = null)
    {
        if (Fenced || _boundaries.Count == 0) return null;
        // With no backup left the guest runs unprotected and releases at once (DESIGN §5, backup lost).
        ulong committed = _backups.Count == 0 ? _boundaries.Keys.Last() : _backups.Min(b => _acked.GetValueOrDefault(b));
        ulong? epoch = null;
        foreach (var e in _boundaries.Keys)
        {
            if (e > committed) break;
            epoch = e;
        }
        if (epoch is null) return null;
        if (_backups.Count > 0 && leaseHolds is not null && !leaseHolds(epoch.Value))
        {
            LateAcknowledgements++;
            return null;
        }
        var (streams, connections) = _boundaries[epoch.Value];
        foreach (var e in _boundaries.Keys.Where(k => k <= epoch.Value).ToList()) _boundaries.Remove(e);
        ReleasedEpoch = epoch.Value;
        return new Release(Generation, epoch.Value, streams, connections);
    }
}
