using System.Globalization;

namespace FaultTolerant.Cluster.Cli;

/// <summary>Sizes as people write them: 4096, 64K, 256M, 1G, 512MiB (binary units throughout).</summary>
public static class ByteSize
{
    /// <exception cref="FormatException">Not a positive size with an optional K, M, G (or KiB, MiB, GiB, KB, MB, GB) suffix.</exception>
    public static long Parse(string text)
    {
        var t = text.Trim();
        int split = 0;
        while (split < t.Length && char.IsAsciiDigit(t[split])) split++;
        if (split == 0 || !long.TryParse(t[..split], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new FormatException($"'{text}' is not a size (examples: 4096, 64K, 256M, 1G)");
        }
        long unit = t[split..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            var s => throw new FormatException($"'{text}': unknown size unit '{s}' (use K, M or G)"),
        };
        if (n <= 0 || n > long.MaxValue / unit) throw new FormatException($"'{text}' is out of range");
        return n * unit;
    }
}
