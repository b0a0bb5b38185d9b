using System.Globalization;
using System.Text;

namespace FaultTolerant.Check;

/// <summary>
/// A self-contained HTML page (no scripts, no external files) for one checked history: the verdict, every
/// key's result, and for each key that is not linearizable two timelines: the smallest failing
/// sub-history, and the key's whole history with the order the search managed and the operation it could not place.
/// </summary>
public static class HtmlReport
{
    /// <summary>A key's whole history is drawn only up to this many operations.</summary>
    private const int MaxDrawnOperations = 3000;

    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
        h1{font-size:20px;margin:0 0 8px} h2{font-size:17px;margin:28px 0 6px} h3{font-size:15px;margin:18px 0 4px}
        table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
        .Linearizable{color:#1a7f37;font-weight:600} .NotLinearizable{color:#c62828;font-weight:600} .Unknown{color:#9a6700;font-weight:600}
        .note{color:#555} code{background:#f3f3f3;padding:1px 4px}
        .timeline{overflow-x:auto;border:1px solid #ddd;margin:6px 0 12px;background:#fff}
        .canvas{position:relative}
        .row{position:absolute;left:0;border-bottom:1px solid #eee}
        .row.alt{background:#f6f8fa}
        .proc{position:absolute;left:6px;top:4px;color:#555;font-size:12px}
        .op{position:absolute;height:19px;box-sizing:border-box;border:1px solid #8aa;background:#dfecf0;border-radius:3px;
            font-size:11px;line-height:17px;padding:0 3px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        .op.open{border-style:dashed;background:#f4f4f4;color:#666}
        .op.forgotten{border-style:dashed;background:#f7f3ea;color:#777}
        .op.core{border:2px solid #c62828;background:#fde7e7;line-height:15px}
        .op.placed{border-color:#2e7d32;background:#e3f3e4}
        .op.stuck{border:2px solid #c62828;background:#ffb3b3;font-weight:600;line-height:15px}
        .op.inminimal{box-shadow:inset 0 -3px 0 #e0a000}
        .legend span{display:inline-block;margin-right:14px} .legend .op{position:static;display:inline-block;width:70px;vertical-align:middle}
        """;

    /// <summary>The page for a result. <paramref name="history"/> must be the history that was checked.</summary>
    public static string Render(CheckResult result, History history, Model model)
    {
        var html = new StringBuilder();
        string title = Path.GetFileName(result.Source);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(Encode(title.Length == 0 ? "history" : title)).Append(" — ").Append(result.Verdict).Append("</title>\n<style>")
            .Append(Style).Append("</style></head><body>\n");
        html.Append(CultureInfo.InvariantCulture,
            $"<h1>{Encode(result.Source)}: <span class=\"{result.Verdict}\">{result.Verdict}</span></h1>\n");
        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"note\">model <code>{Encode(result.Model)}</code> · {result.Operations} operations · {result.OpenOperations} open (never answered, or timed out) · " +
            $"{result.DroppedOperations} failed and dropped · {result.Keys.Count} key(s) · checked in {TextReport.Duration(result.Elapsed)}</p>\n");

        AppendKeys(html, result);
        var byKey = history.Operations.GroupBy(model.PartitionKey).ToDictionary(g => g.Key ?? "\0", g => g.ToList());
        foreach (var key in result.Violations)
        {
            AppendViolation(html, key, byKey.GetValueOrDefault(key.Key ?? "\0") ?? []);
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void AppendKeys(StringBuilder html, CheckResult result)
    {
        html.Append("<table><tr><th>key</th><th>verdict</th><th>operations</th><th>open</th><th>states searched</th><th>time</th><th>note</th></tr>\n");
        foreach (var k in result.Keys)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{Encode(KeyName(k))}</td><td class=\"{k.Verdict}\">{k.Verdict}</td><td>{k.Operations}</td><td>{k.OpenOperations}</td>" +
                $"<td>{k.States}</td><td>{TextReport.Duration(k.Elapsed)}</td><td>{Encode(k.Reason ?? "")}</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    private static void AppendViolation(StringBuilder html, KeyResult key, List<Operation> all)
    {
        var v = key.Violation!;
        var forgotten = v.Forgotten.ToHashSet();
        var minimalIndices = v.Minimal.Select(o => o.Index).ToHashSet();
        int stuck = v.CannotPlace?.Index ?? -1;
        var original = all.ToDictionary(o => o.Index);

        html.Append(CultureInfo.InvariantCulture, $"<h2>{Encode(KeyName(key))}: <span class=\"NotLinearizable\">not linearizable</span></h2>\n");
        if (v.CannotPlace is { } op)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p>The search placed at most {v.Linearized.Count} of {key.Operations} operations in a legal order, then found no way to place " +
                $"<code>{Encode(op.ToString())}</code> before it returned.</p>\n");
        }

        string minimality = v.MinimalIsOneMinimal
            ? "Forgetting any one more answer would make it linearizable."
            : "The shrink ran out of budget; a smaller one may exist.";
        html.Append(CultureInfo.InvariantCulture, $"<h3>Smallest failing sub-history found: {v.Minimal.Count} operations</h3>\n")
            .Append("<p class=\"note\">Red: answers that together are impossible. Dashed: operations that may or may not have taken effect — ")
            .Append("open in the history, or answered but the answer is not needed to show the violation. Nothing here constrains more than ")
            .Append("the history did, so this failing means the history fails. ").Append(minimality).Append("</p>\n");
        AppendLegend(html);
        HtmlTimeline.Append(html, v.Minimal.Select(o =>
        {
            string css = forgotten.Contains(o.Index) ? "forgotten" : o.IsOpen ? "open" : "core";
            if (o.Index == stuck)
            {
                css = "stuck";
            }

            string label = forgotten.Contains(o.Index) && original.TryGetValue(o.Index, out var was) ? $"{o.Label} (was {was.Label})" : o.Label;
            return new TimelineBar(o, css, label, Tooltip(o, forgotten.Contains(o.Index) ? "answer not needed for the violation" : null));
        }).ToList());

        if (all.Count > MaxDrawnOperations)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"note\">The key's whole history ({all.Count} operations) is too long to draw here.</p>\n");
            return;
        }

        var order = v.Linearized.Select((index, position) => (index, position)).ToDictionary(x => x.index, x => x.position + 1);
        html.Append(CultureInfo.InvariantCulture, $"<h3>Whole history of this key: {all.Count} operations</h3>\n")
            .Append("<p class=\"note\">Green, numbered: the longest order the search could build. Bold red: the operation it could ")
            .Append("not place. Amber underline: in the sub-history above.</p>\n");
        HtmlTimeline.Append(html, all.Select(o =>
        {
            string css = o.Index == stuck ? "stuck" : order.ContainsKey(o.Index) ? "placed" : o.IsOpen ? "open" : "";
            if (minimalIndices.Contains(o.Index))
            {
                css += " inminimal";
            }

            string label = order.TryGetValue(o.Index, out int n) ? $"{n}. {o.Label}" : o.Label;
            return new TimelineBar(o, css, label, Tooltip(o, order.TryGetValue(o.Index, out int at) ? $"placed {at} of {v.Linearized.Count}" : null));
        }).ToList());
    }

    private static void AppendLegend(StringBuilder html) =>
        html.Append("<p class=\"legend\"><span><span class=\"op core\">answer</span> answered, needed</span>" +
                    "<span><span class=\"op stuck\">stuck</span> could not be placed</span>" +
                    "<span><span class=\"op forgotten\">forgotten</span> answer not needed</span>" +
                    "<span><span class=\"op open\">open</span> never answered</span></p>\n");

    private static string Tooltip(Operation op, string? note) => op + (note is null ? "" : "\n" + note);

    private static string KeyName(KeyResult k) => k.Key is null ? "(single register)" : "key " + OperationText.Show(k.Key);

    private static string Encode(string text) => HtmlTimeline.Encode(text);
}
