using System.Buffers.Binary;
using System.IO.Hashing;

namespace FaultTolerant.Guest.State;

internal enum ImageKind : byte
{
    Full = 1,
    Delta = 2,
}

/// <summary>
/// The 48-byte header of every captured state: magic "FTGS", format version, kind, capture sequence and
/// the sequence it follows, body length, and checksums of the body and of the header itself.
/// </summary>
internal readonly record struct ImageHeader(ImageKind Kind, ulong Sequence, ulong BaseSequence, ulong BodyLength, ulong BodyChecksum)
{
    public const uint Magic = 0x53475446; // "FTGS" little-endian
    public const ushort Version = 1;
    public const int Size = 48;

    public void Write(Span<byte> h)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], Version);
        h[6] = (byte)Kind;
        h[7] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], BaseSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], BodyLength);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], BodyChecksum);
        BinaryPrimitives.WriteUInt64LittleEndian(h[40..], XxHash64.HashToUInt64(h[..40]));
    }

    /// <summary>Validates the header and the body's checksum; returns the body.</summary>
    /// <exception cref="CorruptStateException">Wrong magic, truncated, or a checksum mismatch.</exception>
    /// <exception cref="UnsupportedStateVersionException">Another format version.</exception>
    public static ImageHeader Read(ReadOnlySpan<byte> image, out ReadOnlySpan<byte> body)
    {
        if (image.Length < Size) throw new CorruptStateException($"guest state truncated: {image.Length} bytes, shorter than its {Size}-byte header");
        if (BinaryPrimitives.ReadUInt32LittleEndian(image) != Magic) throw new CorruptStateException("not a guest state image (bad magic number)");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(image[4..]);
        if (version != Version) throw new UnsupportedStateVersionException(version, Version);
        if (BinaryPrimitives.ReadUInt64LittleEndian(image[40..]) != XxHash64.HashToUInt64(image[..40])) throw new CorruptStateException("guest state header checksum mismatch");
        var kind = (ImageKind)image[6];
        if (!Enum.IsDefined(kind)) throw new CorruptStateException($"unknown guest state kind {image[6]}");
        var header = new ImageHeader(kind, BinaryPrimitives.ReadUInt64LittleEndian(image[8..]), BinaryPrimitives.ReadUInt64LittleEndian(image[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(image[24..]), BinaryPrimitives.ReadUInt64LittleEndian(image[32..]));
        if ((ulong)(image.Length - Size) != header.BodyLength)
        {
            throw new CorruptStateException($"guest state body is {image.Length - Size} bytes, its header says {header.BodyLength}");
        }
        body = image[Size..];
        if (XxHash3.HashToUInt64(body) != header.BodyChecksum) throw new CorruptStateException("guest state body checksum mismatch");
        return header;
    }
}
