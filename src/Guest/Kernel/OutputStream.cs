namespace FaultTolerant.Guest.Kernel;

/// <summary>
/// Bytes the guest sent on one stream (stdout, stderr or a connection) that the host has not yet released.
/// </summary>
/// <remarks>
/// Unreleased output is guest state, like a TCP send buffer: a checkpoint carries it, so a backup
/// promoted after the primary died can still deliver output that was committed but never released.
/// <see cref="Sent"/> counts every byte the guest ever wrote here; the host releases by offset.
/// </remarks>
internal sealed class OutputStream(long id)
{
    public long Id { get; } = id;

    public ByteQueue Pending { get; } = new();

    public long Sent { get; set; }

    /// <summary>The guest closed its side: after the pending bytes, the stream ends.</summary>
    public bool Closed { get; set; }

    public long ReleasedOffset => Sent - Pending.Count;

    public void Write(ReadOnlySpan<byte> data)
    {
        Pending.Append(data);
        Sent += data.Length;
    }

    /// <summary>Drops bytes the host has delivered. True when the stream is closed and fully released.</summary>
    public bool Release(long upTo)
    {
        if (upTo > Sent) throw new ArgumentOutOfRangeException(nameof(upTo), $"offset {upTo} is past the {Sent} bytes sent on stream {Id}");
        long drop = upTo - ReleasedOffset;
        if (drop > 0) Pending.Discard((int)drop);
        return Closed && Pending.Count == 0;
    }
}
