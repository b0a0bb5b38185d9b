using System.Text.Json;
using FaultTolerant.Cluster.Chaos;
using FaultTolerant.Cluster.Tests.Failover;
using FaultTolerant.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Chaos;

/// <summary>
/// The README's short seeded campaign through the real command: about a minute of kills, partitions (as root) and
/// pauses against three node processes, then the checks. Runs alone with the other multi-process tests: two clusters at
/// once on two cores would make failure detectors see deaths that did not happen.
/// </summary>
[Collection(FailoverCollection.Name)]
public sealed class ChaosCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public void A_one_minute_seeded_campaign_loses_nothing_stays_linearizable_and_never_has_two_primaries_releasing()
    {
        var outDirectory = Directory.CreateTempSubdirectory("ft-chaos-ci-").FullName;
        output.WriteLine($"out: {outDirectory}");
        using var ft = FtProcess.Start("chaos", "--duration", "60", "--seed", "7", "--min-kills", "5", "--min-partitions", "2", "--json", "--out", outDirectory);
        int code = ft.WaitForExit(TimeSpan.FromMinutes(12));
        string evidence = $"exit code {code}\nstdout:\n{ft.Stdout}\nstderr (progress):\n{ft.Stderr}\nout (history, reports, journals, node logs): {outDirectory}";
        output.WriteLine(ft.Stderr);

        JsonElement report;
        try
        {
            report = JsonDocument.Parse(ft.Stdout).RootElement;
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"ft chaos --json printed something that is not one JSON object: {e.Message}\n{evidence}");
        }
        var faults = report.GetProperty("faults");
        // Recovery first: without it the final reads cannot run, and the lost-write count is unknown (-1).
        Assert.True(report.GetProperty("recovered").GetBoolean(), $"the cluster did not recover\n{evidence}");
        long lost = report.GetProperty("lostAcknowledgedWrites").GetInt64();
        Assert.True(lost == 0, $"{lost} acknowledged writes were lost\n{evidence}");
        Assert.True(report.GetProperty("acknowledgedWrites").GetInt64() > 0, $"nothing was acknowledged\n{evidence}");
        Assert.True(report.GetProperty("linearizability").GetProperty("verdict").GetString() == "Linearizable", $"the history is not (known to be) linearizable\n{evidence}");
        Assert.True(report.GetProperty("overlaps").GetInt32() == 0, $"two nodes released output at once\n{evidence}");
        Assert.True(faults.GetProperty("kill").GetInt32() >= 5, $"fewer than 5 kills\n{evidence}");
        if (report.GetProperty("network").GetString() == "netns") Assert.True(faults.GetProperty("partition").GetInt32() >= 2, $"fewer than 2 partitions\n{evidence}");
        else output.WriteLine($"no partitions: {Network.Unavailable()}");
        Assert.True(code == 0, $"ft chaos failed\n{evidence}");
        Assert.True(File.Exists(Path.Combine(outDirectory, "history.jsonl")) && File.Exists(Path.Combine(outDirectory, "timeline.html")) && File.Exists(Path.Combine(outDirectory, "check.html")),
            $"the out directory lacks the history or a report\n{evidence}");
        Directory.Delete(outDirectory, recursive: true);
    }

    [Fact]
    public void Two_backups_on_three_nodes_are_refused_before_anything_starts()
    {
        var (code, _, stderr) = FtProcess.Run("chaos", "--nodes", "3", "--backups", "2");
        Assert.Equal(2, code);
        Assert.Contains("--nodes 4", stderr, StringComparison.Ordinal);
    }
}
