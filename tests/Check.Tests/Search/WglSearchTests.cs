using System.Globalization;

namespace FaultTolerant.Check.Tests.Search;

public sealed class WglSearchTests
{
    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    public void Long_sequential_histories_cross_bitset_word_boundaries(int writes)
    {
        var h = new HistoryScript();
        for (int i = 0; i < writes; i++)
        {
            string value = i.ToString(CultureInfo.InvariantCulture);
            h.Op(i % 5, "write", value).Op(9, "read", result: value);
        }

        Assert.Equal(Verdict.Linearizable, h.Check(Model.Register));
        h.Op(9, "read", result: "0");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Model.Register));
    }

    [Fact]
    public void Many_concurrent_writes_collapse_to_few_states()
    {
        // 20 overlapping writes: 20! orders, but the register only remembers the last one.
        var h = new HistoryScript();
        for (int p = 0; p < 20; p++)
        {
            h.Invoke(p, "write", $"v{p}");
        }

        for (int p = 0; p < 20; p++)
        {
            h.Ok(p, "write", $"v{p}");
        }

        h.Op(30, "read", result: "v7");
        var result = LinearizabilityChecker.Check(h.Build(), Model.Register);

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.True(result.Keys[0].States < 100_000, $"{result.Keys[0].States} states");
    }

    [Fact]
    public void Unanswered_reads_are_left_out_of_the_search()
    {
        var h = new HistoryScript();
        for (int p = 0; p < 40; p++)
        {
            h.Invoke(p, "read");
        }

        h.Op(50, "write", "1").Op(50, "read", result: "1");
        var result = LinearizabilityChecker.Check(h.Build(), Model.Register);

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(42, result.Operations);
        Assert.Equal(40, result.OpenOperations);
        Assert.True(result.Keys[0].States <= 2, $"{result.Keys[0].States} states");
    }

    [Fact]
    public void An_empty_history_is_linearizable()
    {
        var result = LinearizabilityChecker.Check(History.FromOperations([]), Model.Register);

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Empty(result.Keys);
    }
}
