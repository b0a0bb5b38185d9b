using FaultTolerant.Replica.Codec;
using K4os.Compression.LZ4;

namespace FaultTolerant.Replica.Tests.Codec;

public sealed class PageCodecMalformedInputTests
{
    private const byte Sentinel = 0x5A;

    public static IEnumerable<object[]> MalformedXorZeroRunBodies => new[]
    {
        new object[] { "empty body", Array.Empty<byte>() },
        ["truncated run varint", new byte[] { 0x80 }],
        ["missing length", new byte[] { 0x00 }],
        ["truncated length varint", new byte[] { 0x00, 0x81 }],
        ["missing literal", new byte[] { 0x00, 0x01 }],
        ["truncated literal", new byte[] { 0x00, 0x03, 0xAA, 0xBB }],
        ["empty literal", new byte[] { 0x05, 0x00 }],
        ["empty literal after a token", new byte[] { 0x00, 0x01, 0xAA, 0x05, 0x00 }],
        ["run past the page end", new byte[] { 0x80, 0x20, 0x01, 0xAA }],
        ["literal past the page end", new byte[] { 0xFF, 0x1F, 0x02, 0xAA, 0xBB }],
        ["second token past the page end", new byte[] { 0xF0, 0x1F, 0x01, 0xAA, 0x10, 0x01, 0xBB }],
        ["three-byte varint", new byte[] { 0x80, 0x80, 0x01, 0x01, 0xAA }],
        ["overlong varint", new byte[] { 0x81, 0x00, 0x01, 0xAA }],
        ["trailing byte after the page end", new byte[] { 0xFF, 0x1F, 0x01, 0xAA, 0x00 }],
        ["longer than a page", new byte[PageCodec.MaxEncodedSize + 1]],
    };

    [Theory]
    [MemberData(nameof(MalformedXorZeroRunBodies))]
    public void A_malformed_XorZeroRun_body_is_rejected_and_nothing_is_written(string why, byte[] body)
    {
        AssertRejected(PageEncoding.XorZeroRun, body, Pages.Random(1), why);
        AssertRejected(PageEncoding.XorZeroRunLz4, Lz4(body), Pages.Random(1), why);
    }

    [Fact]
    public void An_unknown_encoding_is_rejected()
    {
        AssertRejected((PageEncoding)6, [], Pages.Random(1), "6");
        AssertRejected((PageEncoding)255, new byte[Pages.Size], [], "255");
    }

    [Theory]
    [InlineData(PageEncoding.Unchanged)]
    [InlineData(PageEncoding.XorZeroRun)]
    [InlineData(PageEncoding.XorZeroRunLz4)]
    public void A_delta_without_a_previous_copy_is_rejected(PageEncoding encoding)
    {
        var (page, previous) = Pages.Changed(Pages.Random(2), 100);
        var body = new byte[PageCodec.MaxEncodedSize];
        int written = encoding switch
        {
            PageEncoding.Unchanged => 0,
            PageEncoding.XorZeroRun => Written(PageCodec.Encode(page, previous, false, body, out int n), n),
            _ => CopyLz4(body, [0x64, 0x01, 0xFF]),
        };

        AssertRejected(encoding, body.AsSpan(0, written).ToArray(), [], encoding.ToString());
    }

    [Theory]
    [InlineData(PageEncoding.Zero)]
    [InlineData(PageEncoding.Unchanged)]
    public void An_empty_form_with_a_body_is_rejected(PageEncoding encoding) =>
        AssertRejected(encoding, [0x00], Pages.Random(3), encoding.ToString());

    [Theory]
    [InlineData(0)]
    [InlineData(Pages.Size - 1)]
    [InlineData(Pages.Size + 1)]
    public void A_raw_body_of_the_wrong_size_is_rejected(int length) =>
        AssertRejected(PageEncoding.Raw, new byte[length], [], length.ToString());

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Pages.Size - 1)]
    [InlineData(Pages.Size + 1)]
    [InlineData(3 * Pages.Size)]
    public void An_lz4_block_of_the_wrong_size_is_rejected(int decompressedLength) =>
        AssertRejected(PageEncoding.Lz4, Lz4(new byte[decompressedLength]), [], $"{decompressedLength} bytes");

    [Fact]
    public void A_zero_run_body_that_decompresses_to_more_than_a_page_is_rejected() =>
        AssertRejected(PageEncoding.XorZeroRunLz4, Lz4(new byte[Pages.Size + 1]), Pages.Random(4), "too long");

    [Fact]
    public void Garbage_that_is_not_lz4_is_rejected()
    {
        AssertRejected(PageEncoding.Lz4, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [], "bad lengths");
        AssertRejected(PageEncoding.XorZeroRunLz4, [0x1F, 0x01, 0x00, 0x00, 0x00], Pages.Random(5), "bad offset");
        AssertRejected(PageEncoding.Lz4, [], [], "empty");
    }

    [Fact]
    public void A_failed_in_place_decode_leaves_the_previous_copy_intact()
    {
        var previous = Pages.Random(6);
        var receiver = (byte[])previous.Clone();
        byte[] body = [0x00, 0x02, 0xAA, 0xBB, 0x80, 0x20, 0x01, 0xCC];

        Assert.Throws<PageCodecException>(() => PageCodec.Decode(PageEncoding.XorZeroRun, body, receiver, receiver));

        Pages.AssertSamePage(previous, receiver, PageEncoding.XorZeroRun);
    }

    internal static void AssertRejected(PageEncoding encoding, byte[] body, byte[] previous, string why)
    {
        var destination = Pages.Filled(Sentinel);
        var exception = Record.Exception(() => PageCodec.Decode(encoding, body, previous, destination));
        Assert.True(exception is PageCodecException, $"{encoding} ({why}): expected PageCodecException, got {exception?.GetType().Name ?? "success"}");
        Assert.True(!destination.AsSpan().ContainsAnyExcept(Sentinel), $"{encoding} ({why}): the destination was written before the error");
    }

    private static byte[] Lz4(byte[] data)
    {
        var target = new byte[LZ4Codec.MaximumOutputSize(data.Length)];
        return target.AsSpan(0, LZ4Codec.Encode(data, target, LZ4Level.L00_FAST)).ToArray();
    }

    private static int CopyLz4(byte[] destination, byte[] data)
    {
        var compressed = Lz4(data);
        compressed.CopyTo(destination, 0);
        return compressed.Length;
    }

    private static int Written(PageEncoding encoding, int written)
    {
        Assert.Equal(PageEncoding.XorZeroRun, encoding);
        return written;
    }
}
