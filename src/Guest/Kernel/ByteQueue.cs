namespace FaultTolerant.Guest.Kernel;

/// <summary>A FIFO of bytes: socket receive buffers and unreleased output.</summary>
internal sealed class ByteQueue
{
    private byte[] _buffer = [];
    private int _head;

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_head, Count);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        if (_head + Count + data.Length > _buffer.Length)
        {
            int needed = Count + data.Length;
            if (needed <= _buffer.Length && _head > 0)
            {
                _buffer.AsSpan(_head, Count).CopyTo(_buffer);
            }
            else
            {
                var grown = new byte[Math.Max(needed, Math.Max(256, _buffer.Length * 2))];
                _buffer.AsSpan(_head, Count).CopyTo(grown);
                _buffer = grown;
            }
            _head = 0;
        }
        data.CopyTo(_buffer.AsSpan(_head + Count));
        Count += data.Length;
    }

    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        Span[..n].CopyTo(destination);
        Discard(n);
        return n;
    }

    public void Discard(int n)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Count);
        _head += n;
        Count -= n;
        if (Count == 0) _head = 0;
    }

    public void Clear() => Discard(Count);
}
