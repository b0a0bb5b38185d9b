using K4os.Compression.LZ4;

namespace FaultTolerant.Replica.Codec;

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
/// <para>Thread-safe: it keeps its scratch buffers per thread (12 KiB) and allocates nothing per page.</para>
/// </remarks>
public static partial class PageCodec
{
    /// <summary>Size of a guest page, the unit of encoding.</summary>
    public const int PageSize = 4096;

    /// <summary>The longest body <see cref="Encode"/> writes (a raw page): size encode buffers to this.</summary>
    public const int MaxEncodedSize = PageSize;

    // An LZ4 attempt costs about a microsecond even on a hundred bytes, so it is made only where it paid off
    // on the pages of real guests (miniredis under SETs, compute): on zero-run bodies from 64 bytes (shorter
    // ones almost never shrank), and on the whole page only while the best form so far is 512 bytes or more
    // (below that, compressing the whole page never won).
    private const int Lz4MinZeroRunBody = 64;
    private const int Lz4MinBestForWholePage = PageSize / 8;

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

        ulong[] masks = Masks;
        int changedBytes = ComputeChangeMask(page, previous, masks.AsSpan(ChangesAt, MaskWords));
        if (changedBytes == 0)
        {
            return PageEncoding.Unchanged;
        }

        // Raw is the fallback, so every other form must come in strictly under a page.
        int zeroRunLength = EncodeXorZeroRun(page, previous, masks, changedBytes, destination[..(PageSize - 1)]);
        var (encoding, length) = zeroRunLength >= 0 ? (PageEncoding.XorZeroRun, zeroRunLength) : (PageEncoding.Raw, PageSize);
        if (lz4)
        {
            (encoding, length) = TryLz4(page, destination, encoding, length);
        }

        if (encoding == PageEncoding.Raw)
        {
            page.CopyTo(destination);
        }

        written = length;
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

    /// <summary>
    /// Tries LZ4 on the zero-run body in <paramref name="destination"/> and on the whole page, where that can
    /// pay; leaves the smaller winner in <paramref name="destination"/> and returns it, or the form it was given.
    /// </summary>
    private static (PageEncoding Encoding, int Length) TryLz4(ReadOnlySpan<byte> page, Span<byte> destination, PageEncoding encoding, int length)
    {
        // Each candidate is compressed into the scratch buffer with room for one byte less than the best so
        // far, so LZ4 gives up as soon as it cannot win.
        Span<byte> scratch = Scratch;
        const int FromZeroRuns = 0;
        const int FromPage = PageSize;
        int winner = -1;
        if (encoding == PageEncoding.XorZeroRun && length >= Lz4MinZeroRunBody)
        {
            int compressed = LZ4Codec.Encode(destination[..length], scratch.Slice(FromZeroRuns, length - 1), LZ4Level.L00_FAST);
            if (compressed > 0)
            {
                (encoding, length, winner) = (PageEncoding.XorZeroRunLz4, compressed, FromZeroRuns);
            }
        }

        if (length >= Lz4MinBestForWholePage)
        {
            int compressed = LZ4Codec.Encode(page, scratch.Slice(FromPage, length - 1), LZ4Level.L00_FAST);
            if (compressed > 0)
            {
                (encoding, length, winner) = (PageEncoding.Lz4, compressed, FromPage);
            }
        }

        if (winner >= 0)
        {
            scratch.Slice(winner, length).CopyTo(destination);
        }

        return (encoding, length);
    }
}
