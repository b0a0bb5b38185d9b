using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Bench;

/// <summary>Reaching into a guest's memory for the figures: finding memstress's region, filling it, copying pages.</summary>
internal static class GuestPages
{
    /// <summary>The first page of a run of at least <paramref name="count"/> mapped, writable pages (memstress's mmap).</summary>
    public static ulong FindWritableRun(GuestMemory memory, int count)
    {
        ulong start = 0, previous = 0;
        int length = 0;
        foreach (var vpn in memory.MappedPageNumbers())
        {
            bool writable = memory.TryGetPermissions(vpn, out var perms) && (perms & PagePermissions.Write) != 0;
            if (!writable)
            {
                length = 0;
                continue;
            }
            if (length > 0 && vpn == previous + 1)
            {
                length++;
            }
            else
            {
                start = vpn;
                length = 1;
            }
            previous = vpn;
            if (length >= count) return start;
        }
        throw new InvalidOperationException($"no run of {count} writable pages in the guest");
    }

    /// <summary>Dense pages: pseudo-random bytes everywhere, so nothing compresses and the zero-page check exits at once.</summary>
    public static void FillRandom(GuestMemory memory, ulong first, int count, int seed)
    {
        var random = new Random(seed);
        var fill = new byte[Page.Size];
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(fill);
            if (!memory.TryWrite((first + (ulong)i) << Page.Shift, fill)) throw new InvalidOperationException("region not writable");
        }
    }

    /// <summary>The reference copy: the pages into one new uninitialised buffer, as a capture copies into a new checkpoint.</summary>
    /// <summary>The pages copied into one buffer that is reused: what a capture into a pooled buffer must do at least.</summary>
    public static void CopyInto(byte[][] pages, byte[] buffer)
    {
        for (int i = 0; i < pages.Length; i++) pages[i].CopyTo(buffer.AsSpan(i * Page.Size, Page.Size));
    }

    public static void CopyToFresh(byte[][] pages)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(pages.Length * Page.Size);
        for (int i = 0; i < pages.Length; i++) pages[i].CopyTo(buffer.AsSpan(i * Page.Size, Page.Size));
        GC.KeepAlive(buffer);
    }
}
