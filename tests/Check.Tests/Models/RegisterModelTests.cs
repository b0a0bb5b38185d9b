namespace FaultTolerant.Check.Tests.Models;

public sealed class RegisterModelTests
{
    private static readonly Model Register = Model.Register;

    [Fact]
    public void A_read_sees_the_last_completed_write()
    {
        var h = new HistoryScript().Op(1, "write", "1").Op(2, "read", result: "1");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void A_key_starts_out_not_existing()
    {
        Assert.Equal(Verdict.Linearizable, new HistoryScript().Op(1, "read", result: null).Check(Register));
        Assert.Equal(Verdict.NotLinearizable, new HistoryScript().Op(1, "write", "1").Op(2, "read", result: null).Check(Register));
    }

    [Fact]
    public void A_read_of_a_value_nobody_wrote_is_not_linearizable()
    {
        var h = new HistoryScript().Op(1, "write", "1").Op(2, "read", result: "7");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Register));
    }

    [Fact]
    public void A_stale_read_after_a_newer_write_completed_is_not_linearizable()
    {
        var h = new HistoryScript().Op(1, "write", "1").Op(1, "write", "2").Op(2, "read", result: "1");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Register));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    public void A_read_concurrent_with_a_write_may_see_the_old_or_the_new_value(string? seen)
    {
        var h = new HistoryScript()
            .Invoke(1, "write", "1")
            .Invoke(2, "read")
            .Ok(2, "read", seen)
            .Ok(1, "write", "1");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void Two_concurrent_writes_then_reads_only_work_in_one_order()
    {
        // Both writes overlap, so either order is allowed, but once both are done the value cannot change.
        var writes = () => new HistoryScript()
            .Invoke(1, "write", "1")
            .Invoke(2, "write", "2")
            .Ok(1, "write", "1")
            .Ok(2, "write", "2");

        Assert.Equal(Verdict.Linearizable, writes().Op(3, "read", result: "1").Op(3, "read", result: "1").Check(Register));
        Assert.Equal(Verdict.Linearizable, writes().Op(3, "read", result: "2").Op(4, "read", result: "2").Check(Register));
        Assert.Equal(Verdict.NotLinearizable, writes().Op(3, "read", result: "1").Op(4, "read", result: "2").Check(Register));
    }

    [Fact]
    public void A_read_between_overlapping_writes_fixes_their_order()
    {
        // p3 reads 2 while both writes run, p4 reads 1 after both ended: the only order that works is
        // write 2, read 2, write 1, read 1.
        var h = new HistoryScript()
            .Invoke(1, "write", "1")
            .Invoke(2, "write", "2")
            .Invoke(3, "read")
            .Ok(3, "read", "2")
            .Ok(1, "write", "1")
            .Ok(2, "write", "2")
            .Op(4, "read", result: "1");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void An_open_write_may_take_effect_and_explain_a_later_read()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Invoke(2, "write", "2")
            .Op(3, "read", result: "2");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void An_open_write_may_take_effect_long_after_its_process_gave_up()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Invoke(2, "write", "2")
            .Info(2, "write")
            .Op(2, "read", result: "1")
            .Op(3, "read", result: "1")
            .Op(3, "read", result: "2");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void An_open_write_may_never_take_effect()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Invoke(2, "write", "2")
            .Info(2, "write")
            .Op(1, "read", result: "1")
            .Op(3, "read", result: "1");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void An_open_write_cannot_take_effect_before_it_was_called()
    {
        var h = new HistoryScript()
            .Op(1, "read", result: "2")
            .Invoke(2, "write", "2")
            .Info(2, "write");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Register));
    }

    [Fact]
    public void An_open_write_takes_effect_at_most_once()
    {
        var h = new HistoryScript()
            .Invoke(2, "write", "2")
            .Op(1, "read", result: "2")
            .Op(1, "write", "1")
            .Op(1, "read", result: "2");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Register));
    }

    [Fact]
    public void A_definitely_failed_write_did_not_happen()
    {
        var h = new HistoryScript()
            .Invoke(1, "write", "5")
            .Fail(1, "write", "not the primary")
            .Op(2, "read", result: null);
        var history = h.Build();

        Assert.DoesNotContain(history.Operations, o => o.F == "write");
        Assert.Equal(1, history.DroppedOperations);
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void A_successful_cas_changes_the_value()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Invoke(1, "cas", "1", "2").Ok(1, "cas")
            .Op(2, "read", result: "2");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void A_cas_that_answered_ok_must_have_matched()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Invoke(1, "cas", "3", "2").Ok(1, "cas");
        Assert.Equal(Verdict.NotLinearizable, h.Check(Register));
    }

    [Fact]
    public void A_failed_cas_is_information_the_value_differed()
    {
        var matched = new HistoryScript().Op(1, "write", "1").Invoke(2, "cas", "1", "2").Fail(2, "cas", "mismatch");
        var differed = new HistoryScript().Op(1, "write", "1").Invoke(2, "cas", "3", "2").Fail(2, "cas", "mismatch");

        Assert.Equal(Verdict.NotLinearizable, matched.Check(Register));
        Assert.Equal(Verdict.Linearizable, differed.Check(Register));
    }

    [Fact]
    public void A_failed_cas_is_explained_by_a_concurrent_write()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1")
            .Invoke(3, "write", "3")
            .Invoke(2, "cas", "1", "2")
            .Fail(2, "cas", "mismatch")
            .Ok(3, "write", "3")
            .Op(2, "read", result: "3");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void A_cas_against_nil_matches_a_key_that_does_not_exist()
    {
        var h = new HistoryScript().Invoke(1, "cas", null, "1").Ok(1, "cas").Op(1, "read", result: "1");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void An_open_cas_takes_effect_only_if_it_matches()
    {
        var matches = new HistoryScript().Op(1, "write", "1").Invoke(2, "cas", "1", "2").Op(3, "read", result: "2");
        var cannot = new HistoryScript().Op(1, "write", "1").Invoke(2, "cas", "5", "2").Op(3, "read", result: "2");

        Assert.Equal(Verdict.Linearizable, matches.Check(Register));
        Assert.Equal(Verdict.NotLinearizable, cannot.Check(Register));
    }

    [Fact]
    public void Incr_treats_a_missing_key_as_zero_and_returns_the_new_value()
    {
        Assert.Equal(Verdict.Linearizable, new HistoryScript().Op(1, "incr", result: "1").Op(1, "read", result: "1").Check(Register));
        Assert.Equal(Verdict.NotLinearizable, new HistoryScript().Op(1, "incr", result: "2").Check(Register));
        Assert.Equal(Verdict.Linearizable, new HistoryScript().Op(1, "write", "41").Op(1, "incr", result: "42").Check(Register));
        Assert.Equal(Verdict.Linearizable, new HistoryScript().Op(1, "incr", "5", "5").Op(1, "incr", "-7", "-2").Check(Register));
    }

    [Fact]
    public void Concurrent_increments_each_count_once()
    {
        var both = (string first, string second) => new HistoryScript()
            .Invoke(1, "incr")
            .Invoke(2, "incr")
            .Ok(1, "incr", first)
            .Ok(2, "incr", second);

        Assert.Equal(Verdict.Linearizable, both("2", "1").Check(Register));
        Assert.Equal(Verdict.NotLinearizable, both("1", "1").Check(Register));
    }

    [Fact]
    public void An_open_incr_may_have_counted()
    {
        var h = new HistoryScript()
            .Invoke(1, "incr").Info(1, "incr")
            .Op(2, "incr", result: "2");
        Assert.Equal(Verdict.Linearizable, h.Check(Register));
    }

    [Fact]
    public void Incr_of_a_value_that_is_not_an_integer_fails()
    {
        var refused = new HistoryScript().Op(1, "write", "abc").Invoke(1, "incr").Fail(1, "incr", "not-integer").Op(1, "read", result: "abc");
        var wronglyRefused = new HistoryScript().Op(1, "write", "12").Invoke(1, "incr").Fail(1, "incr", "not-integer");
        var wronglyCounted = new HistoryScript().Op(1, "write", "abc").Op(1, "incr", result: "1");

        Assert.Equal(Verdict.Linearizable, refused.Check(Register));
        Assert.Equal(Verdict.NotLinearizable, wronglyRefused.Check(Register));
        Assert.Equal(Verdict.NotLinearizable, wronglyCounted.Check(Register));
    }

    [Fact]
    public void Keys_are_independent()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1", key: "a")
            .Op(2, "write", "2", key: "b")
            .Op(3, "read", result: "1", key: "a")
            .Op(3, "read", result: "2", key: "b");
        var result = LinearizabilityChecker.Check(h.Build(), Register);

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(["a", "b"], result.Keys.Select(k => k.Key));
    }

    [Fact]
    public void A_violation_on_one_key_is_reported_on_that_key()
    {
        var h = new HistoryScript()
            .Op(1, "write", "1", key: "a")
            .Op(2, "write", "2", key: "b")
            .Op(3, "read", result: "2", key: "a")
            .Op(3, "read", result: "2", key: "b");
        var result = LinearizabilityChecker.Check(h.Build(), Register, new CheckOptions { StopAtFirstViolation = false });

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(Verdict.NotLinearizable, result.Keys.Single(k => k.Key == "a").Verdict);
        Assert.Equal(Verdict.Linearizable, result.Keys.Single(k => k.Key == "b").Verdict);
    }

    [Fact]
    public void Numbers_and_their_digits_are_the_same_value()
    {
        var history = JsonlHistory.Read(new StringReader("""
            {"process":1,"type":"invoke","f":"write","key":"k","value":7}
            {"process":1,"type":"ok","f":"write","key":"k","value":7}
            {"process":1,"type":"invoke","f":"read","key":"k","value":null}
            {"process":1,"type":"ok","f":"read","key":"k","value":"7"}
            """));
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check(history, Register).Verdict);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("append")]
    public void An_operation_the_model_does_not_have_is_an_error_naming_it(string f)
    {
        var h = new HistoryScript().Op(1, f, "x");
        var error = Assert.Throws<ModelMismatchException>(() => LinearizabilityChecker.Check(h.Build(), Register));
        Assert.Contains(f, error.Message, StringComparison.Ordinal);
        Assert.Contains("register", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_incr_answered_with_something_other_than_an_integer_is_an_error()
    {
        var h = new HistoryScript().Op(1, "incr", result: "many");
        Assert.Throws<ModelMismatchException>(() => LinearizabilityChecker.Check(h.Build(), Register));
    }
}
