namespace FaultTolerant.Check.Tests.Models;

public sealed class KvModelTests
{
    private static readonly Model Kv = Model.Kv;

    [Fact]
    public void Every_key_starts_as_the_empty_string()
    {
        Assert.Equal(Verdict.Linearizable, new HistoryScript().Op(1, "get", result: "", key: "k").Check(Kv));
        Assert.Equal(Verdict.NotLinearizable, new HistoryScript().Op(1, "get", result: "x", key: "k").Check(Kv));
    }

    [Fact]
    public void Put_replaces_and_append_concatenates()
    {
        var h = new HistoryScript()
            .Op(1, "append", "a", key: "k")
            .Op(1, "put", "x", key: "k")
            .Op(1, "append", "y", key: "k")
            .Op(2, "get", result: "xy", key: "k");
        Assert.Equal(Verdict.Linearizable, h.Check(Kv));
    }

    [Theory]
    [InlineData("ab", Verdict.Linearizable)]
    [InlineData("ba", Verdict.Linearizable)]
    [InlineData("a", Verdict.NotLinearizable)]
    [InlineData("aab", Verdict.NotLinearizable)]
    public void Concurrent_appends_land_in_some_order_each_exactly_once(string seen, Verdict expected)
    {
        var h = new HistoryScript()
            .Invoke(1, "append", "a", key: "k")
            .Invoke(2, "append", "b", key: "k")
            .Ok(1, "append", "a", key: "k")
            .Ok(2, "append", "b", key: "k")
            .Op(3, "get", result: seen, key: "k");
        Assert.Equal(expected, h.Check(Kv));
    }

    [Fact]
    public void A_get_that_misses_a_completed_append_is_not_linearizable()
    {
        var h = new HistoryScript()
            .Op(1, "append", "a", key: "k")
            .Op(1, "append", "b", key: "k")
            .Op(2, "get", result: "a", key: "k");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Kv));
    }

    [Fact]
    public void Register_operations_are_not_kv_operations()
    {
        var h = new HistoryScript().Op(1, "write", "1");
        Assert.Throws<ModelMismatchException>(() => LinearizabilityChecker.Check(h.Build(), Kv));
    }
}
