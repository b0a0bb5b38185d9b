using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>RV64M: MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU and the W forms.</summary>
public sealed class MultiplyDivideTests
{
    private const ulong MinusOne = ulong.MaxValue;
    private const ulong Int64Min = 0x8000_0000_0000_0000UL;
    private const ulong Int64Max = 0x7FFF_FFFF_FFFF_FFFFUL;
    private const ulong Int32MinSext = 0xFFFF_FFFF_8000_0000UL;

    public static TheoryData<ulong, ulong> MultiplyOperands => new()
    {
        { 0UL, 0UL },
        { 3UL, 7UL },
        { MinusOne, MinusOne },
        { MinusOne, 1UL },
        { 1UL, MinusOne },
        { MinusOne, 2UL },
        { Int64Min, Int64Min },
        { Int64Min, MinusOne },
        { MinusOne, Int64Min },
        { Int64Min, 1UL },
        { Int64Max, Int64Max },
        { Int64Max, Int64Min },
        { Int64Max, MinusOne },
        { 0xFFFF_FFFF_FFFF_FFFEUL, 0xFFFF_FFFF_FFFF_FFFDUL },
        { 0xDEAD_BEEF_CAFE_BABEUL, 0x0123_4567_89AB_CDEFUL },
        { 0x8000_0000_0000_0001UL, 0x8000_0000_0000_0001UL },
        { 0x1_0000_0000UL, 0x1_0000_0000UL },
        { 0xFFFF_FFFFUL, 0xFFFF_FFFFUL },
        { 0x7FFF_FFFFUL, 0x8000_0000UL },
        { 0UL, Int64Min },
    };

    [Theory]
    [MemberData(nameof(MultiplyOperands))]
    public void Mul_returns_the_low_64_bits(ulong a, ulong b) => Assert.Equal(a * b, Exec(Mul, a, b));

    [Theory]
    [MemberData(nameof(MultiplyOperands))]
    public void Mulh_returns_the_high_64_bits_of_the_signed_product(ulong a, ulong b)
    {
        Int128 product = (Int128)(long)a * (long)b;
        Assert.Equal((ulong)(product >> 64), Exec(Mulh, a, b));
    }

    [Theory]
    [MemberData(nameof(MultiplyOperands))]
    public void Mulhu_returns_the_high_64_bits_of_the_unsigned_product(ulong a, ulong b)
    {
        UInt128 product = (UInt128)a * b;
        Assert.Equal((ulong)(product >> 64), Exec(Mulhu, a, b));
    }

    [Theory]
    [MemberData(nameof(MultiplyOperands))]
    public void Mulhsu_returns_the_high_64_bits_of_signed_times_unsigned(ulong a, ulong b)
    {
        Int128 product = (Int128)(long)a * (Int128)(UInt128)b;
        Assert.Equal((ulong)(product >> 64), Exec(Mulhsu, a, b));
    }

    [Theory]
    [InlineData(MinusOne, MinusOne, 1UL, 0UL, MinusOne, 0xFFFF_FFFF_FFFF_FFFEUL)]
    [InlineData(Int64Min, MinusOne, Int64Min, 0UL, Int64Min, Int64Max)]
    [InlineData(MinusOne, 2UL, 0xFFFF_FFFF_FFFF_FFFEUL, MinusOne, MinusOne, 1UL)]
    [InlineData(Int64Min, Int64Min, 0UL, 0x4000_0000_0000_0000UL, 0xC000_0000_0000_0000UL, 0x4000_0000_0000_0000UL)]
    public void Multiply_edge_cases_spelled_out(ulong a, ulong b, ulong mul, ulong mulh, ulong mulhsu, ulong mulhu)
    {
        Assert.Equal(mul, Exec(Mul, a, b));
        Assert.Equal(mulh, Exec(Mulh, a, b));
        Assert.Equal(mulhsu, Exec(Mulhsu, a, b));
        Assert.Equal(mulhu, Exec(Mulhu, a, b));
    }

    [Theory]
    [InlineData(20UL, 6UL, 3UL, 2UL)]
    [InlineData(0xFFFF_FFFF_FFFF_FFECUL, 6UL, 0xFFFF_FFFF_FFFF_FFFDUL, 0xFFFF_FFFF_FFFF_FFFEUL)]  // -20 / 6 = -3 rem -2 (truncation)
    [InlineData(20UL, 0xFFFF_FFFF_FFFF_FFFAUL, 0xFFFF_FFFF_FFFF_FFFDUL, 2UL)]                    // 20 / -6 = -3 rem 2
    [InlineData(0xFFFF_FFFF_FFFF_FFECUL, 0xFFFF_FFFF_FFFF_FFFAUL, 3UL, 0xFFFF_FFFF_FFFF_FFFEUL)] // -20 / -6 = 3 rem -2
    [InlineData(Int64Min, MinusOne, Int64Min, 0UL)]                                              // overflow: quotient MIN, remainder 0
    [InlineData(Int64Min, 1UL, Int64Min, 0UL)]
    [InlineData(Int64Max, MinusOne, 0x8000_0000_0000_0001UL, 0UL)]
    [InlineData(Int64Min, 2UL, 0xC000_0000_0000_0000UL, 0UL)]
    [InlineData(Int64Min, Int64Max, MinusOne, MinusOne)]
    [InlineData(7UL, 0UL, MinusOne, 7UL)]                                                        // by zero: all ones, remainder = dividend
    [InlineData(0xFFFF_FFFF_FFFF_FFF9UL, 0UL, MinusOne, 0xFFFF_FFFF_FFFF_FFF9UL)]
    [InlineData(0UL, 0UL, MinusOne, 0UL)]
    [InlineData(Int64Min, 0UL, MinusOne, Int64Min)]
    public void Div_and_rem_signed(ulong a, ulong b, ulong quotient, ulong remainder)
    {
        Assert.Equal(quotient, Exec(Div, a, b));
        Assert.Equal(remainder, Exec(Rem, a, b));
    }

