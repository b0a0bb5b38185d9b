using FaultTolerant.Cluster.Chaos;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Tests.Chaos;

/// <summary>Point 5 of the campaign: two nodes releasing one guest's output at once is found, and nothing else is.</summary>
public sealed class ReleaseOverlapTests
{
    private static readonly DateTime T0 = new(2026, 11, 24, 12, 0, 0, DateTimeKind.Utc);

    private static ReleaseSpan Span(string node, ulong generation, double fromMs, double toMs, ulong firstEpoch = 1, ulong lastEpoch = 1, string guest = "kv") =>
        new(guest, node, generation, T0.AddMilliseconds(fromMs), T0.AddMilliseconds(toMs), firstEpoch, lastEpoch, 1);

    [Fact]
    public void A_failover_where_the_new_primary_starts_after_the_old_one_stopped_is_no_overlap()
    {
        var spans = new[]
        {
            Span("worker-a", 3, 0, 90), Span("worker-a", 3, 100, 190), Span("worker-a", 4, 195, 250),
            Span("worker-b", 5, 1450, 1540), Span("worker-b", 5, 1550, 1640),
        };
        Assert.Empty(ReleaseOverlap.Find(spans));
        Assert.Empty(ReleaseOverlap.SharedGenerations(spans));
    }

    [Fact]
    public void Two_nodes_releasing_at_once_under_different_generations_are_found_whatever_the_order_of_the_spans()
    {
        var old = Span("worker-a", 5, 1000, 1100, 250, 261);
        var fresh = Span("worker-b", 6, 1050, 1150, 1, 12);
        var overlaps = ReleaseOverlap.Find([fresh, Span("worker-b", 6, 1200, 1300), old]);
        var overlap = Assert.Single(overlaps);
        Assert.Equal(TimeSpan.FromMilliseconds(50), overlap.Length);
        Assert.Contains("worker-a released generation 5", overlap.Describe(), StringComparison.Ordinal);
        Assert.Contains("worker-b released generation 6", overlap.Describe(), StringComparison.Ordinal);
        Assert.Null(overlap.CommittedBy);
    }

    [Fact]
    public void A_shared_instant_counts_and_other_guests_do_not_mix()
    {
        Assert.Single(ReleaseOverlap.Find([Span("worker-a", 1, 0, 100), Span("worker-b", 2, 100, 200)]));
        Assert.Empty(ReleaseOverlap.Find([Span("worker-a", 1, 0, 100, guest: "kv"), Span("worker-b", 2, 50, 200, guest: "other")]));
    }

    [Fact]
    public void One_node_s_consecutive_generations_never_conflict()
    {
        Assert.Empty(ReleaseOverlap.Find([Span("worker-a", 3, 0, 100), Span("worker-a", 4, 50, 150)]));
    }

    [Fact]
    public void A_late_release_of_epochs_the_successor_was_promoted_from_is_told_apart_but_still_an_overlap()
    {
        var promotion = new Promotion("kv", "worker-b", 6, T0.AddMilliseconds(900), 5, 261);
        var late = ReleaseOverlap.Find([Span("worker-a", 5, 1000, 1010, 261, 261), Span("worker-b", 6, 950, 1150, 1, 20)], [promotion]);
        Assert.Equal(promotion, Assert.Single(late).CommittedBy);
        Assert.Contains("late release of committed output", late[0].Describe(), StringComparison.Ordinal);

        // An epoch past the one the successor resumed from was never committed there: not explained.
        var beyond = ReleaseOverlap.Find([Span("worker-a", 5, 1000, 1010, 262, 262), Span("worker-b", 6, 950, 1150, 1, 20)], [promotion]);
        Assert.Null(Assert.Single(beyond).CommittedBy);
    }

    [Fact]
    public void A_generation_released_by_two_nodes_is_found_even_far_apart_in_time()
    {
        var shared = Assert.Single(ReleaseOverlap.SharedGenerations([Span("worker-a", 7, 0, 10), Span("worker-b", 7, 5000, 5010), Span("worker-b", 8, 6000, 6010)]));
        Assert.Equal(7UL, shared.Generation);
        Assert.Equal(["worker-a", "worker-b"], shared.Nodes);
    }

    [Fact]
    public void Journals_are_read_with_their_promotions_and_a_missing_journal_is_no_spans()
    {
        var dir = Directory.CreateTempSubdirectory("ft-overlap-").FullName;
        try
        {
            var path = Path.Combine(dir, "worker-b.jsonl");
            using (var journal = new ReleaseJournal(path, "worker-b"))
            {
                journal.Promoted("kv", 6, 5, 261);
                journal.Released("kv", 6, 1, System.Diagnostics.Stopwatch.GetTimestamp());
                journal.Flush();
            }
            var content = ReleaseOverlap.Read([path, Path.Combine(dir, "never-a-primary.jsonl")]);
            Assert.Single(content.Spans);
            var promotion = Assert.Single(content.Promotions);
            Assert.Equal((6UL, 5UL, 261UL, "worker-b"), (promotion.Generation, promotion.FromGeneration, promotion.FromEpoch, promotion.Node));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
