using FaultTolerant.Guest.Cpu;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>
/// The test encoder against instruction words as a standard assembler produces them, and against the
/// emulator's decoder (so an immediate the encoder scrambles cannot hide behind a decoder that scrambles it back).
/// </summary>
public sealed class Rv64AsmTests
{
    public static TheoryData<uint, uint> KnownEncodings => new()
    {
        { Addi(10, 10, 1), 0x00150513 },    // addi a0, a0, 1
        { Nop(), 0x00000013 },              // nop
        { Ret(), 0x00008067 },              // ret
        { Ecall(), 0x00000073 },            // ecall
        { Ebreak(), 0x00100073 },           // ebreak
        { Lui(10, 0x12345), 0x12345537 },   // lui a0, 0x12345
        { Sd(1, 2, 8), 0x00113423 },        // sd ra, 8(sp)
        { Ld(1, 2, 8), 0x00813083 },        // ld ra, 8(sp)
        { Addi(2, 2, -16), 0xff010113 },    // addi sp, sp, -16
        { Jal(0, 0), 0x0000006f },          // j .
        { Mul(10, 10, 11), 0x02b50533 },    // mul a0, a0, a1
        { Rdcycle(10), 0xc0002573 },        // rdcycle a0
        { Rdinstret(10), 0xc0202573 },      // rdinstret a0
        { Fence(), 0x0ff0000f },            // fence iorw, iorw
        { Beq(10, 11, 8), 0x00b50463 },     // beq a0, a1, .+8
        { Srai(10, 10, 63), 0x43f55513 },   // srai a0, a0, 63
        { Sraiw(10, 10, 31), 0x41f5551b },  // sraiw a0, a0, 31
        { Sub(10, 10, 11), 0x40b50533 },    // sub a0, a0, a1
    };

    [Theory]
    [MemberData(nameof(KnownEncodings))]
    public void Encoder_matches_known_assembler_output(uint encoded, uint expected) => Assert.Equal(expected, encoded);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(2047)]
    [InlineData(-2048)]
    [InlineData(0x555)]
    [InlineData(-0x556)]
    public void I_and_S_immediates_round_trip_through_the_decoder(int imm)
    {
        Assert.Equal(imm, Decoder.Decode(Addi(5, 6, imm)).Imm);
        Assert.Equal(imm, Decoder.Decode(Ld(5, 6, imm)).Imm);
        Assert.Equal(imm, Decoder.Decode(Jalr(5, 6, imm)).Imm);
        var store = Decoder.Decode(Sd(7, 6, imm));
        Assert.Equal(imm, store.Imm);
        Assert.Equal(6, store.Rs1);
        Assert.Equal(7, store.Rs2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-2)]
    [InlineData(4094)]
    [InlineData(-4096)]
    [InlineData(0x800)]
    [InlineData(0xAAA)]
    [InlineData(-0xAAA)]
    public void B_offsets_round_trip_through_the_decoder(int offset)
    {
        var d = Decoder.Decode(Bltu(9, 17, offset));
        Assert.Equal(offset, d.Imm);
        Assert.Equal(9, d.Rs1);
        Assert.Equal(17, d.Rs2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-2)]
    [InlineData(0xFFFFE)]
    [InlineData(-0x100000)]
    [InlineData(0x800)]
    [InlineData(0x1000)]
    [InlineData(0x55554)]
    [InlineData(-0x55556)]
    public void J_offsets_round_trip_through_the_decoder(int offset)
    {
        var d = Decoder.Decode(Jal(31, offset));
        Assert.Equal(offset, d.Imm);
        Assert.Equal(31, d.Rd);
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(-2049)]
    public void Encoder_rejects_out_of_range_immediates(int imm) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Addi(1, 1, imm));

    [Fact]
    public void Encoder_rejects_odd_branch_offsets_and_bad_registers()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Beq(1, 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Add(32, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Slli(1, 1, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => Slliw(1, 1, 32));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(2047)]
    [InlineData(2048)]
    [InlineData(-2048)]
    [InlineData(-2049)]
    [InlineData(0x12345678)]
    [InlineData(0x7FFFF800)]
    [InlineData(0x7FFFFFFF)]
    [InlineData(int.MinValue)]
    [InlineData(0x12345FFF)]
    public void Li_loads_any_32_bit_value_sign_extended(int value)
    {
        var h = new CpuHarness().Program(Li(5, value)).RunToEcall();
        Assert.Equal((ulong)(long)value, h[5]);
    }
}
