using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

public sealed class PageCodecRoundTripTests
{
    [Theory]
    [MemberData(nameof(Pages.ScenarioNamesWithLz4), MemberType = typeof(Pages))]
    public void Every_scenario_decodes_to_the_page_it_encoded(string scenario, bool lz4)
    {
        var (page, previous) = Pages.Scenarios[scenario]();

        var (encoding, body) = Pages.RoundTrip(page, previous, lz4);

        Assert.InRange(body.Length, 0, PageCodec.MaxEncodedSize);
        if (previous.Length == 0)
        {
            Assert.Contains(encoding, new[] { PageEncoding.Zero, PageEncoding.Raw, PageEncoding.Lz4 });
        }

        if (!lz4)
        {
            Assert.DoesNotContain(encoding, new[] { PageEncoding.Lz4, PageEncoding.XorZeroRunLz4 });
        }
    }

    [Theory]
    [MemberData(nameof(Pages.ScenarioNames), MemberType = typeof(Pages))]
    public void Lz4_never_makes_a_page_larger(string scenario)
    {
        var (page, previous) = Pages.Scenarios[scenario]();

        var (_, without) = Pages.RoundTrip(page, previous, lz4: false);
        var (_, with) = Pages.RoundTrip(page, previous, lz4: true);

        Assert.True(with.Length <= without.Length, $"{with.Length} bytes with LZ4, {without.Length} without");
    }

    [Fact]
    public void A_receiver_that_decodes_every_epoch_in_place_tracks_the_sender()
    {
        var random = new Random(42);
        var sender = Pages.Text(1);
        var shipped = Array.Empty<byte>();
        var receiver = new byte[Pages.Size];
        var body = new byte[PageCodec.MaxEncodedSize];
        for (int epoch = 0; epoch < 500; epoch++)
        {
            int offset = random.Next(Pages.Size - 64);
            random.NextBytes(sender.AsSpan(offset, random.Next(1, 64)));
            if (epoch % 97 == 0)
            {
                sender.AsSpan(random.Next(Pages.Size / 2)).Clear();
            }

            var encoding = PageCodec.Encode(sender, shipped, lz4: epoch % 2 == 0, body, out int written);
            PageCodec.Decode(encoding, body.AsSpan(0, written), shipped.Length == 0 ? [] : receiver, receiver);
            shipped = (byte[])sender.Clone();

            Pages.AssertSamePage(sender, receiver, encoding);
        }
    }
}
