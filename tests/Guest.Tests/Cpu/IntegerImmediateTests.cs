using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI.</summary>
public sealed class IntegerImmediateTests
{
    private const ulong MinusOne = ulong.MaxValue;
    private const ulong Int64Min = 0x8000_0000_0000_0000UL;
    private const ulong Int64Max = 0x7FFF_FFFF_FFFF_FFFFUL;

    [Theory]
    [InlineData(5UL, 3, 8UL)]
    [InlineData(5UL, -6, MinusOne)]
    [InlineData(0UL, -1, MinusOne)]
    [InlineData(0UL, -2048, 0xFFFF_FFFF_FFFF_F800UL)]
    [InlineData(0UL, 2047, 0x7FFUL)]
    [InlineData(MinusOne, 1, 0UL)]                      // wraps
    [InlineData(Int64Max, 1, Int64Min)]                 // signed overflow wraps silently
    [InlineData(Int64Min, -1, Int64Max)]
    [InlineData(0x1_0000_0000UL, -1, 0xFFFF_FFFFUL)]    // borrow crosses bit 32 (not a W instruction)
    public void Addi_adds_the_sign_extended_immediate(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Addi, a, imm));

    [Fact]
    public void Addi_with_rd_equal_to_rs1_accumulates()
    {
        var h = new CpuHarness().Program(Addi(5, 5, 100), Addi(5, 5, -30), Addi(5, 5, -2048)).RunToEcall();
        Assert.Equal(unchecked((ulong)(100L - 30 - 2048)), h[5]);
    }

    [Theory]
    [InlineData(MinusOne, 0, 1UL)]           // -1 < 0
    [InlineData(0UL, -1, 0UL)]
    [InlineData(MinusOne, -1, 0UL)]
    [InlineData(1UL, -1, 0UL)]
    [InlineData(Int64Min, -2048, 1UL)]
    [InlineData(Int64Max, 2047, 0UL)]
    [InlineData(2046UL, 2047, 1UL)]
    [InlineData(2047UL, 2047, 0UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F800UL, -2048, 0UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F7FFUL, -2048, 1UL)]
    public void Slti_compares_signed(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Slti, a, imm));

    [Theory]
    [InlineData(0UL, 1, 1UL)]                               // seqz
    [InlineData(1UL, 1, 0UL)]
    [InlineData(MinusOne, 1, 0UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFEUL, -1, 1UL)]         // imm -1 is all ones, the largest unsigned value
    [InlineData(MinusOne, -1, 0UL)]
    [InlineData(Int64Max, -1, 1UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F7FFUL, -2048, 1UL)]      // imm -2048 is 0xFFFF_FFFF_FFFF_F800
    [InlineData(0xFFFF_FFFF_FFFF_F800UL, -2048, 0UL)]
    [InlineData(0x7FEUL, 2047, 1UL)]
    [InlineData(Int64Min, 0, 0UL)]                          // nothing is below 0
    public void Sltiu_compares_unsigned_against_the_sign_extended_immediate(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Sltiu, a, imm));

    [Theory]
    [InlineData(0UL, MinusOne)]
    [InlineData(MinusOne, 0UL)]
    [InlineData(0x0123_4567_89AB_CDEFUL, 0xFEDC_BA98_7654_3210UL)]
    [InlineData(Int64Min, Int64Max)]
    public void Xori_with_minus_one_is_bitwise_not(ulong a, ulong expected) =>
        Assert.Equal(expected, ExecImm(Xori, a, -1));

    [Theory]
    [InlineData(0xF0F0UL, 0x0FF, 0xF00FUL)]
    [InlineData(0xFFFF_0000_0000_0000UL, 0x7FF, 0xFFFF_0000_0000_07FFUL)]
    [InlineData(0x1234UL, -0x800, 0xFFFF_FFFF_FFFF_EA34UL)]   // the immediate is sign-extended to 64 bits
    public void Xori_flips_the_immediate_bits(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Xori, a, imm));

    [Theory]
    [InlineData(0UL, 0x555, 0x555UL)]
    [InlineData(0x1_0000_0000UL, 1, 0x1_0000_0001UL)]
    [InlineData(0UL, -2048, 0xFFFF_FFFF_FFFF_F800UL)]
    [InlineData(0x0123_0000_0000_0000UL, -1, MinusOne)]
    [InlineData(0xAAUL, 0x55, 0xFFUL)]
    public void Ori_sets_the_sign_extended_immediate_bits(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Ori, a, imm));

    [Theory]
    [InlineData(MinusOne, 0xFF, 0xFFUL)]
    [InlineData(MinusOne, -16, 0xFFFF_FFFF_FFFF_FFF0UL)]     // align down: only the low bits are cleared
    [InlineData(0x1234_5678_9ABC_DEF0UL, 0x7FF, 0x6F0UL)]
    [InlineData(0x1234_5678_9ABC_DEF0UL, -1, 0x1234_5678_9ABC_DEF0UL)]
    [InlineData(0x1234_5678_9ABC_DEF0UL, 0, 0UL)]
    [InlineData(Int64Min, -2048, Int64Min)]
    public void Andi_masks_with_the_sign_extended_immediate(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Andi, a, imm));

    [Theory]
    [InlineData(0x8000_0000_0000_0001UL, 0, 0x8000_0000_0000_0001UL)]
    [InlineData(0x8000_0000_0000_0001UL, 1, 0x0000_0000_0000_0002UL)]
    [InlineData(0x8000_0000_0000_0001UL, 63, 0x8000_0000_0000_0000UL)]
    [InlineData(0x0000_0000_8000_0001UL, 32, 0x8000_0001_0000_0000UL)]
    [InlineData(0x0000_0000_FFFF_FFFFUL, 31, 0x7FFF_FFFF_8000_0000UL)]
    [InlineData(3UL, 62, 0xC000_0000_0000_0000UL)]
    public void Slli_shifts_left_by_up_to_63(ulong a, int shamt, ulong expected) =>
        Assert.Equal(expected, ExecImm(Slli, a, shamt));

    [Theory]
    [InlineData(0x8000_0000_0000_0001UL, 0, 0x8000_0000_0000_0001UL)]
    [InlineData(0x8000_0000_0000_0001UL, 1, 0x4000_0000_0000_0000UL)]
    [InlineData(0x8000_0000_0000_0001UL, 63, 1UL)]
    [InlineData(MinusOne, 63, 1UL)]
    [InlineData(MinusOne, 32, 0xFFFF_FFFFUL)]
    [InlineData(0xF000_0000_0000_0000UL, 60, 0xFUL)]
    public void Srli_shifts_right_filling_with_zeros(ulong a, int shamt, ulong expected) =>
        Assert.Equal(expected, ExecImm(Srli, a, shamt));

    [Theory]
    [InlineData(0x8000_0000_0000_0001UL, 0, 0x8000_0000_0000_0001UL)]
    [InlineData(0x8000_0000_0000_0001UL, 1, 0xC000_0000_0000_0000UL)]
    [InlineData(0x8000_0000_0000_0001UL, 63, MinusOne)]
    [InlineData(Int64Max, 63, 0UL)]
    [InlineData(Int64Max, 1, 0x3FFF_FFFF_FFFF_FFFFUL)]
    [InlineData(0x8000_0000_0000_0000UL, 32, 0xFFFF_FFFF_8000_0000UL)]
    [InlineData(0x0000_0000_8000_0000UL, 31, 1UL)]       // bit 31 is not the sign bit of a 64-bit shift
    public void Srai_shifts_right_filling_with_the_sign_bit(ulong a, int shamt, ulong expected) =>
        Assert.Equal(expected, ExecImm(Srai, a, shamt));
}
