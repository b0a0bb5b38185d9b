using FaultTolerant.Guest;

namespace FaultTolerant.Bench.Guest;

/// <summary>
/// Figure 2: what dirty tracking costs a store-heavy guest. memstress rewrites one word in each of its
/// pages, round after round; it runs in epochs of <see cref="Epoch"/> instructions, and after each epoch
/// the dirty set is harvested (as replication will, once per epoch). Reference: the same run with tracking
/// off and nothing harvested. Ratio = time with tracking / time without. A third run, for context, takes a
/// delta capture every epoch instead of a bare harvest.
/// </summary>
internal static class DirtyTracking
{
    public const double Target = 1.10;

    /// <summary>Instructions per epoch: about 10–25 ms of guest time at our speed.</summary>
    public const long Epoch = 1_000_000;

    /// <summary>
    /// Two working sets: 16 MiB, far more pages than the 256-entry write TLB holds, so every store takes the
    /// slow path with or without tracking; and 192 pages, which fit the TLB, so untracked stores stay on the
    /// fast path and tracking adds one slow-path store per page per epoch. Both about 300 M instructions.
    /// </summary>
    private static readonly (int Pages, int Rounds, string Label)[] _configurations =
    [
        (4096, 2500, "16 MiB working set"),
        (192, 40000, "768 KiB working set"),
    ];

    private enum Mode
    {
        Off,
        Harvest,
        Capture,
    }

    private sealed record Outcome(TimeSpan Elapsed, long Instructions, long Epochs, long DirtyPages, long CaptureBytes, string Stdout);

    public static void Run(BenchContext ctx, Report report)
    {
        foreach (var (pages, rounds, label) in _configurations) Run(ctx, report, pages, rounds, label);
        report.Note("Dirty tracking method: each run loads a fresh guest, sets TrackDirtyPages, and calls Run(epoch) until exit, draining " +
                    "output after each epoch; 'on' also calls GuestMemory.HarvestDirty() after each epoch (cheaper than a capture, " +
                    "which is measured separately); 'off' harvests nothing. The write TLB has 256 " +
                    "entries: a store misses it once per page per epoch when tracking, and on every TLB conflict either way.");
    }

    private static void Run(BenchContext ctx, Report report, int pages, int rounds, string label)
    {
        string path = ctx.GuestElf("memstress.elf");
        var elf = File.ReadAllBytes(path);
        string[] args = [$"{pages}", $"{rounds}"];
        string? expected = ctx.Qemu is { } q ? GuestHarness.RunQemu(q, path, args).Stdout : null;

        Console.WriteLine($"dirty: memstress {pages} {rounds}, epochs of {Epoch:N0} instructions …");
        // Warm-up: every mode once (JIT), then the timed runs interleaved so drift hits both alike.
        foreach (var mode in Enum.GetValues<Mode>()) RunOnce(elf, args, mode, expected);
        var off = new List<Outcome>();
        var on = new List<Outcome>();
        // About a second per run, so a few more than the whole-program default: the ratio is within a few percent of 1.
        for (int i = 0; i < Math.Max(ctx.Options.Runs, 5); i++)
        {
            off.Add(RunOnce(elf, args, Mode.Off, expected));
            on.Add(RunOnce(elf, args, Mode.Harvest, expected));
        }
        var capture = RunOnce(elf, args, Mode.Capture, expected);

        var offTimes = new Samples(off.Select(o => o.Elapsed));
        var onTimes = new Samples(on.Select(o => o.Elapsed));
        double ratio = onTimes.Median.TotalSeconds / offTimes.Median.TotalSeconds;
        var sample = on[0];
        double perEpoch = (double)sample.DirtyPages / sample.Epochs;
        report.Add(new Row($"Dirty tracking: memstress {pages} {rounds} ({label})", $"on {Units.Seconds(onTimes.Median)}", $"off {Units.Seconds(offTimes.Median)}",
            ratio, $"≤ {Target:F2}×", Report.AtMost(ratio, Target)));
        double captureRatio = capture.Elapsed.TotalSeconds / offTimes.Median.TotalSeconds;
        report.Add(new Row($"  … with CaptureDelta per epoch instead", $"{Units.Seconds(capture.Elapsed)}", $"off {Units.Seconds(offTimes.Median)}",
            captureRatio, "— (context)", Verdict.Info));
        report.Note($"Dirty tracking, memstress {pages} {rounds} ({label}, one store per page per round): " +
                    $"{sample.Instructions:N0} instructions in {sample.Epochs:N0} epochs of {Epoch:N0}, {perEpoch:F0} pages dirty per epoch on average. " +
                    $"On {onTimes.Describe(Units.Seconds)}, off {offTimes.Describe(Units.Seconds)}, interleaved after one warm-up of each mode. " +
                    $"With a delta capture per epoch instead (one run, after a CaptureFull): {capture.Epochs:N0} deltas of " +
                    $"{Units.MiB(capture.CaptureBytes / Math.Max(1, capture.Epochs))} on average, {Units.MiB(capture.CaptureBytes)} in all.");
    }

    private static Outcome RunOnce(byte[] elf, string[] args, Mode mode, string? expected)
    {
        Measure.Settle();
        var guest = Rv64Guest.Load(elf, ["memstress", .. args], options: new GuestOptions());
        guest.TrackDirtyPages = mode != Mode.Off;
        var memory = GuestHarness.MemoryOf(guest);
        if (mode == Mode.Capture) guest.CaptureFull();
        long epochs = 0, dirty = 0, bytes = 0;
        string stdout = "";
        var elapsed = Measure.Time(() => stdout = GuestHarness.RunToExit(guest, Epoch, () =>
        {
            epochs++;
            switch (mode)
            {
                case Mode.Harvest:
                    dirty += memory.HarvestDirty().Written.Count;
                    break;
                case Mode.Capture:
                    dirty += guest.MemoryStatistics.DirtyPages;
                    bytes += guest.CaptureDelta().Length;
                    break;
            }
        }));
        GuestHarness.Verify($"memstress {string.Join(' ', args)} (dirty tracking {mode})", stdout, expected);
        return new Outcome(elapsed, guest.InstructionsRetired, epochs, dirty, bytes, stdout);
    }
}
