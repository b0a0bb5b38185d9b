using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Channel;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Settings;

namespace FaultTolerant.Replica.Actors;

/// <summary>How a <see cref="PrimaryActor"/> starts.</summary>
/// <param name="GuestId">The guest's id on the data channel.</param>
/// <param name="State">The guest to run: freshly loaded, or a promoted backup's committed state. The replica's threads own it from the start.</param>
/// <param name="BackupHosts">The <see cref="BackupHostActor"/> of each backup node of <paramref name="Generation"/>; none runs the guest unprotected.</param>
/// <param name="Observer">Hears <see cref="PrimaryStarted"/>, <see cref="BackupSilent"/>, <see cref="BackupRefused"/> and <see cref="PrimaryStopped"/> (the placement coordinator).</param>
public sealed record PrimaryActorSetup(
    string Guest,
    ulong GuestId,
    ulong Generation,
    IGuest State,
    IReadOnlyList<IActorRef> BackupHosts,
    IGuestGateway Gateway,
    ReplicaSettings Settings,
    IActorRef? Observer = null)
{
    /// <summary>A promoted backup's: nothing is released before this Stopwatch timestamp (its old primary's lease). Null: no wait.</summary>
    public long? ReleaseNotBefore { get; init; }
}

/// <summary>
/// The primary of one guest on this node: a thin shell around <see cref="PrimaryReplica"/>, which makes every
/// decision (epochs, output commit, fencing) on its own threads. The actor recruits the backups, connects their
/// data channels, forwards their answers, and reports the primary's life to its observer.
/// </summary>
/// <remarks>
/// Phases (<see cref="PrimaryPhase"/>): Recruiting → Running ⇄ Reprotecting → Ended. The replica is built only when
/// every backup of the generation has answered, with all of them in its commit gate, so nothing is ever released on
/// the word of fewer backups than the generation has. Recruitment and re-protection are in
/// <c>PrimaryActor.Recruiting.cs</c>. The actor never blocks: the replica's end arrives as a message.
/// </remarks>
public sealed partial class PrimaryActor : UntypedActor, IWithTimers
{
    private readonly PrimaryActorSetup _setup;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly SilentBackupWatch _watch;
    private readonly string _node;
    private PrimaryPhase _phase = PrimaryPhase.Recruiting;
    private ulong _generation;

    /// <summary>The generation this primary attached to the node's gateway with (null until it did): what a detach names.</summary>
    private ulong? _attachedGeneration;
    private PrimaryReplica? _replica;
    private Dictionary<string, TcpBackupLink> _links = [];

