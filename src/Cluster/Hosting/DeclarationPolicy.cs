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

    // The coordinator's refusals are text (CommandResult carries no reason code), so they are read here and nowhere else.
    // Only refusals that depend on the cluster's state at that moment are retried; those that depend on the request
    // itself are not, and a refusal this list does not know is taken as the latter: a declaration that gives up too early
    // says so in the log, while one that retries a bad request forever only fills it.
    private static readonly string[] Transient =
    [
        // The coordinator is on the minority side of a partition, or members are still joining.
        "does not see a majority",
        // The majority write of the new row failed.
        "no majority",
        // Fewer workers are up and registered than the primary and its backups need.
        "eligible worker nodes",
        // The primary's node, or a worker asked about its gateway ports, was slow or is gone.
        "did not answer",
        // A worker's gateway port is held by another program, for now.
        "cannot listen on the guest's cluster ports",
    ];

    /// <summary>Reads an answer to <see cref="StartGuest"/>.</summary>
    public static StartVerdict Judge(CommandResult result)
    {
        if (result.Ok) return StartVerdict.Started;
        var message = result.Message;
        if (message.Contains("already exists", StringComparison.Ordinal)) return StartVerdict.Existing;
        if (message.Contains("the image cannot run", StringComparison.Ordinal)) return StartVerdict.Permanent;
        if (Transient.Any(t => message.Contains(t, StringComparison.Ordinal))) return StartVerdict.Transient;
        // Placed, then the chosen primary's node could not run it (its replica host was busy or going away): another
        // try places it again, perhaps elsewhere. The image was checked before placing; that case is above.
        if (message.Contains("could not start", StringComparison.Ordinal)) return StartVerdict.Transient;
        return StartVerdict.Permanent;
    }

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
