using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Tests.Support;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>A guest's row as <c>GET /v1/status</c> shows it: what a refused request must leave as it was.</summary>
public sealed record GuestRow(string Name, ulong Generation, string Primary, string Backups);

/// <summary>
/// A real cluster of three nodes in this process, each built as <c>ft node</c> builds it (<see cref="NodeHost.Build"/>):
/// a witness started first on the lowest port (the oldest member, so it hosts the coordinator), then two workers whose
/// gateways listen on 127.0.0.2 and 127.0.0.3. Every node has its own data directory; all share one token.
/// </summary>
public sealed class SmallCluster : IAsyncLifetime
{
    public const string Token = "small-cluster-token";

    /// <summary>Each worker's gateway address, in the order of <see cref="Workers"/>.</summary>
    public static readonly string[] GatewayAddresses = ["127.0.0.2", "127.0.0.3"];

    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<IHost> _hosts = [];
    private readonly string _root = Directory.CreateTempSubdirectory("ft-nodes-").FullName;

    /// <summary>The witness's management endpoint (host:port), where the command line is pointed.</summary>
    public string Node { get; private set; } = "";

    /// <summary>Every node's management endpoint (host:port): the witness's, then the workers'.</summary>
    public IReadOnlyList<string> Nodes { get; private set; } = [];

    /// <summary>The workers' Akka addresses, in the order of <see cref="GatewayAddresses"/>.</summary>
    public IReadOnlyList<string> Workers { get; private set; } = [];

    /// <summary>What the nodes logged, for a failing test's message.</summary>
    public string Log => string.Join("\n", _log.TakeLast(60));

