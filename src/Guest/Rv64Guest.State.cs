using System.IO.Hashing;
using FaultTolerant.Guest.Kernel;
using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Guest;

/// <summary>Capture, restore and the state hash.</summary>
/// <remarks>
/// Body layout (after the <see cref="ImageHeader"/>): CPU section (status, x1–x31, pc, instret), memory
/// section (page limit, unmapped pages, pages written), kernel section (<see cref="LinuxKernel.Save"/>).
/// A full image lists every mapped page and no unmapped ones; a delta lists only what changed since
/// the capture it follows.
/// </remarks>
public sealed partial class Rv64Guest
{
    private const int PageRecordHeader = 8 + 1 + 1;
    private const byte PageZero = 0, PageData = 1;

    public ulong CaptureSequence { get; private set; }

    public byte[] CaptureFull()
    {
        var pages = _memory.MappedPageNumbers().ToList();
        var image = Capture(ImageKind.Full, [], pages, KernelWriteMode.Full);
        _memory.ClearDirty();
        return image;
    }

    public byte[] CaptureDelta()
    {
        if (CaptureSequence == 0) throw new InvalidOperationException("a delta follows a capture: take a full capture first");
        var dirty = _memory.HarvestDirty();
        return Capture(ImageKind.Delta, dirty.Unmapped, dirty.Written, KernelWriteMode.Delta);
    }

    private byte[] Capture(ImageKind kind, IReadOnlyList<ulong> unmapped, IReadOnlyList<ulong> written, KernelWriteMode mode)
    {
        var kernel = new StateWriter();
        _kernel.Save(kernel, mode);
        var cpu = new StateWriter(512);
        WriteCpu(cpu);
        var zero = new bool[written.Count];
        int zeroPages = 0;
        for (int i = 0; i < written.Count; i++)
        {
            zero[i] = _memory.GetPage(written[i])!.IsZero;
            if (zero[i]) zeroPages++;
        }
        long size = ImageHeader.Size + cpu.Length + 8 + 4 + 8L * unmapped.Count + 4
                    + (long)PageRecordHeader * written.Count + (long)Page.Size * (written.Count - zeroPages) + kernel.Length;
        if (size > Array.MaxLength) throw new InvalidOperationException($"guest state of {size} bytes is too large for one image");
        var w = new StateWriter((int)size);
        w.Raw(new byte[ImageHeader.Size]);
        w.Raw(cpu.Written);
        w.I64(_memory.MaxPages);
        w.I32(unmapped.Count);
        foreach (var vpn in unmapped) w.U64(vpn);
        w.I32(written.Count);
        for (int i = 0; i < written.Count; i++)
        {
            ulong vpn = written[i];
            _memory.TryGetPermissions(vpn, out var perms);
            w.U64(vpn);
            w.U8((byte)perms);
            if (zero[i])
            {
                w.U8(PageZero);
            }
            else
            {
                w.U8(PageData);
                w.Raw(_memory.PageBytes(vpn));
            }
        }
        w.Raw(kernel.Written);
        var body = w.Written[ImageHeader.Size..];
        ulong baseSequence = kind == ImageKind.Full ? 0 : CaptureSequence;
        var header = new ImageHeader(kind, CaptureSequence + 1, baseSequence, (ulong)body.Length, XxHash3.HashToUInt64(body));
        header.Write(w.Patch(0, ImageHeader.Size));
        CaptureSequence++;
        return w.ToArray();
    }

    private void WriteCpu(StateWriter w)
    {
        switch (_final)
        {
            case GuestRunResult.Exited e:
                w.U8(1);
                w.I32(e.Code);
                break;
            case GuestRunResult.Faulted f:
                w.U8(2);
                w.I32((int)f.Cause);
                w.U64(f.Pc);
                w.U64(f.Address);
                w.String(f.Detail ?? "");
                break;
            default:
                w.U8(0);
                break;
        }
        for (int i = 1; i < Cpu.Hart.RegisterCount; i++) w.U64(_hart[i]);
        w.U64(_hart.Pc);
        w.I64(_hart.InstructionsRetired);
    }

    private static GuestRunResult? ReadCpu(ref StateReader r, ulong[] registers, out ulong pc, out long instret)
    {
        GuestRunResult? final = r.U8() switch
        {
            0 => null,
            1 => new GuestRunResult.Exited(r.I32()),
            2 => new GuestRunResult.Faulted((FaultCause)r.I32(), r.U64(), r.U64(), r.String() is { Length: > 0 } s ? s : null),
            var b => throw new CorruptStateException($"unknown guest status {b}"),
        };
        for (int i = 1; i < Cpu.Hart.RegisterCount; i++) registers[i] = r.U64();
        pc = r.U64();
        instret = r.I64();
        if (instret < 0) throw new CorruptStateException("negative instruction count");
        return final;
    }

