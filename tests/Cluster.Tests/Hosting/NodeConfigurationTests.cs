using Akka.Configuration;
using FaultTolerant.Cluster.Hosting;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Tests.Hosting;

/// <summary>How a node's options become its configuration, for an embedded node and for <c>ft node</c>'s flags alike.</summary>
public sealed class NodeConfigurationTests
{
    [Fact]
    public void Every_option_overrides_its_key_over_the_hocon_over_the_file_over_the_reference()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "ft.cluster.gateway-address = \"127.0.0.7\"\nft.cluster.placement.orphan-timeout = 7s\nakka.remote.dot-netty.tcp.port = 1");
            var config = NodeConfiguration.Effective(new FaultTolerantNodeOptions
            {
                Role = NodeRole.Witness,
                Port = 4101,
                Hostname = "127.0.0.1",
                DataDirectory = "/tmp/a \"quoted\" dir",
                ManagementPort = 5999,
                Token = "t",
                Hocon = "ft.cluster.gateway-address = \"127.0.0.8\"",
                ConfigFile = file,
            });

            Assert.Equal("witness", config.GetString("ft.cluster.role"));
            Assert.Equal(4101, config.GetInt("akka.remote.dot-netty.tcp.port"));
            Assert.Equal("/tmp/a \"quoted\" dir", config.GetString("ft.cluster.data-directory"));
            Assert.Equal(5999, config.GetInt("ft.cluster.management.port"));
            Assert.Equal("t", config.GetString("ft.cluster.management.token"));
            Assert.Equal("127.0.0.8", config.GetString("ft.cluster.gateway-address"));
            Assert.Equal(TimeSpan.FromSeconds(7), config.GetTimeSpan("ft.cluster.placement.orphan-timeout"));
            Assert.Equal(NodeHost.Reference.GetTimeSpan("ft.cluster.placement.majority-timeout"), config.GetTimeSpan("ft.cluster.placement.majority-timeout"));
            Assert.False(config.GetConfig("ft.replica").IsEmpty);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Seeds_are_joined_by_the_actor_systems_name_and_never_written_to_the_configuration()
    {
        var config = NodeConfiguration.Effective(new FaultTolerantNodeOptions { Seeds = ["127.0.0.1:4100"] });

        Assert.Empty(config.GetStringList("akka.cluster.seed-nodes") ?? []);
        Assert.Equal("akka.tcp://orders@127.0.0.1:4100", NodeConfiguration.SeedAddress("127.0.0.1:4100", "orders"));
        Assert.Equal("akka.tcp://x@h:1", NodeConfiguration.SeedAddress("akka.tcp://x@h:1", "orders"));
        Assert.Equal("akka.tcp://ft@127.0.0.1:4100", NodeHost.SeedAddress("127.0.0.1:4100"));
    }

    [Fact]
    public void Ft_node_flags_become_the_same_keys()
    {
        var config = NodeHost.BuildConfig(new NodeOptions { Role = "witness", Port = 4100, GatewayAddress = "127.0.0.3", Token = "T", DataDirectory = "/d" });
        var settings = ClusterSettings.Create(config);

        Assert.Equal(NodeRole.Witness, settings.Role);
        Assert.Equal(4100, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(5100, settings.ManagementPort);
        Assert.Equal("127.0.0.3", settings.GatewayAddress.ToString());
        Assert.Equal("T", settings.ConfiguredToken);
        Assert.Equal("/d", settings.DataDirectory);
    }

    [Fact]
    public void Ft_node_refuses_a_role_it_does_not_know_and_a_missing_file()
    {
        Assert.Throws<ClusterConfigurationException>(() => NodeHost.BuildConfig(new NodeOptions { Role = "leader" }));
        Assert.Throws<ConfigurationException>(() => NodeHost.BuildConfig(new NodeOptions { ConfigFile = "/no/such/file.conf" }));
    }

    [Theory]
    [InlineData("not a seed")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:port")]
    public void A_seed_that_is_no_address_is_refused_before_anything_starts(string seed) =>
        Assert.Throws<FormatException>(() => NodeConfiguration.Validate(new FaultTolerantNodeOptions { Seeds = [seed] }));

    [Fact]
    public void An_exposure_is_guest_port_colon_cluster_port()
    {
        Assert.Equal(new PortMapping(6379, 7379), ProtectedGuest.ParseExposure("6379:7379"));
        Assert.Throws<FormatException>(() => ProtectedGuest.ParseExposure("6379"));
        Assert.Throws<FormatException>(() => ProtectedGuest.ParseExposure("-1:7379"));
        Assert.Throws<FormatException>(() => ProtectedGuest.ParseExposure("a:b"));
    }
}
