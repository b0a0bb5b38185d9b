using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Actors;

/// <summary>The node's data-channel listener, and what its connections' threads may do: route and report.</summary>
public sealed partial class BackupHostActor
{
    private DataChannelListener? _listener;
    private string _advertisedHost = "";
    private int _port;

    /// <summary>A resync or a fence the channel reported to a primary, for this actor's log.</summary>
    private sealed record ChannelNote(IGuestMessage Report);

    private sealed record ConnectionClosedNote(ChannelClosed Closed);

    protected override void PreStart()
    {
        var channel = _setup.Settings.DataChannel;
        // Resolving a name blocks, once, while the node starts; an address (the default) does not.
        var address = IPAddress.TryParse(channel.Hostname, out var ip)
            ? ip
            : Dns.GetHostAddresses(channel.Hostname).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
        // Only the map and references to immutable things go into the callbacks, which run on the channel's threads.
        var hosted = _hosted;
        var self = Self;
        var node = Node;
        var listener = new DataChannelListener(new IPEndPoint(address, channel.Port),
            (hello, payload) => Route(hosted, hello, payload),
            outcome => Report(hosted, self, node, outcome));
        listener.ConnectionClosed += closed => self.Tell(new ConnectionClosedNote(closed));
        listener.Start();
        _listener = listener;
        _advertisedHost = channel.Hostname;
        _port = listener.LocalEndpoint.Port;
        _log.Info("backup host {0}: data channel listening on {1} (advertised as {2}:{3})", Node, listener.LocalEndpoint, _advertisedHost, _port);
    }

    protected override void PostStop()
    {
        // Disposing waits for the connections to end; an actor must not block, so it completes on its own.
        if (_listener is not null) _ = _listener.DisposeAsync().AsTask();
    }

    /// <summary>
    /// The receiver of a connection: the backup of the guest its Hello names. A promoted backup still takes the
    /// connection, so that a stale primary's Hello is refused by it as fenced, and the primary is told.
    /// </summary>
    private static IFrameReceiver? Route(ConcurrentDictionary<string, Hosted> hosted, Frame hello, HelloPayload payload) =>
        hosted.TryGetValue(payload.GuestName, out var h) && h.GuestId == hello.Header.Guest ? h.Replica : null;

    private static void Report(ConcurrentDictionary<string, Hosted> hosted, IActorRef self, string node, ChannelOutcome outcome)
    {
        var report = ChannelReports.For(outcome, node);
        if (report is null || !hosted.TryGetValue(outcome.Peer.GuestName, out var h)) return;
        h.Primary.Tell(report, self);
        if (report is not CheckpointAcked) self.Tell(new ChannelNote(report));
    }

    private void OnChannelNote(ChannelNote note)
    {
        switch (note.Report)
        {
            case ResyncRequested r:
                _log.Info("guest {0} generation {1}: backup lost its place ({2}); asked the primary for a resync (a pre-copy)", r.Guest, r.Generation, r.Reason);
                break;
            case GenerationFenced f:
                _log.Info("guest {0} generation {1}: refused a frame of generation {2} and told its sender it is fenced", f.Guest, f.HighestGeneration, f.FencedGeneration);
                break;
        }
    }

    private void OnConnectionClosed(ConnectionClosedNote note)
    {
        var c = note.Closed;
        _log.Debug("backup host {0}: data channel connection {1} from {2} ({3}) closed: {4}", Node, c.ConnectionId, c.Remote, c.Peer?.GuestName ?? "no guest", c.Reason);
        // The channel of the generation this node backs up broke: perhaps its primary's process died. Evidence for
        // the observer (the coordinator), which checks before acting; a channel that merely reconnects costs nothing.
        if (c.Peer is { } peer && _hosted.TryGetValue(peer.GuestName, out var h) && !h.Promoted && peer.Generation == h.HostedGeneration)
        {
            _setup.Observer?.Tell(new DataChannelLost(peer.GuestName, peer.Generation, Node, peer.Sender, c.Reason));
        }
    }
}
