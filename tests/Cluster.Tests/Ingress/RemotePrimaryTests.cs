using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Guest;
using CommittedOffsets = FaultTolerant.Replica.Primary.CommittedOffsets;
using static FaultTolerant.Cluster.Ingress.IngressMessage;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// The gateway side of the ingress against a primary node played byte by byte: the order in which it hands the Welcome
/// and the releases behind it to the gateway.
/// </summary>
public sealed class RemotePrimaryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The race CI found once: a Welcome saying connection 17 has 1585 bytes committed, and right behind it a release
    /// committing 1692. If the gateway trims its input on the release before it fails over on the Welcome, the Welcome's
    /// offset is below what it still holds and it must drop the client. The Welcome callback runs first, always.
    /// </summary>
    [Fact]
    public async Task The_welcome_reaches_the_gateway_before_any_release_sent_right_behind_it()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var seen = new ConcurrentQueue<string>();
        await using var remote = new RemotePrimary((IPEndPoint)listener.LocalEndpoint, "g", 1, "node-b", [17], r => seen.Enqueue($"release {r.Epoch}"),
            onWelcome: (_, w) =>
            {
                Thread.Sleep(200); // a gateway busy failing over: the release is already in the socket
                seen.Enqueue($"welcome {w.Connections[0].Received}");
            });
        using var node = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        var stream = node.GetStream();
        Assert.IsType<Hello>(await IngressCodec.ReadAsync(stream, new byte[IngressFrameHeader.Size], CancellationToken.None).AsTask().WaitAsync(Patience));
        var welcome = new Welcome(1, [new ConnectionInfo(17, 6379, 1585, 90, 90, true, false, false)], []);
        var release = new Release(1, 1, 8, [], [new CommittedOffsets(17, 1692, 120)]);
        stream.Write([.. IngressCodec.Encode(welcome), .. IngressCodec.Encode(release)]); // one write: both arrive together

        Assert.Equal(1585, (await remote.Welcome.WaitAsync(Patience)).Connections[0].Received);
        var deadline = DateTime.UtcNow + Patience;
        while (seen.Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(["welcome 1585", "release 8"], seen.ToArray());
    }

    [Fact]
    public async Task A_welcome_callback_that_throws_ends_the_connection_and_faults_the_welcome()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int releases = 0;
        await using var remote = new RemotePrimary((IPEndPoint)listener.LocalEndpoint, "g", 1, "node-b", [], _ => Interlocked.Increment(ref releases),
            onWelcome: (_, _) => throw new InvalidOperationException("the gateway was never started"));
        using var node = await listener.AcceptTcpClientAsync().WaitAsync(Patience);
        var stream = node.GetStream();
        await IngressCodec.ReadAsync(stream, new byte[IngressFrameHeader.Size], CancellationToken.None).AsTask().WaitAsync(Patience);
        stream.Write([.. IngressCodec.Encode(new Welcome(1, [], [])), .. IngressCodec.Encode(new Release(1, 1, 8, [], []))]);

        var why = await remote.Disconnected.WaitAsync(Patience);
        Assert.Contains("the welcome callback failed: the gateway was never started", why);
        await Assert.ThrowsAsync<IngressConnectionLostException>(() => remote.Welcome);
        Assert.Equal(0, releases);
    }
}
