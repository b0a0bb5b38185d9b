using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Cli;

/// <summary>What the demo measured; printed as text or, with --json, as one object.</summary>
public sealed record DemoReport(
    long Operations,
    long AcknowledgedWrites,
    long LostAcknowledgedWrites,
    long ClientErrors,
    double ClientVisibleFailoverSeconds,
    double ReprotectionSeconds,
    string KilledNode,
    string NewPrimary,
    bool Passed);

/// <summary>
/// <c>ft demo</c>, the README's main job: three node processes on this machine (a witness and two workers), miniredis
/// with one backup, concurrent RESP clients writing through the surviving worker's gateway, SIGKILL of the primary's
/// process midway, the load kept running through failover and re-protection (the killed node is restarted and becomes
/// the new backup), then every acknowledged write read back. The exit code says whether nothing was lost.
/// </summary>
internal sealed class ClusterDemo(TextWriter output, bool json, int clients, TimeSpan before, TimeSpan after, string image)
{
    private readonly string _token = NodeHost.NewToken();
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"ft-demo-{Environment.ProcessId}");
    private readonly List<NodeProcess> _nodes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Say(string line)
    {
        if (!json) output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {line}");
    }

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        try
        {
            var report = await RunCoreAsync(cancellation);
            if (json) output.WriteLine(JsonSerializer.Serialize(report, ManagementEndpoint.Json));
            else
            {
                output.WriteLine();
                output.WriteLine($"operations                    {report.Operations}");
                output.WriteLine($"acknowledged writes           {report.AcknowledgedWrites}");
                output.WriteLine($"lost acknowledged writes      {report.LostAcknowledgedWrites}");
                output.WriteLine($"client errors                 {report.ClientErrors}");
                output.WriteLine($"client-visible failover       {report.ClientVisibleFailoverSeconds:0.000} s");
                output.WriteLine($"time to re-protection         {report.ReprotectionSeconds:0.000} s");
                output.WriteLine(report.Passed ? "PASS: nothing anyone saw acknowledged was lost" : "FAIL");
            }
            return report.Passed ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("ft demo: interrupted; stopping the nodes");
            return 130;
        }
        catch (ManagementException e)
        {
            await Console.Error.WriteLineAsync($"ft demo: {e.Message}");
            return 1;
        }
        catch (DemoException e)
        {
            await Console.Error.WriteLineAsync($"ft demo: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var n in _nodes) n.Kill();
            foreach (var n in _nodes) n.Dispose();
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private async Task<DemoReport> RunCoreAsync(CancellationToken cancellation)
    {
        Directory.CreateDirectory(_root);
        // The witness first, on the lowest port (members that come up together are ordered by address): the oldest
        // member hosts the coordinator, away from every primary.
        int[] akka = [.. new[] { ClusterSettings.FreePort(), ClusterSettings.FreePort(), ClusterSettings.FreePort() }.Order()];
        var witness = Start("witness", "witness", akka[0], akka[0], "127.0.0.1");
        await WaitForEndpoint(witness, cancellation);
        var a = Start("worker-a", "worker", akka[1], akka[0], "127.0.0.2");
        var b = Start("worker-b", "worker", akka[2], akka[0], "127.0.0.3");
        await WaitForStatus(witness, s => s.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up"
            && n.GetProperty("role").GetString() == "worker" && n.GetProperty("registered").GetBoolean()) == 2
            && s.GetProperty("majority").GetBoolean(), "three nodes up and both workers registered", cancellation);
        Say($"cluster up: witness {witness.Port}, workers {a.Port} (gateway 127.0.0.2) and {b.Port} (gateway 127.0.0.3); coordinator on the witness");

        int clusterPort = ClusterSettings.FreePort();
        using (var client = new ManagementClient($"127.0.0.1:{witness.ManagementPort}", _token))
        {
            var started = await client.SendAsync(HttpMethod.Post, "v1/guests",
                new StartGuestRequest("kv", Convert.ToBase64String(await File.ReadAllBytesAsync(image, cancellation)), ["--port", "6379"], 1, [$"6379:{clusterPort}"]));
            Say(started.GetProperty("message").GetString() ?? "");
        }
        var status = await WaitForStatus(witness, s => GuestPhase(s) == "running", "miniredis to run protected", cancellation);
        var primaryAddress = Guest(status).GetProperty("entry").GetProperty("primary").GetString()!;
        var primary = primaryAddress.EndsWith($":{a.Port}", StringComparison.Ordinal) ? a : b;
        var survivor = primary == a ? b : a;
        var gateway = new IPEndPoint(IPAddress.Parse(survivor.GatewayAddress), clusterPort);
        Say($"miniredis runs on {primary.Name} with its backup on {survivor.Name}; {clients} clients write through {survivor.Name}'s gateway at {gateway}");

        using var stop = new CancellationTokenSource();
        var load = new RespLoad(gateway, clients);
        var runners = load.Start(stop.Token);
        await Progress(load, before, witness, cancellation);

        var killedAt = Stopwatch.GetTimestamp();
        primary.Kill();
        Say($"SIGKILL {primary.Name} (pid {primary.Pid}), the primary's process: the load keeps running");
        var failedOver = await WaitForStatus(witness, s => GuestPrimary(s) == survivor.AkkaAddress, "the backup's promotion", cancellation);
        Say($"failover: {survivor.Name} is the primary of generation {Guest(failedOver).GetProperty("entry").GetProperty("generation")}");

        var restarted = Start(primary.Name, "worker", primary.Port, akka[0], primary.GatewayAddress);
        Say($"{primary.Name} restarted; it rejoins and becomes the new backup (re-protection, by pre-copy while the guest runs)");
        await WaitForStatus(witness, s => GuestPhase(s) == "running" && Guest(s).GetProperty("committedEpoch").GetUInt64() > 0
            && Guest(s).GetProperty("entry").GetProperty("backups").GetArrayLength() == 1, "re-protection", cancellation, TimeSpan.FromSeconds(60));
        double reprotected = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
        Say($"re-protected {reprotected:0.0} s after the kill");
        await Progress(load, after, witness, cancellation);
        await stop.CancelAsync();
        await Task.WhenAll(runners);

        Say($"reading back {load.Acknowledged} acknowledged writes through {survivor.Name}'s gateway");
        long lost = await load.CountLost(gateway);
        var failover = load.LongestWaitAfter(killedAt);
        return new DemoReport(load.Operations, load.Acknowledged, lost, load.Errors, failover.TotalSeconds, reprotected, primary.Name, survivor.Name,
            lost == 0 && load.Errors == 0 && load.Acknowledged > 0);
    }

    private async Task Progress(RespLoad load, TimeSpan span, NodeProcess witness, CancellationToken cancellation)
    {
        var until = _clock.Elapsed + span;
        while (_clock.Elapsed < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
            Say($"ops {load.Operations,7}  acked writes {load.Acknowledged,7}  errors {load.Errors}  in flight {load.InFlight}");
        }
    }

    private NodeProcess Start(string name, string role, int port, int seed, string gatewayAddress)
    {
        var node = NodeProcess.Start(name, role, port, seed, gatewayAddress, Path.Combine(_root, name), _token);
        _nodes.Add(node);
        return node;
    }

    private async Task<JsonElement> WaitForStatus(NodeProcess node, Func<JsonElement, bool> condition, string what, CancellationToken cancellation, TimeSpan? patience = null)
    {
        var deadline = _clock.Elapsed + (patience ?? TimeSpan.FromSeconds(45));
        using var client = new ManagementClient($"127.0.0.1:{node.ManagementPort}", _token);
        string last = "no answer";
        while (_clock.Elapsed < deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            if (node.Exited) throw new DemoException($"node {node.Name} exited while waiting for {what}: {node.LastLines()}");
            try
            {
                var status = await client.SendAsync(HttpMethod.Get, "v1/status");
                if (condition(status)) return status;
                last = status.GetRawText();
            }
            catch (ManagementException e)
            {
                last = e.Message;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                last = e.Message;
            }
            await Task.Delay(100, cancellation);
        }
        throw new DemoException($"timed out waiting for {what}; last status: {last}");
    }

    /// <summary>Until the node's management endpoint answers at all (before a second member, its coordinator cannot).</summary>
    private async Task WaitForEndpoint(NodeProcess node, CancellationToken cancellation)
    {
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(30);
        while (_clock.Elapsed < deadline)
        {
            if (node.Exited) throw new DemoException($"node {node.Name} exited: {node.LastLines()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, node.ManagementPort, cancellation);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellation);
            }
        }
        throw new DemoException($"node {node.Name} did not open its management endpoint in 30 s: {node.LastLines()}");
    }

    private static JsonElement Guest(JsonElement status) => status.GetProperty("guests").EnumerateArray().First();

    private static string? GuestPhase(JsonElement status) =>
        status.GetProperty("guests").GetArrayLength() == 0 ? null : Guest(status).GetProperty("entry").GetProperty("phase").GetString();

    private static string? GuestPrimary(JsonElement status) =>
        status.GetProperty("guests").GetArrayLength() == 0 ? null : Guest(status).GetProperty("entry").GetProperty("primary").GetString();
}

