using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FaultTolerant.Replica.Primary;

/// <summary>
/// The journal's file format, JSON Lines: each time a process opens the journal, a header line
/// <c>{"format":"faulttolerant-releases","version":1,"node":"worker-a","pid":1234,"openedUtc":"..."}</c>, then one line per span:
/// <c>{"guest":"kv","node":"worker-a","generation":3,"firstUtc":"2026-11-24T16:36:01.1234567Z","lastUtc":"...","firstEpoch":812,"lastEpoch":815,"releases":4}</c>,
/// and one per promotion of a backup on this node:
/// <c>{"event":"promoted","guest":"kv","node":"worker-a","generation":4,"atUtc":"...","fromGeneration":3,"fromEpoch":815}</c>.
/// </summary>
public sealed partial class ReleaseJournal
{
    public const string Format = "faulttolerant-releases";

    public const int Version = 1;

    private static string HeaderLine(string node, int pid, DateTime openedUtc) => new JsonObject
    {
        ["format"] = Format,
        ["version"] = Version,
        ["node"] = node,
        ["pid"] = pid,
        ["openedUtc"] = openedUtc.ToString("O", CultureInfo.InvariantCulture),
    }.ToJsonString();

    private static string SpanLine(ReleaseSpan span) => new JsonObject
    {
        ["guest"] = span.Guest,
        ["node"] = span.Node,
        ["generation"] = span.Generation,
        ["firstUtc"] = span.FirstUtc.ToString("O", CultureInfo.InvariantCulture),
        ["lastUtc"] = span.LastUtc.ToString("O", CultureInfo.InvariantCulture),
        ["firstEpoch"] = span.FirstEpoch,
        ["lastEpoch"] = span.LastEpoch,
        ["releases"] = span.Releases,
    }.ToJsonString();

    private static string PromotionLine(Promotion p) => new JsonObject
    {
        ["event"] = "promoted",
        ["guest"] = p.Guest,
        ["node"] = p.Node,
        ["generation"] = p.Generation,
        ["atUtc"] = p.AtUtc.ToString("O", CultureInfo.InvariantCulture),
        ["fromGeneration"] = p.FromGeneration,
        ["fromEpoch"] = p.FromEpoch,
    }.ToJsonString();

    /// <summary>
    /// Every span of a journal file. Header lines are checked and skipped; a last line cut short (the node was killed
    /// while writing it) is skipped too, as is anything else that does not parse, counted in <paramref name="skipped"/>.
    /// </summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">A header names another format or version.</exception>
    public static List<ReleaseSpan> Read(string path, out int skipped)
    {
        var content = ReadFile(path);
        skipped = content.Skipped;
        return content.Spans;
    }

    /// <summary>Every span and promotion of a journal file (see <see cref="Read"/>).</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">A header names another format or version.</exception>
    public static JournalContent ReadFile(string path)
    {
        var spans = new List<ReleaseSpan>();
        var promotions = new List<Promotion>();
        int skipped = 0;
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement e;
            try
            {
                using var document = JsonDocument.Parse(line);
                e = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                skipped++;
                continue;
            }
            if (e.TryGetProperty("format", out var format))
            {
                if (format.GetString() != Format || !e.TryGetProperty("version", out var v) || v.GetInt32() != Version)
                {
                    throw new InvalidDataException($"{path}:{number}: not a release journal of version {Version} ({line})");
                }
                continue;
            }
            try
            {
                if (e.TryGetProperty("event", out var kind) && kind.GetString() == "promoted")
                {
                    promotions.Add(new Promotion(
                        e.GetProperty("guest").GetString()!,
                        e.GetProperty("node").GetString()!,
                        e.GetProperty("generation").GetUInt64(),
                        e.GetProperty("atUtc").GetDateTime().ToUniversalTime(),
                        e.GetProperty("fromGeneration").GetUInt64(),
                        e.GetProperty("fromEpoch").GetUInt64()));
                    continue;
                }
                spans.Add(new ReleaseSpan(
                    e.GetProperty("guest").GetString()!,
                    e.GetProperty("node").GetString()!,
                    e.GetProperty("generation").GetUInt64(),
                    e.GetProperty("firstUtc").GetDateTime().ToUniversalTime(),
                    e.GetProperty("lastUtc").GetDateTime().ToUniversalTime(),
                    e.GetProperty("firstEpoch").GetUInt64(),
                    e.GetProperty("lastEpoch").GetUInt64(),
                    e.GetProperty("releases").GetInt64()));
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                skipped++;
            }
        }
        return new JournalContent(spans, promotions, skipped);
    }
}
