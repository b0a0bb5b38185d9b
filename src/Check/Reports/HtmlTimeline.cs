using System.Globalization;
using System.Net;
using System.Text;

namespace FaultTolerant.Check;

/// <summary>One bar on a timeline: an operation, how to mark it, and what it says.</summary>
internal sealed record TimelineBar(Operation Op, string Css, string Label, string Tooltip);

/// <summary>
/// Draws operations as bars from call to return, one row per process (more lanes when a process has an
/// open operation and goes on), with time as the order of events rather than their spacing: intervals
/// nanoseconds apart stay readable next to ones seconds long.
/// </summary>
internal static class HtmlTimeline
{
    private const int LaneHeight = 26;
    private const int LabelWidth = 90;
    private const int MaxWidth = 1800;

    public static void Append(StringBuilder html, IReadOnlyList<TimelineBar> bars)
    {
        if (bars.Count == 0)
        {
            html.Append("<p class=\"note\">(no operations)</p>\n");
            return;
        }

        var times = bars.SelectMany(b => b.Op.Return is { } r ? new[] { b.Op.Call, r } : [b.Op.Call]).Distinct().Order().ToList();
        var rank = times.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        int columns = times.Count + 1; // the last column is "never answered"
        int column = Math.Clamp(MaxWidth / columns, 10, 40);
        int width = LabelWidth + (columns * column) + column;

        var rows = Lanes(bars, rank, columns);
        int height = rows.Sum(r => r.Lanes.Count) * LaneHeight;
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"timeline\"><div class=\"canvas\" style=\"width:{width}px;height:{height + 4}px\">\n");

        int top = 0;
        bool shaded = false;
        foreach (var (process, lanes) in rows)
        {
            shaded = !shaded;
            html.Append(CultureInfo.InvariantCulture,
                $"<div class=\"row{(shaded ? " alt" : "")}\" style=\"top:{top}px;height:{lanes.Count * LaneHeight}px;width:{width}px\"><span class=\"proc\">p{process}</span></div>\n");
            for (int lane = 0; lane < lanes.Count; lane++)
            {
                foreach (var bar in lanes[lane])
                {
                    int from = rank[bar.Op.Call];
                    int to = bar.Op.Return is { } r ? rank[r] : columns;
                    int left = LabelWidth + (from * column) + (column / 2);
                    int barWidth = Math.Max(column / 2, (to - from) * column);
                    html.Append(CultureInfo.InvariantCulture,
                        $"<div class=\"op {bar.Css}\" style=\"left:{left}px;top:{top + (lane * LaneHeight) + 3}px;width:{barWidth}px\" title=\"{Encode(bar.Tooltip)}\">{Encode(bar.Label)}</div>\n");
                }
            }

            top += lanes.Count * LaneHeight;
        }

        html.Append("</div></div>\n");
    }

    /// <summary>Rows by process; within a row, the fewest lanes such that no two bars in a lane overlap.</summary>
    private static List<(int Process, List<List<TimelineBar>> Lanes)> Lanes(IReadOnlyList<TimelineBar> bars, Dictionary<long, int> rank, int columns)
    {
        var rows = new List<(int, List<List<TimelineBar>>)>();
        foreach (var group in bars.GroupBy(b => b.Op.Process).OrderBy(g => g.Key))
        {
            var lanes = new List<List<TimelineBar>>();
            var ends = new List<int>();
            foreach (var bar in group.OrderBy(b => b.Op.Call))
            {
                int from = rank[bar.Op.Call];
                int to = bar.Op.Return is { } r ? rank[r] : columns;
                int lane = ends.FindIndex(e => e < from);
                if (lane < 0)
                {
                    lanes.Add([]);
                    ends.Add(0);
                    lane = lanes.Count - 1;
                }

                lanes[lane].Add(bar);
                ends[lane] = to;
            }

            rows.Add((group.Key, lanes));
        }

        return rows;
    }

    public static string Encode(string text) => WebUtility.HtmlEncode(text);
}
