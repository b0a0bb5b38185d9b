using System.Globalization;

namespace FaultTolerant.Check;

/// <summary>Pairs invocations with their answers, one process at a time.</summary>
internal static class HistoryBuilder
{
    /// <summary>Failures that tell the model something: the operation ran and saw a state that made it fail.</summary>
    public static bool IsInformativeFailure(string f, string? error) =>
        (f == "cas" && error == "mismatch") || (f == "incr" && error == "not-integer");

    public static History Build(IEnumerable<HistoryEvent> input, string source, HistoryFormat format)
    {
        // Stable: events with equal times keep their file order, which is the order they were recorded in.
        var events = input.OrderBy(e => e.Time).ToList();
        var pending = new Dictionary<int, (HistoryEvent Invoke, int Slot)>();
        var slots = new List<Operation?>();
        int dropped = 0;

        foreach (var e in events)
        {
            if (e.Type == EventType.Invoke)
            {
                if (pending.TryGetValue(e.Process, out var open))
                {
                    throw Error(source, e, $"process {e.Process} invokes {e.F} while its {open.Invoke.F} (line {open.Invoke.Line}) has no answer yet");
                }

                pending[e.Process] = (e, slots.Count);
                slots.Add(null);
                continue;
            }

            if (!pending.Remove(e.Process, out var call))
            {
                throw Error(source, e, $"process {e.Process} answers {e.F} ({e.Type.ToString().ToLowerInvariant()}) but invoked nothing");
            }

            if (e.F != call.Invoke.F)
            {
                throw Error(source, e, $"process {e.Process} answers {e.F} but invoked {call.Invoke.F} (line {call.Invoke.Line})");
            }

            if (e.Key is not null && e.Key != call.Invoke.Key)
            {
                throw Error(source, e, $"process {e.Process} answers for key {e.Key} but invoked key {call.Invoke.Key ?? "nil"} (line {call.Invoke.Line})");
            }

            var op = Pair(call.Invoke, e);
            if (op is null)
            {
                dropped++;
            }

            slots[call.Slot] = op;
        }

        foreach (var (invoke, slot) in pending.Values)
        {
            slots[slot] = Pair(invoke, null);
        }

        var operations = slots.OfType<Operation>().Select((o, i) => o with { Index = i }).ToList();
        return new History(source, format, events, operations, dropped);
    }

    /// <summary>The operation an invocation and its answer (null: none yet) make, or null if it definitely did not happen.</summary>
    private static Operation? Pair(HistoryEvent invoke, HistoryEvent? answer)
    {
        var status = answer?.Type switch
        {
            null or EventType.Info => OperationStatus.Open,
            EventType.Ok => OperationStatus.Ok,
            _ when IsInformativeFailure(invoke.F, answer.Error) => OperationStatus.Fail,
            _ => (OperationStatus?)null,
        };
        if (status is not { } s)
        {
            return null;
        }

        string? result = s == OperationStatus.Ok && invoke.F is "read" or "get" or "incr" ? answer!.Value : null;
        long? returned = s == OperationStatus.Open ? null : answer!.Time;
        return new Operation(0, invoke.Process, invoke.F, invoke.Key, invoke.Value, invoke.NewValue, result, s,
            invoke.Time, returned, answer?.Node ?? invoke.Node, invoke.Line);
    }

    /// <summary>Events that pair back into exactly these operations (used for histories built from operations).</summary>
    public static IReadOnlyList<HistoryEvent> EventsOf(IReadOnlyList<Operation> operations)
    {
        var events = new List<HistoryEvent>(operations.Count * 3);
        var ordered = operations.OrderBy(o => o.Call).ToList();
        var nextCall = new Dictionary<Operation, long>(ReferenceEqualityComparer.Instance);
        var lastOfProcess = new Dictionary<int, Operation>();
        foreach (var op in ordered)
        {
            if (lastOfProcess.TryGetValue(op.Process, out var previous))
            {
                nextCall[previous] = op.Call;
            }

            lastOfProcess[op.Process] = op;
        }

        foreach (var op in ordered)
        {
            events.Add(new HistoryEvent(op.Process, EventType.Invoke, op.F, op.Key, op.Value, op.NewValue, op.Call, op.Node));
            if (op.Return is not { } at)
            {
                // An open operation followed by another from the same process was answered "unknown" in
                // between; say so, or the next invocation would find the process still busy.
                if (nextCall.TryGetValue(op, out long next))
                {
                    events.Add(new HistoryEvent(op.Process, EventType.Info, op.F, op.Key, null, null, next, op.Node));
                }

                continue;
            }

            events.Add(op.Status == OperationStatus.Fail
                ? new HistoryEvent(op.Process, EventType.Fail, op.F, op.Key, op.Value, op.NewValue, at, op.Node, op.F == "cas" ? "mismatch" : "not-integer")
                : new HistoryEvent(op.Process, EventType.Ok, op.F, op.Key, op.F is "read" or "get" or "incr" ? op.Result : op.Value, op.NewValue, at, op.Node));
        }

        return events.OrderBy(e => e.Time).ToList();
    }

    private static HistoryFormatException Error(string source, HistoryEvent e, string problem) =>
        new(source, e.Line, problem + (e.Line == 0 ? $" (at time {e.Time.ToString(CultureInfo.InvariantCulture)})" : ""));
}
