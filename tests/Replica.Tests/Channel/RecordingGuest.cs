using System.Collections.Concurrent;
using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Replica.Tests.Channel;

/// <summary>
/// A guest that remembers its state hash at every capture: the primary captures once per epoch, in order, so the
/// n-th capture is the state at the end of epoch n — what the backup must hold once it has committed epoch n.
/// </summary>
public sealed class RecordingGuest(IGuest inner) : IGuest
{
    private readonly ConcurrentDictionary<ulong, UInt128> _hashAt = new();
    private ulong _captures;

    public IReadOnlyDictionary<ulong, UInt128> HashAt => _hashAt;

    public GuestCheckpoint Checkpoint(bool full, bool completeKernel = false)
    {
        var checkpoint = inner.Checkpoint(full, completeKernel);
        _hashAt[++_captures] = inner.StateHash();
        return checkpoint;
    }

    public GuestStatus Status => inner.Status;

    public long InstructionsRetired => inner.InstructionsRetired;

    public GuestRunResult Run(long instructionBudget) => inner.Run(instructionBudget);

    public byte[] CaptureFull() => inner.CaptureFull();

    public byte[] CaptureDelta() => inner.CaptureDelta();

    public void ApplyCheckpoint(GuestCheckpoint delta) => inner.ApplyCheckpoint(delta);

    public bool TryCopyPage(ulong pageNumber, Span<byte> destination, out PagePermissions permissions) =>
        inner.TryCopyPage(pageNumber, destination, out permissions);

    public IReadOnlyList<ulong> MappedPageNumbers() => inner.MappedPageNumbers();

    public ulong CaptureSequence => inner.CaptureSequence;

    public UInt128 StateHash() => inner.StateHash();

    public GuestMemoryStatistics MemoryStatistics => inner.MemoryStatistics;

    public IReadOnlyDictionary<long, long> UnknownSyscalls => inner.UnknownSyscalls;

    public long Connect(int port, uint peerAddress = 0x7f000001, int peerPort = 0) => inner.Connect(port, peerAddress, peerPort);

    public int Deliver(long connectionId, ReadOnlySpan<byte> data) => inner.Deliver(connectionId, data);

    public void EndInput(long connectionId) => inner.EndInput(connectionId);

    public void Abort(long connectionId) => inner.Abort(connectionId);

    public int DeliverStdin(ReadOnlySpan<byte> data) => inner.DeliverStdin(data);

    public void EndStdin() => inner.EndStdin();

    public IReadOnlyList<ConnectionInfo> Connections => inner.Connections;

    public IReadOnlyList<GuestOutput> PendingOutput() => inner.PendingOutput();

    public IReadOnlyList<OutputMark> OutputMarks() => inner.OutputMarks();

    public byte[] ReadOutput(long streamId, long upToOffset) => inner.ReadOutput(streamId, upToOffset);

    public void ReleaseOutput(long streamId, long upToOffset) => inner.ReleaseOutput(streamId, upToOffset);

    public TimeSpan DelayUntil(long guestDeadlineNanoseconds) => inner.DelayUntil(guestDeadlineNanoseconds);
}
