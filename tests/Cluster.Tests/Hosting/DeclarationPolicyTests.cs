using FaultTolerant.Cluster.Hosting;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Tests.Hosting;

/// <summary>How a declaration reads the coordinator's answers (its texts as PlacementCoordinator writes them) and how long it waits.</summary>
public sealed class DeclarationPolicyTests
{
    [Theory]
    [InlineData("the coordinator does not see a majority of the cluster; it decides nothing until it does")]
    [InlineData("no majority of the cluster acknowledged the new guest; nothing was started")]
    [InlineData("1 backup(s) and a primary need 2 eligible worker nodes on different hosts; 1 are up and reachable")]
    [InlineData("guest kv could not start: node akka.tcp://ft@127.0.0.1:4101 did not answer within 8 s")]
    [InlineData("guest kv could not start: the replica host is stopping")]
    [InlineData("a worker's gateway cannot listen on the guest's cluster ports (node akka.tcp://ft@127.0.0.1:4101: 127.0.0.2:7379 is in use); nothing was started")]
    public void A_refusal_that_depends_on_the_cluster_now_is_retried(string message) =>
        Assert.Equal(StartVerdict.Transient, DeclarationPolicy.Judge(new CommandResult(false, message, null)));

    [Theory]
    [InlineData("the image cannot run: not an ELF file (no \\x7fELF magic number)")]
    [InlineData("guest kv could not start: the image cannot run: not a RISC-V executable")]
    [InlineData("'Kv' is not a guest name: 1-40 lower-case letters, digits and dashes, starting with a letter or digit")]
    [InlineData("the image is empty")]
    [InlineData("the image is 5000000 bytes; at most 4194304 are accepted")]
    [InlineData("--replicas 9: between 0 and 8 backups")]
    [InlineData("port mapping 6379:70000 is out of range (1-65535)")]
    [InlineData("cluster port 7379 is already exposed by guest other")]
    [InlineData("a refusal nobody has written yet")]
    public void A_refusal_that_depends_on_the_request_is_not_retried(string message) =>
        Assert.Equal(StartVerdict.Permanent, DeclarationPolicy.Judge(new CommandResult(false, message, null)));

    [Fact]
    public void A_guest_of_that_name_already_there_meets_the_declaration() =>
        Assert.Equal(StartVerdict.Existing, DeclarationPolicy.Judge(new CommandResult(false, "a guest named kv already exists", null)));

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
