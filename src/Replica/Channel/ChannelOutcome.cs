using System.Net;
using FaultTolerant.Replica.Backup;

namespace FaultTolerant.Replica.Channel;

/// <summary>Who is at the other end of an accepted data-channel connection, as its Hello said.</summary>
/// <param name="ConnectionId">Unique per listener, in accept order: tells apart a reconnect from the connection it replaced.</param>
/// <param name="Generation">The generation the Hello carried; the frames that follow carry their own.</param>
public sealed record ChannelPeer(long ConnectionId, EndPoint? Remote, ulong GuestId, string GuestName, string Sender, ulong Generation);

/// <summary>
/// What a receiver made of a frame (or of the connection breaking), for the owner to answer over Akka:
/// <see cref="AssemblyOutcome.Committed"/> → ack, <see cref="AssemblyOutcome.ResyncNeeded"/> → resync request,
/// <see cref="AssemblyOutcome.Fenced"/> → tell the sender it is fenced. <see cref="AssemblyOutcome.Staged"/> is never reported.
/// </summary>
/// <param name="Generation">The generation of the frame that produced the outcome (for a broken channel: of the last frame read).</param>
/// <param name="Epoch">The epoch of that frame (0 for the Hello).</param>
public sealed record ChannelOutcome(ChannelPeer Peer, ulong Generation, ulong Epoch, AssemblyOutcome Outcome);

/// <summary>An accepted connection ended, and why: for logs and tests. <paramref name="Peer"/> is null if it ended before its Hello was accepted.</summary>
public sealed record ChannelClosed(long ConnectionId, EndPoint? Remote, ChannelPeer? Peer, string Reason);
