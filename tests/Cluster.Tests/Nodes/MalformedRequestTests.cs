using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Tests.Nodes;

/// <summary>Requests the management endpoint cannot read: 400, a usage error for the command line, and nothing asked of the coordinator.</summary>
[Collection(SmallClusterCollection.Name)]
public sealed class MalformedRequestTests(SmallCluster cluster)
{
    public static TheoryData<string, StartGuestRequest> Requests => new()
    {
        { "400: --expose 6379: expected GUESTPORT:CLUSTERPORT", SmallCluster.Start("kv", [1], 1, "6379") },
        { "400: --expose a:b: expected GUESTPORT:CLUSTERPORT", SmallCluster.Start("kv", [1], 1, "a:b") },
        { "400: image is not base64", new StartGuestRequest("kv", "not base64!", null, 1, null) },
        { "400: name and image are required", new StartGuestRequest("", "AA==", null, 1, null) },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_start_request_the_endpoint_cannot_read_is_400_and_changes_nothing(string error, StartGuestRequest request)
    {
        var before = await cluster.GuestsAsync();
        var refused = await cluster.RefusedAsync(HttpMethod.Post, "v1/guests", request);
        Assert.Equal(400, refused.HttpStatus);
        Assert.Equal(ManagementClient.Usage, refused.ExitCode);
        Assert.Equal(error, refused.Message);
        await cluster.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task A_request_the_endpoint_does_not_know_is_404()
    {
        var refused = await cluster.RefusedAsync(HttpMethod.Put, "v1/guests/kv");
        Assert.Equal(404, refused.HttpStatus);
        Assert.Equal("no such request: PUT /v1/guests/kv", refused.Message);
    }
}
