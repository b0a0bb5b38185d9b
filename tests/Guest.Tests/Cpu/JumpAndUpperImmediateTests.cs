using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>LUI, AUIPC, JAL and JALR.</summary>
public sealed class JumpAndUpperImmediateTests
{
    private const ulong Sentinel = 0x5EE5_5EE5_5EE5_5EE5;

    [Theory]
    [InlineData(0x00000, 0x0000_0000_0000_0000UL)]
    [InlineData(0x00001, 0x0000_0000_0000_1000UL)]
    [InlineData(0x12345, 0x0000_0000_1234_5000UL)]
    [InlineData(0x7FFFF, 0x0000_0000_7FFF_F000UL)]
    [InlineData(0x80000, 0xFFFF_FFFF_8000_0000UL)]
    [InlineData(0xFFFFF, 0xFFFF_FFFF_FFFF_F000UL)]
    [InlineData(0xABCDE, 0xFFFF_FFFF_ABCD_E000UL)]
    public void Lui_places_immediate_in_bits_31_to_12_and_sign_extends_bit_31(int imm20, ulong expected)
    {
        var h = new CpuHarness().With(5, Sentinel).Program(Lui(5, imm20)).RunToEcall();
        Assert.Equal(expected, h[5]);
    }

    [Theory]
    [InlineData(0x00000, 0x0000_0000_0000_0000UL)]
    [InlineData(0x00001, 0x0000_0000_0000_1000UL)]
    [InlineData(0x7FFFF, 0x0000_0000_7FFF_F000UL)]
    [InlineData(0xFFFFF, 0xFFFF_FFFF_FFFF_F000UL)]
    [InlineData(0x80000, 0xFFFF_FFFF_8000_0000UL)]
    public void Auipc_adds_sign_extended_upper_immediate_to_its_own_address(int imm20, ulong offset)
    {
        // auipc at the second slot, so "its own address" is distinguishable from the start of the program.
        var h = new CpuHarness().Program(Nop(), Auipc(5, imm20)).RunToEcall();
        Assert.Equal(CodeBase + 4 + offset, h[5]);
    }

    [Fact]
    public void Jal_forward_skips_instructions_and_links_the_return_address()
    {
        var h = new CpuHarness().Program(
            Jal(1, 12),           // 0: -> 12
            Addi(5, 0, 1),        // 4: skipped
            Addi(6, 0, 1),        // 8: skipped
            Addi(7, 0, 1))        // 12
            .RunToEcall();
        Assert.Equal(CodeBase + 4, h[1]);
        Assert.Equal(0UL, h[5]);
        Assert.Equal(0UL, h[6]);
        Assert.Equal(1UL, h[7]);
        Assert.Equal(2, h.Instret);
    }

    [Fact]
    public void Jal_backward_and_return_with_jalr()
    {
        var h = new CpuHarness().Program(
            Jal(0, 12),           // 0: -> 12
            Addi(5, 5, 7),        // 4: subroutine
            Ret(),                // 8
            Jal(1, -8),           // 12: call 4
            Addi(6, 0, 1))        // 16
            .RunToEcall();
        Assert.Equal(7UL, h[5]);
        Assert.Equal(1UL, h[6]);
        Assert.Equal(CodeBase + 16, h[1]);
    }

    [Fact]
    public void Jal_with_rd_x0_discards_the_link()
    {
        var h = new CpuHarness().Program(Jal(0, 8), Addi(5, 0, 1)).RunToEcall();
        Assert.Equal(0UL, h[0]);
        Assert.Equal(0UL, h[5]);
    }

    [Fact]
    public void Jal_reaches_another_page()
    {
        var h = new CpuHarness();
        h.Program(Jal(1, 0x1000 + 0x10), Addi(6, 0, 1));           // the ecall lands at +8
        h.Place(CodeBase + 0x1010, Addi(5, 0, 42), Jalr(0, 1, 4));  // returns to +8, past the addi at +4
        h.RunToEcall();
        Assert.Equal(42UL, h[5]);
        Assert.Equal(0UL, h[6]);
        Assert.Equal(CodeBase + 4, h[1]);
    }

    [Fact]
    public void Jal_to_a_misaligned_target_faults_without_linking_or_moving_pc()
    {
        var h = new CpuHarness().With(1, Sentinel).Program(Nop(), Jal(1, 6)).RunToFault(FaultCause.InstructionAddressMisaligned);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(CodeBase + 4 + 6, h.FaultAddress);
        Assert.Equal(Sentinel, h[1]);
        Assert.Equal(1, h.Instret);
    }

    [Fact]
    public void Jalr_jumps_to_register_plus_offset_and_links()
    {
        var h = new CpuHarness().With(7, CodeBase + 8 - 0x100).Program(
            Jalr(1, 7, 0x100),    // 0: -> 8
            Addi(5, 0, 1),        // 4: skipped
            Addi(6, 0, 1))        // 8
            .RunToEcall();
        Assert.Equal(CodeBase + 4, h[1]);
        Assert.Equal(0UL, h[5]);
        Assert.Equal(1UL, h[6]);
    }

