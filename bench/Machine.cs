using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FaultTolerant.Bench;

/// <summary>What the numbers were measured on.</summary>
internal sealed record Machine(int Processors, string Cpu, string Runtime, string Os, string? Qemu)
{
    public string Summary => $"{Processors} CPUs ({Cpu}), {Runtime}, {Os}, {Qemu ?? "qemu-riscv64 not found"}";

    /// <summary>The 1-minute load average now: other work on the machine skews every figure, references included.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static Machine Describe(string? qemuPath)
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        return new Machine(Environment.ProcessorCount, cpu, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            qemuPath is null ? null : QemuVersion(qemuPath));
    }

    private static string? QemuVersion(string qemu)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(qemu, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            string first = p.StandardOutput.ReadLine() ?? "";
            p.WaitForExit();
            return first.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
