using System.Diagnostics;
using System.Net;
using FaultTolerant.Check;
using FaultTolerant.Cluster.Cli;
using FaultTolerant.Cluster.Harness;
using FaultTolerant.Cluster.Node;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>
/// One chaos campaign (<c>ft chaos</c>): a local cluster of node processes (each in its own network namespace when
/// possible), miniredis with its backups, the register workload through every worker's gateway, the nemesis's faults
/// one at a time for the duration, then healing, recovery, a final read of every key, and the checks: lost acknowledged
/// writes, linearizability per key, overlapping releases of different nodes. Everything it starts it stops, whatever
/// happens; every wait is bounded.
/// </summary>
internal sealed class Campaign(ChaosOptions options, TextWriter stdout, TextWriter stderr)
{
    public const string Guest = "kv";

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _problems = [];
    private readonly List<string> _notes = [];
    private readonly List<FaultRecord> _faults = [];
    private readonly Lock _sayLock = new();
    private StreamWriter? _log;

    /// <summary>The run could not start because of what was asked (exit 2), not because of what happened.</summary>
    private bool _usage;

    private TextWriter Progress => options.Json ? stderr : stdout;

    private void Say(string line)
    {
        var text = $"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {line}";
        lock (_sayLock)
        {
            Progress.WriteLine(text);
            _log?.WriteLine(text);
        }
    }

