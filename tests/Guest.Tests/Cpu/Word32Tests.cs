using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>
/// ADDIW, SLLIW, SRLIW, SRAIW, ADDW, SUBW, SLLW, SRLW, SRAW: they read the low 32 bits of their sources,
/// compute a 32-bit result, and sign-extend it from bit 31.
/// </summary>
public sealed class Word32Tests
{
    private const ulong MinusOne = ulong.MaxValue;
    private const ulong Int32MinSext = 0xFFFF_FFFF_8000_0000UL;

    [Theory]
    [InlineData(1UL, 1, 2UL)]
    [InlineData(0x7FFF_FFFFUL, 1, Int32MinSext)]                        // 32-bit overflow, then sign extension
    [InlineData(0x8000_0000UL, 0, Int32MinSext)]                        // sext.w
    [InlineData(0x1234_5678_0000_0001UL, 1, 2UL)]                       // upper bits of rs1 ignored
    [InlineData(0xFFFF_FFFFUL, 1, 0UL)]
    [InlineData(0UL, -1, MinusOne)]
    [InlineData(0UL, -2048, 0xFFFF_FFFF_FFFF_F800UL)]
    [InlineData(0xFFFF_FFFF_7FFF_FFFFUL, 0, 0x7FFF_FFFFUL)]             // sext.w of a positive low word clears the top
    [InlineData(0x8000_07FFUL, -2048, 0x7FFF_FFFFUL)]                 // borrows out of bit 31: positive
    public void Addiw_adds_in_32_bits_and_sign_extends(ulong a, int imm, ulong expected) =>
        Assert.Equal(expected, ExecImm(Addiw, a, imm));

    [Theory]
    [InlineData(1UL, 0, 1UL)]
    [InlineData(1UL, 31, Int32MinSext)]
    [InlineData(1UL, 1, 2UL)]
    [InlineData(0xFFFF_FFFF_0000_0001UL, 0, 1UL)]
    [InlineData(0x0000_0001_4000_0000UL, 1, Int32MinSext)]
    [InlineData(0xFFFF_FFFFUL, 31, Int32MinSext)]
    [InlineData(0x0001_0001UL, 16, 0x0001_0000UL)]
    public void Slliw_shifts_the_low_word_and_sign_extends(ulong a, int shamt, ulong expected) =>
        Assert.Equal(expected, ExecImm(Slliw, a, shamt));

    [Theory]
    [InlineData(0x8000_0000UL, 0, Int32MinSext)]                // shift by 0 still sign-extends
    [InlineData(0xFFFF_FFFF_8000_0000UL, 1, 0x4000_0000UL)]     // zero fill from bit 31, then bit 31 is 0
    [InlineData(0xFFFF_FFFFUL, 1, 0x7FFF_FFFFUL)]
    [InlineData(0xFFFF_FFFFUL, 31, 1UL)]
    [InlineData(0x1_0000_0000UL, 1, 0UL)]                        // bit 32 never shifts in
    [InlineData(0x1234_5678UL, 4, 0x0123_4567UL)]
    public void Srliw_zero_fills_the_low_word_then_sign_extends(ulong a, int shamt, ulong expected) =>
        Assert.Equal(expected, ExecImm(Srliw, a, shamt));

    [Theory]
    [InlineData(0x8000_0000UL, 31, MinusOne)]
    [InlineData(0x8000_0000UL, 0, Int32MinSext)]
    [InlineData(0x8000_0000UL, 4, 0xFFFF_FFFF_F800_0000UL)]
    [InlineData(0x0000_0001_7FFF_FFFFUL, 0, 0x7FFF_FFFFUL)]     // bit 32 is not the sign
    [InlineData(0x0000_0001_7FFF_FFFFUL, 30, 1UL)]
    [InlineData(0xFFFF_FFFF_0000_0000UL, 31, 0UL)]
    public void Sraiw_shifts_the_low_word_arithmetically(ulong a, int shamt, ulong expected) =>
        Assert.Equal(expected, ExecImm(Sraiw, a, shamt));

    [Theory]
    [InlineData(0x7FFF_FFFFUL, 1UL, Int32MinSext)]
    [InlineData(0xFFFF_FFFFUL, 1UL, 0UL)]
    [InlineData(0x1_0000_0002UL, 0x2_0000_0003UL, 5UL)]
    [InlineData(0x8000_0000UL, 0x8000_0000UL, 0UL)]
    [InlineData(MinusOne, MinusOne, 0xFFFF_FFFF_FFFF_FFFEUL)]
    public void Addw_adds_low_words_and_sign_extends(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Addw, a, b));

    [Theory]
    [InlineData(0UL, 1UL, MinusOne)]
    [InlineData(0x8000_0000UL, 1UL, 0x7FFF_FFFFUL)]
    [InlineData(0x7FFF_FFFFUL, MinusOne, Int32MinSext)]
    [InlineData(0x5_0000_0000UL, 0x3_0000_0000UL, 0UL)]
    [InlineData(3UL, 5UL, 0xFFFF_FFFF_FFFF_FFFEUL)]
    public void Subw_subtracts_low_words_and_sign_extends(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Subw, a, b));

    [Theory]
    [InlineData(1UL, 31UL, Int32MinSext)]
    [InlineData(1UL, 32UL, 1UL)]                  // only the low 5 bits of rs2
    [InlineData(1UL, 33UL, 2UL)]
    [InlineData(1UL, MinusOne, Int32MinSext)]
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL, 0UL, MinusOne)]
    [InlineData(0x1_0000_0001UL, 0UL, 1UL)]
    public void Sllw_uses_only_the_low_5_bits_of_rs2(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Sllw, a, b));

    [Theory]
    [InlineData(0x8000_0000UL, 0UL, Int32MinSext)]
    [InlineData(0x8000_0000UL, 32UL, Int32MinSext)]   // 32 & 31 = 0
    [InlineData(0x8000_0000UL, 1UL, 0x4000_0000UL)]
    [InlineData(0x8000_0000UL, 31UL, 1UL)]
    [InlineData(0xFFFF_FFFF_0000_0000UL, 4UL, 0UL)]
    [InlineData(MinusOne, 63UL, 1UL)]                  // 63 & 31 = 31
    public void Srlw_uses_only_the_low_5_bits_of_rs2_and_zero_fills(ulong a, ulong b, ulong expected) =>
        Assert.Equal(expected, Exec(Srlw, a, b));

    [Theory]
    [InlineData(0x8000_0000UL, 31UL, MinusOne)]
    [InlineData(0x8000_0000UL, 63UL, MinusOne)]
    [InlineData(0x8000_0000UL, 32UL, Int32MinSext)]
    [InlineData(0x7FFF_FFFFUL, 31UL, 0UL)]
    [InlineData(0x0000_0001_0000_0000UL, 1UL, 0UL)]
    [InlineData(0xFFFF_FFF0UL, 2UL, 0xFFFF_FFFF_FFFF_FFFCUL)]
    public void Sraw_uses_only_the_low_5_bits_of_rs2_and_sign_fills(ulong a, ulong b, ulong expected) =>
        Assert.Equal(expected, Exec(Sraw, a, b));
}
