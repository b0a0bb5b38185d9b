using System.Text;
using FaultTolerant.Cluster.Ingress;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Tests.Ingress;

/// <summary>
/// Who owns what, decided without sockets: output goes to its connection's owner only, an orphan's output waits for
/// whoever may claim it, replays never reach the guest twice, and an orphan nobody claims is ended once.
/// </summary>
public sealed class ConnectionTableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);

    private sealed class Owner(string name)
    {
        public override string ToString() => name;
    }

    [Fact]
    public void Output_and_offsets_go_to_the_owner_only_and_an_orphans_output_waits_for_its_claimant()
    {
        var table = new ConnectionTable<Owner>(Timeout, 1 << 20);
        Owner b = new("b"), d = new("d");
        table.Created(b, "node-b", 16, 6379, T0);
        table.Created(d, "node-d", 17, 6379, T0);

        var routed = table.Route(Release(1, [Out(16, 0, "to-b"), Out(17, 0, "to-d"), Out(GuestStreams.Stdout, 0, "log")], [new(16, 4, 4), new(17, 5, 4)]), T0);
        Assert.Equal("to-b", Text(Assert.Single(routed.Batches[b].Output)));
        Assert.Equal(16, Assert.Single(routed.Batches[b].Connections).Connection);
        Assert.Equal("to-d", Text(Assert.Single(routed.Batches[d].Output)));
        Assert.Equal("log", Text(Assert.Single(routed.Stdio)));

        // b's session dies with "more" sent and not acknowledged; then more is released while 16 has no owner.
        Assert.Empty(table.Lost(b, [Out(16, 4, "more")], T0));
        routed = table.Route(Release(2, [Out(16, 8, "late")], [new(16, 9, 12), new(17, 5, 4)]), T0);
        Assert.False(routed.Batches.ContainsKey(b));

        // Another gateway may not take it; b's next session does, and gets both, told to expect output from offset 4.
        List<long> unknown = [], lost = [];
        Assert.Empty(table.Claim(d, "node-d", [16], unknown, lost));
        Assert.Equal([16L], lost);
        Owner b2 = new("b2");
        var claimed = Assert.Single(table.Claim(b2, "node-b", [16, 99], unknown, lost));
        Assert.Equal(4, claimed.Info.Released);
        Assert.Equal(9, claimed.Info.Received);
        Assert.Equal(["more", "late"], claimed.Pending.Select(Text));
        Assert.Equal(new CommittedOffsets(16, 9, 12), claimed.Committed);
        Assert.Equal([99L], unknown);
        Assert.Equal("again", Text(Assert.Single(table.Route(Release(3, [Out(16, 12, "again")], [new(16, 9, 17)]), T0).Batches[b2].Output)));
    }

    [Fact]
    public void A_promoted_guests_connections_go_to_whichever_gateway_claims_them_first()
    {
        var table = new ConnectionTable<Owner>(Timeout, 1 << 20);
        table.AddPromoted([new ConnectionInfo(16, 6379, 30, 50, 40, true, false, false)], T0);
        // The new primary re-releases from the promoted guest's released offset before anyone claimed the connection.
        table.Route(Release(1, [Out(16, 40, "0123456789")], [new(16, 30, 50)]), T0);
        Owner c = new("c"), other = new("other");
        var claimed = Assert.Single(table.Claim(c, "node-c", [16], [], []));
        Assert.Equal(new ConnectionInfo(16, 6379, 30, 50, 40, true, false, false), claimed.Info);
        Assert.Single(claimed.Pending);
        var lost = new List<long>();
        Assert.Empty(table.Claim(other, "node-c", [16], [], lost));
        Assert.Equal([16L], lost);
    }

    [Fact]
    public void A_replay_from_the_committed_offset_reaches_the_guest_once_and_a_gap_or_a_foreign_connection_is_a_violation()
    {
        var table = new ConnectionTable<Owner>(Timeout, 1 << 20);
        Owner b = new("b"), d = new("d");
        table.Created(b, "node-b", 16, 6379, T0);
        Assert.Equal(DeliverDecision.Forward(0), table.Deliver(b, 16, 0, 10));
        table.Route(Release(1, [], [new(16, 4, 0)]), T0);
        table.Lost(b, [], T0);
        Owner b2 = new("b2");
        var info = Assert.Single(table.Claim(b2, "node-b", [16], [], [])).Info;
        Assert.Equal(4, info.Received);

        // The gateway replays from 4: bytes 4..10 the primary has, 10..14 it has not.
        Assert.Equal(DeliverDecision.Forward(6), table.Deliver(b2, 16, 4, 10));
        Assert.Equal(DeliverDecision.Ignore, table.Deliver(b2, 16, 0, 14));
        Assert.Contains("gap", table.Deliver(b2, 16, 15, 1).Reason);
        Assert.Contains("does not own", table.Deliver(d, 16, 14, 1).Reason);
        Assert.Contains("does not own", table.EndInput(d, 16).Reason);
        Assert.Equal(DeliverDecision.Forward(0), table.EndInput(b2, 16));
        Assert.Equal(DeliverDecision.Ignore, table.EndInput(b2, 16));
        Assert.Equal(DeliverDecision.Ignore, table.Deliver(b2, 16, 14, 3));
    }

    [Fact]
    public void An_orphan_nobody_claims_is_ended_once_after_the_timeout_and_a_later_claim_is_told_it_is_lost_even_once_forgotten()
    {
        var table = new ConnectionTable<Owner>(Timeout, 1 << 20);
        Owner b = new("b");
        table.Created(b, "node-b", 16, 6379, T0);
        table.Created(b, "node-b", 17, 6379, T0);
        Assert.Equal(DeliverDecision.Forward(0), table.EndInput(b, 17));
        table.Lost(b, [], T0);
        Assert.Equal(2, table.Orphans);

        Assert.Empty(table.Expire(T0 + Timeout - TimeSpan.FromMilliseconds(1)));
        Assert.Equal([16L], table.Expire(T0 + Timeout)); // 17's input had ended already: given up, nothing to send
        Assert.Empty(table.Expire(T0 + Timeout + Timeout));
        Assert.Equal(0, table.Orphans);
        List<long> unknown = [], lost = [];
        Assert.Empty(table.Claim(new Owner("b2"), "node-b", [16, 17], unknown, lost));
        Assert.Equal([16L, 17L], lost);

        // The guest closes them and forgets them; so does the table, but not that they were given up: a gateway that
        // connected them again would replay bytes the guest may have acted on.
        table.Route(Release(1, [], []), T0 + Timeout + Timeout);
        Assert.Equal(0, table.Count);
        lost.Clear();
        Assert.Empty(table.Claim(new Owner("b3"), "node-b", [16, 17, 18], unknown, lost));
        Assert.Equal([16L, 17L], lost);
        Assert.Equal([18L], unknown);
    }

    [Fact]
    public void An_orphan_with_more_output_waiting_than_the_bound_is_given_up_at_once()
    {
        var table = new ConnectionTable<Owner>(Timeout, 8);
        Owner b = new("b");
        table.Created(b, "node-b", 16, 6379, T0);
        table.Created(b, "node-b", 17, 6379, T0);
        Assert.Equal([16L], table.Lost(b, [Out(16, 0, "123456789")], T0));
        var routed = table.Route(Release(1, [Out(17, 0, "12345"), Out(17, 5, "6789")], []), T0);
        Assert.Equal([17L], routed.EndNow);
    }

    [Fact]
    public void Output_released_before_the_connect_is_answered_waits_for_the_session_that_asked()
    {
        var table = new ConnectionTable<Owner>(Timeout, 1 << 20);
        table.Route(Release(1, [Out(16, 0, "hello")], [new(16, 0, 5)]), T0);
        Assert.Empty(table.Claim(new Owner("thief"), "node-x", [16], [], [])); // not promoted: only its maker may have it
        Owner b = new("b");
        Assert.Equal("hello", Text(Assert.Single(table.Created(b, "node-b", 16, 6379, T0))));
        Assert.Empty(table.Expire(T0 + Timeout + Timeout));
    }

    [Fact]
    public void A_closed_connection_is_forgotten_once_the_guest_has_and_its_owner_has_the_close()
    {
        var table = new ConnectionTable<Owner>(Timeout, 1 << 20);
        Owner b = new("b");
        table.Created(b, "node-b", 16, 6379, T0);
        table.Route(Release(1, [new ReleasedOutput(16, 0, "bye"u8.ToArray(), true)], [new(16, 0, 3)]), T0);
        table.Route(Release(2, [], []), T0);
        Assert.Equal(1, table.Count); // the owner has not acknowledged the close yet
        table.CloseDelivered([16]);
        table.Route(Release(3, [], []), T0);
        Assert.Equal(0, table.Count);
    }

    private static ReleasedEpoch Release(ulong epoch, IReadOnlyList<ReleasedOutput> output, IReadOnlyList<CommittedOffsets> connections) =>
        new(1, epoch, output, connections);

    private static ReleasedOutput Out(long stream, long offset, string text) => new(stream, offset, Encoding.ASCII.GetBytes(text), false);

    private static string Text(ReleasedOutput o) => Encoding.ASCII.GetString(o.Data);
}
