using FaultTolerant.Guest;
using FaultTolerant.Guest.Kernel;

namespace FaultTolerant.Replica.Tests.Support;

/// <summary>Guest programs from guests/bin, started deterministically (virtual time, fixed entropy).</summary>
public static class TestGuests
{
    public static string Root { get; } = FindRoot();

    public static GuestOptions Options => new() { ClockMode = GuestClockMode.Virtual, RandomSeed = 7 };

    public static Rv64Guest Load(string program, params string[] args) => LoadWithFiles(program, null, args);

    /// <summary>A guest whose file system is seeded with <paramref name="files"/> (absolute path → contents).</summary>
    public static Rv64Guest LoadWithFiles(string program, IReadOnlyDictionary<string, byte[]>? files, params string[] args) =>
        Rv64Guest.Load(File.ReadAllBytes(Path.Combine(Root, "guests", "bin", program + ".elf")), [program + ".elf", .. args], null, Options, files);

    public static IGuest RestoreFull(FaultTolerant.Guest.State.GuestCheckpoint full) => Rv64Guest.Restore(full, null, Options);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("no FaultTolerant.sln above the test assembly");
    }
}
