using FaultTolerant.Cluster.Hosting;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Tests.Hosting;

/// <summary>How a declaration reads the coordinator's answers (by their refusal reason) and how long it waits.</summary>
public sealed class DeclarationPolicyTests
{
    [Theory]
    [InlineData(RefusalReason.NoMajority)]
    [InlineData(RefusalReason.NotEnoughNodes)]
    [InlineData(RefusalReason.PortUnavailable)]
    [InlineData(RefusalReason.NodeUnavailable)]
    public void A_refusal_that_depends_on_the_cluster_now_is_retried(RefusalReason reason) =>
        Assert.Equal(StartVerdict.Transient, DeclarationPolicy.Judge(new CommandResult(false, "refused", null, reason)));

    [Theory]
    [InlineData(RefusalReason.InvalidRequest)]
    [InlineData(RefusalReason.UnknownGuest)]
    [InlineData(RefusalReason.None)]
    public void A_refusal_that_depends_on_the_request_is_not_retried(RefusalReason reason) =>
        Assert.Equal(StartVerdict.Permanent, DeclarationPolicy.Judge(new CommandResult(false, "refused", null, reason)));

    [Fact]
    public void A_guest_of_that_name_already_there_meets_the_declaration() =>
        Assert.Equal(StartVerdict.Existing, DeclarationPolicy.Judge(new CommandResult(false, "a guest named kv already exists", null, RefusalReason.AlreadyExists)));

    [Fact]
    public void A_start_is_a_start() =>
        Assert.Equal(StartVerdict.Started, DeclarationPolicy.Judge(new CommandResult(true, "guest kv started: primary a, backups [b]", null)));

    [Fact]
    public void Backoff_doubles_from_the_first_wait_up_to_the_cap()
    {
        Assert.Equal(DeclarationPolicy.FirstBackoff, DeclarationPolicy.Backoff(1, 0.5));
        Assert.Equal(DeclarationPolicy.FirstBackoff * 2, DeclarationPolicy.Backoff(2, 0.5));
        Assert.Equal(DeclarationPolicy.FirstBackoff * 4, DeclarationPolicy.Backoff(3, 0.5));
        Assert.Equal(DeclarationPolicy.MaxBackoff, DeclarationPolicy.Backoff(10, 0.5));
        Assert.Equal(DeclarationPolicy.MaxBackoff, DeclarationPolicy.Backoff(int.MaxValue, 0.5));
    }

    [Fact]
    public void Backoff_is_spread_by_a_fifth_either_way_so_nodes_do_not_ask_in_step()
    {
        Assert.Equal(DeclarationPolicy.FirstBackoff * 0.8, DeclarationPolicy.Backoff(1, 0));
        Assert.True(DeclarationPolicy.Backoff(1, 0.999) < DeclarationPolicy.FirstBackoff * 1.2);
        Assert.True(DeclarationPolicy.Backoff(1, 0.999) > DeclarationPolicy.FirstBackoff * 1.19);
    }
}
