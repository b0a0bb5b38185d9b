using FaultTolerant.Guest.Kernel;

namespace FaultTolerant.Guest;

/// <summary>
/// A guest process whose entire state can be captured, shipped and resumed. This is all the
/// replication layer sees: nothing here depends on the instruction set.
/// </summary>
/// <remarks>Not thread-safe: one thread owns a guest at a time (its run thread).</remarks>
public interface IGuest
{
    /// <summary>The outcome of the last run: whether it may run again.</summary>
    GuestStatus Status { get; }

    long InstructionsRetired { get; }

    /// <summary>Runs at most <paramref name="instructionBudget"/> instructions.</summary>
    GuestRunResult Run(long instructionBudget);

    /// <summary>The whole state: memory, registers, kernel. Starts a new dirty-tracking epoch.</summary>
    byte[] CaptureFull();

    /// <summary>What changed since the previous capture (full or delta). Starts a new epoch.</summary>
    /// <exception cref="InvalidOperationException">No full capture was taken first.</exception>
    byte[] CaptureDelta();

    /// <summary>
    /// Captures the state in parts (machine section and pages) for shipping page by page: the whole state
    /// when <paramref name="full"/>, otherwise what changed since the previous capture. The dirty pages are
    /// copied once, into the checkpoint; that copy is the whole pause. Starts a new epoch.
    /// </summary>
    /// <param name="completeKernel">
    /// Carry the whole kernel state even in a delta (every file's contents, not only those modified since the
    /// previous capture): for a receiver that will build a full state from this delta's machine section.
    /// </param>
    /// <exception cref="InvalidOperationException">A delta was asked for before any full capture.</exception>
    State.GuestCheckpoint Checkpoint(bool full, bool completeKernel = false);

    /// <summary>Applies a delta that follows this guest's last capture or applied checkpoint, atomically.</summary>
    /// <exception cref="GuestStateException">The delta is inconsistent or out of sequence; the guest is unchanged.</exception>
    void ApplyCheckpoint(State.GuestCheckpoint delta);

    /// <summary>Copies a mapped page's current bytes (zeros if never written) and rights; false if the page is not mapped.</summary>
    bool TryCopyPage(ulong pageNumber, Span<byte> destination, out Memory.PagePermissions permissions);

    /// <summary>Every mapped page number, ascending (for a pre-copy that walks the address space while the guest runs).</summary>
    IReadOnlyList<ulong> MappedPageNumbers();

    /// <summary>The sequence number of the last capture (0 before any): each delta names the one it follows.</summary>
    ulong CaptureSequence { get; }

    /// <summary>A hash over the entire guest state (not over capture bookkeeping or dirty bits).</summary>
    UInt128 StateHash();

    /// <summary>Memory figures: mapped, resident and dirty pages.</summary>
    GuestMemoryStatistics MemoryStatistics { get; }

    /// <summary>Syscalls the guest made that this kernel does not implement (number → count); each returned ENOSYS.</summary>
    IReadOnlyDictionary<long, long> UnknownSyscalls { get; }

    /// <summary>Opens a connection from the outside to a guest listener.</summary>
    /// <exception cref="GuestConnectionRefusedException">Nothing listens on the port, or its backlog is full.</exception>
    long Connect(int port, uint peerAddress = 0x7f000001, int peerPort = 0);

    /// <summary>Delivers client bytes; returns how many were taken (fewer when the guest's receive buffer is full).</summary>
    int Deliver(long connectionId, ReadOnlySpan<byte> data);

    /// <summary>The client finished sending (half-close): the guest reads end-of-file after the delivered bytes.</summary>
    void EndInput(long connectionId);

    /// <summary>The client is gone: guest writes fail, unreleased output is dropped.</summary>
    void Abort(long connectionId);

    int DeliverStdin(ReadOnlySpan<byte> data);

    void EndStdin();

    IReadOnlyList<ConnectionInfo> Connections { get; }

    /// <summary>Output waiting for release, per stream (stdout, stderr, each connection), oldest byte first.</summary>
    IReadOnlyList<GuestOutput> PendingOutput();

    /// <summary>Where each stream with unreleased output (or an unreleased close) stands: cheap, no bytes copied.</summary>
    IReadOnlyList<OutputMark> OutputMarks();

    /// <summary>A stream's unreleased bytes from its released offset up to <paramref name="upToOffset"/>.</summary>
    /// <exception cref="ArgumentException">No such stream, or the offset is outside its unreleased bytes.</exception>
    byte[] ReadOutput(long streamId, long upToOffset);

    /// <summary>Drops a stream's output up to an offset, once the host has delivered it.</summary>
    void ReleaseOutput(long streamId, long upToOffset);

    /// <summary>How long to wait, in host time, until a guest-clock deadline of a blocked guest.</summary>
    TimeSpan DelayUntil(long guestDeadlineNanoseconds);
}

public enum GuestStatus
{
    Runnable,
    Exited,
    Faulted,
}

/// <summary>One stream's unreleased output. <see cref="Offset"/> is the stream offset of the first byte.</summary>
/// <param name="Closed">The guest closed the stream: nothing follows these bytes.</param>
public sealed record GuestOutput(long StreamId, long Offset, byte[] Data, bool Closed);

/// <summary>A stream's unreleased output: released up to <see cref="Released"/>, written up to <see cref="Sent"/>.</summary>
public readonly record struct OutputMark(long StreamId, long Released, long Sent, bool Closed);

public sealed record GuestMemoryStatistics(long MappedPages, long ResidentPages, int DirtyPages, long LimitPages);

/// <summary>How a run ended.</summary>
public abstract record GuestRunResult
{
    public sealed record Exited(int Code) : GuestRunResult;

    /// <summary>A syscall must wait. Resume (call Run again) after input arrives or after <see cref="WakeAfter"/>.</summary>
    public sealed record Blocked(GuestWait Wait, TimeSpan? WakeAfter) : GuestRunResult;

    public sealed record BudgetExhausted : GuestRunResult
    {
        public static readonly BudgetExhausted Instance = new();
    }

    /// <summary>The guest faulted: it cannot run again. The host is unaffected.</summary>
    public sealed record Faulted(Memory.FaultCause Cause, ulong Pc, ulong Address, string? Detail = null) : GuestRunResult
    {
        public override string ToString() =>
            $"guest fault: {Cause} at pc 0x{Pc:x}, address 0x{Address:x}{(Detail is null ? "" : $" ({Detail})")}";
    }
}

/// <summary>How a guest is built: its limits, clock and entropy.</summary>
public sealed record GuestOptions
{
    public const long DefaultMemoryLimit = 1L << 30;

    /// <summary>Bytes of guest address space that may be mapped at once (stack, heap, mmap, segments).</summary>
    public long MemoryLimit { get; init; } = DefaultMemoryLimit;

    public GuestClockMode ClockMode { get; init; } = GuestClockMode.Host;

    public IHostClock HostClock { get; init; } = SystemHostClock.Instance;

    /// <summary>Seeds the guest's entropy; null draws the seed from the host.</summary>
    public ulong? RandomSeed { get; init; }

    public string Hostname { get; init; } = "ft-guest";

    /// <summary>Unreleased stdout or stderr bytes at which the guest's writes block.</summary>
    public int OutputBufferBytes { get; init; } = 4 << 20;

    /// <summary>Per-connection send and receive buffer sizes.</summary>
    public int SocketBufferBytes { get; init; } = 4 << 20;

    internal KernelLimits KernelLimits => new(1, Hostname, OutputBufferBytes, SocketBufferBytes, SocketBufferBytes);
}
