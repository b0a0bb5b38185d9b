using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FaultTolerant.Cluster.Cli;

/// <summary><c>ft status</c> as readable tables: nodes, then guests with their live figures.</summary>
internal static class StatusTable
{
    public static string Render(JsonElement status)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"coordinator {Str(status, "coordinator")}, majority: {(status.GetProperty("majority").GetBoolean() ? "yes" : "NO (no decisions are made)")}");
        text.AppendLine();
        var nodes = status.GetProperty("nodes").EnumerateArray()
            .Select(n => new[] { Str(n, "address"), Str(n, "role"), Str(n, "status"), n.GetProperty("reachable").GetBoolean() ? "reachable" : "UNREACHABLE" })
            .ToList();
        Table(text, ["NODE", "ROLE", "STATUS", "REACHABILITY"], nodes);
        text.AppendLine();
        var guests = status.GetProperty("guests").EnumerateArray().Select(g =>
        {
            var e = g.GetProperty("entry");
            return new[]
            {
                Str(e, "name"), Str(e, "phase"), Short(Str(e, "primary")),
                string.Join(" ", e.GetProperty("backups").EnumerateArray().Select(b => Short(b.GetString() ?? ""))),
                Num(e, "generation"), Num(g, "epoch"),
                g.GetProperty("epochsPerSecond").GetDouble().ToString("0", CultureInfo.InvariantCulture) + "/s",
                g.GetProperty("pauseMilliseconds").GetDouble().ToString("0.00", CultureInfo.InvariantCulture) + " ms",
                Num(g, "lagEpochs"), Num(g, "heldOutputBytes") + " B",
            };
        }).ToList();
        if (guests.Count == 0) text.AppendLine("no guests");
        else Table(text, ["GUEST", "PHASE", "PRIMARY", "BACKUPS", "GEN", "EPOCH", "RATE", "PAUSE", "LAG", "HELD"], guests);
        return text.ToString().TrimEnd();
    }

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString() ?? "";

    private static string Num(JsonElement e, string name) => e.GetProperty(name).GetRawText();

    /// <summary>akka.tcp://ft@127.0.0.1:4053 → 127.0.0.1:4053.</summary>
    private static string Short(string address) => address.Contains('@', StringComparison.Ordinal) ? address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..] : address;

    private static void Table(StringBuilder text, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        text.AppendLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows) text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }
}
