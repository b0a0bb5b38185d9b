using Akka.Actor;
using Akka.Hosting;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Hosting;

/// <summary><see cref="IProtectedGuests"/> over the node's actors, found in the actor system's registry.</summary>
public sealed class ProtectedGuests(IReadOnlyActorRegistry registry) : IProtectedGuests
{
    /// <summary>The coordinator asks every primary for its figures (a second at most) before it answers.</summary>
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(10);

    public async Task<GuestDeclaration> DeclareAsync(ProtectedGuest guest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(guest);
        var declarations = await registry.GetAsync<GuestDeclarations>(cancellationToken);
        return await declarations.Ask<GuestDeclaration>(new Declare(guest, ReplyWhenSettled: true), Timeout.InfiniteTimeSpan, cancellationToken);
    }

    public async Task<IReadOnlyList<GuestDeclaration>> GetDeclarationsAsync(CancellationToken cancellationToken = default)
    {
        var declarations = await registry.GetAsync<GuestDeclarations>(cancellationToken);
        return await declarations.Ask<GuestDeclaration[]>(GetDeclarations.Instance, StatusTimeout, cancellationToken);
    }

    public async Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default)
    {
        var coordinator = await registry.GetAsync<PlacementCoordinator>(cancellationToken);
        return await coordinator.Ask<ClusterStatus>(GetClusterStatus.Instance, StatusTimeout, cancellationToken);
    }

    public async Task<GuestStatus?> GetGuestAsync(string name, CancellationToken cancellationToken = default)
    {
        var status = await GetClusterStatusAsync(cancellationToken);
        return status.Guests.FirstOrDefault(g => g.Entry.Name == name);
    }
}
