using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>LB, LH, LW, LD, LBU, LHU, LWU, SB, SH, SW, SD: widths, extension, alignment, and faults.</summary>
public sealed class LoadStoreTests
{
    private const ulong Sentinel = 0x5EE5_5EE5_5EE5_5EE5;

    // At DataBase: 80 81 82 83 84 85 86 87 | 7F 7E 7D 7C 7B 7A 79 78
    private static readonly byte[] _pattern = [0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x7A, 0x79, 0x78];

    private static Func<int, int, int, uint> Load(string name) => name switch
    {
        "lb" => Lb,
        "lh" => Lh,
        "lw" => Lw,
        "ld" => Ld,
        "lbu" => Lbu,
        "lhu" => Lhu,
        "lwu" => Lwu,
        _ => throw new ArgumentException(name, nameof(name)),
    };

    private static Func<int, int, int, uint> Store(string name) => name switch
    {
        "sb" => Sb,
        "sh" => Sh,
        "sw" => Sw,
        "sd" => Sd,
        _ => throw new ArgumentException(name, nameof(name)),
    };

    private static int Width(string store) => store switch { "sb" => 1, "sh" => 2, "sw" => 4, _ => 8 };

    [Theory]
    [InlineData("lb", 0, 0xFFFF_FFFF_FFFF_FF80UL)]
    [InlineData("lb", 8, 0x0000_0000_0000_007FUL)]
    [InlineData("lbu", 0, 0x0000_0000_0000_0080UL)]
    [InlineData("lbu", 8, 0x0000_0000_0000_007FUL)]
    [InlineData("lh", 0, 0xFFFF_FFFF_FFFF_8180UL)]
    [InlineData("lh", 8, 0x0000_0000_0000_7E7FUL)]
    [InlineData("lhu", 0, 0x0000_0000_0000_8180UL)]
    [InlineData("lhu", 8, 0x0000_0000_0000_7E7FUL)]
    [InlineData("lw", 0, 0xFFFF_FFFF_8382_8180UL)]
    [InlineData("lw", 8, 0x0000_0000_7C7D_7E7FUL)]
    [InlineData("lwu", 0, 0x0000_0000_8382_8180UL)]
    [InlineData("lwu", 8, 0x0000_0000_7C7D_7E7FUL)]
    [InlineData("ld", 0, 0x8786_8584_8382_8180UL)]
    [InlineData("ld", 8, 0x7879_7A7B_7C7D_7E7FUL)]
    public void Load_reads_its_width_little_endian_with_the_right_extension(string name, int offset, ulong expected)
    {
        var h = new CpuHarness().Poke(DataBase, _pattern).With(1, DataBase).With(5, Sentinel)
            .Program(Load(name)(5, 1, offset)).RunToEcall();
        Assert.Equal(expected, h[5]);
    }

    [Theory]
    [InlineData(-8, 0x7879_7A7B_7C7D_7E7FUL)]
    [InlineData(-16, 0x8786_8584_8382_8180UL)]
    [InlineData(2047, 0UL)]
    [InlineData(-2048, 0xFFFF_FFFF_FFFF_FFFFUL)]
    public void Load_offset_is_sign_extended(int offset, ulong expected)
    {
        var h = new CpuHarness().Poke(DataBase + 0x900 - 16, _pattern).Poke64(DataBase + 0x900 - 2048, ulong.MaxValue)
            .With(1, DataBase + 0x900).Program(Ld(5, 1, offset)).RunToEcall();
        Assert.Equal(expected, h[5]);
    }

    [Fact]
    public void Load_from_a_never_written_page_reads_zero()
    {
        var h = new CpuHarness().With(1, DataBase + 0x7000).With(5, Sentinel).Program(Ld(5, 1, 0x10)).RunToEcall();
        Assert.Equal(0UL, h[5]);
    }

    [Fact]
    public void Load_from_a_code_page_reads_the_instruction_words()
    {
        var h = new CpuHarness().With(1, CodeBase).Program(Lwu(5, 1, 0), Lwu(6, 1, 4)).RunToEcall();
        Assert.Equal(Lwu(5, 1, 0), (uint)h[5]);
        Assert.Equal(Lwu(6, 1, 4), (uint)h[6]);
    }

    [Fact]
    public void Load_into_rd_equal_to_rs1_replaces_the_base()
    {
        var h = new CpuHarness().Poke(DataBase, _pattern).With(1, DataBase).Program(Ld(1, 1, 8)).RunToEcall();
        Assert.Equal(0x7879_7A7B_7C7D_7E7FUL, h[1]);
    }

