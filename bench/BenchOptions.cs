namespace FaultTolerant.Bench;

/// <summary>Command-line options shared by every benchmark.</summary>
internal sealed record BenchOptions
{
    public string? MarkdownPath { get; init; }

    /// <summary>Timed runs per whole-program measurement, each after one untimed warm-up.</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Which figures to run; null means all of them.</summary>
    public IReadOnlySet<string>? Only { get; init; }

    public bool NoBuild { get; init; }

    public bool Wants(string figure) => Only is null || Only.Contains(figure);

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--markdown" => options with { MarkdownPath = Value() },
                "--runs" => options with { Runs = int.TryParse(Value(), out int n) && n > 0 ? n : throw new FormatException("--runs needs a positive number") },
                "--only" => options with { Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet() },
                "--no-build" => options with { NoBuild = true },
                var other => throw new FormatException($"unknown option '{other}'"),
            };
        }
        return options;
    }
}
