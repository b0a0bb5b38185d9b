using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Tests.Support;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>
/// <c>ft guest</c> and <c>ft status</c> as a user runs them (a real process) against bad input: the exit code says what
/// kind of failure (1 refused, 2 usage, 3 no cluster), stderr says why, and nothing changes.
/// </summary>
[Collection(SmallClusterCollection.Name)]
public sealed class CommandLineRefusalTests(SmallCluster cluster)
{
    [Fact]
    public void A_missing_image_file_is_a_usage_error_and_nothing_is_sent()
    {
        // A listener in place of a node: the command line must not even connect.
        using var node = new TcpListener(IPAddress.Loopback, 0);
        node.Start();
        var missing = Path.Combine(Path.GetTempPath(), $"ft-no-such-{Guid.NewGuid():n}.elf");
        var (code, stdout, stderr) = FtProcess.Run("guest", "start", "kv", "--image", missing, "--node", $"127.0.0.1:{((IPEndPoint)node.LocalEndpoint).Port}", "--token", SmallCluster.Token);
        Assert.Equal(ManagementClient.Usage, code);
        Assert.Equal($"ft guest start: {missing}: no such file\n", stderr);
        Assert.Equal("", stdout);
        Assert.False(node.Pending());
    }

    [Theory]
    [InlineData("Option '--image' is required.", "guest", "start", "kv")]
    [InlineData("Cannot parse argument 'abc' for option '--replicas'", "guest", "start", "kv", "--image", "kv.elf", "--replicas", "abc")]
    public void A_command_line_that_does_not_parse_is_a_usage_error_and_nothing_is_sent(string error, params string[] args)
    {
        using var node = new TcpListener(IPAddress.Loopback, 0);
        node.Start();
        var (code, _, stderr) = FtProcess.Run([.. args, "--node", $"127.0.0.1:{((IPEndPoint)node.LocalEndpoint).Port}"]);
        Assert.Equal(ManagementClient.Usage, code);
        Assert.Contains(error, stderr, StringComparison.Ordinal);
        Assert.False(node.Pending());
    }

    [Fact]
    public async Task A_refusal_exits_1_with_the_coordinators_reason()
    {
        var before = await cluster.GuestsAsync();
        var (code, stdout, stderr) = FtProcess.Run("guest", "stop", "nosuch", "--node", cluster.Node, "--token", SmallCluster.Token);
        Assert.Equal(ManagementClient.Refused, code);
        Assert.Equal("ft guest stop: no guest named nosuch\n", stderr);
        Assert.Equal("", stdout);
        await cluster.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task A_wrong_token_is_401_and_a_usage_error_and_changes_nothing()
    {
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Delete, "v1/guests/nosuch", token: "not-the-token");
        Assert.Equal(401, refused.HttpStatus);
        Assert.Equal(ManagementClient.Usage, refused.ExitCode);

        var (code, stdout, stderr) = FtProcess.Run("status", "--node", cluster.Node, "--token", "not-the-token");
        Assert.Equal(ManagementClient.Usage, code);
        Assert.StartsWith("ft status: missing or wrong token (Authorization: Bearer TOKEN) (give --token, FT_TOKEN or --token-file", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        await cluster.AssertUnchangedAsync(before);
    }

    [Fact]
    public void A_command_line_pointed_at_no_cluster_says_so_quickly_with_exit_code_3()
    {
        int nobody = FreePort.Next();
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = FtProcess.Run("status", "--node", $"127.0.0.1:{nobody}", "--token", SmallCluster.Token);
        Assert.Equal(ManagementClient.Unreachable, code);
        Assert.StartsWith($"ft status: no cluster node answers at 127.0.0.1:{nobody} (", stderr, StringComparison.Ordinal);
        Assert.Contains("start one with `ft node`, or point --node (or FT_NODE) at one", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }
}
