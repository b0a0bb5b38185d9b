namespace FaultTolerant.Check;

/// <summary>Where a history came from, which decides how it was parsed and which model fits it by default.</summary>
public enum HistoryFormat
{
    /// <summary>Our JSON Lines, one event per line (docs/CHECKER.md).</summary>
    Jsonl,

    /// <summary>A Jepsen etcd log: <c>INFO jepsen.util - 3 :invoke :read nil</c>.</summary>
    EtcdLog,

    /// <summary>Jepsen EDN maps, one per line: <c>{:process 0, :type :invoke, :f :get, :key "5", :value nil}</c>.</summary>
    KvEdn,
}

/// <summary>A parsed history: its events and the operations they pair into.</summary>
public sealed class History
{
    internal History(string source, HistoryFormat format, IReadOnlyList<HistoryEvent> events, IReadOnlyList<Operation> operations, int dropped)
    {
        Source = source;
        Format = format;
        Events = events;
        Operations = operations;
        DroppedOperations = dropped;
    }

    /// <summary>The file name (or whatever the caller called it); used in messages.</summary>
    public string Source { get; }

    public HistoryFormat Format { get; }

    /// <summary>The events in time order.</summary>
    public IReadOnlyList<HistoryEvent> Events { get; }

    /// <summary>The operations in call order, without those that definitely failed.</summary>
    public IReadOnlyList<Operation> Operations { get; }

    /// <summary>Operations answered with a failure that carries no information: they did not happen and are not checked.</summary>
    public int DroppedOperations { get; }

    /// <summary>Pairs events into operations.</summary>
    /// <exception cref="HistoryFormatException">An answer with no invocation, a second invocation while one is open, a mismatched function or key, a mix of timed and untimed events.</exception>
    public static History FromEvents(IEnumerable<HistoryEvent> events, string source = "", HistoryFormat format = HistoryFormat.Jsonl) =>
        HistoryBuilder.Build(events, source, format);

    /// <summary>
    /// A history made directly of operations, e.g. a sub-history from a report. They are renumbered in call
    /// order; <see cref="Events"/> is rebuilt from them.
    /// </summary>
    public static History FromOperations(IEnumerable<Operation> operations, string source = "")
    {
        var ordered = operations.OrderBy(o => o.Call).ThenBy(o => o.Index).Select((o, i) => o with { Index = i }).ToList();
        return new History(source, HistoryFormat.Jsonl, HistoryBuilder.EventsOf(ordered), ordered, 0);
    }
}
