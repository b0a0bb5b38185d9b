using System.Collections.Concurrent;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Tests.Gateway;

/// <summary>
/// A primary that only records what the gateway hands it: the test plays the guest, and its releases, by hand, so the
/// gateway's bookkeeping can be driven into the corners a real guest reaches only by chance.
/// </summary>
public sealed class FakePrimary(long firstId = GuestStreams.FirstConnection) : IGuestInputs
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, MemoryStream> _input = [];
    private readonly HashSet<long> _ended = [];
    private long _nextId = firstId;

    /// <summary>Set to make connects hang, as they do on a primary that has stopped.</summary>
    public bool Unresponsive { get; set; }

    public ConcurrentQueue<long> Connected { get; } = new();

    public Task<long> ConnectAsync(int port, uint peerAddress = 0x7f000001, int peerPort = 0)
    {
        if (Unresponsive) return new TaskCompletionSource<long>().Task;
        lock (_lock)
        {
            long id = _nextId++;
            _input[id] = new MemoryStream();
            Connected.Enqueue(id);
            return Task.FromResult(id);
        }
    }

    public void Deliver(long connection, byte[] data)
    {
        lock (_lock)
        {
            if (!_input.TryGetValue(connection, out var s)) _input[connection] = s = new MemoryStream();
            s.Write(data);
        }
    }

    public void EndInput(long connection)
    {
        lock (_lock) _ended.Add(connection);
    }

    public byte[] Received(long connection)
    {
        lock (_lock) return _input.TryGetValue(connection, out var s) ? s.ToArray() : [];
    }

    public bool Ended(long connection)
    {
        lock (_lock) return _ended.Contains(connection);
    }
}
