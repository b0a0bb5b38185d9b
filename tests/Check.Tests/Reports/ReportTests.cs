using System.Text.Json;
using FaultTolerant.Check.Tests.Data;

namespace FaultTolerant.Check.Tests.Reports;

public sealed class ReportTests
{
    private static (CheckResult Result, History History) Bad()
    {
        var history = new HistoryScript()
            .Op(1, "write", "<script>alert(1)</script>", key: "k&1")
            .Op(2, "read", result: "nope", key: "k&1")
            .Build();
        return (LinearizabilityChecker.Check(history, Model.Register), history);
    }

    [Fact]
    public void The_text_report_starts_with_the_verdict_line_and_shows_the_violation()
    {
        var (result, _) = Bad();

        string text = TextReport.Render(result);

        Assert.StartsWith("script: NotLinearizable (model register, 2 ops, 0 open, 1 key, ", text, StringComparison.Ordinal);
        Assert.Contains("could not place", text, StringComparison.Ordinal);
        Assert.Contains("read → nope", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_html_report_is_one_self_contained_page_with_the_values_escaped()
    {
        var (result, history) = Bad();

        string html = HtmlReport.Render(result, history, Model.Register);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("class=\"op stuck", html, StringComparison.Ordinal);
        Assert.Contains("key &quot;k&amp;1&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_html_report_draws_every_operation_of_a_violated_key()
    {
        var history = HistoryReader.ReadFile(DataSet.PathOf("etcd/etcd_000.log"));
        var result = LinearizabilityChecker.Check(history, Model.Etcd);

        string html = HtmlReport.Render(result, history, Model.Etcd);

        int bars = html.Split("<div class=\"op ").Length - 1;
        Assert.Equal(history.Operations.Count + result.Violations.Single().Violation!.Minimal.Count, bars);
    }

    [Fact]
    public void The_json_result_uses_plain_names_and_enum_names()
    {
        var (result, _) = Bad();

        using var json = JsonDocument.Parse(JsonReport.Serialize(result));
        var root = json.RootElement;

        Assert.Equal("NotLinearizable", root.GetProperty("verdict").GetString());
        Assert.Equal("register", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("elapsedMs").GetDouble() >= 0);
        var key = root.GetProperty("keys")[0];
        Assert.Equal("k&1", key.GetProperty("key").GetString());
        var violation = key.GetProperty("violation");
        Assert.Equal("read", violation.GetProperty("cannotPlace").GetProperty("f").GetString());
        Assert.Equal("Ok", violation.GetProperty("minimal")[0].GetProperty("status").GetString());
        Assert.False(root.TryGetProperty("elapsed", out _));
    }
}
