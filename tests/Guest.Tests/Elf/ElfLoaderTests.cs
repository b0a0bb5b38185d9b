using System.Buffers.Binary;
using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Elf;
using FaultTolerant.Guest.Memory;
using FaultTolerant.Guest.Tests.Cpu;
using static FaultTolerant.Guest.Tests.Elf.ProgramHeader;

namespace FaultTolerant.Guest.Tests.Elf;

/// <summary>ElfLoader.Parse's refusals (each saying why) and Load's placement of segments.</summary>
public sealed class ElfLoaderTests
{
    private static InvalidElfException Refused(byte[] file, params string[] mentions)
    {
        var e = Assert.Throws<InvalidElfException>(() => ElfLoader.Parse(file));
        Assert.IsAssignableFrom<GuestException>(e);
        foreach (var m in mentions) Assert.Contains(m, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    private static byte[] Bytes(int count, byte value) => Enumerable.Repeat(value, count).ToArray();

    private static byte[] Code(params uint[] words)
    {
        var b = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), words[i]);
        return b;
    }

    // ---- Accepted ------------------------------------------------------------------------------

    [Fact]
    public void Minimal_static_executable_is_accepted()
    {
        var file = ElfBuilder.Minimal(Rv64Asm.Addi(10, 0, 1), Rv64Asm.Ecall()).Build();
        var image = ElfLoader.Parse(file);
        Assert.Equal(0x10000UL, image.Entry);
        var s = Assert.Single(image.Segments);
        Assert.Equal(0x10000UL, s.VirtualAddress);
        Assert.Equal(8UL, s.MemorySize);
        Assert.Equal(0x1000UL, s.FileOffset);
        Assert.Equal(8UL, s.FileSize);
        Assert.Equal(PagePermissions.ReadExecute, s.Permissions);
        Assert.Equal(0x10008UL, image.End);
        Assert.Equal(1, image.ProgramHeaderCount);
    }

