using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Tests.Support;

/// <summary>
/// The input source as DESIGN §4 describes the gateway: it keeps every input byte until a release shows it
/// committed, replays the rest to a new primary after failover, and forwards only output past what it
/// already delivered — so the client sees no gap and no duplicate.
/// </summary>
public sealed class TestGateway : IInputSource
{
    private readonly object _lock = new();
    private readonly Dictionary<long, Client> _clients = [];

    public sealed class Client
    {
        public List<byte> Sent { get; } = [];

        public long CommittedReceived { get; set; }

        public List<byte> Received { get; } = [];

        public bool ClosedByGuest { get; set; }
    }

    public IGuestInputs? Primary { get; set; }

    public List<ReleasedEpoch> Releases { get; } = [];

    public void OnRelease(ReleasedEpoch release)
    {
        lock (_lock)
        {
            Releases.Add(release);
            foreach (var c in release.Connections)
            {
                if (_clients.TryGetValue(c.Connection, out var client)) client.CommittedReceived = Math.Max(client.CommittedReceived, c.Received);
            }
            foreach (var o in release.Output)
            {
                if (!_clients.TryGetValue(o.StreamId, out var client)) continue;
                long delivered = client.Received.Count;
                long end = o.Offset + o.Data.Length;
                if (o.Offset > delivered) throw new InvalidOperationException($"gap in stream {o.StreamId}: delivered {delivered}, release starts at {o.Offset}");
                if (end > delivered) client.Received.AddRange(o.Data.AsSpan((int)(delivered - o.Offset)).ToArray());
                if (o.Closed) client.ClosedByGuest = true;
            }
            Monitor.PulseAll(_lock);
        }
    }

    public async Task<long> ConnectAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                long id = await Primary!.ConnectAsync(port);
                lock (_lock) _clients[id] = new Client();
                return id;
            }
            catch (GuestConnectionRefusedException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }
    }

    public void Send(long connection, byte[] data)
    {
        lock (_lock) _clients[connection].Sent.AddRange(data);
        Primary!.Deliver(connection, data);
    }

    public byte[] ReceivedSoFar(long connection)
    {
        lock (_lock) return [.. _clients[connection].Received];
    }

    /// <summary>Waits (bounded) until the delivered output of a connection satisfies <paramref name="done"/>.</summary>
    public bool WaitFor(long connection, Func<byte[], bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
        {
            while (!done([.. _clients[connection].Received]))
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_lock, left);
            }
            return true;
        }
    }

    /// <summary>Points at the new primary and replays, per connection, every input byte past what its guest has.</summary>
    public void Failover(IGuestInputs primary, IReadOnlyList<ConnectionInfo> promotedConnections)
    {
        lock (_lock)
        {
            Primary = primary;
            foreach (var info in promotedConnections)
            {
                if (!_clients.TryGetValue(info.Id, out var client)) continue;
                client.CommittedReceived = info.Received;
                var rest = client.Sent.Skip((int)info.Received).ToArray();
                if (rest.Length > 0) primary.Deliver(info.Id, rest);
            }
        }
    }
}
