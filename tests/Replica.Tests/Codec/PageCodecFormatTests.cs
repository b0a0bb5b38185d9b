using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

/// <summary>Pins the XorZeroRun wire format: these bytes are what other versions will read.</summary>
public sealed class PageCodecFormatTests
{
    [Fact]
    public void XorZeroRun_writes_run_length_literal_tokens_with_leb128_varints()
    {
        var previous = Pages.Random(1);
        var page = (byte[])previous.Clone();
        page[0] ^= 0xFF;
        page[4095] ^= 0x0F;
        var body = new byte[PageCodec.MaxEncodedSize];

        var encoding = PageCodec.Encode(page, previous, lz4: false, body, out int written);

        Assert.Equal(PageEncoding.XorZeroRun, encoding);
        // run 0, length 1, 0xFF; run 4094 = 0x7E | 0x80, 4094 >> 7 = 0x1F; length 1, 0x0F.
        Assert.Equal(new byte[] { 0x00, 0x01, 0xFF, 0xFE, 0x1F, 0x01, 0x0F }, body.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void XorZeroRun_literals_are_xored_into_the_previous_copy()
    {
        var previous = Pages.Filled(0x0F);
        var page = new byte[Pages.Size];

        PageCodec.Decode(PageEncoding.XorZeroRun, [0x05, 0x02, 0xF0, 0x0F, 0x80, 0x01, 0x01, 0xFF], previous, page);

        var expected = Pages.Filled(0x0F);
        expected[5] = 0xFF;
        expected[6] = 0x00;
        expected[7 + 128] = 0xF0;
        Pages.AssertSamePage(expected, page, PageEncoding.XorZeroRun);
    }

    [Fact]
    public void A_token_may_end_exactly_at_the_page_end()
    {
        var page = new byte[Pages.Size];

        PageCodec.Decode(PageEncoding.XorZeroRun, [0xFF, 0x1F, 0x01, 0x2A], new byte[Pages.Size], page);

        Assert.Equal(0x2A, page[4095]);
    }

    [Fact]
    public void Raw_is_the_page_itself()
    {
        var page = Pages.Random(2);
        var body = new byte[PageCodec.MaxEncodedSize];

        var encoding = PageCodec.Encode(page, [], lz4: false, body, out int written);

        Assert.Equal(PageEncoding.Raw, encoding);
        Assert.Equal(page, body.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Lz4_is_a_plain_lz4_block()
    {
        var page = Pages.Text(3);
        var body = new byte[PageCodec.MaxEncodedSize];
        var encoding = PageCodec.Encode(page, [], lz4: true, body, out int written);
        var decompressed = new byte[Pages.Size];

        int length = K4os.Compression.LZ4.LZ4Codec.Decode(body.AsSpan(0, written), decompressed);

        Assert.Equal(PageEncoding.Lz4, encoding);
        Assert.Equal(Pages.Size, length);
        Assert.Equal(page, decompressed);
    }

    [Fact]
    public void The_encoding_values_are_stable()
    {
        Assert.Equal(
            new byte[] { 0, 1, 2, 3, 4, 5 },
            new[] { PageEncoding.Zero, PageEncoding.Unchanged, PageEncoding.Raw, PageEncoding.XorZeroRun, PageEncoding.Lz4, PageEncoding.XorZeroRunLz4 }
                .Select(e => (byte)e).ToArray());
    }
}
