using System.IO.Hashing;
using Akka.Actor;
using Akka.Event;
using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>
/// A node's declarations of protected guests: once the node is up, each asks the coordinator to start its guest unless
/// one of that name already exists, and asks again with backoff while the cluster cannot start it yet. Several nodes
/// may declare the same guest, and a restarted service declares it again: whoever asks first starts it, the others
/// find it. What an answer means is decided in <see cref="DeclarationPolicy"/>; this actor only asks and keeps score.
/// </summary>
internal sealed class GuestDeclarations : ReceiveActor, IWithTimers
{
    /// <summary>A status answer costs the coordinator a round of the primaries (at most a second); this leaves it room.</summary>
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A start is two majority writes and the primary's start (its backups recruited): tens of seconds at worst.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly IActorRef _coordinator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Declaration> _declarations = [];
    private bool _up;
    private long _rounds;

    public GuestDeclarations(IActorRef coordinator)
    {
        _coordinator = coordinator;
        Receive<Declare>(OnDeclare);
        Receive<GetDeclarations>(_ => Sender.Tell(_declarations.Values.Select(d => d.State).OrderBy(s => s.Name, StringComparer.Ordinal).ToArray()));
        Receive<NodeUp>(_ =>
        {
            _up = true;
            foreach (var d in _declarations.Values.Where(d => !d.State.Settled)) Self.Tell(new Attempt(d.Guest.Name, d.Round));
        });
        Receive<Attempt>(OnAttempt);
        Receive<AttemptOutcome>(OnOutcome);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef coordinator) => Akka.Actor.Props.Create(() => new GuestDeclarations(coordinator));

    protected override void PreStart()
    {
        var self = Self;
        Akka.Cluster.Cluster.Get(Context.System).RegisterOnMemberUp(() => self.Tell(NodeUp.Instance));
    }

    private sealed class Declaration(ProtectedGuest guest, long round, GuestDeclaration state)
    {
        public ProtectedGuest Guest { get; } = guest;

        public long Round { get; } = round;

        public GuestDeclaration State { get; set; } = state;

        public List<IActorRef> Waiters { get; } = [];
    }

    private void OnDeclare(Declare declare)
    {
        var guest = declare.Guest;
        var waiting = _up ? "asking the coordinator" : "waiting for this node to join the cluster";
        var declaration = new Declaration(guest, ++_rounds, new GuestDeclaration(guest.Name, DeclarationPhase.Waiting, 0, waiting, DateTimeOffset.UtcNow));
        if (_declarations.Remove(guest.Name, out var previous))
        {
            // A declaration of the same name replaces the old one; whoever waited for the old one gets the new one's end.
            declaration.Waiters.AddRange(previous.Waiters);
            Timers.Cancel(previous.Guest.Name);
        }
        _declarations[guest.Name] = declaration;
        if (declare.ReplyWhenSettled) declaration.Waiters.Add(Sender);
        _log.Info("guest {0}: declared protected: {1}; {2}", guest.Name, guest, waiting);
        if (_up) Self.Tell(new Attempt(guest.Name, declaration.Round));
    }

    private void OnAttempt(Attempt attempt)
    {
        if (!_declarations.TryGetValue(attempt.Name, out var d) || d.Round != attempt.Round || d.State.Settled) return;
        d.State = d.State with { Attempts = d.State.Attempts + 1 };
        var (name, round) = (d.Guest.Name, d.Round);
        AskAsync(_coordinator, d.Guest, round).PipeTo(Self,
            failure: e => new AttemptOutcome(name, round, StartVerdict.Transient, $"asking the coordinator failed: {e.GetBaseException().Message}"));
    }

    /// <summary>
    /// Status first: a guest that exists is found without shipping its image again (a restart, or another node was
    /// first). Then the start request; its "already exists" covers a guest started between the two.
    /// </summary>
    private static async Task<AttemptOutcome> AskAsync(IActorRef coordinator, ProtectedGuest guest, long round)
    {
        try
        {
            var status = await coordinator.Ask<ClusterStatus>(GetClusterStatus.Instance, StatusTimeout);
            if (status.Guests.FirstOrDefault(g => g.Entry.Name == guest.Name) is { } found)
            {
                return new AttemptOutcome(guest.Name, round, StartVerdict.Existing, Found(found.Entry, guest));
            }
            var result = await coordinator.Ask<CommandResult>(guest.ToRequest(), StartTimeout);
            var verdict = DeclarationPolicy.Judge(result);
            var message = verdict == StartVerdict.Existing && result.Guest is { } entry ? Found(entry, guest) : result.Message;
            return new AttemptOutcome(guest.Name, round, verdict, message);
        }
        catch (AskTimeoutException)
        {
            return new AttemptOutcome(guest.Name, round, StartVerdict.Transient, "the coordinator did not answer in time (it may be moving, or still reading the guest table)");
        }
    }

    private static string Found(GuestEntry entry, ProtectedGuest guest)
    {
        var found = $"already in the guest table: generation {entry.Generation}, primary {entry.Primary}, backups [{string.Join(", ", entry.Backups)}], {entry.Phase}";
        var declared = Convert.ToHexStringLower(XxHash128.Hash(guest.Image));
        // The running guest is left as it is: replacing it is a stop and a start, which only its owner should decide.
        return declared == entry.ImageHash ? found : $"{found}; it runs another image ({entry.ImageHash}) than the one declared here ({declared}), and is left as it is";
    }

    private void OnOutcome(AttemptOutcome outcome)
    {
        if (!_declarations.TryGetValue(outcome.Name, out var d) || d.Round != outcome.Round) return;
        var now = DateTimeOffset.UtcNow;
        switch (outcome.Verdict)
        {
            case StartVerdict.Started:
                Settle(d, DeclarationPhase.Started, outcome.Message, now);
                _log.Info("guest {0}: declaration settled: started by this node after {1} request(s): {2}", d.Guest.Name, d.State.Attempts, outcome.Message);
                break;
            case StartVerdict.Existing:
                Settle(d, DeclarationPhase.Existing, outcome.Message, now);
                _log.Info("guest {0}: declaration settled: {1}", d.Guest.Name, outcome.Message);
                break;
            case StartVerdict.Permanent:
                Settle(d, DeclarationPhase.Refused, outcome.Message, now);
                _log.Error("guest {0}: declaration refused by the cluster and not retried: {1}. Fix the declaration and restart the service (or declare it again).",
                    d.Guest.Name, outcome.Message);
                break;
            default:
                var wait = DeclarationPolicy.Backoff(d.State.Attempts, Random.Shared.NextDouble());
                d.State = d.State with { Message = outcome.Message, Since = d.State.Message == outcome.Message ? d.State.Since : now };
                _log.Warning("guest {0}: not started yet ({1}); request {2} in {3:0.0} s", d.Guest.Name, outcome.Message, d.State.Attempts + 1, wait.TotalSeconds);
                Timers.StartSingleTimer(d.Guest.Name, new Attempt(d.Guest.Name, d.Round), wait);
                break;
        }
    }

    private static void Settle(Declaration d, DeclarationPhase phase, string message, DateTimeOffset now)
    {
        d.State = d.State with { Phase = phase, Message = message, Since = now };
        foreach (var waiter in d.Waiters) waiter.Tell(d.State);
        d.Waiters.Clear();
    }
}
