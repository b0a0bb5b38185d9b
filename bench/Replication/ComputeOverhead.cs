using System.Diagnostics;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// compute.elf (default scale) under a <see cref="PrimaryReplica"/> with 25 ms epochs and one backup over the TCP data
/// channel, against the same ELF run unreplicated (a plain <c>guest.Run</c> loop, as <c>ft run</c>'s host does).
/// </summary>
internal static class ComputeOverhead
{
    public const double Target = 1.10;

    private const int Runs = 2;

    public static async Task<JsonNode> RunAsync(BenchContext ctx, Report report)
    {
        var elf = await File.ReadAllBytesAsync(ctx.GuestElf("compute.elf"));
        string? expected = null;
        var plainTimes = new List<TimeSpan>();
        var replicatedTimes = new List<TimeSpan>();
        ulong epochs = 0;
        int pages = 0;
        for (int run = 0; run < Runs; run++)
        {
            Console.WriteLine($"compute: run {run + 1}/{Runs}, unreplicated …");
            Measure.Settle();
            string stdout = "";
            plainTimes.Add(Measure.Time(() =>
            {
                var guest = Rv64Guest.Load(elf, ["compute.elf"], options: new GuestOptions());
                stdout = GuestHarness.RunToExit(guest, GuestHarness.Slice);
            }));
            expected ??= stdout;
            GuestHarness.Verify("compute.elf unreplicated (run to run)", stdout, expected);

            Console.WriteLine($"compute: run {run + 1}/{Runs}, replicated …");
            Measure.Settle();
            var source = new StdoutSource();
            long start = Stopwatch.GetTimestamp();
            var guest = Rv64Guest.Load(elf, ["compute.elf"], options: new GuestOptions());
            await using (var pair = new InProcessReplica(guest, "compute", source))
            {
                pair.Primary.Start();
                var end = await pair.Primary.Completion.WaitAsync(TimeSpan.FromSeconds(120));
                replicatedTimes.Add(Stopwatch.GetElapsedTime(start));
                if (end.Reason != PrimaryEndReason.GuestEnded || end.GuestResult is not GuestRunResult.Exited { Code: 0 })
                {
                    throw new InvalidOperationException($"replicated compute ended with {end}");
                }
                epochs = end.Epoch;
                pages = (int)(pair.Link.Statistics.BytesSent >> 12);
            }
            if (source.Stdout != expected) throw new InvalidOperationException($"replicated compute printed something else:\n{source.Stdout}\n--- expected\n{expected}");
        }
        var plain = new Samples(plainTimes);
        var replicated = new Samples(replicatedTimes);
        double ratio = replicated.Median.TotalSeconds / plain.Median.TotalSeconds;
        report.Add(new Row("compute.elf replicated (25 ms epochs, 1 backup)", $"{Units.Seconds(replicated.Median)}, {epochs} epochs", $"unreplicated {Units.Seconds(plain.Median)}",
            ratio, $"≤ {Target:F2}×", Report.AtMost(ratio, Target)));
        report.Note($"compute: compute.elf at its default scale. Unreplicated: Rv64Guest.Load then Run({GuestHarness.Slice:N0}) until exit, output drained each slice; " +
                    $"{plain.Describe(Units.Seconds)}. Replicated: Load, then PrimaryReplica (default options: 25 ms epochs, 200,000-instruction slices) with one " +
                    "BackupReplica in this process over TcpBackupLink → DataChannelListener, timed from Load until the primary completes (its last epoch committed " +
                    $"and its output released); {replicated.Describe(Units.Seconds)}; the last run shipped ≈ {Units.MiB((long)pages << 12)} of frames. " +
                    $"Alternated, medians of {Runs}; the replicated output is checked against the unreplicated one.");
        return new JsonObject
        {
            ["unreplicatedSeconds"] = Math.Round(plain.Median.TotalSeconds, 3),
            ["replicatedSeconds"] = Math.Round(replicated.Median.TotalSeconds, 3),
            ["epochs"] = epochs,
            ["ratio"] = Math.Round(ratio, 3),
            ["target"] = Target,
            ["pass"] = ratio <= Target,
        };
    }
}
