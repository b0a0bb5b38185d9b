using Akka.Actor;
using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Actors;

/// <summary>
/// Marks the control messages of replication. They travel over Akka remoting and are bound (in
/// <c>hocon/replica.conf</c>) to <see cref="Serialization.ReplicationSerializer"/>: Hyperion restricted to the
/// types listed in <see cref="ReplicationProtocol.Messages"/> and <see cref="ReplicationProtocol.Contents"/>.
/// </summary>
public interface IReplicationMessage;

/// <summary>A replication message about one guest: every one names it, so a node hosting many routes by name.</summary>
public interface IGuestMessage : IReplicationMessage
{
    string Guest { get; }
}

/// <summary>The role a node plays for a guest.</summary>
public enum ReplicaRole
{
    Primary = 1,
    Backup = 2,
}

// --- Hosting a backup (primary → a backup node's BackupHostActor, and the answers) ---

/// <summary>
/// Asks a node to keep a backup of <paramref name="Guest"/> for <paramref name="Generation"/> and to report its
/// checkpoint acknowledgements to <paramref name="Primary"/>. Asked again with a higher generation, the node keeps
/// the state it has (a backup new to the generation is brought up by pre-copy anyway).
/// </summary>
/// <param name="GuestId">The guest's id on the data channel (every frame carries it).</param>
public sealed record HostBackup(string Guest, ulong GuestId, ulong Generation, IActorRef Primary) : IGuestMessage;

/// <summary>The backup is in place: connect the data channel to <paramref name="Host"/>:<paramref name="Port"/>.</summary>
/// <param name="BackupId">The backup's name in the primary's commit gate: acks, resyncs and links are keyed by it.</param>
public sealed record BackupReady(string Guest, ulong Generation, string BackupId, string Host, int Port) : IGuestMessage;

/// <summary>The node will not host this backup (a stale generation, or it runs the guest's primary itself).</summary>
public sealed record BackupRefused(string Guest, ulong Generation, string BackupId, string Reason) : IGuestMessage;

/// <summary>The coordinator no longer counts this backup (from <paramref name="Generation"/> on): drop its state.</summary>
public sealed record DropBackup(string Guest, ulong Generation) : IGuestMessage;

// --- The data channel's answers (a backup node → the primary) ---

/// <summary>The backup committed checkpoint <paramref name="Epoch"/> of <paramref name="Generation"/>.</summary>
public sealed record CheckpointAcked(string Guest, ulong Generation, ulong Epoch, string BackupId) : IGuestMessage;

/// <summary>The backup lost its place (a corrupt, missing or out-of-order frame, a broken connection): it needs a pre-copy.</summary>
public sealed record ResyncRequested(string Guest, ulong Generation, string BackupId, string Reason) : IGuestMessage;

/// <summary>
/// A backup refused a frame of <paramref name="FencedGeneration"/> because it has seen
/// <paramref name="HighestGeneration"/>: the primary of the lower generation must stop and release nothing more.
/// </summary>
public sealed record GenerationFenced(string Guest, ulong FencedGeneration, ulong HighestGeneration, string BackupId) : IGuestMessage;

// --- Generations (the coordinator → replicas) ---

/// <summary>
/// The coordinator wrote <paramref name="Generation"/> for the guest. A backup refuses every frame below it from now
/// on; a primary of a lower generation that is told this is fenced.
/// </summary>
public sealed record GenerationAdvanced(string Guest, ulong Generation) : IGuestMessage;

/// <summary>
/// The coordinator wrote <paramref name="Generation"/> and this primary remains the primary of it, protected by the
/// backups on <paramref name="BackupHosts"/> (none: it runs unprotected). Acks of older generations stop counting.
/// </summary>
public sealed record GenerationChanged(string Guest, ulong Generation, IActorRef[] BackupHosts) : IGuestMessage;

/// <summary>Makes the backup of <paramref name="Guest"/> on this node the primary of <paramref name="Generation"/>.</summary>
public sealed record Promote(string Guest, ulong Generation) : IGuestMessage;

/// <summary>The backup resumed the guest from its committed state at <paramref name="CommittedEpoch"/>, as primary of <paramref name="Generation"/>.</summary>
/// <param name="Primary">The new primary's actor, for status and for re-protecting it.</param>
public sealed record Promoted(string Guest, ulong Generation, ulong CommittedEpoch, IActorRef Primary) : IGuestMessage;

/// <summary>The node cannot promote: no backup of the guest here, no committed state, a stale generation, or already promoted.</summary>
public sealed record PromotionRefused(string Guest, ulong Generation, string Reason) : IGuestMessage;

// --- A primary's life (a PrimaryActor → its observer, e.g. the placement coordinator) ---

/// <summary>A backup acknowledged nothing new for longer than <c>ft.replica.ack-timeout</c> while output waits on it.</summary>
/// <param name="AckedEpoch">The last epoch it acknowledged (0: none).</param>
public sealed record BackupSilent(string Guest, ulong Generation, string BackupId, ulong AckedEpoch, TimeSpan Silence) : IGuestMessage;

/// <summary>The primary of <paramref name="Guest"/> runs, protected by <paramref name="Backups"/>.</summary>
public sealed record PrimaryStarted(string Guest, ulong Generation, string[] Backups) : IGuestMessage;

