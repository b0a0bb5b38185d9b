using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Tests.Primary;

/// <summary>Invariant O and F as decisions: what may be released, given acks and generations.</summary>
public sealed class OutputCommitGateTests
{
    private static IReadOnlyDictionary<long, StreamMark> Marks(long sent, bool closed = false) => new Dictionary<long, StreamMark> { [16] = new(sent, closed) };

    private static OutputCommitGate Gate(params string[] backups)
    {
        var gate = new OutputCommitGate(1, backups);
        for (ulong e = 1; e <= 5; e++) gate.EpochEnded(e, Marks((long)e * 100), [new CommittedOffsets(16, (long)e * 10, (long)e * 100)]);
        return gate;
    }

    [Fact]
    public void Nothing_is_released_before_every_backup_acknowledged()
    {
        var gate = Gate("b1", "b2");
        Assert.Null(gate.TakeRelease());
        gate.Acked("b1", 1, 3);
        Assert.Null(gate.TakeRelease());
        gate.Acked("b2", 1, 2);
        var release = gate.TakeRelease()!;
        Assert.Equal(2UL, release.Epoch);
        Assert.Equal(200, release.Streams[16].Sent);
        Assert.Equal(new CommittedOffsets(16, 20, 200), Assert.Single(release.Connections));
        Assert.Null(gate.TakeRelease());
        gate.Acked("b2", 1, 5);
        Assert.Equal(3UL, gate.TakeRelease()!.Epoch);
    }

    [Fact]
    public void Acks_from_another_generation_or_a_stranger_do_not_count()
    {
        var gate = Gate("b1");
        Assert.False(gate.Acked("b1", 0, 5));
        Assert.False(gate.Acked("b1", 2, 5));
        Assert.False(gate.Acked("intruder", 1, 5));
        Assert.Null(gate.TakeRelease());
    }

    [Fact]
    public void A_new_generation_without_a_backup_starts_its_acks_afresh()
    {
        var gate = Gate("b1", "b2");
        gate.Acked("b1", 1, 4);
        gate.NewGeneration(2, stillPrimary: true, ["b1"]);
        Assert.Null(gate.TakeRelease());        // b1's ack was for generation 1
        gate.Acked("b1", 2, 4);
        Assert.Equal(4UL, gate.TakeRelease()!.Epoch);
    }

    [Fact]
    public void With_no_backup_left_output_is_released_at_once()
    {
        var gate = Gate("b1");
        gate.NewGeneration(2, stillPrimary: true, []);
        Assert.Equal(5UL, gate.TakeRelease()!.Epoch);
    }

    [Fact]
    public void A_fenced_primary_releases_nothing_more_whatever_acks_arrive()
    {
        var gate = Gate("b1");
        gate.Acked("b1", 1, 1);
        Assert.Equal(1UL, gate.TakeRelease()!.Epoch);
        gate.ObservedGeneration(2);
        gate.Acked("b1", 1, 5);
        Assert.True(gate.Fenced);
        Assert.Null(gate.TakeRelease());

        var other = Gate("b1");
        other.NewGeneration(3, stillPrimary: false, ["b1"]);
        other.Acked("b1", 3, 5);
        Assert.Null(other.TakeRelease());
    }

    [Fact]
    public void Epochs_must_be_recorded_in_order()
    {
        var gate = Gate("b1");
        Assert.Throws<ArgumentException>(() => gate.EpochEnded(5, Marks(1), []));
    }

    [Theory]
    [InlineData(0, false, false)]
    [InlineData(0.5, true, false)]
    [InlineData(1, true, true)]
    [InlineData(24, false, false)]
    [InlineData(25, false, true)]
    public void An_epoch_ends_at_the_max_interval_or_early_when_output_waits(double ms, bool outputWaiting, bool ends)
    {
        Assert.Equal(ends, EpochPolicy.Default.ShouldEnd(TimeSpan.FromMilliseconds(ms), outputWaiting));
    }

    [Fact]
    public void An_acknowledgement_past_its_lease_releases_nothing_and_a_later_one_in_time_releases_everything_up_to_it()
    {
        var gate = Gate("b1");
        var fresh = new HashSet<ulong> { 5 };
        gate.Acked("b1", 1, 3);
        Assert.Null(gate.TakeRelease(fresh.Contains)); // epoch 3's lease ran out before its ack came
        Assert.Equal(1, gate.LateAcknowledgements);
        gate.Acked("b1", 1, 5);
        var release = gate.TakeRelease(fresh.Contains)!;
        Assert.Equal(5UL, release.Epoch);
        Assert.Equal(500, release.Streams[16].Sent); // epochs 1-4 go out with it
    }

    [Fact]
    public void Without_backups_the_lease_is_not_asked()
    {
        var gate = Gate("b1");
        gate.NewGeneration(2, stillPrimary: true, []);
        Assert.Equal(5UL, gate.TakeRelease(_ => throw new InvalidOperationException("asked"))!.Epoch);
        Assert.Equal(0, gate.LateAcknowledgements);
    }
}
