using System.Text.Json;
using FaultTolerant.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FaultTolerant.Cluster.Tests.Failover;

/// <summary><c>ft demo --json</c> as a user runs it: three node processes, the primary's SIGKILLed under load, the figures as JSON.</summary>
[Collection(FailoverCollection.Name)]
public sealed class DemoProcessTests(ITestOutputHelper output)
{
    [Fact]
    public void Ft_demo_json_exits_0_with_no_lost_write_no_client_error_and_reprotection()
    {
        var logs = Directory.CreateTempSubdirectory("ft-failover-demo-").FullName;
        output.WriteLine($"node logs: {logs}");
        using var ft = FtProcess.Start("demo", "--json", "--logs", logs);
        int code = ft.WaitForExit(TimeSpan.FromSeconds(90));
        string evidence = $"exit code {code}\nstdout:\n{ft.Stdout}\nstderr:\n{ft.Stderr}\nnode logs: {logs}";
        output.WriteLine(ft.Stdout);

        Assert.True(code == 0, $"ft demo failed\n{evidence}");
        JsonElement report;
        try
        {
            report = JsonDocument.Parse(ft.Stdout).RootElement;
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"ft demo --json printed something that is not one JSON object: {e.Message}\n{evidence}");
        }
        Assert.True(report.GetProperty("lostAcknowledgedWrites").GetInt64() == 0, $"acknowledged writes were lost\n{evidence}");
        Assert.True(report.GetProperty("clientErrors").GetInt64() == 0, $"clients got errors\n{evidence}");
        Assert.True(report.GetProperty("acknowledgedWrites").GetInt64() > 0, $"no write was acknowledged\n{evidence}");
        Assert.True(report.GetProperty("reprotectionSeconds").GetDouble() > 0, $"no re-protection was measured\n{evidence}");
        Assert.True(report.GetProperty("passed").GetBoolean(), $"the demo says it failed\n{evidence}");
        Directory.Delete(logs, recursive: true);
    }
}
