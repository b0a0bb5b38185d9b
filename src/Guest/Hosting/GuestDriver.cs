using System.Text;

namespace FaultTolerant.Guest.Hosting;

/// <summary>
/// Drives a guest from the calling thread: runs it, waits out timed blocks, and collects what it writes.
/// For tools, tests and demos; a replicated node has its own run loop with epochs.
/// </summary>
public sealed class GuestDriver(IGuest guest)
{
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Dictionary<long, MemoryStream> _connections = [];
    private readonly HashSet<long> _closed = [];

    public IGuest Guest { get; } = guest;

    /// <summary>Instructions per <see cref="IGuest.Run"/> call.</summary>
    public long Slice { get; init; } = 1_000_000;

    public byte[] Stdout => _stdout.ToArray();

    public string StdoutText => Encoding.UTF8.GetString(_stdout.ToArray());

    public string StderrText => Encoding.UTF8.GetString(_stderr.ToArray());

    /// <summary>Bytes the guest sent on a connection so far (released and collected).</summary>
    public byte[] Received(long connectionId) => _connections.TryGetValue(connectionId, out var s) ? s.ToArray() : [];

    /// <summary>Takes the bytes received on a connection, so the next call returns only newer ones.</summary>
    public byte[] TakeReceived(long connectionId)
    {
        if (!_connections.TryGetValue(connectionId, out var s)) return [];
        var bytes = s.ToArray();
        s.SetLength(0);
        return bytes;
    }

    public bool IsClosedByGuest(long connectionId) => _closed.Contains(connectionId);

    /// <summary>
    /// Runs until the guest exits or faults, blocks with nothing but input able to wake it, or the
    /// instruction budget is spent. Timed blocks are waited out in host time.
    /// </summary>
    public GuestRunResult RunUntilIdle(long maxInstructions = 10_000_000_000) => RunUntil(static () => false, maxInstructions);

    /// <summary>
    /// Runs until <paramref name="done"/> holds (checked after each slice, on collected output), or as
    /// <see cref="RunUntilIdle"/> would stop.
    /// </summary>
    public GuestRunResult RunUntil(Func<bool> done, long maxInstructions = 10_000_000_000)
    {
        long start = Guest.InstructionsRetired;
        while (true)
        {
            long left = maxInstructions - (Guest.InstructionsRetired - start);
            if (left <= 0) return GuestRunResult.BudgetExhausted.Instance;
            var result = Guest.Run(Math.Min(Slice, left));
            Collect();
            if (done()) return result;
            switch (result)
            {
                case GuestRunResult.Exited or GuestRunResult.Faulted:
                    return result;
                case GuestRunResult.Blocked { WakeAfter: null }:
                    return result;
                case GuestRunResult.Blocked { WakeAfter: { } wait }:
                    if (wait > TimeSpan.Zero) Thread.Sleep(wait);
                    break;
            }
        }
    }

    /// <summary>Moves released output into the collected buffers.</summary>
    public void Collect()
    {
        foreach (var o in Guest.TakeOutput())
        {
            var target = o.StreamId switch
            {
                GuestStreams.Stdout => _stdout,
                GuestStreams.Stderr => _stderr,
                _ => Connection(o.StreamId),
            };
            target.Write(o.Data);
            if (o.Closed && o.StreamId >= GuestStreams.FirstConnection) _closed.Add(o.StreamId);
        }
    }

    private MemoryStream Connection(long id)
    {
        if (!_connections.TryGetValue(id, out var s)) _connections[id] = s = new MemoryStream();
        return s;
    }

    /// <summary>Sends bytes on a connection, delivering in as many runs as the guest's receive buffer needs.</summary>
    public void Send(long connectionId, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = Guest.Deliver(connectionId, data);
            data = data[n..];
            if (!data.IsEmpty) RunUntil(() => true);
        }
    }
}
