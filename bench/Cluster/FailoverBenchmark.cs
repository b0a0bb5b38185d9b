using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaultTolerant.Cluster.Harness;
using FaultTolerant.Cluster.Node;
using FaultTolerant.Cluster.Cli;

namespace FaultTolerant.Bench.Cluster;

/// <summary>
/// <c>bench failover</c>: a local cluster of three <c>ft node</c> processes (a witness and two workers, as <c>ft demo</c>)
/// runs miniredis with one backup; RESP clients write through the backup's gateway; the primary's process is SIGKILLed,
/// again and again, each time after the guest is protected again (the killed node is restarted and becomes the new
/// backup). Per kill: the client-visible failover (the longest any client waited for a reply across the kill), the
/// time until Akka's own split brain resolver downed the dead node (the reference: what a failover that waited for the
/// cluster's membership would wait for, measured in the same run), and the time to re-protection.
/// </summary>
internal static class FailoverBenchmark
{
    private const string Usage = """
        usage: dotnet run -c Release --project bench -- failover [options]

        options:
          --kills N         SIGKILLs of the primary (default 20)
          --clients N       concurrent RESP clients (default 8)
          --json            print one JSON object on stdout (progress goes to stderr)
          --markdown FILE   also write the results as markdown
          --logs DIR        keep each node's time-stamped log there
        """;

    private sealed record Kill(int Number, double FailoverSeconds, double DownedSeconds, double ReprotectedSeconds, long Acknowledged, long Lost, long Errors);

