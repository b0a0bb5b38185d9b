namespace FaultTolerant.Check;

/// <summary>Reads a history in any of the formats we know, telling which from the content.</summary>
public static class HistoryReader
{
    /// <summary>How many leading lines are searched for an etcd log's marker (its first lines may be noise).</summary>
    private const int EtcdSniffLines = 200;

    /// <summary>Reads and parses a file.</summary>
    /// <exception cref="HistoryFormatException">The content is in no known format or is malformed; the message names the file and line.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> if it does not exist).</exception>
    public static History ReadFile(string path) => Read(File.ReadAllLines(path), path);

    /// <summary>Reads everything from <paramref name="reader"/>; <paramref name="source"/> names it in errors.</summary>
    public static History Read(TextReader reader, string source = "")
    {
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return Read(lines, source);
    }

    /// <summary>The format of these lines.</summary>
    /// <exception cref="HistoryFormatException">Empty, or in no known format.</exception>
    public static HistoryFormat Detect(IReadOnlyList<string> lines, string source = "")
    {
        int first = -1;
        for (int i = 0; i < lines.Count && i < EtcdSniffLines; i++)
        {
            if (lines[i].Contains("jepsen.util - ", StringComparison.Ordinal))
            {
                return HistoryFormat.EtcdLog;
            }

            if (first < 0 && !string.IsNullOrWhiteSpace(lines[i]))
            {
                first = i;
            }
        }

        if (first < 0)
        {
            first = lines.ToList().FindIndex(l => !string.IsNullOrWhiteSpace(l));
        }

        if (first < 0)
        {
            throw new HistoryFormatException(source, 0, "the file is empty: no history in it");
        }

        string start = lines[first].TrimStart();
        if (start.StartsWith('{'))
        {
            string inside = start[1..].TrimStart();
            if (inside.StartsWith('"') || inside.StartsWith('}'))
            {
                return HistoryFormat.Jsonl;
            }

            if (inside.StartsWith(':'))
            {
                return HistoryFormat.KvEdn;
            }
        }

        throw new HistoryFormatException(source, first + 1,
            "unknown format: expected JSON Lines ({\"process\":...}), Jepsen EDN ({:process ...}) or a Jepsen etcd log (jepsen.util - ...)");
    }

    private static History Read(IReadOnlyList<string> lines, string source) => Detect(lines, source) switch
    {
        HistoryFormat.EtcdLog => EtcdLogParser.Parse(lines, source),
        HistoryFormat.KvEdn => KvEdnParser.Parse(lines, source),
        _ => JsonlHistory.Read(lines, source),
    };
}
