namespace FaultTolerant.Check;

/// <summary>Base of every error the checker reports: the input or the request is wrong, never the verdict.</summary>
public abstract class CheckException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A history file (or event list) is malformed: bad syntax, an answer with no invocation, a process with two
/// operations open. <see cref="HistorySource"/> and <see cref="Line"/> say where; the message already includes them.
/// </summary>
public class HistoryFormatException(string source, int line, string problem, Exception? inner = null)
    : CheckException(Where(source, line) + problem, inner)
{
    public string HistorySource { get; } = source;

    /// <summary>1-based line in the file, or 0 when the problem is not on one line.</summary>
    public int Line { get; } = line;

    public string Problem { get; } = problem;

    private static string Where(string source, int line) =>
        (source.Length == 0 ? "history" : source) + (line > 0 ? $":{line}" : "") + ": ";
}

/// <summary>A JSON Lines history whose header names a format version this build does not read.</summary>
public sealed class UnsupportedHistoryVersionException(string source, int line, int found, int supported)
    : HistoryFormatException(source, line, $"history format version {found} is not supported (this build reads version {supported})")
{
    public int Found { get; } = found;
}

/// <summary>An operation the chosen model cannot check (a kv <c>get</c> given to the register model, a write with no value).</summary>
public sealed class ModelMismatchException(string source, int line, string model, string problem)
    : HistoryFormatException(source, line, $"model {model}: {problem}")
{
    public string Model { get; } = model;
}

/// <summary>No model has this name. The message lists the ones that exist.</summary>
public sealed class UnknownModelException(string name, IEnumerable<string> known)
    : CheckException($"unknown model '{name}' (known: {string.Join(", ", known)})")
{
    public string Name { get; } = name;
}
