using System.Diagnostics;

namespace FaultTolerant.Guest.Kernel;

/// <summary>Where a guest's time comes from.</summary>
public enum GuestClockMode
{
    /// <summary>The host's clocks. The guest's monotonic clock is shifted so it never goes backwards, also after a restore elsewhere.</summary>
    Host,

    /// <summary>
    /// Time is a function of execution alone: 1 ns per retired instruction plus every timed wait, which
    /// completes at once by advancing the clock. Runs are reproducible to the byte; for tests and replay.
    /// </summary>
    Virtual,
}

/// <summary>The host's clocks, injectable for tests.</summary>
public interface IHostClock
{
    long MonotonicNanoseconds { get; }

    long RealtimeNanoseconds { get; }
}

public sealed class SystemHostClock : IHostClock
{
    public static readonly SystemHostClock Instance = new();

    public long MonotonicNanoseconds => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    public long RealtimeNanoseconds => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}

/// <summary>The guest's clocks. Their state (offset, high-water mark, virtual advance) is guest state.</summary>
internal sealed class GuestClock(GuestClockMode mode, IHostClock host, Func<long> instructionsRetired)
{
    /// <summary>The realtime clock of a virtual-time guest starts here: 2026-01-01T00:00:00Z.</summary>
    public const long VirtualEpochNanoseconds = 1_767_225_600L * 1_000_000_000;

    public GuestClockMode Mode { get; } = mode;

    /// <summary>Guest monotonic = host monotonic + offset (host mode).</summary>
    public long Offset { get; set; } = -host.MonotonicNanoseconds;

    /// <summary>The largest monotonic value handed out; never goes backwards.</summary>
    public long HighWater { get; set; }

    /// <summary>Nanoseconds skipped by timed waits (virtual mode).</summary>
    public long Skipped { get; set; }

    public long Monotonic
    {
        get
        {
            long now = Mode == GuestClockMode.Virtual ? instructionsRetired() + Skipped : host.MonotonicNanoseconds + Offset;
            if (now > HighWater) HighWater = now;
            return HighWater;
        }
    }

    public long Realtime => Mode == GuestClockMode.Virtual ? VirtualEpochNanoseconds + Monotonic : host.RealtimeNanoseconds;

    /// <summary>In virtual mode, a timed wait ends by moving time to its deadline.</summary>
    public bool SkipTo(long deadline)
    {
        if (Mode != GuestClockMode.Virtual) return false;
        long now = Monotonic;
        if (deadline > now) Skipped += deadline - now;
        return true;
    }

    /// <summary>The guest's time now, without recording it as handed out.</summary>
    public long Peek() => Math.Max(HighWater, Mode == GuestClockMode.Virtual ? instructionsRetired() + Skipped : host.MonotonicNanoseconds + Offset);

    /// <summary>
    /// After a restore, possibly on another host: guest time continues from the captured time, so the
    /// monotonic clock never goes backwards (the captured time is at least every value handed out).
    /// </summary>
    public void Resume(long capturedMonotonic)
    {
        if (Mode == GuestClockMode.Host) Offset = capturedMonotonic - host.MonotonicNanoseconds;
    }

    /// <summary>Nanoseconds of host time until a guest-clock deadline (zero when past).</summary>
    public TimeSpan HostDelayUntil(long deadline)
    {
        long delta = deadline - Monotonic;
        return delta <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(delta / 100, TimeSpan.MaxValue.Ticks / 2));
    }
}
