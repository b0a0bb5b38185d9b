using System.Buffers;
using System.IO.Hashing;
using FaultTolerant.Guest.Kernel;
using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.State;

namespace FaultTolerant.Guest;

/// <summary>Capture, restore and the state hash.</summary>
/// <remarks>
/// A capture is a <see cref="GuestCheckpoint"/>: the machine section (CPU: status, x1–x31, pc, instret; then
/// the kernel, <see cref="LinuxKernel.Save"/>) and the pages. Capturing copies the dirty pages once, into one
/// buffer; that copy is the checkpoint pause. Applying one stages everything first and commits only when
/// all of it decoded, so a bad checkpoint leaves the guest as it was.
/// </remarks>
public sealed partial class Rv64Guest
{
    public ulong CaptureSequence { get; private set; }

    public byte[] CaptureFull() => ToImage(Checkpoint(full: true));

    public byte[] CaptureDelta() => ToImage(Checkpoint(full: false));

    private static byte[] ToImage(GuestCheckpoint checkpoint)
    {
        var image = checkpoint.ToImage();
        checkpoint.ReleaseBuffers();
        return image;
    }

    public GuestCheckpoint Checkpoint(bool full, bool completeKernel = false)
    {
        if (!full && CaptureSequence == 0) throw new InvalidOperationException("a delta follows a capture: take a full capture first");
        IReadOnlyList<ulong> written, unmapped;
        if (full)
        {
            written = [.. _memory.MappedPageNumbers()];
            unmapped = [];
            _memory.ClearDirty();
        }
        else
        {
            var dirty = _memory.HarvestDirty();
            (written, unmapped) = (dirty.Written, dirty.Unmapped);
        }

        var machine = new StateWriter(1024);
        WriteCpu(machine);
        _kernel.Save(machine, full || completeKernel ? KernelWriteMode.Full : KernelWriteMode.Delta);

        int dataPages = 0;
        var zero = new bool[written.Count];
        for (int i = 0; i < written.Count; i++)
        {
            zero[i] = _memory.GetPage(written[i])!.IsZero;
            if (!zero[i]) dataPages++;
        }
        // One buffer for all page data, each page copied exactly once. Pooled: a large capture every epoch would
        // otherwise leave a large-object-heap array per epoch for the next full collection.
        var data = ArrayPool<byte>.Shared.Rent(Math.Max(1, dataPages * Page.Size));
        var pages = new CheckpointPage[written.Count];
        int at = 0;
        for (int i = 0; i < written.Count; i++)
        {
            ulong vpn = written[i];
            _memory.TryGetPermissions(vpn, out var perms);
            if (zero[i])
            {
                pages[i] = new CheckpointPage(vpn, perms, ReadOnlyMemory<byte>.Empty);
                continue;
            }
            var slice = data.AsMemory(at, Page.Size);
            _memory.PageBytes(vpn).CopyTo(slice.Span);
            pages[i] = new CheckpointPage(vpn, perms, slice);
            at += Page.Size;
        }
        var checkpoint = new GuestCheckpoint(full, CaptureSequence + 1, full ? 0 : CaptureSequence, _memory.MaxPages,
            machine.ToArray(), unmapped, pages, () => ArrayPool<byte>.Shared.Return(data));
        CaptureSequence++;
        return checkpoint;
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

    /// <summary>Builds a guest from a full image and the delta images that follow it, in order.</summary>
    /// <exception cref="CorruptStateException">An image is truncated, corrupt or inconsistent.</exception>
    /// <exception cref="UnsupportedStateVersionException">An image has another format version.</exception>
    /// <exception cref="StateSequenceException">A delta does not follow the state before it.</exception>
    public static Rv64Guest Restore(ReadOnlyMemory<byte> full, IEnumerable<byte[]>? deltas = null, GuestOptions? options = null) =>
        Restore(GuestCheckpoint.FromImage(full), deltas?.Select(d => GuestCheckpoint.FromImage(d)), options);

    /// <summary>Builds a guest from a full checkpoint and the deltas that follow it, in order.</summary>
    /// <exception cref="GuestStateException">A checkpoint is inconsistent or out of sequence.</exception>
    public static Rv64Guest Restore(GuestCheckpoint full, IEnumerable<GuestCheckpoint>? deltas = null, GuestOptions? options = null)
    {
        if (!full.IsFull) throw new CorruptStateException("expected a full image to restore from, got a delta");
        if (full.PageLimit <= 0) throw new CorruptStateException($"bad page limit {full.PageLimit}");
        if (full.Unmapped.Count != 0) throw new CorruptStateException("a full image lists unmapped pages");
        var guest = new Rv64Guest(options ?? new GuestOptions(), new GuestMemory(full.PageLimit), 0);
        long capturedAt = guest.Commit(guest.Stage(full));
        foreach (var delta in deltas ?? []) capturedAt = guest.ApplyCore(delta);
        guest._kernel.Clock.Resume(capturedAt);
        guest._memory.ClearDirty();
        return guest;
    }

    /// <summary>Applies one delta image, atomically.</summary>
    /// <exception cref="GuestStateException">The delta is corrupt, of another version, or does not follow this state.</exception>
    public void ApplyDelta(ReadOnlyMemory<byte> delta) => ApplyCheckpoint(GuestCheckpoint.FromImage(delta));

    /// <summary>
    /// Applies one delta, atomically: it is verified and decoded completely before anything changes, so a
    /// bad one leaves the guest exactly as it was.
    /// </summary>
    /// <exception cref="GuestStateException">The delta is inconsistent or does not follow this state.</exception>
    public void ApplyCheckpoint(GuestCheckpoint delta)
    {
        long capturedAt = ApplyCore(delta);
        _kernel.Clock.Resume(capturedAt);
        _memory.ClearDirty();
    }

    private long ApplyCore(GuestCheckpoint delta)
    {
        if (delta.IsFull) throw new CorruptStateException("expected a delta, got a full image");
        if (delta.BaseSequence != CaptureSequence) throw new StateSequenceException(CaptureSequence, delta.BaseSequence);
        return Commit(Stage(delta));
    }

    private sealed record Staged(GuestCheckpoint Checkpoint, GuestRunResult? Final, ulong[] Registers, ulong Pc, long Instret, LinuxKernel Kernel, long CapturedAt);

    /// <summary>Decodes and checks a checkpoint against this guest without changing it.</summary>
    private Staged Stage(GuestCheckpoint c)
    {
        if (c.PageLimit != _memory.MaxPages) throw new CorruptStateException($"checkpoint page limit {c.PageLimit} differs from the guest's {_memory.MaxPages}");
        var r = new StateReader(c.Machine.Span);
        var registers = new ulong[Cpu.Hart.RegisterCount];
        var final = ReadCpu(ref r, registers, out var pc, out var instret);
        var kernel = NewKernel(0, new VirtualFileSystem());
        long capturedAt = kernel.Load(ref r, c.IsFull ? null : _kernel);
        if (!r.AtEnd) throw new CorruptStateException("trailing bytes after the machine section");

        var unmapped = c.Unmapped.ToHashSet();
        long mapped = _memory.MappedPages - unmapped.Count(_memory.IsMapped);
        var seen = new HashSet<ulong>();
        foreach (var page in c.Pages)
        {
            if ((page.Permissions & ~PagePermissions.All) != 0) throw new CorruptStateException($"page 0x{page.Number:x}: bad permissions {(byte)page.Permissions}");
            if (page.Number >= Elf.ElfLoader.UserTop >> Page.Shift) throw new CorruptStateException($"page 0x{page.Number:x} lies outside the user address space");
            if (!page.Data.IsEmpty && page.Data.Length != Page.Size) throw new CorruptStateException($"page 0x{page.Number:x}: {page.Data.Length} bytes of data");
            if (!seen.Add(page.Number)) throw new CorruptStateException($"page 0x{page.Number:x} appears twice");
            if (!_memory.IsMapped(page.Number) || unmapped.Contains(page.Number)) mapped++;
        }
        if (mapped > _memory.MaxPages) throw new CorruptStateException("checkpoint maps more pages than the guest's limit");
        return new Staged(c, final, registers, pc, instret, kernel, capturedAt);
    }

    /// <summary>Makes a staged checkpoint the guest's state. Nothing here can fail on the checkpoint's account.</summary>
    private long Commit(Staged s)
    {
        foreach (var vpn in s.Checkpoint.Unmapped) _memory.Remove(vpn);
        foreach (var page in s.Checkpoint.Pages) _memory.Install(page.Number, page.Permissions, page.Data.Span);
        _kernel = s.Kernel;
        for (int i = 1; i < Cpu.Hart.RegisterCount; i++) _hart[i] = s.Registers[i];
        _hart.Pc = s.Pc;
        _hart.InstructionsRetired = s.Instret;
        _final = s.Final;
        CaptureSequence = s.Checkpoint.Sequence;
        return s.CapturedAt;
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

    public bool TryCopyPage(ulong pageNumber, Span<byte> destination, out PagePermissions permissions)
    {
        if (!_memory.TryGetPermissions(pageNumber, out permissions)) return false;
        _memory.PageBytes(pageNumber).CopyTo(destination);
        return true;
    }

    public IReadOnlyList<ulong> MappedPageNumbers() => [.. _memory.MappedPageNumbers()];

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
