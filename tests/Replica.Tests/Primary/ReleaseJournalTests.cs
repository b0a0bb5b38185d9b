using System.Diagnostics;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Channel;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Primary;

/// <summary>The release journal: spans cut where the chaos campaign's overlap check needs them, and the primary feeding it.</summary>
public sealed class ReleaseJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ft-release-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static long At(long start, double ms) => start + (long)(ms / 1000 * Stopwatch.Frequency);

    [Fact]
    public void A_generation_change_a_pause_in_releasing_and_the_end_each_close_a_span()
    {
        var path = Path.Combine(_dir, "releases.jsonl");
        long t0 = Stopwatch.GetTimestamp();
        using (var journal = new ReleaseJournal(path, "worker-a"))
        {
            journal.Released("kv", 3, 10, At(t0, 0));
            journal.Released("kv", 3, 11, At(t0, 5));
            journal.Released("kv", 4, 12, At(t0, 10));   // re-protected: generation 4, same primary
            journal.Released("kv", 4, 13, At(t0, 500));  // after a pause in releasing: a new span
            journal.Released("kv", 4, 14, At(t0, 510));
            journal.Ended("kv", 4);
            journal.Flush();
        }

        var spans = ReleaseJournal.Read(path, out int skipped);
        Assert.Equal(0, skipped);
        Assert.Equal(3, spans.Count);
        Assert.All(spans, s => Assert.Equal("worker-a", s.Node));
        Assert.Equal((3UL, 10UL, 11UL, 2L), (spans[0].Generation, spans[0].FirstEpoch, spans[0].LastEpoch, spans[0].Releases));
        Assert.Equal((4UL, 12UL, 12UL, 1L), (spans[1].Generation, spans[1].FirstEpoch, spans[1].LastEpoch, spans[1].Releases));
        Assert.Equal((4UL, 13UL, 14UL, 2L), (spans[2].Generation, spans[2].FirstEpoch, spans[2].LastEpoch, spans[2].Releases));
        Assert.Equal(5, (spans[0].LastUtc - spans[0].FirstUtc).TotalMilliseconds, 0.01);
        Assert.Equal(490, (spans[2].FirstUtc - spans[1].LastUtc).TotalMilliseconds, 0.01);
    }

    [Fact]
    public void Continuous_releasing_is_cut_into_spans_of_at_most_the_span_length()
    {
        var path = Path.Combine(_dir, "releases.jsonl");
        long t0 = Stopwatch.GetTimestamp();
        using (var journal = new ReleaseJournal(path, "worker-a"))
        {
            for (int i = 0; i < 100; i++) journal.Released("kv", 2, (ulong)i + 1, At(t0, i * 10)); // one a 10 ms for a second
            journal.Flush();
        }

        var spans = ReleaseJournal.Read(path, out _);
        Assert.Equal(100, spans.Sum(s => s.Releases));
        Assert.InRange(spans.Count, 10, 11);
        Assert.All(spans, s => Assert.True(s.LastUtc - s.FirstUtc < ReleaseJournal.SpanLength, $"span {s} is too long"));
    }

    [Fact]
    public void A_reopened_journal_appends_and_a_line_cut_short_by_a_kill_is_skipped()
    {
        var path = Path.Combine(_dir, "releases.jsonl");
        using (var journal = new ReleaseJournal(path, "worker-b"))
        {
            journal.Released("kv", 1, 1, Stopwatch.GetTimestamp());
            journal.Flush();
        }
        File.AppendAllText(path, "{\"guest\":\"kv\",\"node\":\"wor");
        File.AppendAllText(path, "\n");
        using (var journal = new ReleaseJournal(path, "worker-b"))
        {
            journal.Released("kv", 5, 9, Stopwatch.GetTimestamp());
            journal.Flush();
        }

        var spans = ReleaseJournal.Read(path, out int skipped);
        Assert.Equal(1, skipped);
        Assert.Equal([1UL, 5UL], spans.Select(s => s.Generation));
    }

    [Fact]
    public void An_open_span_is_written_by_the_background_thread_without_another_release()
    {
        var path = Path.Combine(_dir, "releases.jsonl");
        using var journal = new ReleaseJournal(path, "worker-a");
        journal.Released("kv", 7, 1, Stopwatch.GetTimestamp());

        var deadline = Stopwatch.StartNew();
        List<ReleaseSpan> spans = [];
        while (deadline.Elapsed < TimeSpan.FromSeconds(5) && spans.Count == 0)
        {
            Thread.Sleep(20);
            spans = ReleaseJournal.Read(path, out _);
        }
        Assert.Single(spans);
        Assert.Equal(7UL, spans[0].Generation);
    }

    [Fact]
    public void A_header_of_another_version_is_refused()
    {
        var path = Path.Combine(_dir, "releases.jsonl");
        File.WriteAllText(path, "{\"format\":\"faulttolerant-releases\",\"version\":99}\n");
        Assert.Throws<InvalidDataException>(() => ReleaseJournal.Read(path, out _));
    }

    private sealed class Recording : IReleaseObserver
    {
        public readonly List<(ulong Generation, ulong Epoch)> Releases = [];
        public readonly List<ulong> Ends = [];

        public void Released(string guest, ulong generation, ulong epoch, long timestamp)
        {
            lock (Releases) Releases.Add((generation, epoch));
        }

        public void Ended(string guest, ulong generation)
        {
            lock (Releases) Ends.Add(generation);
        }
    }

    [Fact]
    public async Task The_primary_tells_its_observer_of_every_release_it_hands_to_the_gateway_and_of_its_end()
    {
        var observer = new Recording();
        var backup = new FaultTolerant.Replica.Backup.BackupReplica("b1", TestGuests.RestoreFull);
        var link = new LoopbackLink(backup, 0);
        var gateway = new TestGateway();
        var primary = new PrimaryReplica(TestGuests.Load("miniredis", "--port", "6379"), new PrimaryOptions("miniredis", 1, 1) { ReleaseObserver = observer }, [link], gateway);
        link.Primary = primary;
        gateway.Primary = primary;
        primary.Start();
        long conn = await gateway.ConnectAsync(6379, TimeSpan.FromSeconds(20));
        Assert.Equal("+OK", Resp.Call(gateway, conn, "SET", "k", "v"));
        primary.Stop();
        await primary.Completion;

        lock (observer.Releases)
        {
            Assert.Equal(gateway.Releases.Select(r => (r.Generation, r.Epoch)), observer.Releases);
            Assert.Equal([1UL], observer.Ends);
        }
    }
}
