namespace FaultTolerant.Check.Tests.Formats;

public sealed class HistoryReaderTests
{
    private static History Read(string text) => HistoryReader.Read(new StringReader(text), "in.txt");

    [Theory]
    [InlineData("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}", HistoryFormat.Jsonl)]
    [InlineData("{\"format\":\"faulttolerant-history\",\"version\":1}", HistoryFormat.Jsonl)]
    [InlineData("\n\n{:process 0, :type :invoke, :f :get, :key \"5\", :value nil}", HistoryFormat.KvEdn)]
    [InlineData("some preamble\nINFO  jepsen.util - 0\t:invoke\t:read\tnil", HistoryFormat.EtcdLog)]
    public void The_format_is_told_from_the_content(string text, HistoryFormat format)
    {
        Assert.Equal(format, Read(text).Format);
    }

    [Theory]
    [InlineData("", 0, "the file is empty")]
    [InlineData("   \n\n", 0, "the file is empty")]
    [InlineData("\nhello world", 2, "unknown format")]
    public void Content_in_no_known_format_is_an_error(string text, int line, string problem)
    {
        var error = Assert.Throws<HistoryFormatException>(() => Read(text));
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("in.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edn_maps_read_with_strings_keywords_and_nil()
    {
        var h = Read("""
            {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 \"q\" y"}
            {:process 0, :type :ok, :f :append, :key "0", :value "x 0 \"q\" y"}
            {:process :nemesis, :type :info, :f :start, :value nil}
            {:process 1, :type :invoke, :f :get, :key "0", :value nil}
            {:process 1, :type :ok, :f :get, :key "0", :value "x 0 \"q\" y"}
            """);
        Assert.Equal(2, h.Operations.Count);
        Assert.Equal("x 0 \"q\" y", h.Operations[1].Result);
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check(h, Model.Kv).Verdict);
    }

    [Theory]
    [InlineData("{:process 0, :type :invoke, :f :get, :key \"5\", :value nil", 1, "not closed with '}'")]
    [InlineData("{:process 0, :type :ok, :f :get, :key \"5\", :value \"abc}", 1, "a string is not closed")]
    [InlineData("{:process 0, :type :invoke, :f :get}\n{:process 0, :type :begun, :f :get}", 2, ":type must be :invoke, :ok, :fail or :info")]
    [InlineData("{:type :invoke, :f :get}", 1, "no :process")]
    [InlineData("{:process 0, :type :invoke, :f \"get\"}", 1, ":f must be a keyword")]
    [InlineData("{:process 0, :type :invoke, :f :get, :value [1 2]}", 1, "unexpected '['")]
    [InlineData("{:process 0, :type :invoke, :f :get} extra", 1, "text after the closing '}'")]
    public void Malformed_edn_names_the_line(string text, int line, string problem)
    {
        var error = Assert.Throws<HistoryFormatException>(() => Read(text));
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INFO  jepsen.util - 1\t:invoke\t:cas\t4 0", 1, "a cas takes [expected new]")]
    [InlineData("INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:done\t:read\t3", 2, "expected :invoke, :ok, :fail or :info")]
    [InlineData("INFO  jepsen.util - 1\t:invoke\tread\tnil", 1, "expected a function like :read")]
    [InlineData("INFO  jepsen.util - 1\t:ok\t:read\t3", 1, "invoked nothing")]
    public void Malformed_etcd_logs_name_the_line(string text, int line, string problem)
    {
        var error = Assert.Throws<HistoryFormatException>(() => Read(text));
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_does_not_exist_is_an_io_error()
    {
        Assert.Throws<FileNotFoundException>(() => HistoryReader.ReadFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".jsonl")));
    }
}
