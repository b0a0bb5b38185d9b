namespace FaultTolerant.Guest.Tests.Support;

/// <summary>Paths in the source tree, found from the test assembly's location.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Guest(string name) => Path.Combine(Root, "guests", "bin", name + ".elf");

    public static byte[] GuestElf(string name) => File.ReadAllBytes(Guest(name));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no FaultTolerant.sln above {AppContext.BaseDirectory}");
    }
}
