using Akka.Event;
using Akka.Actor;
using Akka.Cluster;
using FaultTolerant.Replica.Actors;

namespace FaultTolerant.Cluster.Placement;

/// <summary>Status for <c>ft status</c>, and the bookkeeping of primaries' reports.</summary>
public sealed partial class PlacementCoordinator
{
    /// <summary>
    /// Status is answered off the decision queue: the facts are taken now, the primaries are asked on the side and the
    /// answer is piped to the asker. A primary that died a moment ago (not yet unreachable) would otherwise hold every
    /// decision — a failover among them — for the length of the ask.
    /// </summary>
    private void OnStatus(GetClusterStatus _)
    {
        var sender = Sender;
        var state = _cluster.State;
        var nodes = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m =>
            {
                var address = m.Address.ToString();
                var role = _nodes.TryGetValue(address, out var r) ? r.Role.ToString().ToLowerInvariant() : string.Join(",", m.Roles);
                return new NodeStatus(address, role, m.Status.ToString(), !state.Unreachable.Contains(m) && !_suspects.ContainsKey(address), _nodes.ContainsKey(address));
            })
            .ToArray();
        bool majority = HasMajority();
        var targets = _table.Values.OrderBy(g => g.Name, StringComparer.Ordinal)
            .Select(entry => (Entry: entry, Replicas: _nodes.TryGetValue(entry.Primary, out var node) && IsReachable(entry.Primary) ? node.Replicas : null))
            .ToList();
        // Every primary is asked at once; one that does not answer in time shows zeros rather than holding up the rest.
        var asks = targets.Select(async target =>
        {
            ReplicaStatus? status = null;
            if (target.Replicas is { } replicas)
            {
                try
                {
                    status = await replicas.Ask<object>(new GetReplicaStatus(target.Entry.Name), TimeSpan.FromSeconds(1)) as ReplicaStatus;
                }
                catch (AskTimeoutException)
                {
                    // Shown as unknown.
                }
            }
            var entry = target.Entry;
            return status is { Role: ReplicaRole.Primary } s
                ? new GuestStatus(entry, s.Epoch, s.ReleasedEpoch, s.CommittedEpoch, s.EpochsPerSecond, s.PauseMilliseconds, s.HeldOutputBytes, s.Epoch - Math.Min(s.Epoch, s.ReleasedEpoch), s.Phase)
                : new GuestStatus(entry, 0, 0, 0, 0, 0, 0, 0, "unknown");
        });
        var self = SelfAddress;
        Task.WhenAll(asks).ContinueWith(t => new ClusterStatus(self, majority, nodes, t.Result), TaskContinuationOptions.OnlyOnRanToCompletion).PipeTo(sender);
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
