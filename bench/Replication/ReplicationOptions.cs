namespace FaultTolerant.Bench.Replication;

/// <summary>Options of <c>bench replication</c>.</summary>
internal sealed record ReplicationOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench -- replication [options]

        options:
          --json            print one JSON object with every figure on stdout (progress goes to stderr)
          --markdown FILE   also write the results (machine, load, table, notes) as markdown
          --only LIST       comma-separated subset: pause,channel,codec,redis,compute,memory
          --requests N      redis-benchmark requests per test and configuration (default 20000)
        """;

    public bool Json { get; init; }

    public string? MarkdownPath { get; init; }

    public IReadOnlySet<string>? Only { get; init; }

    public int Requests { get; init; } = 20_000;

    public bool Help { get; init; }

    public bool Wants(string figure) => Only is null || Only.Contains(figure);

    /// <exception cref="FormatException">An unknown option or a bad value, named.</exception>
    public static ReplicationOptions Parse(string[] args)
    {
        var options = new ReplicationOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--json" => options with { Json = true },
                "--markdown" => options with { MarkdownPath = Value() },
                "--only" => options with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet() },
                "--requests" => options with { Requests = int.TryParse(Value(), out int n) && n >= 1000 ? n : throw new FormatException("--requests needs a number ≥ 1000") },
                "-h" or "--help" => options with { Help = true },
                var other => throw new FormatException($"unknown option '{other}'"),
            };
        }
        return options;
    }
}
