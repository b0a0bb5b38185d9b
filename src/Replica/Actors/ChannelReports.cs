using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Channel;

namespace FaultTolerant.Replica.Actors;

/// <summary>What a backup tells its primary about one data-channel outcome: a pure mapping.</summary>
public static class ChannelReports
{
    /// <summary>The message for the primary, or null when there is nothing to say (a frame merely staged).</summary>
    public static IGuestMessage? For(ChannelOutcome outcome, string backupId)
    {
        string guest = outcome.Peer.GuestName;
        return outcome.Outcome switch
        {
            AssemblyOutcome.Committed c => new CheckpointAcked(guest, c.Generation, c.Epoch, backupId),
            // The generation of the frame that failed (or of the last one read, for a broken connection): a primary
            // of that generation acts on it, one of a later generation ignores it.
            AssemblyOutcome.ResyncNeeded r => new ResyncRequested(guest, outcome.Generation, backupId, r.Reason),
            AssemblyOutcome.Fenced f => new GenerationFenced(guest, f.FrameGeneration, f.HighestGeneration, backupId),
            _ => null,
        };
    }
}
