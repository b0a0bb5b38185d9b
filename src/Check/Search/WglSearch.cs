using System.Diagnostics;

namespace FaultTolerant.Check;

/// <summary>
/// The Wing–Gong search with Lowe's memoization. Calls and returns are laid out in time order in a linked
/// list. Walking it, the search tries to linearize each operation whose call it meets, if the model accepts
/// its result in the current state and the resulting (set, state) configuration is new; it then restarts
/// from the head. Meeting a return means that operation had to be linearized by now and could not be: the
/// search undoes the last choice and tries the next candidate after it. Open operations have no return, so
/// they are never forced: they may be placed anywhere after their call, or never.
/// </summary>
internal static class WglSearch
{
    /// <summary>Clock and cancellation are looked at every this many steps (a power of two, minus one).</summary>
    private const int PollMask = 1023;

    public static SearchOutcome Run(SearchProblem problem, long deadline, long maxStates, CancellationToken ct)
    {
        var ops = problem.Operations;
        int n = ops.Count;
        var machine = problem.Machine;

        // Entries 0..m-1 are calls and returns in time order; m is the head sentinel, m+1 the tail.
        var events = new List<(long Time, int IsReturn, int Op)>(2 * n);
        int completed = 0;
        for (int i = 0; i < n; i++)
        {
            events.Add((ops[i].Call, 0, i));
            if (ops[i].Return is { } ret)
            {
                events.Add((ret, 1, i));
                completed++;
            }
        }

        // At equal times calls go first: touching intervals count as overlapping, which can only allow more orders.
        events.Sort();
        int m = events.Count;
        int head = m, tail = m + 1;
        var next = new int[m + 2];
        var prev = new int[m + 2];
        var entryOp = new int[m];
        var isCall = new bool[m];
        var callEntry = new int[n];
        var returnEntry = new int[n];
        Array.Fill(returnEntry, -1);
        for (int e = 0; e < m; e++)
        {
            var (_, isReturn, op) = events[e];
            entryOp[e] = op;
            isCall[e] = isReturn == 0;
            if (isCall[e])
            {
                callEntry[op] = e;
            }
            else
            {
                returnEntry[op] = e;
            }

            next[e] = e + 1 == m ? tail : e + 1;
            prev[e] = e == 0 ? head : e - 1;
        }

        next[head] = m == 0 ? tail : 0;
        prev[tail] = m == 0 ? head : m - 1;

        var bits = new ulong[Math.Max(1, (n + 63) / 64)];
        var zobrist = Zobrist(n);
        ulong setHash = 0;
        var cache = new StateCache(bits.Length);
        var stackOp = new int[n];
        var stackState = new int[n];
        int depth = 0, done = 0;
        int state = machine.Initial;
        int[] best = [];
        int stuck = -1;
        long steps = 0;

        int entry = next[head];
        while (done < completed)
        {
            if ((steps++ & PollMask) == 0)
            {
                var limit = ct.IsCancellationRequested ? SearchLimit.Cancelled
                    : Stopwatch.GetTimestamp() > deadline ? SearchLimit.Deadline
                    : cache.Count > maxStates ? SearchLimit.States
                    : SearchLimit.None;
                if (limit != SearchLimit.None)
                {
                    return new SearchOutcome(Verdict.Unknown, best, -1, cache.Count, limit);
                }
            }

            if (entry != tail && isCall[entry])
            {
                int op = entryOp[entry];
                if (machine.Step(state, op, out int after))
                {
                    bits[op >> 6] |= 1UL << op;
                    setHash ^= zobrist[op];
                    if (cache.Add(bits, setHash, after))
                    {
                        stackOp[depth] = op;
                        stackState[depth] = state;
                        depth++;
                        state = after;
                        Lift(op);
                        if (returnEntry[op] >= 0)
                        {
                            done++;
                        }

                        if (depth > best.Length)
                        {
                            best = stackOp[..depth];
                            stuck = -1;
                        }

                        entry = next[head];
                        continue;
                    }

                    bits[op >> 6] &= ~(1UL << op);
                    setHash ^= zobrist[op];
                }

                entry = next[entry];
                continue;
            }

            // A return (the tail cannot be reached while a completed operation is left, but is handled alike).
            if (depth == best.Length && stuck < 0 && entry != tail)
            {
                stuck = entryOp[entry];
            }

            if (depth == 0)
            {
                return new SearchOutcome(Verdict.NotLinearizable, best, stuck, cache.Count, SearchLimit.None);
            }

            depth--;
            int undone = stackOp[depth];
            state = stackState[depth];
            bits[undone >> 6] &= ~(1UL << undone);
            setHash ^= zobrist[undone];
            Unlift(undone);
            if (returnEntry[undone] >= 0)
            {
                done--;
            }

            entry = next[callEntry[undone]];
        }

        return new SearchOutcome(Verdict.Linearizable, stackOp[..depth], -1, cache.Count, SearchLimit.None);

        void Lift(int op)
        {
            Unlink(callEntry[op]);
            if (returnEntry[op] >= 0)
            {
                Unlink(returnEntry[op]);
            }
        }

        // Dancing links: relink in the reverse order of unlinking, each entry's neighbours are still its own.
        void Unlift(int op)
        {
            if (returnEntry[op] >= 0)
            {
                Relink(returnEntry[op]);
            }

            Relink(callEntry[op]);
        }

        void Unlink(int e)
        {
            next[prev[e]] = next[e];
            prev[next[e]] = prev[e];
        }

        void Relink(int e)
        {
            next[prev[e]] = e;
            prev[next[e]] = e;
        }
    }

    /// <summary>A fixed random 64-bit word per operation; a set's hash is the XOR of its members' words.</summary>
    private static ulong[] Zobrist(int n)
    {
        var words = new ulong[n];
        ulong seed = 0x243F6A8885A308D3UL;
        for (int i = 0; i < n; i++)
        {
            seed += 0x9E3779B97F4A7C15UL;
            ulong z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            words[i] = z ^ (z >> 31);
        }

        return words;
    }
}
