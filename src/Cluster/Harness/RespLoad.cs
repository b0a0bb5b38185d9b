using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FaultTolerant.Cluster.Harness;

/// <summary>Concurrent RESP clients, each on a dedicated thread with one connection, writing unique keys (SET) and checking each reply.</summary>
internal sealed class RespLoad(IPEndPoint gateway, int clients)
{
    private readonly List<Client> _clients = [.. Enumerable.Range(0, clients).Select(i => new Client(i))];

    public long Operations => _clients.Sum(c => Volatile.Read(ref c.Operations));

    public long Acknowledged => _clients.Sum(c => c.AckedCount);

    public long Errors => _clients.Sum(c => Volatile.Read(ref c.Errors));

    public int InFlight => _clients.Count(c => c.Waiting);

    private sealed class Client(int number)
    {
        public readonly int Number = number;
        public readonly List<(string Key, string Value)> Acked = [];
        public readonly List<long> ReplyTimes = [];
        public long Operations;
        public long Errors;
        public volatile bool Waiting;

        public long AckedCount
        {
            get
            {
                lock (Acked) return Acked.Count;
            }
        }
    }

    public List<Task> Start(CancellationToken stop) =>
        [.. _clients.Select(c => Task.Factory.StartNew(() => Run(c, stop), TaskCreationOptions.LongRunning))];

    private void Run(Client c, CancellationToken stop)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000 };
            socket.Connect(gateway);
            using var stream = new NetworkStream(socket);
            var reader = new StreamReader(stream, Encoding.ASCII);
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                string key = $"c{c.Number}:k{i}", value = $"v{i}-{Guid.NewGuid():n}";
                var request = Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${value.Length}\r\n{value}\r\n");
                c.Waiting = true;
                stream.Write(request);
                var reply = reader.ReadLine();
                c.Waiting = false;
                Interlocked.Increment(ref c.Operations);
                if (reply != "+OK")
                {
                    Interlocked.Increment(ref c.Errors);
                    return;
                }
                lock (c.Acked)
                {
                    c.Acked.Add((key, value));
                    c.ReplyTimes.Add(Stopwatch.GetTimestamp());
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Interlocked.Increment(ref c.Errors);
        }
    }

    /// <summary>The longest any client waited for a reply across <paramref name="since"/> (the kill): what a client saw of the failover.</summary>
    public TimeSpan LongestWaitAfter(long since) => LongestWaitBetween(since, long.MaxValue);

    /// <summary>
    /// The longest any client waited across <paramref name="since"/>, counting replies up to <paramref name="until"/>: from
    /// the kill (or the client's last reply before it) to each reply after it, the longest gap between consecutive replies.
    /// </summary>
    public TimeSpan LongestWaitBetween(long since, long until)
    {
        var longest = TimeSpan.Zero;
        foreach (var c in _clients)
        {
            List<long> times;
            lock (c.Acked) times = [.. c.ReplyTimes];
            long previous = since;
            foreach (var t in times.Where(t => t > since && t <= until))
            {
                var gap = Stopwatch.GetElapsedTime(previous, t);
                if (gap > longest) longest = gap;
                previous = t;
            }
        }
        return longest;
    }

    /// <summary>Reads every acknowledged key back through the gateway; counts those missing or different. A dropped
    /// connection is opened again and the key asked again (a read changes nothing), a few times at most.</summary>
    public async Task<long> CountLost(IPEndPoint endpoint)
    {
        long lost = 0;
        Reader? reader = null;
        try
        {
            foreach (var c in _clients)
            {
                List<(string Key, string Value)> acked;
                lock (c.Acked) acked = [.. c.Acked];
                // Pipelined in batches: one round trip (an epoch) per batch, not per key.
                foreach (var batch in acked.Chunk(256))
                {
                    for (int attempt = 0; ; attempt++)
                    {
                        try
                        {
                            reader ??= await Reader.Open(endpoint);
                            var got = await reader.Get([.. batch.Select(b => b.Key)]);
                            lost += batch.Where((b, i) => got[i] != b.Value).Count();
                            break;
                        }
                        catch (Exception e) when (e is IOException or SocketException && attempt < 5)
                        {
                            reader?.Dispose();
                            reader = null;
                            await Task.Delay(200);
                        }
                    }
                }
            }
        }
        finally
        {
            reader?.Dispose();
        }
        return lost;
    }

    private sealed class Reader(Socket socket, NetworkStream stream, StreamReader text) : IDisposable
    {
        public static async Task<Reader> Open(IPEndPoint endpoint)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
            await socket.ConnectAsync(endpoint);
            var stream = new NetworkStream(socket);
            return new Reader(socket, stream, new StreamReader(stream, Encoding.ASCII));
        }

        public async Task<string?[]> Get(string[] keys)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(string.Concat(keys.Select(key => $"*2\r\n$3\r\nGET\r\n${key.Length}\r\n{key}\r\n"))));
            var values = new string?[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                var header = await text.ReadLineAsync() ?? throw new IOException("the connection closed");
                if (!header.StartsWith('$') || header == "$-1") continue;
                values[i] = await text.ReadLineAsync() ?? throw new IOException("the connection closed");
            }
            return values;
        }

        public void Dispose()
        {
            text.Dispose();
            stream.Dispose();
            socket.Dispose();
        }
    }
}