/// <summary>
/// A primary ended: its guest ended and everything was released, it was fenced, it was stopped, or it never
/// started (backups could not be recruited). <paramref name="Reason"/> says which, for people.
/// </summary>
public sealed record PrimaryStopped(string Guest, ulong Generation, PrimaryEndReason? End, string Reason, ulong Epoch, ulong ReleasedEpoch) : IGuestMessage;

/// <summary>
/// A backup's data channel from the primary of <paramref name="Generation"/> closed (told to the backup host's observer):
/// evidence, faster than the failure detector, that the primary's process may be gone. Only evidence: the coordinator
/// checks before it acts, and safety rests on fencing, never on this being right.
/// </summary>
public sealed record DataChannelLost(string Guest, ulong Generation, string BackupId, string Sender, string Reason) : IGuestMessage;

/// <summary>Stops a primary at once, releasing nothing more: a shutdown, or a test's stand-in for a crash.</summary>
public sealed record StopPrimary(string Guest) : IGuestMessage;

// --- Status (answerable by PrimaryActor and BackupHostActor; for `ft status`) ---

/// <summary>Asks for a replica's status; the answer is <see cref="ReplicaStatus"/> or <see cref="NoReplica"/>.</summary>
/// <param name="IncludeStateHash">Also hash a backup's committed state (it reads the whole guest: for tests and diagnosis).</param>
public sealed record GetReplicaStatus(string Guest, bool IncludeStateHash = false) : IGuestMessage;

/// <summary>One replica of a guest as it stands.</summary>
/// <param name="Phase">The replica's phase (a primary's <see cref="PrimaryPhase"/>, a backup's <see cref="BackupPhase"/>).</param>
/// <param name="Generation">The generation it serves (a backup: the highest it has seen).</param>
/// <param name="Epoch">A primary's current epoch; a backup's committed one.</param>
/// <param name="ReleasedEpoch">The last epoch whose output a primary released (0 for a backup).</param>
/// <param name="CommittedEpoch">A backup's committed epoch; for a primary, the newest epoch all its backups acknowledged.</param>
/// <param name="Backups">A primary's backups (empty for a backup).</param>
/// <param name="StateHash">A backup's committed state hash (hex), when asked for and there is one.</param>
/// <param name="EpochsPerSecond">A primary's epoch rate over the last few seconds.</param>
/// <param name="PauseMilliseconds">A primary's last epoch pause.</param>
/// <param name="HeldOutputBytes">A primary's output not yet released.</param>
public sealed record ReplicaStatus(
    string Guest,
    ReplicaRole Role,
    string Phase,
    ulong Generation,
    ulong Epoch,
    ulong ReleasedEpoch,
    ulong CommittedEpoch,
    string[] Backups,
    string? StateHash,
    double EpochsPerSecond = 0,
    double PauseMilliseconds = 0,
    long HeldOutputBytes = 0) : IGuestMessage;

/// <summary>This node has no replica of the guest.</summary>
public sealed record NoReplica(string Guest, string Node) : IGuestMessage;

/// <summary>The phases of a primary, in order; each transition is logged with guest, generation and epoch.</summary>
public enum PrimaryPhase
{
    /// <summary>Asking each backup node to host; nothing runs, so nothing can be released unprotected.</summary>
    Recruiting,

    /// <summary>The guest runs and every backup of the generation is in the commit gate.</summary>
    Running,

    /// <summary>Running, while the backups of a new generation are being hosted; the old ones still count until they are.</summary>
    Reprotecting,

    /// <summary>The guest no longer runs here.</summary>
    Ended,
}

/// <summary>The phases of a backup.</summary>
public enum BackupPhase
{
    /// <summary>Taking checkpoints from the primary (or waiting for its first).</summary>
    Receiving,
}

/// <summary>
/// Runs a fresh primary on this node under the backup host (local only, never sent: it carries the guest itself), so the
/// node knows it runs that guest's primary and refuses to back it up as well. Answered with the primary's actor.
/// </summary>
public sealed record RunPrimary(PrimaryActorSetup Setup);

/// <summary>The protocol's types, for the serializer's allow-list and for tests that check every one.</summary>
public static class ReplicationProtocol
{
    /// <summary>Every message: the concrete types implementing <see cref="IReplicationMessage"/>.</summary>
    public static IReadOnlyList<Type> Messages { get; } =
    [
        typeof(HostBackup), typeof(BackupReady), typeof(BackupRefused), typeof(DropBackup),
        typeof(CheckpointAcked), typeof(ResyncRequested), typeof(GenerationFenced),
        typeof(GenerationAdvanced), typeof(GenerationChanged), typeof(Promote), typeof(Promoted), typeof(PromotionRefused),
        typeof(BackupSilent), typeof(DataChannelLost), typeof(PrimaryStarted), typeof(PrimaryStopped), typeof(StopPrimary),
        typeof(GetReplicaStatus), typeof(ReplicaStatus), typeof(NoReplica),
    ];

    /// <summary>
    /// What the messages contain beyond the serializer's primitives (strings, integers, booleans and arrays of
    /// them, which Hyperion writes without a type name): enums, value types and arrays it names on the wire. An
    /// actor reference travels as Akka's surrogate, which carries only its path.
    /// </summary>
    public static IReadOnlyList<Type> Contents { get; } =
    [
        typeof(ReplicaRole), typeof(PrimaryEndReason), typeof(TimeSpan), typeof(IActorRef[]),
        typeof(ActorRefBase.Surrogate),
    ];
}
