using System.Buffers.Binary;
using System.Text;

namespace FaultTolerant.Guest.State;

/// <summary>Reads what <see cref="StateWriter"/> wrote; any overrun is corruption, never an index exception.</summary>
public ref struct StateReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public readonly int Position => _position;

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _data.Length - _position < n) throw new CorruptStateException($"guest state truncated: needed {n} bytes at offset {_position} of {_data.Length}");
        var s = _data.Slice(_position, n);
        _position += n;
        return s;
    }

    public byte U8() => Take(1)[0];

    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        var b => throw new CorruptStateException($"bad boolean {b} in guest state"),
    };

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long I64() => (long)U64();

    public ReadOnlySpan<byte> Raw(int n) => Take(n);

    public ReadOnlySpan<byte> Bytes() => Take(I32());

    public string String() => Encoding.Latin1.GetString(Bytes());

    /// <summary>A count that must be plausible for what follows (each item at least <paramref name="minItemSize"/> bytes).</summary>
    public int Count(int minItemSize = 1)
    {
        int n = I32();
        if (n < 0 || (long)n * minItemSize > _data.Length - _position) throw new CorruptStateException($"implausible count {n} at offset {_position}");
        return n;
    }
}