    [Theory]
    [InlineData("sb", 0x0000_0000_0000_0088UL)]
    [InlineData("sh", 0x0000_0000_0000_7788UL)]
    [InlineData("sw", 0x0000_0000_5566_7788UL)]
    [InlineData("sd", 0x1122_3344_5566_7788UL)]
    public void Store_writes_only_its_own_bytes(string name, ulong expectedLowBytes)
    {
        var before = Enumerable.Repeat((byte)0xAA, 32).ToArray();
        var h = new CpuHarness().Poke(DataBase, before).With(1, DataBase + 8).With(2, 0x1122_3344_5566_7788UL)
            .Program(Store(name)(2, 1, 4)).RunToEcall();
        var after = h.Peek(DataBase, 32);
        int width = Width(name);
        for (int i = 0; i < 32; i++)
        {
            if (i >= 12 && i < 12 + width) Assert.Equal((byte)(expectedLowBytes >> (8 * (i - 12))), after[i]);
            else Assert.Equal(0xAA, after[i]);
        }
        Assert.Equal(0x1122_3344_5566_7788UL, h[2]);
    }

    [Fact]
    public void Store_with_negative_offset_and_load_back()
    {
        var h = new CpuHarness().With(1, DataBase + 0x800).With(2, 0xCAFE_F00D_1234_5678UL)
            .Program(Sd(2, 1, -2048), Ld(3, 1, -2048), Sw(2, 1, 2047 - 3), Lwu(4, 1, 2047 - 3)).RunToEcall();
        Assert.Equal(0xCAFE_F00D_1234_5678UL, h.Peek64(DataBase));
        Assert.Equal(0xCAFE_F00D_1234_5678UL, h[3]);
        Assert.Equal(0x1234_5678UL, h[4]);
    }

    [Fact]
    public void Store_of_x0_writes_zeros()
    {
        var h = new CpuHarness().Poke64(DataBase, ulong.MaxValue).With(1, DataBase).Program(Sd(0, 1, 0)).RunToEcall();
        Assert.Equal(0UL, h.Peek64(DataBase));
    }

    [Theory]
    [InlineData("lh", 1)]
    [InlineData("lhu", 3)]
    [InlineData("lw", 1)]
    [InlineData("lw", 2)]
    [InlineData("lwu", 3)]
    [InlineData("ld", 1)]
    [InlineData("ld", 4)]
    [InlineData("ld", 7)]
    public void Misaligned_load_within_a_page_works(string name, int misalignment)
    {
        var bytes = new byte[32];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(0xF0 + i);
        var h = new CpuHarness().Poke(DataBase + 0x40, bytes).With(1, DataBase + 0x40).Program(Load(name)(5, 1, misalignment)).RunToEcall();
        Assert.Equal(Reference(name, bytes.AsSpan(misalignment)), h[5]);
    }

    [Theory]
    [InlineData("lh", 1)]
    [InlineData("lhu", 1)]
    [InlineData("lw", 1)]
    [InlineData("lw", 3)]
    [InlineData("lwu", 2)]
    [InlineData("ld", 1)]
    [InlineData("ld", 5)]
    [InlineData("ld", 7)]
    public void Misaligned_load_across_a_page_boundary_works(string name, int bytesBeforeBoundary)
    {
        ulong boundary = DataBase + 0x3000;
        var bytes = new byte[16];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(0x81 + i * 0x11);
        var h = new CpuHarness().Poke(boundary - 8, bytes).With(1, boundary - (ulong)bytesBeforeBoundary)
            .Program(Load(name)(5, 1, 0)).RunToEcall();
        Assert.Equal(Reference(name, bytes.AsSpan(8 - bytesBeforeBoundary)), h[5]);
    }

    [Theory]
    [InlineData("sh", 1)]
    [InlineData("sw", 1)]
    [InlineData("sw", 3)]
    [InlineData("sd", 1)]
    [InlineData("sd", 4)]
    [InlineData("sd", 7)]
    public void Misaligned_store_across_a_page_boundary_works(string name, int bytesBeforeBoundary)
    {
        ulong boundary = DataBase + 0x5000;
        const ulong Value = 0x0102_0304_0506_0708UL;
        var h = new CpuHarness().Poke(boundary - 16, Enumerable.Repeat((byte)0xEE, 32).ToArray())
            .With(1, boundary - (ulong)bytesBeforeBoundary).With(2, Value)
            .Program(Store(name)(2, 1, 0)).RunToEcall();
        var after = h.Peek(boundary - 16, 32);
        int start = 16 - bytesBeforeBoundary;
        int width = Width(name);
        for (int i = 0; i < 32; i++)
        {
            byte expected = i >= start && i < start + width ? (byte)(Value >> (8 * (i - start))) : (byte)0xEE;
            Assert.Equal(expected, after[i]);
        }
    }

