using FaultTolerant.Guest;
using FaultTolerant.Replica.Backup;
using FaultTolerant.Replica.Primary;
using FaultTolerant.Replica.Tests.Support;
using FaultTolerant.Replica.Wire;

namespace FaultTolerant.Replica.Tests.Backup;

/// <summary>
/// Invariant A: whatever the channel does to frames (drops, duplicates, reorders, corrupts, cuts), the
/// backup's committed state equals the primary's state at some epoch boundary it acknowledged, and after
/// a resync it converges again.
/// </summary>
public sealed class CheckpointAssemblerTests
{
    private const ulong Guest = 1;

    /// <summary>A primary that runs a guest in epochs and records its state hash at each epoch boundary.</summary>
    private sealed class Primary(string program, params string[] args)
    {
        public Rv64Guest Guest { get; } = TestGuests.Load(program, args);

        public CheckpointEncoder Encoder { get; } = new(CheckpointAssemblerTests.Guest, new ShippedPageCache(64 << 20));

        public Dictionary<ulong, UInt128> HashAt { get; } = [];

        public ulong Epoch { get; private set; }

        public bool NextIsFull { get; set; } = true;

        public List<Frame> NextEpoch(long instructions, ulong generation = 1, bool lz4 = false)
        {
            Guest.Run(instructions);
            Guest.TakeOutput();
            Epoch++;
            var checkpoint = Guest.Checkpoint(NextIsFull);
            NextIsFull = false;
            HashAt[Epoch] = Guest.StateHash();
            var encoder = lz4 ? new CheckpointEncoder(CheckpointAssemblerTests.Guest, Encoder.Cache, lz4: true) : Encoder;
            return [.. encoder.Encode(checkpoint, generation, Epoch).Frames];
        }
    }

    private static CheckpointAssembler NewBackup() => new(TestGuests.RestoreFull);

