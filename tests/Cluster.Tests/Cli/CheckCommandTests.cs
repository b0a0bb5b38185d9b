using System.Text.Json;
using FaultTolerant.Cluster.Tests.Support;
using Xunit;

namespace FaultTolerant.Cluster.Tests.Cli;

/// <summary><c>ft check</c> as a user runs it: the shared histories with known answers, through the real command line.</summary>
public sealed class CheckCommandTests
{
    private static readonly string Data = Path.GetFullPath(Path.Combine(FtProcess.RepoRoot, "..", "shared", "data", "linearizability"));

    private static IReadOnlyList<(string File, bool Linearizable)> Expected() =>
        [.. File.ReadAllLines(Path.Combine(Data, "expected.tsv")).Skip(1).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split('\t')).Select(f => (f[0], bool.Parse(f[1])))];

    [Fact]
    public void Every_shared_history_gets_its_expected_verdict_through_ft_check_json()
    {
        var expected = Expected();
        Assert.True(expected.Count >= 50, $"expected.tsv lists {expected.Count} files");
        var (code, stdout, stderr) = FtProcess.Run(["check", "--model", "auto", "--json", .. expected.Select(e => Path.Combine(Data, e.File))]);
        // Some files are not linearizable: exit 1, and every verdict is a real one (no Unknown, no bad input).
        Assert.True(code == 1, $"exit {code}; stderr: {stderr}");
        using var json = JsonDocument.Parse(stdout);
        var verdicts = json.RootElement.GetProperty("files").EnumerateArray()
            .ToDictionary(f => Path.GetRelativePath(Data, f.GetProperty("file").GetString()!), f => f.GetProperty("result").GetProperty("verdict").GetString());
        foreach (var (file, linearizable) in expected)
        {
            Assert.True(verdicts.TryGetValue(file, out var verdict), $"{file}: no verdict in {stdout[..Math.Min(400, stdout.Length)]}");
            Assert.Equal((file, linearizable ? "Linearizable" : "NotLinearizable"), (file, verdict));
        }
    }

    [Fact]
    public void A_linearizable_file_exits_0_and_says_so_in_text()
    {
        var ok = Expected().First(e => e.Linearizable && e.File.StartsWith("kv/", StringComparison.Ordinal)).File;
        var (code, stdout, stderr) = FtProcess.Run("check", "--model", "kv", Path.Combine(Data, ok));
        Assert.True(code == 0, $"exit {code}; stdout {stdout}; stderr {stderr}");
        Assert.Contains("Linearizable", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_model_or_a_missing_file_is_a_usage_error_with_a_clear_message()
    {
        var (code, _, stderr) = FtProcess.Run("check", "--model", "bank", Path.Combine(Data, "expected.tsv"));
        Assert.Equal(2, code);
        Assert.Contains("bank", stderr, StringComparison.Ordinal);

        (code, _, stderr) = FtProcess.Run("check", "--model", "kv", "/nonexistent/history.edn");
        Assert.Equal(2, code);
        Assert.Contains("no such file", stderr, StringComparison.Ordinal);
    }
}
