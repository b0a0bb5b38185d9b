using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Replica.Inputs;

/// <summary>Output that may now leave for the outside world: bytes from <see cref="Offset"/> of one stream.</summary>
/// <param name="Closed">The guest closed the stream and the close is committed too.</param>
public sealed record ReleasedOutput(long StreamId, long Offset, byte[] Data, bool Closed);

/// <summary>One release: the epoch committed on every backup, its output, and each connection's committed offsets.</summary>
public sealed record ReleasedEpoch(ulong Generation, ulong Epoch, IReadOnlyList<ReleasedOutput> Output, IReadOnlyList<CommittedOffsets> Connections);

/// <summary>
/// Where a replicated guest's inputs come from and its committed output goes: the gateway that carries the
/// guest's network identity, or a test driver. The source keeps every input byte until a release shows the
/// connection's committed received offset past it; after a failover it replays the rest to the new primary,
/// and it forwards only output bytes past what it already delivered (DESIGN §4).
/// </summary>
public interface IInputSource
{
    /// <summary>Called on the primary's guest thread for each release, in epoch order. Must not block.</summary>
    void OnRelease(ReleasedEpoch release);
}

/// <summary>The inputs a primary takes. Thread-safe: calls are queued to the guest's thread.</summary>
public interface IGuestInputs
{
    /// <exception cref="FaultTolerant.Guest.GuestConnectionRefusedException">Through the task: nothing listens, or the backlog is full.</exception>
    Task<long> ConnectAsync(int port, uint peerAddress = 0x7f000001, int peerPort = 0);

    /// <summary>Client bytes, in order; the primary delivers them as the guest's receive buffer allows.</summary>
    void Deliver(long connection, byte[] data);

    void EndInput(long connection);
}
