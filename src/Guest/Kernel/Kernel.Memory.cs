using System.Buffers.Binary;
using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Kernel;

/// <summary>brk, mmap, munmap, mprotect, and the kernel's typed access to guest memory.</summary>
internal sealed partial class LinuxKernel
{
    /// <summary>brk grows from the end of the executable up to here; anonymous mmap takes addresses above.</summary>
    public const ulong HeapLimit = 0x10_0000_0000;

    /// <summary>Anonymous mappings are placed top-down below here, under the stack.</summary>
    public const ulong MmapTop = 0x20_0000_0000;

    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapShared = 0x01, MapPrivate = 0x02, MapFixed = 0x10, MapAnonymous = 0x20, MapFixedNoReplace = 0x100000;

    public ulong BrkStart { get; set; }

    public ulong BrkCurrent { get; set; }

    /// <summary>The lowest address handed out by mmap so far: the next search starts just below it.</summary>
    public ulong MmapHint { get; set; } = MmapTop;

    private static ulong PageUp(ulong a) => (a + Page.OffsetMask) & ~Page.OffsetMask;

    private long Brk(ulong requested)
    {
        if (requested < BrkStart || requested > HeapLimit) return (long)BrkCurrent;
        ulong oldTop = PageUp(BrkCurrent) >> Page.Shift;
        ulong newTop = PageUp(requested) >> Page.Shift;
        if (newTop > oldTop)
        {
            for (ulong v = oldTop; v < newTop; v++)
            {
                if (_memory.IsMapped(v)) return (long)BrkCurrent;
            }
            if (!_memory.Map(oldTop, newTop - oldTop, PagePermissions.ReadWrite)) return (long)BrkCurrent;
        }
        else if (newTop < oldTop)
        {
            _memory.Unmap(newTop, oldTop - newTop);
        }
        BrkCurrent = requested;
        return (long)BrkCurrent;
    }

    private static PagePermissions Permissions(int prot) =>
        ((prot & ProtRead) != 0 ? PagePermissions.Read : 0)
        | ((prot & ProtWrite) != 0 ? PagePermissions.Write : 0)
        | ((prot & ProtExec) != 0 ? PagePermissions.Execute : 0);

    private long Mmap(ulong address, ulong length, int prot, int flags, int fd)
    {
        if (length == 0 || length > HeapLimit) return length == 0 ? -Errno.EINVAL : -Errno.ENOMEM;
        if ((flags & (MapShared | MapPrivate)) == 0) return -Errno.EINVAL;
        if ((flags & MapAnonymous) == 0) return fd < 0 || FileOf(fd) is null ? -Errno.EBADF : -Errno.ENODEV;
        if ((prot & ~(ProtRead | ProtWrite | ProtExec)) != 0) return -Errno.EINVAL;
        ulong pages = PageUp(length) >> Page.Shift;
        ulong vpn;
        if ((flags & (MapFixed | MapFixedNoReplace)) != 0)
        {
            if ((address & Page.OffsetMask) != 0 || address >= Elf.ElfLoader.UserTop || address + pages * Page.Size > Elf.ElfLoader.UserTop) return -Errno.EINVAL;
            vpn = address >> Page.Shift;
            if ((flags & MapFixedNoReplace) != 0)
            {
                for (ulong v = vpn; v < vpn + pages; v++)
                {
                    if (_memory.IsMapped(v)) return -Errno.EEXIST;
                }
            }
        }
        else
        {
            ulong bottom = HeapLimit >> Page.Shift;
            var found = _memory.FindFreeRange(pages, bottom, MmapHint >> Page.Shift)
                        ?? _memory.FindFreeRange(pages, bottom, MmapTop >> Page.Shift);
            if (found is null) return -Errno.ENOMEM;
            vpn = found.Value;
            MmapHint = Math.Min(MmapHint, vpn << Page.Shift);
        }
        if (!_memory.Map(vpn, pages, Permissions(prot))) return -Errno.ENOMEM;
        return (long)(vpn << Page.Shift);
    }

    private long Munmap(ulong address, ulong length)
    {
        if ((address & Page.OffsetMask) != 0 || length == 0 || address >= Elf.ElfLoader.UserTop) return -Errno.EINVAL;
        ulong pages = PageUp(length) >> Page.Shift;
        _memory.Unmap(address >> Page.Shift, pages);
        return 0;
    }

    private long Mprotect(ulong address, ulong length, int prot)
    {
        if ((address & Page.OffsetMask) != 0 || (prot & ~(ProtRead | ProtWrite | ProtExec)) != 0) return -Errno.EINVAL;
        ulong first = address >> Page.Shift, pages = PageUp(length) >> Page.Shift;
        for (ulong v = first; v < first + pages; v++)
        {
            if (!_memory.IsMapped(v)) return -Errno.ENOMEM;
        }
        _memory.Protect(first, pages, Permissions(prot));
        return 0;
    }

    private bool TryReadU64(ulong address, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        value = 0;
        if (!_memory.TryRead(address, b)) return false;
        value = BinaryPrimitives.ReadUInt64LittleEndian(b);
        return true;
    }

    private bool TryReadI32(ulong address, out int value)
    {
        Span<byte> b = stackalloc byte[4];
        value = 0;
        if (!_memory.TryRead(address, b)) return false;
        value = BinaryPrimitives.ReadInt32LittleEndian(b);
        return true;
    }

    private bool TryWriteU64(ulong address, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return _memory.TryWrite(address, b);
    }

    private bool TryWriteI32(ulong address, int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return _memory.TryWrite(address, b);
    }

    /// <summary>Reads a timespec {tv_sec, tv_nsec}; -EFAULT or -EINVAL as Linux would.</summary>
    private long ReadTimespec(ulong address, out long nanoseconds)
    {
        nanoseconds = 0;
        if (!TryReadU64(address, out var sec) || !TryReadU64(address + 8, out var nsec)) return -Errno.EFAULT;
        if ((long)sec < 0 || nsec >= 1_000_000_000) return -Errno.EINVAL;
        nanoseconds = (long)sec > long.MaxValue / 1_000_000_000 - 1 ? long.MaxValue : (long)sec * 1_000_000_000 + (long)nsec;
        return 0;
    }

    private bool TryWriteTimespec(ulong address, long nanoseconds) =>
        TryWriteU64(address, (ulong)(nanoseconds / 1_000_000_000)) && TryWriteU64(address + 8, (ulong)(nanoseconds % 1_000_000_000));

    private byte[]? ReadPath(ulong address) => _memory.TryReadCString(address, VirtualFileSystem.PathMax);
}
