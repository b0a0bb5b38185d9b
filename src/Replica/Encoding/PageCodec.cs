using K4os.Compression.LZ4;

namespace FaultTolerant.Replica.Encoding;

/// <summary>
/// Encodes one 4 KiB page for the checkpoint data channel against the copy last shipped to the receiver,
/// choosing the smallest of the <see cref="PageEncoding"/> forms, and decodes it again.
/// </summary>
/// <remarks>
/// <para>
/// The encoding tag is returned, not written: the body alone is at most <see cref="MaxEncodedSize"/> bytes,
/// and the framing layer carries the tag, the body length and the checksum.
/// </para>
/// <para>
/// <see cref="PageEncoding.XorZeroRun"/> body: one or more tokens, each
/// <c>varint run, varint length, length literal bytes</c>. <c>run</c> bytes are left as in the previous
/// copy (their XOR is zero), then <c>length</c> bytes are the previous copy XOR the literal bytes. Bytes after
/// the last token are unchanged. A varint is unsigned LEB128 (seven bits per byte, least significant group
/// first, high bit set on every byte but the last), minimal, and at most two bytes. Every <c>length</c> is at
/// least 1 and no token runs past the page end. <see cref="PageEncoding.XorZeroRunLz4"/> is an LZ4 block
/// (no frame) of such a body; <see cref="PageEncoding.Lz4"/> an LZ4 block of the page.
/// </para>
/// <para>Thread-safe; it keeps one small scratch buffer per thread and allocates nothing per page.</para>
/// </remarks>
public static partial class PageCodec
{
    /// <summary>Size of a guest page, the unit of encoding.</summary>
    public const int PageSize = 4096;

    /// <summary>The longest body <see cref="Encode"/> writes (a raw page): size encode buffers to this.</summary>
    public const int MaxEncodedSize = PageSize;

    // LZ4 resets a 16 KiB hash table per call, so it is tried only where it can plausibly pay for that:
    // on a zero-run body at least this long...
    private const int Lz4MinZeroRunBody = 64;

    // ...and on the whole page only when the best delta found is still at least this long.
    private const int Lz4MinBestForRawAttempt = PageSize / 4;

    [ThreadStatic]
    private static byte[]? _scratch;

    private static byte[] Scratch => _scratch ??= new byte[2 * PageSize];

    /// <summary>Encodes <paramref name="page"/> into the smallest form the receiver can decode.</summary>
    /// <param name="page">The page to ship, exactly <see cref="PageSize"/> bytes.</param>
    /// <param name="previous">
    /// The receiver's copy of this page (exactly <see cref="PageSize"/> bytes), or empty when it has none;
    /// then only <see cref="PageEncoding.Zero"/>, <see cref="PageEncoding.Raw"/> or <see cref="PageEncoding.Lz4"/> is chosen.
    /// </param>
    /// <param name="lz4">Also try the LZ4 forms, trading CPU for bytes on the wire.</param>
    /// <param name="destination">Receives the body; at least <see cref="MaxEncodedSize"/> bytes, overlapping neither input.</param>
    /// <param name="written">Length of the body written to <paramref name="destination"/> (0 for Zero and Unchanged).</param>
    /// <returns>The encoding of the body, to be passed to <see cref="Decode"/>.</returns>
    /// <exception cref="ArgumentException">A buffer has the wrong length, or <paramref name="destination"/> overlaps an input.</exception>
    public static PageEncoding Encode(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, bool lz4, Span<byte> destination, out int written)
    {
        CheckEncodeArguments(page, previous, destination);
        written = 0;
        if (!page.ContainsAnyExcept((byte)0))
        {
            return PageEncoding.Zero;
        }

        if (previous.IsEmpty)
        {
            return EncodeStandalone(page, lz4, destination, out written);
        }

        Span<ulong> changed = stackalloc ulong[MaskWords];
        if (!ComputeChangeMask(page, previous, changed))
        {
            return PageEncoding.Unchanged;
        }

        // Raw is the fallback, so every other form must come in strictly under a page.
        var encoding = PageEncoding.Raw;
        int best = PageSize;
        int zeroRunLength = EncodeZeroRuns(page, previous, changed, destination[..(PageSize - 1)]);
        if (zeroRunLength >= 0)
        {
            encoding = PageEncoding.XorZeroRun;
            best = zeroRunLength;
        }

        if (lz4)
        {
            Span<byte> scratch = Scratch;
            if (zeroRunLength >= Lz4MinZeroRunBody)
            {
                int compressed = LZ4Codec.Encode(destination[..zeroRunLength], scratch[..(best - 1)], LZ4Level.L00_FAST);
                if (compressed > 0)
                {
                    encoding = PageEncoding.XorZeroRunLz4;
                    best = compressed;
                }
            }

            if (best >= Lz4MinBestForRawAttempt)
            {
                int compressed = LZ4Codec.Encode(page, scratch.Slice(PageSize, best - 1), LZ4Level.L00_FAST);
                if (compressed > 0)
                {
                    encoding = PageEncoding.Lz4;
                    best = compressed;
                }
            }

            if (encoding is PageEncoding.XorZeroRunLz4 or PageEncoding.Lz4)
            {
                scratch.Slice(encoding == PageEncoding.Lz4 ? PageSize : 0, best).CopyTo(destination);
            }
        }

        if (encoding == PageEncoding.Raw)
        {
            page.CopyTo(destination);
        }

        written = best;
        return encoding;
    }

