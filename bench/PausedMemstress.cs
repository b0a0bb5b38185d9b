using System.Text;
using FaultTolerant.Bench.Guest;
using FaultTolerant.Guest;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Bench;

/// <summary>
/// memstress paused just after its first round, its region filled with random bytes (dense pages) and a full
/// checkpoint taken: the guest the capture and pause figures dirty exactly N pages of and time.
/// </summary>
internal sealed class PausedMemstress
{
    private readonly byte[] _stamp = new byte[8];
    private ulong _round;

    private PausedMemstress(Rv64Guest guest, GuestMemory memory, ulong first)
    {
        Guest = guest;
        Memory = memory;
        First = first;
    }

    public Rv64Guest Guest { get; }

    public GuestMemory Memory { get; }

    /// <summary>The first page number of the region.</summary>
    public ulong First { get; }

    public static PausedMemstress Start(BenchContext ctx, int regionPages, string figure)
    {
        Console.WriteLine($"{figure}: memstress {regionPages} 1, paused after its first round …");
        var guest = Rv64Guest.Load(File.ReadAllBytes(ctx.GuestElf("memstress.elf")), ["memstress", $"{regionPages}", "1"], options: new GuestOptions());
        var stdout = new StringBuilder();
        while (!stdout.ToString().Contains("round 1:", StringComparison.Ordinal))
        {
            if (guest.Run(100_000) is not GuestRunResult.BudgetExhausted) throw new InvalidOperationException("memstress ended before its first round was written");
            GuestHarness.Drain(guest, stdout);
        }
        var memory = GuestHarness.MemoryOf(guest);
        ulong first = GuestPages.FindWritableRun(memory, regionPages);
        GuestPages.FillRandom(memory, first, regionPages, seed: 42);
        guest.Checkpoint(full: true).ReleaseBuffers();
        return new PausedMemstress(guest, memory, first);
    }

    /// <summary>The host arrays behind the first <paramref name="n"/> pages of the region: what a plain copy copies.</summary>
    public byte[][] PageArrays(int n) => [.. Enumerable.Range(0, n).Select(i => Memory.GetPage(First + (ulong)i)!.Data!)];

    /// <summary>Dirties exactly the first <paramref name="n"/> pages with an 8-byte kernel write each, a new value every round.</summary>
    public void Dirty(int n)
    {
        _round++;
        for (int i = 0; i < n; i++)
        {
            BitConverter.TryWriteBytes(_stamp, _round * 0x9E3779B97F4A7C15 + (ulong)i);
            Memory.TryWrite(((First + (ulong)i) << Page.Shift) + ((_round * 8 + (ulong)i * 8) & (Page.Size - 8)), _stamp);
        }
        if (Guest.MemoryStatistics.DirtyPages != n) throw new InvalidOperationException($"expected {n} dirty pages, found {Guest.MemoryStatistics.DirtyPages}");
    }
}
