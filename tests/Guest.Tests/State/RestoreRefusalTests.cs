using System.Buffers.Binary;
using System.IO.Hashing;
using FaultTolerant.Guest.Tests.Support;

namespace FaultTolerant.Guest.Tests.State;

/// <summary>A restore refuses anything but an intact, matching state, with a typed error; a refused delta changes nothing.</summary>
public sealed class RestoreRefusalTests
{
    private static (Rv64Guest Guest, byte[] Full, byte[] Delta1, byte[] Delta2) Captured()
    {
        var guest = Guests.Load("memstress", ["64", "0"]);
        guest.Run(400_000);
        var full = guest.CaptureFull();
        guest.Run(300_000);
        var d1 = guest.CaptureDelta();
        guest.Run(300_000);
        var d2 = guest.CaptureDelta();
        return (guest, full, d1, d2);
    }

    [Fact]
    public void Every_truncation_of_a_full_image_is_refused_as_corrupt()
    {
        var (_, full, _, _) = Captured();
        foreach (var length in new[] { 0, 1, 4, 47, 48, 49, 100, full.Length / 2, full.Length - 1 })
        {
            Assert.Throws<CorruptStateException>(() => Rv64Guest.Restore(full.AsMemory(0, length)));
        }
    }

    [Fact]
    public void A_flipped_bit_anywhere_is_refused()
    {
        var (_, full, _, _) = Captured();
        var random = new Random(7);
        for (int i = 0; i < 40; i++)
        {
            var copy = (byte[])full.Clone();
            int at = i < 8 ? i * 6 : random.Next(copy.Length);
            copy[at] ^= (byte)(1 << random.Next(8));
            Assert.ThrowsAny<GuestStateException>(() => Rv64Guest.Restore(copy));
        }
    }

    [Fact]
    public void Another_format_version_is_refused_with_its_number()
    {
        var (_, full, _, _) = Captured();
        var copy = (byte[])full.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(4), 99);
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(40), XxHash64.HashToUInt64(copy.AsSpan(0, 40)));
        var e = Assert.Throws<UnsupportedStateVersionException>(() => Rv64Guest.Restore(copy));
        Assert.Equal(99, e.Found);
    }

    [Fact]
    public void Not_an_image_is_refused_for_its_magic()
    {
        var e = Assert.Throws<CorruptStateException>(() => Rv64Guest.Restore(new byte[100]));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Deltas_out_of_order_missing_or_repeated_are_refused()
    {
        var (_, full, d1, d2) = Captured();
        Assert.Throws<StateSequenceException>(() => Rv64Guest.Restore(full, [d2]));
        Assert.Throws<StateSequenceException>(() => Rv64Guest.Restore(full, [d2, d1]));
        Assert.Throws<StateSequenceException>(() => Rv64Guest.Restore(full, [d1, d1]));
        Assert.Throws<CorruptStateException>(() => Rv64Guest.Restore(d1));
        Assert.Throws<CorruptStateException>(() => Rv64Guest.Restore(full, [full]));
    }

    [Fact]
    public void A_corrupt_delta_leaves_the_guest_exactly_as_it_was()
    {
        var (source, full, d1, d2) = Captured();
        var backup = Rv64Guest.Restore(full, [d1]);
        var before = backup.StateHash();
        var corrupt = (byte[])d2.Clone();
        corrupt[^5] ^= 0x40;

        Assert.ThrowsAny<GuestStateException>(() => backup.ApplyDelta(corrupt));
        Assert.Throws<StateSequenceException>(() => backup.ApplyDelta(d1));
        Assert.Throws<CorruptStateException>(() => backup.ApplyDelta(d2.AsMemory(0, d2.Length - 1)));

        Assert.Equal(before, backup.StateHash());
        backup.ApplyDelta(d2);
        Assert.Equal(source.StateHash(), backup.StateHash());
    }

    [Fact]
    public void A_delta_needs_a_full_capture_before_it()
    {
        var guest = Guests.Load("hello");
        Assert.Throws<InvalidOperationException>(() => guest.CaptureDelta());
    }
}
