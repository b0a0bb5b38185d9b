using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Cli;

/// <summary>
/// The second act of <c>ft demo</c>: miniredis replicated to a backup over a real TCP data channel, real TCP
/// clients writing through the gateway, the primary killed mid-traffic, the backup promoted; the clients see a
/// pause, not an error, and every write they saw acknowledged is there.
/// </summary>
internal static class FailoverDemo
{
    private const int Clients = 4;
    private const string BackupId = "backup-1";

    public static async Task<bool> RunAsync(string elfPath, Action<string> say)
    {
        var elf = await File.ReadAllBytesAsync(elfPath);
        var guest = Rv64Guest.Load(elf, ["miniredis.elf", "--port", "6379"]);
        PrimaryReplica? primary = null;

        // The backup's node: a data-channel listener feeding a backup replica; its answers go to the primary.
        var backup = new BackupReplica(BackupId, c => Rv64Guest.Restore(c));
        await using var listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (_, _) => backup, outcome =>
        {
            switch (outcome.Outcome)
            {
                case AssemblyOutcome.Committed c: primary?.Acked(BackupId, c.Generation, c.Epoch); break;
                case AssemblyOutcome.ResyncNeeded: primary?.ResyncRequested(BackupId, outcome.Generation); break;
                case AssemblyOutcome.Fenced f: primary?.Fence(f.HighestGeneration); break;
            }
        });
        listener.Start();

        // The primary's node: the guest, its link to the backup, and the gateway clients connect to.
        var link = new TcpBackupLink(BackupId, listener.LocalEndpoint, 1, "miniredis", 1, "primary-node", (id, _) => primary?.ResyncRequested(id, 1));
        await using var gateway = new GuestGateway("miniredis", [new PortExposure(6379, 0)]);
        primary = new PrimaryReplica(guest, new PrimaryOptions("miniredis", 1, 1), [link], gateway);
        primary.Start();
        gateway.Start(primary);
        var endpoint = gateway.BoundEndpoints[0];
        say($"miniredis is the primary (generation 1); its backup receives checkpoints over TCP at {listener.LocalEndpoint}");
        say($"clients connect to the gateway at {endpoint}; every reply waits until the backup has the state that produced it");

        using var stop = new CancellationTokenSource();
        var progress = new Progress();
        // The clients block on their sockets: dedicated threads, or they would starve the thread pool that the
        // gateway's and the data channel's asynchronous I/O run on.
        var writers = Enumerable.Range(0, Clients)
            .Select(i => Task.Factory.StartNew(() => Writer(endpoint.Port, i, progress, stop.Token), TaskCreationOptions.LongRunning))
            .ToList();
        await Task.Delay(1500);
        say($"{Clients} clients are writing: {progress.Acked} writes acknowledged so far, epoch {primary.Epoch}, released {primary.ReleasedEpoch}");

        var killedAt = Stopwatch.GetTimestamp();
        primary.Stop();
        await link.DisposeAsync();
        await primary.Completion;
        say($"the primary's host is lost: primary stopped abruptly at epoch {primary.Epoch}, its data channel cut");

        var promoted = backup.Promote(2);
        var next = new PrimaryReplica(promoted, new PrimaryOptions("miniredis", 1, 2), [], gateway);
        gateway.Failover(next, promoted.Connections);
        next.Start();
        say($"the backup is promoted at generation 2 from its committed epoch {backup.CommittedEpoch}; the gateway replays what it had not received");

        await Task.Delay(1000);
        stop.Cancel();
        var results = await Task.WhenAll(writers);
        var errors = results.Sum(r => r.Errors);
        var pause = results.Max(r => r.LongestWaitAfter(killedAt));
        int acked = results.Sum(r => r.Acked.Count);
        say($"clients: {acked} writes acknowledged, {errors} errors; the longest wait for a reply across the failover was {pause.TotalMilliseconds:0} ms " +
            "(promotion is immediate here; in a cluster the failure detector's time comes first)");

        // Every acknowledged write must be readable, and the shared counter must count each acknowledged INCR once.
        using var check = new Resp(endpoint.Port);
        int missing = 0;
        foreach (var (key, value) in results.SelectMany(r => r.Acked))
        {
            if (check.Call("GET", key) != value) missing++;
        }
        long incrs = results.Sum(r => (long)r.Acked.Count);
        var hits = check.Call("INCR", "hits");
        say($"verification: {acked - missing} of {acked} acknowledged writes read back; INCR hits -> {hits} (expected {incrs + 1})");
        next.Stop();
        await next.Completion;
        return missing == 0 && errors == 0 && hits == $":{incrs + 1}";
    }

    private sealed class Progress
    {
        private int _acked;

        public int Acked => Volatile.Read(ref _acked);

        public void Add() => Interlocked.Increment(ref _acked);
    }

    private sealed class WriterResult
    {
        public List<(string Key, string Value)> Acked { get; } = [];

        public List<long> ReplyTimes { get; } = [];

        public int Errors { get; set; }

        public void Add(string key, string value)
        {
            Acked.Add((key, value));
            ReplyTimes.Add(Stopwatch.GetTimestamp());
        }

        /// <summary>The longest gap between consecutive replies that spans <paramref name="moment"/>.</summary>
        public TimeSpan LongestWaitAfter(long moment)
        {
            var longest = TimeSpan.Zero;
            for (int i = 1; i < ReplyTimes.Count; i++)
            {
                if (ReplyTimes[i] < moment) continue;
                var gap = Stopwatch.GetElapsedTime(ReplyTimes[i - 1], ReplyTimes[i]);
                if (gap > longest) longest = gap;
            }
            return longest;
        }
    }

    /// <summary>One client: SET a unique key, then INCR the shared counter, each only after the previous reply.</summary>
    private static WriterResult Writer(int port, int id, Progress progress, CancellationToken stop)
    {
        var result = new WriterResult();
        using var resp = new Resp(port);
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            try
            {
                string key = $"client{id}:key{n}", value = $"value-{id}-{n}";
                if (resp.Call("SET", key, value) != "OK" || !resp.Call("INCR", "hits").StartsWith(':')) result.Errors++;
                else
                {
                    result.Add(key, value);
                    progress.Add();
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                result.Errors++;
                break;
            }
        }
        return result;
    }

    /// <summary>A blocking RESP2 client for simple replies and bulk strings.</summary>
    private sealed class Resp : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly BufferedStream _in;

        public Resp(int port)
        {
            _tcp = new TcpClient("127.0.0.1", port) { NoDelay = true, ReceiveTimeout = 30_000 };
            _stream = _tcp.GetStream();
            _in = new BufferedStream(_stream);
        }

        public string Call(params string[] args)
        {
            var sb = new StringBuilder($"*{args.Length}\r\n");
            foreach (var a in args) sb.Append($"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n");
            _stream.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            var line = ReadLine();
            if (line[0] != '$') return line[0] == '+' ? line[1..] : line;
            int length = int.Parse(line[1..]);
            if (length < 0) return "(nil)";
            var data = new byte[length + 2];
            _in.ReadExactly(data);
            return Encoding.UTF8.GetString(data, 0, length);
        }

        private string ReadLine()
        {
            var sb = new StringBuilder();
            while (true)
            {
                int b = _in.ReadByte();
                if (b < 0) throw new IOException("the gateway closed the connection");
                if (b == '\n' && sb.Length > 0 && sb[^1] == '\r') return sb.ToString(0, sb.Length - 1);
                sb.Append((char)b);
            }
        }

        public void Dispose() => _tcp.Dispose();
    }
}
