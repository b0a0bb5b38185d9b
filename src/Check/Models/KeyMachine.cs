namespace FaultTolerant.Check;

/// <summary>
/// One key's operations compiled for the search: states and operations are small integers, so the search
/// can memoize (linearized set, state) pairs cheaply.
/// </summary>
internal abstract class KeyMachine
{
    public abstract int Initial { get; }

    /// <summary>Applies operation <paramref name="op"/> to <paramref name="state"/>; false if its result is impossible there.</summary>
    public abstract bool Step(int state, int op, out int next);
}
