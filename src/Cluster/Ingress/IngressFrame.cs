using System.Buffers.Binary;
using System.IO.Hashing;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>The type byte of an ingress frame. Gateway → primary below 16, primary → gateway from 16.</summary>
public enum IngressFrameType : byte
{
    Hello = 1,
    Connect = 2,
    Deliver = 3,
    EndInput = 4,
    Ack = 5,
    Heartbeat = 6,
    Welcome = 16,
    Refused = 17,
    Connected = 18,
    ConnectRefused = 19,
    Release = 20,
}

/// <summary>
/// The 20-byte header of every ingress frame.
/// </summary>
/// <remarks>
/// Layout (little-endian): magic "FTIN" (u32), version (u8), type (u8), reserved (u16, zero), payload length (i32),
/// checksum (u64): XXH3-64 over the first 12 header bytes followed by the payload, so one check covers both.
/// </remarks>
public readonly record struct IngressFrameHeader(IngressFrameType Type, int PayloadLength)
{
    public const uint Magic = 0x4E495446; // "FTIN"
    public const byte Version = 1;
    public const int Size = 20;

    /// <summary>The largest payload a frame may carry. Senders cut client bytes and output into chunks of <see cref="ChunkBytes"/>.</summary>
    public const int MaxPayload = 16 << 20;

    /// <summary>The most data bytes a sender puts in one Deliver or Release frame, so a heartbeat or an ack never waits behind megabytes.</summary>
    public const int ChunkBytes = 1 << 20;

    public void Write(Span<byte> destination, ReadOnlySpan<byte> payload)
    {
        var h = destination[..Size];
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        h[4] = Version;
        h[5] = (byte)Type;
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], PayloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[12..], Checksum(h[..12], payload));
    }

    /// <summary>Parses a header; the checksum is checked once the payload is in hand (<see cref="Verify"/>).</summary>
    /// <exception cref="IngressProtocolException">Truncated, bad magic, an unknown type, reserved bits set, or an impossible length.</exception>
    /// <exception cref="UnsupportedIngressVersionException">Another version.</exception>
    public static IngressFrameHeader Parse(ReadOnlySpan<byte> h, out ulong checksum)
    {
        if (h.Length < Size) throw new IngressProtocolException($"ingress frame header truncated: {h.Length} of {Size} bytes");
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic) throw new IngressProtocolException("not an ingress frame (bad magic number)");
        if (h[4] != Version) throw new UnsupportedIngressVersionException(h[4], Version);
        var type = (IngressFrameType)h[5];
        if (!Enum.IsDefined(type)) throw new IngressProtocolException($"unknown ingress frame type {h[5]}");
        if (BinaryPrimitives.ReadUInt16LittleEndian(h[6..]) != 0) throw new IngressProtocolException("reserved ingress header bytes are not zero");
        int length = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
        if (length is < 0 or > MaxPayload) throw new IngressProtocolException($"ingress frame payload length {length} is out of range");
        checksum = BinaryPrimitives.ReadUInt64LittleEndian(h[12..]);
        return new IngressFrameHeader(type, length);
    }

    /// <exception cref="IngressProtocolException">The checksum does not match: the header or the payload was corrupted.</exception>
    public static void Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong checksum)
    {
        if (Checksum(header[..12], payload) != checksum) throw new IngressProtocolException("ingress frame checksum mismatch");
    }

    private static ulong Checksum(ReadOnlySpan<byte> head, ReadOnlySpan<byte> payload)
    {
        var hash = new XxHash3();
        hash.Append(head);
        hash.Append(payload);
        return hash.GetCurrentHashAsUInt64();
    }
}
