using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FaultTolerant.Check;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>Operations by outcome; <see cref="ByFunction"/> splits them by what they did (write, read, incr, write-once).</summary>
internal sealed record OperationCounts(long Total, long Ok, long Fail, long Info, IReadOnlyDictionary<string, OperationCounts>? ByFunction = null)
{
    public static OperationCounts Of(IReadOnlyCollection<OpRecord> ops, bool split = true) => new(
        ops.Count, ops.Count(o => o.Outcome == Outcome.Ok), ops.Count(o => o.Outcome == Outcome.Fail), ops.Count(o => o.Outcome == Outcome.Info),
        split ? ops.GroupBy(o => o.F).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Of([.. g], split: false)) : null);
}

/// <summary>One fault as the report shows it; times in seconds from the start of the load.</summary>
internal sealed record FaultSummary(
    int Number,
    string Kind,
    string Description,
    IReadOnlyList<string> Nodes,
    bool HitPrimary,
    double AtSeconds,
    double HeldSeconds,
    double RecoverySeconds,
    bool Recovered,
    ulong GenerationBefore,
    ulong GenerationAfter,
    string? PrimaryBefore,
    string? PrimaryAfter,
    double UnavailableSeconds,
    IReadOnlyList<string> Notes);

/// <summary>The linearizability verdicts, per key and overall.</summary>
internal sealed record Verdicts(string Verdict, int Operations, int OpenOperations, double ElapsedMs, IReadOnlyList<KeyVerdict> Keys, string? Error);

internal sealed record KeyVerdict(string? Key, string Verdict, int Operations, int OpenOperations, string? Reason);

/// <summary>Everything a campaign found: printed as text, written as report.json, and (with --json) printed as one object.</summary>
internal sealed record ChaosReport
{
    public required int Seed { get; init; }

    public required string Command { get; init; }

