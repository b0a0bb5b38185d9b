namespace FaultTolerant.Check.Tests.Formats;

public sealed class JsonlHistoryTests
{
    private static History Read(string text) => JsonlHistory.Read(new StringReader(text), "h.jsonl");

    [Fact]
    public void Events_pair_into_operations_with_their_results()
    {
        var h = Read("""
            {"process":3,"type":"invoke","f":"write","key":"k1","value":"v17","time":100,"node":"node-2"}
            {"process":4,"type":"invoke","f":"cas","key":"k1","value":["v17","v18"],"time":110}
            {"process":3,"type":"ok","f":"write","key":"k1","value":"v17","time":120,"node":"node-2"}
            {"process":4,"type":"fail","f":"cas","key":"k1","error":"mismatch","time":130}
            {"process":5,"type":"invoke","f":"incr","key":"n","time":140}
            {"process":5,"type":"ok","f":"incr","key":"n","value":1,"time":150}
            {"process":6,"type":"invoke","f":"read","key":"k2","time":160}
            {"process":6,"type":"ok","f":"read","key":"k2","value":null,"time":170}
            {"process":7,"type":"invoke","f":"write","key":"k2","value":"lost","time":180}
            """);

        Assert.Collection(h.Operations,
            w => Assert.Equal(new Operation(0, 3, "write", "k1", "v17", null, null, OperationStatus.Ok, 100, 120, "node-2", 1), w),
            c => Assert.Equal(new Operation(1, 4, "cas", "k1", "v17", "v18", null, OperationStatus.Fail, 110, 130, null, 2), c),
            i => Assert.Equal(new Operation(2, 5, "incr", "n", null, null, "1", OperationStatus.Ok, 140, 150, null, 5), i),
            r => Assert.Equal(new Operation(3, 6, "read", "k2", null, null, null, OperationStatus.Ok, 160, 170, null, 7), r),
            open => Assert.Equal(new Operation(4, 7, "write", "k2", "lost", null, null, OperationStatus.Open, 180, null, null, 9), open));
        Assert.Equal(HistoryFormat.Jsonl, h.Format);
    }

    [Fact]
    public void Without_times_the_line_order_is_the_time_order()
    {
        var h = Read("""
            {"process":1,"type":"invoke","f":"write","value":"a"}
            {"process":2,"type":"invoke","f":"read"}
            {"process":1,"type":"ok","f":"write"}
            {"process":2,"type":"ok","f":"read","value":"a"}
            """);
        Assert.Equal([(1L, 3L), (2L, 4L)], h.Operations.Select(o => (o.Call, o.Return!.Value)));
    }

    [Fact]
    public void A_failure_without_information_is_dropped_and_an_info_stays_open()
    {
        var h = Read("""
            {"process":1,"type":"invoke","f":"write","key":"k","value":"a"}
            {"process":1,"type":"fail","f":"write","key":"k","error":"not primary"}
            {"process":1,"type":"invoke","f":"write","key":"k","value":"b"}
            {"process":1,"type":"info","f":"write","key":"k"}
            {"process":1,"type":"invoke","f":"read","key":"k"}
            """);
        Assert.Equal(1, h.DroppedOperations);
        Assert.Equal(["b", null], h.Operations.Select(o => o.Value));
        Assert.All(h.Operations, o => Assert.Equal(OperationStatus.Open, o.Status));
    }

    [Fact]
    public void What_the_recorder_writes_reads_back_the_same()
    {
        var text = new StringWriter();
        using (var recorder = new HistoryRecorder(text))
        {
            Parallel.For(0, 8, p =>
            {
                for (int i = 0; i < 50; i++)
                {
                    string key = $"k{i % 3}";
                    recorder.Invoke(p, "write", key, $"v{p}-{i}", node: "node-1");
                    recorder.Ok(p, "write", key, $"v{p}-{i}", node: "node-1");
                    recorder.Invoke(p, "cas", key, $"v{p}-{i}", "w \"quoted\" ü");
                    recorder.Fail(p, "cas", key, "mismatch");
                    recorder.Invoke(p, "incr", "counter");
                    recorder.Info(p, "incr", "counter");
                    recorder.Invoke(p, "read", key);
                    recorder.Ok(p, "read", key, null);
                }
            });
        }

        var history = Read(text.ToString());
        Assert.Equal(8 * 50 * 8, history.Events.Count);
        Assert.Equal(8 * 50 * 4, history.Operations.Count);
        Assert.Equal(history.Events.Count, history.Events.Select(e => e.Time).Distinct().Count());

        var again = Read(Write(history.Events));
        Assert.Equal(Strip(history.Events), Strip(again.Events));
        Assert.Equal(history.Operations.Select(o => o with { Line = 0 }), again.Operations.Select(o => o with { Line = 0 }));
    }

