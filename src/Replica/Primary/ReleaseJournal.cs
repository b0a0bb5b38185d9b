using System.Collections.Concurrent;
using System.Diagnostics;

namespace FaultTolerant.Replica.Primary;

/// <summary>
/// A span of continuous releasing by one primary: every release of <see cref="Guest"/> this node made under
/// <see cref="Generation"/> between <see cref="FirstUtc"/> and <see cref="LastUtc"/> (both actual release instants).
/// </summary>
public sealed record ReleaseSpan(string Guest, string Node, ulong Generation, DateTime FirstUtc, DateTime LastUtc, ulong FirstEpoch, ulong LastEpoch, long Releases);

/// <summary>A promotion as the journal records it: this node became the primary of <see cref="Generation"/> from the state of <see cref="FromGeneration"/> it committed at <see cref="FromEpoch"/>.</summary>
public sealed record Promotion(string Guest, string Node, ulong Generation, DateTime AtUtc, ulong FromGeneration, ulong FromEpoch);

/// <summary>What a journal file holds.</summary>
/// <param name="Skipped">Lines that could not be read (a last line cut short by a SIGKILL).</param>
public sealed record JournalContent(List<ReleaseSpan> Spans, List<Promotion> Promotions, int Skipped);

/// <summary>
/// The node's release journal (<c>ft.replica.release-journal</c>): for each guest whose primary runs here, compact spans
/// of when it released output and under which generation, one JSON line per span in a file. It is how the chaos
/// campaign checks, across nodes, that no two primaries of one guest released in overlapping time (docs/RELIABILITY.md).
/// </summary>
/// <remarks>
/// <para>Cheap on the guest thread: <see cref="Released"/> updates the guest's open span in place under an uncontended
/// lock (no allocation, no I/O). A span ends when its generation changes, when it has lasted <see cref="SpanLength"/>,
/// when releases pause for that long, or when the primary ends; finished spans go to a background thread that writes and
/// flushes them every <see cref="FlushInterval"/>.</para>
/// <para>Times are UTC anchored once to the monotonic clock (<see cref="Stopwatch"/>), so a wall-clock step does not move
/// them; nodes on one machine share the clock they were anchored to. A process killed with SIGKILL loses its open span
/// and whatever was not yet flushed: at most the last <see cref="SpanLength"/> + <see cref="FlushInterval"/> of releases.</para>
/// </remarks>
public sealed partial class ReleaseJournal : IReleaseObserver, IDisposable
{
    public static readonly TimeSpan SpanLength = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);

    private static readonly ConcurrentDictionary<string, ReleaseJournal> Journals = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, Tracker> _guests = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<object> _finished = new();
    private readonly long _spanTicks = (long)(SpanLength.TotalSeconds * Stopwatch.Frequency);
    private readonly DateTime _anchorUtc = DateTime.UtcNow;
    private readonly long _anchorTicks = Stopwatch.GetTimestamp();
    private readonly StreamWriter _writer;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private int _disposed;

    static ReleaseJournal()
    {
        // A node that exits normally writes its last spans; SIGKILL loses them (see the remarks).
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var journal in Journals.Values) journal.Dispose();
        };
    }

    /// <summary>Opens (appending) or creates the journal at <paramref name="path"/>, whose lines name <paramref name="node"/>.</summary>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public ReleaseJournal(string path, string node)
    {
        Path = System.IO.Path.GetFullPath(path);
        Node = node;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new System.Text.UTF8Encoding(false));
        _writer.Write(HeaderLine(node, Environment.ProcessId, _anchorUtc) + "\n");
        _writer.Flush();
        _thread = new Thread(WriteLoop) { IsBackground = true, Name = "release-journal" };
        _thread.Start();
    }

    public string Path { get; }

    public string Node { get; }

    /// <summary>Lines that could not be written (a full disk, say): the journal never fails its primary.</summary>
    public long WriteErrors { get; private set; }

    /// <summary>The one journal of this process for <paramref name="path"/>, opened on first use: every primary of the node shares it.</summary>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static ReleaseJournal Shared(string path, string node) =>
        Journals.GetOrAdd(System.IO.Path.GetFullPath(path), p => new ReleaseJournal(p, node));

    public void Released(string guest, ulong generation, ulong epoch, long timestamp)
    {
        var tracker = _guests.GetOrAdd(guest, static g => new Tracker(g));
        lock (tracker)
        {
            if (tracker.Open && (tracker.Generation != generation || timestamp - tracker.Last >= _spanTicks || timestamp - tracker.First >= _spanTicks))
            {
                Finish(tracker);
            }
            if (!tracker.Open)
            {
                tracker.Open = true;
                tracker.Generation = generation;
                tracker.First = timestamp;
                tracker.FirstEpoch = epoch;
                tracker.Releases = 0;
            }
            tracker.Last = timestamp;
            tracker.LastEpoch = epoch;
            tracker.Releases++;
        }
    }

    public void Ended(string guest, ulong generation)
    {
        if (!_guests.TryGetValue(guest, out var tracker)) return;
        lock (tracker)
        {
            // A later primary of this guest on this node (a new generation) keeps its own span.
            if (tracker.Open && tracker.Generation == generation) Finish(tracker);
        }
    }

    public void Promoted(string guest, ulong generation, ulong fromGeneration, ulong committedEpoch) =>
        _finished.Enqueue(new Promotion(guest, Node, generation, Utc(System.Diagnostics.Stopwatch.GetTimestamp()), fromGeneration, committedEpoch));

    /// <summary>Ends every open span and writes everything out.</summary>
    public void Flush()
    {
        foreach (var tracker in _guests.Values)
        {
            lock (tracker)
            {
                if (tracker.Open) Finish(tracker);
            }
        }
        lock (_writer) Drain();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Set();
        _thread.Join(TimeSpan.FromSeconds(2));
        Flush();
        lock (_writer) _writer.Dispose();
        Journals.TryRemove(new KeyValuePair<string, ReleaseJournal>(Path, this));
    }

    /// <summary>Called with the tracker's lock held.</summary>
    private void Finish(Tracker t)
    {
        _finished.Enqueue(new ReleaseSpan(t.Guest, Node, t.Generation, Utc(t.First), Utc(t.Last), t.FirstEpoch, t.LastEpoch, t.Releases));
        t.Open = false;
    }

    private DateTime Utc(long timestamp) => _anchorUtc + Stopwatch.GetElapsedTime(_anchorTicks, timestamp);

    private void WriteLoop()
    {
        while (!_stop.Wait(FlushInterval))
        {
            long now = Stopwatch.GetTimestamp();
            foreach (var tracker in _guests.Values)
            {
                lock (tracker)
                {
                    // Spans are cut by time even when no release comes to cut them, so a primary that stops releasing
                    // (paused, partitioned, killed soon after) has its last span on disk.
                    if (tracker.Open && (now - tracker.Last >= _spanTicks || now - tracker.First >= _spanTicks)) Finish(tracker);
                }
            }
            lock (_writer) Drain();
        }
    }

    /// <summary>Called with the writer's lock held.</summary>
    private void Drain()
    {
        if (_finished.IsEmpty) return;
        try
        {
            while (_finished.TryDequeue(out var record)) _writer.Write((record is ReleaseSpan span ? SpanLine(span) : PromotionLine((Promotion)record)) + "\n");
            _writer.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            WriteErrors++;
        }
    }

    /// <summary>A guest's open span; guarded by its own lock.</summary>
    private sealed class Tracker(string guest)
    {
        public readonly string Guest = guest;
        public bool Open;
        public ulong Generation;
        public long First;
        public long Last;
        public ulong FirstEpoch;
        public ulong LastEpoch;
        public long Releases;
    }
}
