using Akka.Event;
using Akka.Actor;
using Akka.Cluster;
using FaultTolerant.Replica.Actors;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Placement;

/// <summary>
/// Failover (primary lost), dropping a lost backup, and re-protection. Each is a phase logged with guest, generation
/// and epoch; each acts only after its generation is written with a majority (DESIGN §5, docs/FAILOVER.md).
/// </summary>
public sealed partial class PlacementCoordinator
{
    private long _pings;

    /// <summary>The pairs of members the last lost-pair check found, and when: one is downed only if two checks in a row find it.</summary>
    private HashSet<(string, string)> _pairsSeen = [];
    private DateTime _pairsSeenAt;

    /// <summary>
    /// A member is unreachable or gone: its primaries fail over, its backups are replaced. With
    /// <paramref name="confirm"/> (the failure detector's word only) the node is pinged first, and one that answers is
    /// left alone: after this coordinator's own stall (a pause, a long GC) its detector marks everyone unreachable for a
    /// moment, and acting on that would fail over — or declare lost — guests that run fine.
    /// </summary>
    private async Task OnNodeLost(string address, string why, bool confirm = false)
    {
        if (confirm)
        {
            // Perhaps two members that cannot reach each other — this node and that one, or that one and another — whom
            // the resolver would down together: looked at again shortly, whatever the ping says.
            LookForLostPairsSoon();
            if (await Answers(address))
            {
                _log.Warning("node {0} is {1} to the failure detector but answers a ping: nothing is done now", address, why);
                return;
            }
        }
        foreach (var entry in _table.Values.Where(g => g.Primary == address).ToList())
        {
            await FailOver(entry, $"its primary's node {address} is {why}");
        }
        foreach (var entry in _table.Values.Where(g => g.Backups.Contains(address)).ToList())
        {
            await DropBackups(entry, [address], $"backup node {address} is {why}");
        }
    }