    [Fact]
    public void A_history_built_from_operations_writes_and_reads_back_the_same_operations()
    {
        var ops = new[]
        {
            new Operation(0, 1, "write", "k", "1", null, null, OperationStatus.Ok, 10, 20),
            new Operation(1, 2, "cas", "k", "1", "2", null, OperationStatus.Fail, 15, 25),
            new Operation(2, 2, "write", "k", "3", null, null, OperationStatus.Open, 30, null),
            new Operation(3, 2, "incr", "n", "5", null, "5", OperationStatus.Ok, 40, 50),
            new Operation(4, 1, "read", "k", null, null, null, OperationStatus.Ok, 45, 60, "node-3"),
        };
        var history = History.FromOperations(ops);

        var back = Read(Write(history.Events));

        Assert.Equal(ops, back.Operations.Select(o => o with { Line = 0 }));
    }

    [Theory]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"", 1, "not valid JSON")]
    [InlineData("[1,2]", 1, "expected a JSON object")]
    [InlineData("{\"type\":\"invoke\",\"f\":\"read\"}", 1, "\"process\" must be an integer")]
    [InlineData("{\"process\":\"a\",\"type\":\"invoke\",\"f\":\"read\"}", 1, "\"process\" must be an integer")]
    [InlineData("{\"process\":1,\"type\":\"started\",\"f\":\"read\"}", 1, "\"type\" must be invoke, ok, fail or info")]
    [InlineData("{\"process\":1,\"type\":\"invoke\"}", 1, "\"f\" is missing")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"cas\",\"value\":[1,2,3]}", 1, "[expected, new]")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"value\":{\"a\":1}}", 1, "\"value\" must be a string, a number or null")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"time\":-5}", 1, "non-negative integer")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"time\":1}\n{\"process\":1,\"type\":\"ok\",\"f\":\"read\"}", 2, "every event has a \"time\" or none")]
    [InlineData("{\"process\":1,\"type\":\"ok\",\"f\":\"read\"}", 1, "process 1 answers read (ok) but invoked nothing")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}", 2, "while its read (line 1) has no answer yet")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n\n{\"process\":1,\"type\":\"ok\",\"f\":\"write\"}", 3, "answers write but invoked read (line 1)")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"a\"}\n{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"key\":\"b\"}", 2, "answers for key b but invoked key a")]
    [InlineData("{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n{\"format\":\"faulttolerant-history\",\"version\":1}", 2, "the header must be the first line")]
    public void Malformed_input_names_the_file_the_line_and_the_problem(string text, int line, string problem)
    {
        var error = Assert.Throws<HistoryFormatException>(() => Read(text));

        Assert.Equal("h.jsonl", error.HistorySource);
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"h.jsonl:{line}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_with_another_version_is_refused()
    {
        var error = Assert.Throws<UnsupportedHistoryVersionException>(() => Read("{\"format\":\"faulttolerant-history\",\"version\":2}\n"));
        Assert.Equal(2, error.Found);
        Assert.Contains("version 2 is not supported", error.Message, StringComparison.Ordinal);
    }

    private static string Write(IEnumerable<HistoryEvent> events)
    {
        var text = new StringWriter();
        JsonlHistory.Write(events, text);
        return text.ToString();
    }

    private static List<HistoryEvent> Strip(IEnumerable<HistoryEvent> events) => events.Select(e => e with { Line = 0 }).ToList();
}
