using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

/// <summary>Caller mistakes are argument errors, not codec errors; and the hot path allocates nothing.</summary>
public sealed class PageCodecContractTests
{
    [Fact]
    public void Encode_rejects_buffers_of_the_wrong_size_or_overlapping()
    {
        var page = Pages.Random(1);
        var buffer = new byte[3 * Pages.Size];

        Assert.Throws<ArgumentException>("page", () => PageCodec.Encode(new byte[Pages.Size - 1], [], false, new byte[Pages.Size], out _));
        Assert.Throws<ArgumentException>("previous", () => PageCodec.Encode(page, new byte[10], false, new byte[Pages.Size], out _));
        Assert.Throws<ArgumentException>("destination", () => PageCodec.Encode(page, [], false, new byte[PageCodec.MaxEncodedSize - 1], out _));
        Assert.Throws<ArgumentException>("destination", () =>
            PageCodec.Encode(buffer.AsSpan(0, Pages.Size), [], false, buffer.AsSpan(Pages.Size / 2, Pages.Size), out _));
        Assert.Throws<ArgumentException>("destination", () =>
            PageCodec.Encode(page, buffer.AsSpan(0, Pages.Size), false, buffer.AsSpan(Pages.Size - 1, Pages.Size), out _));
    }

    [Fact]
    public void Decode_rejects_buffers_of_the_wrong_size_or_overlapping()
    {
        var buffer = new byte[3 * Pages.Size];

        Assert.Throws<ArgumentException>("destination", () => PageCodec.Decode(PageEncoding.Zero, [], [], new byte[Pages.Size + 1]));
        Assert.Throws<ArgumentException>("previous", () => PageCodec.Decode(PageEncoding.Zero, [], new byte[1], new byte[Pages.Size]));
        Assert.Throws<ArgumentException>("destination", () =>
            PageCodec.Decode(PageEncoding.Raw, buffer.AsSpan(0, Pages.Size), [], buffer.AsSpan(1, Pages.Size)));
        Assert.Throws<ArgumentException>("destination", () =>
            PageCodec.Decode(PageEncoding.Unchanged, [], buffer.AsSpan(0, Pages.Size), buffer.AsSpan(8, Pages.Size)));
    }

    [Fact]
    public void Encoding_and_decoding_allocate_nothing_per_page()
    {
        var cases = new[]
        {
            Pages.Scenarios["sparse changes"](),
            Pages.Scenarios["random vs empty"](),
            Pages.Scenarios["text vs empty"](),
            Pages.Scenarios["half the page rewritten"](),
            Pages.Scenarios["equal to previous"](),
            (Pages.Filled(1), Pages.Random(9)),
        };
        var body = new byte[PageCodec.MaxEncodedSize];
        var decoded = new byte[Pages.Size];
        void RunAll()
        {
            foreach (var (page, previous) in cases)
            {
                for (int pass = 0; pass < 2; pass++)
                {
                    bool lz4 = pass == 1;
                    var encoding = PageCodec.Encode(page, previous, lz4, body, out int written);
                    PageCodec.Decode(encoding, body.AsSpan(0, written), previous, decoded);
                }
            }
        }

        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RunAll();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
