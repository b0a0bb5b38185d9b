namespace FaultTolerant.Bench.Guest;

/// <summary>Where things are: the repository, the guest programs, qemu.</summary>
internal sealed record BenchContext(string Root, string? Qemu, BenchOptions Options)
{
    public string GuestElf(string name) => Path.Combine(Root, "guests", "bin", name);

    public static BenchContext Create(BenchOptions options)
    {
        var root = FindRoot(Environment.CurrentDirectory) ?? FindRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("cannot find the repository root (FaultTolerant.sln) above the current directory");
        return new BenchContext(root, FindOnPath("qemu-riscv64"), options);
    }

    private static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln"))) return dir.FullName;
        }
        return null;
    }

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);
}