    /// <summary>Builds a guest from a full image and the deltas that follow it, in order.</summary>
    /// <exception cref="CorruptStateException">An image is truncated, corrupt or inconsistent.</exception>
    /// <exception cref="UnsupportedStateVersionException">An image has another format version.</exception>
    /// <exception cref="StateSequenceException">A delta does not follow the state before it.</exception>
    public static Rv64Guest Restore(ReadOnlySpan<byte> full, IEnumerable<byte[]>? deltas = null, GuestOptions? options = null)
    {
        var header = ImageHeader.Read(full, out var body);
        if (header.Kind != ImageKind.Full) throw new CorruptStateException("expected a full image to restore from, got a delta");
        var r = new StateReader(body);
        var registers = new ulong[Cpu.Hart.RegisterCount];
        var final = ReadCpu(ref r, registers, out var pc, out var instret);
        long maxPages = r.I64();
        if (maxPages <= 0) throw new CorruptStateException($"bad page limit {maxPages}");
        if (r.Count(8) != 0) throw new CorruptStateException("a full image lists unmapped pages");
        options ??= new GuestOptions();
        var guest = new Rv64Guest(options, new GuestMemory(maxPages), 0);
        ReadPages(ref r, guest._memory);
        long capturedAt = guest._kernel.Load(ref r, null);
        if (!r.AtEnd) throw new CorruptStateException("trailing bytes after the guest state");
        guest.SetCpu(registers, pc, instret, final);
        guest.CaptureSequence = header.Sequence;
        foreach (var delta in deltas ?? []) capturedAt = guest.ApplyDeltaCore(delta);
        guest._kernel.Clock.Resume(capturedAt);
        guest._memory.ClearDirty();
        return guest;
    }

    /// <summary>
    /// Applies one delta to this guest, atomically: the delta is verified and decoded completely before
    /// anything changes, so a bad one leaves the guest exactly as it was.
    /// </summary>
    /// <exception cref="GuestStateException">The delta is corrupt, of another version, or does not follow this state.</exception>
    public void ApplyDelta(ReadOnlySpan<byte> delta)
    {
        long capturedAt = ApplyDeltaCore(delta);
        _kernel.Clock.Resume(capturedAt);
        _memory.ClearDirty();
    }

    private long ApplyDeltaCore(ReadOnlySpan<byte> delta)
    {
        var header = ImageHeader.Read(delta, out var body);
        if (header.Kind != ImageKind.Delta) throw new CorruptStateException("expected a delta, got a full image");
        if (header.BaseSequence != CaptureSequence) throw new StateSequenceException(CaptureSequence, header.BaseSequence);

        // Stage: decode everything into new objects first.
        var r = new StateReader(body);
        var registers = new ulong[Cpu.Hart.RegisterCount];
        var final = ReadCpu(ref r, registers, out var pc, out var instret);
        long maxPages = r.I64();
        if (maxPages != _memory.MaxPages) throw new CorruptStateException($"delta page limit {maxPages} differs from the guest's {_memory.MaxPages}");
        var unmapped = new ulong[r.Count(8)];
        for (int i = 0; i < unmapped.Length; i++) unmapped[i] = r.U64();
        var staged = new GuestMemory(maxPages) { TrackDirty = false };
        var written = ReadPages(ref r, staged);
        var kernel = NewKernel(0, new VirtualFileSystem());
        long capturedAt = kernel.Load(ref r, _kernel);
        if (!r.AtEnd) throw new CorruptStateException("trailing bytes after the delta");
        long mapped = _memory.MappedPages - unmapped.Count(_memory.IsMapped) + written.Count(v => !_memory.IsMapped(v) || unmapped.Contains(v));
        if (mapped > maxPages) throw new CorruptStateException("delta maps more pages than the guest's limit");

        // Commit: nothing below can fail on the delta's account.
        foreach (var vpn in unmapped) _memory.Remove(vpn);
        foreach (var vpn in written)
        {
            var page = staged.GetPage(vpn)!;
            _memory.Install(vpn, page.Permissions, page.Data ?? []);
        }
        _kernel = kernel;
        SetCpu(registers, pc, instret, final);
        CaptureSequence = header.Sequence;
        return capturedAt;
    }

    private static List<ulong> ReadPages(ref StateReader r, GuestMemory memory)
    {
        int count = r.Count(PageRecordHeader);
        var vpns = new List<ulong>(count);
        for (int i = 0; i < count; i++)
        {
            ulong vpn = r.U64();
            var perms = (PagePermissions)r.U8();
            if ((perms & ~PagePermissions.All) != 0) throw new CorruptStateException($"page 0x{vpn:x}: bad permissions {(byte)perms}");
            if (vpn >= Elf.ElfLoader.UserTop >> Page.Shift) throw new CorruptStateException($"page 0x{vpn:x} lies outside the user address space");
            byte kind = r.U8();
            var data = kind switch
            {
                PageZero => [],
                PageData => r.Raw(Page.Size),
                _ => throw new CorruptStateException($"page 0x{vpn:x}: unknown record kind {kind}"),
            };
            memory.Install(vpn, perms, data);
            vpns.Add(vpn);
        }
        if (memory.MappedPages > memory.MaxPages) throw new CorruptStateException("image maps more pages than its limit");
        return vpns;
    }

    private void SetCpu(ulong[] registers, ulong pc, long instret, GuestRunResult? final)
    {
        for (int i = 1; i < Cpu.Hart.RegisterCount; i++) _hart[i] = registers[i];
        _hart.Pc = pc;
        _hart.InstructionsRetired = instret;
        _final = final;
    }

    public UInt128 StateHash()
    {
        var hash = new XxHash128();
        var w = new StateWriter();
        WriteCpu(w);
        w.I64(_memory.MaxPages);
        _kernel.Save(w, KernelWriteMode.Hash);
        hash.Append(w.Written);
        Span<byte> record = stackalloc byte[9];
        foreach (var vpn in _memory.MappedPageNumbers())
        {
            BitConverter.TryWriteBytes(record, vpn);
            _memory.TryGetPermissions(vpn, out var perms);
            record[8] = (byte)perms;
            hash.Append(record);
            hash.Append(_memory.PageBytes(vpn));
        }
        return hash.GetCurrentHashAsUInt128();
    }
}
