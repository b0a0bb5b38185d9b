namespace FaultTolerant.Check.Tests.Models;

/// <summary>The etcd model on small Jepsen logs written the way the real ones are.</summary>
public sealed class EtcdModelTests
{
    private static CheckResult Check(string log) =>
        LinearizabilityChecker.Check(HistoryReader.Read(new StringReader(log), "test.log"), Model.Etcd);

    [Fact]
    public void A_read_of_nil_before_any_write_is_linearizable()
    {
        var result = Check("""
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:ok	:read	nil
            INFO  jepsen.util - 1	:invoke	:write	3
            INFO  jepsen.util - 1	:ok	:write	3
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:ok	:read	3
            """);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Null(Assert.Single(result.Keys).Key);
    }

    [Fact]
    public void A_failed_cas_proves_the_value_differed()
    {
        var result = Check("""
            INFO  jepsen.util - 1	:invoke	:write	4
            INFO  jepsen.util - 1	:ok	:write	4
            INFO  jepsen.util - 2	:invoke	:cas	[4 0]
            INFO  jepsen.util - 2	:fail	:cas	[4 0]
            """);
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(0, result.DroppedOperations);
    }

    [Fact]
    public void A_timed_out_read_may_have_returned_anything()
    {
        var result = Check("""
            INFO  jepsen.util - 1	:invoke	:write	4
            INFO  jepsen.util - 1	:ok	:write	4
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:fail	:read	:timed-out
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:ok	:read	4
            """);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(1, result.OpenOperations);
    }

    [Fact]
    public void A_timed_out_write_may_take_effect_later_or_never()
    {
        const string Prefix = """
            INFO  jepsen.util - 1	:invoke	:write	1
            INFO  jepsen.util - 1	:ok	:write	1
            INFO  jepsen.util - 2	:invoke	:write	2
            INFO  jepsen.util - 2	:info	:write	:timed-out
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:ok	:read	1

            """;
        Assert.Equal(Verdict.Linearizable, Check(Prefix).Verdict);
        Assert.Equal(Verdict.Linearizable, Check(Prefix + """
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:ok	:read	2
            """).Verdict);
    }

    [Fact]
    public void An_unanswered_cas_stays_open_until_the_end()
    {
        var result = Check("""
            INFO  jepsen.util - 1	:invoke	:write	4
            INFO  jepsen.util - 1	:ok	:write	4
            INFO  jepsen.util - 2	:invoke	:cas	[4 0]
            INFO  jepsen.util - 0	:invoke	:read	nil
            INFO  jepsen.util - 0	:ok	:read	0
            """);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(1, result.Keys[0].OpenOperations);
    }

    [Fact]
    public void Lines_split_by_spaces_and_noise_lines_are_read_too()
    {
        var result = Check("""
            2017-01-01 INFO  jepsen.core - Running test
            INFO  jepsen.util - 3   :invoke :cas    [1 2]
            INFO  jepsen.util - :nemesis	:info	:start	nil
            INFO  jepsen.util - 3   :fail   :cas    [1 2]
            """);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(1, result.Operations);
    }
}
