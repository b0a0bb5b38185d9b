namespace FaultTolerant.Replica.Primary;

/// <summary>
/// The primary's end of one backup's data channel. Sends are fire-and-forget and in order; the backup's
/// answers (ack, resync, fenced) come back through <see cref="PrimaryReplica"/>'s control methods.
/// </summary>
public interface IBackupLink
{
    string BackupId { get; }

    void Send(EncodedCheckpoint checkpoint);
}