    [Theory]
    [InlineData(20UL, 6UL, 3UL, 2UL)]
    [InlineData(MinusOne, 2UL, Int64Max, 1UL)]
    [InlineData(MinusOne, MinusOne, 1UL, 0UL)]
    [InlineData(Int64Min, MinusOne, 0UL, Int64Min)]                 // unsigned: no overflow case
    [InlineData(0xFFFF_FFFF_FFFF_FFECUL, 6UL, 0x2AAA_AAAA_AAAA_AAA7UL, 2UL)]
    [InlineData(7UL, 0UL, MinusOne, 7UL)]                           // by zero
    [InlineData(MinusOne, 0UL, MinusOne, MinusOne)]
    [InlineData(0UL, 0UL, MinusOne, 0UL)]
    public void Divu_and_remu_unsigned(ulong a, ulong b, ulong quotient, ulong remainder)
    {
        Assert.Equal(quotient, Exec(Divu, a, b));
        Assert.Equal(remainder, Exec(Remu, a, b));
    }

    [Theory]
    [InlineData(3UL, 7UL, 21UL)]
    [InlineData(0x7FFF_FFFFUL, 2UL, 0xFFFF_FFFF_FFFF_FFFEUL)]       // low word 0xFFFFFFFE sign-extended
    [InlineData(0x1_0000_0003UL, 0x5_0000_0007UL, 21UL)]            // upper bits of the sources ignored
    [InlineData(0x8000_0000UL, MinusOne, Int32MinSext)]             // INT32_MIN * -1 wraps to INT32_MIN
    [InlineData(0x1_0000UL, 0x1_0000UL, 0UL)]
    [InlineData(0x1_0001UL, 0x1_0000UL, 0x1_0000UL)]
    [InlineData(0xFFFF_FFFFUL, 0xFFFF_FFFFUL, 1UL)]
    [InlineData(0x4000_0000UL, 2UL, Int32MinSext)]
    public void Mulw_multiplies_low_words_and_sign_extends(ulong a, ulong b, ulong expected) =>
        Assert.Equal(expected, Exec(Mulw, a, b));

    [Theory]
    [InlineData(20UL, 6UL, 3UL, 2UL)]
    [InlineData(0xFFFF_FFECUL, 6UL, 0xFFFF_FFFF_FFFF_FFFDUL, 0xFFFF_FFFF_FFFF_FFFEUL)]   // -20 / 6 on the low words
    [InlineData(0x8000_0000UL, 0xFFFF_FFFFUL, Int32MinSext, 0UL)]                       // INT32_MIN / -1
    [InlineData(0x8000_0000UL, MinusOne, Int32MinSext, 0UL)]
    [InlineData(0x8000_0000UL, 1UL, Int32MinSext, 0UL)]
    [InlineData(7UL, 0UL, MinusOne, 7UL)]                                               // by zero
    [InlineData(0x1_0000_0007UL, 0x1_0000_0000UL, MinusOne, 7UL)]                       // divisor's low word is zero
    [InlineData(0x8000_0000UL, 0UL, MinusOne, Int32MinSext)]                            // remainder is the sign-extended dividend
    [InlineData(0x1234_5678_0000_0014UL, 0xFFFF_FFFF_0000_0006UL, 3UL, 2UL)]            // upper bits ignored
    [InlineData(0x7FFF_FFFFUL, 0x8000_0000UL, 0UL, 0x7FFF_FFFFUL)]
    public void Divw_and_remw_signed_32_bit(ulong a, ulong b, ulong quotient, ulong remainder)
    {
        Assert.Equal(quotient, Exec(Divw, a, b));
        Assert.Equal(remainder, Exec(Remw, a, b));
    }

    [Theory]
    [InlineData(20UL, 6UL, 3UL, 2UL)]
    [InlineData(0xFFFF_FFFFUL, 1UL, MinusOne, 0UL)]                     // quotient 0xFFFFFFFF sign-extends
    [InlineData(0xFFFF_FFFFUL, 2UL, 0x7FFF_FFFFUL, 1UL)]
    [InlineData(0x8000_0000UL, 0xFFFF_FFFFUL, 0UL, Int32MinSext)]       // unsigned: remainder 0x80000000 sign-extends
    [InlineData(7UL, 0UL, MinusOne, 7UL)]                               // by zero: all ones in 64 bits
    [InlineData(0x8000_0000UL, 0UL, MinusOne, Int32MinSext)]            // remainder = dividend's low word, sign-extended
    [InlineData(0xFFFF_FFFF_0000_0005UL, 0x1_0000_0000UL, MinusOne, 5UL)]
    [InlineData(0x1_FFFF_FFFEUL, 0x1_0000_0003UL, 0x5555_5554UL, 2UL)]
    public void Divuw_and_remuw_unsigned_32_bit(ulong a, ulong b, ulong quotient, ulong remainder)
    {
        Assert.Equal(quotient, Exec(Divuw, a, b));
        Assert.Equal(remainder, Exec(Remuw, a, b));
    }

    [Fact]
    public void Multiply_and_divide_with_rd_equal_to_a_source()
    {
        var h = new CpuHarness().With(5, 6).With(6, 7).With(7, 100).With(8, 7)
            .Program(Mul(5, 5, 6), Div(7, 7, 8), Remu(8, 7, 8)).RunToEcall();
        Assert.Equal(42UL, h[5]);
        Assert.Equal(14UL, h[7]);
        Assert.Equal(0UL, h[8]);   // 14 % 7, reading the new x7
    }
}
