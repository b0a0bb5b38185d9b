using System.Diagnostics;
using System.Globalization;

namespace FaultTolerant.Bench.Guest;

/// <summary>
/// Figure 4: peak resident set of <c>ft run</c> (the real CLI, its own process) while memstress touches
/// 256 MiB, against the 256 MiB of guest memory itself. qemu-riscv64 running the same is shown for context.
/// </summary>
internal static class PeakRss
{
    public const long AllowanceBytes = 64L << 20;

    private const int Pages = 65536;
    private const long GuestBytes = (long)Pages * 4096;

    public static void Run(BenchContext ctx, Report report)
    {
        string elf = ctx.GuestElf("memstress.elf");
        string? ft = FtDll(ctx, report);
        string dotnet = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? self
            : BenchContext.FindOnPath("dotnet") ?? "dotnet";
        string? timeTool = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
        string method = timeTool is null ? "VmHWM of /proc/PID/status, polled every 10 ms" : "/usr/bin/time -f %M (the kernel's ru_maxrss at exit)";

        string? expected = null;
        Measurement? qemu = null;
        if (ctx.Qemu is { } q)
        {
            Console.WriteLine($"rss: qemu-riscv64 memstress {Pages} …");
            qemu = Peak(timeTool, q, [elf, $"{Pages}"]);
            expected = qemu.Stdout;
        }
        if (ft is null)
        {
            report.Add(new Row($"Peak RSS: ft run memstress {Pages}", "not measured", $"guest memory {Units.MiB(GuestBytes)}", null,
                $"≤ guest + {AllowanceBytes >> 20} MiB", Verdict.Skipped));
        }
        else
        {
            Console.WriteLine($"rss: ft run memstress {Pages} …");
            var ours = Peak(timeTool, dotnet, [ft, "run", elf, $"{Pages}"]);
            GuestHarness.Verify($"ft run memstress {Pages}", ours.Stdout, expected);
            double ratio = (double)ours.PeakBytes / GuestBytes;
            report.Add(new Row($"Peak RSS: ft run memstress {Pages}", $"{Units.MiB(ours.PeakBytes)} (guest + {Units.MiB(ours.PeakBytes - GuestBytes)})",
                $"guest memory {Units.MiB(GuestBytes)}", ratio, $"≤ guest + {AllowanceBytes >> 20} MiB ({(double)(GuestBytes + AllowanceBytes) / GuestBytes:F2}×)",
                ours.PeakBytes <= GuestBytes + AllowanceBytes ? Verdict.Pass : Verdict.Miss));
            Console.WriteLine("rss: ft run hello.elf (runtime baseline) …");
            var baseline = Peak(timeTool, dotnet, [ft, "run", ctx.GuestElf("hello.elf")]);
            report.Add(new Row("Peak RSS: ft run hello.elf", $"{Units.MiB(baseline.PeakBytes)}", "— (runtime baseline)", null, "— (context)", Verdict.Info));
            long perPage = (ours.PeakBytes - baseline.PeakBytes - GuestBytes) / Pages;
            report.Note($"Peak RSS: `dotnet ft.dll run memstress.elf {Pages}` (Release build of src/Cluster) ran {Units.Seconds(ours.Elapsed)}; " +
                        $"peak from {method}. memstress maps {Pages} pages and writes a word to each, so every page is resident. " +
                        $"Over the 4 KiB of data, each resident page costs about {perPage} bytes beyond the baseline of a trivial guest " +
                        "(page object, table entry, array header, GC slack).");
        }
        if (qemu is not null)
        {
            report.Add(new Row($"Peak RSS: qemu-riscv64 memstress {Pages}", $"{Units.MiB(qemu.PeakBytes)} (guest + {Units.MiB(qemu.PeakBytes - GuestBytes)})",
                $"guest memory {Units.MiB(GuestBytes)}", (double)qemu.PeakBytes / GuestBytes, "— (context)", Verdict.Info));
        }
    }

    private sealed record Measurement(long PeakBytes, TimeSpan Elapsed, string Stdout);

    /// <summary>The Release build of ft.dll, built first unless --no-build; null (with a note) when there is none.</summary>
    private static string? FtDll(BenchContext ctx, Report report)
    {
        string project = Path.Combine(ctx.Root, "src", "Cluster", "FaultTolerant.Cluster.csproj");
        string dll = Path.Combine(ctx.Root, "src", "Cluster", "bin", "Release", "net10.0", "ft.dll");
        if (!ctx.Options.NoBuild)
        {
            Console.WriteLine("rss: dotnet build -c Release src/Cluster …");
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "build", project, "-c", "Release", "--nologo", "-v", "q" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                report.Note($"Peak RSS: building src/Cluster (Release) failed{(File.Exists(dll) ? "; measured the existing, possibly stale, ft.dll" : "")}: " +
                            $"{(output + stderr.Result).Trim().Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.Ordinal))?.Trim()}");
            }
        }
        if (File.Exists(dll)) return dll;
        report.Note($"Peak RSS: no {Path.GetRelativePath(ctx.Root, dll)}; build src/Cluster in Release to measure ft run.");
        return null;
    }

    private static Measurement Peak(string? timeTool, string program, IReadOnlyList<string> args)
    {
        string? timeFile = timeTool is null ? null : Path.GetTempFileName();
        var psi = new ProcessStartInfo(timeTool ?? program) { UseShellExecute = false, RedirectStandardOutput = true };
        if (timeTool is not null)
        {
            foreach (var a in new[] { "-f", "%M", "-o", timeFile!, program }) psi.ArgumentList.Add(a);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        long start = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        long polled = 0;
        if (timeTool is null)
        {
            while (!p.HasExited)
            {
                polled = Math.Max(polled, ReadHwm(p.Id));
                Thread.Sleep(10);
            }
        }
        p.WaitForExit();
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} exited with {p.ExitCode}");
        long peak = polled;
        if (timeFile is not null)
        {
            string kib = File.ReadAllLines(timeFile).Last(l => l.Trim().Length > 0).Trim();
            File.Delete(timeFile);
            peak = long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
        }
        return new Measurement(peak, elapsed, stdout.Result);
    }

    private static long ReadHwm(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
