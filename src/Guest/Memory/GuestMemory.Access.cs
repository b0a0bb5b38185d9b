using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FaultTolerant.Guest.Cpu;

namespace FaultTolerant.Guest.Memory;

/// <summary>The CPU's loads, stores and instruction fetch, through a direct-mapped software TLB.</summary>
/// <remarks>
/// Two TLBs: the read TLB holds pages readable by loads; the write TLB holds only pages that are writable,
/// already marked dirty in the current epoch, and have no decoded-instruction cache. A store that hits
/// the write TLB therefore needs no dirty check and cannot be modifying cached code; every other store
/// takes the slow path, which does the bookkeeping once per page per epoch. Harvesting the dirty set
/// drops those pages from the write TLB, so the first store of the next epoch marks them again.
/// </remarks>
public sealed partial class GuestMemory
{
    private const int TlbSize = 256;
    private const int TlbMask = TlbSize - 1;

    private static readonly byte[] ZeroPage = new byte[Page.Size];

    private struct TlbEntry
    {
        public ulong Tag;
        public byte[] Data;
    }

    private readonly TlbEntry[] _readTlb = new TlbEntry[TlbSize];
    private readonly TlbEntry[] _writeTlb = new TlbEntry[TlbSize];

    /// <summary>The fault of the last failed access: cause and guest address.</summary>
    internal FaultCause LastFaultCause;
    internal ulong LastFaultAddress;

    /// <summary>Set when a store hit a page with decoded instructions; the CPU must refetch.</summary>
    internal bool CodeInvalidated;

    private void InitTlb()
    {
        for (int i = 0; i < TlbSize; i++)
        {
            _readTlb[i] = new TlbEntry { Tag = ulong.MaxValue, Data = ZeroPage };
            _writeTlb[i] = new TlbEntry { Tag = ulong.MaxValue, Data = ZeroPage };
        }
    }

    private void InvalidateTlb(ulong vpn)
    {
        int i = (int)(vpn & TlbMask);
        if (_readTlb[i].Tag == vpn) _readTlb[i].Tag = ulong.MaxValue;
        if (_writeTlb[i].Tag == vpn) _writeTlb[i].Tag = ulong.MaxValue;
    }

    private void FlushTlb()
    {
        for (int i = 0; i < TlbSize; i++)
        {
            _readTlb[i].Tag = ulong.MaxValue;
            _writeTlb[i].Tag = ulong.MaxValue;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref TlbEntry ReadEntry(ulong vpn) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_readTlb), (int)(vpn & TlbMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref TlbEntry WriteEntry(ulong vpn) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_writeTlb), (int)(vpn & TlbMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte At(byte[] data, ulong address) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)(address & Page.OffsetMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryLoad<T>(ulong address, out T value) where T : unmanaged
    {
        ulong vpn = address >> Page.Shift;
        ref var e = ref ReadEntry(vpn);
        if (e.Tag == vpn && (address & Page.OffsetMask) <= (ulong)(Page.Size - Unsafe.SizeOf<T>()))
        {
            value = Unsafe.ReadUnaligned<T>(ref At(e.Data, address));
            return true;
        }
        return LoadSlow(address, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryStore<T>(ulong address, T value) where T : unmanaged
    {
        ulong vpn = address >> Page.Shift;
        ref var e = ref WriteEntry(vpn);
        if (e.Tag == vpn && (address & Page.OffsetMask) <= (ulong)(Page.Size - Unsafe.SizeOf<T>()))
        {
            Unsafe.WriteUnaligned(ref At(e.Data, address), value);
            return true;
        }
        return StoreSlow(address, value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LoadSlow<T>(ulong address, out T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        value = default;
        if ((address & Page.OffsetMask) > (ulong)(Page.Size - size))
        {
            // Misaligned across a page boundary: byte by byte, each byte checked (Linux user mode allows it).
            Span<byte> bytes = stackalloc byte[size];
            for (int i = 0; i < size; i++)
            {
                if (!LoadSlow(address + (ulong)i, out bytes[i])) return false;
            }
            value = MemoryMarshal.Read<T>(bytes);
            return true;
        }
        ulong vpn = address >> Page.Shift;
        if (!_pages.TryGetValue(vpn, out var page))
        {
            return Fault(FaultCause.LoadPageFault, address);
        }
        if ((page.Permissions & PagePermissions.Read) == 0)
        {
            return Fault(FaultCause.LoadAccessFault, address);
        }
        ref var e = ref ReadEntry(vpn);
        e.Tag = vpn;
        e.Data = page.Data ?? ZeroPage;
        value = Unsafe.ReadUnaligned<T>(ref At(e.Data, address));
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool StoreSlow<T>(ulong address, T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if ((address & Page.OffsetMask) > (ulong)(Page.Size - size))
        {
            Span<byte> bytes = stackalloc byte[size];
            MemoryMarshal.Write(bytes, in value);
            // Check every byte's page first so a faulting store changes nothing.
            for (int i = 0; i < size; i++)
            {
                if (!CheckWritable(address + (ulong)i)) return false;
            }
            bool ok = true;
            for (int i = 0; i < size; i++) ok &= StoreSlow(address + (ulong)i, bytes[i]);
            return ok;
        }
        ulong vpn = address >> Page.Shift;
        if (!CheckWritable(address)) return false;
        var page = _pages[vpn];
        var data = page.Materialize();
        bool codeChanged = page.Decoded is not null;
        page.Decoded = null;
        MarkDirty(page, vpn);
        ref var r = ref ReadEntry(vpn);
        if (r.Tag == vpn) r.Data = data;
        ref var w = ref WriteEntry(vpn);
        w.Tag = vpn;
        w.Data = data;
        Unsafe.WriteUnaligned(ref At(data, address), value);
        if (codeChanged)
        {
            CodeInvalidated = true;
            return false;
        }
        return true;
    }

    private bool CheckWritable(ulong address)
    {
        if (!_pages.TryGetValue(address >> Page.Shift, out var page))
        {
            return Fault(FaultCause.StorePageFault, address);
        }
        if ((page.Permissions & PagePermissions.Write) == 0)
        {
            return Fault(FaultCause.StoreAccessFault, address);
        }
        return true;
    }

    private bool Fault(FaultCause cause, ulong address)
    {
        LastFaultCause = cause;
        LastFaultAddress = address;
        return false;
    }

    /// <summary>The decoded instructions of an executable page, decoding it on first use.</summary>
    /// <returns>Null with <see cref="LastFaultCause"/> set when the page is not mapped or not executable.</returns>
    internal Instruction[]? FetchDecoded(ulong vpn)
    {
        if (!_pages.TryGetValue(vpn, out var page))
        {
            Fault(FaultCause.InstructionPageFault, vpn << Page.Shift);
            return null;
        }
        if ((page.Permissions & PagePermissions.Execute) == 0)
        {
            Fault(FaultCause.InstructionAccessFault, vpn << Page.Shift);
            return null;
        }
        if (page.Decoded is null)
        {
            // Leaving the write TLB means the next store to this page takes the slow path and drops the cache.
            ref var w = ref WriteEntry(vpn);
            if (w.Tag == vpn) w.Tag = ulong.MaxValue;
            page.Decoded = Decoder.DecodePage(page.Data ?? ZeroPage);
        }
        return page.Decoded;
    }
}
