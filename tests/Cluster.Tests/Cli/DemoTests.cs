using FaultTolerant.Cluster.Cli;

namespace FaultTolerant.Cluster.Tests.Cli;

/// <summary>The README's main job: both acts of the demo pass, and say so.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task The_demo_restores_a_guest_and_fails_over_without_losing_an_acknowledged_write()
    {
        var output = new StringWriter();
        int code = await DemoCommand.RunAsync(output).WaitAsync(TimeSpan.FromSeconds(120));
        var text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Contains("act 1 passed", text);
        Assert.Contains("act 2 passed", text);
        Assert.Contains(", 0 errors;", text);
    }
}
