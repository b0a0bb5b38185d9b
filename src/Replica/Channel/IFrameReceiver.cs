using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Channel;

/// <summary>
/// What a data-channel connection delivers to on the backup side: verified frames in order, or word that the
/// connection broke (a frame failed its checks, or the stream ended mid-frame). <see cref="BackupReplica"/>
/// implements it; whoever owns the backup reports the outcomes (acks, resync, fenced) to the primary.
/// </summary>
public interface IFrameReceiver
{
    AssemblyOutcome Receive(Frame frame);

    AssemblyOutcome ChannelBroken(string reason);
}
