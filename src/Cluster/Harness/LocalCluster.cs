using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Harness;

/// <summary>What a local cluster is made of.</summary>
/// <param name="Workers">Worker nodes; their gateways listen on 127.0.0.2, 127.0.0.3, ...</param>
/// <param name="Witnesses">Witness nodes (vote, host the coordinator, run no guests); the first is started first.</param>
/// <param name="LogDirectory">Where each node's time-stamped log goes (NAME.log); null: nowhere.</param>
internal sealed record LocalClusterOptions(int Workers = 2, int Witnesses = 1, string? LogDirectory = null)
{
    /// <summary>
    /// Where each node runs, in start order (witnesses first, then workers): its own address for everything it listens on
    /// (Akka, ingress, data channel, management, gateways) and the command it is started under (a network namespace, for
    /// the chaos campaign). Null: every node on loopback, gateways on 127.0.0.2, 127.0.0.3, ...
    /// </summary>
    public IReadOnlyList<NodePlacement>? Placements { get; init; }

    /// <summary>More configuration for a node (HOCON, given with --config), e.g. its release journal; null: none.</summary>
    public Func<NodeSpec, string?>? NodeHocon { get; init; }
}

/// <summary>Where one node of a local cluster runs: its address, and the command that starts it there (e.g. <c>ip netns exec NS</c>).</summary>
internal sealed record NodePlacement(string Address, IReadOnlyList<string> LaunchPrefix);

