using Akka.Event;
using Akka.Actor;
using Akka.Cluster;
using FaultTolerant.Replica.Actors;

namespace FaultTolerant.Cluster.Placement;

/// <summary>Status for <c>ft status</c>, and the bookkeeping of primaries' reports.</summary>
public sealed partial class PlacementCoordinator
{
    private async Task OnStatus(GetClusterStatus _)
    {
        var sender = Sender;
        var state = _cluster.State;
        var nodes = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m =>
            {
                var address = m.Address.ToString();
                var role = _nodes.TryGetValue(address, out var r) ? r.Role.ToString().ToLowerInvariant() : string.Join(",", m.Roles);
                return new NodeStatus(address, role, m.Status.ToString(), !state.Unreachable.Contains(m), _nodes.ContainsKey(address));
            })
            .ToArray();
        // Every primary is asked at once; one that does not answer in time shows zeros rather than holding up the rest.
        var asks = _table.Values.OrderBy(g => g.Name, StringComparer.Ordinal).Select(async entry =>
        {
            ReplicaStatus? status = null;
            if (_nodes.TryGetValue(entry.Primary, out var node) && IsReachable(entry.Primary))
            {
                try
                {
                    status = await node.Replicas.Ask<object>(new GetReplicaStatus(entry.Name), TimeSpan.FromSeconds(1)) as ReplicaStatus;
                }
                catch (AskTimeoutException)
                {
                    // Shown as unknown.
                }
            }
            return status is { Role: ReplicaRole.Primary } s
                ? new GuestStatus(entry, s.Epoch, s.ReleasedEpoch, s.CommittedEpoch, s.EpochsPerSecond, s.PauseMilliseconds, s.HeldOutputBytes, s.Epoch - Math.Min(s.Epoch, s.ReleasedEpoch), s.Phase)
                : new GuestStatus(entry, 0, 0, 0, 0, 0, 0, 0, "unknown");
        });
        var guests = await Task.WhenAll(asks);
        sender.Tell(new ClusterStatus(SelfAddress, HasMajority(), nodes, guests));
    }

    /// <summary>A primary runs with its generation's backups (first start, or re-protection done): the row says so.</summary>
    private async Task OnPrimaryStarted(PrimaryStarted started)
    {
        _log.Info("guest {0} generation {1}: primary running, protected by [{2}]", started.Guest, started.Generation, string.Join(", ", started.Backups));
        if (!_table.TryGetValue(started.Guest, out var entry) || entry.Generation != started.Generation) return;
        var phase = entry.Backups.Length == 0 ? "unprotected" : entry.Backups.Length < entry.Replicas ? "under-protected" : "running";
        if (entry.Phase != phase && entry.Phase != "starting") await WriteMajority(entry.Name, entry with { Phase = phase });
    }
}
