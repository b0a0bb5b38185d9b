namespace FaultTolerant.Guest.Kernel;

/// <summary>clock_gettime, clock_getres, nanosleep.</summary>
internal sealed partial class LinuxKernel
{
    private const int ClockRealtime = 0, ClockMonotonic = 1, ClockProcessCpu = 2, ClockThreadCpu = 3, ClockMonotonicRaw = 4,
        ClockRealtimeCoarse = 5, ClockMonotonicCoarse = 6, ClockBoottime = 7;

    private long? ClockValue(int clock) => clock switch
    {
        ClockRealtime or ClockRealtimeCoarse => Clock.Realtime,
        ClockMonotonic or ClockMonotonicRaw or ClockMonotonicCoarse or ClockBoottime => Clock.Monotonic,
        // CPU time: the guest runs at a nominal 1 instruction per nanosecond.
        ClockProcessCpu or ClockThreadCpu => _hart.InstructionsRetired,
        _ => null,
    };

    private long ClockGettime(int clock, ulong timespec)
    {
        if (ClockValue(clock) is not { } now) return -Errno.EINVAL;
        return TryWriteTimespec(timespec, now) ? 0 : -Errno.EFAULT;
    }

    private long ClockGetres(int clock, ulong timespec)
    {
        if (ClockValue(clock) is null) return -Errno.EINVAL;
        return timespec == 0 || TryWriteTimespec(timespec, 1) ? 0 : -Errno.EFAULT;
    }

    private long Nanosleep(ulong request)
    {
        long r = ReadTimespec(request, out var duration);
        if (r != 0) return r;
        long deadline = DeadlineAfter(duration);
        if (Clock.SkipTo(deadline) || Clock.Monotonic >= deadline) return 0;
        return BlockOn("nanosleep", deadline);
    }
}
