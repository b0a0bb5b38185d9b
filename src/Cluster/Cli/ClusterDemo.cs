using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FaultTolerant.Cluster.Harness;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Cli;

/// <summary>What the demo measured; printed as text or, with --json, as one object.</summary>
public sealed record DemoReport(
    long Operations,
    long AcknowledgedWrites,
    long LostAcknowledgedWrites,
    long ClientErrors,
    double ClientVisibleFailoverSeconds,
    double ReprotectionSeconds,
    string KilledNode,
    string NewPrimary,
    bool Passed);

/// <summary>
/// <c>ft demo</c>, the README's main job: three node processes on this machine (a witness and two workers), miniredis
/// with one backup, concurrent RESP clients writing through the surviving worker's gateway, SIGKILL of the primary's
/// process midway, the load kept running through failover and re-protection (the killed node is restarted and becomes
/// the new backup), then every acknowledged write read back. The exit code says whether nothing was lost.
/// </summary>
internal sealed class ClusterDemo(TextWriter output, bool json, int clients, TimeSpan before, TimeSpan after, string image, string? logs)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Say(string line)
    {
        if (!json) output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {line}");
    }

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        LocalCluster? cluster = null;
        try
        {
            var report = await RunCoreAsync(c => cluster = c, cancellation);
            if (json) output.WriteLine(JsonSerializer.Serialize(report, ManagementEndpoint.Json));
            else
            {
                output.WriteLine();
                output.WriteLine($"operations                    {report.Operations}");
                output.WriteLine($"acknowledged writes           {report.AcknowledgedWrites}");
                output.WriteLine($"lost acknowledged writes      {report.LostAcknowledgedWrites}");
                output.WriteLine($"client errors                 {report.ClientErrors}");
                output.WriteLine($"client-visible failover       {report.ClientVisibleFailoverSeconds:0.000} s");
                output.WriteLine($"time to re-protection         {report.ReprotectionSeconds:0.000} s");
                output.WriteLine(report.Passed ? "PASS: nothing anyone saw acknowledged was lost" : "FAIL");
            }
            return report.Passed ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("ft demo: interrupted; stopping the nodes");
            return 130;
        }
        catch (Exception e) when (e is ManagementException or DemoException or ClusterHarnessException)
        {
            await Console.Error.WriteLineAsync($"ft demo: {e.Message}");
            return 1;
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
        }
    }

    private async Task<DemoReport> RunCoreAsync(Action<LocalCluster> started, CancellationToken cancellation)
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions(Workers: 2, Witnesses: 1, LogDirectory: logs), cancellation, Say);
        started(cluster);
        var witness = cluster.Witness;
        Say($"coordinator on the witness (:{witness.Port}); worker gateways on {string.Join(" and ", cluster.Workers.Select(w => w.GatewayAddress))}");

        int clusterPort = ClusterSettings.FreePort();
        using (var client = cluster.Client())
        {
            var response = await client.SendAsync(HttpMethod.Post, "v1/guests",
                new StartGuestRequest("kv", Convert.ToBase64String(await File.ReadAllBytesAsync(image, cancellation)), ["--port", "6379"], 1, [$"6379:{clusterPort}"]));
            Say(response.GetProperty("message").GetString() ?? "");
        }
        var status = await cluster.WaitForStatus(s => LocalCluster.Phase(s, "kv") == "running", "miniredis to run protected", cancellation);
        var primary = cluster.ByAddress(LocalCluster.Primary(status, "kv")!);
        var survivor = cluster.Workers.First(w => w != primary);
        var gateway = new IPEndPoint(IPAddress.Parse(survivor.GatewayAddress), clusterPort);
        Say($"miniredis runs on {primary.Name} with its backup on {survivor.Name}; {clients} clients write through {survivor.Name}'s gateway at {gateway}");

        using var stop = new CancellationTokenSource();
        var load = new RespLoad(gateway, clients);
        var runners = load.Start(stop.Token);
        await Progress(load, before, cancellation);

        var killedAt = Stopwatch.GetTimestamp();
        primary.Kill();
        Say($"SIGKILL {primary.Name} (pid {primary.Pid}), the primary's process: the load keeps running");
        var failedOver = await cluster.WaitForStatus(s => LocalCluster.Primary(s, "kv") == survivor.AkkaAddress, "the backup's promotion", cancellation);
        Say($"failover: {survivor.Name} is the primary of generation {LocalCluster.Generation(failedOver, "kv")}");

        cluster.Restart(primary);
        Say($"{primary.Name} restarted; it rejoins and becomes the new backup (re-protection, by pre-copy while the guest runs)");
        await cluster.WaitForStatus(s => LocalCluster.Protected(s, "kv"), "re-protection", cancellation, TimeSpan.FromSeconds(60));
        double reprotected = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
        Say($"re-protected {reprotected:0.0} s after the kill");
        await Progress(load, after, cancellation);
        await stop.CancelAsync();
        await Task.WhenAll(runners);

        Say($"reading back {load.Acknowledged} acknowledged writes through {survivor.Name}'s gateway");
        long lost = await load.CountLost(gateway);
        var failover = load.LongestWaitAfter(killedAt);
        return new DemoReport(load.Operations, load.Acknowledged, lost, load.Errors, failover.TotalSeconds, reprotected, primary.Name, survivor.Name,
            lost == 0 && load.Errors == 0 && load.Acknowledged > 0);
    }

    private async Task Progress(RespLoad load, TimeSpan span, CancellationToken cancellation)
    {
        var until = _clock.Elapsed + span;
        while (_clock.Elapsed < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
            Say($"ops {load.Operations,7}  acked writes {load.Acknowledged,7}  errors {load.Errors}  in flight {load.InFlight}");
        }
    }
}

internal sealed class DemoException(string message) : Exception(message);
