using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>Releases: each connection's committed output and offsets to the session that owns it.</summary>
public sealed partial class IngressServer
{
    /// <summary>The primary of one guest attached here, one generation: its inputs, its connections, its sessions.</summary>
    private sealed class Registration(string guest, ulong generation, IGuestInputs primary, ConnectionTable<Session> table)
    {
        public string Guest { get; } = guest;

        /// <summary>The generation the primary was attached with: what its Detach names.</summary>
        public ulong AttachedGeneration { get; } = generation;

        /// <summary>The newest generation its releases carry (re-protection raises it; the primary stays the same).</summary>
        public ulong Generation { get; set; } = generation;

        public IGuestInputs Primary { get; } = primary;

        public ConnectionTable<Session> Table { get; } = table;

        /// <summary>Welcomed sessions, not lost. Guarded by the server's lock.</summary>
        public HashSet<Session> Sessions { get; } = [];

        /// <summary>The last epoch released: a Release frame for output that waited for an owner says this one.</summary>
        public ulong LastEpoch { get; set; }
    }

    /// <summary>The input source of one guest's primaries (<see cref="SourceFor"/>): whichever generation is attached.</summary>
    private sealed class GuestRoute(IngressServer server, string guest) : IInputSource
    {
        public string Guest { get; } = guest;

        /// <summary>Guarded by the server's lock.</summary>
        public Registration? Current { get; set; }

        /// <summary>On the primary's guest thread, in epoch order: only queues, never waits on a socket.</summary>
        public void OnRelease(ReleasedEpoch release) => server.Route(this, release);
    }

    private void Route(GuestRoute route, ReleasedEpoch release)
    {
        List<Session>? slow = null;
        Registration r;
        ConnectionTable<Session>.Routed routed;
        lock (_lock)
        {
            if (route.Current is not { } current || release.Generation < current.Generation)
            {
                // A primary that was replaced or detached: another one speaks for the guest now (or none does).
                _staleReleases++;
                return;
            }
            // The attached primary moved to a newer generation by re-protection (its backups changed, it did not):
            // it still speaks for the guest, and its releases from now on carry the new generation.
            current.Generation = release.Generation;
            r = current;
            r.LastEpoch = release.Epoch;
            routed = r.Table.Route(release, _clock.Elapsed);
            foreach (var (session, batch) in routed.Batches)
            {
                if (!session.SendRelease(r.Generation, release.Epoch, batch.Output, batch.Connections)) (slow ??= []).Add(session);
            }
            foreach (var id in routed.EndNow) r.Primary.EndInput(id);
            _orphansEnded += routed.EndNow.Count;
            foreach (var s in slow ?? []) LoseLocked(s, r);
            _dropped += slow?.Count ?? 0;
        }
        foreach (var s in slow ?? [])
        {
            Log($"guest {r.Guest} generation {r.Generation}: session of {s.GatewayId} ({s.Remote}) dropped: more than " +
                $"{_options.MaxUnacknowledgedOutputBytes} output bytes unacknowledged, it cannot keep up");
            // Off the guest thread: cancelling the session's I/O runs its continuations, which are no business of the guest's.
            _ = Task.Run(s.Abort);
        }
        if (routed.EndNow.Count > 0) Log($"guest {r.Guest} generation {r.Generation}: orphaned connections {string.Join(", ", routed.EndNow)} given up: too much output waiting");
        if (_options.Stdio is { } sink)
        {
            foreach (var o in routed.Stdio)
            {
                try
                {
                    sink(new GuestStdio(r.Guest, r.Generation, o.StreamId, o.Offset, o.Data));
                }
                catch (Exception e)
                {
                    Log($"guest {r.Guest}: the stdio sink failed: {e.Message}");
                }
            }
        }
    }

    /// <summary>
    /// Guarded by <see cref="_lock"/>: a session leaves its registration; its connections become orphans keeping what it
    /// was sent and did not acknowledge. Idempotent.
    /// </summary>
    private void LoseLocked(Session s, Registration? r)
    {
        _sessions.Remove(s);
        if (r is null || !r.Sessions.Remove(s)) return;
        var ended = r.Table.Lost(s, s.TakeUnacknowledged(), _clock.Elapsed);
        foreach (var id in ended) r.Primary.EndInput(id);
        _orphansEnded += ended.Count;
    }

    /// <summary>Whether <paramref name="r"/> is still the attached primary of its guest. Guarded by <see cref="_lock"/>.</summary>
    private bool IsCurrent(Registration r) => _routes.TryGetValue(r.Guest, out var route) && ReferenceEquals(route.Current, r);
}
