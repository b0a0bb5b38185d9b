using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;

namespace FaultTolerant.Replica.Tests.Actors;

/// <summary>What a backup node tells the primary for each data-channel outcome.</summary>
public sealed class ChannelReportsTests
{
    private static readonly ChannelPeer Peer = new(1, null, 7, "miniredis", "akka.tcp://primary@127.0.0.1:1", 3);

    private static IGuestMessage? Report(AssemblyOutcome outcome, ulong generation = 3, ulong epoch = 12) =>
        ChannelReports.For(new ChannelOutcome(Peer, generation, epoch, outcome), "node-b");

    [Fact]
    public void A_commit_is_an_ack_of_its_own_generation_and_epoch()
    {
        Assert.Equal(new CheckpointAcked("miniredis", 3, 12, "node-b"), Report(new AssemblyOutcome.Committed(3, 12)));
    }

    [Fact]
    public void A_lost_place_is_a_resync_request_for_the_generation_of_the_frame()
    {
        Assert.Equal(new ResyncRequested("miniredis", 4, "node-b", "checksum"), Report(new AssemblyOutcome.ResyncNeeded("checksum"), generation: 4));
    }

    [Fact]
    public void A_refused_generation_tells_the_sender_which_generation_fenced_it()
    {
        Assert.Equal(new GenerationFenced("miniredis", 3, 5, "node-b"), Report(new AssemblyOutcome.Fenced(3, 5)));
    }

    [Fact]
    public void A_staged_frame_says_nothing()
    {
        Assert.Null(Report(AssemblyOutcome.Staged.Instance));
    }
}
