namespace FaultTolerant.Cluster.Chaos;

/// <summary>Whom a fault hits; resolved against the cluster's status when the fault is injected.</summary>
internal enum FaultTarget
{
    /// <summary>The guest's primary's node.</summary>
    Primary,

    /// <summary>A node of one of the guest's backups.</summary>
    Backup,

    /// <summary>The witness (it hosts the placement coordinator, unless that has moved).</summary>
    Witness,

    /// <summary>A minority of the nodes, chosen at random (partitions only): the rest keep a majority.</summary>
    Minority,
}

/// <summary>
/// One fault of the schedule. <see cref="Pick"/> chooses among candidates when the fault is injected (which backup,
/// which peer of a one-way cut, which minority), so that the plan stays a function of the seed alone.
/// </summary>
/// <param name="QuietBefore">Time with no fault before this one (after the previous one has healed and the guest is protected again).</param>
/// <param name="Hold">How long the fault lasts: the node is down before its restart, paused, or cut off.</param>
/// <param name="OneWay">Partitions only: a one-way cut between the primary and one peer rather than an isolation.</param>
/// <param name="IntoTarget">One-way cuts: true when the primary stops hearing the peer, false when the peer stops hearing the primary.</param>
internal sealed record PlannedFault(int Number, FaultKind Kind, FaultTarget Target, TimeSpan QuietBefore, TimeSpan Hold, int Pick, bool OneWay = false, bool IntoTarget = false)
{
    public string Describe() => Kind switch
    {
        FaultKind.Kill => $"kill the {Name(Target)}, restart it after {Hold.TotalSeconds:0.0} s",
        FaultKind.Pause => $"pause the {Name(Target)} for {Hold.TotalSeconds:0.0} s",
        _ when OneWay => $"one-way cut for {Hold.TotalSeconds:0.0} s: {(IntoTarget ? "the primary stops hearing a peer" : "a peer stops hearing the primary")}",
        _ when Target == FaultTarget.Minority => $"partition a minority off for {Hold.TotalSeconds:0.0} s",
        _ => $"isolate the {Name(Target)} for {Hold.TotalSeconds:0.0} s",
    };

    private static string Name(FaultTarget target) => target.ToString().ToLowerInvariant();
}

/// <summary>
/// The nemesis's schedule as a pure function of the seed: the same seed and kinds give the same faults in the same
/// order, whatever the machine. Faults come one at a time (a cluster of a witness and two workers cannot fail over
/// while a node is already down), each followed by healing and by waiting until the guest is protected again.
/// </summary>
/// <remarks>
/// Faults are dealt from decks of eight: five kills and two partitions shuffled, then one pause (kinds not asked for
/// are left out of the deck), so that the first seven faults hold five kills and two partitions: what a 60-second
/// campaign has time for (a fault with its recovery takes 6-9 s). Targets, holds and quiet times are drawn per fault.
/// </remarks>
internal static class NemesisPlan
{
    private static readonly FaultKind[] Deck =
        [FaultKind.Kill, FaultKind.Kill, FaultKind.Kill, FaultKind.Kill, FaultKind.Kill, FaultKind.Partition, FaultKind.Partition, FaultKind.Pause];

    /// <summary>The first <paramref name="count"/> faults of the schedule for <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">No kind of fault was asked for.</exception>
    public static IReadOnlyList<PlannedFault> Plan(int seed, IReadOnlySet<FaultKind> kinds, int count)
    {
        var deck = Deck.Where(kinds.Contains).ToArray();
        if (deck.Length == 0) throw new ArgumentException("no kind of fault to plan", nameof(kinds));
        // System.Random with a seed is the same sequence on every .NET version and platform (its seeded algorithm is
        // kept for compatibility), which is what makes a seed a reproducible schedule.
        var random = new Random(seed);
        var plan = new List<PlannedFault>(count);
        while (plan.Count < count)
        {
            // The pause goes last in its deck: any seven consecutive faults from a deck's start then hold its five kills
            // and two partitions, which is what a one-minute campaign has time for.
            var hand = deck.Where(k => k != FaultKind.Pause).ToArray();
            random.Shuffle(hand);
            hand = [.. hand, .. deck.Where(k => k == FaultKind.Pause)];
            foreach (var kind in hand)
            {
                if (plan.Count == count) break;
                plan.Add(Draw(random, plan.Count + 1, kind));
            }
        }
        return plan;
    }

    private static PlannedFault Draw(Random random, int number, FaultKind kind)
    {
        var quiet = Seconds(random, 0.3, 1.2);
        int pick = random.Next(1 << 20);
        double roll = random.NextDouble();
        return kind switch
        {
            // Down long enough for the failure detector to notice before the node comes back as a new incarnation.
            FaultKind.Kill => new PlannedFault(number, kind, roll switch { < 0.55 => FaultTarget.Primary, < 0.85 => FaultTarget.Backup, _ => FaultTarget.Witness },
                quiet, Seconds(random, 0.3, 1.5), pick),
            // Longer than the failure detector's threshold (~1.2 s, hocon/cluster.conf), shorter than what it takes the
            // split brain resolver to down the paused node (stable-after 4 s after the detection).
            FaultKind.Pause => new PlannedFault(number, kind, roll switch { < 0.5 => FaultTarget.Primary, < 0.8 => FaultTarget.Backup, _ => FaultTarget.Witness },
                quiet, Seconds(random, 2.0, 4.0), pick),
            _ => Partition(random, number, quiet, pick, roll),
        };
    }

    private static PlannedFault Partition(Random random, int number, TimeSpan quiet, int pick, double roll)
    {
        var hold = Seconds(random, 2.5, 5.0);
        bool into = random.Next(2) == 0;
        return roll switch
        {
            < 0.30 => new PlannedFault(number, FaultKind.Partition, FaultTarget.Primary, quiet, hold, pick),
            < 0.50 => new PlannedFault(number, FaultKind.Partition, FaultTarget.Backup, quiet, hold, pick),
            < 0.60 => new PlannedFault(number, FaultKind.Partition, FaultTarget.Witness, quiet, hold, pick),
            < 0.75 => new PlannedFault(number, FaultKind.Partition, FaultTarget.Minority, quiet, hold, pick),
            _ => new PlannedFault(number, FaultKind.Partition, FaultTarget.Primary, quiet, hold, pick, OneWay: true, IntoTarget: into),
        };
    }

    private static TimeSpan Seconds(Random random, double min, double max) =>
        TimeSpan.FromSeconds(Math.Round(min + (random.NextDouble() * (max - min)), 1));
}
