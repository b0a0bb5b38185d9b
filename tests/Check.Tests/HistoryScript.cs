namespace FaultTolerant.Check.Tests;

/// <summary>
/// Writes small histories as scenarios: each call is one event, one tick after the previous one, so the
/// order of the calls is the real-time order.
/// </summary>
internal sealed class HistoryScript
{
    private readonly List<HistoryEvent> _events = [];
    private long _time;

    public IReadOnlyList<HistoryEvent> Events => _events;

    public HistoryScript Invoke(int process, string f, string? value = null, string? newValue = null, string? key = null) =>
        Add(new HistoryEvent(process, EventType.Invoke, f, key, value, newValue, ++_time));

    public HistoryScript Ok(int process, string f, string? value = null, string? key = null) =>
        Add(new HistoryEvent(process, EventType.Ok, f, key, value, null, ++_time));

    public HistoryScript Fail(int process, string f, string? error = null, string? key = null) =>
        Add(new HistoryEvent(process, EventType.Fail, f, key, null, null, ++_time, Error: error));

    public HistoryScript Info(int process, string f, string? key = null) =>
        Add(new HistoryEvent(process, EventType.Info, f, key, null, null, ++_time));

    /// <summary>A whole operation with nothing concurrent to it.</summary>
    public HistoryScript Op(int process, string f, string? value = null, string? result = null, string? key = null) =>
        Invoke(process, f, value, key: key).Ok(process, f, f is "read" or "get" or "incr" ? result : value, key);

    public History Build() => History.FromEvents(_events, "script");

    public Verdict Check(Model model) => LinearizabilityChecker.Check(Build(), model, new CheckOptions { StopAtFirstViolation = false }).Verdict;

    private HistoryScript Add(HistoryEvent e)
    {
        _events.Add(e);
        return this;
    }
}
