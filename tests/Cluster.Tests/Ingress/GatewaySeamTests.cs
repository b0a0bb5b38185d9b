using System.Net;
using System.Net.Sockets;
using System.Text;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Cluster.Tests.Gateway;
using FaultTolerant.Guest;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// What a gateway needs to serve a primary on another node: it can be up before any primary is known, it leaves alone
/// the connections of other gateways' clients, and it binds where it is told.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewaySeamTests
{
    private const int GuestPort = 7;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_gateway_started_without_a_primary_holds_its_clients_until_it_is_given_one()
    {
        await using var gateway = new GuestGateway("g", [new PortExposure(GuestPort, 0)]);
        gateway.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BoundEndpoints[0]);
        client.GetStream().Write("hello"u8);
        await Task.Delay(300);
        Assert.Empty(gateway.ConnectionIds);

        var primary = new FakePrimary();
        gateway.Failover(primary, []);
        await Eventually(() => primary.Received(GuestStreams.FirstConnection).Length == 5, "the client's bytes to reach the first primary");
        Assert.Equal("hello", Encoding.ASCII.GetString(primary.Received(GuestStreams.FirstConnection)));
        Assert.Equal([GuestStreams.FirstConnection], gateway.ConnectionIds);
        Assert.Equal(0, gateway.Statistics.Dropped);
    }

    [Fact]
    public async Task A_client_waits_for_a_first_primary_no_longer_than_the_connect_timeout()
    {
        await using var gateway = new GuestGateway("g", [new PortExposure(GuestPort, 0)], new GuestGatewayOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        gateway.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BoundEndpoints[0]);
        client.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        Assert.ThrowsAny<IOException>(() => client.GetStream().Read(new byte[1]) == 0 ? throw new IOException("closed") : 0);
        Assert.Equal(1, gateway.Statistics.Dropped);
    }

    [Fact]
    public async Task A_connect_the_primary_never_answers_gives_up_at_the_connect_timeout()
    {
        await using var gateway = new GuestGateway("g", [new PortExposure(GuestPort, 0)], new GuestGatewayOptions { ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        gateway.Start(new FakePrimary { Unresponsive = true });
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BoundEndpoints[0]);
        client.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        Assert.ThrowsAny<IOException>(() => client.GetStream().Read(new byte[1]) == 0 ? throw new IOException("closed") : 0);
        Assert.Equal(1, gateway.Statistics.Dropped);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_promoted_connection_without_a_client_here_is_ended_only_if_this_gateway_is_told_it_owns_them_all(bool endUnclaimed)
    {
        await using var gateway = new GuestGateway("g", [new PortExposure(GuestPort, 0)], new GuestGatewayOptions { EndUnclaimedOnFailover = endUnclaimed });
        gateway.Start(new FakePrimary());
        var promoted = new FakePrimary(100);
        gateway.Failover(promoted, [new ConnectionInfo(40, GuestPort, 10, 20, 20, true, false, false)]);
        Assert.Equal(endUnclaimed, promoted.Ended(40));
    }

    [Fact]
    public async Task A_client_whose_connection_the_new_primary_gave_up_is_reset_not_connected_again_and_replayed()
    {
        var first = new FakePrimary();
        await using var gateway = new GuestGateway("g", [new PortExposure(GuestPort, 0)]);
        gateway.Start(first);
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BoundEndpoints[0]);
        client.GetStream().Write("INCR n"u8);
        await Eventually(() => first.Received(GuestStreams.FirstConnection).Length == 6, "the request to reach the primary");

        // Nothing was committed as far as this gateway knows, yet the primary may have run the request: replaying it on a
        // new connection could run it twice.
        var next = new FakePrimary(100);
        gateway.Failover(next, [], [GuestStreams.FirstConnection]);
        client.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        Assert.ThrowsAny<IOException>(() => client.GetStream().Read(new byte[1]) == 0 ? throw new IOException("closed") : 0);
        Assert.Empty(next.Connected);
        var stats = gateway.Statistics;
        Assert.Equal((1L, 0L, 0L), (stats.Dropped, stats.Gaps, stats.Reconnected));
    }

    [Fact]
    public async Task The_exposed_ports_are_bound_on_the_address_asked_for()
    {
        await using var gateway = new GuestGateway("g", [new PortExposure(GuestPort, 0)], new GuestGatewayOptions { BindAddress = IPAddress.Any });
        gateway.Start(new FakePrimary());
        Assert.Equal(IPAddress.Any, gateway.BoundEndpoints[0].Address);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, gateway.BoundEndpoints[0].Port);

        await using var byDefault = new GuestGateway("g", [new PortExposure(GuestPort, 0)]);
        byDefault.Start(new FakePrimary());
        Assert.Equal(IPAddress.Loopback, byDefault.BoundEndpoints[0].Address);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
