using System.Text;
using System.Text.Json.Nodes;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Bench.Replication;

/// <summary>
/// The primary's pause per epoch with exactly N dirty pages, against a plain copy of the same pages. The pause is what
/// <c>PrimaryReplica.EndEpoch</c> does on the guest's thread before the guest runs again: <c>Checkpoint(full: false)</c>,
/// then each stream's output mark and each connection's offsets. The method mirrors bench/Guest/CaptureCost.cs (same
/// guest, same dirtying, same reference) with that pause in place of the bare capture.
/// </summary>
internal static class PauseCost
{
    public const double Target = 2.0;

    private static readonly int[] Counts = [1, 10, 100, 1000, 10000];

    public static JsonNode Run(BenchContext ctx, Report report)
    {
        int regionPages = Counts.Max();
        var paused = PausedMemstress.Start(ctx, regionPages, "pause");
        var guest = paused.Guest;
        var memory = paused.Memory;
        void Dirty(int n) => paused.Dirty(n);

        var warmPages = paused.PageArrays(1000);
        for (int r = 0; r < 4; r++)
        {
            for (int i = 0; i < 100; i++)
            {
                int n = i % 10 == 0 ? 1000 : 10;
                Dirty(n);
                Pause(guest);
                GuestPages.CopyToFresh(warmPages[..n]);
            }
            Thread.Sleep(150);
        }

        var rows = new JsonArray();
        foreach (int n in Counts)
        {
            var pages = paused.PageArrays(n);
            int reps = n <= 100 ? 101 : n <= 1000 ? 31 : 11;
            var pauses = new List<TimeSpan>();
            var copies = new List<TimeSpan>();
            Measure.Settle();
            var reused = new byte[n * Page.Size];
            for (int rep = -3; rep < reps; rep++)
            {
                Dirty(n);
                TimeSpan copy = default;
                if (rep % 2 == 0) copy = Measure.Time(() => GuestPages.CopyInto(pages, reused));
                GuestCheckpoint? shipped = null;
                var pause = Measure.Time(() => shipped = Pause(guest));
                // As the primary's shipper does once it has encoded a checkpoint: the pooled buffer goes back.
                shipped!.ReleaseBuffers();
                if (rep % 2 != 0) copy = Measure.Time(() => GuestPages.CopyInto(pages, reused));
                if (rep < 0) continue;
                pauses.Add(pause);
                copies.Add(copy);
            }
            var p = new Samples(pauses);
            var c = new Samples(copies);
            // A 4 KiB copy into a warm buffer can take less than one TimeSpan tick (100 ns): never divide by zero.
            double ratio = p.Median.TotalSeconds / Math.Max(c.Median.TotalSeconds, TimeSpan.FromTicks(1).TotalSeconds);
            report.Add(new Row($"Pause: {n} dirty page{(n == 1 ? "" : "s")}", $"pause {Units.Auto(p.Median)}", $"copy {Units.Auto(c.Median)}", ratio,
                $"≤ {Target:F1}×", Report.AtMost(ratio, Target)));
            rows.Add(new JsonObject
            {
                ["dirtyPages"] = n,
                ["pauseMicroseconds"] = Math.Round(p.Median.TotalMicroseconds, 2),
                ["copyMicroseconds"] = Math.Round(c.Median.TotalMicroseconds, 2),
                ["ratio"] = Math.Round(ratio, 3),
                ["target"] = Target,
                ["pass"] = ratio <= Target,
            });
        }
        report.Note("Pause method: mirrors bench/Guest/CaptureCost.cs — memstress 10000 1 paused after its first round, its region filled with random bytes, " +
                    "then per repetition N pages re-dirtied by an 8-byte kernel write each; timed: the pause as PrimaryReplica.EndEpoch takes it on the guest's " +
                    "thread (Checkpoint(full: false), OutputMarks(), Connections); reference: copy the same N page arrays into one reused N × 4 KiB buffer (the capture's buffer is pooled and returned after each repetition, as the shipper returns it), " +
                    "alternating which goes first. Medians of 101 (N ≤ 100), 31 (N = 1000) or 11 (N = 10000) repetitions after 3 warm-ups and 400 untimed pauses. " +
                    "The commit gate's bookkeeping and the hand-off to the shipper thread (a queue add) are not included.");
        return new JsonObject { ["method"] = "mirror of bench/Guest/CaptureCost.cs; pause = Checkpoint(full: false) + OutputMarks() + Connections", ["rows"] = rows };
    }

    /// <summary>What the guest thread does in an epoch's pause (PrimaryReplica.EndEpoch), minus the commit gate's bookkeeping.</summary>
    private static GuestCheckpoint Pause(IGuest guest)
    {
        var checkpoint = guest.Checkpoint(full: false);
        var marks = guest.OutputMarks();
        var connections = guest.Connections;
        GC.KeepAlive(marks);
        GC.KeepAlive(connections);
        return checkpoint;
    }
}
