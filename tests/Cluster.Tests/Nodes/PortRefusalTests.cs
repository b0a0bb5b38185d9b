using System.Net;
using System.Net.Sockets;
using System.Text;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Tests.Support;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>A cluster port that cannot be served — another guest exposes it, another program holds it — is refused up front.</summary>
[Collection(SmallClusterCollection.Name)]
public sealed class PortRefusalTests(SmallCluster cluster)
{
    [Fact]
    public async Task A_cluster_port_another_guest_exposes_is_refused_and_leaves_that_guest_as_it_was()
    {
        int port = FreePort.Next();
        await using var first = await cluster.StartGuestAsync(SmallCluster.Start("kv-first", SmallCluster.Miniredis(), 1, $"6379:{port}"));
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start("kv-second", SmallCluster.Miniredis(), 1, $"6380:{port}"));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal($"cluster port {port} is already exposed by guest kv-first", refused.Message);
        await cluster.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task A_cluster_port_freed_by_a_stopped_guest_can_be_taken_at_once()
    {
        int port = FreePort.Next();
        await (await cluster.StartGuestAsync(SmallCluster.Start("kv-before", SmallCluster.Miniredis(), 1, $"6379:{port}"))).DisposeAsync();
        await using var after = await cluster.StartGuestAsync(SmallCluster.Start("kv-after", SmallCluster.Miniredis(), 1, $"6379:{port}"));
        // Served on both workers: neither gateway was left out by the first guest's still closing.
        foreach (var address in SmallCluster.GatewayAddresses) Assert.Equal("+PONG\r\n", await PingAsync(address, port));
    }

    [Fact]
    public async Task A_cluster_port_another_program_holds_on_a_workers_gateway_address_is_refused_naming_node_address_and_port()
    {
        int port = FreePort.Next();
        using var squatter = new TcpListener(IPAddress.Parse(SmallCluster.GatewayAddresses[0]), port);
        squatter.Start();
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start("kv-squatted", SmallCluster.Miniredis(), 1, $"6379:{port}"));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal(
            $"a worker's gateway cannot listen on the guest's cluster ports (node {cluster.Workers[0]}: {SmallCluster.GatewayAddresses[0]}:{port} is in use); nothing was started",
            refused.Message);
        // The other worker's gateway address stays free: no gateway was started there either.
        await cluster.AssertUnchangedAsync(before, port, SmallCluster.GatewayAddresses[1]);
        Assert.False(squatter.Pending());
    }

    /// <summary>
    /// PING through the gateway at <paramref name="address"/>, trying again while none listens there yet or the one there
    /// lets the client go: a gateway follows the guest table a moment after the start is answered.
    /// </summary>
    private static async Task<string> PingAsync(string address, int port)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Parse(address), port, patience.Token);
                var stream = client.GetStream();
                await stream.WriteAsync(RespClient.Encode("PING"u8.ToArray()), patience.Token);
                var reply = new byte[7];
                await stream.ReadExactlyAsync(reply, patience.Token);
                return Encoding.ASCII.GetString(reply);
            }
            catch (Exception e) when (e is SocketException or IOException && !patience.IsCancellationRequested)
            {
                await Task.Delay(50, patience.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the guest did not answer through the gateway at {address}:{port} within 10 s");
            }
        }
    }
}
