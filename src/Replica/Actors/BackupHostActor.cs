using System.Diagnostics;
using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using FaultTolerant.Guest;
using FaultTolerant.Guest.State;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Settings;

namespace FaultTolerant.Replica.Actors;

/// <summary>How a node's <see cref="BackupHostActor"/> starts.</summary>
/// <param name="Node">This node's name as a backup: the id primaries key its acks by. Unique in the cluster.</param>
/// <param name="RestoreFull">Builds a guest from a full checkpoint (the node's guest options: memory limit, clock).</param>
/// <param name="Gateway">The node's gateway, which a promoted backup's primary is attached to.</param>
/// <param name="Observer">The observer given to primaries started here by promotion.</param>
public sealed record BackupHostSetup(
    string Node,
    Func<GuestCheckpoint, IGuest> RestoreFull,
    IGuestGateway Gateway,
    ReplicaSettings Settings,
    IActorRef? Observer = null);

/// <summary>
/// The backups on one node: owns the node's data-channel listener, keeps one <see cref="BackupReplica"/> per guest
/// it backs up, tells each guest's primary what its checkpoints came to, and on promotion resumes the guest here
/// as a <see cref="PrimaryActor"/> child. Decisions stay in <see cref="BackupReplica"/> (what to apply, what to
/// fence); this actor gathers the facts and passes on the answers.
/// </summary>
/// <remarks>
/// The listener's callbacks run on its connections' threads. They read the guests hosted here from a concurrent
/// map that only this actor writes, and tell the primary directly: an ack is on the path of every release, so it
/// does not take a detour through this actor's mailbox. The channel side is in <c>BackupHostActor.Channel.cs</c>.
/// </remarks>
public sealed partial class BackupHostActor : UntypedActor
{
    private readonly BackupHostSetup _setup;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ConcurrentDictionary<string, Hosted> _hosted = new();
    private readonly Dictionary<string, IActorRef> _primaries = [];

    public BackupHostActor(BackupHostSetup setup) => _setup = setup;

    /// <summary>One guest's backup, and where its reports go. Replaced whole, never mutated: the channel's threads read it.</summary>
    /// <param name="HostedGeneration">The generation it was last asked to back up (a promotion must be to a later one).</param>
    private sealed record Hosted(BackupReplica Replica, ulong GuestId, ulong HostedGeneration, IActorRef Primary, bool Promoted);

    private string Node => _setup.Node;

    public static Props Props(BackupHostSetup setup) => Akka.Actor.Props.Create(() => new BackupHostActor(setup));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case HostBackup host:
                OnHostBackup(host);
                break;
            case GenerationAdvanced advanced:
                OnGenerationAdvanced(advanced);
                break;
            case Promote promote:
                OnPromote(promote);
                break;
            case RunPrimary run:
                OnRunPrimary(run.Setup);
                break;
            case DropBackup drop:
                OnDropBackup(drop);
                break;
            case GetReplicaStatus status:
                OnStatus(status);
                break;
            case ChannelNote note:
                OnChannelNote(note);
                break;
            case ConnectionClosedNote closed:
                OnConnectionClosed(closed);
                break;
            case Terminated terminated:
                foreach (var guest in _primaries.Where(p => p.Value.Equals(terminated.ActorRef)).Select(p => p.Key).ToList()) _primaries.Remove(guest);
                break;
            case IGuestMessage m when _primaries.TryGetValue(m.Guest, out var primary):
                // A promoted guest's primary runs here: what is meant for it goes to it.
                primary.Forward(m);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnHostBackup(HostBackup host)
    {
        if (_primaries.ContainsKey(host.Guest))
        {
            Refuse(host, $"this node runs the primary of {host.Guest}");
            return;
        }
        if (_hosted.TryGetValue(host.Guest, out var h) && !h.Promoted)
        {
            if (h.GuestId != host.GuestId)
            {
                Refuse(host, $"this node backs up guest id {h.GuestId} under the name {host.Guest}, not {host.GuestId}");
                return;
            }
            if (host.Generation < h.Replica.HighestGeneration)
            {
                Refuse(host, $"generation {host.Generation} is fenced: this backup has seen {h.Replica.HighestGeneration}");
                return;
            }
            // The same guest for a newer generation (re-protection): the state stays until the primary's pre-copy replaces it.
            h.Replica.ObserveGeneration(host.Generation);
            _hosted[host.Guest] = h with { HostedGeneration = host.Generation, Primary = host.Primary };
        }
        else
        {
            var replica = new BackupReplica(Node, _setup.RestoreFull);
            replica.ObserveGeneration(host.Generation);
            _hosted[host.Guest] = new Hosted(replica, host.GuestId, host.Generation, host.Primary, false);
        }
        _log.Info("guest {0} generation {1} epoch {2}: backing up for {3}, phase {4}", host.Guest, host.Generation, _hosted[host.Guest].Replica.CommittedEpoch, host.Primary.Path, BackupPhase.Receiving);
        host.Primary.Tell(new BackupReady(host.Guest, host.Generation, Node, _advertisedHost, _port), Self);
    }

