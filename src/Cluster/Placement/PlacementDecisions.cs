namespace FaultTolerant.Cluster.Placement;

/// <summary>A voting member as the coordinator sees it.</summary>
public readonly record struct Voter(string Address, bool Reachable);

/// <summary>A backup that said how far it is: its committed epoch (0: nothing committed).</summary>
public readonly record struct Candidate(string Address, ulong CommittedEpoch);

/// <summary>A member that some other member cannot reach while a third member reaches it, with what it hosts and whether the coordinator runs there.</summary>
public readonly record struct IndirectMember(string Address, int Primaries, int Backups, bool Coordinator = false);

/// <summary>What one probe found: whether <paramref name="Via"/> reached <paramref name="Target"/>; null when <paramref name="Via"/> did not say in time.</summary>
public readonly record struct ProbeResult(string Via, string Target, bool? Reached);

/// <summary>
/// The coordinator's decisions, as pure functions of the facts it gathered (the actor only gathers and applies):
/// whether it may decide at all, and which backup is promoted. docs/FAILOVER.md argues why these keep two primaries
/// from both releasing output.
/// </summary>
public static class PlacementDecisions
{
    /// <summary>
    /// Whether the voting members this node can reach are a strict majority of all voting members (workers and
    /// witnesses that are up). A coordinator on the minority side of a partition — or alone — sees at most half.
    /// </summary>
    public static bool HasMajority(IReadOnlyCollection<Voter> voters) =>
        voters.Count > 0 && voters.Count(v => v.Reachable) * 2 > voters.Count;

    /// <summary>
    /// The backup to promote: the one with the highest committed epoch (it holds every epoch the old primary released,
    /// since a release needs every backup's ack); ties go to the lowest address, so the choice is deterministic. A
    /// backup with nothing committed holds no state to resume; null when no backup qualifies.
    /// </summary>
    public static Candidate? ChoosePromotion(IEnumerable<Candidate> candidates) =>
        candidates.Where(c => c.CommittedEpoch > 0)
            .OrderByDescending(c => c.CommittedEpoch)
            .ThenBy(c => c.Address, StringComparer.Ordinal)
            .Cast<Candidate?>()
            .FirstOrDefault();

    /// <summary>
    /// Whether a decision taken on <paramref name="cached"/> may still be acted on, given the row just read with a
    /// majority: only if nobody wrote a newer generation of the guest meanwhile (another coordinator, before this one
    /// took over, or a decision this one's cache missed).
    /// </summary>
    public static bool StillCurrent(GuestEntry cached, GuestEntry? read) =>
        read is not null && read.Generation == cached.Generation && read.Primary == cached.Primary;

    /// <summary>
    /// Of members that cannot reach one another while a third member reaches each of them — which Akka's split brain
    /// resolver would down together (<c>DownIndirectlyConnected</c>), taking the primary and the backup of a guest at
    /// once — the one to down so that the others stay: the one hosting the fewest primaries (its guests fail over to
    /// backups elsewhere), then the fewest backups, then not the coordinator's own node (downing it moves the singleton:
    /// seconds without decisions), then the highest address. Null with fewer than two: a single member unreachable to
    /// others is not a connection between two that the coordinator can settle.
    /// </summary>
    public static string? ChooseToDown(IReadOnlyCollection<IndirectMember> members) =>
        members.Count < 2
            ? null
            : members.OrderBy(m => m.Primaries).ThenBy(m => m.Backups).ThenBy(m => m.Coordinator)
                .ThenByDescending(m => m.Address, StringComparer.Ordinal).First().Address;

    /// <summary>
    /// Pairs of members that have lost each other, each believed only on a failed probe between its two members
    /// (docs/FAILOVER.md, case 10), as (lower, higher) by ordinal order:
    /// <list type="bullet">
    /// <item>a member that answers <paramref name="self"/> (in <paramref name="answering"/>) and that some other member
    /// says it cannot reach: the two are a pair. If every member reaches it, its unreachability was <paramref name="self"/>'s
    /// own view (a stall, or a cut of its node that just healed) and there is no pair;</item>
    /// <item>a member that did not answer <paramref name="self"/>, did not answer its second ping either
    /// (<paramref name="secondPings"/>: false), and that some other member reaches: it and <paramref name="self"/> are a
    /// pair. A member nobody reaches — dead or paused — is in none.</item>
    /// </list>
    /// A probe whose prober did not say (<see cref="ProbeResult.Reached"/> null) counts for nothing.
    /// </summary>
    public static HashSet<(string, string)> LostPairs(string self, IReadOnlySet<string> answering, IReadOnlyDictionary<string, bool> secondPings, IEnumerable<ProbeResult> probes)
    {
        var pairs = new HashSet<(string, string)>();
        foreach (var p in probes)
        {
            if (answering.Contains(p.Target) && p.Reached == false) pairs.Add(Ordered(p.Via, p.Target));
            else if (secondPings.TryGetValue(p.Target, out bool answered) && !answered && p.Reached == true) pairs.Add(Ordered(self, p.Target));
        }
        return pairs;
    }

    private static (string, string) Ordered(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
}
