namespace FaultTolerant.Replica.Wire;

/// <summary>One verified frame.</summary>
public sealed record Frame(FrameHeader Header, ReadOnlyMemory<byte> Payload)
{
    public FrameType Type => Header.Type;

    public ulong Generation => Header.Generation;

    public ulong Epoch => Header.Epoch;

    /// <summary>Header and payload as sent on the wire.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[FrameHeader.Size + Payload.Length];
        Header.Write(bytes, Payload.Span);
        Payload.Span.CopyTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    public static Frame Create(FrameType type, ulong guest, ulong generation, ulong epoch, ReadOnlyMemory<byte> payload) =>
        new(new FrameHeader(type, guest, generation, epoch, payload.Length), payload);

    /// <summary>Parses and verifies a frame held whole in memory.</summary>
    /// <exception cref="FrameException">Anything wrong with it.</exception>
    public static Frame Parse(ReadOnlyMemory<byte> bytes)
    {
        var header = FrameHeader.Parse(bytes.Span, out var checksum);
        if (bytes.Length != FrameHeader.Size + header.PayloadLength)
        {
            throw new FrameException($"frame is {bytes.Length} bytes, its header says {FrameHeader.Size + header.PayloadLength}");
        }
        var payload = bytes[FrameHeader.Size..];
        FrameHeader.Verify(bytes.Span, payload.Span, checksum);
        return new Frame(header, payload);
    }

    /// <summary>Reads one frame from a stream; null at a clean end of stream between frames.</summary>
    /// <exception cref="FrameException">A malformed or corrupted frame, or a stream that ends inside one.</exception>
    public static async ValueTask<Frame?> ReadAsync(Stream stream, CancellationToken cancellation)
    {
        var header = new byte[FrameHeader.Size];
        int got = await stream.ReadAtLeastAsync(header, FrameHeader.Size, throwOnEndOfStream: false, cancellation);
        if (got == 0) return null;
        if (got < FrameHeader.Size) throw new FrameException($"stream ended inside a frame header ({got} of {FrameHeader.Size} bytes)");
        var parsed = FrameHeader.Parse(header, out var checksum);
        var payload = new byte[parsed.PayloadLength];
        got = await stream.ReadAtLeastAsync(payload, payload.Length, throwOnEndOfStream: false, cancellation);
        if (got < payload.Length) throw new FrameException($"stream ended inside a frame payload ({got} of {payload.Length} bytes)");
        FrameHeader.Verify(header, payload, checksum);
        return new Frame(parsed, payload);
    }
}