    /// <summary>Decodes a body written by <see cref="Encode"/> into the full page.</summary>
    /// <param name="encoding">The encoding <see cref="Encode"/> returned.</param>
    /// <param name="encoded">The body; must not overlap <paramref name="destination"/>.</param>
    /// <param name="previous">
    /// The copy the sender encoded against (exactly <see cref="PageSize"/> bytes), or empty when there is none.
    /// It may be the very same memory as <paramref name="destination"/> to decode in place.
    /// </param>
    /// <param name="destination">Receives the page: exactly <see cref="PageSize"/> bytes.</param>
    /// <exception cref="PageCodecException">
    /// The input is malformed: unknown encoding, a delta with no previous copy, a truncated or overlong varint,
    /// a token past the page end, trailing bytes, a bad LZ4 block or one of the wrong size. Nothing has been
    /// written to <paramref name="destination"/>.
    /// </exception>
    /// <exception cref="ArgumentException">A buffer has the wrong length or the buffers overlap in a way not allowed.</exception>
    public static void Decode(PageEncoding encoding, ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> previous, Span<byte> destination)
    {
        CheckDecodeArguments(encoded, previous, destination);
        if (encoded.Length > MaxEncodedSize)
        {
            throw new PageCodecException($"{encoding} body of {encoded.Length} bytes is longer than the {MaxEncodedSize}-byte maximum");
        }

        switch (encoding)
        {
            case PageEncoding.Zero:
                RequireEmptyBody(encoding, encoded);
                destination.Clear();
                break;
            case PageEncoding.Unchanged:
                RequireEmptyBody(encoding, encoded);
                RequirePrevious(encoding, previous);
                previous.CopyTo(destination);
                break;
            case PageEncoding.Raw:
                if (encoded.Length != PageSize)
                {
                    throw new PageCodecException($"Raw body is {encoded.Length} bytes, not {PageSize}");
                }

                encoded.CopyTo(destination);
                break;
            case PageEncoding.XorZeroRun:
                RequirePrevious(encoding, previous);
                ApplyZeroRuns(encoded, previous, destination);
                break;
            case PageEncoding.Lz4:
                {
                    // Decompressed aside so that a bad block leaves the destination untouched.
                    Span<byte> page = Scratch.AsSpan(0, PageSize);
                    int length = LZ4Codec.Decode(encoded, page);
                    if (length != PageSize)
                    {
                        throw new PageCodecException(length < 0
                            ? "Lz4 body is not a valid LZ4 block of at most one page"
                            : $"Lz4 body decompresses to {length} bytes, not {PageSize}");
                    }

                    page.CopyTo(destination);
                    break;
                }

            case PageEncoding.XorZeroRunLz4:
                {
                    RequirePrevious(encoding, previous);
                    Span<byte> body = Scratch.AsSpan(0, MaxEncodedSize);
                    int length = LZ4Codec.Decode(encoded, body);
                    if (length < 0)
                    {
                        throw new PageCodecException($"XorZeroRunLz4 body is not a valid LZ4 block of at most {MaxEncodedSize} bytes");
                    }

                    ApplyZeroRuns(body[..length], previous, destination);
                    break;
                }

            default:
                throw new PageCodecException($"unknown page encoding {(byte)encoding}");
        }
    }

    private static PageEncoding EncodeStandalone(ReadOnlySpan<byte> page, bool lz4, Span<byte> destination, out int written)
    {
        if (lz4)
        {
            written = LZ4Codec.Encode(page, destination[..(PageSize - 1)], LZ4Level.L00_FAST);
            if (written > 0)
            {
                return PageEncoding.Lz4;
            }
        }

        page.CopyTo(destination);
        written = PageSize;
        return PageEncoding.Raw;
    }
}
