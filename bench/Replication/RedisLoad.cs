using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Cluster.Gateway;
using FaultTolerant.Cluster.Local;
using FaultTolerant.Guest;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// miniredis replicated to one backup on loopback, behind the <see cref="GuestGateway"/>, against the same miniredis
/// unreplicated behind <see cref="LocalGuestHost"/> (what <c>ft run --expose</c> runs): redis-benchmark, 50 clients,
/// no pipelining, SET and GET. Throughput ratio, and the latency replication adds at p50 and p99.
/// </summary>
internal static class RedisLoad
{
    public const double ThroughputTarget = 0.5;
    public const double AddedP50TargetMs = 2.0;

    private const int GuestPort = 6379;
    private const int Clients = 50;
    private const int Rounds = 2;

    /// <summary>One test's line of redis-benchmark --csv.</summary>
    private sealed record Figures(double Rps, double P50, double P99);

    public static async Task<JsonNode> RunAsync(BenchContext ctx, Report report, int requests)
    {
        string tool = BenchContext.FindOnPath("redis-benchmark") ?? throw new InvalidOperationException("redis-benchmark is not on PATH (Debian: redis-tools)");
        var elf = await File.ReadAllBytesAsync(ctx.GuestElf("miniredis.elf"));
        var plain = new Dictionary<string, List<Figures>> { ["SET"] = [], ["GET"] = [] };
        var replicated = new Dictionary<string, List<Figures>> { ["SET"] = [], ["GET"] = [] };
        var unprotected = new Dictionary<string, List<Figures>> { ["SET"] = [], ["GET"] = [] };
        var epochs = new List<(ulong Epochs, TimeSpan Time)>();
        for (int round = 0; round < Rounds; round++)
        {
            Console.WriteLine($"redis: round {round + 1}/{Rounds}, unreplicated (LocalGuestHost) …");
            await UnreplicatedAsync(elf, port => Collect(tool, port, requests, plain));
            Console.WriteLine($"redis: round {round + 1}/{Rounds}, replicated (GuestGateway → PrimaryReplica → TcpBackupLink → backup) …");
            epochs.Add(await ReplicatedAsync(elf, withBackup: true, port => Collect(tool, port, requests, replicated)));
            Console.WriteLine($"redis: round {round + 1}/{Rounds}, unprotected (GuestGateway → PrimaryReplica with no backup) …");
            await ReplicatedAsync(elf, withBackup: false, port => Collect(tool, port, requests, unprotected));
        }

        var result = new JsonObject { ["clients"] = Clients, ["requestsPerTest"] = requests, ["rounds"] = Rounds };
        foreach (var test in new[] { "SET", "GET" })
        {
            var p = Mean(plain[test]);
            var r = Mean(replicated[test]);
            double ratio = r.Rps / p.Rps;
            double addedP50 = r.P50 - p.P50, addedP99 = r.P99 - p.P99;
            report.Add(new Row($"miniredis {test} throughput, {Clients} clients", $"replicated {r.Rps:F0} req/s", $"unreplicated {p.Rps:F0} req/s", ratio,
                $"≥ {ThroughputTarget:F1}×", Report.AtLeast(ratio, ThroughputTarget)));
            report.Add(new Row($"miniredis {test} latency p50 added", $"+{addedP50:F2} ms (replicated {r.P50:F2} ms)", $"unreplicated {p.P50:F2} ms", r.P50 / p.P50,
                $"added ≤ {AddedP50TargetMs:F0} ms", addedP50 <= AddedP50TargetMs ? Verdict.Pass : Verdict.Miss));
            report.Add(new Row($"miniredis {test} latency p99 added", $"+{addedP99:F2} ms (replicated {r.P99:F2} ms)", $"unreplicated {p.P99:F2} ms", r.P99 / p.P99,
                "— (context)", Verdict.Info));
            var u = Mean(unprotected[test]);
            report.Add(new Row($"  … {test} through the gateway, epochs but no backup", $"{u.Rps:F0} req/s, p50 {u.P50:F2} ms", $"unreplicated {p.Rps:F0} req/s",
                u.Rps / p.Rps, "— (context)", Verdict.Info));
            result[test.ToLowerInvariant()] = new JsonObject
            {
                ["unreplicatedRps"] = Math.Round(p.Rps),
                ["replicatedRps"] = Math.Round(r.Rps),
                ["throughputRatio"] = Math.Round(ratio, 3),
                ["unreplicatedP50Ms"] = Math.Round(p.P50, 3),
                ["replicatedP50Ms"] = Math.Round(r.P50, 3),
                ["addedP50Ms"] = Math.Round(addedP50, 3),
                ["unreplicatedP99Ms"] = Math.Round(p.P99, 3),
                ["replicatedP99Ms"] = Math.Round(r.P99, 3),
                ["addedP99Ms"] = Math.Round(addedP99, 3),
                ["throughputPass"] = ratio >= ThroughputTarget,
                ["addedP50Pass"] = addedP50 <= AddedP50TargetMs,
                ["noBackupRps"] = Math.Round(u.Rps),
                ["noBackupP50Ms"] = Math.Round(u.P50, 3),
            };
        }
        double epochsPerSecond = epochs.Sum(e => (double)e.Epochs) / epochs.Sum(e => e.Time.TotalSeconds);
        result["replicatedEpochsPerSecond"] = Math.Round(epochsPerSecond);
        report.Note($"miniredis: `redis-benchmark -h 127.0.0.1 -p PORT -c {Clients} -n {requests} -t set,get --csv` (redis-benchmark {Version(tool)}, no pipelining, " +
                    $"3-byte values, one key), after an untimed `-n 2000` warm-up, against (a) miniredis under LocalGuestHost (ft run --expose's host: " +
                    "no replication, output released as soon as written) and (b) miniredis under PrimaryReplica (25 ms max / 1 ms min epochs) with one " +
                    "BackupReplica over TcpBackupLink → DataChannelListener, clients through GuestGateway; for context also (c) the same without a backup (the primary " +
                    "releases each epoch at its end: the gateway and the epochs without the capture's shipping, apply and ack). All in this benchmark process, with " +
                    $"redis-benchmark as a child process: the guest thread, the backup's apply and the client share the 2 cores. Means of {Rounds} alternated rounds. " +
                    $"Replicated: {epochsPerSecond:F0} epochs/s under load (each one a capture, a ship, an apply and an ack before its replies leave).");
        return result;
    }