    public PrimaryActor(PrimaryActorSetup setup)
    {
        _setup = setup;
        _generation = setup.Generation;
        _watch = new SilentBackupWatch(setup.Settings.AckTimeout);
        _node = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private string Guest => _setup.Guest;

    private ulong Epoch => _replica?.Epoch ?? 0;

    public static Props Props(PrimaryActorSetup setup) => Akka.Actor.Props.Create(() => new PrimaryActor(setup));

    protected override void PreStart()
    {
        _log.Info("guest {0} generation {1} epoch {2}: primary starting, {3} backup node(s) to recruit", Guest, _generation, Epoch, _setup.BackupHosts.Count);
        Recruit(_generation, _setup.BackupHosts);
    }

    protected override void PostRestart(Exception reason)
    {
        // A restart would build a second replica over the same guest object, which the first one's threads may still
        // be touching. PreRestart already stopped that replica (PostStop); this incarnation only reports and leaves.
        _log.Error(reason, "guest {0} generation {1}: primary actor failed; it is not restarted", Guest, _generation);
        _setup.Observer?.Tell(new PrimaryStopped(Guest, _generation, null, $"failed: {reason.Message}", 0, 0));
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        // Stopping the actor (a shutdown, a parent's failure) must not leave a guest running with nobody to hear its backups.
        _replica?.Stop();
        DisposeLinks(_links.Values);
        if (_recruiting is not null) DisposeLinks(_recruiting.Ready.Values);
    }

    protected override void OnReceive(object message)
    {
        if (message is IGuestMessage m && m.Guest != Guest)
        {
            _log.Warning("guest {0}: primary actor got {1} about guest {2}; ignored", Guest, m.GetType().Name, m.Guest);
            return;
        }
        switch (message)
        {
            case BackupReady ready:
                OnBackupReady(ready);
                break;
            case BackupRefused refused:
                RecruitFailed(refused.Generation, $"backup {refused.BackupId} refused: {refused.Reason}", refused);
                break;
            case RecruitTimeout timeout:
                OnRecruitTimeout(timeout);
                break;
            case CheckpointAcked ack:
                _replica?.Acked(ack.BackupId, ack.Generation, ack.Epoch);
                if (ack.Generation == _generation) _watch.Acked(ack.BackupId, ack.Epoch, _clock.Elapsed);
                break;
            case ResyncRequested resync:
                _log.Info("guest {0} generation {1} epoch {2}: backup {3} asks for a resync, a pre-copy follows ({4})", Guest, resync.Generation, Epoch, resync.BackupId, resync.Reason);
                _replica?.ResyncRequested(resync.BackupId, resync.Generation);
                break;
            case LinkBroken broken when broken.Generation == _generation:
                _log.Info("guest {0} generation {1} epoch {2}: data channel to {3} broke ({4}); a pre-copy follows", Guest, _generation, Epoch, broken.BackupId, broken.Reason);
                _replica?.ResyncRequested(broken.BackupId, broken.Generation);
                break;
            case LinkBroken:
                break;
            case GenerationFenced fenced:
                OnHigherGeneration(fenced.HighestGeneration, $"backup {fenced.BackupId} refused generation {fenced.FencedGeneration}, having seen {fenced.HighestGeneration}");
                break;
            case GenerationAdvanced advanced:
                OnHigherGeneration(advanced.Generation, $"generation {advanced.Generation} was written");
                break;
            case GenerationChanged changed:
                OnGenerationChanged(changed);
                break;
            case AckCheck:
                CheckSilentBackups();
                SampleEpochRate();
                break;
            case ReplicaEnded ended:
                End(ended.End.Reason, Describe(ended.End), ended.End.Epoch, ended.End.ReleasedEpoch);
                break;
            case ReplicaFailed failed:
                _log.Error(failed.Cause, "guest {0} generation {1} epoch {2}: the primary's guest thread failed", Guest, _generation, Epoch);
                End(null, $"failed: {failed.Cause.Message}", Epoch, _replica?.ReleasedEpoch ?? 0);
                break;
            case StopPrimary:
                OnStop();
                break;
            case GetReplicaStatus:
                Sender.Tell(Status());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void StartReplica(Dictionary<string, TcpBackupLink> links)
    {
        _links = links;
        var options = _setup.Settings.PrimaryOptionsFor(Guest, _setup.GuestId, _generation) with { ReleaseNotBefore = _setup.ReleaseNotBefore };
        var replica = new PrimaryReplica(_setup.State, options, [.. _links.Values], _setup.Gateway.SourceFor(Guest));
        // Inputs are routed to the replica before its thread starts: the guest is still ours to read here, and a
        // promoted guest's connections tell the gateway what to replay.
        _setup.Gateway.Attach(Guest, _generation, replica, _setup.State.Connections);
        _attachedGeneration = _generation;
        _replica = replica;
        replica.Start();
        replica.Completion.PipeTo(Self, success: end => new ReplicaEnded(end), failure: e => new ReplicaFailed(e));
        _watch.Reset(_links.Keys, _clock.Elapsed);
        var every = TimeSpan.FromTicks(Math.Max(_setup.Settings.AckTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
        Timers.StartPeriodicTimer(AckCheck.Instance, AckCheck.Instance, every);
        Transition(PrimaryPhase.Running, _links.Count == 0 ? "unprotected: no backups" : $"protected by {string.Join(", ", _links.Keys)}");
        _setup.Observer?.Tell(new PrimaryStarted(Guest, _generation, [.. _links.Keys]));
    }

    /// <summary>Someone has seen a generation above ours: the replica stops its guest and releases nothing more.</summary>
    private void OnHigherGeneration(ulong generation, string why)
    {
        if (generation <= _generation) return;
        // Our own re-protection raises the backups' generation before we switch to it; their refusals of our
        // frames of the old generation mean "come with the new one", not that someone else is primary.
        if (_recruiting is { } r && _replica is not null && generation == r.Generation) return;
        _log.Warning("guest {0} generation {1} epoch {2}: fenced: {3}", Guest, _generation, Epoch, why);
        if (_replica is null)
        {
            End(PrimaryEndReason.Fenced, $"fenced before it started: {why}", 0, 0);
            return;
        }
        _replica.Fence(generation);
    }

    private void OnStop()
    {
        if (_replica is null)
        {
            End(PrimaryEndReason.Stopped, "stopped before it started", 0, 0);
            return;
        }
        _log.Info("guest {0} generation {1} epoch {2}: stopping at once, releasing nothing more", Guest, _generation, Epoch);
        _replica.Stop();
    }

    private (TimeSpan At, ulong Epoch) _rateSample;
    private double _epochRate;

    /// <summary>Epochs per second since the previous sample (taken on the ack-check timer, every second or so).</summary>
    private void SampleEpochRate()
    {
        var now = _clock.Elapsed;
        var epoch = Epoch;
        var span = now - _rateSample.At;
        if (span >= TimeSpan.FromMilliseconds(500))
        {
            _epochRate = (epoch - _rateSample.Epoch) / span.TotalSeconds;
            _rateSample = (now, epoch);
        }
    }

    private void CheckSilentBackups()
    {
        if (_replica is null) return;
        foreach (var s in _watch.Check(_clock.Elapsed, _replica.ReleasedEpoch < _replica.Epoch))
        {
            _log.Warning("guest {0} generation {1} epoch {2}: backup {3} acknowledged nothing since epoch {4} for {5:0.0} s while output waits",
                Guest, _generation, Epoch, s.BackupId, s.AckedEpoch, s.Silence.TotalSeconds);
            _setup.Observer?.Tell(new BackupSilent(Guest, _generation, s.BackupId, s.AckedEpoch, s.Silence));
        }
    }

    private void End(PrimaryEndReason? reason, string why, ulong epoch, ulong released)
    {
        if (_phase == PrimaryPhase.Ended) return;
        Transition(PrimaryPhase.Ended, $"{why}; released up to epoch {released}");
        // Gateways attached to this primary learn at once that it is gone, rather than when their sessions time out.
        if (_attachedGeneration is { } attached) _setup.Gateway.Detach(Guest, attached);
        _setup.Observer?.Tell(new PrimaryStopped(Guest, _generation, reason, why, epoch, released));
        Context.Stop(Self);
    }

    private ReplicaStatus Status()
    {
        ulong released = _replica?.ReleasedEpoch ?? 0;
        ulong committed = _links.Count == 0 ? released : _watch.CommittedEpoch;
        return new ReplicaStatus(Guest, ReplicaRole.Primary, _phase.ToString(), _generation, Epoch, released, committed, [.. _links.Keys], null,
            _epochRate, _replica?.LastPause.TotalMilliseconds ?? 0, _replica?.HeldOutputBytes ?? 0);
    }

    private void Transition(PrimaryPhase to, string why)
    {
        _log.Info("guest {0} generation {1} epoch {2}: primary {3} -> {4} ({5})", Guest, _generation, Epoch, _phase, to, why);
        _phase = to;
    }

    private static string Describe(PrimaryEnd end) => end.Reason switch
    {
        PrimaryEndReason.GuestEnded => $"the guest ended ({end.GuestResult}) and its output was released",
        PrimaryEndReason.Fenced => "fenced by a higher generation",
        PrimaryEndReason.Stopped => "stopped",
        _ => end.Reason.ToString(),
    };

    private static void DisposeLinks(IEnumerable<TcpBackupLink> links)
    {
        // Closing a link waits for its writer; nothing here may block, so the disposals finish on their own.
        foreach (var link in links) _ = link.DisposeAsync().AsTask();
    }

    private sealed record ReplicaEnded(PrimaryEnd End);

    private sealed record ReplicaFailed(Exception Cause);

    /// <summary>A link's writer found the connection broken (on the link's thread, hence a message).</summary>
    private sealed record LinkBroken(string BackupId, ulong Generation, string Reason);

    private sealed record AckCheck
    {
        public static readonly AckCheck Instance = new();
    }
}
