using System.Globalization;
using System.Text;

namespace FaultTolerant.Bench;

internal enum Verdict
{
    Pass,
    Miss,

    /// <summary>Context only: no target applies.</summary>
    Info,

    /// <summary>Not measured (a prerequisite is missing); the note says why.</summary>
    Skipped,
}

/// <summary>One line of the results table: a figure, its reference measured in the same run, and their ratio.</summary>
internal sealed record Row(string Figure, string Measured, string Reference, double? Ratio, string Target, Verdict Verdict);

/// <summary>Collects rows and notes, prints them as a table and writes them as markdown.</summary>
internal sealed class Report(string title)
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine($"  -> {row.Figure}: {row.Measured} vs {row.Reference}; ratio {FormatRatio(row.Ratio)}, target {row.Target}: {row.Verdict}");
    }

    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine($"     note: {note}");
    }

    public static Verdict AtLeast(double ratio, double target) => ratio >= target ? Verdict.Pass : Verdict.Miss;

    public static Verdict AtMost(double ratio, double target) => ratio <= target ? Verdict.Pass : Verdict.Miss;

    private static string FormatRatio(double? ratio) => ratio is { } r ? r.ToString(r >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture) + "×" : "—";

    private static string FormatVerdict(Verdict v) => v switch
    {
        Verdict.Pass => "PASS",
        Verdict.Miss => "MISS",
        Verdict.Info => "info",
        _ => "skipped",
    };

    private static readonly string[] _headers = ["Figure", "Measured", "Reference (same run)", "Ratio", "Target", "Result"];

    private IEnumerable<string[]> Cells() =>
        _rows.Select(r => new[] { r.Figure, r.Measured, r.Reference, FormatRatio(r.Ratio), r.Target, FormatVerdict(r.Verdict) });

    public void Print(Machine machine)
    {
        var cells = Cells().ToList();
        var widths = _headers.Select((h, i) => cells.Select(c => c[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] c) => string.Join(" │ ", c.Select((s, i) => s.PadRight(widths[i]))).TrimEnd();
        Console.WriteLine();
        Console.WriteLine($"{title} — {machine.Summary}");
        Console.WriteLine(Line(_headers));
        Console.WriteLine(string.Join("─┼─", widths.Select(w => new string('─', w))));
        foreach (var c in cells) Console.WriteLine(Line(c));
        if (_notes.Count > 0)
        {
            Console.WriteLine();
            foreach (var n in _notes) Console.WriteLine($"* {n}");
        }
    }

    public string Markdown(Machine machine, string command)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine.Summary}; run at {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        md.AppendLine();
        md.AppendLine("| " + string.Join(" | ", _headers) + " |");
        md.AppendLine("|" + string.Concat(_headers.Select((_, i) => i == 3 ? "---:|" : "---|")));
        foreach (var c in Cells()) md.AppendLine("| " + string.Join(" | ", c.Select(s => s.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        if (_notes.Count > 0)
        {
            md.AppendLine();
            foreach (var n in _notes) md.AppendLine(CultureInfo.InvariantCulture, $"- {n}");
        }
        return md.ToString();
    }
}