    [Theory]
    [InlineData(PtGnuStack)]
    [InlineData(PtNote)]
    [InlineData(PtNull)]
    [InlineData(PtPhdr)]
    [InlineData(0x70000003u)]    // PT_RISCV_ATTRIBUTES
    public void Other_program_header_types_are_ignored(uint type)
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(type, PfR, 0, 0, 0, 0));
        var image = ElfLoader.Parse(b.Build());
        Assert.Single(image.Segments);
        Assert.Equal(2, image.ProgramHeaderCount);
    }

    [Fact]
    public void Empty_load_segment_is_skipped()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR | PfW, 0x1000, 0x20000, 0, 0));
        Assert.Single(ElfLoader.Parse(b.Build()).Segments);
    }

    [Fact]
    public void Linux_os_abi_is_accepted()
    {
        var b = ElfBuilder.Minimal();
        b.OsAbi = 3;
        Assert.Single(ElfLoader.Parse(b.Build()).Segments);
    }

    [Theory]
    [InlineData(PfR, PagePermissions.Read)]
    [InlineData(PfR | PfW, PagePermissions.ReadWrite)]
    [InlineData(PfR | PfX, PagePermissions.ReadExecute)]
    [InlineData(PfR | PfW | PfX, PagePermissions.All)]
    [InlineData(PfX, PagePermissions.Execute)]
    [InlineData(0u, PagePermissions.None)]
    public void Segment_flags_map_to_page_permissions(uint flags, PagePermissions expected)
    {
        var b = new ElfBuilder().Load(0x1000, 0x10000, flags, [0x73, 0, 0, 0]);
        Assert.Equal(expected, Assert.Single(ElfLoader.Parse(b.Build()).Segments).Permissions);
    }

    [Fact]
    public void Program_headers_inside_a_loaded_segment_give_their_address()
    {
        // The first segment maps the file from offset 0, headers included (as ld lays out a static binary).
        var b = new ElfBuilder { PadTo = 0x200 }
            .Add(new ProgramHeader(PtLoad, PfR | PfX, 0, 0x10000, 0x200, 0x200))
            .Add(new ProgramHeader(PtGnuStack, PfR | PfW, 0, 0, 0, 0));
        var image = ElfLoader.Parse(b.Build());
        Assert.Equal(0x10000UL + ElfBuilder.HeaderSize, image.ProgramHeaderAddress);
        Assert.Equal(2, image.ProgramHeaderCount);
    }

    // ---- Refused -------------------------------------------------------------------------------

    [Fact]
    public void Empty_file_is_not_elf() => Refused([], "not an ELF");

    [Theory]
    [InlineData("#!/bin/sh\necho hello\n")]
    [InlineData("MZ\u0090\0\u0003\0\0\0")]
    [InlineData("\u007fEL")]
    [InlineData("ELF\u007f and some more bytes to pass any length check.............................")]
    public void Wrong_magic_is_not_elf(string text) =>
        Refused(text.Select(c => (byte)c).ToArray(), "not an ELF", "magic");

    [Theory]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(63)]
    public void Header_shorter_than_64_bytes_is_truncated(int length)
    {
        var b = ElfBuilder.Minimal();
        b.TruncateTo = length;
        Refused(b.Build(), "truncated", "64");
    }

    [Fact]
    public void Elf32_is_refused_as_32_bit()
    {
        var b = ElfBuilder.Minimal();
        b.Class = 1;
        Refused(b.Build(), "32-bit");
    }

    [Fact]
    public void Unknown_elf_class_is_refused()
    {
        var b = ElfBuilder.Minimal();
        b.Class = 3;
        Refused(b.Build(), "class");
    }

    [Fact]
    public void Big_endian_is_refused()
    {
        var b = ElfBuilder.Minimal();
        b.DataEncoding = 2;
        Refused(b.Build(), "big-endian");
    }

    [Theory]
    [InlineData(62, "x86-64")]
    [InlineData(183, "AArch64")]
    [InlineData(40, "ARM")]
    [InlineData(3, "i386")]
    [InlineData(8, "e_machine 8")]     // MIPS: no name, still the number
    [InlineData(0, "e_machine 0")]
    public void Other_machines_are_refused_naming_e_machine(int machine, string mention)
    {
        var b = ElfBuilder.Minimal();
        b.Machine = (ushort)machine;
        Refused(b.Build(), "not a RISC-V", "e_machine", mention);
    }

    [Fact]
    public void Position_independent_executable_is_refused()
    {
        var b = ElfBuilder.Minimal();
        b.Type = ElfBuilder.EtDyn;
        Refused(b.Build(), "position-independent", "ET_DYN");
    }

    [Theory]
    [InlineData(1)]   // ET_REL
    [InlineData(4)]   // ET_CORE
    [InlineData(0)]   // ET_NONE
    public void Non_executable_types_are_refused(int type)
    {
        var b = ElfBuilder.Minimal();
        b.Type = (ushort)type;
        Refused(b.Build(), "not an executable");
    }

    [Fact]
    public void Interpreter_segment_means_dynamically_linked()
    {
        var interp = "/lib/ld-linux-riscv64-lp64d.so.1\0"u8.ToArray();
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtInterp, PfR, 0x2000, 0x12000, (ulong)interp.Length, (ulong)interp.Length) { Payload = interp });
        Refused(b.Build(), "dynamically linked", "interpreter");
    }

    [Fact]
    public void Dynamic_segment_means_dynamically_linked()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtDynamic, PfR | PfW, 0x2000, 0x12000, 16, 16) { Payload = new byte[16] });
        Refused(b.Build(), "dynamically linked", "PT_DYNAMIC");
    }

    [Theory]
    [InlineData(0x1u)]   // EF_RISCV_RVC
    [InlineData(0x5u)]   // RVC + double-float ABI: what a default rv64gc toolchain emits; RVC is reported first
    public void Compressed_extension_flag_is_refused(uint flags)
    {
        var b = ElfBuilder.Minimal();
        b.Flags = flags;
        Refused(b.Build(), "compressed (C) extension");
    }

    [Theory]
    [InlineData(0x2u)]   // single-float ABI
    [InlineData(0x4u)]   // double-float ABI
    [InlineData(0x6u)]   // quad-float ABI
    public void Hardware_float_abi_flag_is_refused(uint flags)
    {
        var b = ElfBuilder.Minimal();
        b.Flags = flags;
        Refused(b.Build(), "floating-point");
    }

    [Fact]
    public void Segment_extending_past_the_end_of_the_file_is_truncated()
    {
        var b = ElfBuilder.Minimal(0x13, 0x13, 0x13, 0x73);
        b.TruncateTo = 0x1000 + 10;
        Refused(b.Build(), "truncated", "segment 0");
    }

    [Fact]
    public void Segment_offset_beyond_the_file_is_truncated()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR, 0x10_0000, 0x20000, 0x10, 0x10));
        Refused(b.Build(), "truncated", "segment 1");
    }

    [Fact]
    public void Segment_with_huge_file_size_is_truncated_not_an_overflow()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR, 0x1000, 0x20000, ulong.MaxValue, ulong.MaxValue));
        Refused(b.Build(), "truncated");
    }

    [Fact]
    public void File_size_larger_than_memory_size_is_refused()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR | PfW, 0x1000, 0x20000, 0x10, 0x8));
        Refused(b.Build(), "file size 16", "memory size 8");
    }

    [Fact]
    public void No_load_segments_is_refused()
    {
        var b = new ElfBuilder().Add(new ProgramHeader(PtGnuStack, PfR | PfW, 0, 0, 0, 0)).Add(new ProgramHeader(PtNote, PfR, 0x40, 0, 0, 0));
        Refused(b.Build(), "PT_LOAD");
    }

    [Fact]
    public void Only_empty_load_segments_is_refused()
    {
        var b = new ElfBuilder().Add(new ProgramHeader(PtLoad, PfR | PfX, 0, 0x10000, 0, 0));
        Refused(b.Build(), "PT_LOAD");
    }

    [Fact]
    public void No_program_headers_is_refused()
    {
        Refused(new ElfBuilder().Build(), "no program headers");
    }

    [Fact]
    public void Program_header_table_past_the_end_of_the_file_is_truncated()
    {
        var b = ElfBuilder.Minimal();
        b.ProgramHeaderCount = 100;   // 5600 bytes of headers in a 4100-byte file
        Refused(b.Build(), "truncated", "program headers");

        b = ElfBuilder.Minimal();
        b.ProgramHeaderOffset = 0x3000;
        b.TruncateTo = 0x2000;        // e_phoff past the end of the file
        Refused(b.Build(), "truncated");
    }

    [Fact]
    public void Unexpected_program_header_entry_size_is_refused()
    {
        var b = ElfBuilder.Minimal();
        b.ProgramHeaderEntrySize = 32;
        Refused(b.Build(), "program header size 32");
    }

    [Theory]
    [InlineData(0x40_0000_0000UL, 0x1000UL)]                  // starts at the top of user space
    [InlineData(0x3F_FFFF_F000UL, 0x2000UL)]                  // starts inside, ends outside
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0x2000UL)]           // kernel half, and vaddr + memsz wraps
    [InlineData(0x8000_0000_0000_0000UL, 0x10UL)]
    [InlineData(0x10000UL, 0xFFFF_FFFF_FFFF_0000UL)]          // memsz so large the end wraps
    public void Segment_outside_user_space_is_refused(ulong address, ulong memorySize)
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR | PfW, 0x1000, address, 4, memorySize));
        Refused(b.Build(), "outside the user address space");
    }

    [Fact]
    public void Segment_ending_exactly_at_the_top_of_user_space_is_accepted()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR | PfW, 0x1000, ElfLoader.UserTop - 0x1000, 4, 0x1000));
        Assert.Equal(2, ElfLoader.Parse(b.Build()).Segments.Count);
    }

    [Fact]
    public void Entry_point_outside_user_space_is_refused()
    {
        var b = ElfBuilder.Minimal();
        b.Entry = 0xFFFF_FFFF_8000_0000;
        Refused(b.Build(), "entry point");
    }

    // ---- Load ----------------------------------------------------------------------------------

    [Fact]
    public void Load_places_a_read_only_executable_segment()
    {
        var code = Code(Rv64Asm.Addi(10, 0, 1), Rv64Asm.Ecall());
        var file = ElfBuilder.Minimal(Rv64Asm.Addi(10, 0, 1), Rv64Asm.Ecall()).Build();
        var memory = new GuestMemory(64);
        ElfLoader.Load(ElfLoader.Parse(file), file, memory);

        Assert.Equal(1, memory.MappedPages);
        Assert.True(memory.TryGetPermissions(0x10, out var perms));
        Assert.Equal(PagePermissions.ReadExecute, perms);
        var read = new byte[code.Length];
        Assert.True(memory.TryRead(0x10000, read));
        Assert.Equal(code, read);
        Assert.False(memory.IsWritable(0x10000, 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Segments_sharing_a_page_get_the_union_of_rights_and_bss_reads_as_zero(bool dataFirst)
    {
        // text: 0x10000..0x10900 R+X from offset 0x1000; data: 0x10900..0x12900 R+W, 0x100 bytes from offset 0x1900
        // and 0x1F00 of .bss. A note's bytes follow the data in the file and must not leak into the .bss.
        var text = Bytes(0x900, 0x13);
        var data = Bytes(0x100, 0xDA);
        var b = new ElfBuilder { Entry = 0x10000 };
        void AddText() => b.Load(0x1000, 0x10000, PfR | PfX, text);
        void AddData() => b.Load(0x1900, 0x10900, PfR | PfW, data, memorySize: 0x2000);
        if (dataFirst)
        {
            AddData();
            AddText();
        }
        else
        {
            AddText();
            AddData();
        }
        b.Add(new ProgramHeader(PtNote, PfR, 0x1A00, 0, 0x600, 0x600) { Payload = Bytes(0x600, 0xCC) });
        var file = b.Build();
        var image = ElfLoader.Parse(file);
        Assert.Equal(0x12900UL, image.End);

        var memory = new GuestMemory(64);
        ElfLoader.Load(image, file, memory);

        Assert.Equal(3, memory.MappedPages);
        Assert.True(memory.TryGetPermissions(0x10, out var shared));
        Assert.Equal(PagePermissions.All, shared);
        Assert.True(memory.TryGetPermissions(0x11, out var p11));
        Assert.Equal(PagePermissions.ReadWrite, p11);
        Assert.True(memory.TryGetPermissions(0x12, out var p12));
        Assert.Equal(PagePermissions.ReadWrite, p12);
        Assert.False(memory.IsMapped(0x13));

        var got = new byte[0x2900];
        Assert.True(memory.TryRead(0x10000, got));
        Assert.Equal(text, got[..0x900]);
        Assert.Equal(data, got[0x900..0xA00]);
        Assert.All(got[0xA00..], v => Assert.Equal(0, v));   // .bss, including the tail of the last page
    }

    [Fact]
    public void Load_leaves_pages_outside_the_segments_unmapped()
    {
        var b = ElfBuilder.Minimal().Load(0x2000, 0x40000, PfR | PfW, Bytes(16, 1));
        var file = b.Build();
        var memory = new GuestMemory(64);
        ElfLoader.Load(ElfLoader.Parse(file), file, memory);
        Assert.Equal([0x10UL, 0x40UL], memory.MappedPageNumbers());
    }

    [Fact]
    public void Load_beyond_the_memory_limit_is_refused()
    {
        var b = ElfBuilder.Minimal().Add(new ProgramHeader(PtLoad, PfR | PfW, 0x1000, 0x100000, 0, 0x10_0000));   // 256 pages of .bss
        var file = b.Build();
        var image = ElfLoader.Parse(file);
        var e = Assert.Throws<InvalidElfException>(() => ElfLoader.Load(image, file, new GuestMemory(16)));
        Assert.Contains("memory limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loaded_program_runs_and_uses_its_data_and_bss()
    {
        // Code at 0x10000: x1 = &data (0x11000); x2 = data[0]; x3 = data[1]; x4 = x2 * x3; bss[0] = x4; x5 = bss[0]; ecall.
        var code = Code(
            Rv64Asm.Lui(1, 0x11),
            Rv64Asm.Ld(2, 1, 0),
            Rv64Asm.Ld(3, 1, 8),
            Rv64Asm.Mul(4, 2, 3),
            Rv64Asm.Sd(4, 1, 0x7F8),
            Rv64Asm.Ld(5, 1, 0x7F8),
            Rv64Asm.Ecall());
        var data = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(data, 6);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), 7);
        var b = new ElfBuilder { Entry = 0x10000 }
            .Load(0x1000, 0x10000, PfR | PfX, code)
            .Load(0x2000, 0x11000, PfR | PfW, data, memorySize: 0x1000);
        var file = b.Build();
        var image = ElfLoader.Parse(file);
        var memory = new GuestMemory(64);
        ElfLoader.Load(image, file, memory);

        var hart = new Hart { Pc = image.Entry };
        var stop = Interpreter.Run(hart, memory, 1000, out _, out _);
        Assert.Equal(StopReason.Ecall, stop);
        Assert.Equal(0x10000UL + 6 * 4, hart.Pc);
        Assert.Equal(42UL, hart[4]);
        Assert.Equal(42UL, hart[5]);
    }

    [Fact]
    public void Loaded_code_page_cannot_be_written_by_the_program()
    {
        var file = ElfBuilder.Minimal(Rv64Asm.Lui(1, 0x10), Rv64Asm.Sw(0, 1, 0), Rv64Asm.Ecall()).Build();
        var memory = new GuestMemory(64);
        ElfLoader.Load(ElfLoader.Parse(file), file, memory);
        var hart = new Hart { Pc = 0x10000 };
        Assert.Equal(StopReason.Fault, Interpreter.Run(hart, memory, 1000, out var cause, out var address));
        Assert.Equal(FaultCause.StoreAccessFault, cause);
        Assert.Equal(0x10000UL, address);
    }
}
