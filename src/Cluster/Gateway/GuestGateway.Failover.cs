using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;

namespace FaultTolerant.Cluster.Gateway;

/// <summary>Failover: the clients stay; the guest connection behind each of them moves to the new primary.</summary>
public sealed partial class GuestGateway
{
    /// <summary>
    /// Points every client at <paramref name="newPrimary"/> (a promoted backup's guest, resumed from its committed state)
    /// and replays, per connection, the client bytes past what that guest has received. Call it before the new primary
    /// starts or after; either way its inputs queue in order. Clients keep their TCP connections throughout.
    /// </summary>
    /// <param name="promotedConnections">
    /// The promoted guest's connections (<see cref="IGuest.Connections"/>), taken before it runs; or, through
    /// <c>RemotePrimary</c>, its Welcome's connections: the ones this gateway claimed, as the primary node has them.
    /// </param>
    /// <remarks>
    /// <para>A client whose connection the promoted guest has was given only committed output, so the new primary's
    /// releases, which start at that guest's committed released offset, are at or before what the client has: the
    /// overlap is dropped and nothing is missed.</para>
    /// <para>A client whose connection the promoted guest lacks connected after the last committed epoch: nothing was
    /// ever released for it and nothing it sent was trimmed, so it is connected again and replayed from its first byte.</para>
    /// <para>A promoted connection with no client (the client left, or its connect was caught by the failover) gets
    /// end-of-input, so the guest closes it — unless <see cref="GuestGatewayOptions.EndUnclaimedOnFailover"/> is off,
    /// because other gateways own some of the connections listed.</para>
    /// <para>A client whose connection is in <paramref name="lostConnections"/> is reset: the new primary has (or had)
    /// that connection but gave it up, and its guest may have acted on bytes the client sent, so connecting it again
    /// and replaying them could apply a request twice. The client reconnects, as the client of a lost gateway does.</para>
    /// <para>On a gateway started without a primary (<see cref="Start()"/>), the first call gives it one; clients waiting
    /// to connect go to it.</para>
    /// </remarks>
    /// <param name="lostConnections">Connections the new primary will not give this gateway (a <c>RemotePrimary</c>'s Welcome says which); null for none.</param>
    /// <exception cref="InvalidOperationException">The gateway was never started.</exception>
    public void Failover(IGuestInputs newPrimary, IReadOnlyList<ConnectionInfo> promotedConnections, IReadOnlyCollection<long>? lostConnections = null)
    {
        var reconnect = new List<Client>();
        var lost = new List<Client>();
        var broken = new List<(Client Client, string Reason)>();
        lock (_lock)
        {
            if (!_started) throw new InvalidOperationException("the gateway was never started");
            _primary = newPrimary;
            _era++;
            var eraChanged = _eraChanged;
            _eraChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _early.Clear();

            var promoted = new HashSet<long>();
            foreach (var info in promotedConnections)
            {
                promoted.Add(info.Id);
                if (!_byId.TryGetValue(info.Id, out var c))
                {
                    if (!info.InputEnded && _options.EndUnclaimedOnFailover) newPrimary.EndInput(info.Id);
                    continue;
                }
                if (Replay(c, info, newPrimary) is { } reason) broken.Add((c, reason));
            }
            foreach (var (id, c) in _byId.Where(kv => !promoted.Contains(kv.Key)).ToList())
            {
                _byId.Remove(id);
                c.Id = null;
                if (lostConnections?.Contains(id) == true)
                {
                    lost.Add(c);
                    continue;
                }
                if (c.Input.Start != 0 || c.Delivered != 0)
                {
                    broken.Add((c, $"connection {id} is not in the promoted guest, yet {c.Input.Start} of its input bytes were committed and {c.Delivered} output bytes released"));
                    continue;
                }
                _reconnected++;
                reconnect.Add(c);
            }
            _gaps += broken.Count;
            eraChanged.TrySetResult();
        }
        Log($"failover: {promotedConnections.Count} connections in the promoted guest, {reconnect.Count} clients to connect again" +
            (lost.Count > 0 ? $", {lost.Count} given up by the primary" : ""));
        foreach (var c in lost) Drop(c, "the primary gave its connection up (this gateway was away longer than its orphan timeout): the client must reconnect", abort: true);
        foreach (var (c, reason) in broken) Drop(c, $"BUG: {reason}", abort: true);
        foreach (var c in reconnect) _ = ConnectAsync(c, firstTime: false);
    }

    /// <summary>Guarded by <see cref="_lock"/>: one client's bytes past the promoted guest's received offset, again. Returns why not, if it cannot be done.</summary>
    private string? Replay(Client c, ConnectionInfo info, IGuestInputs newPrimary)
    {
        if (info.Received < c.Input.Start || info.Received > c.Input.End)
        {
            return $"the promoted guest received {info.Received} bytes of connection {info.Id}, outside the [{c.Input.Start}, {c.Input.End}) this gateway holds";
        }
        if (info.Released > c.Delivered)
        {
            return $"the promoted guest released {info.Released} bytes of connection {info.Id}, but its client has only {c.Delivered}";
        }
        c.Input.TrimTo(info.Received);
        if (!info.InputEnded)
        {
            var rest = c.Input.From(info.Received);
            if (rest.Length > 0)
            {
                newPrimary.Deliver(info.Id, rest);
                _replayed += rest.Length;
            }
            if (c.InputEnded && !c.CloseQueued) newPrimary.EndInput(info.Id);
        }
        c.ResumeIfBelow(_options);
        return null;
    }
}