    private void Refuse(HostBackup host, string reason)
    {
        _log.Warning("guest {0} generation {1}: refusing to back up for {2}: {3}", host.Guest, host.Generation, host.Primary.Path, reason);
        host.Primary.Tell(new BackupRefused(host.Guest, host.Generation, Node, reason), Self);
    }

    private void OnGenerationAdvanced(GenerationAdvanced advanced)
    {
        if (_hosted.TryGetValue(advanced.Guest, out var h) && !h.Promoted)
        {
            // From now on the assembler refuses every frame below this generation, and the channel tells their sender.
            h.Replica.ObserveGeneration(advanced.Generation);
            _log.Info("guest {0} generation {1} epoch {2}: the backup now refuses every generation below {1}", advanced.Guest, advanced.Generation, h.Replica.CommittedEpoch);
        }
        if (_primaries.TryGetValue(advanced.Guest, out var primary)) primary.Forward(advanced);
    }

    private void OnPromote(Promote promote)
    {
        string? refusal = null;
        if (_primaries.ContainsKey(promote.Guest)) refusal = "its primary already runs here";
        else if (!_hosted.TryGetValue(promote.Guest, out var h) || h.Promoted) refusal = "no backup of it here";
        else if (promote.Generation <= h.HostedGeneration) refusal = $"generation {promote.Generation} does not follow generation {h.HostedGeneration}, which this node backs up";
        else if (promote.Generation < h.Replica.HighestGeneration) refusal = $"generation {promote.Generation} is fenced: this backup has seen {h.Replica.HighestGeneration}";
        if (refusal is not null)
        {
            _log.Warning("guest {0} generation {1}: promotion refused: {2}", promote.Guest, promote.Generation, refusal);
            Sender.Tell(new PromotionRefused(promote.Guest, promote.Generation, refusal));
            return;
        }
        var hosted = _hosted[promote.Guest];
        IGuest guest;
        try
        {
            // Fences every lower generation at once: from here no frame of the old primary is applied, so no ack of
            // it can leave this node, and the old primary can release nothing more that depends on this backup.
            guest = hosted.Replica.Promote(promote.Generation);
        }
        catch (InvalidOperationException e)
        {
            _log.Warning("guest {0} generation {1}: promotion refused: {2}", promote.Guest, promote.Generation, e.Message);
            Sender.Tell(new PromotionRefused(promote.Guest, promote.Generation, e.Message));
            return;
        }
        ulong committed = hosted.Replica.CommittedEpoch;
        _hosted[promote.Guest] = hosted with { Promoted = true };
        // The old primary may still release what this backup acknowledged, for up to its lease after shipping it: the
        // new primary's output waits until that lease has surely run out (docs/FAILOVER.md, "The release lease").
        var notBefore = hosted.Replica.ReleaseNotBefore(_setup.Settings.ReleaseLease);
        var wait = notBefore is { } nb ? Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nb) : TimeSpan.Zero;
        _log.Info("guest {0} generation {1} epoch {2}: backup -> promoted: resuming the committed state as primary{3}", promote.Guest, promote.Generation, committed,
            wait > TimeSpan.Zero ? $"; its output waits {wait.TotalMilliseconds:0} ms more for the old primary's release lease to run out" : "");
        JournalPromotion(promote.Guest, promote.Generation, hosted.HostedGeneration, committed);
        var setup = new PrimaryActorSetup(promote.Guest, hosted.GuestId, promote.Generation, guest, [], _setup.Gateway, _setup.Settings, _setup.Observer)
        {
            ReleaseNotBefore = notBefore,
        };
        var name = $"primary-{promote.Guest}";
        // The name is for people reading paths; a predecessor still stopping under it gets the new one a generated name.
        var primary = ActorPath.IsValidPathElement(name) && Context.Child(name).IsNobody() ? Context.ActorOf(PrimaryActor.Props(setup), name) : Context.ActorOf(PrimaryActor.Props(setup));
        Context.Watch(primary);
        _primaries[promote.Guest] = primary;
        Sender.Tell(new Promoted(promote.Guest, promote.Generation, committed, primary));
    }

    /// <summary>The node's release journal (when configured) records the promotion next to the releases that follow it.</summary>
    private void JournalPromotion(string guest, ulong generation, ulong fromGeneration, ulong committed)
    {
        if (_setup.Settings.Journal is not { } journal) return;
        try
        {
            ReleaseJournal.Shared(journal.File, journal.Node).Promoted(guest, generation, fromGeneration, committed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("guest {0} generation {1}: the release journal {2} cannot be written: {3}", guest, generation, journal.File, e.Message);
        }
    }

    private void OnRunPrimary(PrimaryActorSetup setup)
    {
        if (_primaries.ContainsKey(setup.Guest) || (_hosted.TryGetValue(setup.Guest, out var h) && !h.Promoted))
        {
            _log.Warning("guest {0} generation {1}: refusing to run its primary: this node already runs or backs it up", setup.Guest, setup.Generation);
            Sender.Tell(new Status.Failure(new InvalidOperationException($"node {Node} already runs or backs up guest {setup.Guest}")));
            return;
        }
        _hosted.TryRemove(setup.Guest, out _);
        var name = $"primary-{setup.Guest}";
        var primary = ActorPath.IsValidPathElement(name) && Context.Child(name).IsNobody() ? Context.ActorOf(PrimaryActor.Props(setup), name) : Context.ActorOf(PrimaryActor.Props(setup));
        Context.Watch(primary);
        _primaries[setup.Guest] = primary;
        Sender.Tell(primary);
    }

    private void OnDropBackup(DropBackup drop)
    {
        if (!_hosted.TryGetValue(drop.Guest, out var h) || h.HostedGeneration > drop.Generation) return;
        _hosted.TryRemove(drop.Guest, out _);
        _log.Info("guest {0} generation {1} epoch {2}: backup dropped", drop.Guest, drop.Generation, h.Replica.CommittedEpoch);
    }

    private void OnStatus(GetReplicaStatus status)
    {
        if (_primaries.TryGetValue(status.Guest, out var primary))
        {
            primary.Forward(status);
            return;
        }
        if (!_hosted.TryGetValue(status.Guest, out var h) || h.Promoted)
        {
            Sender.Tell(new NoReplica(status.Guest, Node));
            return;
        }
        var r = h.Replica;
        ulong committed = r.CommittedEpoch;
        string? hash = null;
        for (int attempt = 0; status.IncludeStateHash && attempt < 5; attempt++)
        {
            // The channel may commit while the hash is computed; an epoch unchanged across it names the hashed state.
            hash = r.CommittedHash() is { } value ? value.ToString("x32") : null;
            ulong after = r.CommittedEpoch;
            if (after == committed) break;
            committed = after;
            hash = null;
        }
        Sender.Tell(new ReplicaStatus(status.Guest, ReplicaRole.Backup, BackupPhase.Receiving.ToString(), r.HighestGeneration, committed, 0, committed, [], hash));
    }
}
