using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// Peak resident set of a primary and of a backup, each its own process (<see cref="ReplicationNode"/>), while memstress
/// touches 256 MiB for a few rounds under replication, against the guest's memory.
/// </summary>
internal static class NodeMemory
{
    public const double PrimaryTarget = 1.5;
    public const double BackupTarget = 1.3;

    private const int PageCount = 65536;
    private const int Rounds = 4;
    private const long GuestBytes = (long)PageCount * 4096;

    /// <summary>memstress's pace for the context run: a round per second, well within what the channel and the backup absorb.</summary>
    private const int PacedRate = 65536;

    public static async Task<JsonNode> RunAsync(BenchContext ctx, Report report)
    {
        var plain = await PairAsync(ctx, lz4: false);
        var (primaryPeak, primaryBase, backupPeak, backupBase) = (plain.Primary[0], plain.Primary[1], plain.Backup[0], plain.Backup[1]);
        double primaryRatio = (double)primaryPeak / GuestBytes, backupRatio = (double)backupPeak / GuestBytes;
        string stalled = plain.StalledAtRelease is { } at ? $"; stalled: released epoch {at} of {plain.Primary[2]}" : "";
        report.Add(new Row($"Peak RSS: primary process, memstress {PageCount} {Rounds}", $"{Units.MiB(primaryPeak)} (guest + {Units.MiB(primaryPeak - GuestBytes)}){stalled}",
            $"guest memory {Units.MiB(GuestBytes)}", primaryRatio, $"≤ {PrimaryTarget:F1}×", Report.AtMost(primaryRatio, PrimaryTarget)));
        report.Add(new Row("Peak RSS: backup process", $"{Units.MiB(backupPeak)} (guest + {Units.MiB(backupPeak - GuestBytes)})",
            $"guest memory {Units.MiB(GuestBytes)}", backupRatio, $"≤ {BackupTarget:F1}×", Report.AtMost(backupRatio, BackupTarget)));

        var lz4 = await PairAsync(ctx, lz4: true);
        var paced = await PairAsync(ctx, lz4: false, PacedRate);
        report.Add(new Row("  … primary with lz4 on", $"{Units.MiB(lz4.Primary[0])}", $"guest memory {Units.MiB(GuestBytes)}", (double)lz4.Primary[0] / GuestBytes,
            "— (context)", Verdict.Info));
        report.Add(new Row("  … backup with lz4 on", $"{Units.MiB(lz4.Backup[0])}", $"guest memory {Units.MiB(GuestBytes)}", (double)lz4.Backup[0] / GuestBytes,
            "— (context)", Verdict.Info));
        report.Add(new Row($"  … primary, memstress paced at {PacedRate:N0} pages/s", $"{Units.MiB(paced.Primary[0])}", $"guest memory {Units.MiB(GuestBytes)}",
            (double)paced.Primary[0] / GuestBytes, "— (context)", Verdict.Info));
        report.Add(new Row($"  … backup, memstress paced at {PacedRate:N0} pages/s", $"{Units.MiB(paced.Backup[0])}", $"guest memory {Units.MiB(GuestBytes)}",
            (double)paced.Backup[0] / GuestBytes, "— (context)", Verdict.Info));
        report.Note($"Peak RSS: two processes of this benchmark (`bench replication-node backup`, `… primary`), the primary running memstress {PageCount} {Rounds} " +
                    "(every page written each round) under PrimaryReplica (default options: 25 ms epochs, 64 MiB XOR cache, lz4 off; then again with lz4 on) with the " +
                    "backup over the TCP data channel; acks come back over a control socket of the benchmark's own (the Akka control plane is not used here). " +
                    "Peak = VmHWM of /proc/self/status read by each process at its end. Runtime baseline before loading any guest: primary " +
                    $"{Units.MiB(primaryBase)}, backup {Units.MiB(backupBase)} (included in the peaks). lz4 off: the primary took {Units.Seconds(plain.Elapsed)} for " +
                    $"{plain.Primary[2]} epochs and sent {Units.MiB(plain.Primary[3])} of frames; the backup committed epoch {plain.Backup[2]}. lz4 on: " +
                    $"{Units.Seconds(lz4.Elapsed)}, {lz4.Primary[2]} epochs, {Units.MiB(lz4.Primary[3])} of frames. Paced (memstress {PageCount} {Rounds} {PacedRate}, " +
                    $"lz4 off; {PacedRate / 40:N0} pages dirtied per 25 ms epoch): {Units.Seconds(paced.Elapsed)}, {paced.Primary[2]} epochs, {Units.MiB(paced.Primary[3])} of frames." +
                    string.Concat(new[] { ("lz4 off", plain), ("lz4 on", lz4), ("paced", paced) }.Where(r => r.Item2.StalledAtRelease is not null).Select(r =>
                        $" STALLED ({r.Item1}): the guest ended at epoch {r.Item2.Primary[2]} but the primary had released only epoch {r.Item2.StalledAtRelease} " +
                        $"after 40 s and was stopped (the backup had committed epoch {r.Item2.Backup[2]}); its peak is reported all the same.")));
        return new JsonObject
        {
            ["guestBytes"] = GuestBytes,
            ["primaryPeakBytes"] = primaryPeak,
            ["primaryRatio"] = Math.Round(primaryRatio, 3),
            ["primaryTarget"] = PrimaryTarget,
            ["primaryPass"] = primaryRatio <= PrimaryTarget,
            ["backupPeakBytes"] = backupPeak,
            ["backupRatio"] = Math.Round(backupRatio, 3),
            ["backupTarget"] = BackupTarget,
            ["backupPass"] = backupRatio <= BackupTarget,
            ["primaryBaselineBytes"] = primaryBase,
            ["backupBaselineBytes"] = backupBase,
            ["epochs"] = plain.Primary[2],
            ["bytesSent"] = plain.Primary[3],
            ["lz4PrimaryPeakBytes"] = lz4.Primary[0],
            ["lz4BackupPeakBytes"] = lz4.Backup[0],
            ["lz4BytesSent"] = lz4.Primary[3],
            ["primaryStalledAtReleasedEpoch"] = plain.StalledAtRelease,
            ["lz4PrimaryStalledAtReleasedEpoch"] = lz4.StalledAtRelease,
            ["pacedPagesPerSecond"] = PacedRate,
            ["pacedPrimaryPeakBytes"] = paced.Primary[0],
            ["pacedBackupPeakBytes"] = paced.Backup[0],
            ["pacedPrimaryStalledAtReleasedEpoch"] = paced.StalledAtRelease,
        };
    }

