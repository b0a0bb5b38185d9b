using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>
/// Who owns each connection of one primary's guest on this node, what waits for an owner, and when an orphan is
/// given up (docs/GATEWAY.md, "Ownership"). Pure: no sockets, no clock (the caller passes the time), no threads;
/// <see cref="IngressServer"/> calls it under its lock and carries out what it returns.
/// </summary>
/// <typeparam name="TOwner">A gateway session; compared by reference.</typeparam>
/// <remarks>
/// <para>A connection is owned by the session that created it (<see cref="Created"/>) or claimed it
/// (<see cref="Claim"/>). Its output and committed offsets go to its owner only. Without an owner it is an orphan:
/// what is released for it waits (up to <c>maxPendingBytes</c>), and if no session of the gateway that made it claims
/// it within the orphan timeout, the guest gets end-of-input on it (<see cref="Expire"/>), so it closes it.</para>
/// <para>Connections of a promoted guest start as orphans that any gateway may claim: the new primary does not know
/// who made them, and only the gateway that has the client knows the id.</para>
/// </remarks>
internal sealed class ConnectionTable<TOwner>(TimeSpan orphanTimeout, long maxPendingBytes) where TOwner : class
{
    private readonly Dictionary<long, Entry> _entries = [];

    /// <summary>
    /// Every connection given up, kept after its entry is forgotten: a gateway that claims one later must reset its
    /// client, not connect it again and replay bytes the guest may have acted on. One id per connection given up.
    /// </summary>
    private readonly HashSet<long> _givenUp = [];

    /// <summary>Connections known, owned or not.</summary>
    public int Count => _entries.Count;

    /// <summary>Connections without an owner that have not been given up yet.</summary>
    public int Orphans => _entries.Values.Count(e => e.Owner is null && !e.Expired);

    /// <summary>The connections of a promoted guest (or none for a fresh one), all orphans until claimed.</summary>
    public void AddPromoted(IReadOnlyList<ConnectionInfo> connections, TimeSpan now)
    {
        foreach (var c in connections)
        {
            _entries[c.Id] = new Entry(c.Id)
            {
                Port = c.Port,
                Promoted = true,
                Accepted = c.Accepted,
                Forwarded = c.Received,
                CommittedReceived = c.Received,
                CommittedSent = c.Sent,
                ReleasedEnd = c.Released,
                InputEnded = c.InputEnded,
                OutputClosed = c.OutputClosed,
                OrphanDeadline = now + orphanTimeout,
            };
        }
    }

    /// <summary>
    /// A session's Hello claims <paramref name="ids"/>. Each is granted if it has no owner, was not given up, and is a
    /// promoted connection (any gateway) or was made by <paramref name="gatewayId"/>. Granted connections come back with
    /// what the gateway needs: their offsets for the Welcome, the output that waited for an owner, and their committed
    /// offsets. The others go to <paramref name="lost"/> if the guest has or had them (given up, or someone else's: the
    /// client must be reset), or to <paramref name="unknown"/> if this primary never heard of them.
    /// </summary>
    public List<Claimed> Claim(TOwner owner, string gatewayId, IEnumerable<long> ids, List<long> unknown, List<long> lost)
    {
        var granted = new List<Claimed>();
        foreach (var id in ids.Distinct())
        {
            if (!_entries.TryGetValue(id, out var e))
            {
                (_givenUp.Contains(id) ? lost : unknown).Add(id);
                continue;
            }
            if (e.Owner is not null || e.Expired || !(e.Promoted || e.Creator == gatewayId))
            {
                lost.Add(id);
                continue;
            }
            e.Owner = owner;
            e.Creator = gatewayId;
            e.OrphanDeadline = null;
            granted.Add(new Claimed(e.Info(), e.TakePending(), e.Committed()));
        }
        return granted;
    }

    /// <summary>
    /// The guest took a connection a session asked for. <paramref name="owner"/> is null if that session is gone
    /// meanwhile: the connection is then an orphan that only the same gateway may claim. Returns the output released for
    /// it before this was known (the guest may answer before its connect does), for the owner.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another session owns that id: the guest handed out an id twice.</exception>
    public List<ReleasedOutput> Created(TOwner? owner, string gatewayId, long id, int port, TimeSpan now)
    {
        if (!_entries.TryGetValue(id, out var e)) _entries[id] = e = new Entry(id);
        if (e.Owner is not null && !ReferenceEquals(e.Owner, owner)) throw new InvalidOperationException($"connection {id} is owned already");
        e.Port = port;
        e.Accepted = true;
        e.Promoted = false;
        e.Creator = gatewayId;
        e.Owner = owner;
        e.OrphanDeadline = owner is null ? now + orphanTimeout : null;
        return owner is null ? [] : e.TakePending();
    }

