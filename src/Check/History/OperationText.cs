using System.Globalization;

namespace FaultTolerant.Check;

/// <summary>How operations read in text reports and on the HTML timeline.</summary>
internal static class OperationText
{
    /// <summary>Values longer than this are cut short in labels (a bar has little room); descriptions show them whole.</summary>
    private const int LabelValueLength = 60;

    public static string Label(Operation op) => Label(op, LabelValueLength);

    private static string Label(Operation op, int max)
    {
        string Shown(string? value) => Show(value, max);

        string open = op.IsOpen ? " ?" : "";
        return op.F switch
        {
            "read" or "get" => op.IsOpen ? op.F + " ?" : $"{op.F} → {Shown(op.Result)}",
            "cas" => $"cas {Shown(op.Value)}→{Shown(op.NewValue)}" + (op.Status == OperationStatus.Fail ? " ✗" : open),
            "incr" => op.Status switch
            {
                OperationStatus.Ok => $"incr{Delta(op.Value)} → {Shown(op.Result)}",
                OperationStatus.Fail => $"incr{Delta(op.Value)} ✗ not an integer",
                _ => $"incr{Delta(op.Value)} ?",
            },
            _ => $"{op.F} {Shown(op.Value)}" + open,
        };
    }

    /// <summary>One line with everything a reader needs to find the operation in the raw history.</summary>
    public static string Describe(Operation op)
    {
        string key = op.Key is null ? "" : $" key {Show(op.Key)}";
        string node = op.Node is null ? "" : $" on {op.Node}";
        string ret = op.Return is { } r ? r.ToString(CultureInfo.InvariantCulture) : "∞";
        string line = op.Line > 0 ? $", line {op.Line}" : "";
        return $"#{op.Index} p{op.Process}{node}{key}: {Label(op, int.MaxValue)} [{op.Call}, {ret}]{line}";
    }

    public static string Show(string? value, int max = int.MaxValue) => value is null ? "nil" : IsPlain(value) ? value : Quote(value, max);

    private static string Delta(string? delta) => delta is null or "1" ? "" : " " + delta;

    private static bool IsPlain(string value) =>
        value.Length > 0 && value.Length <= 40 && value != "nil" && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string Quote(string value, int max)
    {
        string shown = value.Length > max ? value[..(max - 3)] + "..." : value;
        return "\"" + shown.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
