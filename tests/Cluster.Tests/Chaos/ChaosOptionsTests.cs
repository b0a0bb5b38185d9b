using FaultTolerant.Cluster.Chaos;

namespace FaultTolerant.Cluster.Tests.Chaos;

/// <summary>ft chaos refuses what cannot run, saying why.</summary>
public sealed class ChaosOptionsTests
{
    private static ChaosOptions Options(int nodes = 3, int backups = 1, double seconds = 60, string faults = "kill,pause,partition", int clients = 6, string network = "auto") =>
        new(nodes, backups, TimeSpan.FromSeconds(seconds), 7, ChaosOptions.ParseFaults(faults), false, null, clients, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), network, "miniredis.elf");

    [Fact]
    public void The_defaults_run()
    {
        Assert.Null(Options().Problem());
        Assert.Null(Options(nodes: 4, backups: 2).Problem());
    }

    [Fact]
    public void Two_backups_need_three_workers()
    {
        var problem = Options(nodes: 3, backups: 2).Problem();
        Assert.NotNull(problem);
        Assert.Contains("--nodes 4", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 1, 60, 6, "auto", "--nodes 2")]
    [InlineData(3, 3, 60, 6, "auto", "--backups 3")]
    [InlineData(3, 1, 2, 6, "auto", "--duration")]
    [InlineData(3, 1, 60, 4, "auto", "--clients 4")]
    [InlineData(3, 1, 60, 6, "bridge", "--network bridge")]
    public void What_cannot_run_is_refused_by_its_flag(int nodes, int backups, double seconds, int clients, string network, string flag)
    {
        Assert.Contains(flag, Options(nodes, backups, seconds, clients: clients, network: network).Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fault_kinds_parse_in_any_order_and_unknown_ones_are_refused()
    {
        Assert.Equal(new HashSet<FaultKind> { FaultKind.Partition, FaultKind.Kill }, ChaosOptions.ParseFaults(" partition , kill"));
        Assert.Throws<FormatException>(() => ChaosOptions.ParseFaults("kill,reboot"));
        Assert.Contains("at least one", Options(faults: "").Problem(), StringComparison.Ordinal);
        Assert.Contains("--min-partitions", (Options(faults: "kill") with { MinPartitions = 2 }).Problem(), StringComparison.Ordinal);
    }
}
