using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND.</summary>
public sealed class IntegerRegisterTests
{
    private const ulong MinusOne = ulong.MaxValue;
    private const ulong Int64Min = 0x8000_0000_0000_0000UL;
    private const ulong Int64Max = 0x7FFF_FFFF_FFFF_FFFFUL;

    [Theory]
    [InlineData(2UL, 3UL, 5UL)]
    [InlineData(Int64Max, 1UL, Int64Min)]              // signed overflow wraps
    [InlineData(MinusOne, 1UL, 0UL)]                   // unsigned overflow wraps
    [InlineData(MinusOne, MinusOne, 0xFFFF_FFFF_FFFF_FFFEUL)]
    [InlineData(Int64Min, Int64Min, 0UL)]
    [InlineData(0xFFFF_FFFFUL, 1UL, 0x1_0000_0000UL)]  // carries past bit 31
    public void Add_wraps_modulo_2_to_the_64(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Add, a, b));

    [Theory]
    [InlineData(5UL, 3UL, 2UL)]
    [InlineData(0UL, 1UL, MinusOne)]
    [InlineData(Int64Min, 1UL, Int64Max)]
    [InlineData(Int64Max, MinusOne, Int64Min)]
    [InlineData(0x1_0000_0000UL, 1UL, 0xFFFF_FFFFUL)]
    [InlineData(7UL, 7UL, 0UL)]
    public void Sub_wraps_modulo_2_to_the_64(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Sub, a, b));

    [Theory]
    [InlineData(1UL, 0UL, 1UL)]
    [InlineData(1UL, 63UL, Int64Min)]
    [InlineData(1UL, 64UL, 1UL)]                           // only the low 6 bits of rs2: 64 → 0
    [InlineData(1UL, 65UL, 2UL)]
    [InlineData(1UL, MinusOne, Int64Min)]                  // all ones → 63
    [InlineData(0xFFUL, 0xFFFF_FFFF_FFFF_FFC4UL, 0xFF0UL)] // ...C4 & 63 = 4
    [InlineData(0x8000_0001UL, 32UL, 0x8000_0001_0000_0000UL)]
    public void Sll_uses_only_the_low_6_bits_of_rs2(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Sll, a, b));

    [Theory]
    [InlineData(Int64Min, 0UL, Int64Min)]
    [InlineData(Int64Min, 63UL, 1UL)]
    [InlineData(Int64Min, 64UL, Int64Min)]
    [InlineData(Int64Min, 127UL, 1UL)]
    [InlineData(MinusOne, 32UL, 0xFFFF_FFFFUL)]
    [InlineData(MinusOne, 0x1_0000_0001UL, Int64Max)]       // bits above 5 ignored
    public void Srl_uses_only_the_low_6_bits_of_rs2_and_fills_with_zeros(ulong a, ulong b, ulong expected) =>
        Assert.Equal(expected, Exec(Srl, a, b));

    [Theory]
    [InlineData(Int64Min, 0UL, Int64Min)]
    [InlineData(Int64Min, 63UL, MinusOne)]
    [InlineData(Int64Min, 64UL, Int64Min)]
    [InlineData(Int64Min, 65UL, 0xC000_0000_0000_0000UL)]
    [InlineData(Int64Max, 63UL, 0UL)]
    [InlineData(0xFFFF_FFFF_0000_0000UL, 32UL, MinusOne)]
    [InlineData(0x0000_0000_8000_0000UL, 31UL, 1UL)]
    public void Sra_uses_only_the_low_6_bits_of_rs2_and_fills_with_the_sign(ulong a, ulong b, ulong expected) =>
        Assert.Equal(expected, Exec(Sra, a, b));

    [Theory]
    [InlineData(MinusOne, 1UL, 1UL)]      // -1 < 1
    [InlineData(1UL, MinusOne, 0UL)]
    [InlineData(Int64Min, Int64Max, 1UL)]
    [InlineData(Int64Max, Int64Min, 0UL)]
    [InlineData(Int64Min, Int64Min, 0UL)]
    [InlineData(0UL, 0UL, 0UL)]
    [InlineData(MinusOne, 0UL, 1UL)]
    public void Slt_compares_signed(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Slt, a, b));

    [Theory]
    [InlineData(MinusOne, 1UL, 0UL)]
    [InlineData(1UL, MinusOne, 1UL)]
    [InlineData(Int64Min, Int64Max, 0UL)]
    [InlineData(Int64Max, Int64Min, 1UL)]
    [InlineData(0UL, 0UL, 0UL)]
    [InlineData(0UL, 1UL, 1UL)]
    public void Sltu_compares_unsigned(ulong a, ulong b, ulong expected) => Assert.Equal(expected, Exec(Sltu, a, b));

    [Fact]
    public void Sltu_with_x0_as_rs1_is_snez()
    {
        var h = new CpuHarness().With(1, 0x100_0000_0000UL).With(2, 0).Program(Sltu(5, 0, 1), Sltu(6, 0, 2)).RunToEcall();
        Assert.Equal(1UL, h[5]);
        Assert.Equal(0UL, h[6]);
    }

    [Theory]
    [InlineData(0xFF00_FF00_FF00_FF00UL, 0x0FF0_0FF0_0FF0_0FF0UL, 0xF0F0_F0F0_F0F0_F0F0UL, 0xFFF0_FFF0_FFF0_FFF0UL, 0x0F00_0F00_0F00_0F00UL)]
    [InlineData(0UL, MinusOne, MinusOne, MinusOne, 0UL)]
    [InlineData(Int64Min, Int64Max, MinusOne, MinusOne, 0UL)]
    [InlineData(0x1234UL, 0x1234UL, 0UL, 0x1234UL, 0x1234UL)]
    public void Xor_or_and_are_bitwise(ulong a, ulong b, ulong xor, ulong or, ulong and)
    {
        Assert.Equal(xor, Exec(Xor, a, b));
        Assert.Equal(or, Exec(Or, a, b));
        Assert.Equal(and, Exec(And, a, b));
    }

    [Fact]
    public void Same_register_as_both_sources_and_destination()
    {
        var h = new CpuHarness().With(5, 21).With(6, 0x1234).With(7, 0x55).With(8, 9)
            .Program(Add(5, 5, 5), Sub(6, 6, 6), Xor(7, 7, 7), Sll(8, 8, 8)).RunToEcall();
        Assert.Equal(42UL, h[5]);
        Assert.Equal(0UL, h[6]);
        Assert.Equal(0UL, h[7]);
        Assert.Equal(9UL << 9, h[8]);
    }
}