    /// <param name="StalledAtRelease">Set when the primary never completed: the epoch it had released when it gave up.</param>
    private sealed record Pair(long[] Primary, long[] Backup, TimeSpan Elapsed, long? StalledAtRelease);

    /// <summary>A backup process and a primary process; what each reported at its end.</summary>
    private static async Task<Pair> PairAsync(BenchContext ctx, bool lz4, int rate = 0)
    {
        Console.WriteLine($"memory: a backup process and a primary process running memstress {PageCount} {Rounds}{(rate > 0 ? $" {rate}" : "")}, lz4 {(lz4 ? "on" : "off")} …");
        using var backup = Start(ctx, [ReplicationNode.Command, "backup"]);
        string ports = await backup.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException($"the backup node printed nothing: {await backup.StandardError.ReadToEndAsync()}");
        if (ports.Split(' ') is not ["ports", var data, var control]) throw new InvalidOperationException($"the backup node said '{ports}'");

        long start = Stopwatch.GetTimestamp();
        using var primary = Start(ctx, [ReplicationNode.Command, "primary", data, control, $"{PageCount}", $"{Rounds}", .. lz4 ? new[] { "lz4" } : [], .. rate > 0 ? new[] { $"rate={rate}" } : []]);
        var primaryOut = primary.StandardOutput.ReadToEndAsync();
        var primaryErr = primary.StandardError.ReadToEndAsync();
        var backupOut = backup.StandardOutput.ReadToEndAsync();
        var backupErr = backup.StandardError.ReadToEndAsync();
        try
        {
            await primary.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
            var elapsed = Stopwatch.GetElapsedTime(start);
            await backup.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (primary.ExitCode != 0) throw new InvalidOperationException($"the primary node failed ({primary.ExitCode}): {await primaryErr}");
            if (backup.ExitCode != 0) throw new InvalidOperationException($"the backup node failed ({backup.ExitCode}): {await backupErr}");
            string primaryText = await primaryOut;
            var stalled = primaryText.Split('\n').FirstOrDefault(l => l.StartsWith("done ", StringComparison.Ordinal))?.Split(' ') is [.., "stalled", var released]
                ? long.Parse(released, CultureInfo.InvariantCulture)
                : (long?)null;
            return new Pair(Done(primaryText, "primary"), Done(await backupOut, "backup"), elapsed, stalled);
        }
        finally
        {
            // Only these two children, by their own handles.
            if (!primary.HasExited) primary.Kill();
            if (!backup.HasExited) backup.Kill();
        }
    }

    private static long[] Done(string output, string who)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("done ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"the {who} node did not report: {output}");
        return [.. line.Split(' ').Skip(1).TakeWhile(s => s != "stalled").Select(s => long.Parse(s, CultureInfo.InvariantCulture))];
    }

    /// <summary>This benchmark again, as a child process: through its apphost when it runs as one, else through dotnet.</summary>
    private static Process Start(BenchContext ctx, IReadOnlyList<string> args)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        bool viaDotnet = Path.GetFileNameWithoutExtension(self) == "dotnet";
        var psi = new ProcessStartInfo(self)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ctx.Root,
        };
        if (viaDotnet) psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start a replication node");
    }
}
