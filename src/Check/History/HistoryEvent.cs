namespace FaultTolerant.Check;

/// <summary>What an event says about its operation.</summary>
public enum EventType
{
    /// <summary>The client sent the request.</summary>
    Invoke,

    /// <summary>The operation took effect, with this result.</summary>
    Ok,

    /// <summary>
    /// The operation did not take effect. With <see cref="HistoryEvent.Error"/> <c>mismatch</c> (cas) or
    /// <c>not-integer</c> (incr) it is also a result the model checks; any other failure is dropped.
    /// </summary>
    Fail,

    /// <summary>The outcome is unknown (timeout, lost connection): the operation may take effect at any later time, or never.</summary>
    Info,
}

/// <summary>
/// One line of a history: a process invoking an operation or getting its answer. Values are text: a JSON
/// number and the string of its digits are the same value, and null is "the key does not exist".
/// </summary>
/// <param name="Process">The client that issued the operation; it has at most one operation waiting for an answer.</param>
/// <param name="F">The function: read, write, cas, incr (register); get, put, append (kv).</param>
/// <param name="Key">The key, or null for a history of one register.</param>
/// <param name="Value">
/// Invoke: the argument (write value, cas expected value, incr delta or null for 1, append suffix).
/// Ok: the result of read, get and incr; an echo of the argument otherwise.
/// </param>
/// <param name="NewValue">cas only: the value to set when the compare matches.</param>
/// <param name="Time">Nanoseconds on one monotonic clock, or the event's position in its file.</param>
/// <param name="Node">The server node that served the request, if known; shown in reports only.</param>
/// <param name="Error">For <see cref="EventType.Fail"/>: why, e.g. <c>mismatch</c>.</param>
/// <param name="Line">Where the event was read from (1-based), or 0; used in error messages only.</param>
public sealed record HistoryEvent(
    int Process,
    EventType Type,
    string F,
    string? Key,
    string? Value,
    string? NewValue,
    long Time,
    string? Node = null,
    string? Error = null,
    int Line = 0);
