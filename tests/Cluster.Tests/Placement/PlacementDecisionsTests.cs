using FaultTolerant.Cluster.Placement;
using Xunit;

namespace FaultTolerant.Cluster.Tests.Placement;

public sealed class PlacementDecisionsTests
{
    private static Voter Up(string a) => new(a, true);

    private static Voter Lost(string a) => new(a, false);

    [Fact]
    public void Two_of_three_is_a_majority_and_one_of_three_is_not()
    {
        Assert.True(PlacementDecisions.HasMajority([Up("w"), Up("a"), Lost("b")]));
        Assert.False(PlacementDecisions.HasMajority([Up("w"), Lost("a"), Lost("b")]));
    }

    [Fact]
    public void Half_is_not_a_majority_so_two_nodes_cannot_decide_once_one_is_lost()
    {
        Assert.False(PlacementDecisions.HasMajority([Up("a"), Lost("b")]));
        Assert.False(PlacementDecisions.HasMajority([Up("a"), Up("b"), Lost("c"), Lost("d")]));
        Assert.True(PlacementDecisions.HasMajority([Up("a"), Up("b")]));
    }

    [Fact]
    public void Nobody_is_no_majority()
    {
        Assert.False(PlacementDecisions.HasMajority([]));
    }

    [Fact]
    public void The_backup_with_the_highest_committed_epoch_is_promoted()
    {
        var choice = PlacementDecisions.ChoosePromotion([new Candidate("b", 40), new Candidate("c", 42), new Candidate("d", 41)]);
        Assert.Equal(new Candidate("c", 42), choice);
    }

    [Fact]
    public void A_tie_goes_to_the_lowest_address_so_every_coordinator_chooses_the_same()
    {
        var choice = PlacementDecisions.ChoosePromotion([new Candidate("n2", 7), new Candidate("n1", 7)]);
        Assert.Equal("n1", choice?.Address);
    }

    [Fact]
    public void A_backup_with_nothing_committed_is_never_promoted()
    {
        Assert.Null(PlacementDecisions.ChoosePromotion([new Candidate("b", 0)]));
        Assert.Null(PlacementDecisions.ChoosePromotion([]));
        Assert.Equal("c", PlacementDecisions.ChoosePromotion([new Candidate("b", 0), new Candidate("c", 1)])?.Address);
    }

    private static GuestEntry Row(ulong generation, string primary) =>
        new("kv", 1, "hash", [], [], 1, generation, primary, ["b"], "127.0.0.1:1", "running");

    [Fact]
    public void A_decision_on_a_row_is_current_only_while_a_majority_has_the_same_generation_and_primary()
    {
        Assert.True(PlacementDecisions.StillCurrent(Row(3, "a"), Row(3, "a") with { Phase = "unprotected" }));
        Assert.False(PlacementDecisions.StillCurrent(Row(3, "a"), Row(4, "b")));
        Assert.False(PlacementDecisions.StillCurrent(Row(3, "a"), Row(3, "b")));
        Assert.False(PlacementDecisions.StillCurrent(Row(3, "a"), Row(2, "a")));
        Assert.False(PlacementDecisions.StillCurrent(Row(3, "a"), null));
    }

    [Fact]
    public void Of_two_members_that_lost_each_other_the_one_with_fewer_primaries_is_downed()
    {
        Assert.Equal("b", PlacementDecisions.ChooseToDown([new IndirectMember("a", 1, 0), new IndirectMember("b", 0, 1)]));
        Assert.Equal("a", PlacementDecisions.ChooseToDown([new IndirectMember("a", 0, 1), new IndirectMember("b", 0, 2)]));
        // All alike: the highest address, so that every coordinator would choose the same.
        Assert.Equal("b", PlacementDecisions.ChooseToDown([new IndirectMember("b", 0, 0), new IndirectMember("a", 0, 0)]));
    }

    [Fact]
    public void Of_two_alike_members_that_lost_each_other_the_coordinators_own_node_stays()
    {
        // RELIABILITY.md finding 7: the witness (coordinator) and a worker restarted on its address lost each other;
        // neither hosts anything. Downing the witness would move the singleton; the restarted worker goes.
        Assert.Equal("a", PlacementDecisions.ChooseToDown([new IndirectMember("b", 0, 0, Coordinator: true), new IndirectMember("a", 0, 0)]));
        // What it hosts still comes first: the coordinator's node with no primary goes before a primary's node.
        Assert.Equal("b", PlacementDecisions.ChooseToDown([new IndirectMember("b", 0, 0, Coordinator: true), new IndirectMember("a", 1, 0)]));
    }

    [Fact]
    public void A_single_member_unreachable_to_others_is_not_downed_by_the_coordinator()
    {
        Assert.Null(PlacementDecisions.ChooseToDown([new IndirectMember("a", 0, 0)]));
        Assert.Null(PlacementDecisions.ChooseToDown([]));
    }

    private static readonly Dictionary<string, bool> NoSilent = [];

    [Fact]
    public void A_member_answering_the_coordinator_that_every_other_member_reaches_is_in_no_pair()
    {
        // The coordinator's own stale view: its node was cut off and just healed (seeds 5 and 6 of the record on
        // efa993a downed the healthy witness on this).
        var pairs = PlacementDecisions.LostPairs("c", new HashSet<string> { "a", "b" }, NoSilent,
            [new ProbeResult("b", "a", true), new ProbeResult("a", "b", true)]);
        Assert.Empty(pairs);
    }

    [Fact]
    public void A_member_answering_the_coordinator_that_another_cannot_reach_pairs_with_that_one()
    {
        var pairs = PlacementDecisions.LostPairs("c", new HashSet<string> { "a", "b" }, NoSilent,
            [new ProbeResult("b", "a", false), new ProbeResult("a", "b", true)]);
        Assert.Equal([("a", "b")], pairs);
    }

    [Fact]
    public void A_member_silent_to_the_coordinator_twice_but_reached_by_another_pairs_with_the_coordinators_node()
    {
        var pairs = PlacementDecisions.LostPairs("c", new HashSet<string>(), new Dictionary<string, bool> { ["b"] = false }, [new ProbeResult("a", "b", true)]);
        Assert.Equal([("b", "c")], pairs);
    }

    [Fact]
    public void A_member_nobody_reaches_or_that_answers_the_second_ping_or_an_unanswered_probe_makes_no_pair()
    {
        // Dead or paused: the other member cannot reach it either.
        Assert.Empty(PlacementDecisions.LostPairs("c", new HashSet<string>(), new Dictionary<string, bool> { ["b"] = false }, [new ProbeResult("a", "b", false)]));
        // Resumed (or the cut healed) between the two pings: one moment's evidence only.
        Assert.Empty(PlacementDecisions.LostPairs("c", new HashSet<string>(), new Dictionary<string, bool> { ["b"] = true }, [new ProbeResult("a", "b", true)]));
        // The prober did not say.
        Assert.Empty(PlacementDecisions.LostPairs("c", new HashSet<string> { "b" }, NoSilent, [new ProbeResult("a", "b", null)]));
    }
}
