using System.Buffers.Binary;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Elf;

/// <summary>Validates static 64-bit little-endian RISC-V executables and loads their segments.</summary>
public static class ElfLoader
{
    private const ushort MachineRiscV = 243;
    private const ushort TypeExec = 2;
    private const ushort TypeDyn = 3;
    private const uint PtLoad = 1;
    private const uint PtDynamic = 2;
    private const uint PtInterp = 3;
    private const uint FlagRvc = 0x1;
    private const uint FlagFloatAbiMask = 0x6;
    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;

    /// <summary>The highest user address a segment may reach (the Sv39 user half, as Linux gives riscv64 processes).</summary>
    public const ulong UserTop = 0x40_0000_0000;

    /// <exception cref="InvalidElfException">The file is not ELF, not RISC-V, 32-bit, dynamic, truncated, or uses an extension we lack.</exception>
    public static ElfImage Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length < 4 || file[0] != 0x7f || file[1] != (byte)'E' || file[2] != (byte)'L' || file[3] != (byte)'F')
        {
            throw new InvalidElfException("not an ELF file (no \\x7fELF magic number)");
        }
        if (file.Length < HeaderSize) throw new InvalidElfException($"truncated ELF file: {file.Length} bytes, shorter than the 64-byte ELF header");
        if (file[4] == 1) throw new InvalidElfException("32-bit ELF file: only 64-bit RISC-V (RV64) executables run here");
        if (file[4] != 2) throw new InvalidElfException($"unknown ELF class {file[4]}");
        if (file[5] != 1) throw new InvalidElfException("big-endian ELF file: RISC-V Linux executables are little-endian");

        ushort type = U16(file, 16);
        ushort machine = U16(file, 18);
        if (machine != MachineRiscV) throw new InvalidElfException($"not a RISC-V executable (e_machine {machine}{MachineName(machine)})");
        uint flags = U32(file, 48);
        ulong entry = U64(file, 24);
        ulong phoff = U64(file, 32);
        ushort phentsize = U16(file, 54);
        ushort phnum = U16(file, 56);
        if (phnum == 0) throw new InvalidElfException("no program headers: not an executable");
        if (phentsize != ProgramHeaderSize) throw new InvalidElfException($"unexpected program header size {phentsize} (expected {ProgramHeaderSize})");
        if (phoff > (ulong)file.Length || (ulong)file.Length - phoff < (ulong)phnum * ProgramHeaderSize)
        {
            throw new InvalidElfException($"truncated ELF file: program headers end past the file's {file.Length} bytes");
        }

        var segments = new List<ElfSegment>();
        ulong? phdrAddress = null;
        for (int i = 0; i < phnum; i++)
        {
            var ph = file.Slice((int)phoff + i * ProgramHeaderSize, ProgramHeaderSize);
            uint ptype = U32(ph, 0);
            if (ptype == PtInterp) throw new InvalidElfException("dynamically linked executable (it names an interpreter): link it with -static");
            if (ptype == PtDynamic) throw new InvalidElfException("dynamically linked executable (it has a PT_DYNAMIC segment): link it with -static");
            if (ptype != PtLoad) continue;
            uint pflags = U32(ph, 4);
            ulong offset = U64(ph, 8), vaddr = U64(ph, 16), filesz = U64(ph, 32), memsz = U64(ph, 40);
            if (filesz > memsz) throw new InvalidElfException($"segment {i}: file size {filesz} exceeds memory size {memsz}");
            if (offset > (ulong)file.Length || (ulong)file.Length - offset < filesz)
            {
                throw new InvalidElfException($"truncated ELF file: segment {i} needs bytes up to {offset + filesz}, the file has {file.Length}");
            }
            if (vaddr >= UserTop || UserTop - vaddr < memsz) throw new InvalidElfException($"segment {i} at 0x{vaddr:x} lies outside the user address space");
            if (memsz == 0) continue;
            var perms = ((pflags & 4) != 0 ? PagePermissions.Read : 0)
                      | ((pflags & 2) != 0 ? PagePermissions.Write : 0)
                      | ((pflags & 1) != 0 ? PagePermissions.Execute : 0);
            segments.Add(new ElfSegment(vaddr, memsz, offset, filesz, perms));
            if (phoff >= offset && phoff + (ulong)phnum * ProgramHeaderSize <= offset + filesz) phdrAddress = vaddr + (phoff - offset);
        }
        if (type == TypeDyn) throw new InvalidElfException("position-independent executable (ET_DYN): link it with -static -no-pie");
        if (type != TypeExec) throw new InvalidElfException($"not an executable (ELF type {type})");
        if ((flags & FlagRvc) != 0) throw new InvalidElfException("built for the compressed (C) extension, which this emulator does not implement yet: build with -march=rv64im");
        if ((flags & FlagFloatAbiMask) != 0) throw new InvalidElfException("built for a hardware floating-point ABI, which this emulator does not implement yet: build with -mabi=lp64");
        if (segments.Count == 0) throw new InvalidElfException("no loadable (PT_LOAD) segments");
        if (entry >= UserTop) throw new InvalidElfException($"entry point 0x{entry:x} lies outside the user address space");
        return new ElfImage(entry, phdrAddress ?? 0, phnum, segments);
    }

    /// <summary>Maps and fills every segment. Pages shared by two segments get both segments' rights.</summary>
    /// <exception cref="InvalidElfException">The segments do not fit in the guest's memory limit.</exception>
    public static void Load(ElfImage image, ReadOnlySpan<byte> file, GuestMemory memory)
    {
        foreach (var s in image.Segments)
        {
            ulong first = s.VirtualAddress >> Page.Shift;
            ulong last = (s.VirtualAddress + s.MemorySize - 1) >> Page.Shift;
            for (ulong vpn = first; vpn <= last; vpn++)
            {
                if (memory.TryGetPermissions(vpn, out var existing)) memory.Protect(vpn, 1, existing | s.Permissions);
                else if (!memory.Map(vpn, 1, s.Permissions)) throw new InvalidElfException("the executable's segments do not fit in the guest memory limit");
            }
        }
        foreach (var s in image.Segments)
        {
            if (!memory.TryWritePrivileged(s.VirtualAddress, file.Slice((int)s.FileOffset, (int)s.FileSize)))
            {
                throw new InvalidOperationException("segment pages were mapped just above");
            }
        }
    }

    private static string MachineName(ushort m) => m switch
    {
        62 => ", x86-64",
        183 => ", AArch64",
        40 => ", ARM",
        3 => ", i386",
        _ => "",
    };

    private static ushort U16(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt16LittleEndian(b[o..]);

    private static uint U32(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);

    private static ulong U64(ReadOnlySpan<byte> b, int o) => BinaryPrimitives.ReadUInt64LittleEndian(b[o..]);
}
