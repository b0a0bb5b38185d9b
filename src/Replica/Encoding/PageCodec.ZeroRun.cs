namespace FaultTolerant.Replica.Encoding;

/// <summary>The XorZeroRun body: tokens of (varint run, varint length, literal XOR bytes).</summary>
public static partial class PageCodec
{
    // An unchanged stretch shorter than this stays inside the literal: a new token costs two varint
    // bytes, so splitting only saves bytes from three on.
    private const int MinZeroRun = 3;

    // Lengths are at most PageSize (13 bits), so a varint is one or two bytes.
    private const int OneByteVarintLimit = 0x80;

    /// <summary>Writes the body into <paramref name="output"/>; returns its length, or -1 if it does not fit.</summary>
    private static int EncodeZeroRuns(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, ReadOnlySpan<ulong> changed, Span<byte> output)
    {
        int position = 0;
        int written = 0;
        while (true)
        {
            int start = NextChanged(changed, position);
            if (start == PageSize)
            {
                return written;
            }

            int end = LiteralEnd(changed, start);
            int run = start - position;
            int length = end - start;
            if (VarintSize(run) + VarintSize(length) + length > output.Length - written)
            {
                return -1;
            }

            written += WriteVarint(output[written..], run);
            written += WriteVarint(output[written..], length);
            Xor(page.Slice(start, length), previous.Slice(start, length), output.Slice(written, length));
            written += length;
            position = end;
        }
    }

    /// <summary>The end of the literal starting at the changed byte <paramref name="start"/>: the next unchanged stretch worth a token.</summary>
    private static int LiteralEnd(ReadOnlySpan<ulong> changed, int start)
    {
        int position = start;
        while (true)
        {
            int gap = NextUnchanged(changed, position);
            if (gap == PageSize)
            {
                return PageSize;
            }

            int next = NextChanged(changed, gap);
            if (next == PageSize || next - gap >= MinZeroRun)
            {
                return gap;
            }

            position = next;
        }
    }

    /// <summary>Writes previous XOR the body into <paramref name="destination"/>, having first checked the whole body.</summary>
    private static void ApplyZeroRuns(ReadOnlySpan<byte> body, ReadOnlySpan<byte> previous, Span<byte> destination)
    {
        ValidateZeroRuns(body);
        previous.CopyTo(destination);
        int position = 0;
        int index = 0;
        while (index < body.Length)
        {
            position += ReadVarint(body, ref index);
            int length = ReadVarint(body, ref index);
            Span<byte> target = destination.Slice(position, length);
            Xor(target, body.Slice(index, length), target);
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

    private static int WriteVarint(Span<byte> output, int value)
    {
        if (value < OneByteVarintLimit)
        {
            output[0] = (byte)value;
            return 1;
        }

        output[0] = (byte)(value | 0x80);
        output[1] = (byte)(value >> 7);
        return 2;
    }

    private static int ReadVarint(ReadOnlySpan<byte> body, ref int index)
    {
        if (index >= body.Length)
        {
            throw new PageCodecException("XorZeroRun body ends inside a token");
        }

        int low = body[index++];
        if (low < OneByteVarintLimit)
        {
            return low;
        }

        if (index >= body.Length)
        {
            throw new PageCodecException("XorZeroRun body ends inside a varint");
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
}
