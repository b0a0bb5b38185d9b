namespace FaultTolerant.Replica.Actors;

/// <summary>A backup to report: it acknowledged nothing new for <paramref name="Silence"/> while output waited.</summary>
public sealed record SilentBackup(string BackupId, ulong AckedEpoch, TimeSpan Silence);

/// <summary>
/// Which backups have gone silent, as a pure decision the primary's actor feeds with acks and clock readings: a
/// backup is silent when output has been waiting and it acknowledged nothing new for the timeout. It is reported
/// once, and again only after it acknowledged something since.
/// </summary>
/// <remarks>Not thread-safe: the primary's actor owns it.</remarks>
public sealed class SilentBackupWatch(TimeSpan timeout)
{
    private readonly Dictionary<string, Entry> _backups = [];

    private sealed class Entry(TimeSpan since)
    {
        public ulong Acked { get; set; }

        public TimeSpan Since { get; set; } = since;

        public bool Reported { get; set; }
    }

    public TimeSpan Timeout { get; } = timeout;

    public IReadOnlyCollection<string> Backups => _backups.Keys;

    /// <summary>The newest epoch every watched backup acknowledged (0 with none, or before all have).</summary>
    public ulong CommittedEpoch => _backups.Count == 0 ? 0 : _backups.Values.Min(e => e.Acked);

    /// <summary>A new generation with these backups: what the old ones acknowledged no longer counts.</summary>
    public void Reset(IEnumerable<string> backups, TimeSpan now)
    {
        _backups.Clear();
        foreach (var b in backups) _backups[b] = new Entry(now);
    }

    /// <summary>A backup of the watched generation acknowledged <paramref name="epoch"/>.</summary>
    public void Acked(string backup, ulong epoch, TimeSpan now)
    {
        if (!_backups.TryGetValue(backup, out var e) || epoch <= e.Acked) return;
        e.Acked = epoch;
        e.Since = now;
        e.Reported = false;
    }

    /// <summary>The backups that just became silent.</summary>
    /// <param name="outputWaiting">The primary holds epochs not yet released. While it holds none, nobody is waited for.</param>
    public IReadOnlyList<SilentBackup> Check(TimeSpan now, bool outputWaiting)
    {
        var silent = new List<SilentBackup>();
        foreach (var (id, e) in _backups)
        {
            if (!outputWaiting)
            {
                // An idle guest makes no epochs, so no acks: silence while nothing waits says nothing.
                e.Since = now;
                e.Reported = false;
                continue;
            }
            if (e.Reported || now - e.Since < Timeout) continue;
            e.Reported = true;
            silent.Add(new SilentBackup(id, e.Acked, now - e.Since));
        }
        return silent;
    }
}