    /// <summary>Runs the campaign; the exit code is 0 only if every check passed.</summary>
    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        var outDirectory = options.Out ?? Path.Combine(Path.GetTempPath(), $"ft-chaos-{options.Seed}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(outDirectory);
        outDirectory = Path.GetFullPath(outDirectory);
        _log = new StreamWriter(Path.Combine(outDirectory, "campaign.log")) { AutoFlush = true };
        try
        {
            Say($"ft chaos: seed {options.Seed}, {options.Duration.TotalSeconds:0} s of faults ({string.Join(",", options.Faults).ToLowerInvariant()}), out {outDirectory}");
            // The global deadline: the faults, then a bounded time for everything after them.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter((options.MinKills + options.MinPartitions > 0 ? options.Duration * ChaosOptions.OverrunLimit : options.Duration) + ChaosOptions.RecoveryBudget);
            var run = await RunCoreAsync(outDirectory, deadline.Token, cancellation);
            if (run is null) return _usage ? 2 : 1;
            var report = await CheckAsync(run, outDirectory, cancellation);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "report.txt"), report.ToText(), CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "report.json"), report.ToJson(), CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "timeline.html"),
                ChaosTimeline.Render(report, run.Operations, run.Start, File.Exists(Path.Combine(outDirectory, "check.html")) ? "check.html" : null), CancellationToken.None);
            if (options.Json) await stdout.WriteLineAsync(report.ToJson(indented: false));
            else await stdout.WriteAsync("\n" + report.ToText());
            return report.Passed ? 0 : 1;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"ft chaos: interrupted; the nodes were stopped and the namespaces removed; what was recorded is in {outDirectory}");
            return 130;
        }
        finally
        {
            _log.Dispose();
        }
    }

    /// <summary>What the run left for the checks.</summary>
    private sealed record RunResult(string History, IReadOnlyCollection<OpRecord> Operations, long Start, long End, long Lost, long Acked, long Attempted,
        IReadOnlyList<string> Journals, string Network, bool Recovered);

    private async Task<RunResult?> RunCoreAsync(string outDirectory, CancellationToken deadline, CancellationToken interrupt)
    {
        var kinds = new HashSet<FaultKind>(options.Faults);
        string? unavailable = options.Network == "loopback" ? "--network loopback" : Network.Unavailable();
        bool namespaces = unavailable is null;
        if (!namespaces && options.Network == "netns")
        {
            await stderr.WriteLineAsync($"ft chaos: --network netns: {unavailable}");
            _usage = true;
            return null;
        }
        if (!namespaces && kinds.Remove(FaultKind.Partition))
        {
            _notes.Add($"partitions skipped: {unavailable}; nodes run on loopback");
            Say($"partitions skipped ({unavailable}): nodes run on loopback");
        }
        if (kinds.Count == 0)
        {
            await stderr.WriteLineAsync("ft chaos: no fault left to inject (partitions need network namespaces: run as root)");
            _usage = true;
            return null;
        }

        Network? network = null;
        LocalCluster? cluster = null;
        var logs = Path.Combine(outDirectory, "logs");
        try
        {
            if (namespaces)
            {
                network = Network.Create(options.Nodes, Say);
                Say($"network: {options.Nodes} namespaces on a bridge at {network.BridgeAddress}/24");
            }
            var clusterOptions = new LocalClusterOptions(Workers: options.Workers, Witnesses: 1, LogDirectory: logs)
            {
                Placements = network is null ? null : [.. Enumerable.Range(0, options.Nodes).Select(network.Placement)],
                NodeHocon = spec => $"ft.replica.release-journal {{ file = \"{JournalOf(spec)}\", node = \"{spec.Name}\" }}\n",
            };
            cluster = await LocalCluster.StartAsync(clusterOptions, deadline, Say);
            var journals = cluster.Nodes.Select(n => JournalOf(n.Spec)).ToList();
            var gateways = await StartGuest(cluster, deadline);

            var historyPath = Path.Combine(outDirectory, "history.jsonl");
            var recorder = HistoryRecorder.Create(historyPath);
            var workload = new Workload(gateways, options.Clients, options.Seed, options.OperationTimeout, recorder);
            using var stopClients = new CancellationTokenSource();
            long start = Stopwatch.GetTimestamp();
            var clients = workload.Start(stopClients.Token);
            Say($"{options.Clients} clients on {string.Join(", ", gateways.Select(g => $"{g.Node} ({g.Endpoint})"))}");
            bool recovered = true;
            long lost = -1;
            try
            {
                var nemesis = new Nemesis(cluster, network, Guest, Say);
                recovered = await InjectFaults(nemesis, network is not null, start, deadline);
                if (recovered) recovered = await FinalRecovery(nemesis, deadline);
                await Task.Delay(TimeSpan.FromSeconds(2), deadline);
            }
            catch (Exception e) when (e is ClusterHarnessException or ManagementException or ChaosNetworkException or InvalidOperationException
                || (e is OperationCanceledException && !interrupt.IsCancellationRequested))
            {
                _problems.Add($"the campaign stopped early: {e.Message}");
                Say($"stopped early: {e.Message}");
                recovered = false;
            }
            finally
            {
                await stopClients.CancelAsync();
                try
                {
                    // Clients finish the operation in flight (each bounded by the operation timeout).
                    await clients.WaitAsync(options.OperationTimeout * 3, CancellationToken.None);
                }
                catch (TimeoutException)
                {
                    _problems.Add("clients did not stop within three operation timeouts");
                }
            }
            long end = Stopwatch.GetTimestamp();
            if (!interrupt.IsCancellationRequested)
            {
                try
                {
                    using var finalLimit = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
                    finalLimit.CancelAfter(TimeSpan.FromSeconds(60));
                    Say($"final reads: every register and counter key, and {workload.AcknowledgedUnique.Count} acknowledged write-once keys");
                    lost = await workload.FinalReadsAsync(finalLimit.Token);
                }
                catch (OperationCanceledException) when (!interrupt.IsCancellationRequested)
                {
                    _problems.Add("the final reads did not complete within 60 s");
                }
            }
            recorder.Dispose();
            interrupt.ThrowIfCancellationRequested();
            // A primary's last span is cut 100 ms after its last release and written within 50 ms.
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
            var kept = KeepJournals(journals, outDirectory);
            return new RunResult(historyPath, workload.Operations, start, end, lost, workload.AcknowledgedUnique.Count, workload.UniqueAttempted,
                kept, namespaces ? "netns" : "loopback", recovered);
        }
        catch (Exception e) when (e is ClusterHarnessException or ManagementException or ChaosNetworkException or CampaignException
            || (e is OperationCanceledException && !interrupt.IsCancellationRequested))
        {
            await stderr.WriteLineAsync($"ft chaos: {e.Message}");
            if (cluster is not null) await stderr.WriteLineAsync(cluster.Tails());
            await stderr.WriteLineAsync($"ft chaos: node logs in {logs}");
            return null;
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            network?.Dispose();
        }
    }

    private static string JournalOf(NodeSpec spec) => Path.Combine(spec.DataDirectory, "releases.jsonl");

    /// <summary>Starts miniredis with its backups; returns every worker's gateway for it once each accepts connections.</summary>
    private async Task<List<GatewayEndpoint>> StartGuest(LocalCluster cluster, CancellationToken cancellation)
    {
        int clusterPort = ClusterSettings.FreePort();
        using (var client = cluster.Client())
        {
            var response = await client.SendAsync(HttpMethod.Post, "v1/guests",
                new StartGuestRequest(Guest, Convert.ToBase64String(await File.ReadAllBytesAsync(options.Image, cancellation)), ["--port", "6379"], options.Backups, [$"6379:{clusterPort}"]));
            Say(response.GetProperty("message").GetString() ?? "");
        }
        var status = await cluster.WaitForStatus(s => LocalCluster.Protected(s, Guest), "miniredis to run protected", cancellation, TimeSpan.FromSeconds(60));
        var primary = cluster.ByAddress(LocalCluster.Primary(status, Guest)!);
        Say($"miniredis runs on {primary.Name}, generation {LocalCluster.Generation(status, Guest)}, protected");
        var gateways = cluster.Workers.Select(w => new GatewayEndpoint(w.Name, new IPEndPoint(IPAddress.Parse(w.GatewayAddress), clusterPort))).ToList();
        foreach (var g in gateways) await LocalCluster.WaitForPort(g.Endpoint, cancellation);
        return gateways;
    }

    /// <summary>The nemesis's faults, one at a time, until the duration is over; false if one did not recover.</summary>
    private async Task<bool> InjectFaults(Nemesis nemesis, bool partitions, long start, CancellationToken cancellation)
    {
        var kinds = new HashSet<FaultKind>(options.Faults);
        if (!partitions) kinds.Remove(FaultKind.Partition);
        // Load before the first fault, so the first failover has a history to be checked against.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
        int minPartitions = partitions ? options.MinPartitions : 0;
        bool Done() =>
            Stopwatch.GetElapsedTime(start) >= options.Duration
            && ((_faults.Count(f => f.Plan.Kind == FaultKind.Kill) >= options.MinKills && _faults.Count(f => f.Plan.Kind == FaultKind.Partition) >= minPartitions)
                || Stopwatch.GetElapsedTime(start) >= options.Duration * ChaosOptions.OverrunLimit);
        foreach (var fault in NemesisPlan.Plan(options.Seed, kinds, 10_000))
        {
            if (Done()) break;
            await Task.Delay(fault.QuietBefore, cancellation);
            if (Done()) break;
            var record = await nemesis.RunAsync(fault, cancellation);
            _faults.Add(record);
            if (!record.RecoveredInTime)
            {
                _problems.Add($"fault {fault.Number} ({record.Description}): the cluster did not recover within {Nemesis.RecoveryLimit.TotalSeconds:0} s of healing");
                return false;
            }
        }
        Say($"faults over after {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s: {_faults.Count} injected");
        return true;
    }

    /// <summary>Heals whatever may be left (nothing, normally: every fault is healed before the next) and waits for the cluster to be whole.</summary>
    private async Task<bool> FinalRecovery(Nemesis nemesis, CancellationToken cancellation)
    {
        var (recovered, notes) = await nemesis.FinalRecoveryAsync(cancellation);
        _notes.AddRange(notes);
        if (!recovered) _problems.Add($"the cluster did not recover after the last fault: {string.Join("; ", notes)}");
        else Say("healed: every node up, the guest protected");
        return recovered;
    }

    private List<string> KeepJournals(IReadOnlyList<string> journals, string outDirectory)
    {
        var directory = Path.Combine(outDirectory, "releases");
        Directory.CreateDirectory(directory);
        var kept = new List<string>();
        foreach (var journal in journals.Where(File.Exists))
        {
            var copy = Path.Combine(directory, Path.GetFileName(Path.GetDirectoryName(journal)!) + ".jsonl");
            File.Copy(journal, copy, overwrite: true);
            kept.Add(copy);
        }
        Say($"release journals of {kept.Count} node(s) kept in {directory}");
        return kept;
    }

    private async Task<ChaosReport> CheckAsync(RunResult run, string outDirectory, CancellationToken cancellation)
    {
        if (!run.Recovered && _problems.Count == 0) _problems.Add("the cluster did not recover");
        if (run.Lost > 0) _problems.Add($"{run.Lost} acknowledged write(s) lost");
        if (run.Lost < 0) _problems.Add("lost acknowledged writes unknown: the final reads did not complete");

        Say("checking the history for linearizability");
        Verdicts verdicts;
        try
        {
            var history = HistoryReader.ReadFile(run.History);
            var result = await Task.Run(() => LinearizabilityChecker.Check(history, Model.Register, new CheckOptions { TimeLimit = options.CheckTimeLimit }, cancellation), cancellation);
            verdicts = ChaosReport.VerdictsOf(result);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "check.txt"), TextReport.Render(result), CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "check.json"), JsonReport.Serialize(result), CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "check.html"), HtmlReport.Render(result, history, Model.Register), CancellationToken.None);
            if (result.Verdict != Verdict.Linearizable)
            {
                _problems.Add($"linearizability: {result.Verdict} ({string.Join("; ", result.Keys.Where(k => k.Verdict != Verdict.Linearizable).Select(k => $"key {k.Key}: {k.Verdict}{(k.Reason is null ? "" : " " + k.Reason)}"))}); see check.txt and check.html");
            }
        }
        catch (Exception e) when (e is HistoryFormatException or IOException)
        {
            verdicts = new Verdicts("Unknown", 0, 0, 0, [], e.Message);
            _problems.Add($"the history could not be checked: {e.Message}");
        }

        var journal = ReleaseOverlap.Read(run.Journals);
        var spans = journal.Spans;
        int skipped = journal.Skipped;
        var overlaps = ReleaseOverlap.Find(spans, journal.Promotions);
        var shared = ReleaseOverlap.SharedGenerations(spans);
        var details = overlaps.Select(o => o.Describe()).Concat(shared.Select(s => $"guest {s.Guest}: generation {s.Generation} released by {string.Join(" and ", s.Nodes)}")).ToList();
        int late = overlaps.Count(o => o.CommittedBy is not null);
        if (overlaps.Count > 0)
        {
            _problems.Add($"{overlaps.Count} overlapping release(s) of different nodes under different generations" +
                (late > 0 ? $" ({late} of them late releases of output the new primary already held as committed)" : "") + " (see the report's release journal lines)");
        }
        if (shared.Count > 0) _problems.Add($"{shared.Count} generation(s) released by more than one node");
        if (spans.Count == 0) _problems.Add("the release journals hold no span: the overlap check saw nothing");
        if (skipped > 0) _notes.Add($"{skipped} release journal line(s) unreadable (cut short by a SIGKILL)");

        double At(long t) => Stopwatch.GetElapsedTime(run.Start, t).TotalSeconds;
        var summaries = new List<FaultSummary>();
        for (int i = 0; i < _faults.Count; i++)
        {
            var f = _faults[i];
            long until = i + 1 < _faults.Count ? _faults[i + 1].Injected : run.End;
            var window = Availability.Window(f.Injected, until, run.Operations.Where(o => o.Process < options.Clients));
            summaries.Add(new FaultSummary(f.Plan.Number, f.Plan.Kind.ToString().ToLowerInvariant(), f.Description, f.Nodes, f.HitPrimary,
                At(f.Injected), Stopwatch.GetElapsedTime(f.Injected, f.Healed).TotalSeconds, Stopwatch.GetElapsedTime(f.Healed, f.Recovered).TotalSeconds,
                f.RecoveredInTime, f.GenerationBefore, f.GenerationAfter, f.PrimaryBefore, f.PrimaryAfter, window.TotalSeconds, f.Notes));
        }
        var operations = run.Operations.ToList();
        return new ChaosReport
        {
            Seed = options.Seed,
            Command = CommandLine(),
            Network = run.Network,
            Notes = _notes,
            Nodes = options.Nodes,
            Backups = options.Backups,
            Clients = options.Clients,
            DurationSeconds = options.Duration.TotalSeconds,
            ElapsedSeconds = _clock.Elapsed.TotalSeconds,
            Operations = OperationCounts.Of(operations),
            Faults = Enum.GetValues<FaultKind>().ToDictionary(k => k.ToString().ToLowerInvariant(), k => _faults.Count(f => f.Plan.Kind == k)),
            FaultsByTarget = _faults.GroupBy(f => $"{f.Plan.Kind.ToString().ToLowerInvariant()} {(f.Plan.OneWay ? "one-way" : f.Plan.Target.ToString().ToLowerInvariant())}")
                .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            UniqueWritesAttempted = run.Attempted,
            AcknowledgedWrites = run.Acked,
            LostAcknowledgedWrites = run.Lost,
            Linearizability = verdicts,
            Failover = Percentiles.Of(summaries.Where(s => s.HitPrimary).Select(s => s.UnavailableSeconds)),
            Unavailability = Availability.Outages(run.Start, run.End, operations.Where(o => o.Process < options.Clients), TimeSpan.FromMilliseconds(250)),
            ReleaseSpans = spans.Count,
            Promotions = journal.Promotions.Count,
            Overlaps = overlaps.Count + shared.Count,
            LateCommittedReleases = late,
            OverlapDetails = details,
            Recovered = run.Recovered,
            FaultList = summaries,
            Problems = _problems,
            OutDirectory = outDirectory,
        };
    }

    private string CommandLine() =>
        $"ft chaos --nodes {options.Nodes} --backups {options.Backups} --duration {options.Duration.TotalSeconds:0} --seed {options.Seed} " +
        $"--faults {string.Join(",", options.Faults.Order().Select(f => f.ToString().ToLowerInvariant()))} --clients {options.Clients}" +
        (options.MinKills > 0 ? $" --min-kills {options.MinKills}" : "") + (options.MinPartitions > 0 ? $" --min-partitions {options.MinPartitions}" : "") +
        (options.Network == "auto" ? "" : $" --network {options.Network}");
}

/// <summary>The campaign could not go on (the cluster or the guest did not come up).</summary>
internal sealed class CampaignException(string message) : Exception(message);