    /// <summary>
    /// Client bytes from <paramref name="owner"/> at stream offset <paramref name="offset"/>: how many leading bytes the
    /// primary already has (a replay), or why the session must be dropped.
    /// </summary>
    public DeliverDecision Deliver(TOwner owner, long id, long offset, int length)
    {
        if (!_entries.TryGetValue(id, out var e) || !ReferenceEquals(e.Owner, owner)) return DeliverDecision.Violation($"delivers to connection {id}, which it does not own");
        if (offset > e.Forwarded) return DeliverDecision.Violation($"delivers connection {id} from offset {offset}, past the {e.Forwarded} bytes the primary has: a gap");
        if (e.InputEnded) return DeliverDecision.Ignore;
        long end = offset + length;
        if (end <= e.Forwarded) return DeliverDecision.Ignore;
        int skip = (int)(e.Forwarded - offset);
        e.Forwarded = end;
        return DeliverDecision.Forward(skip);
    }

    /// <summary>Whether end-of-input from <paramref name="owner"/> goes on to the primary (once), or why the session must be dropped.</summary>
    public DeliverDecision EndInput(TOwner owner, long id)
    {
        if (!_entries.TryGetValue(id, out var e) || !ReferenceEquals(e.Owner, owner)) return DeliverDecision.Violation($"ends connection {id}, which it does not own");
        if (e.InputEnded) return DeliverDecision.Ignore;
        e.InputEnded = true;
        return DeliverDecision.Forward(0);
    }

    /// <summary>The owner has every byte up to and including the guest's close of these connections.</summary>
    public void CloseDelivered(IEnumerable<long> ids)
    {
        foreach (var id in ids)
        {
            if (_entries.TryGetValue(id, out var e)) e.CloseDelivered = true;
        }
    }

    /// <summary>
    /// One release: each connection's output and committed offsets to its owner, or kept while it has none. Output of a
    /// connection never heard of (a connect whose answer is on its way) makes it an orphan. Connections the guest no
    /// longer has, closed or given up, with nothing left to hand over, are forgotten.
    /// </summary>
    public Routed Route(ReleasedEpoch release, TimeSpan now)
    {
        var routed = new Routed();
        foreach (var o in release.Output)
        {
            if (o.StreamId is GuestStreams.Stdout or GuestStreams.Stderr)
            {
                routed.Stdio.Add(o);
                continue;
            }
            var e = Known(o.StreamId, now);
            e.ReleasedEnd = Math.Max(e.ReleasedEnd, o.Offset + o.Data.Length);
            if (o.Closed) e.Closed = true;
            if (e.Owner is { } owner)
            {
                routed.For(owner).Output.Add(o);
                continue;
            }
            if (e.Expired) continue; // given up: nobody will ever take it
            e.Pending.Add(o);
            e.PendingBytes += o.Data.Length;
            if (e.PendingBytes > maxPendingBytes) GiveUp(e, routed.EndNow);
        }
        var inGuest = new HashSet<long>();
        foreach (var c in release.Connections)
        {
            inGuest.Add(c.Connection);
            var e = Known(c.Connection, now);
            // Committed offsets only grow within one primary's table: a gateway trims its input on the newest it was
            // shown, and a Welcome reporting an older one would look to it like lost input (seen once in CI).
            e.CommittedReceived = Math.Max(e.CommittedReceived, c.Received);
            e.CommittedSent = Math.Max(e.CommittedSent, c.Sent);
            if (e.Owner is { } owner) routed.For(owner).Connections.Add(c);
        }
        foreach (var e in _entries.Values.Where(e => !inGuest.Contains(e.Id) && e.Pending.Count == 0).ToList())
        {
            // Gone from the guest, and its close is with its gateway (or nobody will ever take it).
            if (e.Expired || (e.Closed && (e.Owner is null || e.CloseDelivered))) _entries.Remove(e.Id);
        }
        return routed;
    }

    /// <summary>
    /// A session is gone: its connections become orphans, each keeping, in order, the output that was sent to the
    /// session and not acknowledged (<paramref name="unacknowledged"/>), which may never have arrived. Returns the
    /// connections given up at once because that is more than may be kept.
    /// </summary>
    public List<long> Lost(TOwner owner, IEnumerable<ReleasedOutput> unacknowledged, TimeSpan now)
    {
        var endNow = new List<long>();
        var owned = _entries.Values.Where(e => ReferenceEquals(e.Owner, owner)).ToList();
        foreach (var e in owned)
        {
            e.Owner = null;
            e.OrphanDeadline = now + orphanTimeout;
        }
        foreach (var o in unacknowledged)
        {
            if (!_entries.TryGetValue(o.StreamId, out var e) || e.Owner is not null || e.Expired) continue;
            e.Pending.Add(o);
            e.PendingBytes += o.Data.Length;
        }
        foreach (var e in owned.Where(e => e.PendingBytes > maxPendingBytes)) GiveUp(e, endNow);
        return endNow;
    }

