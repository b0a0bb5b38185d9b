using FaultTolerant.Cluster.Placement;

namespace FaultTolerant.Cluster.Hosting;

/// <summary>What an answer to a start request means for a declaration.</summary>
internal enum StartVerdict
{
    /// <summary>Started by this request.</summary>
    Started = 1,

    /// <summary>A guest of that name exists: the declaration is met.</summary>
    Existing = 2,

    /// <summary>The cluster cannot start it now (no majority, too few workers, a node slow to answer): ask again later.</summary>
    Transient = 3,

    /// <summary>Asking again would be refused again (a bad image, name, replica count or port): give up and say why.</summary>
    Permanent = 4,
}

/// <summary>How a declaration reads the coordinator's answers and how long it waits between requests. Pure.</summary>
internal static class DeclarationPolicy
{
    /// <summary>The wait after the first refusal; it doubles with each further one.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between requests: a cluster that becomes able to start the guest is noticed within it.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads an answer to <see cref="StartGuest"/> by its <see cref="RefusalReason"/>: refusals that depend on the cluster's
    /// state at that moment are retried; those that depend on the request itself are not.
    /// </summary>
    public static StartVerdict Judge(CommandResult result) => result switch
    {
        { Ok: true } => StartVerdict.Started,
        { Reason: RefusalReason.AlreadyExists } => StartVerdict.Existing,
        { Transient: true } => StartVerdict.Transient,
        _ => StartVerdict.Permanent,
    };

    /// <summary>
    /// The wait before request <paramref name="failures"/> + 1: doubling from <see cref="FirstBackoff"/> up to
    /// <see cref="MaxBackoff"/>, spread by ±20 % with <paramref name="jitter"/> in [0, 1) so that nodes declaring the same
    /// guest do not ask in step.
    /// </summary>
    public static TimeSpan Backoff(int failures, double jitter)
    {
        double doubled = FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 30));
        double capped = Math.Min(doubled, MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (0.4 * Math.Clamp(jitter, 0, 1))));
    }
}
