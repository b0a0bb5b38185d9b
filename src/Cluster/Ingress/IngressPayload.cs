using System.Buffers.Binary;
using System.Text;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>Builds one frame: header space first, then the payload, little-endian; the header is filled in last.</summary>
internal sealed class PayloadWriter(int payloadHint)
{
    private byte[] _buffer = new byte[IngressFrameHeader.Size + Math.Max(payloadHint, 0)];
    private int _length = IngressFrameHeader.Size;

    public void U8(byte value) => Take(1)[0] = value;

    public void I32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

    public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);

    public void I64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

    public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

    public void Bytes(ReadOnlySpan<byte> data) => data.CopyTo(Take(data.Length));

    /// <summary>A u16 byte count, then UTF-8.</summary>
    /// <exception cref="ArgumentException">Longer than <see cref="PayloadReader.MaxString"/> bytes.</exception>
    public void String(string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        if (n > PayloadReader.MaxString) throw new ArgumentException($"longer than {PayloadReader.MaxString} bytes in UTF-8", nameof(value));
        BinaryPrimitives.WriteUInt16LittleEndian(Take(2), (ushort)n);
        Encoding.UTF8.GetBytes(value, Take(n));
    }

    /// <exception cref="ArgumentException">The payload is larger than a frame may be.</exception>
    public byte[] Finish(IngressFrameType type)
    {
        int payload = _length - IngressFrameHeader.Size;
        if (payload > IngressFrameHeader.MaxPayload) throw new ArgumentException($"an ingress {type} frame of {payload} bytes is larger than {IngressFrameHeader.MaxPayload}");
        var frame = _length == _buffer.Length ? _buffer : _buffer[.._length];
        new IngressFrameHeader(type, payload).Write(frame, frame.AsSpan(IngressFrameHeader.Size));
        return frame;
    }

    private Span<byte> Take(int n)
    {
        if (_length + n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        var span = _buffer.AsSpan(_length, n);
        _length += n;
        return span;
    }
}

/// <summary>Reads a payload field by field; anything short, oversized or left over is a protocol error.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload, IngressFrameType type)
{
    public const int MaxString = 1024;

    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _at;

    public readonly int Remaining => _payload.Length - _at;

    public byte U8() => Take(1)[0];

    public bool Bool() => U8() switch
    {
        0 => false,
        1 => true,
        var b => throw Error($"flag byte {b} is neither 0 nor 1"),
    };

    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A non-negative offset or id.</summary>
    public long Offset(string what)
    {
        long value = I64();
        return value >= 0 ? value : throw Error($"{what} {value} is negative");
    }

    public string String()
    {
        int n = BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        if (n > MaxString) throw Error($"a string of {n} bytes is longer than {MaxString}");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(n));
        }
        catch (DecoderFallbackException e)
        {
            throw new IngressProtocolException($"ingress {type} frame: a string is not valid UTF-8", e);
        }
    }

    public byte[] Bytes(int n) => n >= 0 ? Take(n).ToArray() : throw Error($"byte count {n} is negative");

    /// <summary>An element count, checked against what is left, so a forged count cannot make us allocate.</summary>
    public int Count(int minElementBytes)
    {
        int n = I32();
        if (n < 0 || (long)n * minElementBytes > Remaining) throw Error($"count {n} does not fit in the {Remaining} bytes left");
        return n;
    }

    public readonly void End()
    {
        if (Remaining != 0) throw Error($"{Remaining} bytes left over after the last field");
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > Remaining) throw Error($"payload truncated: a field needs {n} bytes, {Remaining} are left");
        var span = _payload.Slice(_at, n);
        _at += n;
        return span;
    }

    private readonly IngressProtocolException Error(string what) => new($"ingress {type} frame: {what}");
}
