namespace FaultTolerant.Replica.Codec;

public static partial class PageCodec
{
    private static void CheckEncodeArguments(ReadOnlySpan<byte> page, ReadOnlySpan<byte> previous, Span<byte> destination)
    {
        if (page.Length != PageSize)
        {
            throw new ArgumentException($"a page is {PageSize} bytes, not {page.Length}", nameof(page));
        }

        if (previous.Length is not (0 or PageSize))
        {
            throw new ArgumentException($"the previous copy is {PageSize} bytes or empty, not {previous.Length}", nameof(previous));
        }

        if (destination.Length < MaxEncodedSize)
        {
            throw new ArgumentException($"the destination needs {MaxEncodedSize} bytes, not {destination.Length}", nameof(destination));
        }

        ReadOnlySpan<byte> output = destination;
        if (output.Overlaps(page) || output.Overlaps(previous))
        {
            throw new ArgumentException("the destination overlaps an input", nameof(destination));
        }
    }

    private static void CheckDecodeArguments(ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> previous, Span<byte> destination)
    {
        if (destination.Length != PageSize)
        {
            throw new ArgumentException($"the destination is a {PageSize}-byte page, not {destination.Length} bytes", nameof(destination));
        }

        if (previous.Length is not (0 or PageSize))
        {
            throw new ArgumentException($"the previous copy is {PageSize} bytes or empty, not {previous.Length}", nameof(previous));
        }

        ReadOnlySpan<byte> output = destination;
        if (output.Overlaps(encoded))
        {
            throw new ArgumentException("the destination overlaps the encoded body", nameof(destination));
        }

        // Decoding in place (previous is the destination) is supported; a partial overlap is not.
        if (output.Overlaps(previous, out int offset) && offset != 0)
        {
            throw new ArgumentException("the destination partly overlaps the previous copy", nameof(destination));
        }
    }

    private static void RequireEmptyBody(PageEncoding encoding, ReadOnlySpan<byte> encoded)
    {
        if (!encoded.IsEmpty)
        {
            throw new PageCodecException($"{encoding} has an empty body, but {encoded.Length} bytes follow");
        }
    }

    private static void RequirePrevious(PageEncoding encoding, ReadOnlySpan<byte> previous)
    {
        if (previous.IsEmpty)
        {
            throw new PageCodecException($"{encoding} needs the previous copy of the page, and the receiver has none");
        }
    }
}
