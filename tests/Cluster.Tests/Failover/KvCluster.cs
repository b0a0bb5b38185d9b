using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FaultTolerant.Cluster.Chaos;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Harness;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary>
/// One test's cluster: three <c>ft node</c> processes (the witness first, then worker-a and worker-b, gateways on
/// 127.0.0.2 and 127.0.0.3) running miniredis as guest <see cref="Guest"/> with one backup, exposed at 6379:<see cref="Port"/>
/// on every worker's gateway. Every wait ends when the test's time is up; disposing kills every process. Each node's
/// log is kept in <see cref="Logs"/> (deleted only when the test said it passed), and every failure message names that
/// directory and quotes the last lines of each node.
/// </summary>
internal sealed class KvCluster : IAsyncDisposable
{
    public const string Guest = "kv";

    private readonly ITestOutputHelper _output;
    private readonly CancellationTokenSource _bound;
    private readonly Stopwatch _clock;
    private bool _passed;

    private KvCluster(LocalCluster cluster, ITestOutputHelper output, CancellationTokenSource bound, Stopwatch clock, string logs, Network? network)
    {
        Cluster = cluster;
        Network = network;
        _output = output;
        _bound = bound;
        _clock = clock;
        Logs = logs;
        Port = ClusterSettings.FreePort();
    }

    public LocalCluster Cluster { get; }

    /// <summary>The nodes' network namespaces, when the cluster was started in them (node i in start order: the witness, worker-a, worker-b).</summary>
    public Network? Network { get; }

    /// <summary>The guest's cluster port, on every worker's gateway.</summary>
    public int Port { get; }

    /// <summary>Where each node's time-stamped log is (NAME.log).</summary>
    public string Logs { get; }

    /// <summary>Cancelled when the test's time is up.</summary>
    public CancellationToken Cancellation => _bound.Token;

    /// <summary>
    /// Starts the nodes and the guest, and waits until it runs protected and every worker's gateway listens. With
    /// <paramref name="namespaces"/> each node runs in a network namespace of its own (root only), so that links between
    /// nodes can be cut; the namespaces are removed when the cluster is disposed.
    /// </summary>
    public static async Task<KvCluster> StartAsync(ITestOutputHelper output, TimeSpan? bound = null, bool namespaces = false)
    {
        var clock = Stopwatch.StartNew();
        var logs = Directory.CreateTempSubdirectory("ft-failover-").FullName;
        output.WriteLine($"node logs: {logs}");
        var limit = new CancellationTokenSource(bound ?? TimeSpan.FromSeconds(90));
        LocalCluster cluster;
        Network? network = null;
        try
        {
            if (namespaces) network = Network.Create(3, output.WriteLine);
            var options = new LocalClusterOptions(Workers: 2, Witnesses: 1, LogDirectory: logs)
            {
                Placements = network is null ? null : [.. Enumerable.Range(0, 3).Select(network.Placement)],
            };
            cluster = await LocalCluster.StartAsync(options, limit.Token, output.WriteLine);
        }
        catch (Exception e) when (e is ClusterHarnessException or OperationCanceledException or ChaosNetworkException)
        {
            network?.Dispose();
            limit.Dispose();
            throw new ClusterHarnessException($"the cluster did not start: {e.Message}\nnode logs: {logs}");
        }
        var kv = new KvCluster(cluster, output, limit, clock, logs, network);
        try
        {
            await kv.StartGuestAsync();
            return kv;
        }
        catch
        {
            await kv.DisposeAsync();
            throw;
        }
    }

    private async Task StartGuestAsync()
    {
        using (var client = Cluster.Client())
        {
            var image = Convert.ToBase64String(await File.ReadAllBytesAsync(FtProcess.Guest("miniredis"), Cancellation));
            var answer = await client.SendAsync(HttpMethod.Post, "v1/guests", new StartGuestRequest(Guest, image, ["--port", "6379"], 1, [$"6379:{Port}"]));
            Say(answer.GetProperty("message").GetString() ?? answer.GetRawText());
        }
        var status = await WaitFor(s => LocalCluster.Phase(s, Guest) == "running", "miniredis to run with its backup");
        foreach (var worker in Cluster.Workers) await Within(LocalCluster.WaitForPort(GatewayOf(worker), Cancellation), $"{worker.Name}'s gateway to listen");
        var (primary, backup) = Placement(status);
        Say($"kv runs on {primary.Name} (generation {LocalCluster.Generation(status, Guest)}) with its backup on {backup.Name}; cluster port {Port}");
    }

    /// <summary>The guest's primary and its backup (the other worker) as <paramref name="status"/> has them.</summary>
    public (NodeProcess Primary, NodeProcess Backup) Placement(JsonElement status)
    {
        var primary = Cluster.ByAddress(LocalCluster.Primary(status, Guest)!);
        return (primary, Cluster.Workers.Single(w => w.Name != primary.Name));
    }

    public Task<JsonElement> StatusAsync() => Within(Cluster.StatusAsync(), "the cluster's status");

