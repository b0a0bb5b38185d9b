namespace FaultTolerant.Replica.Wire;

/// <summary>The frames of the checkpoint data channel, primary → backup.</summary>
public enum FrameType : byte
{
    /// <summary>First frame on a connection: which guest and generation the primary ships, and the channel format.</summary>
    Hello = 1,

    /// <summary>Opens checkpoint e: full or delta, the capture sequence it follows, the machine section, unmapped pages.</summary>
    CheckpointBegin = 2,

    /// <summary>A batch of encoded pages of the open checkpoint.</summary>
    Pages = 3,

    /// <summary>Closes checkpoint e with its page count and a hash of its decoded content; the backup applies it now.</summary>
    CheckpointEnd = 4,

    /// <summary>
    /// Starts an iterative pre-copy for a backup that has no usable state: Pages frames outside any checkpoint
    /// now carry copies of every page taken while the guest runs (fuzzy), and deltas overlay them.
    /// </summary>
    SyncBegin = 5,

    /// <summary>Every page has been copied once: the next delta makes the staged image consistent, and it is committed.</summary>
    SyncEnd = 6,
}
