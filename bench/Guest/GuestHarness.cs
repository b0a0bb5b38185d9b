using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Bench.Guest;

/// <summary>Running guests in-process and under qemu, and reaching the emulator internals the figures need.</summary>
internal static class GuestHarness
{
    /// <summary>Instructions per <see cref="IGuest.Run"/> call when nothing else is being measured (as ft run's host uses).</summary>
    public const long Slice = 2_000_000;

    /// <summary>The guest's memory, for <see cref="GuestMemory.HarvestDirty"/> alone (cheaper than a capture).</summary>
    public static GuestMemory MemoryOf(Rv64Guest guest) => guest.Memory;

    /// <summary>Runs to exit in slices, draining output after each; the guest's stdout.</summary>
    /// <param name="afterSlice">Called after every slice (between epochs), outside nothing: the caller times what it likes.</param>
    public static string RunToExit(Rv64Guest guest, long slice, Action? afterSlice = null)
    {
        var stdout = new StringBuilder();
        while (true)
        {
            var result = guest.Run(slice);
            afterSlice?.Invoke();
            Drain(guest, stdout);
            switch (result)
            {
                case GuestRunResult.Exited { Code: 0 }:
                    return stdout.ToString();
                case GuestRunResult.Exited e:
                    throw new InvalidOperationException($"guest exited with {e.Code}: {stdout}");
                case GuestRunResult.Faulted f:
                    throw new InvalidOperationException(f.ToString());
                case GuestRunResult.Blocked b:
                    throw new InvalidOperationException($"guest blocked ({b.Wait}); benchmark guests never wait");
            }
        }
    }

    public static void Drain(IGuest guest, StringBuilder stdout)
    {
        foreach (var o in guest.TakeOutput())
        {
            if (o.StreamId == GuestStreams.Stdout) stdout.Append(Encoding.UTF8.GetString(o.Data));
        }
    }

    /// <summary>One run of a program under qemu-riscv64: wall time including process start, and its stdout.</summary>
    public static (TimeSpan Elapsed, string Stdout) RunQemu(string qemu, string elf, params string[] args)
    {
        var psi = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(elf);
        foreach (var a in args) psi.ArgumentList.Add(a);
        long start = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (p.ExitCode != 0) throw new InvalidOperationException($"qemu-riscv64 {Path.GetFileName(elf)} exited with {p.ExitCode}");
        return (elapsed, stdout);
    }

    /// <summary>The expected stdout: qemu's when it ran, else nothing to compare with.</summary>
    public static void Verify(string what, string actual, string? expected)
    {
        if (expected is not null && actual != expected)
        {
            throw new InvalidOperationException($"{what}: output differs from qemu-riscv64's\n--- ours\n{actual}\n--- qemu\n{expected}");
        }
    }
}
