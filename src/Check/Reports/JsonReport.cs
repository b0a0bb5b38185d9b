using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaultTolerant.Check;

/// <summary>Results as JSON: camelCase names, enums as their names, durations in milliseconds.</summary>
public static class JsonReport
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public static string Serialize(CheckResult result) => JsonSerializer.Serialize(result, Options);

    /// <summary>One object for a run over several files: the overall verdict and one entry per file.</summary>
    public static string Serialize(IReadOnlyList<FileReport> files, Verdict? overall, int exitCode) =>
        JsonSerializer.Serialize(new RunReport(overall, exitCode, files), Options);

    private sealed record RunReport(Verdict? Verdict, int ExitCode, IReadOnlyList<FileReport> Files);
}

/// <summary>What became of one file: a result, or the error that kept it from being checked.</summary>
/// <param name="Html">The timeline written for it, if any.</param>
public sealed record FileReport(string File, CheckResult? Result, string? Error, string? Html = null);
