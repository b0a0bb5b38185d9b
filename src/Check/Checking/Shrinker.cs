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
    /// <summary>Histories with this many answered operations first forget answers in chunks.</summary>
    private const int ChunkedFrom = 64;

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

        // Forgetting is monotone (more forgotten, more orders allowed), so a last pass that tries each
        // remaining answer alone gives a 1-minimal core: an answer that had to stay when tried still has to
        // with more forgotten later. Small steps also keep each search small, where forgetting half at once
        // (as ddmin starts) can open so many operations that the search blows up and the step is wasted;
        // only long histories start with chunks, to get through their many irrelevant answers in few checks.
        //
        // Answers whose operations then vanish (a forgotten read says nothing) go first: the sub-history
        // gets smaller, and what is left reads as causes (writes) and the observation they contradict.
        var answered = current.Where(o => !o.IsOpen).OrderBy(o => model.Constrains(Forget(o)) ? 1 : 0).ThenBy(o => o.Call).ToList();
        var core = answered.ToHashSet();
        bool coreMinimal = true;
        for (int size = answered.Count >= ChunkedFrom ? answered.Count / 4 : 1; ; size = Math.Max(1, size / 4))
        {
            var undecided = answered.Where(core.Contains).ToList();
            for (int from = 0; from < undecided.Count; from += size)
            {
                var chunk = undecided.GetRange(from, Math.Min(size, undecided.Count - from));
                core.ExceptWith(chunk);
                if (!Fails(current.Select(o => core.Contains(o) || o.IsOpen ? o : Forget(o)).ToList()))
                {
                    core.UnionWith(chunk);
                    coreMinimal &= size > 1 || !inconclusive;
                }
            }

            if (size == 1)
            {
                break;
            }
        }

        var result = Visible(current.Select(o => core.Contains(o) || o.IsOpen ? o : Forget(o)), model);
        return new ShrinkResult(result, coreMinimal, checks, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>
    /// The operations the search needs, in call order: answered ones, and open ones whose effect some other
    /// could see, dropping the others until none is left to drop.
    /// </summary>
    private static List<Operation> Visible(IEnumerable<Operation> candidate, Model model)
    {
        var left = candidate.Where(model.Constrains).OrderBy(o => o.Call).ThenBy(o => o.Index).ToList();
        while (model.Unseen(left) is { Count: > 0 } unseen)
        {
            var drop = unseen.ToHashSet(ReferenceEqualityComparer.Instance);
            left.RemoveAll(drop.Contains);
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
