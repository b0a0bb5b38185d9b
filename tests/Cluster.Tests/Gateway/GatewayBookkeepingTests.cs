using System.Net.Sockets;
using System.Text;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Tests.Gateway;

/// <summary>
/// The gateway's books against a primary played by hand (<see cref="FakePrimary"/>) over real TCP clients: what is kept,
/// trimmed, forwarded, deduplicated and replayed, and what happens when a release breaks the rules.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayBookkeepingTests
{
    private const int GuestPort = 7;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Output_goes_out_once_past_what_the_client_has_and_input_is_kept_until_committed_then_replayed_from_the_promoted_offset()
    {
        var p1 = new FakePrimary();
        await using var gateway = Started(p1);
        using var client = Connect(gateway);
        client.GetStream().Write("hello world"u8);
        await Eventually(() => p1.Received(16).Length == 11, "the primary to get the client's 11 bytes");

        gateway.OnRelease(Release(1, 1, [Out(16, 0, "abc")], [new CommittedOffsets(16, 5, 3)]));
        Assert.Equal("abc", Read(client, 3));
        // Overlapping the bytes already delivered: only the new ones go out.
        gateway.OnRelease(Release(1, 2, [Out(16, 1, "bcdef")], []));
        Assert.Equal("def", Read(client, 3));

        // The promoted guest received 8 bytes (more than the last release said) and released only 3 (less than the client has).
        var p2 = new FakePrimary(100);
        gateway.Failover(p2, [Info(16, received: 8, released: 3)]);
        Assert.Equal("rld", Encoding.ASCII.GetString(p2.Received(16)));

        gateway.OnRelease(Release(2, 1, [Out(16, 3, "defgh", closed: true)], [new CommittedOffsets(16, 11, 8)]));
        Assert.Equal("gh", Read(client, 2));
        Assert.Equal(0, client.GetStream().Read(new byte[1])); // the guest's close, after its last bytes

        // A late release of the dead primary's generation changes nothing.
        gateway.OnRelease(Release(1, 3, [Out(16, 6, "zz")], []));
        var stats = gateway.Statistics;
        Assert.Equal(1, stats.StaleReleases);
        Assert.Equal(3, stats.ReplayedBytes);
        Assert.Equal(2 + 3, stats.DuplicateOutputBytes); // "bc", then "def"
        Assert.Equal(0, stats.Gaps);
    }

    [Fact]
    public async Task A_release_that_starts_past_what_the_client_has_closes_that_client_only()
    {
        var log = new List<string>();
        var p1 = new FakePrimary();
        await using var gateway = Started(p1, new GuestGatewayOptions { Log = m => { lock (log) log.Add(m); } });
        using var victim = Connect(gateway);
        using var bystander = Connect(gateway);
        await Eventually(() => p1.Connected.Count == 2, "both clients to be connected");

        gateway.OnRelease(Release(1, 1, [Out(16, 5, "lost?"), Out(17, 0, "ok")], []));

        Assert.Equal("ok", Read(bystander, 2));
        Assert.Throws<IOException>(() => victim.GetStream().Read(new byte[16]) == 0 ? throw new IOException("closed") : 0);
        Assert.Equal(1, gateway.Statistics.Gaps);
        Assert.True(p1.Ended(16), "the guest's side of the closed client should have been ended");
        lock (log) Assert.Contains(log, m => m.Contains("BUG", StringComparison.Ordinal) && m.Contains("gap", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_sending_faster_than_the_guest_commits_is_read_only_up_to_the_bound_and_resumes_as_commits_come()
    {
        const int limit = 256 << 10, chunk = 64 << 10, total = 8 << 20;
        var p1 = new FakePrimary();
        await using var gateway = Started(p1, new GuestGatewayOptions { MaxUncommittedInputBytes = limit, ReadChunkBytes = chunk });
        using var client = Connect(gateway);
        var payload = new byte[total];
        new Random(5).NextBytes(payload);
        var sending = client.GetStream().WriteAsync(payload).AsTask();

        // Nothing is committed: the gateway stops reading near the bound, and the rest waits in TCP buffers.
        await Eventually(() => gateway.Statistics.ReadPauses > 0, "the gateway to stop reading");
        await Task.Delay(300);
        Assert.InRange(p1.Received(16).Length, limit, limit + chunk);
        Assert.False(sending.IsCompleted, "the client should be blocked by TCP flow control");

        // The guest commits what it got, a release at a time: reading resumes each time, never past the bound.
        long epoch = 0;
        await Eventually(() =>
        {
            int got = p1.Received(16).Length;
            gateway.OnRelease(Release(1, (ulong)++epoch, [], [new CommittedOffsets(16, got, 0)]));
            return got == total;
        }, "all 8 MiB to reach the primary");
        await sending.WaitAsync(Patience);
        Assert.Equal(payload, p1.Received(16));
        Assert.InRange(gateway.Statistics.PeakUncommittedInputBytes, limit, limit + chunk);
    }

    [Fact]
    public async Task Connects_caught_by_a_failover_are_made_again_on_the_new_primary_and_uncommitted_connections_are_replayed_from_their_start()
    {
        var p1 = new FakePrimary();
        await using var gateway = Started(p1);
        using var committed = Connect(gateway);
        using var uncommitted = Connect(gateway);
        await Eventually(() => p1.Connected.Count == 2, "both clients to be connected");
        uncommitted.GetStream().Write("abc"u8);
        await Eventually(() => p1.Received(17).Length == 3, "the first primary to get the bytes");

        p1.Unresponsive = true; // the primary died: connects to it never answer
        using var caught = Connect(gateway);
        caught.GetStream().Write("ping"u8);
        await Task.Delay(100);

        // The promoted guest has connection 16 and one whose client is gone (40); 17 was never committed. Its ids collide
        // with the dead primary's: the next one it hands out is 17 again.
        var p2 = new FakePrimary(17);
        gateway.Failover(p2, [Info(16, 0, 0), Info(40, 0, 0)]);
        await Eventually(() => p2.Connected.Count == 2, "both unknown clients to be connected to the new primary");

        Assert.True(p2.Ended(40), "a promoted connection without a client should get end-of-input");
        var received = p2.Connected.ToDictionary(id => id, id => Encoding.ASCII.GetString(p2.Received(id)));
        Assert.Equal(["abc", "ping"], received.Values.Order(StringComparer.Ordinal));
        long again = received.Single(kv => kv.Value == "abc").Key;

        gateway.OnRelease(Release(2, 1, [Out(again, 0, "ABC"), Out(16, 0, "first")], []));
        Assert.Equal("ABC", Read(uncommitted, 3));
        Assert.Equal("first", Read(committed, 5));
        Assert.Equal(1, gateway.Statistics.Reconnected);
    }

    [Fact]
    public async Task A_client_that_resets_is_dropped_and_its_guest_connection_gets_end_of_input_while_a_half_close_is_passed_on()
    {
        var p1 = new FakePrimary();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var gateway = Started(p1, new GuestGatewayOptions { Log = log.Enqueue });
        var resetting = Connect(gateway);
        using var halfClosing = Connect(gateway);
        await Eventually(() => p1.Connected.Count == 2, "both clients to be connected");

        var stream = halfClosing.GetStream();
        resetting.Client.LingerState = new LingerOption(true, 0);
        resetting.Client.Close(0); // RST
        halfClosing.Client.Shutdown(SocketShutdown.Send);
        await Eventually(() => p1.Ended(16) && p1.Ended(17), "both guest connections to get end-of-input");

        // The half-closed client still gets its replies and the guest's close.
        gateway.OnRelease(Release(1, 1, [Out(16, 0, "gone", closed: true), Out(17, 0, "bye", closed: true)], []));
        var bye = new byte[3];
        stream.ReadExactly(bye);
        Assert.Equal("bye", Encoding.ASCII.GetString(bye));
        Assert.Equal(0, stream.Read(new byte[1]));
        await Eventually(() => gateway.Statistics.Open == 0, "both clients to be finished");
        Assert.True(gateway.Statistics.Dropped == 1, string.Join("; ", log));
        Assert.Equal(0, gateway.Statistics.Gaps);
    }

    private static GuestGateway Started(FakePrimary primary, GuestGatewayOptions? options = null)
    {
        var gateway = new GuestGateway("fake", [new PortExposure(GuestPort, 0)], options);
        gateway.Start(primary);
        return gateway;
    }

    private static TcpClient Connect(GuestGateway gateway) =>
        new("127.0.0.1", gateway.BoundEndpoints[0].Port) { NoDelay = true, ReceiveTimeout = (int)Patience.TotalMilliseconds };

    private static string Read(TcpClient client, int count)
    {
        var buffer = new byte[count];
        client.GetStream().ReadExactly(buffer);
        return Encoding.ASCII.GetString(buffer);
    }

    private static ReleasedEpoch Release(ulong generation, ulong epoch, IReadOnlyList<ReleasedOutput> output, IReadOnlyList<CommittedOffsets> connections) =>
        new(generation, epoch, output, connections);

    private static ReleasedOutput Out(long stream, long offset, string data, bool closed = false) => new(stream, offset, Encoding.ASCII.GetBytes(data), closed);

    private static ConnectionInfo Info(long id, long received, long released) => new(id, GuestPort, received, released, released, true, false, false);

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
