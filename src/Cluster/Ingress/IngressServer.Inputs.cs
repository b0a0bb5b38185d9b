using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using static FaultTolerant.Cluster.Ingress.IngressMessage;

namespace FaultTolerant.Cluster.Ingress;

/// <summary>What a gateway session's frames do: the Hello and its claims, then connects, client bytes, acks.</summary>
public sealed partial class IngressServer
{
    /// <summary>Answers a Hello: a Welcome with the claims granted (and what waited for them), or a refusal. Returns whether the session goes on.</summary>
    private bool OnHello(Session session, Hello hello)
    {
        var unknownClaims = new List<long>();
        var lostClaims = new List<long>();
        List<Session> superseded;
        Registration r;
        int granted;
        lock (_lock)
        {
            if (!_sessions.Contains(session)) return false;
            session.Identify(hello.GatewayId);
            if (!_routes.TryGetValue(hello.Guest, out var route) || route.Current is not { } current)
            {
                return Refuse(session, new Refused(RefusalReason.NoPrimary, 0, $"no primary of guest {hello.Guest} on this node"));
            }
            if (hello.Generation != 0 && hello.Generation != current.Generation)
            {
                return Refuse(session, new Refused(RefusalReason.StaleGeneration, current.Generation,
                    $"the primary of guest {hello.Guest} here is of generation {current.Generation}, not {hello.Generation}"));
            }
            r = current;
            // One session per gateway and guest: a new one means the gateway gave up on the old one (a connection it saw
            // break, which may look alive from here). Its connections must be free for the new session to claim.
            superseded = [.. r.Sessions.Where(s => s.GatewayId == hello.GatewayId)];
            foreach (var s in superseded) LoseLocked(s, r);
            session.Welcomed(r);
            r.Sessions.Add(session);
            var claimed = r.Table.Claim(session, hello.GatewayId, hello.Claims, unknownClaims, lostClaims);
            granted = claimed.Count;
            _claimed += granted;
            _welcomed++;
            session.Send(new Welcome(r.Generation, [.. claimed.Select(c => c.Info)], lostClaims));
            // The claimed connections' output that waited for an owner, and their committed offsets, right after the Welcome.
            if (claimed.Count > 0) session.SendRelease(r.Generation, r.LastEpoch, [.. claimed.SelectMany(c => c.Pending)], [.. claimed.Select(c => c.Committed)]);
        }
        foreach (var s in superseded)
        {
            Log($"guest {r.Guest} generation {r.Generation}: session of {s.GatewayId} ({s.Remote}) replaced by a new one from {session.Remote}");
            s.Abort();
        }
        Log($"guest {r.Guest} generation {r.Generation}: gateway {hello.GatewayId} ({session.Remote}) welcomed, {granted} connections claimed" +
            (unknownClaims.Count > 0 ? $"; never had {string.Join(", ", unknownClaims)}" : "") +
            (lostClaims.Count > 0 ? $"; will not give {string.Join(", ", lostClaims)} (given up, or owned by another gateway): their clients must reconnect" : ""));
        return true;
    }

    /// <summary>Guarded by <see cref="_lock"/>.</summary>
    private bool Refuse(Session session, Refused refusal)
    {
        _refused++;
        session.Send(refusal);
        session.Close($"refused: {refusal.Message}");
        return false;
    }

    /// <exception cref="IngressProtocolException">A frame a gateway must not send now: the session is dropped.</exception>
    private void OnFrame(Session session, IngressMessage message)
    {
        Registration? r;
        lock (_lock)
        {
            r = session.Registration;
            // Closing: the primary was replaced or detached, and the gateway will find the current one.
            if (r is null || !IsCurrent(r) || !r.Sessions.Contains(session)) return;
            switch (message)
            {
                case Deliver d:
                {
                    var decision = r.Table.Deliver(session, d.Connection, d.Offset, d.Data.Length);
                    if (decision.Reason is { } violation) throw new IngressProtocolException(violation);
                    if (decision.Send) r.Primary.Deliver(d.Connection, decision.Skip == 0 ? d.Data : d.Data[decision.Skip..]);
                    _duplicateInputBytes += decision.Send ? decision.Skip : d.Data.Length;
                    return;
                }
                case EndInput e:
                {
                    var decision = r.Table.EndInput(session, e.Connection);
                    if (decision.Reason is { } violation) throw new IngressProtocolException(violation);
                    if (decision.Send) r.Primary.EndInput(e.Connection);
                    return;
                }
                case Ack a:
                    r.Table.CloseDelivered(session.Acked(a.Sequence) ?? throw new IngressProtocolException($"acknowledges release {a.Sequence}, which was never sent"));
                    return;
                case Heartbeat:
                    return;
                case Connect:
                    break;
                default:
                    throw new IngressProtocolException($"a {message.GetType().Name} frame from a gateway, after its Hello");
            }
        }
        _ = ConnectAsync(session, r, (Connect)message);
    }

    /// <summary>A client of the session's gateway connects: the guest's answer goes back, and the connection is the session's.</summary>
    private async Task ConnectAsync(Session session, Registration r, Connect c)
    {
        long id;
        try
        {
            id = await r.Primary.ConnectAsync(c.Port, c.PeerAddress, c.PeerPort);
        }
        catch (GuestConnectionRefusedException e)
        {
            session.Send(new ConnectRefused(c.RequestId, ConnectRefusal.GuestRefused, e.Message));
            return;
        }
        catch (Exception e)
        {
            session.Send(new ConnectRefused(c.RequestId, ConnectRefusal.Failed, e.Message));
            return;
        }
        string? bug = null;
        lock (_lock)
        {
            if (!IsCurrent(r)) return; // that primary is gone; its guest with it
            bool alive = r.Sessions.Contains(session);
            try
            {
                // If the session is gone meanwhile, the connection is an orphan that only its gateway may claim.
                var early = r.Table.Created(alive ? session : null, session.GatewayId, id, c.Port, _clock.Elapsed);
                if (alive)
                {
                    session.Send(new Connected(c.RequestId, id));
                    if (early.Count > 0) session.SendRelease(r.Generation, r.LastEpoch, early, []);
                }
            }
            catch (InvalidOperationException e)
            {
                bug = e.Message;
                session.Send(new ConnectRefused(c.RequestId, ConnectRefusal.Failed, $"BUG: {e.Message}"));
            }
        }
        if (bug is not null) Log($"guest {r.Guest} generation {r.Generation}: BUG: the guest gave connection {id} twice: {bug}");
    }

    /// <summary>A session ended on its own: its connections become orphans.</summary>
    private void SessionEnded(Session session, string reason, bool fault)
    {
        string guest;
        lock (_lock)
        {
            var r = session.Registration;
            guest = r is null ? "" : $"guest {r.Guest} generation {r.Generation}: ";
            LoseLocked(session, r);
            if (fault) _dropped++;
        }
        Log($"{guest}session of {session.GatewayId} ({session.Remote}) {(fault ? "dropped" : "ended")}: {reason}");
    }
}