    [Fact]
    public void Jalr_with_negative_offset()
    {
        var h = new CpuHarness().With(7, CodeBase + 8 + 2048).Program(Jalr(1, 7, -2048), Addi(5, 0, 1), Addi(6, 0, 1)).RunToEcall();
        Assert.Equal(0UL, h[5]);
        Assert.Equal(1UL, h[6]);
    }

    [Fact]
    public void Jalr_with_rd_equal_to_rs1_uses_the_old_value_as_target()
    {
        var h = new CpuHarness().With(5, CodeBase + 8).Program(Jalr(5, 5, 0), Addi(6, 0, 1), Addi(7, 0, 1)).RunToEcall();
        Assert.Equal(CodeBase + 4, h[5]);
        Assert.Equal(0UL, h[6]);
        Assert.Equal(1UL, h[7]);
    }

    [Fact]
    public void Jalr_clears_bit_0_of_the_target()
    {
        var h = new CpuHarness().With(5, CodeBase + 8 + 1).Program(Jalr(1, 5, 0), Addi(6, 0, 1), Addi(7, 0, 1)).RunToEcall();
        Assert.Equal(0UL, h[6]);
        Assert.Equal(1UL, h[7]);
    }

    [Fact]
    public void Jalr_clears_bit_0_after_adding_the_offset()
    {
        // rs1 even, offset odd: the sum is odd and bit 0 is dropped.
        var h = new CpuHarness().With(5, CodeBase + 8).Program(Jalr(1, 5, 1), Addi(6, 0, 1), Addi(7, 0, 1)).RunToEcall();
        Assert.Equal(0UL, h[6]);
        Assert.Equal(1UL, h[7]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]   // bit 0 cleared, bit 1 still set
    public void Jalr_to_a_misaligned_target_faults_without_linking_or_moving_pc(int low)
    {
        ulong target = CodeBase + 8 + (ulong)low;
        var h = new CpuHarness().With(5, target).With(1, Sentinel).Program(Nop(), Jalr(1, 5, 0)).RunToFault(FaultCause.InstructionAddressMisaligned);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(target & ~1UL, h.FaultAddress);
        Assert.Equal(Sentinel, h[1]);
        Assert.Equal(target, h[5]);
        Assert.Equal(1, h.Instret);
    }

    [Fact]
    public void Misaligned_jalr_with_rd_equal_to_rs1_leaves_the_register_unchanged()
    {
        var h = new CpuHarness().With(5, CodeBase + 0x102).Program(Jalr(5, 5, 0)).RunToFault(FaultCause.InstructionAddressMisaligned);
        Assert.Equal(CodeBase + 0x102, h[5]);
        Assert.Equal(CodeBase, h.Pc);
    }

    [Fact]
    public void Jump_to_a_non_executable_page_faults_at_the_target()
    {
        var h = new CpuHarness().With(5, DataBase + 0x40).Program(Jalr(1, 5, 0)).RunToFault(FaultCause.InstructionAccessFault);
        Assert.Equal(DataBase + 0x40, h.Pc);
        Assert.Equal(DataBase + 0x40, h.FaultAddress);
        Assert.Equal(CodeBase + 4, h[1]);   // the jump itself retired
        Assert.Equal(1, h.Instret);
    }

    [Fact]
    public void Jump_to_an_unmapped_page_is_an_instruction_page_fault()
    {
        var h = new CpuHarness().With(5, UnmappedBase + 0x10).Program(Jalr(0, 5, 0)).RunToFault(FaultCause.InstructionPageFault);
        Assert.Equal(UnmappedBase + 0x10, h.Pc);
        Assert.Equal(UnmappedBase + 0x10, h.FaultAddress);
    }

    [Fact]
    public void Falling_off_the_end_of_the_code_region_is_an_instruction_page_fault()
    {
        ulong last = CodeBase + (CodePages * 4096) - 4;
        var h = new CpuHarness().With(5, last).Program(Jalr(0, 5, 0));
        h.Place(last, Nop());
        h.RunToFault(FaultCause.InstructionPageFault);
        Assert.Equal(last + 4, h.Pc);
    }

    [Fact]
    public void Execution_continues_across_a_page_boundary()
    {
        ulong last = CodeBase + 4096 - 4;
        var h = new CpuHarness().With(5, last).Program(Jalr(0, 5, 0));
        h.Place(last, Addi(6, 0, 1), Addi(7, 0, 2), Ecall());
        h.Run();
        Assert.Equal(StopReason.Ecall, h.Stop);
        Assert.Equal(last + 8, h.Pc);
        Assert.Equal(1UL, h[6]);
        Assert.Equal(2UL, h[7]);
    }
}
