using System.Globalization;
using System.Text;

namespace FaultTolerant.Check;

/// <summary>Plain-text rendering of results: one verdict line, then indented details for what went wrong.</summary>
public static class TextReport
{
    /// <summary>Operations of a sub-history listed in full before the list is elided.</summary>
    private const int ListedOperations = 40;

    /// <summary>
    /// The verdict line: <c>file: NotLinearizable (model etcd, 85 ops, 12 open, 1 key, 4.7 ms)</c>.
    /// </summary>
    public static string VerdictLine(CheckResult result)
    {
        string keys = result.Keys.Count == 1 ? "1 key" : $"{result.Keys.Count} keys";
        string dropped = result.DroppedOperations > 0 ? $", {result.DroppedOperations} failed and dropped" : "";
        string unknown = result.Verdict == Verdict.Unknown
            ? "; " + string.Join("; ", result.Keys.Where(k => k.Verdict == Verdict.Unknown).Select(k => k.Reason).Distinct())
            : "";
        return $"{result.Source}: {result.Verdict} (model {result.Model}, {result.Operations} ops, {result.OpenOperations} open{dropped}, " +
               $"{keys}, {Duration(result.Elapsed)}{unknown})";
    }

    /// <summary>The verdict line and, for each key that is not linearizable, what the search found.</summary>
    public static string Render(CheckResult result)
    {
        var text = new StringBuilder();
        text.Append(VerdictLine(result)).Append('\n');
        foreach (var key in result.Violations)
        {
            AppendViolation(text, key);
        }

        int stopped = result.Keys.Count(k => k.Verdict == Verdict.Unknown);
        if (result.Verdict == Verdict.NotLinearizable && stopped > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {stopped} other key(s) not decided: {result.Keys.First(k => k.Verdict == Verdict.Unknown).Reason}\n");
        }

        return text.ToString();
    }

    private static void AppendViolation(StringBuilder text, KeyResult key)
    {
        var v = key.Violation!;
        string name = key.Key is null ? "the register" : $"key {OperationText.Show(key.Key)}";
        text.Append(CultureInfo.InvariantCulture, $"  {name}: not linearizable ({key.Operations} ops, {key.States} states searched)\n");
        if (v.CannotPlace is { } stuck)
        {
            text.Append(CultureInfo.InvariantCulture, $"    the search placed at most {v.Linearized.Count} operations in order, then could not place\n");
            text.Append(CultureInfo.InvariantCulture, $"      {stuck}\n");
        }

        var forgotten = v.Forgotten.ToHashSet();
        int answered = v.Minimal.Count(o => !o.IsOpen);
        string minimal = v.MinimalIsOneMinimal ? "forgetting any other answer makes it linearizable" : "shrink stopped by its budget";
        text.Append(CultureInfo.InvariantCulture,
            $"    smallest failing sub-history found: {v.Minimal.Count} ops, {answered} with their answers ({minimal}):\n");
        foreach (var op in v.Minimal.Take(ListedOperations))
        {
            string note = forgotten.Contains(op.Index) ? "   (answer not needed)" : "";
            text.Append(CultureInfo.InvariantCulture, $"      {op}{note}\n");
        }

        if (v.Minimal.Count > ListedOperations)
        {
            text.Append(CultureInfo.InvariantCulture, $"      ... and {v.Minimal.Count - ListedOperations} more\n");
        }
    }

    internal static string Duration(TimeSpan t) => t.TotalSeconds >= 1
        ? t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
