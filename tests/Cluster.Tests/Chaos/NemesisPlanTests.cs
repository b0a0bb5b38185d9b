using FaultTolerant.Cluster.Chaos;

namespace FaultTolerant.Cluster.Tests.Chaos;

/// <summary>The fault schedule is a pure function of the seed, dense enough for a one-minute campaign.</summary>
public sealed class NemesisPlanTests
{
    private static readonly IReadOnlySet<FaultKind> All = new HashSet<FaultKind> { FaultKind.Kill, FaultKind.Pause, FaultKind.Partition };

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        var a = NemesisPlan.Plan(7, All, 40);
        var b = NemesisPlan.Plan(7, All, 40);
        var c = NemesisPlan.Plan(8, All, 40);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void A_longer_schedule_begins_with_the_shorter_one()
    {
        Assert.Equal(NemesisPlan.Plan(3, All, 10), NemesisPlan.Plan(3, All, 30).Take(10));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(12345)]
    public void Every_deck_of_eight_has_five_kills_and_two_partitions_first_then_a_pause(int seed)
    {
        var plan = NemesisPlan.Plan(seed, All, 80);
        foreach (var deck in plan.Chunk(8))
        {
            Assert.Equal(5, deck.Take(7).Count(f => f.Kind == FaultKind.Kill));
            Assert.Equal(2, deck.Take(7).Count(f => f.Kind == FaultKind.Partition));
            Assert.Equal(FaultKind.Pause, deck[7].Kind);
        }
        Assert.Equal(Enumerable.Range(1, 80), plan.Select(f => f.Number));
    }

    [Fact]
    public void Kinds_not_asked_for_never_appear()
    {
        var plan = NemesisPlan.Plan(5, new HashSet<FaultKind> { FaultKind.Kill, FaultKind.Pause }, 50);
        Assert.DoesNotContain(plan, f => f.Kind == FaultKind.Partition);
        Assert.Contains(plan, f => f.Kind == FaultKind.Pause);
        Assert.All(NemesisPlan.Plan(5, new HashSet<FaultKind> { FaultKind.Pause }, 10), f => Assert.Equal(FaultKind.Pause, f.Kind));
        Assert.Throws<ArgumentException>(() => NemesisPlan.Plan(5, new HashSet<FaultKind>(), 1));
    }

    [Fact]
    public void Holds_outlast_the_failure_detector_where_they_must_and_targets_cover_every_role()
    {
        var plan = NemesisPlan.Plan(11, All, 400);
        // hocon/cluster.conf: a silent node is marked unreachable after about 1.2 s.
        Assert.All(plan.Where(f => f.Kind == FaultKind.Pause), f => Assert.InRange(f.Hold.TotalSeconds, 2.0, 4.0));
        Assert.All(plan.Where(f => f.Kind == FaultKind.Partition), f => Assert.InRange(f.Hold.TotalSeconds, 2.5, 5.0));
        Assert.All(plan, f => Assert.InRange(f.QuietBefore.TotalSeconds, 0.3, 1.2));
        foreach (var target in new[] { FaultTarget.Primary, FaultTarget.Backup, FaultTarget.Witness })
        {
            Assert.Contains(plan, f => f.Kind == FaultKind.Kill && f.Target == target);
            Assert.Contains(plan, f => f.Kind == FaultKind.Pause && f.Target == target);
            Assert.Contains(plan, f => f.Kind == FaultKind.Partition && f.Target == target && !f.OneWay);
        }
        Assert.Contains(plan, f => f.Kind == FaultKind.Partition && f.Target == FaultTarget.Minority);
        Assert.Contains(plan, f => f.OneWay && f.IntoTarget);
        Assert.Contains(plan, f => f.OneWay && !f.IntoTarget);
    }
}
