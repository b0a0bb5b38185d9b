using System.Text.Json.Serialization;

namespace FaultTolerant.Check;

/// <summary>How an operation ended, as far as the checker is concerned.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OperationStatus>))]
public enum OperationStatus
{
    /// <summary>Answered ok: it took effect, and its result (if any) must match the model.</summary>
    Ok,

    /// <summary>
    /// Answered with a failure that is itself a result: a cas whose compare did not match, an incr of a
    /// value that is not an integer. It did not change the state, and that must be consistent with the model.
    /// </summary>
    Fail,

    /// <summary>Never answered, or answered "unknown": it may have taken effect at any time after its call, or never.</summary>
    Open,
}

/// <summary>An invocation paired with its answer.</summary>
/// <param name="Index">Position in <see cref="History.Operations"/> (ordered by call time).</param>
/// <param name="Value">The argument: write/put value, cas expected value, incr delta (null = 1), append suffix.</param>
/// <param name="NewValue">cas only: the value set when the compare matches.</param>
/// <param name="Result">read/get: the value returned (null = the key does not exist); incr: the new value.</param>
/// <param name="Call">When it was invoked (same clock as the events).</param>
/// <param name="Return">When it was answered; null while <see cref="Status"/> is <see cref="OperationStatus.Open"/>.</param>
/// <param name="Line">Line of the invocation in its file, or 0.</param>
public sealed record Operation(
    int Index,
    int Process,
    string F,
    string? Key,
    string? Value,
    string? NewValue,
    string? Result,
    OperationStatus Status,
    long Call,
    long? Return,
    string? Node = null,
    int Line = 0)
{
    /// <summary>True when the operation never got a definite answer.</summary>
    [JsonIgnore]
    public bool IsOpen => Status == OperationStatus.Open;

    /// <summary>A short label such as <c>write 3</c>, <c>read → nil</c>, <c>cas 3→0 ✗</c> or <c>incr ?</c>.</summary>
    public string Label => OperationText.Label(this);

    public override string ToString() => OperationText.Describe(this);
}
