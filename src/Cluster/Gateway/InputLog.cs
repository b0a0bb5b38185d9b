namespace FaultTolerant.Cluster.Gateway;

/// <summary>
/// One connection's client bytes that the guest may not have committed yet: stream offsets
/// [<see cref="Start"/>, <see cref="End"/>). The gateway appends what it reads, trims what a release shows the
/// guest's committed received offset past, and after a failover replays the rest from the promoted guest's offset.
/// </summary>
/// <remarks>Not thread-safe: the gateway's lock guards it.</remarks>
internal sealed class InputLog
{
    private readonly Queue<byte[]> _chunks = new();
    private int _headSkip;

    /// <summary>Stream offset of the first byte kept.</summary>
    public long Start { get; private set; }

    /// <summary>Stream offset after the last byte read from the client.</summary>
    public long End { get; private set; }

    /// <summary>Bytes kept: read from the client and not known to be committed.</summary>
    public long Length => End - Start;

    public void Append(byte[] data)
    {
        if (data.Length == 0) return;
        _chunks.Enqueue(data);
        End += data.Length;
    }

    /// <summary>Forgets everything before <paramref name="offset"/> (committed); an offset at or before <see cref="Start"/> changes nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Past <see cref="End"/>: the guest cannot have received bytes never sent.</exception>
    public void TrimTo(long offset)
    {
        if (offset > End) throw new ArgumentOutOfRangeException(nameof(offset), offset, $"past the {End} bytes read from the client");
        while (Start < offset)
        {
            var head = _chunks.Peek();
            int left = head.Length - _headSkip;
            long drop = Math.Min(left, offset - Start);
            Start += drop;
            _headSkip += (int)drop;
            if (_headSkip == head.Length)
            {
                _chunks.Dequeue();
                _headSkip = 0;
            }
        }
    }

    /// <summary>A copy of the bytes from <paramref name="offset"/> to <see cref="End"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Before <see cref="Start"/> (already forgotten) or past <see cref="End"/>.</exception>
    public byte[] From(long offset)
    {
        if (offset < Start || offset > End) throw new ArgumentOutOfRangeException(nameof(offset), offset, $"outside the kept bytes [{Start}, {End})");
        var result = new byte[End - offset];
        long at = Start;
        int written = 0;
        bool first = true;
        foreach (var chunk in _chunks)
        {
            int skip = first ? _headSkip : 0;
            first = false;
            var span = chunk.AsSpan(skip);
            long chunkEnd = at + span.Length;
            if (chunkEnd > offset)
            {
                var part = span[(int)Math.Max(0, offset - at)..];
                part.CopyTo(result.AsSpan(written));
                written += part.Length;
            }
            at = chunkEnd;
        }
        return result;
    }
}
