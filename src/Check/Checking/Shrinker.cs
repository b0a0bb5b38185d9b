using System.Diagnostics;

namespace FaultTolerant.Check;

internal sealed record ShrinkResult(IReadOnlyList<Operation> Operations, bool OneMinimal, int Checks, TimeSpan Elapsed);

/// <summary>
/// Looks for a small sub-history that is still not linearizable, using only steps after which a failure
/// is still a failure of the original history:
/// <list type="number">
/// <item>cut the history at the earliest time T it already fails by: operations called later go, those
/// still running at T become open (their answers had not come yet);</item>
/// <item>forget the answers of as many answered operations as possible, one at a time, making them open;
/// the ones left answered are the core of the violation;</item>
/// <item>drop the open operations whose effect no other operation could see (the model says which).</item>
/// </list>
/// Simply removing operations would not do: without the write that produced it, any read fails on its
/// own, and a one-read "violation" explains nothing. Cutting and forgetting only add freedom, so every
/// order the original allowed is still allowed. Each search gets a small budget, and one that runs out
/// counts as "not failing".
/// </summary>
internal static class Shrinker
{
    public static ShrinkResult Shrink(IReadOnlyList<Operation> ops, SearchOutcome outcome, Model model, TimeSpan budget,
        long maxStates, CancellationToken ct)
    {
        long start = Stopwatch.GetTimestamp();
        long deadline = LinearizabilityChecker.Deadline(start, budget <= TimeSpan.Zero ? TimeSpan.FromTicks(1) : budget);
        long statesPerCheck = Math.Min(maxStates, Math.Max(50_000, 4 * outcome.States));
        long ticksPerCheck = Math.Max(1, (deadline - start) / 16);
        int checks = 0;

        bool OutOfBudget() => Stopwatch.GetTimestamp() > deadline || ct.IsCancellationRequested;

        // Whether the last check ran out of its budget rather than finding an order.
        bool inconclusive = false;

        bool Fails(List<Operation> candidate)
        {
            if (OutOfBudget())
            {
                inconclusive = true;
                return false;
            }

            checks++;
            long now = Stopwatch.GetTimestamp();
            long checkDeadline = deadline - now > ticksPerCheck ? now + ticksPerCheck : deadline;
            // Open operations nobody could see change nothing but the size of the search: leave them out.
            var searched = Visible(candidate, model);
            var r = WglSearch.Run(new SearchProblem(searched, model), checkDeadline, statesPerCheck, ct);
            inconclusive = r.Verdict == Verdict.Unknown;
            return r.Verdict == Verdict.NotLinearizable;
        }

        var current = CutEarly(ops, outcome, Fails);

        // Forgetting is monotone (more forgotten, more orders allowed), so one greedy pass is enough for a
        // 1-minimal core: an answer that had to stay when tried still has to with more forgotten later. One
        // at a time also keeps each search small, where forgetting half at once (as ddmin starts) opens so
        // many operations that the search blows up and the step is wasted.
        var core = current.Where(o => !o.IsOpen).ToHashSet();
        bool coreMinimal = true;
        foreach (var op in current.Where(o => !o.IsOpen))
        {
            core.Remove(op);
            if (!Fails(current.Select(o => core.Contains(o) || o.IsOpen ? o : Forget(o)).ToList()))
            {
                core.Add(op);
                coreMinimal &= !inconclusive;
            }
        }

        var result = Visible(current.Select(o => core.Contains(o) || o.IsOpen ? o : Forget(o)), model);
        bool oneMinimal = coreMinimal;
        return new ShrinkResult(result, oneMinimal, checks, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>
    /// The operations the search needs, in call order: answered ones, and open ones whose effect some other
    /// could see, dropping the others until none is left to drop.
    /// </summary>
    private static List<Operation> Visible(IEnumerable<Operation> candidate, Model model)
    {
        var left = candidate.Where(model.Constrains).OrderBy(o => o.Call).ThenBy(o => o.Index).ToList();
        bool dropped = true;
        while (dropped)
        {
            dropped = false;
            for (int i = left.Count - 1; i >= 0; i--)
            {
                var op = left[i];
                if (op.IsOpen && !model.MayExplain(op, left.Where(o => !ReferenceEquals(o, op))))
                {
                    left.RemoveAt(i);
                    dropped = true;
                }
            }
        }

        return left;
    }

    /// <summary>The operation with its answer forgotten: open from its call on.</summary>
    private static Operation Forget(Operation op) => op with { Status = OperationStatus.Open, Return = null, Result = null };

    /// <summary>The history up to time T: later calls dropped, answers after T not yet given.</summary>
    private static List<Operation> Cut(IReadOnlyList<Operation> ops, long t) =>
        ops.Where(o => o.Call <= t).Select(o => o.Return > t ? Forget(o) : o).ToList();

    /// <summary>
    /// The earliest cut that fails. Failing is monotone in T (a linearization of a later cut, restricted to
    /// what was called by an earlier T, is one of the earlier cut), so a binary search over return times finds it.
    /// </summary>
    private static List<Operation> CutEarly(IReadOnlyList<Operation> ops, SearchOutcome outcome, Func<List<Operation>, bool> fails)
    {
        var times = ops.Where(o => o.Return.HasValue).Select(o => o.Return!.Value).Distinct().Order().ToList();
        int hi = times.Count - 1;
        if (hi < 0)
        {
            return ops.ToList();
        }

        // The return the search could not get past is the likely place; start there.
        if (outcome.Stuck >= 0 && ops[outcome.Stuck].Return is { } stuck)
        {
            int at = times.BinarySearch(stuck);
            if (at >= 0 && at < hi && fails(Cut(ops, stuck)))
            {
                hi = at;
            }
        }

        int lo = 0;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (fails(Cut(ops, times[mid])))
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        var cut = Cut(ops, times[hi]);
        return hi == times.Count - 1 && !fails(cut) ? ops.ToList() : cut;
    }
}
