namespace FaultTolerant.Bench.Guest;

/// <summary><c>bench guest</c>: the emulator's four figures, each a ratio against a reference measured in the same run.</summary>
internal static class GuestBenchmark
{
    public static async Task RunAsync(BenchOptions options)
    {
        var ctx = BenchContext.Create(options);
        var machine = Machine.Describe(ctx.Qemu);
        Console.WriteLine($"bench guest — {machine.Summary}");
        var report = new Report("bench guest");
        string loadBefore = Machine.LoadAverage();
        var total = Measure.Time(() =>
        {
            Step(report, "interp", options, () => InterpreterSpeed.Run(ctx, report));
            Step(report, "dirty", options, () => DirtyTracking.Run(ctx, report));
            Step(report, "capture", options, () => CaptureCost.Run(ctx, report));
            Step(report, "rss", options, () => PeakRss.Run(ctx, report));
        });
        report.Note($"Load average (1 min) {loadBefore} at the start, {Machine.LoadAverage()} at the end; the run took {Units.Seconds(total)}.");
        report.Print(machine);
        if (options.MarkdownPath is { } path)
        {
            string command = "dotnet run -c Release --project bench -- guest" + (options.Runs != 3 ? $" --runs {options.Runs}" : "");
            await File.WriteAllTextAsync(path, report.Markdown(machine, command));
            Console.WriteLine($"wrote {path}");
        }
    }

    /// <summary>One figure; a failure is reported as a missing row, never ends the others.</summary>
    private static void Step(Report report, string name, BenchOptions options, Action figure)
    {
        if (!options.Wants(name)) return;
        try
        {
            figure();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            report.Add(new Row(name, "failed", "—", null, "—", Verdict.Skipped));
            report.Note($"{name}: {e.Message}");
        }
    }
}
