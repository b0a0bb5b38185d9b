using System.Diagnostics;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>A stretch of time no client completed an operation successfully.</summary>
internal sealed record Outage(double FromSeconds, double Seconds);

/// <summary>Percentiles of a set of durations, in seconds (nearest rank); all zero for an empty set.</summary>
internal sealed record Percentiles(int Count, double P50, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return new Percentiles(0, 0, 0, 0);
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, Rank(0.50), Rank(0.99), sorted[^1]);
    }
}

/// <summary>What clients saw of the faults, from the operations' times alone (pure functions over Stopwatch timestamps).</summary>
internal static class Availability
{
    /// <summary>
    /// The client-visible unavailability a fault caused: for each client, the longest wait for a successful answer
    /// between the fault (<paramref name="from"/>) and <paramref name="until"/> (the next fault, or the end), counting
    /// from the fault itself to the client's first ok after it, then between consecutive oks; the longest over all
    /// clients. A client with no ok at all in that time waited the whole of it.
    /// </summary>
    public static TimeSpan Window(long from, long until, IEnumerable<OpRecord> ops)
    {
        var longest = TimeSpan.Zero;
        foreach (var client in ops.GroupBy(o => o.Process))
        {
            long previous = from;
            foreach (var t in client.Where(o => o.Outcome == Outcome.Ok && o.Completed > from && o.Completed <= until).Select(o => o.Completed).Order())
            {
                var gap = Stopwatch.GetElapsedTime(previous, t);
                if (gap > longest) longest = gap;
                previous = t;
            }
            var tail = Stopwatch.GetElapsedTime(previous, until);
            if (previous == from && tail > longest) longest = tail;
        }
        return longest;
    }

    /// <summary>Every stretch longer than <paramref name="threshold"/> between <paramref name="start"/> and <paramref name="end"/> in which no operation completed ok.</summary>
    public static IReadOnlyList<Outage> Outages(long start, long end, IEnumerable<OpRecord> ops, TimeSpan threshold)
    {
        var outages = new List<Outage>();
        long previous = start;
        foreach (var t in ops.Where(o => o.Outcome == Outcome.Ok && o.Completed > start && o.Completed <= end).Select(o => o.Completed).Order().Append(end))
        {
            var gap = Stopwatch.GetElapsedTime(previous, t);
            if (gap > threshold) outages.Add(new Outage(Stopwatch.GetElapsedTime(start, previous).TotalSeconds, gap.TotalSeconds));
            previous = t;
        }
        return outages;
    }
}
