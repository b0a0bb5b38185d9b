using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Cluster.Tests.Gateway;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;
using Xunit.Abstractions;
using static FaultTolerant.Cluster.Ingress.IngressMessage;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// The primary side of the ingress against a primary played by hand (<see cref="FakePrimary"/>) and gateways that are
/// real (<see cref="RemotePrimary"/>) or hand-driven (<see cref="RawSession"/>): refusals, bad frames, orphans, claims,
/// and a session too slow for the guest.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class IngressServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Guest = "miniredis";
    private const int Port = 6379;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_owned)) await d.DisposeAsync();
        foreach (var line in _log) output.WriteLine(line);
    }

    [Fact]
    public async Task A_hello_for_a_guest_with_no_primary_here_or_for_another_generation_is_refused()
    {
        var server = Server();
        var none = Remote(server, "node-b", 0);
        Assert.Equal(RefusalReason.NoPrimary, (await Assert.ThrowsAsync<IngressRefusedException>(() => none.Welcome.WaitAsync(Patience))).Reason);
        Assert.StartsWith("refused", await none.Disconnected.WaitAsync(Patience), StringComparison.Ordinal);

        server.Attach(Guest, 2, new FakePrimary(), []);
        server.Attach(Guest, 1, new FakePrimary(), []); // older: ignored
        foreach (ulong stale in new ulong[] { 1, 3 })
        {
            var refused = await Assert.ThrowsAsync<IngressRefusedException>(() => Remote(server, "node-b", stale).Welcome.WaitAsync(Patience));
            Assert.Equal(RefusalReason.StaleGeneration, refused.Reason);
            Assert.Equal(2ul, refused.Generation);
        }
        Assert.Equal(2ul, (await Remote(server, "node-b", 0).Welcome.WaitAsync(Patience)).Generation);
        Assert.Equal(2ul, (await Remote(server, "node-d", 2).Welcome.WaitAsync(Patience)).Generation);
        Assert.Equal(3, server.Statistics.Refused);
        Assert.Equal(2, server.Statistics.Welcomed);

        server.Detach(Guest, 2);
        Assert.Equal(RefusalReason.NoPrimary, (await Assert.ThrowsAsync<IngressRefusedException>(() => Remote(server, "node-b", 2).Welcome.WaitAsync(Patience))).Reason);
    }

    [Fact]
    public async Task Garbage_a_corrupt_frame_or_a_frame_out_of_place_drops_that_session_only_and_says_why()
    {
        var server = Server();
        var primary = new FakePrimary();
        server.Attach(Guest, 1, primary, []);
        var good = Remote(server, "node-good", 1);
        await good.Welcome.WaitAsync(Patience);
        long id = await good.ConnectAsync(Port).WaitAsync(Patience);

        using (var garbage = new RawSession(server.LocalEndpoint))
        {
            garbage.SendBytes("GET / HTTP/1.1\r\nHost: example\r\n\r\n"u8.ToArray());
            Assert.True(await garbage.ClosedByServerAsync());
        }
        using (var corrupt = new RawSession(server.LocalEndpoint))
        {
            var hello = IngressCodec.Encode(new Hello(Guest, 1, "node-x", []));
            hello[^1] ^= 0x10;
            corrupt.SendBytes(hello);
            Assert.True(await corrupt.ClosedByServerAsync());
        }
        using (var noHello = new RawSession(server.LocalEndpoint))
        {
            noHello.Send(new Deliver(id, 0, "x"u8.ToArray()));
            Assert.True(await noHello.ClosedByServerAsync());
        }
        using (var thief = new RawSession(server.LocalEndpoint))
        {
            thief.Send(new Hello(Guest, 1, "node-thief", [id]));
            Assert.Empty((await thief.ExpectAsync<Welcome>()).Connections);
            thief.Send(new Deliver(id, 0, "steal"u8.ToArray()));
            Assert.True(await thief.ClosedByServerAsync());
        }
        using (var backwards = new RawSession(server.LocalEndpoint))
        {
            backwards.Send(new Hello(Guest, 1, "node-backwards", []));
            await backwards.ExpectAsync<Welcome>();
            backwards.Send(new Connected(1, 99));
            Assert.True(await backwards.ClosedByServerAsync());
        }

        // The good session never noticed.
        good.Deliver(id, "still here"u8.ToArray());
        await Eventually(() => primary.Received(id).Length == 10, "the good session's bytes to reach the primary");
        Assert.Equal("still here", Encoding.ASCII.GetString(primary.Received(id)));
        Assert.False(good.Disconnected.IsCompleted);
        Assert.Equal(5, server.Statistics.Dropped);
        foreach (var why in new[] { "bad magic", "checksum", "not a Hello", "does not own", "Connected frame from a gateway" })
        {
            Assert.Contains(_log, l => l.Contains("dropped: bad frame", StringComparison.Ordinal) && l.Contains(why, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_connection_whose_gateway_vanished_is_ended_after_the_orphan_timeout_and_not_before()
    {
        var timeout = TimeSpan.FromMilliseconds(800);
        var server = Server(new IngressServerOptions { OrphanTimeout = timeout });
        var primary = new FakePrimary();
        server.Attach(Guest, 1, primary, []);
        var gone = Remote(server, "node-b", 1);
        await gone.Welcome.WaitAsync(Patience);
        long id = await gone.ConnectAsync(Port).WaitAsync(Patience);
        gone.Deliver(id, "abc"u8.ToArray());
        await Eventually(() => primary.Received(id).Length == 3, "the bytes to reach the primary");

        var lost = Stopwatch.StartNew();
        await gone.DisposeAsync();
        await Eventually(() => server.Statistics.Sessions == 0, "the server to notice the session is gone");
        await Task.Delay(timeout / 2);
        Assert.False(primary.Ended(id), "ended before the orphan timeout");
        await Eventually(() => primary.Ended(id), "the orphan to be ended");
        Assert.InRange(lost.Elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(3));
        Assert.Equal(1, server.Statistics.OrphansEnded);

        // Given up is final: the same gateway coming back later does not get it, and is told to reset its client.
        var late = await Remote(server, "node-b", 1, [id]).Welcome.WaitAsync(Patience);
        Assert.Empty(late.Connections);
        Assert.Equal([id], late.Lost);
    }

    [Fact]
    public async Task A_gateway_back_within_the_orphan_timeout_claims_its_connections_and_gets_every_byte_it_never_acknowledged_once()
    {
        var timeout = TimeSpan.FromSeconds(2);
        var server = Server(new IngressServerOptions { OrphanTimeout = timeout });
        var primary = new FakePrimary();
        server.Attach(Guest, 1, primary, []);
        var source = server.SourceFor(Guest);

        long id;
        using (var first = new RawSession(server.LocalEndpoint))
        {
            first.Send(new Hello(Guest, 1, "node-b", []));
            await first.ExpectAsync<Welcome>();
            first.Send(new Connect(1, Port, 0x7f000001, 5000));
            id = (await first.ExpectAsync<Connected>()).Connection;
            first.Send(new Deliver(id, 0, "SET a 1\r\n"u8.ToArray()));
            await Eventually(() => primary.Received(id).Length == 9, "the request to reach the primary");
            source.OnRelease(new ReleasedEpoch(1, 1, [Out(id, 0, "+OK\r\n")], [new CommittedOffsets(id, 4, 5)]));
            Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(Assert.Single((await first.ExpectAsync<IngressMessage.Release>()).Output).Data));
            first.Abort(); // read, never acknowledged: it may have died before passing it on
        }
        await Eventually(() => server.Statistics.Sessions == 0, "the server to notice the session is gone");
        source.OnRelease(new ReleasedEpoch(1, 2, [Out(id, 5, ":1\r\n")], [new CommittedOffsets(id, 4, 9)]));

        // Another gateway cannot take it; the one that made it can.
        Assert.Empty((await Remote(server, "node-d", 1, [id]).Welcome.WaitAsync(Patience)).Connections);
        var released = new ConcurrentQueue<ReleasedOutput>();
        var back = Remote(server, "node-b", 1, [id], r => { foreach (var o in r.Output) released.Enqueue(o); });
        var info = Assert.Single((await back.Welcome.WaitAsync(Patience)).Connections);
        Assert.Equal((id, 4L, 0L), (info.Id, info.Received, info.Released));
        await Eventually(() => released.Count == 2, "the output the gateway never acknowledged, and what came while it was away");
        Assert.Equal([(0L, "+OK\r\n"), (5L, ":1\r\n")], released.Select(o => (o.Offset, Encoding.ASCII.GetString(o.Data))));

        // The gateway replays from the committed offset, 4: the primary gets what it lacks and nothing twice.
        back.Deliver(id, "a 1\r\nGET a\r\n"u8.ToArray());
        await Eventually(() => primary.Received(id).Length >= 16, "the new request to reach the primary");
        Assert.Equal("SET a 1\r\nGET a\r\n", Encoding.ASCII.GetString(primary.Received(id)));
        Assert.Equal(5, server.Statistics.DuplicateInputBytes);

        await Task.Delay(timeout + TimeSpan.FromMilliseconds(500));
        Assert.False(primary.Ended(id), "a claimed connection was ended");
        Assert.Equal(0, server.Statistics.OrphansEnded);
    }

    [Fact]
    public async Task Releases_go_on_when_re_protection_raises_the_primarys_generation_and_older_ones_are_dropped()
    {
        var server = Server();
        var primary = new FakePrimary();
        server.Attach(Guest, 2, primary, []);
        var source = server.SourceFor(Guest);
        using var session = new RawSession(server.LocalEndpoint);
        session.Send(new Hello(Guest, 0, "node-b", []));
        await session.ExpectAsync<Welcome>();
        session.Send(new Connect(1, Port, 0x7f000001, 5000));
        long id = (await session.ExpectAsync<Connected>()).Connection;

        // The same primary, re-protected: its releases now carry generation 3 and must still reach the gateway.
        source.OnRelease(new ReleasedEpoch(3, 1, [Out(id, 0, "+OK\r\n")], [new CommittedOffsets(id, 0, 5)]));
        var release = await session.ExpectAsync<IngressMessage.Release>();
        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(Assert.Single(release.Output).Data));

        // A release of a generation below the newest seen is a replaced primary's: dropped.
        source.OnRelease(new ReleasedEpoch(2, 2, [Out(id, 5, ":1\r\n")], [new CommittedOffsets(id, 0, 9)]));
        await Eventually(() => server.Statistics.StaleReleases == 1, "the older release to be counted as stale");

        // The primary ends under the generation it was attached with, whatever its releases reached since.
        server.Detach(Guest, 2);
        await Eventually(() => server.Statistics.Sessions == 0, "the primary's sessions to close");
    }

    [Fact]
    public async Task A_gateway_that_cannot_keep_up_is_dropped_and_never_holds_up_the_guest_thread()
    {
        // 50 MiB for the slow gateway: its socket's buffers fill long before its session passes the bound, so for most of
        // the run its writer is stuck on a full socket while the releases go on.
        const int rounds = 200, slowChunk = 256 << 10, fastChunk = 1 << 10;
        var server = Server(new IngressServerOptions { MaxUnacknowledgedOutputBytes = 32 << 20, OrphanTimeout = TimeSpan.FromSeconds(30) });
        var primary = new FakePrimary();
        server.Attach(Guest, 1, primary, []);
        var source = server.SourceFor(Guest);

        using var slow = new RawSession(server.LocalEndpoint);
        slow.Send(new Hello(Guest, 1, "node-slow", []));
        await slow.ExpectAsync<Welcome>();
        slow.Send(new Connect(1, Port, 0x7f000001, 5000));
        long slowId = (await slow.ExpectAsync<Connected>()).Connection;
        // From here the slow gateway reads nothing and acknowledges nothing.

        var fastBytes = new MemoryStream();
        var fast = Remote(server, "node-fast", 1, [], r =>
        {
            lock (fastBytes)
            {
                foreach (var o in r.Output)
                {
                    Assert.Equal(fastBytes.Length, o.Offset);
                    fastBytes.Write(o.Data);
                }
            }
        });
        await fast.Welcome.WaitAsync(Patience);
        long fastId = await fast.ConnectAsync(Port).WaitAsync(Patience);

        var big = new byte[slowChunk];
        var worst = TimeSpan.Zero;
        var guestThread = new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                var small = Enumerable.Repeat((byte)i, fastChunk).ToArray();
                var call = Stopwatch.StartNew();
                source.OnRelease(new ReleasedEpoch(1, (ulong)i + 1, [new(slowId, (long)i * slowChunk, big, false), new(fastId, (long)i * fastChunk, small, false)],
                    [new CommittedOffsets(slowId, 0, (long)(i + 1) * slowChunk), new CommittedOffsets(fastId, 0, (long)(i + 1) * fastChunk)]));
                if (call.Elapsed > worst) worst = call.Elapsed;
            }
        }) { Name = "guest-thread" };
        var all = Stopwatch.StartNew();
        guestThread.Start();
        Assert.True(guestThread.Join(Patience), "the guest thread is stuck in a release");
        output.WriteLine($"{rounds} releases of {slowChunk + fastChunk} bytes in {all.Elapsed.TotalMilliseconds:0} ms, the longest {worst.TotalMilliseconds:0.0} ms");
        Assert.True(worst < TimeSpan.FromMilliseconds(250), $"a release held the guest thread for {worst.TotalMilliseconds:0} ms");

        Assert.Equal(1, server.Statistics.Dropped);
        Assert.Contains(_log, l => l.Contains("node-slow", StringComparison.Ordinal) && l.Contains("cannot keep up", StringComparison.Ordinal));
        Assert.True(primary.Ended(slowId), "the slow gateway's connection, with more output waiting than may be kept, should have been given up");
        await Eventually(() => { lock (fastBytes) return fastBytes.Length == rounds * fastChunk; }, "the fast gateway to get all its output");
        lock (fastBytes)
        {
            var bytes = fastBytes.ToArray();
            for (int i = 0; i < rounds; i++) Assert.Equal((byte)i, bytes[i * fastChunk]);
        }
        Assert.False(fast.Disconnected.IsCompleted);
        Assert.False(primary.Ended(fastId));
    }

    private IngressServer Server(IngressServerOptions? options = null)
    {
        var server = new IngressServer(new IPEndPoint(IPAddress.Loopback, 0), (options ?? IngressServerOptions.Default) with { Log = _log.Enqueue });
        server.Start();
        _owned.Add(server);
        return server;
    }

    private RemotePrimary Remote(IngressServer server, string gateway, ulong generation, IReadOnlyList<long>? claims = null, Action<ReleasedEpoch>? onRelease = null)
    {
        var remote = new RemotePrimary(server.LocalEndpoint, Guest, generation, gateway, claims ?? [], onRelease ?? (_ => { }),
            new RemotePrimaryOptions { Log = _log.Enqueue });
        _owned.Add(remote);
        return remote;
    }

    private static ReleasedOutput Out(long stream, long offset, string text) => new(stream, offset, Encoding.ASCII.GetBytes(text), false);

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
