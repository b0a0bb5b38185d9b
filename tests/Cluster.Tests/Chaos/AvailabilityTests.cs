using System.Diagnostics;
using FaultTolerant.Cluster.Chaos;

namespace FaultTolerant.Cluster.Tests.Chaos;

/// <summary>What clients saw of a fault, from operation times alone.</summary>
public sealed class AvailabilityTests
{
    private static readonly long T0 = 1_000_000_000;

    private static long At(double seconds) => T0 + (long)(seconds * Stopwatch.Frequency);

    private static OpRecord Op(int process, double completed, Outcome outcome = Outcome.Ok) =>
        new(process, "read", "r0", outcome, At(completed) - 1000, At(completed), "worker-a");

    [Fact]
    public void The_window_is_the_longest_wait_of_any_client_from_the_fault_to_its_oks()
    {
        var ops = new[]
        {
            Op(0, 0.9), Op(0, 1.05), Op(0, 2.6), Op(0, 2.7),   // through a survivor's gateway: 1.55 s between oks across the failover
            Op(1, 0.95), Op(1, 3.1, Outcome.Info), Op(1, 3.4), // timed out, reconnected: 2.4 s from the fault to its next ok
            Op(2, 1.2), Op(2, 1.3),                            // answered right after the fault, then nothing more before the next fault
        };
        Assert.Equal(2.4, Availability.Window(At(1.0), At(5.0), ops).TotalSeconds, 3);
    }

    [Fact]
    public void A_client_with_no_ok_until_the_next_fault_waited_all_of_it()
    {
        Assert.Equal(4.0, Availability.Window(At(1.0), At(5.0), [Op(0, 0.5), Op(0, 3.0, Outcome.Info), Op(1, 1.5)]).TotalSeconds, 3);
    }

    [Fact]
    public void Outages_are_the_stretches_with_no_ok_from_anyone()
    {
        var ops = new[] { Op(0, 0.1), Op(1, 0.2), Op(0, 0.3), Op(1, 2.3, Outcome.Info), Op(0, 2.5), Op(1, 2.6) };
        var outage = Assert.Single(Availability.Outages(At(0), At(2.8), ops, TimeSpan.FromMilliseconds(250)));
        Assert.Equal(0.3, outage.FromSeconds, 3);
        Assert.Equal(2.2, outage.Seconds, 3);
        Assert.Equal(2, Availability.Outages(At(0), At(5.0), ops, TimeSpan.FromMilliseconds(250)).Count);
    }

    [Fact]
    public void Percentiles_by_nearest_rank()
    {
        var p = Percentiles.Of([0.8, 0.6, 1.2, 0.7, 3.5]);
        Assert.Equal((5, 0.8, 3.5, 3.5), (p.Count, p.P50, p.P99, p.Max));
        Assert.Equal(new Percentiles(0, 0, 0, 0), Percentiles.Of([]));
        var many = Percentiles.Of(Enumerable.Range(1, 200).Select(i => i / 100.0));
        Assert.Equal((1.0, 1.98, 2.0), (many.P50, many.P99, many.Max));
    }
}
