using System.Net;
using Akka.Configuration;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Placement;
using Xunit;

namespace FaultTolerant.Cluster.Tests.Node;

/// <summary>The reference configuration (hocon/cluster.conf) read by ClusterSettings: every default, and bad values refused by key.</summary>
public sealed class ClusterSettingsTests
{
    private static ClusterSettings Read(string overrides = "") =>
        ClusterSettings.Create(ConfigurationFactory.ParseString(overrides).WithFallback(NodeHost.BuildConfig(new NodeOptions { DataDirectory = "/tmp/ft-settings-test" })));

    [Fact]
    public void Every_default_is_the_documented_one()
    {
        var s = Read();
        Assert.Equal(NodeRole.Worker, s.Role);
        Assert.Equal(IPAddress.Loopback, s.GatewayAddress);
        Assert.Equal(IPAddress.Loopback, s.IngressAddress);
        Assert.Equal(0, s.IngressPort);
        Assert.Equal(IPAddress.Loopback, s.ManagementAddress);
        Assert.Equal(TimeSpan.FromSeconds(3), s.MajorityTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(400), s.MajorityFirstTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(300), s.SuspectPingTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(600), s.IndirectDownAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), s.OrphanTimeout);
        Assert.Equal(16L << 20, s.IngressMaxUnacknowledgedOutput);
        Assert.Equal(TimeSpan.FromSeconds(5), s.IngressHelloTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), s.IngressHeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), s.IngressIdleTimeout);
        Assert.Equal(4L << 20, s.GatewayMaxUncommittedInput);
        Assert.Equal(4L << 20, s.GatewayMaxUnsentOutput);
        Assert.Equal(TimeSpan.FromSeconds(10), s.GatewayConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), s.GatewayCloseLinger);
    }

    [Fact]
    public void The_akka_settings_the_failover_time_depends_on_are_the_tuned_ones()
    {
        var c = NodeHost.BuildConfig(new NodeOptions());
        Assert.Equal(TimeSpan.FromMilliseconds(250), c.GetTimeSpan("akka.cluster.failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromMilliseconds(800), c.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal("keep-majority", c.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(4), c.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal(TimeSpan.FromMilliseconds(50), c.GetTimeSpan("akka.cluster.distributed-data.notify-subscribers-interval"));
        Assert.Equal(TimeSpan.FromMilliseconds(500), c.GetTimeSpan("akka.cluster.distributed-data.gossip-interval"));
        Assert.Equal(TimeSpan.FromSeconds(1), c.GetTimeSpan("akka.cluster.retry-unsuccessful-join-after"));
        Assert.Equal(TimeSpan.FromSeconds(1), c.GetTimeSpan("akka.remote.retry-gate-closed-for"));
        Assert.False(c.GetBoolean("akka.remote.dot-netty.tcp.batching.enabled"));
    }

    [Fact]
    public void Options_built_from_the_settings_carry_them()
    {
        var s = Read("ft.cluster.gateway.connect-timeout = 3s\nft.cluster.ingress.idle-timeout = 7s\nft.cluster.gateway-address = \"127.0.0.9\"");
        var gateway = s.GatewayOptions(null);
        Assert.Equal(TimeSpan.FromSeconds(3), gateway.ConnectTimeout);
        Assert.Equal(IPAddress.Parse("127.0.0.9"), gateway.BindAddress);
        Assert.False(gateway.EndUnclaimedOnFailover);
        Assert.Equal(TimeSpan.FromSeconds(7), s.IngressOptions(null).IdleTimeout);
    }

    [Theory]
    [InlineData("ft.cluster.role = leader", "ft.cluster.role")]
    [InlineData("ft.cluster.gateway.connect-timeout = 0s", "ft.cluster.gateway.connect-timeout")]
    [InlineData("ft.cluster.ingress.max-unacknowledged-output = 0", "ft.cluster.ingress.max-unacknowledged-output")]
    [InlineData("ft.cluster.placement.majority-timeout = -1s", "ft.cluster.placement.majority-timeout")]
    [InlineData("ft.cluster.management.port = 70000", "ft.cluster.management.port")]
    [InlineData("ft.cluster.gateway-address = \"not an address!\"", "ft.cluster.gateway-address")]
    public void A_bad_value_is_refused_naming_its_key(string overrides, string key)
    {
        var e = Assert.Throws<ClusterConfigurationException>(() => Read(overrides));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }
}