    /// <summary>
    /// Members that cannot reach one another while a third member reaches them (RELIABILITY.md findings 6 and 7: a cut
    /// between the two workers, or two workers that lost each other after a quick restart). Left alone, the split brain
    /// resolver downs all of them after <c>stable-after</c> — the primary and the backup of a guest together, and the
    /// guest with them. A pair is believed only on a probe that failed between its two members, seen from both sides of
    /// this coordinator:
    /// <list type="bullet">
    /// <item>an unreachable member that answers this coordinator's ping is probed by every other member; one that
    /// cannot reach it is its pair. If every member reaches it, its unreachability was this coordinator's node's own
    /// and is over (a pause or a cut of this node that just healed: its detector lags) — nothing is downed;</item>
    /// <item>an unreachable member that does not answer this coordinator but answers a probe sent through another member
    /// (<see cref="ProbeThrough"/>) is in a pair with this coordinator's own node. A member nobody reaches (dead, or
    /// paused) is in no pair: it is left to failover and the resolver.</item>
    /// </list>
    /// While a pair is found, and the members reached (by the failure detector, by ping or by probe) are a majority,
    /// one member of the pairs is downed now (<see cref="PlacementDecisions.ChooseToDown"/>, perhaps this node): its
    /// primaries fail over to the others, which stay.
    /// </summary>
    private async Task OnCheckIndirect()
    {
        var state = _cluster.State;
        var unreachable = state.Unreachable.Where(m => m.Status == MemberStatus.Up && m.Address != _cluster.SelfAddress).Select(m => m.Address.ToString()).ToList();
        if (unreachable.Count == 0) return;
        var answers = await Task.WhenAll(unreachable.Select(a => Answers(a, byAddress: true)));
        var answering = unreachable.Where((_, i) => answers[i]).ToHashSet();
        // Every (prober, target) pair at once: members that answer are probed by the other members this coordinator
        // reaches; silent ones by all of those. A silent one is pinged again by this node at the same time: "silent to
        // this node, reached by another" must be one moment's evidence — not a ping that failed during a cut that
        // healed before the probe, or before a paused node resumed.
        var probers = _nodes.Values.Where(n => n.Address != SelfAddress && (IsReachable(n.Address) || answering.Contains(n.Address))).ToList();
        var asked = unreachable.SelectMany(target => probers.Where(p => p.Address != target).Select(p => (Via: p.Address, Target: target, Probe: Probe(p, target)))).ToList();
        var again = unreachable.Where(t => !answering.Contains(t)).ToDictionary(t => t, t => Answers(t, byAddress: true));
        await Task.WhenAll(asked.Select(x => (Task)x.Probe).Concat(again.Values));
        var found = PlacementDecisions.LostPairs(SelfAddress, answering, again.ToDictionary(kv => kv.Key, kv => kv.Value.Result),
            asked.Select(x => new ProbeResult(x.Via, x.Target, x.Probe.Result)));
        // Believed only when the previous check, moments ago, found the same pair: a cut healing one rule at a time, or
        // a link that drops for a moment, shows a pair once (seed 1 of the record on 6639554: during a heal the
        // coordinator on the primary's node saw the backup silent but reached by the witness, and downed it, while the
        // other side's resolver downed the primary's node — the guest lost).
        var now = DateTime.UtcNow;
        bool recent = now - _pairsSeenAt < _settings.IndirectDownAfter * 3;
        var pairs = found.Where(p => recent && _pairsSeen.Contains(p)).ToList();
        _pairsSeen = found;
        _pairsSeenAt = now;
        if (pairs.Count == 0)
        {
            if (found.Count > 0)
            {
                _log.Info("members that may have lost each other: {0}; looking again before anyone is downed", string.Join("; ", found.Select(p => $"{p.Item1} and {p.Item2}")));
                Timers.StartSingleTimer(nameof(CheckIndirect), CheckIndirect.Instance, _settings.IndirectDownAfter / 2);
            }
            return;
        }
        var indirect = pairs.SelectMany(p => new[] { p.Item1, p.Item2 }).ToHashSet();
        var voters = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.WeaklyUp)
            .Select(m => m.Address.ToString())
            // A member of a pair was reached by this node or by a probe: it votes on this side.
            .Select(a => new Voter(a, !state.Unreachable.Any(u => u.Address.ToString() == a) || answering.Contains(a) || indirect.Contains(a))).ToList();
        if (!PlacementDecisions.HasMajority(voters)) return;
        var members = indirect.Select(a => new IndirectMember(a, _table.Values.Count(g => g.Primary == a), _table.Values.Count(g => g.Backups.Contains(a)), a == SelfAddress)).ToList();
        if (PlacementDecisions.ChooseToDown(members) is not { } down) return;
        _log.Warning("members {0} cannot reach one another ({1}) but a third member reaches each; the split brain resolver would down all of them. " +
            "Downing {2} (the fewest primaries){3} so that the others stay", string.Join(", ", indirect.Order(StringComparer.Ordinal)),
            string.Join("; ", pairs.Select(p => $"{p.Item1} and {p.Item2}")), down, down == SelfAddress ? ", this coordinator's own node," : "");
        _cluster.Down(Address.Parse(down));
    }

    /// <summary>The lost-pair check, <c>placement.indirect-down-after</c> from now, unless one is already due.</summary>
    private void LookForLostPairsSoon()
    {
        if (!Timers.IsTimerActive(nameof(CheckIndirect))) Timers.StartSingleTimer(nameof(CheckIndirect), CheckIndirect.Instance, _settings.IndirectDownAfter);
    }

    /// <summary>
    /// Whether <paramref name="via"/>'s agent reaches the agent at <paramref name="target"/>: true or false as it says,
    /// null if it did not say in time (then nothing is known). The target is named by address, not by its registration:
    /// a node restarted on its address that lost the coordinator's node could never register.
    /// </summary>
    private async Task<bool?> Probe(RegisterNode via, string target)
    {
        try
        {
            var probed = await via.Agent.Ask<Probed>(new ProbeThrough(Interlocked.Increment(ref _pings), target, (int)_settings.SuspectPingTimeout.TotalMilliseconds),
                _settings.SuspectPingTimeout * 2);
            return probed.Answered;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the node's agent answers a ping within the suspect timeout: the agent it registered (the incarnation the
    /// table's rows refer to). With <paramref name="byAddress"/>, a node that has not registered is pinged through
    /// whatever agent runs at its address (the lost-pair check, which asks about the process, not the incarnation);
    /// otherwise it does not answer — a new incarnation answering for an old one would keep its guests from failing over.
    /// </summary>
    private Task<bool> Answers(string address) => Answers(address, byAddress: false);

    private async Task<bool> Answers(string address, bool byAddress)
    {
        try
        {
            var ping = new Ping(Interlocked.Increment(ref _pings));
            if (_nodes.TryGetValue(address, out var node)) await node.Agent.Ask<Pong>(ping, _settings.SuspectPingTimeout);
            else if (byAddress) await Context.ActorSelection(Node.NodeAgent.AgentPath(address)).Ask<Pong>(ping, _settings.SuspectPingTimeout);
            else return false;
            return true;
        }
        catch (AskTimeoutException)
        {
            _suspects[address] = DateTime.UtcNow;
            return false;
        }
    }

    /// <summary>
    /// A backup's data channel from its primary broke: quick evidence that the primary's process died. Ping its node;
    /// no answer in time and its guests fail over now rather than after the failure detector. A wrong guess costs a
    /// failover (the old primary is fenced), never a second primary releasing output.
    /// </summary>
    private async Task OnDataChannelLost(DataChannelLost lost)
    {
        if (!_table.TryGetValue(lost.Guest, out var entry) || entry.Generation != lost.Generation) return;
        if (!_nodes.TryGetValue(entry.Primary, out var primary)) return;
        long id = Interlocked.Increment(ref _pings);
        try
        {
            await primary.Agent.Ask<Pong>(new Ping(id), _settings.SuspectPingTimeout);
            _log.Info("guest {0} generation {1}: backup {2} lost its data channel ({3}), but the primary's node answers; the channel reconnects",
                lost.Guest, lost.Generation, lost.BackupId, lost.Reason);
        }
        catch (AskTimeoutException)
        {
            _log.Warning("guest {0} generation {1}: backup {2} lost its data channel ({3}) and the primary's node {4} did not answer within {5} ms: failing over",
                lost.Guest, lost.Generation, lost.BackupId, lost.Reason, entry.Primary, _settings.SuspectPingTimeout.TotalMilliseconds);
            _suspects[entry.Primary] = DateTime.UtcNow;
            await OnNodeLost(entry.Primary, "silent after its data channel broke");
        }
    }

    /// <summary>A primary reports a backup that acknowledges nothing while output waits: drop it (the primary then releases).</summary>
    private async Task OnBackupSilent(BackupSilent silent)
    {
        if (!_table.TryGetValue(silent.Guest, out var entry) || entry.Generation != silent.Generation || !entry.Backups.Contains(silent.BackupId)) return;
        await DropBackups(entry, [silent.BackupId], $"backup {silent.BackupId} acknowledged nothing for {silent.Silence.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// A backup the table names for the current generation refused to host, or never answered: the primary goes on
    /// without it (re-protection abandoned), so the row must say so — drop it; re-protection chooses again.
    /// </summary>
    private async Task OnBackupRefused(BackupRefused refused)
    {
        _log.Warning("guest {0} generation {1}: backup {2} refused: {3}", refused.Guest, refused.Generation, refused.BackupId, refused.Reason);
        if (!_table.TryGetValue(refused.Guest, out var entry) || entry.Generation != refused.Generation || !entry.Backups.Contains(refused.BackupId)) return;
        await DropBackups(entry, [refused.BackupId], $"backup {refused.BackupId} could not be recruited: {refused.Reason}");
    }

    private async Task OnPrimaryStopped(PrimaryStopped stopped)
    {
        if (!_table.TryGetValue(stopped.Guest, out var entry) || entry.Generation != stopped.Generation) return;
        _log.Info("guest {0} generation {1} epoch {2}: primary stopped: {3}", stopped.Guest, stopped.Generation, stopped.Epoch, stopped.Reason);
        if (stopped.End == PrimaryEndReason.GuestEnded)
        {
            await WriteMajority(stopped.Guest, entry with { Phase = "ended" });
        }
        else if (stopped.End is null && entry.Phase != "starting")
        {
            // It failed on its own (not fenced, not stopped): the backups still hold its state.
            await FailOver(entry, $"its primary failed: {stopped.Reason}");
        }
    }

    /// <summary>Every guest looked at again: a primary on a lost node fails over, a guest short of backups is re-protected.</summary>
    private async Task OnReconcile()
    {
        // A member unreachable: perhaps only to another member, or only to this coordinator's node — two that lost each
        // other, whom the resolver would down together. Looked at here too, not only on the reachability event: a
        // coordinator that just took over (the singleton moved) dropped the events it got while it read the table.
        if (_cluster.State.Unreachable.Any(m => m.Status == MemberStatus.Up)) LookForLostPairsSoon();
        if (!HasMajority()) return;
        foreach (var entry in _table.Values.ToList())
        {
            if (entry.Phase is "ended" or "starting") continue;
            if (!IsReachable(entry.Primary))
            {
                if (await Answers(entry.Primary)) continue;
                await FailOver(entry, $"its primary's node {entry.Primary} is not reachable and does not answer");
                continue;
            }
            var lost = entry.Backups.Where(b => !IsReachable(b)).ToList();
            if (lost.Count > 0) await DropBackups(entry, lost, "backup node(s) not reachable");
            else if (entry.Backups.Length < entry.Replicas) await Reprotect(entry);
            else await Converge(entry);
        }
    }

    /// <summary>
    /// The table says what should be; the primary says what is. A primary that runs (not recruiting) at a generation
    /// below its row's missed the order that made it — the coordinator that gave it moved, or the message was lost — so
    /// the order is given again; one that runs the row's generation with its backups makes the row say so. Without this
    /// a row could name backups that nobody recruited, and the guest would run unprotected with the table saying
    /// otherwise.
    /// </summary>
    private async Task Converge(GuestEntry entry)
    {
        if (!_nodes.TryGetValue(entry.Primary, out var primary)) return;
        object answer;
        try
        {
            answer = await primary.Replicas.Ask<object>(new GetReplicaStatus(entry.Name), TimeSpan.FromSeconds(1));
        }
        catch (AskTimeoutException)
        {
            return;
        }
        if (answer is NoReplica)
        {
            // The node the row names runs no primary of the guest: it was restarted on the same address (a new
            // incarnation, which a coordinator that moved meanwhile cannot tell from the old one by address), or its
            // primary ended without a word. Its backups hold the state: fail over.
            await FailOver(entry, $"its primary's node {entry.Primary} runs no primary of it (restarted?)");
            return;
        }
        if (answer is not ReplicaStatus { Role: ReplicaRole.Primary, Phase: "Running" } status) return;
        if (status.Generation < entry.Generation)
        {
            var hosts = entry.Backups.Select(b => _nodes.TryGetValue(b, out var n) ? n.Replicas : null).OfType<IActorRef>().ToArray();
            _log.Warning("guest {0} generation {1}: the primary runs generation {2}: giving it generation {1} again (backups [{3}])",
                entry.Name, entry.Generation, status.Generation, string.Join(", ", entry.Backups));
            primary.Replicas.Tell(new GenerationChanged(entry.Name, entry.Generation, hosts));
        }
        else if (status.Generation == entry.Generation && entry.Phase is "reprotecting" && entry.Backups.All(b => status.Backups.Contains(b)))
        {
            await WriteMajority(entry.Name, entry with { Phase = "running" });
        }
    }

    /// <summary>
    /// Failover: the reachable backup with the highest committed epoch becomes the primary of generation g+1 — written
    /// with a majority first — and is then told to promote: it fences g and resumes from its committed state.
    /// </summary>
    private async Task<(bool Ok, string Message)> FailOver(GuestEntry entry, string why)
    {
        if (!HasMajority())
        {
            _log.Warning("guest {0} generation {1}: failover needed ({2}) but this coordinator sees no majority: refusing to act", entry.Name, entry.Generation, why);
            return (false, "no majority: the coordinator refuses to fail over");
        }
        _log.Warning("guest {0} generation {1}: phase failover: {2}", entry.Name, entry.Generation, why);
        // The row as a majority has it: a decision taken on a stale row (another coordinator wrote since) is dropped.
        try
        {
            var current = await ReadMajority(entry.Name);
            if (!PlacementDecisions.StillCurrent(entry, current))
            {
                _log.Warning("guest {0} generation {1}: the table read with a majority shows generation {2} on {3}: this decision is stale, dropped",
                    entry.Name, entry.Generation, current?.Generation, current?.Primary);
                if (current is null) _table.Remove(entry.Name);
                else _table[entry.Name] = current;
                return (false, "the guest table changed meanwhile; nothing was done");
            }
        }
        catch (TimeoutException e)
        {
            _log.Warning("guest {0} generation {1}: {2}; nothing is acted on", entry.Name, entry.Generation, e.Message);
            return (false, "no majority answered the read of the guest table; nothing was done");
        }
        // Every backup is asked, reachable to the failure detector or not (an answer is better evidence), all at once.
        var asked = await Task.WhenAll(entry.Backups.Select(async Task<(RegisterNode? Node, object? Answer)> (address) =>
        {
            if (!_nodes.TryGetValue(address, out var node)) return (null, null);
            try
            {
                var timeout = IsReachable(address) ? _settings.AskTimeout : TimeSpan.FromTicks(Math.Min(_settings.AskTimeout.Ticks, TimeSpan.FromSeconds(2).Ticks));
                return (node, await node.Replicas.Ask<object>(new GetReplicaStatus(entry.Name), timeout));
            }
            catch (AskTimeoutException)
            {
                _log.Warning("guest {0} generation {1}: backup {2} did not say how far it is; not a candidate", entry.Name, entry.Generation, address);
                return (node, null);
            }
        }));
        var candidates = asked
            .Where(a => a.Node is not null && a.Answer is ReplicaStatus { Role: ReplicaRole.Backup })
            .Select(a => (Node: a.Node!, Candidate: new Candidate(a.Node!.Address, ((ReplicaStatus)a.Answer!).CommittedEpoch)))
            .ToList();
        if (PlacementDecisions.ChoosePromotion(candidates.Select(c => c.Candidate)) is not { } choice)
        {
            // Lost is final: say it only when every backup answered and none holds a committed state. A backup that
            // did not answer may hold one; the next reconcile asks again.
            if (asked.Any(a => a.Answer is null))
            {
                _log.Warning("guest {0} generation {1}: no backup that answered holds a committed state, and some did not answer; trying again later", entry.Name, entry.Generation);
                return (false, "no backup answered with a committed state; the coordinator tries again");
            }
            _log.Error("guest {0} generation {1}: no backup holds a committed state; the guest cannot be resumed", entry.Name, entry.Generation);
            if (entry.Phase != "lost") await WriteMajority(entry.Name, entry with { Phase = "lost" });
            return (false, "no backup holds a committed state to resume from");
        }
        var chosen = candidates.First(c => c.Candidate.Address == choice.Address).Node;
        ulong epoch = choice.CommittedEpoch;
        ulong generation = entry.Generation + 1;
        var next = entry with { Generation = generation, Primary = chosen.Address, Backups = [], Ingress = chosen.Ingress, Phase = "failing-over" };
        if (!await WriteMajority(entry.Name, next)) return (false, "no majority acknowledged the new generation; nothing was done");

        // Fence first, everywhere reachable: the old primary (if it is only slow) stops, other backups refuse it.
        foreach (var address in entry.Backups.Append(entry.Primary).Where(a => a != chosen.Address))
        {
            if (_nodes.TryGetValue(address, out var node)) node.Replicas.Tell(new GenerationAdvanced(entry.Name, generation));
        }
        _log.Warning("guest {0} generation {1} epoch {2}: phase promotion: backup {3} becomes the primary", entry.Name, generation, epoch, chosen.Address);
        try
        {
            var answer = await chosen.Replicas.Ask<object>(new Promote(entry.Name, generation), _settings.AskTimeout);
            if (answer is PromotionRefused refused)
            {
                _log.Error("guest {0} generation {1}: promotion refused by {2}: {3}", entry.Name, generation, chosen.Address, refused.Reason);
                return (false, $"promotion refused: {refused.Reason}");
            }
        }
        catch (AskTimeoutException)
        {
            _log.Error("guest {0} generation {1}: {2} did not confirm its promotion in time", entry.Name, generation, chosen.Address);
            return (false, "the promoted node did not confirm in time");
        }
        var promoted = next with { Phase = "unprotected" };
        await WriteMajority(entry.Name, promoted);
        // The other backups of the old generation are dropped; re-protection chooses again (they may be chosen back).
        foreach (var address in entry.Backups.Where(a => a != chosen.Address))
        {
            if (_nodes.TryGetValue(address, out var node)) node.Replicas.Tell(new DropBackup(entry.Name, generation));
        }
        await Reprotect(promoted);
        return (true, $"guest {entry.Name} failed over to {chosen.Address} at generation {generation} (committed epoch {epoch})");
    }

    /// <summary>Backups lost: the guest's next generation goes without them (and with replacements, if any node is free).</summary>
    private async Task DropBackups(GuestEntry entry, IReadOnlyList<string> lost, string why)
    {
        if (!HasMajority())
        {
            _log.Warning("guest {0} generation {1}: {2}, but this coordinator sees no majority: refusing to act", entry.Name, entry.Generation, why);
            return;
        }
        _log.Warning("guest {0} generation {1}: dropping backup(s) [{2}]: {3}", entry.Name, entry.Generation, string.Join(", ", lost), why);
        var kept = entry.Backups.Where(b => !lost.Contains(b)).ToList();
        await Protect(entry, kept, exclude: lost);
        foreach (var address in lost)
        {
            if (_nodes.TryGetValue(address, out var node)) node.Replicas.Tell(new DropBackup(entry.Name, entry.Generation + 1));
        }
    }

    /// <summary>Re-protection: adds backups on free workers until the guest has as many as it asked for.</summary>
    private async Task Reprotect(GuestEntry entry)
    {
        if (entry.Backups.Length >= entry.Replicas || !HasMajority()) return;
        await Protect(entry, [.. entry.Backups], exclude: []);
    }

    /// <summary>
    /// Writes generation g+1 with <paramref name="kept"/> plus new backups on the least loaded free workers, then tells the
    /// primary, which recruits them and brings the new ones up by pre-copy while the guest runs.
    /// </summary>
    private async Task Protect(GuestEntry entry, List<string> kept, IReadOnlyList<string> exclude)
    {
        var free = EligibleWorkers()
            .Where(n => n.Address != entry.Primary && !kept.Contains(n.Address) && !exclude.Contains(n.Address))
            .OrderBy(Load).ThenBy(n => n.Address, StringComparer.Ordinal)
            .Take(Math.Max(0, entry.Replicas - kept.Count))
            .Select(n => n.Address)
            .ToList();
        var backups = kept.Concat(free).ToArray();
        if (backups.SequenceEqual(entry.Backups)) return;
        ulong generation = entry.Generation + 1;
        var phase = backups.Length == 0 ? "unprotected" : backups.Length < entry.Replicas ? "under-protected" : "reprotecting";
        var next = entry with { Generation = generation, Backups = backups, Phase = phase };
        if (!await WriteMajority(entry.Name, next)) return;
        if (!_nodes.TryGetValue(entry.Primary, out var primary)) return;
        var hosts = backups.Select(b => _nodes.TryGetValue(b, out var n) ? n.Replicas : null).OfType<IActorRef>().ToArray();
        _log.Info("guest {0} generation {1}: phase re-protection: backups [{2}] ({3} new)", entry.Name, generation, string.Join(", ", backups), free.Count);
        primary.Replicas.Tell(new GenerationChanged(entry.Name, generation, hosts));
    }
}
