using Akka.Actor;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// The service's view of the protected guests: its node's declarations and the cluster's guest table as the placement
/// coordinator sees it. Registered by <see cref="FaultTolerantHostingExtensions.AddProtectedGuests"/>; needs a node
/// (<see cref="FaultTolerantHostingExtensions.WithFaultTolerantNode"/>) in the service's actor system. Calls made before
/// the actor system has started wait for it.
/// </summary>
public interface IProtectedGuests
{
    /// <summary>
    /// Declares a guest now, as <see cref="FaultTolerantHostingExtensions.WithProtectedGuest(Akka.Hosting.AkkaConfigurationBuilder, ProtectedGuest)"/>
    /// does at start, and returns once the declaration is settled: started, found existing, or refused. A declaration of
    /// a name this node already declared replaces it.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before it settled; the declaration goes on.</exception>
    Task<GuestDeclaration> DeclareAsync(ProtectedGuest guest, CancellationToken cancellationToken = default);

    /// <summary>This node's declarations, by name.</summary>
    Task<IReadOnlyList<GuestDeclaration>> GetDeclarationsAsync(CancellationToken cancellationToken = default);

    /// <summary>Nodes and guests as the coordinator sees them, with each primary's live figures.</summary>
    /// <exception cref="AskTimeoutException">The coordinator did not answer in time (no majority yet, or it is moving).</exception>
    Task<ClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>One guest as the coordinator sees it; null when the guest table has no guest of that name.</summary>
    /// <exception cref="AskTimeoutException">The coordinator did not answer in time.</exception>
    Task<GuestStatus?> GetGuestAsync(string name, CancellationToken cancellationToken = default);
}