    [Fact]
    public void Misaligned_store_within_a_page_works_and_reads_back()
    {
        var h = new CpuHarness().With(1, DataBase + 0x101).With(2, 0x8877_6655_4433_2211UL)
            .Program(Sd(2, 1, 0), Ld(3, 1, 0), Sw(2, 1, 10), Lw(4, 1, 10), Sh(2, 1, 20), Lh(5, 1, 20)).RunToEcall();
        Assert.Equal(0x8877_6655_4433_2211UL, h[3]);
        Assert.Equal(0x4433_2211UL, h[4]);
        Assert.Equal(0x2211UL, h[5]);
    }

    [Theory]
    [InlineData("lb")]
    [InlineData("lh")]
    [InlineData("lw")]
    [InlineData("ld")]
    [InlineData("lbu")]
    [InlineData("lhu")]
    [InlineData("lwu")]
    public void Load_from_an_unmapped_page_is_a_load_page_fault_with_the_address(string name)
    {
        var h = new CpuHarness().With(1, UnmappedBase + 0x100).With(5, Sentinel)
            .Program(Nop(), Load(name)(5, 1, 0x23)).RunToFault(FaultCause.LoadPageFault);
        Assert.Equal(UnmappedBase + 0x123, h.FaultAddress);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(Sentinel, h[5]);
        Assert.Equal(1, h.Instret);
    }

    [Fact]
    public void Load_from_a_page_without_read_permission_is_a_load_access_fault()
    {
        var h = new CpuHarness().With(1, NoAccessBase).With(5, Sentinel).Program(Lw(5, 1, 8)).RunToFault(FaultCause.LoadAccessFault);
        Assert.Equal(NoAccessBase + 8, h.FaultAddress);
        Assert.Equal(CodeBase, h.Pc);
        Assert.Equal(Sentinel, h[5]);
    }

    [Fact]
    public void Load_at_address_zero_faults()
    {
        var h = new CpuHarness().Program(Ld(5, 0, 0)).RunToFault(FaultCause.LoadPageFault);
        Assert.Equal(0UL, h.FaultAddress);
    }

    [Fact]
    public void Load_address_wraps_around_at_the_top_of_the_address_space()
    {
        // x1 = 2^64 - 0x10, offset 0x20: the sum wraps to 0x10 on page 0.
        var h = new CpuHarness();
        Assert.True(h.Memory.Map(0, 1, PagePermissions.ReadWrite));
        h.Poke64(0x10, 0x0123_4567_89AB_CDEFUL).With(1, ulong.MaxValue - 0xF).Program(Ld(5, 1, 0x20)).RunToEcall();
        Assert.Equal(0x0123_4567_89AB_CDEFUL, h[5]);
    }

    [Fact]
    public void Misaligned_load_running_into_an_unmapped_page_faults_at_the_first_missing_byte()
    {
        // The page before UnmappedBase is mapped for this test; the load starts 3 bytes before the boundary.
        var h = new CpuHarness();
        Assert.True(h.Memory.Map((UnmappedBase >> 12) - 1, 1, PagePermissions.ReadWrite));
        h.With(1, UnmappedBase - 3).With(5, Sentinel).Program(Ld(5, 1, 0)).RunToFault(FaultCause.LoadPageFault);
        Assert.Equal(UnmappedBase, h.FaultAddress);
        Assert.Equal(CodeBase, h.Pc);
        Assert.Equal(Sentinel, h[5]);
    }

    [Theory]
    [InlineData("sb")]
    [InlineData("sh")]
    [InlineData("sw")]
    [InlineData("sd")]
    public void Store_to_a_read_only_page_is_a_store_access_fault_and_changes_nothing(string name)
    {
        var original = Enumerable.Range(0, 16).Select(i => (byte)(i + 1)).ToArray();
        var h = new CpuHarness().Poke(ReadOnlyBase, original).With(1, ReadOnlyBase).With(2, ulong.MaxValue)
            .Program(Nop(), Store(name)(2, 1, 4)).RunToFault(FaultCause.StoreAccessFault);
        Assert.Equal(ReadOnlyBase + 4, h.FaultAddress);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(1, h.Instret);
        Assert.Equal(original, h.Peek(ReadOnlyBase, 16));
    }

