namespace FaultTolerant.Replica.Primary;

/// <summary>
/// Hears every release of a primary, on the primary's guest thread: what the chaos campaign's release journal needs to
/// check that two nodes never released output of one guest in overlapping time under different generations (DESIGN §5).
/// </summary>
/// <remarks>
/// Called on the guest thread between two epochs of a running guest: an implementation must not block, do I/O or
/// allocate per call (<see cref="ReleaseJournal"/> updates a span in place and hands finished spans to its own thread).
/// </remarks>
public interface IReleaseObserver
{
    /// <summary>The primary of <paramref name="guest"/> released the output of <paramref name="epoch"/> under <paramref name="generation"/>.</summary>
    /// <param name="timestamp">When, as <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>.</param>
    void Released(string guest, ulong generation, ulong epoch, long timestamp);

    /// <summary>That primary stopped (its guest ended, it was fenced or stopped): it releases nothing more.</summary>
    void Ended(string guest, ulong generation);

    /// <summary>
    /// A backup of <paramref name="fromGeneration"/> on this node was promoted to primary of <paramref name="generation"/>,
    /// resuming the state it committed at <paramref name="committedEpoch"/> (in the old primary's numbering of epochs).
    /// </summary>
    void Promoted(string guest, ulong generation, ulong fromGeneration, ulong committedEpoch)
    {
    }
}