    private static Figures Mean(List<Figures> runs) => new(runs.Average(f => f.Rps), runs.Average(f => f.P50), runs.Average(f => f.P99));

    private static void Collect(string tool, int port, int requests, Dictionary<string, List<Figures>> into)
    {
        RunTool(tool, port, 2000);
        foreach (var (test, figures) in RunTool(tool, port, requests)) into[test].Add(figures);
    }

    private static async Task UnreplicatedAsync(byte[] elf, Action<int> load)
    {
        var guest = Rv64Guest.Load(elf, ["miniredis.elf", "--port", $"{GuestPort}"], options: new GuestOptions());
        await using var host = new LocalGuestHost(guest, Stream.Null, Stream.Null, [new PortExposure(GuestPort, 0)]);
        host.Start();
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync(stop.Token);
        await Task.Run(() => load(host.BoundEndpoints[0].Port));
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task<(ulong Epochs, TimeSpan Time)> ReplicatedAsync(byte[] elf, bool withBackup, Action<int> load)
    {
        var guest = Rv64Guest.Load(elf, ["miniredis.elf", "--port", $"{GuestPort}"], options: new GuestOptions());
        await using var gateway = new GuestGateway("miniredis", [new PortExposure(GuestPort, 0)]);
        await using var pair = new InProcessReplica(guest, "miniredis", gateway, withBackup: withBackup);
        gateway.Start(pair.Primary);
        pair.Primary.Start();
        ulong before = pair.Primary.Epoch;
        long start = Stopwatch.GetTimestamp();
        await Task.Run(() => load(gateway.BoundEndpoints[0].Port));
        var time = Stopwatch.GetElapsedTime(start);
        var stats = gateway.Statistics;
        if (stats.Gaps != 0 || stats.Dropped != 0) throw new InvalidOperationException($"the gateway reported trouble under load: {stats}");
        return (pair.Primary.Epoch - before, time);
    }

    /// <summary>Runs redis-benchmark with --csv and parses one line per test: rps, then p50 and p99 in ms.</summary>
    private static IEnumerable<(string Test, Figures Figures)> RunTool(string tool, int port, int requests)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", $"{port}", "-c", $"{Clients}", "-n", $"{requests}", "-t", "set,get", "--csv" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000))
        {
            p.Kill();
            throw new TimeoutException("redis-benchmark did not finish within 120 s");
        }
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith("\"test\"", StringComparison.Ordinal))?.Split(',').Select(h => h.Trim('"')).ToList()
            ?? throw new InvalidOperationException($"redis-benchmark printed no CSV header (exit {p.ExitCode}): {output} {stderr.Result}");
        int rps = header.IndexOf("rps"), p50 = header.IndexOf("p50_latency_ms"), p99 = header.IndexOf("p99_latency_ms");
        if (rps < 0 || p50 < 0 || p99 < 0) throw new InvalidOperationException($"redis-benchmark's CSV lacks rps/p50/p99 columns: {lines[0]}");
        var results = new List<(string, Figures)>();
        foreach (var line in lines.Where(l => l.StartsWith("\"SET\"", StringComparison.Ordinal) || l.StartsWith("\"GET\"", StringComparison.Ordinal)))
        {
            var cells = line.Split(',').Select(c => c.Trim('"')).ToArray();
            double At(int i) => double.Parse(cells[i], CultureInfo.InvariantCulture);
            results.Add((cells[0], new Figures(At(rps), At(p50), At(p99))));
        }
        if (results.Count != 2) throw new InvalidOperationException($"redis-benchmark did not report both SET and GET: {output}");
        return results;
    }

    private static string Version(string tool)
    {
        using var p = Process.Start(new ProcessStartInfo(tool, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        string v = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return v.Replace("redis-benchmark ", "", StringComparison.Ordinal);
    }
}
