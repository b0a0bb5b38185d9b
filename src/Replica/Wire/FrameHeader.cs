using System.Buffers.Binary;
using System.IO.Hashing;

namespace FaultTolerant.Replica.Wire;

/// <summary>
/// The 48-byte header of every data-channel frame. Every frame carries (guest, generation, epoch), so a
/// receiver can fence a stale primary on any frame, not only on the first.
/// </summary>
/// <remarks>
/// Layout (little-endian): magic "FTRF" (u32), version (u8), type (u8), reserved (u16, zero), guest (u64),
/// generation (u64), epoch (u64), payload length (u32), reserved (u32, zero), checksum (u64): XXH3-64 over
/// the first 40 header bytes followed by the payload, so one check covers both.
/// </remarks>
public readonly record struct FrameHeader(FrameType Type, ulong Guest, ulong Generation, ulong Epoch, int PayloadLength)
{
    public const uint Magic = 0x46525446; // "FTRF"
    public const byte Version = 1;
    public const int Size = 48;

    /// <summary>The largest payload a frame may carry; senders batch pages below it.</summary>
    public const int MaxPayload = 16 << 20;

    public void Write(Span<byte> destination, ReadOnlySpan<byte> payload)
    {
        var h = destination[..Size];
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        h[4] = Version;
        h[5] = (byte)Type;
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], Guest);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], Generation);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Epoch);
        BinaryPrimitives.WriteInt32LittleEndian(h[32..], PayloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], Checksum(h[..40], payload));
    }

    /// <summary>Parses a header; the checksum is checked once the payload is in hand (<see cref="Verify"/>).</summary>
    /// <exception cref="FrameException">Bad magic, another version, an unknown type or an impossible length.</exception>
    public static FrameHeader Parse(ReadOnlySpan<byte> h, out ulong checksum)
    {
        if (h.Length < Size) throw new FrameException($"frame header truncated: {h.Length} of {Size} bytes");
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != Magic) throw new FrameException("not a data-channel frame (bad magic number)");
        if (h[4] != Version) throw new FrameException($"data-channel frame version {h[4]} is not supported (this build speaks {Version})");
        var type = (FrameType)h[5];
        if (!Enum.IsDefined(type)) throw new FrameException($"unknown frame type {h[5]}");
        if (BinaryPrimitives.ReadUInt16LittleEndian(h[6..]) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(h[36..]) != 0)
        {
            throw new FrameException("reserved header bytes are not zero");
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(h[32..]);
        if (length is < 0 or > MaxPayload) throw new FrameException($"frame payload length {length} is out of range");
        checksum = BinaryPrimitives.ReadUInt64LittleEndian(h[40..]);
        return new FrameHeader(type, BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(h[24..]), length);
    }

    /// <exception cref="FrameException">The checksum does not match: the header or the payload was corrupted.</exception>
    public static void Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong checksum)
    {
        if (Checksum(header[..40], payload) != checksum) throw new FrameException("frame checksum mismatch");
    }

    private static ulong Checksum(ReadOnlySpan<byte> head, ReadOnlySpan<byte> payload)
    {
        var hash = new XxHash3();
        hash.Append(head);
        hash.Append(payload);
        return hash.GetCurrentHashAsUInt64();
    }
}

/// <summary>A frame is malformed, corrupted or of another version. The connection it came on is no longer trusted.</summary>
public sealed class FrameException(string message, Exception? inner = null) : ReplicaException(message, inner);
