using System.Collections.Concurrent;
using System.Diagnostics;
using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Inputs;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Channel;
using FaultTolerant.Replica.Tests.Support;

namespace FaultTolerant.Replica.Tests.Primary;

/// <summary>
/// The release lease (docs/FAILOVER.md, "The release lease"; RELIABILITY.md finding 5): an old primary that gets its
/// backup's acknowledgement late — it was paused, or cut off with the acknowledgement in flight — must not release
/// after the promoted backup has started releasing.
/// </summary>
public sealed class ReleaseLeaseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Lease = TimeSpan.FromMilliseconds(300);

    /// <summary>Every release that carried output of a connection, with when it was made.</summary>
    private sealed class Recorder : IInputSource
    {
        public ConcurrentQueue<(long At, ReleasedEpoch Release)> Releases { get; } = new();

        public void OnRelease(ReleasedEpoch release)
        {
            if (release.Output.Any(o => o.StreamId >= GuestStreams.FirstConnection)) Releases.Enqueue((Stopwatch.GetTimestamp(), release));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_old_primary_whose_acknowledgement_comes_after_its_successor_released_releases_nothing(bool lease)
    {
        var backup = new BackupReplica("b1", TestGuests.RestoreFull);
        var link = new LoopbackLink(backup);
        var oldGateway = new TestGateway();
        var oldRecorder = new Recorder();
        var old = new PrimaryReplica(TestGuests.Load("miniredis", "--port", "6379"),
            new PrimaryOptions("miniredis", 1, 1) { ReleaseLease = lease ? Lease : TimeSpan.Zero }, [link], new Both(oldGateway, oldRecorder));
        link.Primary = old;
        oldGateway.Primary = old;
        old.Start();
        long conn = await oldGateway.ConnectAsync(6379, Patience);
        Assert.Equal("+PONG", Resp.Call(oldGateway, conn, "PING"));
        int before = oldRecorder.Releases.Count;

        // The backup commits the epoch with the reply, and its acknowledgement is in flight; then the old primary is cut off.
        link.WithholdAcks = true;
        oldGateway.Send(conn, Resp.Command("SET", "k", "v"));
        await Eventually.True(() => ReplyCommitted(backup), "the backup to commit the SET's reply");
        link.Cut = true;

        // The backup is promoted; its successor resumes and releases the reply.
        var promoted = backup.Promote(2);
        var newRecorder = new Recorder();
        var next = new PrimaryReplica(promoted, new PrimaryOptions("miniredis", 1, 2) { ReleaseNotBefore = backup.ReleaseNotBefore(Lease) }, [], newRecorder);
        next.Start();
        await Eventually.True(() => !newRecorder.Releases.IsEmpty, "the promoted primary's first release");
        long firstNew = newRecorder.Releases.First().At;

        // Now the old primary gets the acknowledgement.
        link.WithholdAcks = false;
        await Task.Delay(300);
        var lateOld = oldRecorder.Releases.Skip(before).Where(r => r.At >= firstNew).ToList();
        if (lease)
        {
            Assert.Empty(lateOld);
            Assert.True(old.LateAcknowledgements > 0, "the late acknowledgement should have been counted");
            Assert.Single(Resp.Replies(oldGateway.ReceivedSoFar(conn))); // the PING's only
        }
        else
        {
            // Without the lease the old primary does release, after its successor: the overlap finding 5 is about.
            Assert.NotEmpty(lateOld);
        }
        old.Stop();
        next.Stop();
        await Task.WhenAll(old.Completion, next.Completion).WaitAsync(Patience);
    }

    [Fact]
    public async Task A_promoted_primary_releases_nothing_before_its_old_primarys_lease_has_run_out()
    {
        var recorder = new Recorder();
        var gateway = new TestGateway();
        var notBefore = Stopwatch.GetTimestamp() + Stopwatch.Frequency; // one second from now
        var primary = new PrimaryReplica(TestGuests.Load("miniredis", "--port", "6379"), new PrimaryOptions("miniredis", 1, 2) { ReleaseNotBefore = notBefore }, [],
            new Both(gateway, recorder));
        gateway.Primary = primary;
        primary.Start();
        long conn = await gateway.ConnectAsync(6379, Patience);
        gateway.Send(conn, Resp.Command("PING"));
        Assert.True(gateway.WaitFor(conn, d => Resp.Replies(d).Count == 1, Patience), "the reply never came");
        Assert.True(recorder.Releases.First().At >= notBefore, "released before the old primary's lease ran out");
        primary.Stop();
        await primary.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_backup_may_release_only_an_eighth_more_than_the_lease_after_its_last_commit()
    {
        var backup = new BackupReplica("b1", TestGuests.RestoreFull);
        Assert.Null(backup.ReleaseNotBefore(Lease)); // nothing committed: nothing acknowledged
        var link = new LoopbackLink(backup);
        var primary = new PrimaryReplica(TestGuests.Load("hello"), new PrimaryOptions("hello", 1, 1), [link], new Recorder());
        link.Primary = primary;
        long start = Stopwatch.GetTimestamp();
        primary.Start();
        await primary.Completion.WaitAsync(Patience);
        long end = Stopwatch.GetTimestamp();
        long lease = (long)((Lease + Lease / 8).TotalSeconds * Stopwatch.Frequency);
        var notBefore = backup.ReleaseNotBefore(Lease)!.Value;
        Assert.InRange(notBefore, start + lease, end + lease);
        Assert.Null(backup.ReleaseNotBefore(TimeSpan.Zero));
    }

    /// <summary>Whether the backup's committed miniredis has answered the SET: its connection sent more than the PING's reply.</summary>
    private static bool ReplyCommitted(BackupReplica backup) => backup.CommittedConnections().Any(c => c.Sent > "+PONG\r\n".Length);

    /// <summary>Two input sources as one.</summary>
    private sealed class Both(IInputSource a, IInputSource b) : IInputSource
    {
        public void OnRelease(ReleasedEpoch release)
        {
            a.OnRelease(release);
            b.OnRelease(release);
        }
    }
}
