using FaultTolerant.Cluster.Cli;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>Stopping or switching over a guest nobody started: "no such guest", and the cluster as it was.</summary>
[Collection(SmallClusterCollection.Name)]
public sealed class UnknownGuestTests(SmallCluster cluster)
{
    [Fact]
    public async Task Stopping_a_guest_that_does_not_exist_is_not_found_and_changes_nothing()
    {
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Delete, "v1/guests/nosuch");
        Assert.Equal(404, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal("no guest named nosuch", refused.Message);
        await cluster.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Failing_over_a_guest_that_does_not_exist_is_not_found_and_changes_nothing()
    {
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests/nosuch/failover");
        Assert.Equal(404, refused.HttpStatus);
        Assert.Equal(ManagementClient.Refused, refused.ExitCode);
        Assert.Equal("no guest named nosuch", refused.Message);
        await cluster.AssertUnchangedAsync(before);
    }
}