    /// <summary>Orphans whose timeout passed: given up. Returns those whose input must now be ended on the primary.</summary>
    public List<long> Expire(TimeSpan now)
    {
        var endNow = new List<long>();
        foreach (var e in _entries.Values)
        {
            if (e.Owner is null && !e.Expired && e.OrphanDeadline is { } deadline && deadline <= now) GiveUp(e, endNow);
        }
        return endNow;
    }

    private void GiveUp(Entry e, List<long> endNow)
    {
        _givenUp.Add(e.Id);
        e.Expired = true;
        e.Pending.Clear();
        e.PendingBytes = 0;
        if (e.InputEnded) return;
        e.InputEnded = true;
        endNow.Add(e.Id);
    }

    private Entry Known(long id, TimeSpan now)
    {
        if (!_entries.TryGetValue(id, out var e)) _entries[id] = e = new Entry(id) { OrphanDeadline = now + orphanTimeout };
        return e;
    }

    /// <summary>A connection granted to a claimant: its offsets for the Welcome, the output that waited, its committed offsets.</summary>
    public sealed record Claimed(ConnectionInfo Info, List<ReleasedOutput> Pending, CommittedOffsets Committed);

    /// <summary>What one session gets of a release.</summary>
    public sealed class Batch
    {
        public List<ReleasedOutput> Output { get; } = [];

        public List<CommittedOffsets> Connections { get; } = [];
    }

    public sealed class Routed
    {
        public Dictionary<TOwner, Batch> Batches { get; } = new(ReferenceEqualityComparer.Instance);

        public List<ReleasedOutput> Stdio { get; } = [];

        /// <summary>Orphans given up because too much output waited for them: their input must be ended on the primary.</summary>
        public List<long> EndNow { get; } = [];

        public Batch For(TOwner owner)
        {
            if (!Batches.TryGetValue(owner, out var b)) Batches[owner] = b = new Batch();
            return b;
        }
    }

    private sealed class Entry(long id)
    {
        public long Id { get; } = id;

        public int Port { get; set; }

        /// <summary>Came with a promoted guest: whoever has the client may claim it.</summary>
        public bool Promoted { get; set; }

        public bool Accepted { get; set; }

        public TOwner? Owner { get; set; }

        /// <summary>The gateway that made it (or first claimed it): the only one that may claim it again.</summary>
        public string? Creator { get; set; }

        /// <summary>Client bytes handed to the primary: the stream offset the next delivered byte must have.</summary>
        public long Forwarded { get; set; }

        /// <summary>End-of-input was handed to the primary (or the promoted guest had it already).</summary>
        public bool InputEnded { get; set; }

        public long CommittedReceived { get; set; }

        public long CommittedSent { get; set; }

        /// <summary>Offset after the last output byte released.</summary>
        public long ReleasedEnd { get; set; }

        /// <summary>The guest's close of it was released.</summary>
        public bool Closed { get; set; }

        public bool OutputClosed { get; set; }

        /// <summary>The owner acknowledged the release that carried the close.</summary>
        public bool CloseDelivered { get; set; }

        /// <summary>Released while it had no owner, in order.</summary>
        public List<ReleasedOutput> Pending { get; } = [];

        public long PendingBytes { get; set; }

        public TimeSpan? OrphanDeadline { get; set; }

        /// <summary>Given up: its input was ended on the primary; nobody may claim it.</summary>
        public bool Expired { get; set; }

        /// <summary>
        /// What a claimant is told. Received is the committed offset, not what the primary has: the gateway must keep
        /// every byte the guest has not committed, and replays from here; bytes the primary already has are dropped by
        /// <see cref="Deliver"/>. Released is where the first output it is about to get starts, at or before what it has.
        /// </summary>
        public ConnectionInfo Info() => new(Id, Port, CommittedReceived, CommittedSent, Pending.Count > 0 ? Pending[0].Offset : ReleasedEnd, Accepted,
            InputEnded, OutputClosed || Closed);

        public CommittedOffsets Committed() => new(Id, CommittedReceived, CommittedSent);

        public List<ReleasedOutput> TakePending()
        {
            var pending = new List<ReleasedOutput>(Pending);
            Pending.Clear();
            PendingBytes = 0;
            return pending;
        }
    }
}

/// <summary>What to do with client bytes or an end-of-input from a session.</summary>
internal readonly record struct DeliverDecision(bool Send, int Skip, string? Reason)
{
    public static readonly DeliverDecision Ignore = new(false, 0, null);

    public static DeliverDecision Forward(int skip) => new(true, skip, null);

    public static DeliverDecision Violation(string reason) => new(false, 0, reason);
}
