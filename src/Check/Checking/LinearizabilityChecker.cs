using System.Collections.Concurrent;
using System.Diagnostics;

namespace FaultTolerant.Check;

/// <summary>Checks histories against a model, key by key.</summary>
public static class LinearizabilityChecker
{
    /// <summary>States allowed to every key in the first round; each later round allows this many times more.</summary>
    private const long FirstRoundStates = 1 << 16;
    private const long RoundGrowth = 8;

    /// <summary>Reads a file (format told from its content) and checks it.</summary>
    /// <param name="model">Null: the model that fits the file's format (<see cref="Model.For"/>).</param>
    /// <exception cref="HistoryFormatException">The file is malformed or has operations the model cannot check.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CheckResult CheckFile(string path, Model? model = null, CheckOptions? options = null, CancellationToken ct = default)
    {
        var history = HistoryReader.ReadFile(path);
        return Check(history, model ?? Model.For(history.Format), options, ct);
    }

    /// <summary>
    /// Checks a history. Never guesses: a key the search could not finish (time limit, state limit,
    /// cancellation) is <see cref="Verdict.Unknown"/>, and so is the history unless another key is not linearizable.
    /// </summary>
    /// <exception cref="ModelMismatchException">An operation the model has no meaning for.</exception>
    public static CheckResult Check(History history, Model model, CheckOptions? options = null, CancellationToken ct = default)
    {
        options ??= CheckOptions.Default;
        long start = Stopwatch.GetTimestamp();
        foreach (var op in history.Operations)
        {
            model.Validate(op, history.Source);
        }

        var keys = history.Operations
            .GroupBy(model.PartitionKey)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new KeyWork(g.Key, g.ToList(), g.Where(model.Constrains).ToList()))
            .ToList();
        long deadline = Deadline(start, options.TimeLimit);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Rounds of growing state budgets: a key that is cheap to decide is decided first, whatever its
        // place in the list. A violation in a small key then ends the check before a hard key has used up
        // the time limit; redoing the undecided keys' searches costs at most 1/(RoundGrowth-1) more.
        var undecided = keys.OrderByDescending(k => k.Constrained.Count).ToList();
        for (long budget = FirstRoundStates; undecided.Count > 0; budget = SaturatingMultiply(budget, RoundGrowth))
        {
            long cap = Math.Min(budget, options.MaxStates);
            ForEach(undecided, options.MaxParallelism, key =>
            {
                long began = Stopwatch.GetTimestamp();
                var outcome = WglSearch.Run(key.Problem(model), deadline, cap, stop.Token);
                key.Elapsed += Stopwatch.GetElapsedTime(began);
                bool retry = outcome.Limit == SearchLimit.States && cap < options.MaxStates;
                key.Outcome = retry ? null : outcome;
                if (outcome.Verdict == Verdict.NotLinearizable && options.StopAtFirstViolation)
                {
                    // The history's verdict is settled; proving the other keys could take far longer.
                    stop.Cancel();
                }
            });
            undecided = undecided.Where(k => k.Outcome is null).ToList();
        }

        var results = new KeyResult[keys.Count];
        ForEach(Enumerable.Range(0, keys.Count).ToList(), options.MaxParallelism,
            i => results[i] = Result(keys[i], model, options, ct));

        var verdict = results.Any(r => r.Verdict == Verdict.NotLinearizable) ? Verdict.NotLinearizable
            : results.Any(r => r.Verdict == Verdict.Unknown) ? Verdict.Unknown
            : Verdict.Linearizable;
        return new CheckResult(history.Source, model.Name, verdict, history.Operations.Count,
            history.Operations.Count(o => o.IsOpen), history.DroppedOperations, Stopwatch.GetElapsedTime(start), results);
    }

    internal static long Deadline(long start, TimeSpan? limit)
    {
        if (limit is not { } l || l <= TimeSpan.Zero || l == Timeout.InfiniteTimeSpan)
        {
            return long.MaxValue;
        }

        double ticks = l.TotalSeconds * Stopwatch.Frequency;
        return ticks >= long.MaxValue - start ? long.MaxValue : start + (long)ticks;
    }

    private static KeyResult Result(KeyWork key, Model model, CheckOptions options, CancellationToken ct)
    {
        var outcome = key.Outcome!;
        Violation? violation = null;
        if (outcome.Verdict == Verdict.NotLinearizable)
        {
            var ops = key.Constrained;
            var shrink = options.Shrink
                ? Shrinker.Shrink(ops, outcome, model, options.ShrinkBudget, options.MaxStates, ct)
                : new ShrinkResult(ops, false, 0, TimeSpan.Zero);
            var answered = ops.Where(o => !o.IsOpen).Select(o => o.Index).ToHashSet();
            violation = new Violation(
                outcome.Linearization.Select(i => ops[i].Index).ToList(),
                outcome.Stuck >= 0 ? ops[outcome.Stuck] : null,
                shrink.Operations,
                shrink.Operations.Where(o => o.IsOpen && answered.Contains(o.Index)).Select(o => o.Index).ToList(),
                shrink.OneMinimal,
                shrink.Checks,
                shrink.Elapsed);
        }

        string? reason = outcome.Limit switch
        {
            SearchLimit.Deadline => "time limit reached",
            SearchLimit.States => $"more than {options.MaxStates} states",
            SearchLimit.Cancelled when ct.IsCancellationRequested => "cancelled",
            SearchLimit.Cancelled => "not finished: another key is not linearizable",
            _ => null,
        };
        return new KeyResult(key.Key, outcome.Verdict, key.All.Count, key.All.Count(o => o.IsOpen), key.Elapsed,
            outcome.States, reason, violation);
    }

    private static void ForEach<T>(List<T> items, int parallelism, Action<T> body)
    {
        if (parallelism <= 1 || items.Count <= 1)
        {
            items.ForEach(body);
            return;
        }

        // One item at a time, in list order: the default partitioner hands out ranges, which would leave
        // a core idle behind one slow key.
        Parallel.ForEach(Partitioner.Create(items, EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism }, body);
    }

    private static long SaturatingMultiply(long a, long b) => a > long.MaxValue / b ? long.MaxValue : a * b;

    /// <summary>One key's operations and what the search has found for them so far.</summary>
    private sealed class KeyWork(string? key, List<Operation> all, List<Operation> constrained)
    {
        private SearchProblem? _problem;

        public string? Key { get; } = key;

        public List<Operation> All { get; } = all;

        /// <summary>The operations the search needs (unanswered reads left out).</summary>
        public List<Operation> Constrained { get; } = constrained;

        public SearchOutcome? Outcome { get; set; }

        public TimeSpan Elapsed { get; set; }

        // Compiled once: the machine's interned values are as good for the next round as for this one.
        public SearchProblem Problem(Model model) => _problem ??= new SearchProblem(Constrained, model);
    }
}
