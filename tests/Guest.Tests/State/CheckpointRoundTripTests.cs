using FaultTolerant.Guest.Hosting;
using FaultTolerant.Guest.Tests.Support;

namespace FaultTolerant.Guest.Tests.State;

/// <summary>
/// Capture at random instruction counts, restore a fresh guest from the full image plus deltas, resume:
/// the output and the final state hash equal those of an uninterrupted run.
/// </summary>
public sealed class CheckpointRoundTripTests
{
    public static TheoryData<string, string[], int> Programs => new()
    {
        { "hello", ["a", "b"], 1 },
        { "counter", ["40", "2"], 2 },
        { "compute", ["1"], 3 },
        { "memstress", ["2048", "4"], 4 },
        { "syscalls", [], 5 },
    };

    private sealed record Reference(byte[] Stdout, int ExitCode, long Instructions, UInt128 Hash);

    private static Reference RunUninterrupted(string program, string[] args)
    {
        var guest = Guests.Load(program, args);
        var (result, driver) = Guests.RunToEnd(guest);
        var exited = Assert.IsType<GuestRunResult.Exited>(result);
        return new Reference(driver.Stdout, exited.Code, guest.InstructionsRetired, guest.StateHash());
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void Restoring_from_full_image_plus_deltas_at_random_points_changes_nothing(string program, string[] args, int seed)
    {
        var reference = RunUninterrupted(program, args);
        var random = new Random(seed);
        var points = Enumerable.Range(0, 12).Select(_ => random.NextInt64(1, reference.Instructions)).Order().Distinct().ToList();

        IGuest guest = Guests.Load(program, args);
        var stdout = new MemoryStream();
        byte[]? full = null;
        var deltas = new List<byte[]>();
        int restores = 0;
        foreach (var point in points)
        {
            var r = guest.Run(point - guest.InstructionsRetired);
            Assert.IsNotType<GuestRunResult.Faulted>(r);
            foreach (var o in guest.TakeOutput()) stdout.Write(o.Data);
            if (r is GuestRunResult.Exited) break;

            if (full is null) full = guest.CaptureFull();
            else deltas.Add(guest.CaptureDelta());

            // Every other capture, the machine "dies": continue on a guest rebuilt from the images alone.
            if (random.Next(2) == 0)
            {
                guest = Rv64Guest.Restore(full, deltas, Guests.Deterministic());
                restores++;
            }
        }
        var driver = new GuestDriver(guest);
        var end = Assert.IsType<GuestRunResult.Exited>(driver.RunUntilIdle());
        stdout.Write(driver.Stdout);

        Assert.True(restores > 0 || points.Count < 2, "the scenario must restore at least once");
        Assert.Equal(reference.Stdout, stdout.ToArray());
        Assert.Equal(reference.ExitCode, end.Code);
        Assert.Equal(reference.Instructions, guest.InstructionsRetired);
        Assert.Equal(reference.Hash, guest.StateHash());
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void A_restored_guest_has_the_state_hash_of_the_guest_it_was_captured_from(string program, string[] args, int seed)
    {
        var guest = Guests.Load(program, args);
        var random = new Random(seed);
        var full = guest.CaptureFull();
        var deltas = new List<byte[]>();
        for (int i = 0; i < 8 && guest.Status == GuestStatus.Runnable; i++)
        {
            guest.Run(random.NextInt64(1, 200_000));
            guest.TakeOutput();
            deltas.Add(guest.CaptureDelta());
            var restored = Rv64Guest.Restore(full, deltas, Guests.Deterministic());
            Assert.Equal(guest.StateHash(), restored.StateHash());
            Assert.Equal(guest.InstructionsRetired, restored.InstructionsRetired);
            Assert.Equal(guest.CaptureSequence, restored.CaptureSequence);
        }
    }

    [Fact]
    public void A_delta_carries_only_the_pages_dirtied_since_the_previous_capture()
    {
        var guest = Guests.Load("memstress", ["256", "0"]);
        guest.Run(5_000_000);
        var full = guest.CaptureFull();
        guest.Run(1);
        var tiny = guest.CaptureDelta();
        guest.Run(5_000_000);
        var large = guest.CaptureDelta();

        Assert.True(tiny.Length < 16 * 1024, $"a one-instruction delta was {tiny.Length} bytes");
        Assert.True(large.Length > 200 * 4096, $"a delta after rewriting 256 pages was only {large.Length} bytes");
        Assert.True(large.Length < full.Length, "a delta must not be a full image");
    }

    [Fact]
    public void Output_not_yet_released_at_capture_survives_restore_with_its_offsets()
    {
        var guest = Guests.Load("counter", ["5"]);
        Assert.IsType<GuestRunResult.Exited>(guest.Run(10_000_000));
        var pending = Assert.Single(guest.PendingOutput());
        guest.ReleaseOutput(pending.StreamId, pending.Offset + 8); // the host delivered "count 1\n" only

        var restored = Rv64Guest.Restore(guest.CaptureFull(), null, Guests.Deterministic());

        var after = Assert.Single(restored.PendingOutput());
        Assert.Equal(GuestStreams.Stdout, after.StreamId);
        Assert.Equal(8, after.Offset);
        Assert.Equal("count 2\ncount 3\ncount 4\ncount 5\n", System.Text.Encoding.ASCII.GetString(after.Data));
        Assert.Equal(GuestStatus.Exited, restored.Status);
    }

    [Fact]
    public void The_monotonic_clock_never_goes_backwards_across_a_restore_on_a_host_whose_clock_is_behind()
    {
        var early = new ManualClock { Monotonic = 5_000_000_000 };
        var guest = Guests.Load("counter", ["1000", "1"], options: new GuestOptions { HostClock = early });
        guest.Run(300_000);
        early.Monotonic += 10_000_000_000;
        guest.Run(300_000);
        var image = guest.CaptureFull();
        long before = guest.MonotonicNow;

        var late = new ManualClock { Monotonic = 1_000 }; // another host, booted recently
        var restored = Rv64Guest.Restore(image, null, new GuestOptions { HostClock = late });

        Assert.True(restored.MonotonicNow >= before, "guest time went backwards after restore");
        late.Monotonic += 1_000_000;
        Assert.True(restored.MonotonicNow >= before + 1_000_000);
    }

    private sealed class ManualClock : FaultTolerant.Guest.Kernel.IHostClock
    {
        public long Monotonic { get; set; }

        public long MonotonicNanoseconds => Monotonic;

        public long RealtimeNanoseconds => 1_800_000_000_000_000_000;
    }
}