internal sealed class DemoException(string message) : Exception(message);

/// <summary>One <c>ft node</c> child process.</summary>
internal sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private NodeProcess(string name, int port, string gatewayAddress, Process process)
    {
        Name = name;
        Port = port;
        GatewayAddress = gatewayAddress;
        _process = process;
    }

    public string Name { get; }

    public int Port { get; }

    public int ManagementPort => Port + 1000;

    public string GatewayAddress { get; }

    public string AkkaAddress => $"akka.tcp://ft@127.0.0.1:{Port}";

    public int Pid => _process.Id;

    public bool Exited => _process.HasExited;

    public static NodeProcess Start(string name, string role, int port, int seed, string gatewayAddress, string data, string token)
    {
        var (file, prefix) = Self();
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in prefix) info.ArgumentList.Add(a);
        foreach (var a in new[] { "node", "--role", role, "--port", $"{port}", "--seed", $"127.0.0.1:{seed}", "--data", data, "--gateway-address", gatewayAddress, "--token", token })
        {
            info.ArgumentList.Add(a);
        }
        var process = Process.Start(info) ?? throw new DemoException($"cannot start {file}");
        var node = new NodeProcess(name, port, gatewayAddress, process);
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return node;
    }

    /// <summary>This program: its apphost, or <c>dotnet ft.dll</c>.</summary>
    private static (string File, string[] Prefix) Self()
    {
        var path = Environment.ProcessPath ?? throw new DemoException("cannot tell which program this is");
        if (Path.GetFileNameWithoutExtension(path) == "dotnet") return (path, [typeof(NodeProcess).Assembly.Location]);
        return (path, []);
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 20) _tail.Dequeue();
        }
    }

    public string LastLines()
    {
        lock (_tail) return string.Join("\n", _tail);
    }

    /// <summary>SIGKILL: the process and its sockets vanish at once, as when its host dies.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose() => _process.Dispose();
}

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
    public TimeSpan LongestWaitAfter(long since)
    {
        var longest = TimeSpan.Zero;
        foreach (var c in _clients)
        {
            List<long> times;
            lock (c.Acked) times = [.. c.ReplyTimes];
            long previous = since;
            foreach (var t in times.Where(t => t > since))
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
