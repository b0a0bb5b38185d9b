using FaultTolerant.Check.Tests.Data;

namespace FaultTolerant.Check.Tests.Search;

/// <summary>Whatever stops the search, the answer is "unknown", never a guess.</summary>
public sealed class SearchLimitTests
{
    [Theory]
    [InlineData("kv/c50-ok.txt")]
    [InlineData("kv/c50-bad.txt")]
    public void A_tiny_time_limit_answers_unknown(string file)
    {
        var options = new CheckOptions { TimeLimit = TimeSpan.FromTicks(1) };

        var result = LinearizabilityChecker.CheckFile(DataSet.PathOf(file), Model.Kv, options);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.All(result.Keys, k => Assert.Equal("time limit reached", k.Reason));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(100)]
    public void Short_time_limits_never_give_a_wrong_verdict(int milliseconds)
    {
        var options = new CheckOptions { TimeLimit = TimeSpan.FromMilliseconds(milliseconds), Shrink = false };

        var ok = LinearizabilityChecker.CheckFile(DataSet.PathOf("kv/c50-ok.txt"), Model.Kv, options);
        var bad = LinearizabilityChecker.CheckFile(DataSet.PathOf("kv/c50-bad.txt"), Model.Kv, options);

        Assert.NotEqual(Verdict.NotLinearizable, ok.Verdict);
        Assert.NotEqual(Verdict.Linearizable, bad.Verdict);
    }

    [Fact]
    public void A_cancelled_check_answers_unknown()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var result = LinearizabilityChecker.CheckFile(DataSet.PathOf("kv/c10-ok.txt"), Model.Kv, ct: cts.Token);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.All(result.Keys, k => Assert.Equal("cancelled", k.Reason));
    }

    [Fact]
    public void A_state_limit_answers_unknown()
    {
        var result = LinearizabilityChecker.CheckFile(DataSet.PathOf("etcd/etcd_002.log"), Model.Etcd, new CheckOptions { MaxStates = 100 });

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.Equal("more than 100 states", Assert.Single(result.Keys).Reason);
    }

    [Fact]
    public void Without_stopping_at_the_first_violation_every_key_gets_a_verdict()
    {
        var options = new CheckOptions { StopAtFirstViolation = false, Shrink = false };

        var result = LinearizabilityChecker.CheckFile(DataSet.PathOf("kv/c10-bad.txt"), Model.Kv, options);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.DoesNotContain(result.Keys, k => k.Verdict == Verdict.Unknown);
    }

    [Fact]
    public void Keys_in_parallel_and_one_at_a_time_agree()
    {
        var one = LinearizabilityChecker.CheckFile(DataSet.PathOf("kv/c50-ok.txt"), Model.Kv, new CheckOptions { MaxParallelism = 1 });
        var many = LinearizabilityChecker.CheckFile(DataSet.PathOf("kv/c50-ok.txt"), Model.Kv, new CheckOptions { MaxParallelism = 4 });

        Assert.Equal(one.Keys.Select(k => (k.Key, k.Verdict, k.States)), many.Keys.Select(k => (k.Key, k.Verdict, k.States)));
    }
}
