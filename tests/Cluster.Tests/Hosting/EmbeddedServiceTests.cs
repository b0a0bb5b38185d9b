using FaultTolerant.Cluster.Hosting;
using Microsoft.Extensions.Hosting;

namespace FaultTolerant.Cluster.Tests.Hosting;

/// <summary>The embedding sample as its README runs it: a witness and two workers, each declaring the same protected guest.</summary>
public sealed class EmbeddedServiceTests(EmbeddedServiceCluster cluster) : IClassFixture<EmbeddedServiceCluster>
{
    [Fact(Timeout = 30_000)]
    public async Task The_declared_guest_runs_with_its_backup_and_answers_through_either_workers_gateway()
    {
        Assert.NotEqual(cluster.Ready.Entry.Primary, cluster.Ready.Entry.Backups[0]);
        using (var first = await ConnectAsync("127.0.0.2"))
        {
            Assert.Equal("OK", first.Call("SET", "embedded", "yes"));
            Assert.Equal("yes", first.Call("GET", "embedded"));
        }
        using var second = await ConnectAsync("127.0.0.3");
        Assert.Equal("yes", second.Call("GET", "embedded"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Three_instances_declaring_the_same_guest_start_it_once()
    {
        var declarations = new List<GuestDeclaration>();
        foreach (var host in cluster.Hosts) declarations.Add(await cluster.DeclarationOn(host));

        Assert.All(declarations, d => Assert.Contains(d.Phase, new[] { DeclarationPhase.Started, DeclarationPhase.Existing }));
        Assert.True(declarations.Count(d => d.Phase == DeclarationPhase.Started) == 1, string.Join("; ", declarations));
        var status = await EmbeddedServiceCluster.Guests(cluster.Witness).GetClusterStatusAsync();
        var guest = Assert.Single(status.Guests);
        Assert.Equal(cluster.Ready.Entry.GuestId, guest.Entry.GuestId);
    }

    [Fact(Timeout = 30_000)]
    public async Task Declaring_the_running_guest_again_finds_it_and_starts_nothing()
    {
        // On an instance that found the guest, so that the instance that started it still says so for the test above.
        IHost? host = null;
        foreach (var h in cluster.Hosts)
        {
            if ((await cluster.DeclarationOn(h)).Phase == DeclarationPhase.Existing) host = h;
        }
        var guests = EmbeddedServiceCluster.Guests(host ?? throw new InvalidOperationException("no instance found the guest existing"));

        var again = await guests.DeclareAsync(cluster.Declaration());

        Assert.Equal(DeclarationPhase.Existing, again.Phase);
        Assert.Equal(1, again.Attempts);
        Assert.DoesNotContain("another image", again.Message);
        var status = await guests.GetClusterStatusAsync();
        var guest = Assert.Single(status.Guests);
        Assert.Equal(cluster.Ready.Entry.GuestId, guest.Entry.GuestId);
        Assert.Equal(cluster.Ready.Entry.Primary, guest.Entry.Primary);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_guest_the_cluster_cannot_run_is_refused_once_and_not_retried()
    {
        var guests = EmbeddedServiceCluster.Guests(cluster.Workers[0]);

        var refused = await guests.DeclareAsync(new ProtectedGuest("junk", "not an ELF file"u8.ToArray(), 0, [], []));

        Assert.Equal(DeclarationPhase.Refused, refused.Phase);
        Assert.Equal(1, refused.Attempts);
        Assert.Contains("the image cannot run", refused.Message);
        await Task.Delay(DeclarationPolicy.FirstBackoff * 3);
        var later = Assert.Single(await guests.GetDeclarationsAsync(), d => d.Name == "junk");
        Assert.Equal(1, later.Attempts);
        Assert.DoesNotContain((await guests.GetClusterStatusAsync()).Guests, g => g.Entry.Name == "junk");
    }

    /// <summary>A worker's gateway listens once its node has seen the guest in the table: moments after the start.</summary>
    private async Task<Support.RespClient> ConnectAsync(string gateway)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return cluster.Client(gateway);
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }
}
