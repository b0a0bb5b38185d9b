using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

/// <summary>
/// Decode of corrupted input either throws <see cref="PageCodecException"/> with the destination untouched,
/// or (when the corruption still happens to be a valid encoding) writes some page. Nothing else.
/// </summary>
public sealed class PageCodecFuzzTests
{
    private const byte Sentinel = 0xA5;

    [Fact]
    public void Corrupted_valid_encodings_are_rejected_cleanly_or_decode()
    {
        var random = new Random(31337);
        var corpus = ValidCorpus(random);
        Assert.All(Enum.GetValues<PageEncoding>(), e => Assert.Contains(corpus, c => c.Encoding == e));

        for (int iteration = 0; iteration < 30_000; iteration++)
        {
            var (encoding, body, previous) = corpus[random.Next(corpus.Count)];
            var mutated = Mutate(random, body);
            if (random.Next(20) == 0)
            {
                encoding = (PageEncoding)random.Next(8);
            }

            if (random.Next(20) == 0)
            {
                previous = previous.Length == 0 ? Pages.Random(iteration) : [];
            }

            AssertCleanOutcome(encoding, mutated, previous, $"iteration {iteration}");
        }
    }

    [Fact]
    public void Random_garbage_is_rejected_cleanly_or_decodes()
    {
        var random = new Random(4242);
        var previous = Pages.Random(1);
        for (int iteration = 0; iteration < 20_000; iteration++)
        {
            var garbage = new byte[random.Next(4) == 0 ? random.Next(Pages.Size + 64) : random.Next(24)];
            random.NextBytes(garbage);
            var encoding = (PageEncoding)random.Next(7);

            AssertCleanOutcome(encoding, garbage, random.Next(4) == 0 ? [] : previous, $"iteration {iteration}");
        }
    }

    private static void AssertCleanOutcome(PageEncoding encoding, byte[] body, byte[] previous, string where)
    {
        var destination = Pages.Filled(Sentinel);
        try
        {
            PageCodec.Decode(encoding, body, previous, destination);
        }
        catch (PageCodecException)
        {
            Assert.True(!destination.AsSpan().ContainsAnyExcept(Sentinel), $"{where}: {encoding} threw after writing the destination");
        }
        catch (Exception e)
        {
            Assert.Fail($"{where}: {encoding} body of {body.Length} bytes threw {e.GetType().Name}: {e.Message}");
        }
    }

    private static List<(PageEncoding Encoding, byte[] Body, byte[] Previous)> ValidCorpus(Random random)
    {
        var corpus = new List<(PageEncoding, byte[], byte[])>();
        var destination = new byte[PageCodec.MaxEncodedSize];
        foreach (var scenario in Pages.Scenarios.Values)
        {
            var (page, previous) = scenario();
            foreach (bool lz4 in new[] { false, true })
            {
                var encoding = PageCodec.Encode(page, previous, lz4, destination, out int written);
                corpus.Add((encoding, destination.AsSpan(0, written).ToArray(), previous));
            }
        }

        for (int i = 0; i < 200; i++)
        {
            var (page, previous) = PageCodecPropertyTests.RandomCase(random);
            var encoding = PageCodec.Encode(page, previous, lz4: true, destination, out int written);
            corpus.Add((encoding, destination.AsSpan(0, written).ToArray(), previous));
        }

        return corpus;
    }

    private static byte[] Mutate(Random random, byte[] body)
    {
        var bytes = new List<byte>(body);
        int edits = random.Next(1, 4);
        for (int edit = 0; edit < edits; edit++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    int keep = random.Next(bytes.Count);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                case 1 when bytes.Count > 0:
                    int at = random.Next(bytes.Count);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2 when bytes.Count > 0:
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    break;
                case 3:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
            }
        }

        return [.. bytes];
    }
}
