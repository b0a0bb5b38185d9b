using System.Text.Json;
using FaultTolerant.Check.Tests.Data;

namespace FaultTolerant.Check.Tests;

public sealed class CheckCommandRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ft-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> Run(string model, IReadOnlyList<string> files, bool json = false,
        TimeSpan? limit = null, string? html = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await CheckCommandRunner.RunAsync(model, files, json, limit ?? TimeSpan.FromSeconds(30), html, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Linearizable_files_exit_0_with_one_verdict_line_each()
    {
        var (exit, stdout, stderr) = await Run("etcd", [DataSet.PathOf("etcd/etcd_002.log"), DataSet.PathOf("etcd/etcd_018.log")]);

        Assert.Equal(CheckCommandRunner.Linearizable, exit);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains(": Linearizable (model etcd", l, StringComparison.Ordinal));
        Assert.Empty(stderr);
    }

    [Fact]
    public async Task A_violation_exits_1_and_writes_a_timeline()
    {
        string html = Path.Combine(_dir, "html");

        var (exit, stdout, _) = await Run("auto", [DataSet.PathOf("kv/c01-ok.txt"), DataSet.PathOf("kv/c01-bad.txt")], html: html);

        Assert.Equal(CheckCommandRunner.NotLinearizable, exit);
        Assert.Contains("c01-bad.txt: NotLinearizable (model kv", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(html, "c01-bad.txt.html")));
        Assert.Contains("timeline: " + Path.Combine(html, "c01-bad.txt.html"), stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_answer_exits_3()
    {
        var (exit, stdout, _) = await Run("kv", [DataSet.PathOf("kv/c50-ok.txt")], limit: TimeSpan.FromTicks(1));

        Assert.Equal(CheckCommandRunner.Unknown, exit);
        Assert.Contains(": Unknown (model kv", stdout, StringComparison.Ordinal);
        Assert.Contains("time limit reached", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_model_exits_2_naming_the_models()
    {
        var (exit, stdout, stderr) = await Run("queue", [DataSet.PathOf("kv/c01-ok.txt")]);

        Assert.Equal(CheckCommandRunner.BadInput, exit);
        Assert.Empty(stdout);
        Assert.Contains("unknown model 'queue' (known: register, etcd, kv)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_exits_2_before_checking_anything()
    {
        string missing = Path.Combine(_dir, "nope.jsonl");

        var (exit, stdout, stderr) = await Run("register", [DataSet.PathOf("kv/c01-ok.txt"), missing]);

        Assert.Equal(CheckCommandRunner.BadInput, exit);
        Assert.Empty(stdout);
        Assert.Contains($"{missing}: no such file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_files_exits_2()
    {
        var (exit, _, stderr) = await Run("register", []);

        Assert.Equal(CheckCommandRunner.BadInput, exit);
        Assert.Contains("no history files", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_file_exits_2_naming_its_line_while_the_others_are_still_checked()
    {
        string bad = Path.Combine(_dir, "bad.jsonl");
        await File.WriteAllTextAsync(bad, "{\"process\":1,\"type\":\"invoke\",\"f\":\"write\",\"value\":\"a\"}\n{\"process\":1,\"type\":\"ok\",\"f\":\"read\"}\n");

        var (exit, stdout, stderr) = await Run("auto", [bad, DataSet.PathOf("kv/c01-bad.txt")]);

        Assert.Equal(CheckCommandRunner.BadInput, exit);
        Assert.Contains($"{bad}:2: process 1 answers read but invoked write (line 1)", stderr, StringComparison.Ordinal);
        Assert.Contains("c01-bad.txt: NotLinearizable", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_that_does_not_fit_the_file_exits_2()
    {
        var (exit, _, stderr) = await Run("register", [DataSet.PathOf("kv/c01-ok.txt")]);

        Assert.Equal(CheckCommandRunner.BadInput, exit);
        Assert.Contains("model register: no operation 'append'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_is_one_object_with_a_file_array()
    {
        string history = Path.Combine(_dir, "ours.jsonl");
        using (var recorder = HistoryRecorder.Create(history))
        {
            recorder.Invoke(0, "write", "k", "1", node: "node-1");
            recorder.Ok(0, "write", "k", node: "node-1");
            recorder.Invoke(1, "incr", "n");
            recorder.Ok(1, "incr", "n", "1");
        }

        var (exit, stdout, _) = await Run("register", [history, DataSet.PathOf("kv/c01-ok.txt")], json: true);

        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(CheckCommandRunner.BadInput, exit);
        Assert.Equal(2, root.GetProperty("exitCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("verdict").ValueKind);
        var files = root.GetProperty("files");
        Assert.Equal(2, files.GetArrayLength());
        Assert.Equal("Linearizable", files[0].GetProperty("result").GetProperty("verdict").GetString());
        Assert.Contains("model register: no operation", files[1].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_for_good_files_has_the_overall_verdict()
    {
        var (exit, stdout, _) = await Run("auto", [DataSet.PathOf("etcd/etcd_002.log"), DataSet.PathOf("etcd/etcd_000.log")], json: true);

        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(CheckCommandRunner.NotLinearizable, exit);
        Assert.Equal("NotLinearizable", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("files")[0].GetProperty("error").ValueKind);
    }
}
