using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FaultTolerant.Replica.Codec;

/// <summary>The XorZeroRun body: tokens of (varint run, varint length, literal XOR bytes).</summary>
public static partial class PageCodec
{
    // Lengths are at most PageSize (13 bits), so a varint is one or two bytes.
    private const int OneByteVarintLimit = 0x80;

    /// <summary>
    /// Writes the body into <paramref name="output"/>; returns its length, or -1 if it does not fit.
    /// Bytes of <paramref name="output"/> past the body may be overwritten.
    /// </summary>
    /// <param name="masks">The per-thread mask buffer, holding the change mask.</param>
    /// <param name="changedBytes">How many bytes the change mask marks.</param>
    private static int EncodeXorZeroRun(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, ulong[] masks, int changedBytes, Span<byte> output)
    {
        Span<ulong> literals = masks.AsSpan(LiteralsAt, MaskWords);
        CloseShortGaps(masks.AsSpan(0, MaskWords + 2), literals);

        // Only a page with many changes can overflow; counting its tokens first spares writing most of a doomed body.
        if (changedBytes >= PageSize / 4 && MinimumBodySize(literals) > output.Length)
        {
            return -1;
        }

        return WriteTokens(page, previous, literals, output);
    }

    /// <summary>Writes one token per run of set bits in the literal mask; returns the body length, or -1 if it does not fit.</summary>
    private static int WriteTokens(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, ReadOnlySpan<ulong> literals, Span<byte> output)
    {
        ref byte current = ref MemoryMarshal.GetReference(page);
        ref byte old = ref MemoryMarshal.GetReference(previous);
        ref byte body = ref MemoryMarshal.GetReference(output);
        int position = 0;
        int written = 0;
        while (true)
        {
            int start = NextSet(literals, position);
            if (start == PageSize)
            {
                return written;
            }

            int end = NextClear(literals, start);
            int run = start - position;
            int length = end - start;
            if (VarintSize(run) + VarintSize(length) + length > output.Length - written)
            {
                return -1;
            }

            // Room is checked above, so the writes below go unchecked.
            written = WriteVarint(ref body, written, run);
            written = WriteVarint(ref body, written, length);
            if (length <= ShortLiteral && start <= PageSize - ShortLiteral && written <= output.Length - ShortLiteral)
            {
                // Most literals are a few bytes: one fixed-width XOR, whose spill past the literal is
                // overwritten by the next token or lies past the body.
                XorShort(ref Unsafe.Add(ref current, start), ref Unsafe.Add(ref old, start), ref Unsafe.Add(ref body, written));
            }
            else
            {
                Xor(page.Slice(start, length), previous.Slice(start, length), output.Slice(written, length));
            }

            written += length;
            position = end;
        }
    }

    /// <summary>Writes previous XOR the body into <paramref name="destination"/>, having first checked the whole body.</summary>
    private static void ApplyZeroRuns(ReadOnlySpan<byte> body, ReadOnlySpan<byte> previous, Span<byte> destination)
    {
        ValidateZeroRuns(body);
        previous.CopyTo(destination);
        ref byte page = ref MemoryMarshal.GetReference(destination);
        ref byte literals = ref MemoryMarshal.GetReference(body);
        int position = 0;
        int index = 0;
        while (index < body.Length)
        {
            position += ReadVarint(body, ref index);
            int length = ReadVarint(body, ref index);
            if (length <= ShortLiteral && position <= PageSize - ShortLiteral && index <= body.Length - ShortLiteral)
            {
                XorShortInPlace(ref Unsafe.Add(ref page, position), ref Unsafe.Add(ref literals, index), length);
            }
            else
            {
                Span<byte> target = destination.Slice(position, length);
                Xor(target, body.Slice(index, length), target);
            }

            index += length;
            position += length;
        }
    }

    private static void ValidateZeroRuns(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new PageCodecException("XorZeroRun body is empty (an unchanged page is encoded as Unchanged)");
        }

        int position = 0;
        int index = 0;
        while (index < body.Length)
        {
            if (position == PageSize)
            {
                throw new PageCodecException($"XorZeroRun body has {body.Length - index} trailing bytes after the page end");
            }

            int run = ReadVarint(body, ref index);
            int length = ReadVarint(body, ref index);
            if (length == 0)
            {
                throw new PageCodecException($"XorZeroRun token at body offset {index} has an empty literal");
            }

            if (run > PageSize - position || length > PageSize - position - run)
            {
                throw new PageCodecException($"XorZeroRun token at page offset {position} (run {run}, literal {length}) runs past the page end");
            }

            if (length > body.Length - index)
            {
                throw new PageCodecException($"XorZeroRun literal of {length} bytes is truncated to {body.Length - index}");
            }

            index += length;
            position += run + length;
        }
    }

    private static int VarintSize(int value) => value < OneByteVarintLimit ? 1 : 2;

    /// <summary>Writes a varint at <paramref name="at"/>, which the caller has checked has room; returns the offset after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteVarint(ref byte output, int at, int value)
    {
        if (value < OneByteVarintLimit)
        {
            Unsafe.Add(ref output, at) = (byte)value;
            return at + 1;
        }

        Unsafe.Add(ref output, at) = (byte)(value | 0x80);
        Unsafe.Add(ref output, at + 1) = (byte)(value >> 7);
        return at + 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadVarint(ReadOnlySpan<byte> body, ref int index)
    {
        if ((uint)index >= (uint)body.Length)
        {
            throw Truncated("a token");
        }

        int low = body[index++];
        return low < OneByteVarintLimit ? low : ReadSecondVarintByte(body, ref index, low);
    }

    private static int ReadSecondVarintByte(ReadOnlySpan<byte> body, ref int index, int low)
    {
        if ((uint)index >= (uint)body.Length)
        {
            throw Truncated("a varint");
        }

        int high = body[index++];
        if (high >= OneByteVarintLimit)
        {
            throw new PageCodecException("XorZeroRun varint is longer than two bytes (larger than a page)");
        }

        if (high == 0)
        {
            throw new PageCodecException("XorZeroRun varint is not minimal");
        }

        return (low & 0x7F) | (high << 7);
    }

    private static PageCodecException Truncated(string what) => new($"XorZeroRun body ends inside {what}");
}