    [Theory]
    [InlineData("memstress", new[] { "300", "0" }, false)]
    [InlineData("memstress", new[] { "300", "0" }, true)]
    [InlineData("compute", new[] { "2" }, false)]
    [InlineData("syscalls", new string[0], false)]
    public void A_clean_channel_commits_every_epoch_with_the_primarys_exact_state(string program, string[] args, bool lz4)
    {
        var primary = new Primary(program, args);
        var backup = NewBackup();
        for (int e = 0; e < 25 && primary.Guest.Status == GuestStatus.Runnable; e++)
        {
            AssemblyOutcome last = AssemblyOutcome.Staged.Instance;
            foreach (var f in primary.NextEpoch(150_000, lz4: lz4)) last = backup.Accept(f);
            var committed = Assert.IsType<AssemblyOutcome.Committed>(last);
            Assert.Equal(primary.Epoch, committed.Epoch);
            Assert.Equal(primary.HashAt[primary.Epoch], backup.Committed!.StateHash());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_hostile_channel_never_leaves_a_half_applied_or_foreign_state(int seed)
    {
        var random = new Random(seed);
        var primary = new Primary("memstress", "200", "0");
        var backup = NewBackup();
        var delayed = new List<byte[]>();
        int commits = 0, resyncs = 0;
        for (int e = 0; e < 60; e++)
        {
            foreach (var frame in primary.NextEpoch(random.Next(20_000, 200_000)))
            {
                var bytes = frame.ToBytes();
                var deliveries = new List<byte[]>();
                switch (random.Next(20))
                {
                    case 0: break;                                        // dropped
                    case 1: deliveries.Add(bytes); deliveries.Add(bytes); break; // duplicated
                    case 2: delayed.Add(bytes); break;                    // held back, delivered later out of order
                    case 3:                                               // corrupted in transit
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                        deliveries.Add(bytes);
                        break;
                    default: deliveries.Add(bytes); break;
                }
                if (delayed.Count > 0 && random.Next(4) == 0)
                {
                    deliveries.Add(delayed[0]);
                    delayed.RemoveAt(0);
                }
                foreach (var d in deliveries)
                {
                    var outcome = Deliver(backup, d);
                    if (outcome is AssemblyOutcome.Committed) commits++;
                    if (outcome is AssemblyOutcome.ResyncNeeded)
                    {
                        resyncs++;
                        primary.NextIsFull = true;
                    }
                    // The invariant, checked after every single frame.
                    if (backup.Committed is not null)
                    {
                        Assert.Equal(primary.HashAt[backup.CommittedEpoch], backup.Committed.StateHash());
                    }
                }
            }
        }
        Assert.True(commits > 10, $"only {commits} commits");
        Assert.True(resyncs > 0, "the scenario should have forced at least one resync");

        // Heal the channel: the backup converges on the primary.
        for (int e = 0; e < 3; e++)
        {
            foreach (var f in primary.NextEpoch(50_000))
            {
                if (Deliver(backup, f) is AssemblyOutcome.ResyncNeeded) primary.NextIsFull = true;
            }
        }
        Assert.Equal(primary.Epoch, backup.CommittedEpoch);
        Assert.Equal(primary.Guest.StateHash(), backup.Committed!.StateHash());
    }

    /// <summary>A frame's bytes arrive; a corrupted one fails its checksum, the connection is cut, and the backup resyncs.</summary>
    private static AssemblyOutcome Deliver(CheckpointAssembler backup, byte[] bytes)
    {
        try
        {
            return backup.Accept(Frame.Parse(bytes));
        }
        catch (FrameException e)
        {
            return new AssemblyOutcome.ResyncNeeded(e.Message);
        }
    }

    private static AssemblyOutcome Deliver(CheckpointAssembler backup, Frame frame) => Deliver(backup, frame.ToBytes());

    [Fact]
    public void A_frame_of_an_older_generation_is_refused_once_a_newer_one_was_seen()
    {
        var primary = new Primary("memstress", "50", "0");
        var backup = NewBackup();
        foreach (var f in primary.NextEpoch(100_000, generation: 1)) backup.Accept(f);
        Assert.Equal(1UL, backup.CommittedEpoch);
        backup.ObserveGeneration(2);
        var stale = primary.NextEpoch(100_000, generation: 1);
        Assert.All(stale, f => Assert.IsType<AssemblyOutcome.Fenced>(backup.Accept(f)));
        Assert.Equal(1UL, backup.CommittedEpoch);
        Assert.Equal(primary.HashAt[1], backup.Committed!.StateHash());
    }

    [Fact]
    public void After_a_resync_deltas_apply_again_and_the_backup_resumes_as_the_primary_would()
    {
        var primary = new Primary("counter", "200");
        var backup = NewBackup();
        foreach (var f in primary.NextEpoch(20_000)) backup.Accept(f);
        var frames = primary.NextEpoch(20_000);
        frames.RemoveAt(1); // the pages never arrive
        Assert.IsType<AssemblyOutcome.ResyncNeeded>(frames.Select(backup.Accept).Last());
        primary.NextIsFull = true;
        foreach (var f in primary.NextEpoch(20_000)) backup.Accept(f);
        foreach (var f in primary.NextEpoch(20_000)) backup.Accept(f);
        Assert.Equal(primary.Epoch, backup.CommittedEpoch);

        // Promotion: both run on from the same boundary and produce the same output.
        var promoted = backup.Committed!;
        var a = Drain(primary.Guest);
        var b = Drain(promoted);
        Assert.Equal(a, b);
        Assert.Equal(primary.Guest.StateHash(), promoted.StateHash());
    }

    private static string Drain(IGuest guest)
    {
        var sb = new System.Text.StringBuilder();
        while (guest.Run(1_000_000) is not GuestRunResult.Exited)
        {
            foreach (var o in guest.TakeOutput()) sb.Append(System.Text.Encoding.ASCII.GetString(o.Data));
        }
        foreach (var o in guest.TakeOutput()) sb.Append(System.Text.Encoding.ASCII.GetString(o.Data));
        return sb.ToString();
    }
}
