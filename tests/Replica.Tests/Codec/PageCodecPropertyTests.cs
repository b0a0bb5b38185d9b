using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

/// <summary>Randomized, with fixed seeds: a failure names the seed and iteration that reproduce it.</summary>
public sealed class PageCodecPropertyTests
{
    private const int Iterations = 4000;

    [Fact]
    public void Random_sparse_mutations_round_trip_with_and_without_lz4()
    {
        var random = new Random(20240601);
        var seen = new Dictionary<PageEncoding, int>();
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            var (page, previous) = RandomCase(random);
            bool lz4 = random.Next(2) == 0;

            PageEncoding encoding;
            try
            {
                encoding = Pages.RoundTrip(page, previous, lz4).Encoding;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException($"iteration {iteration} (lz4 {lz4}) threw", e);
            }

            seen[encoding] = seen.GetValueOrDefault(encoding) + 1;
        }

        // The generator must reach every form, or this test proves less than it claims.
        Assert.All(Enum.GetValues<PageEncoding>(), encoding => Assert.True(seen.ContainsKey(encoding), $"{encoding} never chosen"));
    }

    [Fact]
    public void No_body_is_longer_than_MaxEncodedSize_even_for_the_worst_patterns()
    {
        var random = new Random(7);
        var destination = new byte[PageCodec.MaxEncodedSize];
        for (int iteration = 0; iteration < 500; iteration++)
        {
            var previous = Pages.Random(iteration);
            var page = (byte[])previous.Clone();
            int stride = 2 + random.Next(4);
            for (int i = random.Next(stride); i < Pages.Size; i += stride)
            {
                page[i] ^= (byte)random.Next(1, 256);
            }

            PageCodec.Encode(page, previous, lz4: iteration % 2 == 0, destination, out int written);

            Assert.InRange(written, 0, PageCodec.MaxEncodedSize);
        }
    }

    /// <summary>A previous copy of some kind, and a page derived from it by a few kinds of mutation.</summary>
    internal static (byte[] Page, byte[] Previous) RandomCase(Random random)
    {
        var previous = random.Next(5) switch
        {
            0 => new byte[Pages.Size],
            1 => Pages.Text(random.Next()),
            2 => Pages.Counters(random.Next()).Page,
            _ => Pages.Random(random.Next()),
        };
        var page = (byte[])previous.Clone();
        int mutations = random.Next(6) switch
        {
            0 => 0,
            1 => random.Next(1, 4),
            2 => random.Next(1, 20),
            3 => random.Next(20, 200),
            _ => random.Next(1, 50),
        };
        for (int i = 0; i < mutations; i++)
        {
            int length = random.Next(4) == 0 ? random.Next(1, 512) : random.Next(1, 9);
            int offset = random.Next(Pages.Size - length + 1);
            var stretch = page.AsSpan(offset, length);
            switch (random.Next(4))
            {
                case 0: stretch.Clear(); break;
                case 1: stretch.Fill((byte)random.Next(256)); break;
                default: random.NextBytes(stretch); break;
            }
        }

        switch (random.Next(20))
        {
            case 0: page.AsSpan().Clear(); break;
            case 1: page = Pages.Text(random.Next()); break;
            case 2: random.NextBytes(page); break;
        }

        return (page, random.Next(10) == 0 ? [] : previous);
    }
}
