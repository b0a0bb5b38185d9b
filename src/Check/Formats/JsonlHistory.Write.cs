using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FaultTolerant.Check;

/// <summary>Writing our JSON Lines format.</summary>
public static partial class JsonlHistory
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the header and one line per event.</summary>
    public static void Write(IEnumerable<HistoryEvent> events, TextWriter writer)
    {
        writer.Write(Header());
        writer.Write('\n');
        foreach (var e in events)
        {
            writer.Write(Line(e));
            writer.Write('\n');
        }
    }

    /// <summary>The header line, without its newline.</summary>
    public static string Header() => $"{{\"format\":\"{FormatName}\",\"version\":{Version}}}";

    /// <summary>One event as one line of JSON, without its newline.</summary>
    public static string Line(HistoryEvent e)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("process", e.Process);
            json.WriteString("type", e.Type.ToString().ToLowerInvariant());
            json.WriteString("f", e.F);
            if (e.Key is not null)
            {
                json.WriteString("key", e.Key);
            }

            json.WritePropertyName("value");
            if (e.F == "cas" && (e.Type == EventType.Invoke || e.Value is not null || e.NewValue is not null))
            {
                json.WriteStartArray();
                WriteValue(json, e.Value, numeric: false);
                WriteValue(json, e.NewValue, numeric: false);
                json.WriteEndArray();
            }
            else
            {
                WriteValue(json, e.Value, numeric: e.F == "incr");
            }

            json.WriteNumber("time", e.Time);
            if (e.Node is not null)
            {
                json.WriteString("node", e.Node);
            }

            if (e.Error is not null)
            {
                json.WriteString("error", e.Error);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteValue(Utf8JsonWriter json, string? value, bool numeric)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else if (numeric && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
                 && n.ToString(CultureInfo.InvariantCulture) == value)
        {
            json.WriteNumberValue(n);
        }
        else
        {
            json.WriteStringValue(value);
        }
    }
}
