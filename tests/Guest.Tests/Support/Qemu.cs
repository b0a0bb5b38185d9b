using System.Diagnostics;

namespace FaultTolerant.Guest.Tests.Support;

/// <summary>qemu-riscv64, the reference runtime every guest must agree with.</summary>
public static class Qemu
{
    public const string Program = "qemu-riscv64";

    public static bool Available { get; } = FindOnPath(Program) is not null;

    /// <summary>In CI (CI=true) a missing qemu is a failure, not a skip.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    public sealed record Result(int ExitCode, byte[] Stdout, string Stderr);

    /// <summary>Runs an ELF under qemu-riscv64 in <paramref name="workingDirectory"/> (a fresh temp dir when null).</summary>
    public static Result Run(string elf, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null,
        string? workingDirectory = null, TimeSpan? timeout = null)
    {
        if (!Available) throw new InvalidOperationException($"{Program} is not installed (apt-get install qemu-user)");
        var dir = workingDirectory ?? Directory.CreateTempSubdirectory("ft-qemu-").FullName;
        var psi = new ProcessStartInfo(Program)
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(elf);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"qemu-riscv64 {Path.GetFileName(elf)} did not finish");
        }
        copy.Wait();
        if (workingDirectory is null) Directory.Delete(dir, recursive: true);
        return new Result(p.ExitCode, stdout.ToArray(), stderr.Result);
    }
}

/// <summary>A fact that needs qemu-riscv64: skipped where it is missing, except in CI, where it then fails.</summary>
public sealed class QemuFactAttribute : FactAttribute
{
    public QemuFactAttribute()
    {
        if (!Qemu.Available && !Qemu.Required) Skip = "qemu-riscv64 is not installed (CI installs it and runs this test)";
    }
}

public sealed class QemuTheoryAttribute : TheoryAttribute
{
    public QemuTheoryAttribute()
    {
        if (!Qemu.Available && !Qemu.Required) Skip = "qemu-riscv64 is not installed (CI installs it and runs this test)";
    }
}
