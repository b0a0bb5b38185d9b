using System.IO.Hashing;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.State;

/// <summary>One page of a checkpoint. Empty <see cref="Data"/> means a page of zeros.</summary>
public readonly record struct CheckpointPage(ulong Number, PagePermissions Permissions, ReadOnlyMemory<byte> Data)
{
    public bool IsZero => Data.IsEmpty;
}

/// <summary>
/// A captured guest state in parts: the machine section (CPU and kernel, opaque outside the guest) and the
/// pages, each on its own, so the replication layer can encode every page against the copy it last shipped.
/// A full checkpoint holds every mapped page; a delta holds the pages written and unmapped since the
/// checkpoint it follows.
/// </summary>
/// <remarks>
/// As bytes (<see cref="ToImage"/>, <see cref="FromImage"/>): a 48-byte <see cref="ImageHeader"/>, then the
/// body: machine section (length-prefixed), page limit, unmapped page numbers, and page records (number,
/// permissions, zero-or-data, 4096 bytes when data).
/// </remarks>
public sealed class GuestCheckpoint
{
    private const int PageRecordHeader = 8 + 1 + 1;
    private const byte PageZero = 0, PageData = 1;

    private Action? _release;

    public GuestCheckpoint(bool isFull, ulong sequence, ulong baseSequence, long pageLimit, ReadOnlyMemory<byte> machine,
        IReadOnlyList<ulong> unmapped, IReadOnlyList<CheckpointPage> pages, Action? release = null)
    {
        _release = release;
        IsFull = isFull;
        Sequence = sequence;
        BaseSequence = baseSequence;
        PageLimit = pageLimit;
        Machine = machine;
        Unmapped = unmapped;
        Pages = pages;
    }

    public bool IsFull { get; }

    /// <summary>This capture's number; the guest's captures count up from 1.</summary>
    public ulong Sequence { get; }

    /// <summary>The capture a delta follows (0 for a full checkpoint).</summary>
    public ulong BaseSequence { get; }

    public long PageLimit { get; }

    /// <summary>The CPU and kernel sections: small, and meaningful only to the guest.</summary>
    public ReadOnlyMemory<byte> Machine { get; }

    public IReadOnlyList<ulong> Unmapped { get; }

    public IReadOnlyList<CheckpointPage> Pages { get; }

    /// <summary>
    /// Gives the page buffer back to the pool it came from. Call it once nothing will read <see cref="Pages"/>
    /// again (after encoding): a large capture's buffer is then reused instead of left for a full collection.
    /// Not calling it is safe; the buffer is simply collected.
    /// </summary>
    public void ReleaseBuffers() => Interlocked.Exchange(ref _release, null)?.Invoke();

    /// <summary>The bytes of page data carried (zero pages carry none).</summary>
    public long DataBytes => Pages.Sum(p => (long)p.Data.Length);

    public byte[] ToImage()
    {
        long size = ImageHeader.Size + 4 + Machine.Length + 8 + 4 + 8L * Unmapped.Count + 4 + (long)PageRecordHeader * Pages.Count + DataBytes;
        if (size > Array.MaxLength) throw new InvalidOperationException($"guest state of {size} bytes is too large for one image");
        var w = new StateWriter((int)size);
        w.Raw(stackalloc byte[ImageHeader.Size]);
        w.Bytes(Machine.Span);
        w.I64(PageLimit);
        w.I32(Unmapped.Count);
        foreach (var vpn in Unmapped) w.U64(vpn);
        w.I32(Pages.Count);
        foreach (var page in Pages)
        {
            w.U64(page.Number);
            w.U8((byte)page.Permissions);
            w.U8(page.IsZero ? PageZero : PageData);
            w.Raw(page.Data.Span);
        }
        var body = w.Written[ImageHeader.Size..];
        var header = new ImageHeader(IsFull ? ImageKind.Full : ImageKind.Delta, Sequence, BaseSequence, (ulong)body.Length, XxHash3.HashToUInt64(body));
        header.Write(w.Patch(0, ImageHeader.Size));
        return w.ToArray();
    }

    /// <summary>Parses and verifies an image. Page data stays in <paramref name="image"/>; nothing is copied.</summary>
    /// <exception cref="CorruptStateException">Truncated, a bad magic number or checksum, or malformed records.</exception>
    /// <exception cref="UnsupportedStateVersionException">Another format version.</exception>
    public static GuestCheckpoint FromImage(ReadOnlyMemory<byte> image)
    {
        var header = ImageHeader.Read(image.Span, out _);
        var body = image[ImageHeader.Size..];
        var r = new StateReader(body.Span);
        int machineLength = r.Count();
        int machineStart = ImageHeader.Size + 4;
        r.Raw(machineLength);
        long pageLimit = r.I64();
        var unmapped = new ulong[r.Count(8)];
        for (int i = 0; i < unmapped.Length; i++) unmapped[i] = r.U64();
        int count = r.Count(PageRecordHeader);
        var pages = new CheckpointPage[count];
        for (int i = 0; i < count; i++)
        {
            ulong vpn = r.U64();
            var perms = (PagePermissions)r.U8();
            byte kind = r.U8();
            int at = ImageHeader.Size + r.Position;
            pages[i] = kind switch
            {
                PageZero => new CheckpointPage(vpn, perms, ReadOnlyMemory<byte>.Empty),
                PageData => new CheckpointPage(vpn, perms, image.Slice(at, Page.Size)),
                _ => throw new CorruptStateException($"page 0x{vpn:x}: unknown record kind {kind}"),
            };
            if (kind == PageData) r.Raw(Page.Size);
        }
        if (!r.AtEnd) throw new CorruptStateException("trailing bytes after the guest state");
        return new GuestCheckpoint(header.Kind == ImageKind.Full, header.Sequence, header.BaseSequence, pageLimit,
            image.Slice(machineStart, machineLength), unmapped, pages);
    }
}
