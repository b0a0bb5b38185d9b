namespace FaultTolerant.Check;

/// <summary>
/// Everything <c>ft check</c> does, so the command line only parses its arguments and calls
/// <see cref="RunAsync"/>. Exit codes: 0 every file linearizable, 1 some file not linearizable,
/// 2 bad usage or input (unknown model, missing or malformed file), 3 some file unknown (time limit).
/// When several apply, the first in the order 2, 1, 3 wins.
/// </summary>
public static class CheckCommandRunner
{
    public const int Linearizable = 0;
    public const int NotLinearizable = 1;
    public const int BadInput = 2;
    public const int Unknown = 3;

    /// <summary>The model name that picks the model from each file's format.</summary>
    public const string AutoModel = "auto";

    /// <summary>Checks each file and prints one verdict line per file (details indented under it), or one JSON object.</summary>
    /// <param name="model"><c>register</c>, <c>etcd</c>, <c>kv</c>, or <c>auto</c> (etcd logs → etcd, EDN → kv, JSON Lines → register).</param>
    /// <param name="timeLimit">Per file; zero or negative for none.</param>
    /// <param name="htmlDirectory">If set, a timeline page <c>NAME.html</c> per file is written there (created if needed).</param>
    public static Task<int> RunAsync(string model, IReadOnlyList<string> files, bool json, TimeSpan timeLimit, string? htmlDirectory,
        TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(model, files, json, timeLimit, htmlDirectory, stdout, stderr, CheckOptions.Default, ct);

    /// <summary>As above, with the search's other options (shrink budget, parallelism) given.</summary>
    public static async Task<int> RunAsync(string model, IReadOnlyList<string> files, bool json, TimeSpan timeLimit, string? htmlDirectory,
        TextWriter stdout, TextWriter stderr, CheckOptions options, CancellationToken ct)
    {
        Model? chosen = null;
        if (!string.Equals(model, AutoModel, StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                chosen = Model.FromName(model);
            }
            catch (UnknownModelException ex)
            {
                await stderr.WriteLineAsync($"ft check: {ex.Message}, or {AutoModel}");
                return BadInput;
            }
        }

        if (files.Count == 0)
        {
            await stderr.WriteLineAsync("ft check: no history files given");
            return BadInput;
        }

        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
        {
            foreach (string f in missing)
            {
                await stderr.WriteLineAsync($"ft check: {f}: no such file");
            }

            return BadInput;
        }

        var perFile = options with { TimeLimit = timeLimit > TimeSpan.Zero ? timeLimit : null };
        var reports = new List<FileReport>();
        var htmlNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string file in files)
        {
            var report = await Task.Run(() => CheckOne(file, chosen, perFile, htmlDirectory, htmlNames, ct), CancellationToken.None);
            reports.Add(report);
            if (json)
            {
                continue;
            }

            if (report.Error is not null)
            {
                await stderr.WriteLineAsync($"ft check: {report.Error}");
                continue;
            }

            await stdout.WriteAsync(TextReport.Render(report.Result!));
            if (report.Html is not null)
            {
                await stdout.WriteLineAsync($"  timeline: {report.Html}");
            }
        }

        int exit = ExitCode(reports);
        if (json)
        {
            var verdicts = reports.Where(r => r.Result is not null).Select(r => r.Result!.Verdict).ToList();
            Verdict? overall = exit == BadInput ? null
                : verdicts.Contains(Verdict.NotLinearizable) ? Verdict.NotLinearizable
                : verdicts.Contains(Verdict.Unknown) ? Verdict.Unknown
                : Verdict.Linearizable;
            await stdout.WriteLineAsync(JsonReport.Serialize(reports, overall, exit));
        }

        return exit;
    }

    private static FileReport CheckOne(string file, Model? model, CheckOptions options, string? htmlDirectory, HashSet<string> htmlNames,
        CancellationToken ct)
    {
        try
        {
            var history = HistoryReader.ReadFile(file);
            var used = model ?? Model.For(history.Format);
            var result = LinearizabilityChecker.Check(history, used, options, ct);
            string? html = null;
            if (htmlDirectory is not null)
            {
                Directory.CreateDirectory(htmlDirectory);
                html = Path.Combine(htmlDirectory, UniqueName(Path.GetFileName(file), htmlNames) + ".html");
                File.WriteAllText(html, HtmlReport.Render(result, history, used));
            }

            return new FileReport(file, result, null, html);
        }
        catch (CheckException ex)
        {
            return new FileReport(file, null, ex.Message);
        }
        catch (IOException ex)
        {
            return new FileReport(file, null, $"{file}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            return new FileReport(file, null, $"{file}: {ex.Message}");
        }
    }

    private static int ExitCode(List<FileReport> reports)
    {
        if (reports.Any(r => r.Error is not null))
        {
            return BadInput;
        }

        var verdicts = reports.Select(r => r.Result!.Verdict).ToList();
        return verdicts.Contains(Verdict.NotLinearizable) ? NotLinearizable
            : verdicts.Contains(Verdict.Unknown) ? Unknown
            : Linearizable;
    }

    // Two files with the same name from different directories must not overwrite each other's page.
    private static string UniqueName(string name, HashSet<string> taken)
    {
        string candidate = name;
        for (int i = 2; !taken.Add(candidate); i++)
        {
            candidate = $"{name}-{i}";
        }

        return candidate;
    }
}
