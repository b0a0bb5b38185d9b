using System.Net;
using Akka.Actor;
using Akka.Event;
using FaultTolerant.Replica.Channel;

namespace FaultTolerant.Replica.Actors;

/// <summary>Recruiting the backups of a generation: ask each node to host, connect to each that is ready.</summary>
public sealed partial class PrimaryActor
{
    private Recruitment? _recruiting;

    /// <summary>The backups of one generation being hosted; complete when no host is pending.</summary>
    private sealed class Recruitment(ulong generation, IEnumerable<IActorRef> hosts)
    {
        public ulong Generation { get; } = generation;

        /// <summary>By path, not by reference: a reply's sender is the host's reference as remoting rebuilt it.</summary>
        public Dictionary<ActorPath, IActorRef> Pending { get; } = hosts.DistinctBy(h => h.Path).ToDictionary(h => h.Path);

        public Dictionary<string, TcpBackupLink> Ready { get; } = [];
    }

    private sealed record RecruitTimeout(ulong Generation);

    private void Recruit(ulong generation, IReadOnlyList<IActorRef> hosts)
    {
        if (_recruiting is not null) DisposeLinks(_recruiting.Ready.Values);
        var r = new Recruitment(generation, hosts);
        _recruiting = r;
        if (r.Pending.Count == 0)
        {
            RecruitmentComplete();
            return;
        }
        foreach (var host in r.Pending.Values) host.Tell(new HostBackup(Guest, _setup.GuestId, generation, Self));
        Timers.StartSingleTimer(nameof(RecruitTimeout), new RecruitTimeout(generation), _setup.Settings.RecruitTimeout);
    }

    private void OnBackupReady(BackupReady ready)
    {
        if (_recruiting is not { } r || ready.Generation != r.Generation || !r.Pending.Remove(Sender.Path))
        {
            _log.Debug("guest {0} generation {1}: {2} from {3} ignored (not awaited)", Guest, _generation, ready, Sender);
            return;
        }
        if (r.Ready.ContainsKey(ready.BackupId))
        {
            RecruitFailed(r.Generation, $"two backup nodes call themselves {ready.BackupId}", null);
            return;
        }
        r.Ready[ready.BackupId] = Link(ready);
        _log.Info("guest {0} generation {1} epoch {2}: backup {3} ready, data channel to {4}:{5}", Guest, r.Generation, Epoch, ready.BackupId, ready.Host, ready.Port);
        if (r.Pending.Count == 0) RecruitmentComplete();
    }

    private void OnRecruitTimeout(RecruitTimeout timeout)
    {
        if (_recruiting is not { } r || r.Generation != timeout.Generation) return;
        string reason = $"no answer within {_setup.Settings.RecruitTimeout.TotalSeconds:0.###} s from {string.Join(", ", r.Pending.Keys)}";
        // The observer chose these backups and, unless told, believes the generation is protected by them.
        foreach (var silent in r.Pending.Keys)
        {
            _setup.Observer?.Tell(new BackupRefused(Guest, r.Generation, silent.Address.ToString(), $"no answer to HostBackup within {_setup.Settings.RecruitTimeout.TotalSeconds:0.###} s"));
        }
        RecruitFailed(r.Generation, reason, null);
    }

    private void RecruitmentComplete()
    {
        var r = _recruiting!;
        _recruiting = null;
        Timers.Cancel(nameof(RecruitTimeout));
        if (_replica is null)
        {
            StartReplica(r.Ready);
            return;
        }
        // Re-protection: the replica switches generation and backup set in one step on its own thread; acks of the
        // old generation stop counting there, so no release ever mixes the two sets.
        var old = _links;
        _links = r.Ready;
        _generation = r.Generation;
        _replica.GenerationChanged(r.Generation, true, [.. _links.Values]);
        _watch.Reset(_links.Keys, _clock.Elapsed);
        DisposeLinks(old.Values);
        Transition(PrimaryPhase.Running, _links.Count == 0 ? "re-protected: unprotected, no backups" : $"re-protected by {string.Join(", ", _links.Keys)}");
        _setup.Observer?.Tell(new PrimaryStarted(Guest, _generation, [.. _links.Keys]));
    }

    /// <param name="refusal">Passed on to the observer, which chose the backups.</param>
    private void RecruitFailed(ulong generation, string reason, BackupRefused? refusal)
    {
        if (_recruiting is not { } r || r.Generation != generation) return;
        _recruiting = null;
        Timers.Cancel(nameof(RecruitTimeout));
        DisposeLinks(r.Ready.Values);
        if (refusal is not null) _setup.Observer?.Tell(refusal);
        if (_replica is null)
        {
            End(null, $"backups of generation {generation} could not be hosted: {reason}", 0, 0);
            return;
        }
        // The replica goes on with the backups it has: releasing on fewer than the new generation's would break
        // invariant O for it, and releasing on the old set is what the old generation promised.
        _log.Warning("guest {0} generation {1} epoch {2}: re-protection for generation {3} failed ({4}); continuing with generation {1}", Guest, _generation, Epoch, generation, reason);
        Transition(PrimaryPhase.Running, "re-protection abandoned");
    }

    private void OnGenerationChanged(GenerationChanged changed)
    {
        ulong target = _recruiting?.Generation ?? _generation;
        if (changed.Generation <= target || _phase == PrimaryPhase.Ended)
        {
            _log.Info("guest {0} generation {1}: {2} is not newer; ignored", Guest, _generation, changed);
            return;
        }
        if (_replica is null)
        {
            // Still recruiting for the first time: start over with the new generation's backups.
            _generation = changed.Generation;
            Recruit(changed.Generation, changed.BackupHosts);
            return;
        }
        Transition(PrimaryPhase.Reprotecting, $"generation {changed.Generation} with {changed.BackupHosts.Length} backup node(s)");
        Recruit(changed.Generation, changed.BackupHosts);
    }

    private TcpBackupLink Link(BackupReady ready)
    {
        var self = Self;
        var endpoint = IPAddress.TryParse(ready.Host, out var ip) ? new IPEndPoint(ip, ready.Port) : (EndPoint)new DnsEndPoint(ready.Host, ready.Port);
        var channel = _setup.Settings.DataChannel;
        var options = TcpBackupLinkOptions.Default with
        {
            MaxQueuedBytes = channel.SendQueueLimit,
            ReconnectMin = channel.ReconnectBackoffMin,
            ReconnectMax = channel.ReconnectBackoffMax,
        };
        ulong generation = ready.Generation;
        // Called on the link's writer: only a Tell, captured here, is safe there.
        return new TcpBackupLink(ready.BackupId, endpoint, _setup.GuestId, Guest, generation, _node,
            (backup, reason) => self.Tell(new LinkBroken(backup, generation, reason)), options);
    }
}