    /// <summary>
    /// Polls the status (the witness first, then the workers) until <paramref name="condition"/> holds; fails with the
    /// last status and the node logs. A request that takes over 3 s is left behind and another sent: while the
    /// coordinator singleton moves, a node's proxy can hold a request for the whole management timeout (20 s).
    /// </summary>
    public async Task<JsonElement> WaitFor(Func<JsonElement, bool> condition, string what, TimeSpan? patience = null)
    {
        var limit = patience ?? TimeSpan.FromSeconds(45);
        var clock = Stopwatch.StartNew();
        string last = "no answer";
        while (clock.Elapsed < limit)
        {
            var ask = Cluster.StatusAsync(Cluster.Nodes.OrderBy(n => n.Spec.Role == "witness" ? 0 : 1));
            _ = ask.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            if (await Within(Task.WhenAny(ask, Task.Delay(TimeSpan.FromSeconds(3), Cancellation)), what) == ask)
            {
                try
                {
                    var status = await ask;
                    if (condition(status))
                    {
                        Say($"{what}: generation {LocalCluster.Generation(status, Guest)}, primary {NameOf(LocalCluster.Primary(status, Guest))}, "
                            + $"backups [{string.Join(", ", Backups(status).Select(NameOf))}], phase {LocalCluster.Phase(status, Guest)}");
                        return status;
                    }
                    last = status.GetRawText();
                }
                catch (ManagementException e)
                {
                    last = e.Message;
                }
            }
            else
            {
                last = "no node answered within 3 s";
            }
            await Within(Task.Delay(100, Cancellation), what);
        }
        throw new TimeoutException($"timed out after {limit.TotalSeconds:0} s waiting for {what}; last status: {last}\n{Evidence()}");
    }

    /// <summary>Awaits <paramref name="task"/> within the test's time; a test out of time fails saying what it waited for.</summary>
    public async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Cancellation);
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"the test's time ran out waiting for {what}\n{Evidence()}");
        }
    }

    public async Task Within(Task task, string what)
    {
        try
        {
            await task.WaitAsync(Cancellation);
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"the test's time ran out waiting for {what}\n{Evidence()}");
        }
    }

    /// <summary>A worker's gateway endpoint for the guest.</summary>
    public IPEndPoint GatewayOf(NodeProcess worker) => new(IPAddress.Parse(worker.GatewayAddress), Port);

    /// <summary>RESP clients writing unique keys through <paramref name="worker"/>'s gateway, each on one connection.</summary>
    public KvLoad StartLoad(NodeProcess worker, int clients = 4)
    {
        Say($"{clients} clients write through {worker.Name}'s gateway at {GatewayOf(worker)}");
        return new KvLoad(this, worker, GatewayOf(worker), clients);
    }

    /// <summary>A node's log so far (this incarnation and earlier ones: a restarted node appends to the same file).</summary>
    public string LogOf(NodeProcess node)
    {
        using var file = new FileStream(node.Spec.LogFile!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(file).ReadToEnd();
    }

    /// <summary>Until <paramref name="node"/>'s log has a line matching <paramref name="pattern"/>; returns the first match.</summary>
    public async Task<Match> WaitForLog(NodeProcess node, Regex pattern, string what, TimeSpan? patience = null)
    {
        var deadline = _clock.Elapsed + (patience ?? TimeSpan.FromSeconds(20));
        while (_clock.Elapsed < deadline)
        {
            if (pattern.Match(LogOf(node)) is { Success: true } match)
            {
                Say($"{node.Name} logged {what}: {match.Value}");
                return match;
            }
            await Within(Task.Delay(100, Cancellation), what);
        }
        throw new TimeoutException($"{node.Name} never logged {what} (/{pattern}/) within {(patience ?? TimeSpan.FromSeconds(20)).TotalSeconds:0} s\n{Evidence()}");
    }

    /// <summary>Fails the test with <paramref name="what"/>, the node logs' directory and every node's last lines unless <paramref name="ok"/>.</summary>
    public void Expect(bool ok, string what) => Assert.True(ok, $"{what}\n{Evidence()}");

    public string Evidence() => $"node logs: {Logs}\n{Cluster.Tails()}";

    public void Say(string line) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {line}");

    /// <summary>The test got to its end: its node logs need not be kept.</summary>
    public void Passed() => _passed = true;

    /// <summary>A node's name for an Akka address (the address itself if no node of this cluster has it).</summary>
    public string NameOf(string? address) => Cluster.Nodes.FirstOrDefault(n => n.AkkaAddress == address)?.Name ?? address ?? "none";

    public static string[] Backups(JsonElement status) =>
        LocalCluster.Guest(status, Guest) is { } g ? [.. g.GetProperty("entry").GetProperty("backups").EnumerateArray().Select(b => b.GetString()!)] : [];

    /// <summary>The newest epoch every backup of the primary's generation acknowledged (0 while a new backup syncs, or when unknown).</summary>
    public static ulong CommittedEpoch(JsonElement status) => LocalCluster.Guest(status, Guest)?.GetProperty("committedEpoch").GetUInt64() ?? 0;

    /// <summary>The primary's own phase (Recruiting, Running, Reprotecting, Ended), or "unknown" when it did not answer the coordinator in time.</summary>
    public static string PrimaryPhase(JsonElement status) => LocalCluster.Guest(status, Guest)?.GetProperty("primaryPhase").GetString() ?? "none";

    public static string Coordinator(JsonElement status) => status.GetProperty("coordinator").GetString()!;

    /// <summary>Members that are Up and reachable, by address.</summary>
    public static string[] UpMembers(JsonElement status) =>
        [.. status.GetProperty("nodes").EnumerateArray()
            .Where(n => n.GetProperty("status").GetString() == "Up" && n.GetProperty("reachable").GetBoolean())
            .Select(n => n.GetProperty("address").GetString()!)];

    public async ValueTask DisposeAsync()
    {
        Say(_passed ? "done; stopping the nodes" : $"stopping the nodes; their logs stay in {Logs}");
        try
        {
            await Cluster.DisposeAsync();
        }
        finally
        {
            // Always: a test process's namespaces are not swept by the next run (it is alive), only by this.
            Network?.Dispose();
            _bound.Dispose();
        }
        if (_passed)
        {
            try
            {
                Directory.Delete(Logs, recursive: true);
            }
            catch (IOException)
            {
                // A log still open: left in the temp directory.
            }
        }
    }
}
