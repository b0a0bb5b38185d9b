using System.Text.Json.Serialization;

namespace FaultTolerant.Check;

/// <summary>The answer for a history or one of its keys.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
public enum Verdict
{
    /// <summary>Some order of the operations, each placed between its call and its return, satisfies the model.</summary>
    Linearizable,

    /// <summary>No such order exists: the system returned a result it could not have.</summary>
    NotLinearizable,

    /// <summary>The search ran out of time or memory, or was cancelled, before it could tell.</summary>
    Unknown,
}

/// <summary>The verdict on a whole history: not linearizable if any key is, else unknown if any key is.</summary>
/// <param name="Source">The file (or name) the history came from.</param>
/// <param name="Operations">Operations checked, open ones included, failed ones not.</param>
/// <param name="DroppedOperations">Operations that failed with no information and are taken as never having happened.</param>
/// <param name="Keys">One result per independent key, in key order.</param>
public sealed record CheckResult(
    string Source,
    string Model,
    Verdict Verdict,
    int Operations,
    int OpenOperations,
    int DroppedOperations,
    [property: JsonIgnore] TimeSpan Elapsed,
    IReadOnlyList<KeyResult> Keys)
{
    [JsonPropertyName("elapsedMs")]
    public double ElapsedMs => Math.Round(Elapsed.TotalMilliseconds, 3);

    /// <summary>The keys that are not linearizable.</summary>
    [JsonIgnore]
    public IEnumerable<KeyResult> Violations => Keys.Where(k => k.Verdict == Verdict.NotLinearizable);
}

/// <summary>The verdict on one key's operations.</summary>
/// <param name="Key">The key; null for a model of one register (etcd) or operations without a key.</param>
/// <param name="States">Distinct (linearized set, state) configurations the search visited.</param>
/// <param name="Reason">Why the verdict is <see cref="Verdict.Unknown"/>; null otherwise.</param>
/// <param name="Violation">What was found when the verdict is <see cref="Verdict.NotLinearizable"/>.</param>
public sealed record KeyResult(
    string? Key,
    Verdict Verdict,
    int Operations,
    int OpenOperations,
    [property: JsonIgnore] TimeSpan Elapsed,
    long States,
    string? Reason,
    Violation? Violation)
{
    [JsonPropertyName("elapsedMs")]
    public double ElapsedMs => Math.Round(Elapsed.TotalMilliseconds, 3);
}

/// <summary>Evidence for a key that is not linearizable.</summary>
/// <param name="Linearized">
/// Indices (into <see cref="History.Operations"/>) of the longest sequence of operations the search could
/// place, in the order it placed them.
/// </param>
/// <param name="CannotPlace">The operation whose return the search reached, at that deepest point, without being able to place it.</param>
/// <param name="Minimal">
/// A small sub-history of this key's operations that is still not linearizable, in call order. It only
/// ever allows more than the original did (a failure of it is a failure of the original): some answers
/// are forgotten, making those operations open, and it stops at the earliest time the history already fails.
/// </param>
/// <param name="Forgotten">Indices of the operations in <see cref="Minimal"/> that were answered in the history but whose answers the violation does not need.</param>
/// <param name="MinimalIsOneMinimal">True when forgetting any one more answer would make <see cref="Minimal"/> linearizable (the shrink finished within its budget).</param>
/// <param name="ShrinkChecks">Searches the shrink ran.</param>
public sealed record Violation(
    IReadOnlyList<int> Linearized,
    Operation? CannotPlace,
    IReadOnlyList<Operation> Minimal,
    IReadOnlyList<int> Forgotten,
    bool MinimalIsOneMinimal,
    int ShrinkChecks,
    [property: JsonIgnore] TimeSpan ShrinkElapsed)
{
    [JsonPropertyName("shrinkElapsedMs")]
    public double ShrinkElapsedMs => Math.Round(ShrinkElapsed.TotalMilliseconds, 3);
}
