using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

public sealed class PageCodecChoiceTests
{
    [Theory]
    [InlineData("zeros vs empty", false, PageEncoding.Zero)]
    [InlineData("zeros vs random", true, PageEncoding.Zero)]
    [InlineData("equal to previous", false, PageEncoding.Unchanged)]
    [InlineData("equal to previous", true, PageEncoding.Unchanged)]
    [InlineData("random vs empty", false, PageEncoding.Raw)]
    [InlineData("random vs empty", true, PageEncoding.Raw)]
    [InlineData("random vs other random", true, PageEncoding.Raw)]
    [InlineData("text vs empty", false, PageEncoding.Raw)]
    [InlineData("text vs empty", true, PageEncoding.Lz4)]
    [InlineData("all 0xFF vs empty", true, PageEncoding.Lz4)]
    [InlineData("every other byte changed", false, PageEncoding.Raw)]
    [InlineData("first byte changed", false, PageEncoding.XorZeroRun)]
    [InlineData("last byte changed", true, PageEncoding.XorZeroRun)]
    [InlineData("sparse changes", true, PageEncoding.XorZeroRun)]
    [InlineData("all 0xFF vs zeros", true, PageEncoding.Lz4)]
    public void The_smallest_form_is_chosen(string scenario, bool lz4, PageEncoding expected)
    {
        var (page, previous) = Pages.Scenarios[scenario]();

        var (encoding, _) = Pages.RoundTrip(page, previous, lz4);

        Assert.Equal(expected, encoding);
    }

    [Fact]
    public void Zero_and_unchanged_pages_have_an_empty_body()
    {
        Assert.Empty(Pages.RoundTrip(new byte[Pages.Size], [], lz4: true).Body);
        Assert.Empty(Pages.RoundTrip(Pages.Random(1), Pages.Random(1), lz4: true).Body);
    }

    [Fact]
    public void Eight_changed_bytes_in_one_word_cost_eleven_bytes()
    {
        var (page, previous) = Pages.Scenarios["one 8-byte word changed"]();

        var (encoding, body) = Pages.RoundTrip(page, previous, lz4: true);

        Assert.Equal(PageEncoding.XorZeroRun, encoding);
        Assert.Equal(2 + 1 + 8, body.Length);
    }

    [Fact]
    public void Eight_scattered_changed_bytes_cost_under_64_bytes()
    {
        var (page, previous) = Pages.Changed(Pages.Random(3), 0, 500, 1000, 1500, 2000, 2500, 3000, 4095);

        var (encoding, body) = Pages.RoundTrip(page, previous, lz4: false);

        Assert.Equal(PageEncoding.XorZeroRun, encoding);
        Assert.True(body.Length < 64, $"{body.Length} bytes");
    }

    [Fact]
    public void A_repetitive_delta_over_a_random_page_is_compressed_after_the_zero_runs()
    {
        var previous = Pages.Random(4);
        var page = (byte[])previous.Clone();
        for (int i = 100; i < 3000; i++)
        {
            page[i] ^= 0x01;
        }

        var (encoding, body) = Pages.RoundTrip(page, previous, lz4: true);

        Assert.Equal(PageEncoding.XorZeroRunLz4, encoding);
        Assert.True(body.Length < 100, $"{body.Length} bytes");
    }

    [Fact]
    public void A_rewritten_compressible_page_is_compressed_whole_rather_than_as_a_delta()
    {
        var page = Pages.Text(5);
        var previous = Pages.Random(6);

        var (encoding, body) = Pages.RoundTrip(page, previous, lz4: true);

        Assert.Equal(PageEncoding.Lz4, encoding);
        Assert.True(body.Length < Pages.Size * 3 / 4, $"{body.Length} bytes");
    }

    [Fact]
    public void An_unchanged_stretch_shorter_than_three_bytes_stays_inside_the_literal()
    {
        var (page, previous) = Pages.Scenarios["changes 2 apart (below the split threshold)"]();

        var (_, body) = Pages.RoundTrip(page, previous, lz4: false);

        // One token: run 10, literal 13 (bytes 10..22).
        Assert.Equal(1 + 1 + 13, body.Length);
        Assert.Equal(10, body[0]);
        Assert.Equal(13, body[1]);
    }
}
