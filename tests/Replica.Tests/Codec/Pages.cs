using FaultTolerant.Replica.Codec;

namespace FaultTolerant.Replica.Tests.Codec;

/// <summary>Page scenarios (a page and the receiver's previous copy) and the round-trip check they share.</summary>
internal static class Pages
{
    public const int Size = PageCodec.PageSize;

    /// <summary>Scenario name → (page, previous); previous may be empty.</summary>
    public static readonly IReadOnlyDictionary<string, Func<(byte[] Page, byte[] Previous)>> Scenarios =
        new Dictionary<string, Func<(byte[], byte[])>>
        {
            ["zeros vs empty"] = () => (new byte[Size], []),
            ["zeros vs random"] = () => (new byte[Size], Random(1)),
            ["random vs empty"] = () => (Random(2), []),
            ["random vs other random"] = () => (Random(3), Random(4)),
            ["random vs zeros"] = () => (Random(5), new byte[Size]),
            ["all 0xFF vs empty"] = () => (Filled(0xFF), []),
            ["all 0xFF vs zeros"] = () => (Filled(0xFF), new byte[Size]),
            ["equal to previous"] = () => (Random(6), Random(6)),
            ["text vs empty"] = () => (Text(7), []),
            ["text vs older text"] = () => Mutate(Text(8), 9, changes: 40, maxLength: 12),
            ["first byte changed"] = () => Changed(Random(10), 0),
            ["last byte changed"] = () => Changed(Random(11), Size - 1),
            ["first and last byte changed"] = () => Changed(Random(12), 0, Size - 1),
            ["bytes at 63, 64, 127, 128 changed"] = () => Changed(Random(13), 63, 64, 127, 128),
            ["every other byte changed"] = () => Changed(Random(14), Enumerable.Range(0, Size / 2).Select(i => 2 * i).ToArray()),
            ["every third byte changed"] = () => Changed(Random(15), Enumerable.Range(0, Size / 3).Select(i => 3 * i).ToArray()),
            ["every 8th byte changed"] = () => Changed(Random(16), Enumerable.Range(0, Size / 8).Select(i => 8 * i).ToArray()),
            ["one 8-byte word changed"] = () => Changed(Random(17), 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007),
            ["sparse changes"] = () => Mutate(Random(18), 19, changes: 10, maxLength: 8),
            ["half the page rewritten"] = () => Rewritten(Random(20), 21, 0, Size / 2),
            ["long run crossing a varint boundary"] = () => Rewritten(Random(22), 23, 100, 300),
            ["changes 2 apart (below the split threshold)"] = () => Changed(Random(24), 10, 13, 16, 19, 22),
            ["counters incremented"] = () => Counters(25),
        };

    public static IEnumerable<object[]> ScenarioNames => Scenarios.Keys.Select(name => new object[] { name });

    public static IEnumerable<object[]> ScenarioNamesWithLz4 =>
        Scenarios.Keys.SelectMany(name => new[] { new object[] { name, false }, new object[] { name, true } });

    public static byte[] Random(int seed)
    {
        var page = new byte[Size];
        new Random(seed).NextBytes(page);
        return page;
    }

    public static byte[] Filled(byte value)
    {
        var page = new byte[Size];
        page.AsSpan().Fill(value);
        return page;
    }

    /// <summary>Log-like ASCII: compressible by LZ4, not by XOR against an empty copy.</summary>
    public static byte[] Text(int seed)
    {
        var random = new Random(seed);
        string[] words = ["GET", "SET", "key", "value", "session", "user", "expires", "ok", "error", "count"];
        var text = new System.Text.StringBuilder();
        while (text.Length < Size)
        {
            text.Append(words[random.Next(words.Length)]).Append(':').Append(random.Next(1000)).Append(' ');
        }

        return System.Text.Encoding.ASCII.GetBytes(text.ToString(0, Size));
    }

    /// <summary>A copy of <paramref name="previous"/> with the bytes at <paramref name="offsets"/> inverted.</summary>
    public static (byte[] Page, byte[] Previous) Changed(byte[] previous, params int[] offsets)
    {
        var page = (byte[])previous.Clone();
        foreach (int offset in offsets)
        {
            page[offset] ^= 0xFF;
        }

        return (page, previous);
    }

    /// <summary>A copy of <paramref name="previous"/> with <paramref name="changes"/> random short stretches overwritten.</summary>
    public static (byte[] Page, byte[] Previous) Mutate(byte[] previous, int seed, int changes, int maxLength)
    {
        var random = new Random(seed);
        var page = (byte[])previous.Clone();
        for (int i = 0; i < changes; i++)
        {
            int length = random.Next(1, maxLength + 1);
            int offset = random.Next(Size - length + 1);
            random.NextBytes(page.AsSpan(offset, length));
        }

        return (page, previous);
    }

    public static (byte[] Page, byte[] Previous) Rewritten(byte[] previous, int seed, int offset, int length)
    {
        var page = (byte[])previous.Clone();
        new Random(seed).NextBytes(page.AsSpan(offset, length));
        return (page, previous);
    }

    /// <summary>A page of 64-bit little-endian counters, each incremented: only the low bytes change.</summary>
    public static (byte[] Page, byte[] Previous) Counters(int seed)
    {
        var random = new Random(seed);
        var previous = new byte[Size];
        var page = new byte[Size];
        for (int i = 0; i < Size; i += 8)
        {
            long value = random.NextInt64(1L << 40);
            BitConverter.TryWriteBytes(previous.AsSpan(i), value);
            BitConverter.TryWriteBytes(page.AsSpan(i), value + random.Next(1, 100));
        }

        return (page, previous);
    }

    /// <summary>
    /// Encodes, checks the size bound, then decodes into a fresh buffer and in place over a copy of the
    /// previous page; both must give back the page. Returns the encoding and the body.
    /// </summary>
    public static (PageEncoding Encoding, byte[] Body) RoundTrip(byte[] page, byte[] previous, bool lz4)
    {
        var destination = new byte[PageCodec.MaxEncodedSize];
        var encoding = PageCodec.Encode(page, previous, lz4, destination, out int written);
        Assert.InRange(written, 0, PageCodec.MaxEncodedSize);
        var body = destination.AsSpan(0, written).ToArray();

        var decoded = new byte[Size];
        PageCodec.Decode(encoding, body, previous, decoded);
        AssertSamePage(page, decoded, encoding);

        if (previous.Length > 0)
        {
            var inPlace = (byte[])previous.Clone();
            PageCodec.Decode(encoding, body, inPlace, inPlace);
            AssertSamePage(page, inPlace, encoding);
        }

        return (encoding, body);
    }

    public static void AssertSamePage(byte[] expected, byte[] actual, PageEncoding encoding)
    {
        int mismatch = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(mismatch == Size, $"{encoding} decoded page differs at byte {mismatch}");
    }
}
