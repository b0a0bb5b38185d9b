namespace FaultTolerant.Check;

/// <summary>How hard to look.</summary>
public sealed record CheckOptions
{
    public static CheckOptions Default { get; } = new();

    /// <summary>
    /// Wall-clock limit for the search over all keys; keys not decided by then are <see cref="Verdict.Unknown"/>.
    /// Null, zero, negative or <see cref="Timeout.InfiniteTimeSpan"/>: no limit.
    /// </summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Keys checked at once. 1 checks them one after another.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Stop searching the other keys as soon as one key is not linearizable: the history's verdict is then
    /// settled, and a key that is not linearizable can take far longer to prove so than another (the search
    /// must try every order). The keys stopped are reported <see cref="Verdict.Unknown"/>. On by default, as
    /// in Porcupine; turn it off for a verdict on every key.
    /// </summary>
    public bool StopAtFirstViolation { get; init; } = true;

    /// <summary>Look for a small failing sub-history of each key that is not linearizable.</summary>
    public bool Shrink { get; init; } = true;

    /// <summary>Time the shrink of one key may take, on top of <see cref="TimeLimit"/>; the best sub-history found so far is reported.</summary>
    public TimeSpan ShrinkBudget { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Memoized configurations one key's search may hold before answering unknown. For a key of a few
    /// hundred operations each costs roughly 100 bytes (register) to 300 bytes (kv, whose states are
    /// strings), so the default bounds one search near 0.4 to 1.2 GB; <see cref="MaxParallelism"/> run at once.
    /// </summary>
    public long MaxStates { get; init; } = 4_000_000;
}