    public static async Task<int> MainAsync(string[] args)
    {
        int kills = 20, clients = 8;
        bool json = false;
        string? markdown = null, logs = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--kills": kills = int.TryParse(Value(), out int k) && k is >= 1 and <= 1000 ? k : throw new FormatException("--kills needs a number from 1 to 1000"); break;
                    case "--clients": clients = int.TryParse(Value(), out int c) && c is >= 1 and <= 64 ? c : throw new FormatException("--clients needs a number from 1 to 64"); break;
                    case "--json": json = true; break;
                    case "--markdown": markdown = Value(); break;
                    case "--logs": logs = Value(); break;
                    case "-h" or "--help": Console.WriteLine(Usage); return 0;
                    default: throw new FormatException($"unknown option '{args[i]}'");
                }
            }
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"bench failover: {e.Message}");
            return 2;
        }
        var image = GuestLocator.Find("miniredis");
        if (image is null)
        {
            await Console.Error.WriteLineAsync("bench failover: guests/bin/miniredis.elf not found");
            return 2;
        }

        var stdout = Console.Out;
        if (json) Console.SetOut(Console.Error);
        var machine = Machine.Describe(null);
        Console.WriteLine($"bench failover — {machine.Summary}; {kills} kills, {clients} clients");
        string loadStart = Machine.LoadAverage();
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5 + kills));
        var results = new List<Kill>();
        await using (var cluster = await LocalCluster.StartAsync(new LocalClusterOptions(2, 1, logs), cancel.Token, Console.WriteLine))
        {
            int clusterPort = ClusterSettings.FreePort();
            using (var client = cluster.Client())
            {
                await client.SendAsync(HttpMethod.Post, "v1/guests",
                    new StartGuestRequest("kv", Convert.ToBase64String(await File.ReadAllBytesAsync(image)), ["--port", "6379"], 1, [$"6379:{clusterPort}"]));
            }
            await cluster.WaitForStatus(s => LocalCluster.Protected(s, "kv"), "miniredis to run protected", cancel.Token);
            for (int n = 1; n <= kills; n++)
            {
                var result = await KillOnce(cluster, n, clusterPort, clients, cancel.Token);
                results.Add(result);
                Console.WriteLine($"kill {n,3}: client-visible failover {result.FailoverSeconds:0.000} s, " +
                                  $"downed by Akka after {result.DownedSeconds:0.000} s, re-protected after {result.ReprotectedSeconds:0.000} s; " +
                                  $"{result.Acknowledged} acked, {result.Lost} lost, {result.Errors} errors");
            }
        }

        var failover = Percentiles(results.Select(r => r.FailoverSeconds));
        var downed = Percentiles(results.Select(r => r.DownedSeconds));
        var reprotected = Percentiles(results.Select(r => r.ReprotectedSeconds));
        long lost = results.Sum(r => r.Lost), errors = results.Sum(r => r.Errors), acked = results.Sum(r => r.Acknowledged);
        string command = "dotnet run -c Release --project bench -- failover" + string.Concat(args.Where(a => a != "--markdown" && !a.EndsWith(".md", StringComparison.Ordinal)).Select(a => " " + a));

        var report = new Report("bench failover");
        report.Add(new Row("client-visible failover p50", S(failover.P50), $"Akka downs the node: {S(downed.P50)}", failover.P50 / downed.P50, "≤ 1 s p99", Verdict.Info));
        report.Add(new Row("client-visible failover p99", S(failover.P99), $"Akka downs the node: {S(downed.P99)}", failover.P99 / downed.P99, "≤ 1 s", failover.P99 <= 1.0 ? Verdict.Pass : Verdict.Miss));
        report.Add(new Row("client-visible failover max", S(failover.Max), $"Akka downs the node: {S(downed.Max)}", failover.Max / downed.Max, "—", Verdict.Info));
        report.Add(new Row("time to re-protection p50", S(reprotected.P50), $"Akka downs the node: {S(downed.P50)}", reprotected.P50 / downed.P50, "—", Verdict.Info));
        report.Add(new Row("time to re-protection max", S(reprotected.Max), $"Akka downs the node: {S(downed.Max)}", reprotected.Max / downed.Max, "—", Verdict.Info));
        report.Add(new Row("lost acknowledged writes", $"{lost} of {acked}", "0", null, "0", lost == 0 ? Verdict.Pass : Verdict.Miss));
        report.Add(new Row("client errors", $"{errors}", "0", null, "0", errors == 0 ? Verdict.Pass : Verdict.Miss));
        report.Note($"{results.Count} SIGKILLs of the primary's process, {clients} clients writing unique keys through the surviving worker's gateway; " +
                    "client-visible failover = the longest any client waited for a reply across a kill. Reference = the time until Akka's split brain " +
                    "resolver (keep-majority, stable-after 4 s, failure detector 250 ms / 800 ms) downed the dead node, measured in the same run: " +
                    "what a failover that waited for cluster membership would wait for (with Akka's defaults, about 45 s).");
        report.Note($"Re-protection includes restarting the killed node's process (a new incarnation, about 1.5 s to start), its admission once the old one is downed, and the pre-copy of the guest.");
        report.Note($"Load average (1 min) {loadStart} at the start, {Machine.LoadAverage()} at the end; the run took {clock.Elapsed.TotalSeconds:0} s.");
        report.Print(machine);
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, report.Markdown(machine, command));
            Console.WriteLine($"wrote {markdown}");
        }
        if (json)
        {
            var o = new JsonObject
            {
                ["command"] = command,
                ["machine"] = machine.Summary,
                ["kills"] = results.Count,
                ["clients"] = clients,
                ["clientVisibleFailoverSeconds"] = Json(failover),
                ["akkaDownedSeconds"] = Json(downed),
                ["reprotectionSeconds"] = Json(reprotected),
                ["acknowledgedWrites"] = acked,
                ["lostAcknowledgedWrites"] = lost,
                ["clientErrors"] = errors,
                ["perKill"] = new JsonArray([.. results.Select(r => (JsonNode)JsonSerializer.SerializeToNode(r)!)]),
            };
            await stdout.WriteLineAsync(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    /// <summary>
    /// One kill: clients through the backup's gateway, SIGKILL of the primary, promotion, restart of the killed node,
    /// re-protection; then the clients' writes are read back.
    /// </summary>
    private static async Task<Kill> KillOnce(LocalCluster cluster, int number, int clusterPort, int clients, CancellationToken cancellation)
    {
        var status = await cluster.StatusAsync();
        var primary = cluster.ByAddress(LocalCluster.Primary(status, "kv")!);
        var survivor = cluster.Workers.First(w => w != primary);
        var gateway = new IPEndPoint(IPAddress.Parse(survivor.GatewayAddress), clusterPort);
        var load = new RespLoad(gateway, clients);
        using var stop = new CancellationTokenSource();
        var runners = load.Start(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5), cancellation);

        long killedAt = Stopwatch.GetTimestamp();
        primary.Kill();
        double promoted = -1, downed = -1;
        // Watch the witness's view: the new primary, then Akka's downing of the dead incarnation.
        while (promoted < 0 || downed < 0)
        {
            cancellation.ThrowIfCancellationRequested();
            double now = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
            if (now > 60) throw new ClusterHarnessException($"kill {number}: no promotion or downing within 60 s\n{cluster.Tails()}");
            try
            {
                var s = await cluster.StatusAsync([cluster.Witness]);
                if (promoted < 0 && LocalCluster.Primary(s, "kv") == survivor.AkkaAddress) promoted = now;
                if (downed < 0 && !s.GetProperty("nodes").EnumerateArray().Any(m => m.GetProperty("address").GetString() == primary.AkkaAddress
                        && m.GetProperty("status").GetString() is "Up" or "Joining" or "WeaklyUp" or "Leaving" or "Exiting"))
                {
                    downed = now;
                }
            }
            catch (ManagementException)
            {
                // The witness is busy; ask again.
            }
            await Task.Delay(50, cancellation);
        }
        cluster.Restart(primary);
        await cluster.WaitForStatus(s => LocalCluster.Protected(s, "kv") && LocalCluster.Primary(s, "kv") == survivor.AkkaAddress, "re-protection", cancellation, TimeSpan.FromSeconds(60));
        double reprotected = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(0.5), cancellation);
        await stop.CancelAsync();
        await Task.WhenAll(runners);
        double failover = load.LongestWaitAfter(killedAt).TotalSeconds;
        long lost = await load.CountLost(gateway);
        return new Kill(number, failover, downed, reprotected, load.Acknowledged, lost, load.Errors);
    }

    private sealed record Stats(double P50, double P99, double Max);

    private static Stats Percentiles(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return new Stats(0, 0, 0);
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Stats(At(0.50), At(0.99), sorted[^1]);
    }

    private static JsonObject Json(Stats s) => new() { ["p50"] = Math.Round(s.P50, 3), ["p99"] = Math.Round(s.P99, 3), ["max"] = Math.Round(s.Max, 3) };

    private static string S(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
}
