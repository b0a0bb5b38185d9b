namespace FaultTolerant.Check;

/// <summary>
/// Reads Jepsen's etcd logs (lines like <c>INFO  jepsen.util - 3	:invoke	:cas	[4 0]</c>; everything else is
/// noise) and translates them into our events: <c>:fail :cas</c> is a compare that did not match, a result;
/// <c>:fail :read</c> (a timed-out read) and any <c>:info</c> leave the operation open.
/// </summary>
internal static class EtcdLogParser
{
    private const string Marker = "jepsen.util - ";

    public static History Parse(IEnumerable<string> lines, string source)
    {
        var events = new List<HistoryEvent>();
        int lineNumber = 0;
        foreach (string line in lines)
        {
            lineNumber++;
            if (ParseLine(line, source, lineNumber) is { } e)
            {
                events.Add(e);
            }
        }

        return History.FromEvents(events, source, HistoryFormat.EtcdLog);
    }

    private static HistoryEvent? ParseLine(string line, string source, int lineNumber)
    {
        int at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        // Tabs in most files, spaces in some: split the first three fields on any whitespace, the rest is the value.
        var rest = line.AsSpan(at + Marker.Length);
        var process = NextField(ref rest);
        if (!int.TryParse(process, out int pid))
        {
            return null; // the nemesis and other non-client lines
        }

        string type = NextField(ref rest).ToString();
        string f = NextField(ref rest).ToString();
        string value = rest.Trim().ToString();
        if (!f.StartsWith(':') || f.Length < 2)
        {
            throw Bad($"expected a function like :read, found '{f}'");
        }

        f = f[1..];
        return type switch
        {
            ":invoke" => Invoke(pid, f, value, lineNumber),
            ":ok" when f == "cas" => Event(pid, EventType.Ok, f, null, null, lineNumber),
            ":ok" => Event(pid, EventType.Ok, f, Scalar(value), null, lineNumber),
            ":fail" when f == "cas" => Event(pid, EventType.Fail, f, null, "mismatch", lineNumber),
            ":fail" when f == "read" => Event(pid, EventType.Info, f, null, null, lineNumber),
            ":fail" => Event(pid, EventType.Fail, f, null, value, lineNumber),
            ":info" => Event(pid, EventType.Info, f, null, null, lineNumber),
            _ => throw Bad($"expected :invoke, :ok, :fail or :info, found '{type}'"),
        };

        HistoryEvent Invoke(int process, string function, string argument, int number)
        {
            if (function != "cas")
            {
                return new HistoryEvent(process, EventType.Invoke, function, null, Scalar(argument), null, number, Line: number);
            }

            var parts = argument.Length > 2 && argument[0] == '[' && argument[^1] == ']'
                ? argument[1..^1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
                : [];
            return parts.Length == 2
                ? new HistoryEvent(process, EventType.Invoke, function, null, Scalar(parts[0]), Scalar(parts[1]), number, Line: number)
                : throw Bad($"a cas takes [expected new], found '{argument}'");
        }

        HistoryFormatException Bad(string problem) => new(source, lineNumber, problem);
    }

    private static HistoryEvent Event(int process, EventType type, string f, string? value, string? error, int line) =>
        new(process, type, f, null, value, null, line, Error: error, Line: line);

    private static string? Scalar(string token) => token == "nil" ? null : token;

    private static ReadOnlySpan<char> NextField(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart();
        int end = 0;
        while (end < rest.Length && !char.IsWhiteSpace(rest[end]))
        {
            end++;
        }

        var field = rest[..end];
        rest = rest[end..];
        return field;
    }
}
