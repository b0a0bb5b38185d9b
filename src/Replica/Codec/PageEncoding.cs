namespace FaultTolerant.Replica.Codec;

/// <summary>How one 4 KiB page is encoded on the data channel; see <see cref="PageCodec"/> for the formats.</summary>
/// <remarks>The values are on the wire: never renumber them.</remarks>
public enum PageEncoding : byte
{
    /// <summary>Every byte is zero. Empty body. Needs no previous copy.</summary>
    Zero = 0,

    /// <summary>Identical to the receiver's previous copy. Empty body.</summary>
    Unchanged = 1,

    /// <summary>The page itself: exactly <see cref="PageCodec.PageSize"/> bytes.</summary>
    Raw = 2,

    /// <summary>The page XOR the previous copy, zero-run encoded (tokens of varint run, varint length, literal bytes).</summary>
    XorZeroRun = 3,

    /// <summary>An LZ4 block that decompresses to the page. Needs no previous copy.</summary>
    Lz4 = 4,

    /// <summary>An LZ4 block that decompresses to a <see cref="XorZeroRun"/> body.</summary>
    XorZeroRunLz4 = 5,
}
