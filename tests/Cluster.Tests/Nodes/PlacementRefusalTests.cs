using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Tests.Support;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>Start requests the coordinator cannot place: a bad name, a taken name, more replicas than workers.</summary>
[Collection(SmallClusterCollection.Name)]
public sealed class PlacementRefusalTests(SmallCluster cluster)
{
    [Theory]
    [InlineData("Upper")]
    [InlineData("-dash-first")]
    [InlineData("with space")]
    [InlineData("a-name-that-is-longer-than-forty-characters")]
    public async Task A_start_under_an_invalid_name_is_refused_and_changes_nothing(string name)
    {
        int port = FreePort.Next();
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start(name, SmallCluster.Miniredis(), 1, $"6379:{port}"));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.StartsWith($"'{name}' is not a guest name", refused.Message, StringComparison.Ordinal);
        await cluster.AssertUnchangedAsync(before, port);
    }

    [Fact]
    public async Task A_start_under_a_name_already_taken_is_refused_and_leaves_the_first_guest_as_it_was()
    {
        await using var first = await cluster.StartGuestAsync(SmallCluster.Start("dup", SmallCluster.Miniredis(), 1));
        int port = FreePort.Next();
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start("dup", SmallCluster.Miniredis(), 0, $"6379:{port}"));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal("a guest named dup already exists", refused.Message);
        await cluster.AssertUnchangedAsync(before, port);
    }

    [Fact]
    public async Task More_replicas_than_the_workers_can_hold_is_refused_with_the_count_and_changes_nothing()
    {
        int port = FreePort.Next();
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start("crowded", SmallCluster.Miniredis(), 2, $"6379:{port}"));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Contains("2 backup(s) and a primary need 3 eligible worker nodes", refused.Message, StringComparison.Ordinal);
        Assert.Contains("2 are up and reachable", refused.Message, StringComparison.Ordinal);
        await cluster.AssertUnchangedAsync(before, port);
    }

    [Fact]
    public async Task A_switchover_of_a_guest_without_a_backup_is_refused_and_changes_nothing()
    {
        await using var solo = await cluster.StartGuestAsync(SmallCluster.Start("solo", SmallCluster.Miniredis(), 0));
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests/solo/failover");
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal("guest solo has no backup to switch over to", refused.Message);
        await cluster.AssertUnchangedAsync(before);
    }

    [Theory]
    [InlineData(-1, new[] { "6379:7000" }, "--replicas -1: between 0 and 8 backups")]
    [InlineData(1, new[] { "6379:70000" }, "port mapping 6379:70000 is out of range (1-65535)")]
    [InlineData(1, new[] { "6379:7001", "6380:7001" }, "a cluster port is exposed twice")]
    public async Task A_start_with_impossible_replicas_or_ports_is_refused_and_changes_nothing(int replicas, string[] expose, string reason)
    {
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", SmallCluster.Start("odd", SmallCluster.Miniredis(), replicas, expose));
        Assert.Equal(409, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal(reason, refused.Message);
        await cluster.AssertUnchangedAsync(before);
    }
}
