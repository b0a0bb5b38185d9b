using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// <c>bench replication</c>: the replication layer's figures, each a ratio against a reference measured in the same run
/// (DESIGN §7): the epoch pause against a plain copy, the data channel against raw loopback TCP, the page codec, a
/// replicated miniredis against an unreplicated one, a replicated compute against a plain run, and the memory of a
/// primary and a backup process against the guest's.
/// </summary>
internal static class ReplicationBenchmark
{
    public static async Task<int> MainAsync(string[] args)
    {
        ReplicationOptions options;
        try
        {
            options = ReplicationOptions.Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"bench replication: {e.Message}");
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(ReplicationOptions.Usage);
            return 0;
        }

        // With --json, stdout carries the one JSON object and nothing else: progress and the table go to stderr.
        var stdout = Console.Out;
        if (options.Json) Console.SetOut(Console.Error);

        var ctx = BenchContext.Create(new BenchOptions());
        var machine = Machine.Describe(ctx.Qemu);
        Console.WriteLine($"bench replication — {machine.Summary}");
        var report = new Report("bench replication");
        var json = new JsonObject
        {
            ["command"] = Command(args),
            ["machine"] = machine.Summary,
            ["startedUtc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            ["loadAverageStart"] = Machine.LoadAverage(),
        };
        var total = await TimeAsync(async () =>
        {
            await StepAsync(report, json, "pause", options, () => Task.FromResult(PauseCost.Run(ctx, report)));
            await StepAsync(report, json, "channel", options, () => ChannelThroughput.RunAsync(ctx, report));
            await StepAsync(report, json, "codec", options, () => Task.FromResult(CodecSpeed.Run(ctx, report)));
            await StepAsync(report, json, "redis", options, () => RedisLoad.RunAsync(ctx, report, options.Requests));
            await StepAsync(report, json, "compute", options, () => ComputeOverhead.RunAsync(ctx, report));
            await StepAsync(report, json, "memory", options, () => NodeMemory.RunAsync(ctx, report));
        });
        string loadEnd = Machine.LoadAverage();
        json["loadAverageEnd"] = loadEnd;
        json["seconds"] = Math.Round(total.TotalSeconds, 1);
        var perFigure = json.Where(kv => kv.Value is JsonObject o && o["loadAverage"] is not null).Select(kv => $"{kv.Key} {kv.Value!["loadAverage"]}");
        report.Note($"Load average (1 min) {json["loadAverageStart"]} at the start, {loadEnd} at the end (at the start of each figure: {string.Join(", ", perFigure)}); " +
                    $"the run took {Units.Seconds(total)}.");
        report.Print(machine);
        if (options.MarkdownPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.Markdown(machine, Command(args)));
            Console.WriteLine($"wrote {path}");
        }
        if (options.Json)
        {
            await stdout.WriteLineAsync(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            await stdout.FlushAsync();
        }
        return 0;
    }

    private static string Command(string[] args) =>
        "dotnet run -c Release --project bench -- replication" + string.Concat(args.Where(a => a is not "--markdown" && !a.EndsWith(".md", StringComparison.Ordinal)).Select(a => " " + a));

    private static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        await action();
        return System.Diagnostics.Stopwatch.GetElapsedTime(start);
    }

    /// <summary>One figure; a failure is reported as a missing row with its reason, never ends the others.</summary>
    private static async Task StepAsync(Report report, JsonObject json, string name, ReplicationOptions options, Func<Task<JsonNode>> figure)
    {
        if (!options.Wants(name)) return;
        string load = Machine.LoadAverage();
        try
        {
            var node = await figure();
            node["loadAverage"] = load;
            json[name] = node;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.ComponentModel.Win32Exception
                                       or System.Net.Sockets.SocketException)
        {
            report.Add(new Row(name, "failed", "—", null, "—", Verdict.Skipped));
            report.Note($"{name}: {e.GetType().Name}: {e.Message}");
            json[name] = new JsonObject { ["error"] = e.Message, ["loadAverage"] = load };
        }
        Measure.Settle();
    }
}
