using System.Text;

namespace FaultTolerant.Check;

/// <summary>
/// Reads Jepsen histories written as one EDN map per line:
/// <c>{:process 0, :type :ok, :f :get, :key "5", :value ""}</c>. Only flat maps of integers, keywords,
/// strings and nil are understood; a non-integer process (the nemesis) is skipped.
/// </summary>
internal static class KvEdnParser
{
    public static History Parse(IEnumerable<string> lines, string source)
    {
        var events = new List<HistoryEvent>();
        int lineNumber = 0;
        foreach (string line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var map = ReadMap(line, source, lineNumber);
            if (ToEvent(map, source, lineNumber) is { } e)
            {
                events.Add(e);
            }
        }

        return History.FromEvents(events, source, HistoryFormat.KvEdn);
    }

    /// <summary>A parsed EDN atom: a keyword keeps its colon, a string does not have quotes, nil is null.</summary>
    private readonly record struct Atom(string? Text, bool IsString);

    private static HistoryEvent? ToEvent(Dictionary<string, Atom> map, string source, int lineNumber)
    {
        if (!map.TryGetValue(":process", out var p) || p.IsString || !int.TryParse(p.Text, out int process))
        {
            return map.ContainsKey(":process") ? null : throw Bad("no :process");
        }

        var type = Keyword(":type") switch
        {
            "invoke" => EventType.Invoke,
            "ok" => EventType.Ok,
            "fail" => EventType.Fail,
            "info" => EventType.Info,
            var other => throw Bad($":type must be :invoke, :ok, :fail or :info, not :{other}"),
        };
        string f = Keyword(":f");
        string? key = map.TryGetValue(":key", out var k) ? k.Text : null;
        string? value = map.TryGetValue(":value", out var v) ? v.Text : null;
        string? error = map.TryGetValue(":error", out var err) ? err.Text?.TrimStart(':') : null;
        return new HistoryEvent(process, type, f, key, value, null, lineNumber, Error: error, Line: lineNumber);

        string Keyword(string name) =>
            map.TryGetValue(name, out var a) && !a.IsString && a.Text is { Length: > 1 } t && t[0] == ':'
                ? t[1..]
                : throw Bad($"{name} must be a keyword");

        HistoryFormatException Bad(string problem) => new(source, lineNumber, problem);
    }

    private static Dictionary<string, Atom> ReadMap(string line, string source, int lineNumber)
    {
        var map = new Dictionary<string, Atom>(StringComparer.Ordinal);
        int i = Skip(line, 0);
        if (i >= line.Length || line[i] != '{')
        {
            throw Bad(i, "expected '{'");
        }

        i++;
        while (true)
        {
            i = Skip(line, i);
            if (i >= line.Length)
            {
                throw Bad(i, "the map is not closed with '}'");
            }

            if (line[i] == '}')
            {
                break;
            }

            var key = ReadAtom(line, ref i);
            if (key.IsString || key.Text is null || key.Text[0] != ':')
            {
                throw Bad(i, "map keys must be keywords");
            }

            i = Skip(line, i);
            map[key.Text] = ReadAtom(line, ref i);
        }

        if (Skip(line, i + 1) < line.Length)
        {
            throw Bad(i + 1, "text after the closing '}'");
        }

        return map;

        Atom ReadAtom(string s, ref int pos)
        {
            if (pos >= s.Length)
            {
                throw Bad(pos, "a value is missing");
            }

            if (s[pos] == '"')
            {
                var text = new StringBuilder();
                pos++;
                while (pos < s.Length && s[pos] != '"')
                {
                    if (s[pos] == '\\' && pos + 1 < s.Length)
                    {
                        pos++;
                        text.Append(s[pos] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var c => c });
                    }
                    else
                    {
                        text.Append(s[pos]);
                    }

                    pos++;
                }

                if (pos >= s.Length)
                {
                    throw Bad(pos, "a string is not closed");
                }

                pos++;
                return new Atom(text.ToString(), true);
            }

            int start = pos;
            while (pos < s.Length && !char.IsWhiteSpace(s[pos]) && s[pos] is not (',' or '}' or '{' or '[' or '"'))
            {
                pos++;
            }

            if (pos == start)
            {
                throw Bad(pos, $"unexpected '{s[pos]}' (only integers, keywords, strings and nil are understood)");
            }

            string token = s[start..pos];
            return new Atom(token == "nil" ? null : token, false);
        }

        HistoryFormatException Bad(int column, string problem) => new(source, lineNumber, $"column {column + 1}: {problem}");
    }

    // EDN treats commas as whitespace.
    private static int Skip(string s, int i)
    {
        while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] == ','))
        {
            i++;
        }

        return i;
    }
}
