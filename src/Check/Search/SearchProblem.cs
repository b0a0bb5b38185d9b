namespace FaultTolerant.Check;

/// <summary>One key's operations, ready for the search: their intervals and the compiled model.</summary>
internal sealed class SearchProblem
{
    public SearchProblem(IReadOnlyList<Operation> operations, Model model)
    {
        Operations = operations;
        Machine = model.Compile(operations);
    }

    /// <summary>The operations; the search refers to them by position in this list.</summary>
    public IReadOnlyList<Operation> Operations { get; }

    public KeyMachine Machine { get; }
}

/// <summary>Why a search stopped without a verdict.</summary>
internal enum SearchLimit
{
    None,
    Deadline,
    Cancelled,
    States,
}

/// <summary>What the search found.</summary>
/// <param name="Linearization">
/// Linearizable: an order of the operations that works (open ones left out never took effect).
/// Not linearizable: the longest order the search built before every continuation failed.
/// </param>
/// <param name="Stuck">Not linearizable: the operation (position in the problem) that no order could place before its return; else -1.</param>
internal sealed record SearchOutcome(Verdict Verdict, int[] Linearization, int Stuck, long States, SearchLimit Limit);
