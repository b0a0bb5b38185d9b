namespace FaultTolerant.Replica.Primary;

/// <summary>
/// The primary's end of one backup's data channel. Sends are fire-and-forget and in order; the backup's
/// answers (ack, resync, fenced) come back through <see cref="PrimaryReplica"/>'s control methods.
/// </summary>
public interface IBackupLink
{
    string BackupId { get; }

    void Send(EncodedCheckpoint checkpoint);

    /// <summary>Bytes handed to <see cref="Send"/> and not yet on the wire: the primary paces a pre-copy by it.</summary>
    long QueuedBytes { get; }
}
