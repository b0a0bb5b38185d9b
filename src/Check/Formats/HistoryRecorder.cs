using System.Diagnostics;

namespace FaultTolerant.Check;

/// <summary>
/// Records a history as it happens, in our JSON Lines format, for a test client or chaos campaign. Safe to
/// call from many client threads at once. Call <see cref="Invoke"/> just before sending a request and one of
/// <see cref="Ok"/>, <see cref="Fail"/> or <see cref="Info"/> just after its answer (or its timeout): the
/// recorder stamps each event with one monotonic clock, so an operation's interval always contains the
/// moment the server executed it.
/// </summary>
public sealed class HistoryRecorder : IDisposable
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly Lock _gate = new();
    private long _lastTime = -1;

    public HistoryRecorder(TextWriter writer, bool ownsWriter = false)
    {
        _writer = writer;
        _ownsWriter = ownsWriter;
        _writer.Write(JsonlHistory.Header() + "\n");
    }

    /// <summary>Creates (or replaces) a file and records into it.</summary>
    public static HistoryRecorder Create(string path) =>
        new(new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { AutoFlush = false }, ownsWriter: true);

    /// <summary>The client is about to send a request. <paramref name="value"/>: the write value, cas expected value, incr delta (null for 1).</summary>
    public void Invoke(int process, string f, string? key, string? value = null, string? newValue = null, string? node = null) =>
        Record(process, EventType.Invoke, f, key, value, newValue, node, null);

    /// <summary>The request succeeded. <paramref name="value"/>: the result of a read (null: no such key) or incr (the new value).</summary>
    public void Ok(int process, string f, string? key, string? value = null, string? node = null) =>
        Record(process, EventType.Ok, f, key, value, null, node, null);

    /// <summary>
    /// The request definitely did not take effect. Pass <c>mismatch</c> for a cas whose compare failed and
    /// <c>not-integer</c> for an incr of a non-integer: those are results the checker uses. Any other error
    /// (refused, not the primary) means "did not happen" and the operation is left out.
    /// </summary>
    public void Fail(int process, string f, string? key, string? error, string? node = null) =>
        Record(process, EventType.Fail, f, key, null, null, node, error);

    /// <summary>The outcome is unknown (timeout, connection lost mid-request). The process may invoke again.</summary>
    public void Info(int process, string f, string? key, string? node = null) =>
        Record(process, EventType.Info, f, key, null, null, node, null);

    /// <summary>Writes out what has been buffered so far.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Flush();
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
        }
    }

    private void Record(int process, EventType type, string f, string? key, string? value, string? newValue, string? node, string? error)
    {
        lock (_gate)
        {
            // The clock is read under the lock so file order and time order agree; two events in the same
            // tick get distinct times, keeping an answer after the invocation that preceded it.
            long time = (long)((Stopwatch.GetTimestamp() - _start) * NanosecondsPerTick);
            time = Math.Max(time, _lastTime + 1);
            _lastTime = time;
            _writer.Write(JsonlHistory.Line(new HistoryEvent(process, type, f, key, value, newValue, time, node, error)) + "\n");
        }
    }
}
