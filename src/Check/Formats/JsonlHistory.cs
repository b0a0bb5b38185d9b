using System.Text.Json;

namespace FaultTolerant.Check;

/// <summary>
/// Our history format: JSON Lines, one event per line, optionally after a header line
/// <c>{"format":"faulttolerant-history","version":1}</c>. The full description is in docs/CHECKER.md.
/// </summary>
public static partial class JsonlHistory
{
    public const string FormatName = "faulttolerant-history";
    public const int Version = 1;

    /// <summary>Reads events, one per non-blank line.</summary>
    /// <exception cref="HistoryFormatException">A line is not a JSON object, a field is missing or has the wrong type, or the history does not pair up.</exception>
    /// <exception cref="UnsupportedHistoryVersionException">The header names another version.</exception>
    public static History Read(TextReader reader, string source = "") => Read(Lines(reader), source);

    internal static History Read(IEnumerable<string> lines, string source)
    {
        var events = new List<HistoryEvent>();
        bool? timed = null;
        int lineNumber = 0;
        foreach (string line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var e = ParseLine(line, source, lineNumber, events.Count == 0);
            if (e is null)
            {
                continue;
            }

            bool hasTime = e.Time >= 0;
            if (timed is { } t && t != hasTime)
            {
                throw new HistoryFormatException(source, lineNumber, "either every event has a \"time\" or none has");
            }

            timed = hasTime;
            events.Add(hasTime ? e : e with { Time = lineNumber });
        }

        return History.FromEvents(events, source, HistoryFormat.Jsonl);
    }

    private static IEnumerable<string> Lines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }

    /// <summary>The event on this line, or null for the header. Time is -1 when the line has none.</summary>
    private static HistoryEvent? ParseLine(string line, string source, int lineNumber, bool first)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new HistoryFormatException(source, lineNumber, "not valid JSON: " + ex.Message, ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad("expected a JSON object");
            }

            if (root.TryGetProperty("format", out _))
            {
                CheckHeader(root, source, lineNumber, first);
                return null;
            }

            int process = root.TryGetProperty("process", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out int pid)
                ? pid
                : throw Bad("\"process\" must be an integer");
            var type = Text(root, "type", required: true) switch
            {
                "invoke" => EventType.Invoke,
                "ok" => EventType.Ok,
                "fail" => EventType.Fail,
                "info" => EventType.Info,
                var other => throw Bad($"\"type\" must be invoke, ok, fail or info, not \"{other}\""),
            };
            string f = Text(root, "f", required: true)!;
            string? key = Scalar(root, "key");
            string? value = null;
            string? newValue = null;
            if (root.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.Array)
            {
                if (f != "cas" || v.GetArrayLength() != 2)
                {
                    throw Bad("only cas takes an array value, and it is [expected, new]");
                }

                value = ScalarOf(v[0], "value[0]");
                newValue = ScalarOf(v[1], "value[1]");
            }
            else
            {
                value = Scalar(root, "value");
            }

            long time = -1;
            if (root.TryGetProperty("time", out var t) && t.ValueKind != JsonValueKind.Null)
            {
                time = t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out long ns) && ns >= 0
                    ? ns
                    : throw Bad("\"time\" must be a non-negative integer (nanoseconds)");
            }

            return new HistoryEvent(process, type, f, key, value, newValue, time, Text(root, "node", required: false),
                Text(root, "error", required: false), lineNumber);
        }

        string? Scalar(JsonElement obj, string name) =>
            obj.TryGetProperty(name, out var el) ? ScalarOf(el, name) : null;

        string? ScalarOf(JsonElement el, string name) => el.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => el.GetString(),
            JsonValueKind.Number => el.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => throw Bad($"\"{name}\" must be a string, a number or null"),
        };

        string? Text(JsonElement obj, string name, bool required)
        {
            if (!obj.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null)
            {
                return required ? throw Bad($"\"{name}\" is missing") : null;
            }

            return el.ValueKind == JsonValueKind.String ? el.GetString() : throw Bad($"\"{name}\" must be a string");
        }

        HistoryFormatException Bad(string problem) => new(source, lineNumber, problem);
    }

    private static void CheckHeader(JsonElement root, string source, int lineNumber, bool first)
    {
        if (!first)
        {
            throw new HistoryFormatException(source, lineNumber, "the header must be the first line");
        }

        if (root.GetProperty("format").ValueKind != JsonValueKind.String || root.GetProperty("format").GetString() != FormatName)
        {
            throw new HistoryFormatException(source, lineNumber, $"\"format\" must be \"{FormatName}\"");
        }

        int version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)
            ? n
            : throw new HistoryFormatException(source, lineNumber, "the header has no integer \"version\"");
        if (version != Version)
        {
            throw new UnsupportedHistoryVersionException(source, lineNumber, version, Version);
        }
    }
}