    /// <summary>netns (nodes in network namespaces, partitions possible) or loopback.</summary>
    public required string Network { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    public required int Nodes { get; init; }

    public required int Backups { get; init; }

    public required int Clients { get; init; }

    public required double DurationSeconds { get; init; }

    public required double ElapsedSeconds { get; init; }

    public required OperationCounts Operations { get; init; }

    /// <summary>Faults carried out, by kind (kill, pause, partition), and by what they hit.</summary>
    public required IReadOnlyDictionary<string, int> Faults { get; init; }

    public required IReadOnlyDictionary<string, int> FaultsByTarget { get; init; }

    public required long UniqueWritesAttempted { get; init; }

    public required long AcknowledgedWrites { get; init; }

    /// <summary>Acknowledged write-once keys whose final read was missing or different.</summary>
    public required long LostAcknowledgedWrites { get; init; }

    public required Verdicts Linearizability { get; init; }

    /// <summary>Client-visible unavailability after each fault that hit the primary (seconds).</summary>
    public required Percentiles Failover { get; init; }

    /// <summary>Stretches longer than 250 ms in which no client completed an operation.</summary>
    public required IReadOnlyList<Outage> Unavailability { get; init; }

    public required int ReleaseSpans { get; init; }

    public required int Promotions { get; init; }

    /// <summary>Overlapping releases of two nodes (and generations released by two nodes): each one fails the campaign.</summary>
    public required int Overlaps { get; init; }

    /// <summary>Of <see cref="Overlaps"/>, those where the old primary released only output its successor was promoted with.</summary>
    public required int LateCommittedReleases { get; init; }

    public required IReadOnlyList<string> OverlapDetails { get; init; }

    public required bool Recovered { get; init; }

    public required IReadOnlyList<FaultSummary> FaultList { get; init; }

    public required IReadOnlyList<string> Problems { get; init; }

    public required string OutDirectory { get; init; }

    public bool Passed => Problems.Count == 0;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson(bool indented = true) => JsonSerializer.Serialize(this, indented ? Json : new JsonSerializerOptions(Json) { WriteIndented = false });

    public string ToText()
    {
        var t = new StringBuilder();
        void Line(string label, string value) => t.Append(CultureInfo.InvariantCulture, $"{label,-30}{value}\n");
        Line("command", Command);
        Line("network", Network);
        foreach (var note in Notes) Line("note", note);
        Line("cluster", $"{Nodes} nodes (1 witness, {Nodes - 1} workers), miniredis with {Backups} backup(s), {Clients} clients");
        Line("ran", $"{ElapsedSeconds:0.0} s (faults for {DurationSeconds:0} s)");
        Line("operations", $"{Operations.Total} ({Operations.Ok} ok, {Operations.Fail} fail, {Operations.Info} info)");
        foreach (var (f, c) in Operations.ByFunction ?? new Dictionary<string, OperationCounts>()) Line($"  {f}", $"{c.Total} ({c.Ok} ok, {c.Fail} fail, {c.Info} info)");
        Line("faults", string.Join(", ", Faults.Select(kv => $"{kv.Value} {kv.Key}")));
        Line("  by target", string.Join(", ", FaultsByTarget.Select(kv => $"{kv.Value} {kv.Key}")));
        Line("acknowledged write-once keys", $"{AcknowledgedWrites} of {UniqueWritesAttempted} attempted");
        Line("lost acknowledged writes", $"{LostAcknowledgedWrites}");
        Line("linearizability", $"{Linearizability.Verdict} ({Linearizability.Operations} ops, {Linearizability.OpenOperations} open, {Linearizability.Keys.Count} keys, {Linearizability.ElapsedMs:0} ms){(Linearizability.Error is { } e ? ": " + e : "")}");
        foreach (var k in Linearizability.Keys) Line($"  {k.Key}", $"{k.Verdict} ({k.Operations} ops, {k.OpenOperations} open){(k.Reason is null ? "" : ": " + k.Reason)}");
        Line("failover (client-visible)", Failover.Count == 0 ? "no fault hit the primary" : $"p50 {Failover.P50:0.000} s, p99 {Failover.P99:0.000} s, max {Failover.Max:0.000} s over {Failover.Count} faults of the primary");
        Line("unavailability > 250 ms", Unavailability.Count == 0 ? "none" : $"{Unavailability.Count} windows, {Unavailability.Sum(o => o.Seconds):0.0} s in all; longest {Unavailability.Max(o => o.Seconds):0.000} s");
        Line("release journal", $"{ReleaseSpans} spans, {Promotions} promotions; {Overlaps} overlapping releases of different nodes" +
            (LateCommittedReleases > 0 ? $" ({LateCommittedReleases} late releases of committed output)" : ""));
        foreach (var o in OverlapDetails) t.Append("  ").Append(o).Append('\n');
        Line("recovered", Recovered ? "yes" : "NO");
        t.Append('\n');
        foreach (var f in FaultList)
        {
            t.Append(CultureInfo.InvariantCulture,
                $"fault {f.Number,3} at {f.AtSeconds,6:0.0} s: {f.Description}; generation {f.GenerationBefore} -> {f.GenerationAfter}, primary {f.PrimaryBefore} -> {f.PrimaryAfter}; " +
                $"clients waited up to {f.UnavailableSeconds:0.000} s; protected again {f.RecoverySeconds:0.0} s after healing{(f.Recovered ? "" : " (NOT RECOVERED)")}\n");
            foreach (var n in f.Notes) t.Append("      ").Append(n).Append('\n');
        }
        t.Append('\n');
        foreach (var p in Problems) t.Append("FAIL: ").Append(p).Append('\n');
        t.Append(Passed
            ? "PASS: no acknowledged write lost, every key linearizable, no overlapping primaries, the cluster recovered\n"
            : "FAIL\n");
        t.Append("out: ").Append(OutDirectory).Append('\n');
        return t.ToString();
    }

    public static Verdicts VerdictsOf(CheckResult result) => new(
        result.Verdict.ToString(), result.Operations, result.OpenOperations, result.ElapsedMs,
        [.. result.Keys.Select(k => new KeyVerdict(k.Key, k.Verdict.ToString(), k.Operations, k.OpenOperations, k.Reason))], null);
}
