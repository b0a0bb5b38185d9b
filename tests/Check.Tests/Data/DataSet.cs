namespace FaultTolerant.Check.Tests.Data;

/// <summary>The shared histories with known answers, found next to the repository (../shared/data/linearizability).</summary>
internal static class DataSet
{
    private static readonly Lazy<string> Root = new(Locate);

    public static string Directory => Root.Value;

    public static string PathOf(string relative) => Path.Combine(Directory, relative);

    /// <summary>Every row of expected.tsv: file relative to the data directory, and whether it is linearizable.</summary>
    public static IReadOnlyList<(string File, bool Linearizable)> Expected() =>
        File.ReadAllLines(PathOf("expected.tsv"))
            .Skip(1)
            .Where(l => l.Trim().Length > 0)
            .Select(l => l.Split('\t'))
            .Select(f => (f[0], bool.Parse(f[1])))
            .ToList();

    /// <summary>The model each part of the data set is checked against.</summary>
    public static Model ModelFor(string file) => file.StartsWith("etcd/", StringComparison.Ordinal) ? Model.Etcd : Model.Kv;

    private static string Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FaultTolerant.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException(
                $"no FaultTolerant.sln above {AppContext.BaseDirectory}: cannot find the repository root, and with it ../shared/data/linearizability");
        }

        string data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "linearizability"));
        if (!File.Exists(Path.Combine(data, "expected.tsv")))
        {
            throw new InvalidOperationException(
                $"the linearizability data set is missing: expected {data}/expected.tsv (../shared/data/linearizability from the repository root {dir.FullName})");
        }

        return data;
    }
}