    [Fact]
    public void Store_to_a_code_page_without_write_permission_faults()
    {
        var h = new CpuHarness().With(1, CodeBase).With(2, 0x13).Program(Sw(2, 1, 0)).RunToFault(FaultCause.StoreAccessFault);
        Assert.Equal(CodeBase, h.FaultAddress);
        Assert.Equal(Sw(2, 1, 0), BitConverter.ToUInt32(h.Peek(CodeBase, 4)));
    }

    [Fact]
    public void Store_to_an_unmapped_page_is_a_store_page_fault()
    {
        var h = new CpuHarness().With(1, UnmappedBase).With(2, 1).Program(Sd(2, 1, 0x18)).RunToFault(FaultCause.StorePageFault);
        Assert.Equal(UnmappedBase + 0x18, h.FaultAddress);
        Assert.False(h.Memory.IsMapped(UnmappedBase >> 12));
    }

    [Fact]
    public void Store_to_a_page_without_any_permission_is_a_store_access_fault()
    {
        var h = new CpuHarness().With(1, NoAccessBase).Program(Sb(0, 1, 0)).RunToFault(FaultCause.StoreAccessFault);
        Assert.Equal(NoAccessBase, h.FaultAddress);
    }

    [Fact]
    public void Misaligned_store_reaching_into_a_read_only_page_faults_and_writes_neither_page()
    {
        // The data region's last page is writable and ReadOnlyBase follows it directly.
        Assert.Equal(DataBase + DataPages * 4096UL, ReadOnlyBase);
        var fill = Enumerable.Repeat((byte)0x11, 16).ToArray();
        var h = new CpuHarness().Poke(ReadOnlyBase - 8, fill).With(1, ReadOnlyBase - 4).With(2, ulong.MaxValue)
            .Program(Sd(2, 1, 0)).RunToFault(FaultCause.StoreAccessFault);
        Assert.Equal(ReadOnlyBase, h.FaultAddress);
        Assert.Equal(fill, h.Peek(ReadOnlyBase - 8, 16));
    }

    [Fact]
    public void Store_then_load_in_the_same_page_sees_the_store_through_the_tlb()
    {
        // The first load fills the read TLB with the (still unmaterialized) zero page; the store must be visible after it.
        var h = new CpuHarness().With(1, DataBase + 0x6000).With(2, 0xABCDUL)
            .Program(Ld(3, 1, 0), Sd(2, 1, 0), Ld(4, 1, 0), Sd(0, 1, 0), Ld(5, 1, 0)).RunToEcall();
        Assert.Equal(0UL, h[3]);
        Assert.Equal(0xABCDUL, h[4]);
        Assert.Equal(0UL, h[5]);
    }

    [Fact]
    public void Loads_and_stores_across_many_pages_do_not_alias_in_the_tlb()
    {
        // Pages 256 apart share a TLB slot in a 256-entry direct-mapped TLB; map two such pages and alternate.
        var h = new CpuHarness();
        ulong far = DataBase + 256UL * 4096;
        Assert.True(h.Memory.Map(far >> 12, 1, PagePermissions.ReadWrite));
        h.With(1, DataBase).With(2, far).With(3, 111).With(4, 222)
            .Program(Sd(3, 1, 0), Sd(4, 2, 0), Ld(5, 1, 0), Ld(6, 2, 0), Sd(4, 1, 0), Ld(7, 2, 0), Ld(8, 1, 0))
            .RunToEcall();
        Assert.Equal(111UL, h[5]);
        Assert.Equal(222UL, h[6]);
        Assert.Equal(222UL, h[7]);
        Assert.Equal(222UL, h[8]);
    }

    private static ulong Reference(string load, ReadOnlySpan<byte> b) => load switch
    {
        "lb" => (ulong)(long)(sbyte)b[0],
        "lbu" => b[0],
        "lh" => (ulong)(long)BitConverter.ToInt16(b),
        "lhu" => BitConverter.ToUInt16(b),
        "lw" => (ulong)(long)BitConverter.ToInt32(b),
        "lwu" => BitConverter.ToUInt32(b),
        "ld" => BitConverter.ToUInt64(b),
        _ => throw new ArgumentException(load, nameof(load)),
    };
}
