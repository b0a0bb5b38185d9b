using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Channel;

/// <summary>What a unit handed to a link is, for the backup: see <see cref="LinkSendQueue.Classify"/>.</summary>
public enum LinkItemKind
{
    /// <summary>An epoch's checkpoint that applies only on top of what came before it.</summary>
    Delta,

    /// <summary>A place the backup can start over from, whatever it has: a full checkpoint, or the start of a pre-copy (SyncBegin).</summary>
    Restart,

    /// <summary>Part of a pre-copy's image (its page copies, its SyncEnd): useless without the SyncBegin before it.</summary>
    Image,
}

/// <summary>What <see cref="LinkSendQueue.Offer"/> did with a unit.</summary>
public enum LinkOffer
{
    /// <summary>Queued behind the others.</summary>
    Queued,

    /// <summary>A restart point: queued, and everything waiting before it was dropped (it makes it useless).</summary>
    QueuedRestart,

    /// <summary>Dropped: the backup has lost its place and can only start over; asking the primary for that is the caller's job.</summary>
    DroppedAwaitingRestart,

    /// <summary>The deltas waiting would pass the bound: everything waiting was dropped with it, and the backup must start over.</summary>
    Overflow,
}

/// <summary>
/// What a backup link keeps to send, as a pure policy (not thread-safe; the link locks around it). The backup can
/// use a unit only on top of the ones before it, so the queue keeps a gap-free run from the last restart point (a
/// full checkpoint or a SyncBegin), or nothing:
/// <list type="bullet">
/// <item>a restart point replaces everything still waiting (not the unit being written);</item>
/// <item>once continuity is lost (a connection broke, or the bound was passed) everything is dropped until a restart point comes;</item>
/// <item>the deltas waiting stay under the bound. An image does not count — a full checkpoint or a pre-copy's pages
/// are bounded by the guest's memory, are the only way back, and must not be thrown away by the next small delta
/// behind them (which would start another resync every epoch). So a link holds at most the unit being written, one
/// image and the bound.</item>
/// </list>
/// </summary>
public sealed class LinkSendQueue(long maxWaitingBytes)
{
    private readonly Queue<Entry> _waiting = new();

    public long MaxWaitingBytes { get; } = maxWaitingBytes > 0 ? maxWaitingBytes : throw new ArgumentOutOfRangeException(nameof(maxWaitingBytes), maxWaitingBytes, "must be positive");

    /// <summary>Frame bytes (headers included) waiting, not counting a unit taken for writing.</summary>
    public long WaitingBytes { get; private set; }

    /// <summary>The part of <see cref="WaitingBytes"/> that is deltas: what the bound applies to.</summary>
    public long WaitingDeltaBytes { get; private set; }

    public int WaitingCount => _waiting.Count;

    /// <summary>Continuity is lost: only a restart point is taken.</summary>
    public bool AwaitingRestart { get; private set; }

    /// <summary>Units dropped so far, for any reason.</summary>
    public long Dropped { get; private set; }

    public LinkOffer Offer(EncodedCheckpoint unit) => Offer(unit, Classify(unit), WireBytes(unit));

    /// <summary>As <see cref="Offer(EncodedCheckpoint)"/>, with the unit already classified and measured (outside a lock).</summary>
    public LinkOffer Offer(EncodedCheckpoint unit, LinkItemKind kind, long bytes)
    {
        if (kind == LinkItemKind.Restart)
        {
            Dropped += _waiting.Count;
            Clear();
            AwaitingRestart = false;
            Enqueue(unit, kind, bytes);
            return LinkOffer.QueuedRestart;
        }
        if (AwaitingRestart)
        {
            Dropped++;
            return LinkOffer.DroppedAwaitingRestart;
        }
        if (kind == LinkItemKind.Delta && WaitingDeltaBytes > 0 && WaitingDeltaBytes + bytes > MaxWaitingBytes)
        {
            Dropped += _waiting.Count + 1;
            Clear();
            AwaitingRestart = true;
            return LinkOffer.Overflow;
        }
        Enqueue(unit, kind, bytes);
        return LinkOffer.Queued;
    }

    /// <summary>The next unit to write, in order.</summary>
    public bool TryTake(out EncodedCheckpoint unit)
    {
        if (_waiting.TryDequeue(out var e))
        {
            Forget(e);
            unit = e.Unit;
            return true;
        }
        unit = null!;
        return false;
    }

    /// <summary>
    /// The backup may have missed some of what was written (the connection broke, a unit was cut short): what waits
    /// before the first restart point is useless now, and so is everything until one comes.
    /// </summary>
    /// <param name="droppedInFlight">The unit being written when it happened was abandoned (counted as dropped).</param>
    public void LoseContinuity(bool droppedInFlight = false)
    {
        if (droppedInFlight) Dropped++;
        while (_waiting.TryPeek(out var e) && e.Kind != LinkItemKind.Restart)
        {
            _waiting.Dequeue();
            Forget(e);
            Dropped++;
        }
        AwaitingRestart = _waiting.Count == 0;
    }

    /// <summary>Bytes on the wire: a header per frame plus the payloads.</summary>
    public static long WireBytes(EncodedCheckpoint unit)
    {
        long bytes = 0;
        foreach (var f in unit.Frames) bytes += FrameHeader.Size + f.Payload.Length;
        return bytes;
    }

    /// <summary>
    /// By its first frame: a full CheckpointBegin or a SyncBegin is a restart point, Pages or SyncEnd (outside a
    /// checkpoint) are a pre-copy's image, and anything else — a delta's CheckpointBegin, or something unreadable — is a delta.
    /// </summary>
    public static LinkItemKind Classify(EncodedCheckpoint unit)
    {
        if (unit.Frames.Count == 0) return LinkItemKind.Delta;
        var first = unit.Frames[0];
        switch (first.Type)
        {
            case FrameType.SyncBegin:
                return LinkItemKind.Restart;
            case FrameType.Pages or FrameType.SyncEnd:
                return LinkItemKind.Image;
            case FrameType.CheckpointBegin:
                // IsFull is the first field of CheckpointBeginPayload: read only it, not the machine section (which can
                // be megabytes of kernel state) on every send.
                try
                {
                    var reader = new StateReader(first.Payload.Span);
                    return reader.Bool() ? LinkItemKind.Restart : LinkItemKind.Delta;
                }
                catch (CorruptStateException)
                {
                    return LinkItemKind.Delta;
                }
            default:
                return LinkItemKind.Delta;
        }
    }

    private void Enqueue(EncodedCheckpoint unit, LinkItemKind kind, long bytes)
    {
        _waiting.Enqueue(new Entry(unit, kind, bytes));
        WaitingBytes += bytes;
        if (kind == LinkItemKind.Delta) WaitingDeltaBytes += bytes;
    }

    private void Forget(Entry e)
    {
        WaitingBytes -= e.Bytes;
        if (e.Kind == LinkItemKind.Delta) WaitingDeltaBytes -= e.Bytes;
    }

    private void Clear()
    {
        _waiting.Clear();
        WaitingBytes = 0;
        WaitingDeltaBytes = 0;
    }

    private readonly record struct Entry(EncodedCheckpoint Unit, LinkItemKind Kind, long Bytes);
}
