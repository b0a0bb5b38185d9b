using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Tests.Support;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>The backup's listener against peers that are not a well-behaved link: raw sockets writing what a test wants.</summary>
public sealed class DataChannelListenerTests
{
    private const ulong Guest = 3;

    /// <summary>A listener feeding one backup, recording what it reports.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        public Harness(Func<Frame, HelloPayload, IFrameReceiver?>? accept = null, Action<ChannelOutcome>? onOutcome = null,
            DataChannelListenerOptions? options = null)
        {
            Receiver = new RecordingReceiver(Backup);
            Listener = new DataChannelListener(new IPEndPoint(IPAddress.Loopback, 0), (hello, payload) =>
            {
                Hellos.Enqueue(payload);
                return accept is null ? Receiver : accept(hello, payload);
            }, o =>
            {
                Outcomes.Enqueue(o);
                onOutcome?.Invoke(o);
            }, options);
            Listener.ConnectionClosed += Closed.Enqueue;
            Listener.Start();
        }

        public BackupReplica Backup { get; } = new("b", TestGuests.RestoreFull);

        public RecordingReceiver Receiver { get; }

        public DataChannelListener Listener { get; }

        public ConcurrentQueue<HelloPayload> Hellos { get; } = new();

        public ConcurrentQueue<ChannelOutcome> Outcomes { get; } = new();

        public ConcurrentQueue<ChannelClosed> Closed { get; } = new();

        public async Task<Socket> ConnectAsync()
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(Listener.LocalEndpoint);
            return socket;
        }

        public Task WaitClosedAsync(string containing) =>
            Eventually.True(() => Closed.Any(c => c.Reason.Contains(containing, StringComparison.Ordinal)),
                $"a connection closed with \"{containing}\" (closed so far: {string.Join("; ", Closed.Select(c => c.Reason))})");

        public async ValueTask DisposeAsync() => await Eventually.Within(Listener.DisposeAsync().AsTask(), "the listener to stop");
    }

    /// <summary>Completes when the peer closes the socket (a read of 0 or a reset).</summary>
    private static async Task<bool> ClosedByPeerAsync(Socket socket)
    {
        var buffer = new byte[64];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset is a close too.
        }
        return true;
    }

    [Fact]
    public async Task A_connection_whose_first_frame_is_not_a_Hello_is_closed_before_any_receiver_sees_it()
    {
        await using var h = new Harness();
        using var socket = await h.ConnectAsync();
        var frames = new GuestFrames(Guest, "counter", "100");
        await socket.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);

        await Eventually.Within(ClosedByPeerAsync(socket), "the listener to close the connection");
        await h.WaitClosedAsync("not Hello");
        Assert.Empty(h.Hellos);
        Assert.Empty(h.Receiver.Frames);
    }

    [Fact]
    public async Task Garbage_on_one_connection_closes_it_and_the_listener_and_other_connections_carry_on()
    {
        await using var h = new Harness();
        var frames = new GuestFrames(Guest, "counter", "100");
        using var good = await h.ConnectAsync();
        await good.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
        await good.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
        await Eventually.True(() => h.Backup.CommittedEpoch == 1, "the good connection's first checkpoint to commit");

        using (var bad = await h.ConnectAsync())
        {
            await bad.SendAsync(new byte[4096].Select((_, i) => (byte)(i * 7)).ToArray(), SocketFlags.None);
            await Eventually.Within(ClosedByPeerAsync(bad), "the listener to close the garbage connection");
        }
        await h.WaitClosedAsync("bad magic");

        await good.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
        await Eventually.True(() => h.Backup.CommittedEpoch == 2, "the good connection to go on committing");
        Assert.Equal(frames.HashAt[2], h.Backup.CommittedHash());

        using var late = await h.ConnectAsync();
        await late.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
        await Eventually.True(() => h.Hellos.Count == 2, "the listener to accept a new connection after the garbage");
    }

    [Fact]
    public async Task A_refusing_backup_closes_the_connection_and_the_link_reports_it_broken_and_retries_without_crashing()
    {
        await using var h = new Harness(accept: (_, _) => null);
        var broken = new ConcurrentQueue<string>();
        var link = new TcpBackupLink("b", h.Listener.LocalEndpoint, Guest, "g", 1, "p", (_, reason) => broken.Enqueue(reason));
        var frames = new GuestFrames(Guest, "counter", "100");
        link.Send(frames.Next());

        await h.WaitClosedAsync("refused");
        await Eventually.True(() => !broken.IsEmpty, "the link to report the refusal as a break");
        await Eventually.True(() => link.Statistics.Connects >= 3, "the link to keep retrying, with backoff");
        link.Send(frames.Next()); // still harmless
        await Eventually.Within(link.DisposeAsync().AsTask(), "the link to close");
        Assert.Empty(h.Receiver.Frames);
        Assert.Empty(h.Outcomes);
        await Eventually.True(() => h.Listener.ConnectionCount == 0, "every refused connection to be gone");
    }

    [Fact]
    public async Task A_Hello_of_a_generation_below_the_backups_is_fenced_and_its_connection_closed()
    {
        await using var h = new Harness();
        h.Backup.ObserveGeneration(3);
        var broken = new ConcurrentQueue<string>();
        await using var link = new TcpBackupLink("b", h.Listener.LocalEndpoint, Guest, "g", 2, "p", (_, reason) => broken.Enqueue(reason));

        await Eventually.True(() => !h.Outcomes.IsEmpty, "the Hello's outcome to be reported");
        var outcome = h.Outcomes.First();
        Assert.Equal(new AssemblyOutcome.Fenced(2, 3), outcome.Outcome);
        Assert.Equal(2UL, outcome.Generation);
        Assert.Equal(0UL, outcome.Epoch);
        Assert.Equal(Guest, outcome.Peer.GuestId);
        await h.WaitClosedAsync("fenced");
        await Eventually.True(() => !broken.IsEmpty, "the fenced link to notice its connection closed");
    }

    [Fact]
    public async Task A_frame_of_a_lower_generation_than_the_backup_has_seen_is_fenced_and_the_committed_state_kept()
    {
        await using var h = new Harness();
        await using var link = new TcpBackupLink("b", h.Listener.LocalEndpoint, Guest, "g", 1, "p");
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        link.Send(frames.Next(generation: 1));
        await Eventually.True(() => h.Backup.CommittedEpoch == 1, "the first checkpoint to commit");

        h.Backup.ObserveGeneration(2); // learned from the coordinator: a newer primary exists
        link.Send(frames.Next(generation: 1));

        await Eventually.True(() => h.Outcomes.Any(o => o.Outcome is AssemblyOutcome.Fenced), "the stale frame to be fenced");
        var fenced = h.Outcomes.First(o => o.Outcome is AssemblyOutcome.Fenced);
        Assert.Equal(new AssemblyOutcome.Fenced(1, 2), fenced.Outcome);
        Assert.Equal(2UL, fenced.Epoch);
        await h.WaitClosedAsync("fenced");
        Assert.Equal(1UL, h.Backup.CommittedEpoch);
        Assert.Equal(frames.HashAt[1], h.Backup.CommittedHash());
    }

    [Fact]
    public async Task A_stream_that_ends_cleanly_inside_a_checkpoint_voids_what_was_staged()
    {
        await using var h = new Harness();
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        using (var socket = await h.ConnectAsync())
        {
            await socket.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
            await socket.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
            var second = frames.Next();
            await socket.SendAsync(second.Frames[0].ToBytes(), SocketFlags.None); // Begin, then nothing
            await Eventually.True(() => h.Receiver.Frames.Count(f => f.Type == FrameType.CheckpointBegin) == 2, "the second Begin to arrive");
            socket.Shutdown(SocketShutdown.Send);
        }

        await Eventually.True(() => h.Receiver.BrokenReasons.Any(r => r.Contains("inside epoch 2", StringComparison.Ordinal)),
            () => $"the receiver to hear its checkpoint was cut (told: {string.Join("; ", h.Receiver.BrokenReasons)}; closed: {string.Join("; ", h.Closed.Select(c => c.Reason))})");
        var resync = Assert.Single(h.Outcomes, o => o.Outcome is AssemblyOutcome.ResyncNeeded);
        Assert.Equal(2UL, resync.Epoch);
        Assert.Equal(1UL, h.Backup.CommittedEpoch);
        Assert.Equal(frames.HashAt[1], h.Backup.CommittedHash());
    }

    [Fact]
    public async Task A_stream_that_ends_cleanly_between_checkpoints_is_just_closed()
    {
        await using var h = new Harness();
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        using (var socket = await h.ConnectAsync())
        {
            await socket.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
            await socket.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
            await Eventually.True(() => h.Backup.CommittedEpoch == 1, "the checkpoint to commit");
            socket.Shutdown(SocketShutdown.Send);
        }
        await h.WaitClosedAsync("closed by the primary");
        Assert.Empty(h.Receiver.BrokenReasons);
        Assert.All(h.Outcomes, o => Assert.IsType<AssemblyOutcome.Committed>(o.Outcome));
    }

    [Fact]
    public async Task A_reconnecting_primary_replaces_its_old_connection_which_ends_before_the_new_one_delivers_anything()
    {
        await using var h = new Harness();
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        using var old = await h.ConnectAsync();
        await old.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
        await old.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
        await old.SendAsync(frames.Next().Frames[0].ToBytes(), SocketFlags.None); // a checkpoint left open on a half-dead connection
        await Eventually.True(() => h.Receiver.Frames.Count(f => f.Type == FrameType.CheckpointBegin) == 2, "the open checkpoint's Begin to arrive");

        using var fresh = await h.ConnectAsync();
        await fresh.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
        await h.WaitClosedAsync("replaced by connection");
        await fresh.SendAsync(GuestFrames.Bytes(frames.Next(full: true)), SocketFlags.None);

        await Eventually.True(() => h.Backup.CommittedEpoch == 3, "the full checkpoint on the new connection to commit");
        Assert.Equal(frames.HashAt[3], h.Backup.CommittedHash());
        // The old connection's open checkpoint was voided before the new connection's first frame, not after it.
        Assert.Contains(h.Receiver.BrokenReasons, r => r.Contains("replaced", StringComparison.Ordinal));
        Assert.Equal(1, h.Listener.ConnectionCount);
    }

    [Fact]
    public async Task An_outcome_handler_that_throws_closes_only_its_own_connection()
    {
        await using var h = new Harness(
            accept: null,
            onOutcome: o =>
            {
                if (o.Peer.GuestName == "faulty") throw new InvalidOperationException("owner bug");
            });
        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        using var faulty = await h.ConnectAsync();
        await faulty.SendAsync(GuestFrames.Hello(Guest, 1, "faulty"), SocketFlags.None);
        await faulty.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
        await h.WaitClosedAsync("owner bug");

        using var fine = await h.ConnectAsync();
        await fine.SendAsync(GuestFrames.Hello(Guest, 1, "fine"), SocketFlags.None);
        await fine.SendAsync(GuestFrames.Bytes(frames.Next(full: true)), SocketFlags.None);
        await Eventually.True(() => h.Outcomes.Any(o => o.Peer.GuestName == "fine" && o.Outcome is AssemblyOutcome.Committed), "the other connection to commit");
        Assert.Equal(frames.HashAt[2], h.Backup.CommittedHash());
    }

    [Fact]
    public async Task A_peer_that_never_says_Hello_is_dropped_after_the_timeout()
    {
        await using var h = new Harness(options: new DataChannelListenerOptions { HelloTimeout = TimeSpan.FromMilliseconds(200) });
        using var silent = await h.ConnectAsync();
        await Eventually.Within(ClosedByPeerAsync(silent), "the listener to drop the silent peer");
        await h.WaitClosedAsync("no Hello within");
        Assert.Empty(h.Hellos);
    }

    [Fact]
    public async Task A_frame_of_another_guest_on_a_connection_breaks_it()
    {
        await using var h = new Harness();
        var mine = new GuestFrames(Guest, "memstress", "64", "0");
        var theirs = new GuestFrames(Guest + 1, "memstress", "64", "0");
        using var socket = await h.ConnectAsync();
        await socket.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
        await socket.SendAsync(GuestFrames.Bytes(mine.Next()), SocketFlags.None);
        await socket.SendAsync(GuestFrames.Bytes(theirs.Next()), SocketFlags.None);

        await h.WaitClosedAsync($"guest {Guest + 1} on the connection of guest {Guest}");
        Assert.Contains(h.Outcomes, o => o.Outcome is AssemblyOutcome.ResyncNeeded);
        Assert.Equal(1UL, h.Backup.CommittedEpoch);
        Assert.Equal(mine.HashAt[1], h.Backup.CommittedHash());
    }

    [Fact]
    public async Task Connections_past_the_limit_are_closed_at_once_and_those_within_it_are_served()
    {
        await using var h = new Harness(options: new DataChannelListenerOptions { MaxConnections = 1 });
        using var first = await h.ConnectAsync();
        await Eventually.True(() => h.Listener.ConnectionCount == 1, "the first connection to be accepted");
        try
        {
            using var second = await h.ConnectAsync();
            await Eventually.Within(ClosedByPeerAsync(second), "the listener to close the connection over its limit");
        }
        catch (SocketException)
        {
            // Reset before the connect completed on this side: closed all the same.
        }
        await h.WaitClosedAsync("connections are open already");

        var frames = new GuestFrames(Guest, "memstress", "64", "0");
        await first.SendAsync(GuestFrames.Hello(Guest, 1), SocketFlags.None);
        await first.SendAsync(GuestFrames.Bytes(frames.Next()), SocketFlags.None);
        await Eventually.True(() => h.Backup.CommittedEpoch == 1, "the first connection to be served");
    }
}

