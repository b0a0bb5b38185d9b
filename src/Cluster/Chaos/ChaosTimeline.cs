using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>
/// The campaign's timeline as one self-contained HTML page (no scripts): the faults as bars, the stretches without any
/// successful operation, and one row per client with its operations in 100 ms buckets (green: all ok, orange: some
/// outcome unknown, red: some refused, blank: nothing completed). The linearizability report is the checker's own
/// page (check.html), linked from here.
/// </summary>
internal static class ChaosTimeline
{
    private const double PixelsPerSecond = 12;
    private const int Label = 110;
    private const int RowHeight = 16;
    private static readonly double BucketSeconds = 0.1;

    public static string Render(ChaosReport report, IReadOnlyCollection<OpRecord> ops, long start, string? checkPage)
    {
        double end = Math.Max(report.ElapsedSeconds, 1);
        int width = Label + (int)Math.Ceiling(end * PixelsPerSecond) + 20;
        var clients = ops.GroupBy(o => o.Process).OrderBy(g => g.Key).ToList();
        int rows = 2 + clients.Count;
        int height = 24 + (rows * (RowHeight + 4)) + 10;
        double X(double seconds) => Label + (seconds * PixelsPerSecond);
        double Seconds(long timestamp) => Stopwatch.GetElapsedTime(start, timestamp).TotalSeconds;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n");
        for (int s = 0; s <= end; s += 5)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(s):0.#}\" y1=\"14\" x2=\"{X(s):0.#}\" y2=\"{height}\" stroke=\"#eee\"/><text x=\"{X(s) + 2:0.#}\" y=\"11\" fill=\"#777\">{s}s</text>\n");
        }
        int y = 20;
        Row("faults");
        foreach (var f in report.FaultList)
        {
            string color = f.Kind switch { "kill" => "#c62828", "pause" => "#6a1b9a", _ => "#1565c0" };
            double w = Math.Max(2, f.HeldSeconds * PixelsPerSecond);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(f.AtSeconds):0.#}\" y=\"{y}\" width=\"{w:0.#}\" height=\"{RowHeight}\" fill=\"{color}\"><title>{Encode($"fault {f.Number}: {f.Description}; clients waited up to {f.UnavailableSeconds:0.000} s")}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(f.AtSeconds) + w:0.#}\" y=\"{y + 5}\" width=\"{Math.Max(1, f.RecoverySeconds * PixelsPerSecond):0.#}\" height=\"{RowHeight - 10}\" fill=\"{color}\" opacity=\"0.3\"><title>recovery: {f.RecoverySeconds:0.0} s</title></rect>\n");
        }
        y += RowHeight + 4;
        Row("no ok at all");
        foreach (var o in report.Unavailability)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(o.FromSeconds):0.#}\" y=\"{y}\" width=\"{Math.Max(1, o.Seconds * PixelsPerSecond):0.#}\" height=\"{RowHeight}\" fill=\"#555\"><title>{o.Seconds:0.000} s without a successful operation</title></rect>\n");
        }
        y += RowHeight + 4;
        foreach (var client in clients)
        {
            Row(client.First().Process >= report.Clients ? $"final read {client.Key}" : $"client {client.Key}");
            foreach (var bucket in client.GroupBy(o => (int)(Seconds(o.Completed) / BucketSeconds)).OrderBy(b => b.Key))
            {
                string color = bucket.Any(o => o.Outcome == Outcome.Fail) ? "#e53935" : bucket.Any(o => o.Outcome == Outcome.Info) ? "#fb8c00" : "#43a047";
                var nodes = string.Join(", ", bucket.Select(o => o.Node).Distinct());
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{X(bucket.Key * BucketSeconds):0.#}\" y=\"{y}\" width=\"{BucketSeconds * PixelsPerSecond:0.#}\" height=\"{RowHeight}\" fill=\"{color}\"><title>{bucket.Count()} ops via {Encode(nodes)}: {bucket.Count(o => o.Outcome == Outcome.Ok)} ok, {bucket.Count(o => o.Outcome == Outcome.Info)} info, {bucket.Count(o => o.Outcome == Outcome.Fail)} fail</title></rect>");
            }
            svg.Append('\n');
            y += RowHeight + 4;
        }
        svg.Append("</svg>\n");

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ft chaos — seed ").Append(report.Seed).Append("</title>\n")
            .Append("<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222} pre{background:#f6f8fa;padding:8px;overflow-x:auto} .scroll{overflow-x:auto;border:1px solid #ddd}</style></head><body>\n")
            .Append("<h1>ft chaos, seed ").Append(report.Seed).Append(": ").Append(report.Passed ? "PASS" : "FAIL").Append("</h1>\n")
            .Append("<p>Faults: <span style=\"color:#c62828\">■ kill</span> <span style=\"color:#6a1b9a\">■ pause</span> <span style=\"color:#1565c0\">■ partition</span> (light: until the guest was protected again). ")
            .Append("Clients, per 100 ms: <span style=\"color:#43a047\">■ ok</span> <span style=\"color:#fb8c00\">■ outcome unknown (timeout)</span> <span style=\"color:#e53935\">■ refused</span>. Hover for details.");
        if (checkPage is not null) html.Append(" Linearizability: <a href=\"").Append(checkPage).Append("\">").Append(checkPage).Append("</a>.");
        html.Append("</p>\n<div class=\"scroll\">").Append(svg).Append("</div>\n<pre>").Append(Encode(report.ToText())).Append("</pre>\n</body></html>\n");
        return html.ToString();

        void Row(string name) => svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{y + 12}\" fill=\"#555\">{Encode(name)}</text>\n");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
