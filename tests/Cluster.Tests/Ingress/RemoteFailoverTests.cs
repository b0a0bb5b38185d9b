using System.Globalization;
using System.Text;
using FaultTolerant.Cluster.Tests.Gateway;
using FaultTolerant.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// A replicated miniredis whose gateway is on another node than its primary (<see cref="ThreeNodeRedis"/>), driven by
/// real TCP RESP clients: when the primary's node dies and the backup takes over on a third node, or when only the
/// ingress connection breaks, the clients' own TCP connections carry on — a pause, not an error — with every
/// acknowledged write kept and every INCR applied exactly once.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RemoteFailoverTests(ITestOutputHelper output)
{
    private const int Clients = 6;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly long[] _progress = new long[Clients];

    /// <param name="cutFirst">
    /// The backup stops receiving 200 ms before node A dies: every client then has requests the old guest received and the
    /// backup never saw (replayed through node C's ingress), and output released on A that the promoted state does not
    /// record as released (sent again by C, dropped by the gateway).
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Clients_of_a_surviving_gateway_pause_while_the_primary_node_dies_and_the_backup_takes_over_on_a_third_node(bool cutFirst)
    {
        await using var cluster = await ThreeNodeRedis.StartAsync();
        try
        {
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(i => RunClient(cluster, i, pipelined: i % 3 == 2, stop.Token)).ToArray();
            await Eventually(() => Progress().All(p => p >= 10), "every client to get 10 replies");
            if (cutFirst)
            {
                cluster.Shipping.Cut();
                await Task.Delay(200);
            }

            var lostRemote = cluster.Remote!;
            await cluster.KillNodeAAsync();
            long[] atDeath = Progress();
            output.WriteLine($"node B's ingress to A ended: {await lostRemote.Disconnected.WaitAsync(Bound)}");

            // A client that arrives while there is no primary waits, as for a paused server.
            var during = Task.Factory.StartNew(() =>
            {
                using var c = cluster.Client();
                return c.Call("PING");
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await Task.Delay(200);

            var promoted = cluster.PromoteOnNodeC();
            var welcome = await cluster.PointGatewayAtAsync(cluster.IngressC!.LocalEndpoint, 2);
            Assert.Equal(2ul, welcome.Generation);
            Assert.NotEmpty(welcome.Connections);
            Assert.All(welcome.Connections, c => Assert.Contains(promoted, p => p.Id == c.Id));

            await Eventually(() => Progress().Select((p, i) => p >= atDeath[i] + 15).All(ok => ok), "every client to get 15 more replies after the failover");
            await stop.CancelAsync();
            var results = await Task.WhenAll(clients).WaitAsync(Bound);
            Assert.Equal("PONG", await during.WaitAsync(Bound));

            using var check = cluster.Client();
            foreach (var r in results)
            {
                // Each client checked every INCR reply was its previous one plus one: none lost, none applied twice.
                Assert.Equal(r.Incrs.ToString(CultureInfo.InvariantCulture), check.Call("GET", r.Counter));
                foreach (var (key, value) in r.Acknowledged) Assert.Equal(value, check.Call("GET", key));
            }
            var stats = cluster.Gateway.Statistics;
            output.WriteLine($"gateway: {stats}; ingress C: {cluster.IngressC.Statistics}; promoted connections {promoted.Count}, claimed {welcome.Connections.Count}");
            Assert.Equal(0, stats.Gaps);
            Assert.Equal(0, stats.Dropped);
            Assert.Equal(0, cluster.IngressC.Statistics.Dropped);
            if (cutFirst) Assert.True(stats.ReplayedBytes > 0, "requests the backup never saw should have been replayed");
        }
        finally
        {
            foreach (var line in cluster.Log) output.WriteLine(line);
        }
    }

    [Fact]
    public async Task A_broken_ingress_connection_to_a_live_primary_is_taken_up_again_with_no_byte_lost_or_repeated()
    {
        TcpProxy? proxy = null;
        await using var cluster = await ThreeNodeRedis.StartAsync(via: a => (proxy = new TcpProxy(a)).Endpoint);
        await using var cut = proxy!;
        try
        {
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(i => RunClient(cluster, i, pipelined: i % 3 == 2, stop.Token)).ToArray();
            await Eventually(() => Progress().All(p => p >= 10), "every client to get 10 replies");

            // Mid-traffic, the network between node B and node A breaks; node A and its primary live on.
            var broken = cluster.Remote!;
            cut.Cut();
            output.WriteLine($"node B's ingress to A ended: {await broken.Disconnected.WaitAsync(Bound)}");
            long[] atBreak = Progress();
            var welcome = await cluster.PointGatewayAtAsync(cluster.IngressA.LocalEndpoint, 1);
            Assert.Equal(Clients, welcome.Connections.Count);

            await Eventually(() => Progress().Select((p, i) => p >= atBreak[i] + 15).All(ok => ok), "every client to get 15 more replies");
            await stop.CancelAsync();
            var results = await Task.WhenAll(clients).WaitAsync(Bound);

            using var check = cluster.Client();
            foreach (var r in results)
            {
                Assert.Equal(r.Incrs.ToString(CultureInfo.InvariantCulture), check.Call("GET", r.Counter));
                foreach (var (key, value) in r.Acknowledged) Assert.Equal(value, check.Call("GET", key));
            }
            var stats = cluster.Gateway.Statistics;
            output.WriteLine($"gateway: {stats}; ingress A: {cluster.IngressA.Statistics}");
            Assert.Equal(0, stats.Gaps);
            Assert.Equal(0, stats.Dropped);
            Assert.Equal(0, cluster.IngressA.Statistics.OrphansEnded);
            Assert.Equal(Clients, cluster.IngressA.Statistics.Claimed);
        }
        finally
        {
            foreach (var line in cluster.Log) output.WriteLine(line);
        }
    }

    /// <summary>Round trips each client has completed so far.</summary>
    private long[] Progress() => [.. Enumerable.Range(0, Clients).Select(i => Interlocked.Read(ref _progress[i]))];

    private sealed record ClientResult(string Counter, long Incrs, IReadOnlyList<(string Key, string Value)> Acknowledged);

    /// <summary>
    /// One client on its own thread: SET a fresh key, then INCR its counter, checking every reply; pipelined clients send
    /// batches of both in one write. Runs until <paramref name="stop"/>.
    /// </summary>
    private Task<ClientResult> RunClient(ThreeNodeRedis cluster, int index, bool pipelined, CancellationToken stop) =>
        Task.Factory.StartNew(() =>
        {
            using var client = cluster.Client();
            string counter = $"counter:{index}";
            var acknowledged = new List<(string, string)>();
            long incrs = 0;
            int batch = pipelined ? 8 : 1;
            for (int round = 0; !stop.IsCancellationRequested; round++)
            {
                var request = new MemoryStream();
                var keys = new List<(string Key, string Value)>();
                for (int j = 0; j < batch; j++)
                {
                    var (key, value) = ($"k:{index}:{round}:{j}", $"v{round * batch + j}-{new string('x', index * 40)}");
                    keys.Add((key, value));
                    request.Write(RespClient.Encode(Encoding.UTF8.GetBytes("SET"), Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value)));
                    request.Write(RespClient.Encode("INCR"u8.ToArray(), Encoding.UTF8.GetBytes(counter)));
                }
                client.Send(request.ToArray());
                foreach (var kv in keys)
                {
                    Assert.Equal("OK", Encoding.UTF8.GetString(client.ReadReply()));
                    acknowledged.Add(kv);
                    Assert.Equal($":{incrs + 1}", Encoding.UTF8.GetString(client.ReadReply()));
                    incrs++;
                }
                Interlocked.Increment(ref _progress[index]);
            }
            return new ClientResult(counter, incrs, acknowledged);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
