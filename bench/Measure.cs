using System.Diagnostics;

namespace FaultTolerant.Bench;

/// <summary>
/// Stopwatch measurement: whole runs timed wall-clock, an untimed warm-up first (JIT, tiering, caches),
/// then the median of the timed runs. BenchmarkDotNet would take minutes per whole-program figure.
/// </summary>
internal static class Measure
{
    public static TimeSpan Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>Runs <paramref name="run"/> <paramref name="warmups"/> times untimed, then <paramref name="runs"/> times timed.</summary>
    /// <param name="run">Returns the time of the part that counts (it may set up untimed work first).</param>
    public static Samples Repeat(int warmups, int runs, Func<TimeSpan> run)
    {
        for (int i = 0; i < warmups; i++) run();
        var times = new List<TimeSpan>(runs);
        for (int i = 0; i < runs; i++) times.Add(run());
        return new Samples(times);
    }

    /// <summary>A collection between measurements so one run's garbage is not charged to the next.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}

/// <summary>The timed runs of one measurement.</summary>
internal sealed class Samples
{
    private readonly TimeSpan[] _sorted;

    public Samples(IEnumerable<TimeSpan> values)
    {
        _sorted = [.. values.Order()];
        if (_sorted.Length == 0) throw new ArgumentException("no samples", nameof(values));
    }

    public int Count => _sorted.Length;

    public TimeSpan Min => _sorted[0];

    public TimeSpan Max => _sorted[^1];

    public TimeSpan Median => _sorted.Length % 2 == 1
        ? _sorted[_sorted.Length / 2]
        : (_sorted[(_sorted.Length / 2) - 1] + _sorted[_sorted.Length / 2]) / 2;

    /// <summary>"median (min–max, n runs)" in the given unit.</summary>
    public string Describe(Func<TimeSpan, string> format) =>
        Count == 1 ? format(Median) : $"{format(Median)} (range {format(Min)}–{format(Max)}, n={Count})";
}

/// <summary>Human units for times, sizes and rates.</summary>
internal static class Units
{
    public static string Seconds(TimeSpan t) => $"{t.TotalSeconds:F2} s";

    public static string Auto(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:F2} s"
        : t.TotalMilliseconds >= 1 ? $"{t.TotalMilliseconds:F2} ms"
        : $"{t.TotalMicroseconds:F1} µs";

    public static string MiB(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";

    public static string Count(long n) => n >= 1_000_000 ? $"{n / 1e6:F1} M" : n >= 10_000 ? $"{n / 1e3:F1} k" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