/// <summary>
/// A cluster of <c>ft node</c> processes on this machine, for the demo, the failover benchmark, the chaos campaign and
/// the multi-process tests: started in order (witness first, on the lowest port, so the oldest member — the coordinator's
/// host — is the witness), watched through a node's management endpoint, and killed on dispose.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<NodeProcess> _processes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private LocalCluster(string root, string token, LocalClusterOptions options)
    {
        Root = root;
        Token = token;
        Options = options;
    }

    public string Root { get; }

    public string Token { get; }

    public LocalClusterOptions Options { get; }

    /// <summary>The nodes as they now run (a restarted node replaces its old process here).</summary>
    public List<NodeProcess> Nodes { get; } = [];

    public NodeProcess Witness => Nodes.First(n => n.Spec.Role == "witness");

    public IEnumerable<NodeProcess> Workers => Nodes.Where(n => n.Spec.Role == "worker");

    /// <summary>Starts the nodes and waits until every one is up, every worker registered and the coordinator has a majority.</summary>
    public static async Task<LocalCluster> StartAsync(LocalClusterOptions options, CancellationToken cancellation, Action<string>? say = null)
    {
        var root = Path.Combine(Path.GetTempPath(), $"ft-cluster-{Environment.ProcessId}-{Guid.NewGuid():n}"[..40]);
        Directory.CreateDirectory(root);
        var cluster = new LocalCluster(root, NodeHost.NewToken(), options);
        try
        {
            int count = options.Workers + options.Witnesses;
            int[] ports = [.. Enumerable.Range(0, count).Select(_ => ClusterSettings.FreePort()).Order()];
            int seed = ports[0];
            int next = 0;
            var specs = new List<NodeSpec>();
            for (int i = 0; i < options.Witnesses; i++) specs.Add(cluster.Spec(i == 0 ? "witness" : $"witness-{i + 1}", "witness", ports[next++], seed, "127.0.0.1"));
            for (int i = 0; i < options.Workers; i++) specs.Add(cluster.Spec($"worker-{(char)('a' + i)}", "worker", ports[next++], seed, $"127.0.0.{i + 2}"));
            specs = [.. specs.Select(cluster.Placed)];
            // The seed first, alone, until it answers: the others join it.
            var first = cluster.Launch(specs[0]);
            await cluster.WaitForEndpoint(first, cancellation);
            foreach (var spec in specs.Skip(1)) cluster.Launch(spec);
            await cluster.WaitForStatus(s => s.GetProperty("majority").GetBoolean()
                && s.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "Up") == count
                && s.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("role").GetString() == "worker" && n.GetProperty("registered").GetBoolean()) == options.Workers,
                $"{count} nodes up and every worker registered", cancellation, TimeSpan.FromSeconds(60));
            say?.Invoke($"cluster up: {string.Join(", ", cluster.Nodes.Select(n => $"{n.Name} :{n.Port}"))}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private NodeSpec Spec(string name, string role, int port, int seed, string gateway) =>
        new(name, role, port, seed, gateway, Path.Combine(Root, name), Token, Options.LogDirectory is { } logs ? Path.Combine(logs, $"{name}.log") : null);

    /// <summary>The spec moved to its placement (the i-th in start order), with the node's extra configuration.</summary>
    private NodeSpec Placed(NodeSpec spec, int index)
    {
        if (Options.Placements is { } placements)
        {
            if (placements.Count <= index) throw new ArgumentException($"{placements.Count} placements for more nodes", nameof(spec));
            var at = placements[index].Address;
            spec = spec with
            {
                Hostname = at,
                GatewayAddress = at,
                SeedHostname = placements[0].Address,
                LaunchPrefix = placements[index].LaunchPrefix,
                Hocon = $"ft.cluster.ingress.hostname = \"{at}\"\nft.cluster.management.hostname = \"{at}\"\nft.replica.data-channel.hostname = \"{at}\"\n",
            };
        }
        if (Options.NodeHocon?.Invoke(spec) is { } more) spec = spec with { Hocon = spec.Hocon + more };
        return spec;
    }

    private NodeProcess Launch(NodeSpec spec)
    {
        var node = NodeProcess.Start(spec);
        _processes.Add(node);
        int index = Nodes.FindIndex(n => n.Name == spec.Name);
        if (index >= 0) Nodes[index] = node;
        else Nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Starts a killed node again: same name, port, gateway address and data directory (a new incarnation). It joins
    /// through every other live member (its own seed first, unless that is itself: a node whose first seed is its own
    /// address may form a cluster of its own), so one member still holding remoting state for the dead incarnation
    /// cannot keep it out.
    /// </summary>
    public NodeProcess Restart(NodeProcess node)
    {
        node.Kill();
        var others = Nodes.Where(n => n.Name != node.Name && !n.Exited && !n.Paused).ToList();
        var spec = node.Spec;
        bool selfSeeded = spec.Seed == spec.Port && spec.SeedHostname == spec.Hostname;
        if (selfSeeded && others.Count > 0) spec = spec with { Seed = others[0].Port, SeedHostname = others[0].Spec.Hostname };
        var more = others.Where(n => !(n.Port == spec.Seed && n.Spec.Hostname == spec.SeedHostname)).Select(n => $"{n.Spec.Hostname}:{n.Port}").ToList();
        return Launch(spec with { MoreSeeds = more });
    }

    /// <summary>
    /// Starts a killed node again, joining through <paramref name="joinThrough"/> rather than its own seed. Needed for the
    /// seed itself (the first witness): a node whose only seed is its own address joins itself at once, and would form a
    /// new cluster of one instead of rejoining this one.
    /// </summary>
    public NodeProcess Restart(NodeProcess node, NodeProcess joinThrough)
    {
        node.Kill();
        return Launch(node.Spec with { Seed = joinThrough.Port, SeedHostname = joinThrough.Spec.Hostname });
    }

    /// <summary>Until something accepts TCP connections at <paramref name="endpoint"/> (a gateway listens once its node has seen the guest table).</summary>
    /// <exception cref="ClusterHarnessException">Nothing accepted within <paramref name="patience"/> (default 30 s).</exception>
    public static async Task WaitForPort(IPEndPoint endpoint, CancellationToken cancellation, TimeSpan? patience = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = patience ?? TimeSpan.FromSeconds(30);
        while (clock.Elapsed < limit)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(endpoint.Address, endpoint.Port, cancellation);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellation);
            }
        }
        throw new ClusterHarnessException($"nothing accepted connections at {endpoint} within {limit.TotalSeconds:0} s");
    }

    public NodeProcess ByAddress(string akkaAddress) => Nodes.First(n => n.AkkaAddress == akkaAddress);

    /// <summary>A management client of a node that runs (the witness unless told otherwise).</summary>
    public ManagementClient Client(NodeProcess? via = null) => new($"{(via ?? Witness).Spec.Hostname}:{(via ?? Witness).ManagementPort}", Token);

    /// <summary>Asks the first live, unpaused node in <paramref name="order"/> (all nodes by default) for the cluster's status.</summary>
    public async Task<JsonElement> StatusAsync(IEnumerable<NodeProcess>? order = null)
    {
        ManagementException? last = null;
        foreach (var node in (order ?? Nodes).Where(n => !n.Exited && !n.Paused))
        {
            using var client = Client(node);
            try
            {
                return await client.SendAsync(HttpMethod.Get, "v1/status");
            }
            catch (ManagementException e)
            {
                last = e;
            }
        }
        throw last ?? new ManagementException("no node of the cluster runs", ManagementClient.Unreachable);
    }

    /// <summary>Polls the status (the witness first) until <paramref name="condition"/> holds; throws with the last status on timeout.</summary>
    public async Task<JsonElement> WaitForStatus(Func<JsonElement, bool> condition, string what, CancellationToken cancellation, TimeSpan? patience = null)
    {
        var deadline = _clock.Elapsed + (patience ?? TimeSpan.FromSeconds(45));
        string last = "no answer";
        while (_clock.Elapsed < deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                var status = await StatusAsync(Nodes.OrderBy(n => n.Spec.Role == "witness" ? 0 : 1));
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
        throw new ClusterHarnessException($"timed out after {(patience ?? TimeSpan.FromSeconds(45)).TotalSeconds:0} s waiting for {what}; last status: {last}\n{Tails()}");
    }

    /// <summary>Until the node's management endpoint accepts connections (before a second member its coordinator cannot answer).</summary>
    private async Task WaitForEndpoint(NodeProcess node, CancellationToken cancellation)
    {
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(30);
        while (_clock.Elapsed < deadline)
        {
            if (node.Exited) throw new ClusterHarnessException($"node {node.Name} exited: {node.LastLines()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Parse(node.Spec.Hostname), node.ManagementPort, cancellation);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellation);
            }
        }
        throw new ClusterHarnessException($"node {node.Name} did not open its management endpoint in 30 s: {node.LastLines()}");
    }

    /// <summary>The last lines of every node, for a failure message.</summary>
    public string Tails() => string.Join("\n", Nodes.Select(n => $"--- {n.Name}{(n.Exited ? " (exited)" : "")}:\n{n.LastLines()}"));

    public ValueTask DisposeAsync()
    {
        foreach (var p in _processes) p.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a node may still be closing a file.
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>The first guest of a status, and parts of it.</summary>
    public static JsonElement? Guest(JsonElement status, string name) =>
        status.GetProperty("guests").EnumerateArray().Where(g => g.GetProperty("entry").GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    public static string? Phase(JsonElement status, string name) => Guest(status, name)?.GetProperty("entry").GetProperty("phase").GetString();

    public static string? Primary(JsonElement status, string name) => Guest(status, name)?.GetProperty("entry").GetProperty("primary").GetString();

    public static ulong Generation(JsonElement status, string name) => Guest(status, name)?.GetProperty("entry").GetProperty("generation").GetUInt64() ?? 0;

    /// <summary>Running with every backup it asked for, and its backups have committed state.</summary>
    public static bool Protected(JsonElement status, string name) =>
        Guest(status, name) is { } g && g.GetProperty("entry").GetProperty("phase").GetString() == "running"
        && g.GetProperty("committedEpoch").GetUInt64() > 0
        && g.GetProperty("entry").GetProperty("backups").GetArrayLength() == g.GetProperty("entry").GetProperty("replicas").GetInt32();
}

/// <summary>The local cluster did not do what was waited for.</summary>
internal sealed class ClusterHarnessException(string message) : Exception(message);