    public async Task InitializeAsync()
    {
        // Six distinct ports: three Akka ports (the lowest the witness's) and their management endpoints.
        var ports = new SortedSet<int>();
        while (ports.Count < 6) ports.Add(FreePort.Next());
        int[] all = [.. ports];
        var seed = $"127.0.0.1:{all[0]}";
        // These tests are about refusals, not failure detection: a loaded two-core machine must not make a node look dead.
        var config = Path.Combine(_root, "test.conf");
        await File.WriteAllTextAsync(config, """
            akka.loglevel = WARNING
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 5s
            """);
        NodeOptions Options(string name, string role, int index, string? gateway) => new()
        {
            ConfigFile = config,
            Seeds = [seed],
            Role = role,
            Port = all[index],
            ManagementPort = all[index + 3],
            DataDirectory = Path.Combine(_root, name),
            GatewayAddress = gateway,
            Token = Token,
        };
        Nodes = [$"127.0.0.1:{all[3]}", $"127.0.0.1:{all[4]}", $"127.0.0.1:{all[5]}"];
        Node = Nodes[0];
        Workers = [$"akka.tcp://ft@127.0.0.1:{all[1]}", $"akka.tcp://ft@127.0.0.1:{all[2]}"];
        try
        {
            await StartNode("witness", Options("witness", "witness", 0, null));
            await StartNode("worker-a", Options("worker-a", "worker", 1, GatewayAddresses[0]));
            await StartNode("worker-b", Options("worker-b", "worker", 2, GatewayAddresses[1]));
            await WaitUntilReady(TimeSpan.FromSeconds(30));
        }
        catch
        {
            // No test runs, and nothing is left listening for the other test collections to trip over.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartNode(string name, NodeOptions options)
    {
        var host = NodeHost.Build(options, line => _log.Enqueue($"[{name}] {line}"));
        _hosts.Add(host);
        await host.StartAsync();
    }

    /// <summary>Three members up, both workers registered, and the coordinator sees a majority.</summary>
    private async Task WaitUntilReady(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        string last = "no answer yet";
        while (clock.Elapsed < patience)
        {
            try
            {
                var status = await StatusAsync();
                var nodes = status.GetProperty("nodes").EnumerateArray().ToList();
                if (status.GetProperty("majority").GetBoolean()
                    && nodes.Count(n => n.GetProperty("status").GetString() == "Up") == 3
                    && nodes.Count(n => n.GetProperty("role").GetString() == "worker" && n.GetProperty("registered").GetBoolean()) == 2)
                {
                    return;
                }
                last = status.GetRawText();
            }
            catch (ManagementException e)
            {
                last = e.Message;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the cluster was not ready within {patience.TotalSeconds} s; last status: {last}\n{Log}");
    }

    internal ManagementClient Client(string? token = null, string? node = null) => new(node ?? Node, token ?? Token);

    public async Task<JsonElement> StatusAsync()
    {
        using var client = Client();
        return await client.SendAsync(HttpMethod.Get, "v1/status");
    }

    public async Task<IReadOnlyList<GuestRow>> GuestsAsync()
    {
        var status = await StatusAsync();
        return [.. status.GetProperty("guests").EnumerateArray().Select(g => g.GetProperty("entry")).Select(e => new GuestRow(
            e.GetProperty("name").GetString()!,
            e.GetProperty("generation").GetUInt64(),
            e.GetProperty("primary").GetString()!,
            string.Join(",", e.GetProperty("backups").EnumerateArray().Select(b => b.GetString()))))];
    }

    /// <summary>A request the cluster must refuse: the exception it ends in (with its exit code and HTTP status).</summary>
    internal async Task<ManagementException> RefusedAsync(HttpMethod method, string path, object? body = null, string? token = null, string? node = null)
    {
        using var client = Client(token, node);
        return await Assert.ThrowsAsync<ManagementException>(() => client.SendAsync(method, path, body));
    }

    /// <summary>Starts a guest (it must start) and stops it when disposed, so that no test depends on another's leftovers.</summary>
    public async Task<IAsyncDisposable> StartGuestAsync(StartGuestRequest request)
    {
        using var client = Client();
        var result = await client.SendAsync(HttpMethod.Post, "v1/guests", request);
        Assert.True(result.GetProperty("ok").GetBoolean(), result.GetRawText());
        return new Started(this, request.Name);
    }

    /// <summary>
    /// Nothing changed: the same guests with the same generations and placement as <paramref name="before"/>, and no
    /// gateway listening on <paramref name="clusterPort"/> at any of <paramref name="addresses"/> (default: every worker's).
    /// </summary>
    public async Task AssertUnchangedAsync(IReadOnlyList<GuestRow> before, int? clusterPort = null, params string[] addresses)
    {
        Assert.Equal(before, await GuestsAsync());
        if (clusterPort is not { } port) return;
        // A gateway follows the guest table within Distributed Data's notify interval (50 ms): give a wrong one time to appear.
        await Task.Delay(300);
        foreach (var address in addresses.Length > 0 ? addresses : GatewayAddresses)
        {
            using var probe = new TcpClient();
            var e = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Parse(address), port));
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        }
    }

    public static StartGuestRequest Start(string name, byte[] image, int replicas = 1, params string[] expose) =>
        new(name, Convert.ToBase64String(image), ["--port", "6379"], replicas, expose);

    public static byte[] Miniredis() => File.ReadAllBytes(FtProcess.Guest("miniredis"));

    public async Task DisposeAsync()
    {
        // Workers first, then the witness: each leaves the cluster gracefully while the others still see it.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await Task.WhenAll(_hosts.Skip(1).Select(h => StopQuietly(h, patience.Token)));
        if (_hosts.Count > 0) await StopQuietly(_hosts[0], patience.Token);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A node still closing a file: the temp directory is left behind.
        }
    }

    private static async Task StopQuietly(IHost host, CancellationToken cancellation)
    {
        try
        {
            await host.StopAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            // Bounded: a node that does not leave in time is dropped with the process.
        }
        host.Dispose();
    }

    private sealed class Started(SmallCluster cluster, string name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            using var client = cluster.Client();
            await client.SendAsync(HttpMethod.Delete, $"v1/guests/{name}");
        }
    }
}
