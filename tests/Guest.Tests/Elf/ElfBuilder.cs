using System.Buffers.Binary;

namespace FaultTolerant.Guest.Tests.Elf;

/// <summary>One ELF64 program header, with the bytes to place at its file offset (if any).</summary>
internal sealed record ProgramHeader(uint Type, uint Flags, ulong Offset, ulong VirtualAddress, ulong FileSize, ulong MemorySize)
{
    public const uint PtNull = 0;
    public const uint PtLoad = 1;
    public const uint PtDynamic = 2;
    public const uint PtInterp = 3;
    public const uint PtNote = 4;
    public const uint PtPhdr = 6;
    public const uint PtGnuStack = 0x6474e551;

    public const uint PfX = 1;
    public const uint PfW = 2;
    public const uint PfR = 4;

    public byte[]? Payload { get; init; }

    public ulong Align { get; init; } = 0x1000;
}

/// <summary>
/// Builds ELF64 files in memory: the 64-byte header, the program headers right after it (or at
/// <see cref="ProgramHeaderOffset"/>), and each header's payload at its file offset. Every field can be set
/// to a wrong value, which is the point.
/// </summary>
internal sealed class ElfBuilder
{
    public const int HeaderSize = 64;
    public const int ProgramHeaderSize = 56;
    public const ushort MachineRiscV = 243;
    public const ushort EtExec = 2;
    public const ushort EtDyn = 3;

    public byte Class { get; set; } = 2;            // ELFCLASS64
    public byte DataEncoding { get; set; } = 1;     // ELFDATA2LSB
    public byte OsAbi { get; set; }                 // ELFOSABI_SYSV
    public ushort Type { get; set; } = EtExec;
    public ushort Machine { get; set; } = MachineRiscV;
    public ulong Entry { get; set; } = 0x10000;
    public uint Flags { get; set; }
    public ulong? ProgramHeaderOffset { get; set; }
    public ushort? ProgramHeaderEntrySize { get; set; }
    public ushort? ProgramHeaderCount { get; set; }
    public int? TruncateTo { get; set; }

    /// <summary>Pads the file with zeros to at least this length (for segments without a payload).</summary>
    public int PadTo { get; set; }

    public List<ProgramHeader> Headers { get; } = [];

    public ElfBuilder Add(ProgramHeader header)
    {
        Headers.Add(header);
        return this;
    }

    /// <summary>A PT_LOAD at <paramref name="offset"/>/<paramref name="address"/> holding <paramref name="payload"/>.</summary>
    public ElfBuilder Load(ulong offset, ulong address, uint flags, byte[] payload, ulong? memorySize = null) =>
        Add(new ProgramHeader(ProgramHeader.PtLoad, flags, offset, address, (ulong)payload.Length, memorySize ?? (ulong)payload.Length) { Payload = payload });

    /// <summary>The smallest valid static RV64 executable: one R+X segment with a little code, at 0x10000.</summary>
    public static ElfBuilder Minimal(params uint[] code)
    {
        uint[] words = code.Length == 0 ? [0x00000073] : code;   // ecall
        var bytes = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), words[i]);
        return new ElfBuilder { Entry = 0x10000 }.Load(0x1000, 0x10000, ProgramHeader.PfR | ProgramHeader.PfX, bytes);
    }

    public byte[] Build()
    {
        ulong phoff = ProgramHeaderOffset ?? HeaderSize;
        ulong end = phoff + (ulong)(Headers.Count * ProgramHeaderSize);
        foreach (var h in Headers)
        {
            if (h.Payload is not null) end = Math.Max(end, h.Offset + (ulong)h.Payload.Length);
        }
        var file = new byte[Math.Max(Math.Max(end, HeaderSize), (ulong)PadTo)];
        var s = file.AsSpan();

        s[0] = 0x7f;
        s[1] = (byte)'E';
        s[2] = (byte)'L';
        s[3] = (byte)'F';
        s[4] = Class;
        s[5] = DataEncoding;
        s[6] = 1;             // EI_VERSION
        s[7] = OsAbi;
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);                 // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], Entry);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], phoff);
        BinaryPrimitives.WriteUInt64LittleEndian(s[40..], 0);                 // e_shoff: no sections
        BinaryPrimitives.WriteUInt32LittleEndian(s[48..], Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], HeaderSize);        // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], ProgramHeaderEntrySize ?? ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(s[56..], ProgramHeaderCount ?? (ushort)Headers.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(s[58..], 64);                // e_shentsize
        BinaryPrimitives.WriteUInt16LittleEndian(s[60..], 0);                 // e_shnum
        BinaryPrimitives.WriteUInt16LittleEndian(s[62..], 0);                 // e_shstrndx

        for (int i = 0; i < Headers.Count; i++)
        {
            var h = Headers[i];
            var p = s.Slice((int)phoff + i * ProgramHeaderSize, ProgramHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(p[0..], h.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], h.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(p[8..], h.Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(p[16..], h.VirtualAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(p[24..], h.VirtualAddress);   // p_paddr
            BinaryPrimitives.WriteUInt64LittleEndian(p[32..], h.FileSize);
            BinaryPrimitives.WriteUInt64LittleEndian(p[40..], h.MemorySize);
            BinaryPrimitives.WriteUInt64LittleEndian(p[48..], h.Align);
        }
        foreach (var h in Headers)
        {
            h.Payload?.CopyTo(s[(int)h.Offset..]);
        }
        return TruncateTo is { } n ? file[..n] : file;
    }
}
