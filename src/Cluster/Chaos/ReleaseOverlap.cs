using FaultTolerant.Replica.Primary;

namespace FaultTolerant.Cluster.Chaos;

/// <summary>
/// Two nodes that released output of one guest at overlapping times: under different generations (two primaries at
/// once), or under the same generation (a generation handed out twice). Either breaks DESIGN §5's promise.
/// </summary>
/// <param name="CommittedBy">
/// When the older generation's span released only epochs at or below the one the newer primary was promoted from (its
/// journal's promotion record): a late release, by an old primary that had not yet learned of its successor, of output
/// the successor already held as committed state. Nothing released contradicts anything; but two primaries did
/// release at once, which DESIGN §5 says must not happen, so it counts as an overlap all the same.
/// </param>
internal sealed record Overlap(string Guest, ReleaseSpan First, ReleaseSpan Second, Promotion? CommittedBy = null)
{
    public TimeSpan Length => (First.LastUtc < Second.LastUtc ? First.LastUtc : Second.LastUtc) - (First.FirstUtc > Second.FirstUtc ? First.FirstUtc : Second.FirstUtc);

    public string Describe() =>
        $"guest {Guest}: {First.Node} released generation {First.Generation} (epochs {First.FirstEpoch}-{First.LastEpoch}) " +
        $"{First.FirstUtc:HH:mm:ss.ffffff}-{First.LastUtc:HH:mm:ss.ffffff} while {Second.Node} released generation {Second.Generation} " +
        $"(epochs {Second.FirstEpoch}-{Second.LastEpoch}) {Second.FirstUtc:HH:mm:ss.ffffff}-{Second.LastUtc:HH:mm:ss.ffffff}" +
        (CommittedBy is { } p
            ? $"; a late release of committed output: {p.Node} was promoted to generation {p.Generation} at {p.AtUtc:HH:mm:ss.ffffff} from epoch {p.FromEpoch} of generation {p.FromGeneration}"
            : "");
}

/// <summary>The check of point 5: from every node's release journal, whether two nodes ever released one guest's output at once.</summary>
internal static class ReleaseOverlap
{
    /// <summary>
    /// Every pair of spans of one guest from different nodes whose times intersect (closed intervals: a shared instant
    /// counts). Spans of the same node never conflict: a node runs at most one primary of a guest at a time, and its
    /// generations follow one another. Sorted by time; a sweep keeps this near linear for journals of thousands of spans.
    /// </summary>
    public static IReadOnlyList<Overlap> Find(IEnumerable<ReleaseSpan> spans, IReadOnlyCollection<Promotion>? promotions = null)
    {
        var found = new List<Overlap>();
        foreach (var guest in spans.GroupBy(s => s.Guest, StringComparer.Ordinal))
        {
            var active = new List<ReleaseSpan>();
            foreach (var span in guest.OrderBy(s => s.FirstUtc).ThenBy(s => s.LastUtc))
            {
                active.RemoveAll(a => a.LastUtc < span.FirstUtc);
                foreach (var other in active.Where(a => a.Node != span.Node)) found.Add(Classify(new Overlap(guest.Key, other, span), promotions ?? []));
                active.Add(span);
            }
        }
        return found;
    }

    /// <summary>
    /// Whether the older span's releases were all of output its successor was promoted with: a promotion on the newer
    /// span's node, to a generation above the older span's and at most the newer span's, from a generation at or above the
    /// older span's, at an epoch at or above the older span's last.
    /// </summary>
    private static Overlap Classify(Overlap overlap, IReadOnlyCollection<Promotion> promotions)
    {
        var (older, newer) = overlap.First.Generation <= overlap.Second.Generation ? (overlap.First, overlap.Second) : (overlap.Second, overlap.First);
        var promotion = promotions
            .Where(p => p.Guest == overlap.Guest && p.Node == newer.Node && p.Generation > older.Generation && p.Generation <= newer.Generation
                && p.FromGeneration >= older.Generation && p.FromEpoch >= older.LastEpoch && p.AtUtc <= newer.FirstUtc)
            .OrderByDescending(p => p.AtUtc)
            .FirstOrDefault();
        return overlap with { CommittedBy = promotion };
    }

    /// <summary>Generations released by more than one node (at any time): each generation has one primary.</summary>
    public static IReadOnlyList<(string Guest, ulong Generation, IReadOnlyList<string> Nodes)> SharedGenerations(IEnumerable<ReleaseSpan> spans) =>
        [.. spans.GroupBy(s => (s.Guest, s.Generation))
            .Select(g => (g.Key.Guest, g.Key.Generation, Nodes: (IReadOnlyList<string>)[.. g.Select(s => s.Node).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))
            .Where(g => g.Nodes.Count > 1)
            .OrderBy(g => g.Guest, StringComparer.Ordinal).ThenBy(g => g.Generation)];

    /// <summary>Reads the journals (a missing file is no spans: that node never ran a primary or was promoted).</summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="InvalidDataException">A file is not a release journal of our version.</exception>
    public static JournalContent Read(IEnumerable<string> files)
    {
        var all = new JournalContent([], [], 0);
        foreach (var file in files.Where(File.Exists))
        {
            var content = ReleaseJournal.ReadFile(file);
            all.Spans.AddRange(content.Spans);
            all.Promotions.AddRange(content.Promotions);
            all = all with { Skipped = all.Skipped + content.Skipped };
        }
        return all;
    }
}
