namespace FaultTolerant.Check.Tests.Checking;

public sealed class ShrinkTests
{
    [Fact]
    public void A_stale_read_shrinks_to_the_writes_and_the_read_that_explain_it()
    {
        var h = new HistoryScript();
        for (int i = 0; i < 30; i++)
        {
            h.Op(i % 3, "write", $"a{i}", key: "noise").Op(4, "read", result: $"a{i}", key: "noise");
        }

        h.Op(1, "write", "1", key: "k");
        for (int i = 0; i < 20; i++)
        {
            h.Op(2, "read", result: "1", key: "k");
        }

        h.Op(1, "write", "2", key: "k").Op(3, "read", result: "2", key: "k").Op(3, "read", result: "1", key: "k");

        var result = LinearizabilityChecker.Check(h.Build(), Model.Register);
        var violation = Assert.Single(result.Violations).Violation!;

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(["write 1", "write 2", "read → 1"], violation.Minimal.Select(o => o.Label));
        Assert.True(violation.MinimalIsOneMinimal);
        Assert.Empty(violation.Forgotten);
        Assert.Equal("read → 1", violation.CannotPlace?.Label);
    }

    [Fact]
    public void Answers_the_violation_does_not_need_are_forgotten_not_removed()
    {
        // The read of 2 needs write 2 to have happened, but not its answer: the write is kept, open.
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Op(2, "write", "2")
            .Op(1, "read", result: "2")
            .Op(1, "read", result: "1");

        var violation = LinearizabilityChecker.Check(h.Build(), Model.Register).Violations.Single().Violation!;
        var again = LinearizabilityChecker.Check(History.FromOperations(violation.Minimal), Model.Register);

        Assert.Equal(Verdict.NotLinearizable, again.Verdict);
        Assert.Contains(violation.Minimal, o => o.F == "write" && o.Value == "2");
        Assert.All(violation.Forgotten, i => Assert.True(violation.Minimal.Single(o => o.Index == i).IsOpen));
    }

    [Fact]
    public void Without_shrinking_the_whole_key_is_reported()
    {
        var h = new HistoryScript().Op(1, "write", "1").Op(1, "read", result: "2").Op(1, "read", result: "1");

        var violation = LinearizabilityChecker.Check(h.Build(), Model.Register, new CheckOptions { Shrink = false }).Violations.Single().Violation!;

        Assert.Equal(3, violation.Minimal.Count);
        Assert.Equal(0, violation.ShrinkChecks);
    }
}
