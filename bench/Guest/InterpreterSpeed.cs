using FaultTolerant.Guest;

namespace FaultTolerant.Bench.Guest;

/// <summary>
/// Figure 1: compute.elf (default scale) run to exit by our interpreter in-process, against the same ELF
/// under qemu-riscv64 (a process, wall time). Ratio = qemu time / our time.
/// </summary>
internal static class InterpreterSpeed
{
    public const double Target = 0.25;

    public static void Run(BenchContext ctx, Report report)
    {
        string path = ctx.GuestElf("compute.elf");
        var elf = File.ReadAllBytes(path);
        string? expected = null;
        Samples? qemu = null;
        if (ctx.Qemu is { } q)
        {
            Console.WriteLine("interp: compute.elf under qemu-riscv64 …");
            qemu = Measure.Repeat(1, ctx.Options.Runs, () =>
            {
                var (elapsed, stdout) = GuestHarness.RunQemu(q, path);
                expected ??= stdout;
                GuestHarness.Verify("compute.elf under qemu (run to run)", stdout, expected);
                return elapsed;
            });
        }
        else
        {
            var golden = Path.Combine(ctx.Root, "guests", "compute", "compute.expected");
            if (File.Exists(golden)) expected = File.ReadAllText(golden);
        }

        Console.WriteLine("interp: compute.elf under our interpreter …");
        long instructions = 0;
        var ours = Measure.Repeat(1, ctx.Options.Runs, () =>
        {
            Measure.Settle();
            string stdout = "";
            var elapsed = Measure.Time(() =>
            {
                var guest = Rv64Guest.Load(elf, ["compute.elf"], options: new GuestOptions());
                stdout = GuestHarness.RunToExit(guest, GuestHarness.Slice);
                instructions = guest.InstructionsRetired;
            });
            GuestHarness.Verify("compute.elf under our interpreter", stdout, expected);
            return elapsed;
        });

        double mips = instructions / ours.Median.TotalSeconds / 1e6;
        string measured = $"{Units.Seconds(ours.Median)}, {mips:F0} MIPS";
        if (qemu is null)
        {
            report.Add(new Row("Interpreter: compute.elf", measured, "qemu-riscv64 not installed", null, $"≥ {Target:F2}× qemu", Verdict.Skipped));
            report.Note($"Interpreter: {Units.Count(instructions)} instructions retired; our time {ours.Describe(Units.Seconds)}. " +
                        "qemu-riscv64 is not on PATH, so there is no reference and no ratio (output checked against guests/compute/compute.expected).");
            return;
        }
        double ratio = qemu.Median.TotalSeconds / ours.Median.TotalSeconds;
        report.Add(new Row("Interpreter: compute.elf", measured, $"qemu-riscv64 {Units.Seconds(qemu.Median)}", ratio, $"≥ {Target:F2}× qemu",
            Report.AtLeast(ratio, Target)));
        report.Note($"Interpreter: {instructions:N0} instructions retired per run; ours {ours.Describe(Units.Seconds)}, " +
                    $"qemu {qemu.Describe(Units.Seconds)} (process start included; qemu ≈ {instructions / qemu.Median.TotalSeconds / 1e6:F0} guest MIPS). " +
                    "Ratio = qemu time / our time, medians after one warm-up each; output identical to qemu's.");
    }
}
