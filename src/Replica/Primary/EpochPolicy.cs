namespace FaultTolerant.Replica.Primary;

/// <summary>
/// When an epoch ends: at the max interval, or as soon as output is waiting and the min interval has
/// passed, so a request's reply waits about one short epoch, not a whole long one (DESIGN §3 step 2).
/// </summary>
public sealed record EpochPolicy(TimeSpan MaxInterval, TimeSpan MinInterval)
{
    /// <summary>Remus's 25 ms, and about 1 ms when a reply is waiting.</summary>
    public static readonly EpochPolicy Default = new(TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(1));

    public bool ShouldEnd(TimeSpan elapsed, bool outputWaiting) =>
        elapsed >= MaxInterval || (outputWaiting && elapsed >= MinInterval);

    /// <summary>How long the guest may still run (or wait) before this epoch must end.</summary>
    public TimeSpan Remaining(TimeSpan elapsed, bool outputWaiting)
    {
        var limit = outputWaiting ? MinInterval : MaxInterval;
        return elapsed >= limit ? TimeSpan.Zero : limit - elapsed;
    }
}
