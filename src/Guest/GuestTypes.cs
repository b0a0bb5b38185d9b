namespace FaultTolerant.Guest;

/// <summary>What a blocked guest waits for: input on its descriptors, and possibly a guest-clock deadline.</summary>
/// <param name="Syscall">The waiting syscall, for diagnostics.</param>
/// <param name="DeadlineNanoseconds">When the wait ends by itself, on the guest's monotonic clock; null if only input ends it.</param>
public sealed record GuestWait(string Syscall, long? DeadlineNanoseconds);

/// <summary>Stream ids of the host-facing output API. Connections use their own ids, from 16 up.</summary>
public static class GuestStreams
{
    public const long Stdout = 1;
    public const long Stderr = 2;
    public const long FirstConnection = 16;
}

/// <summary>A connection's byte accounting, as the host sees it.</summary>
public sealed record ConnectionInfo(
    long Id,
    int Port,
    long Received,
    long Sent,
    long Released,
    bool Accepted,
    bool InputEnded,
    bool OutputClosed);
