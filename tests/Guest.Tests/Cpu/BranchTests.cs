using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>BEQ, BNE, BLT, BGE, BLTU, BGEU: taken and not taken, signed against unsigned, forward and backward.</summary>
public sealed class BranchTests
{
    private const ulong MinusOne = ulong.MaxValue;
    private const ulong Int64Min = 0x8000_0000_0000_0000UL;
    private const ulong Int64Max = 0x7FFF_FFFF_FFFF_FFFFUL;

    private static Func<int, int, int, uint> Branch(string name) => name switch
    {
        "beq" => Beq,
        "bne" => Bne,
        "blt" => Blt,
        "bge" => Bge,
        "bltu" => Bltu,
        "bgeu" => Bgeu,
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>Runs <c>branch x1, x2, +8; addi x10, x0, 1</c>: x10 stays 0 only when the branch is taken.</summary>
    private static bool Taken(string name, ulong a, ulong b)
    {
        var h = new CpuHarness().With(1, a).With(2, b).Program(Branch(name)(1, 2, 8), Addi(10, 0, 1)).RunToEcall();
        bool taken = h[10] == 0;
        Assert.Equal(taken ? 1 : 2, h.Instret);
        return taken;
    }

    [Theory]
    [InlineData("beq", 5UL, 5UL, true)]
    [InlineData("beq", 5UL, 6UL, false)]
    [InlineData("beq", MinusOne, MinusOne, true)]
    [InlineData("beq", 0UL, Int64Min, false)]
    [InlineData("bne", 5UL, 5UL, false)]
    [InlineData("bne", 5UL, 6UL, true)]
    [InlineData("bne", 0x1_0000_0000UL, 0UL, true)]   // differs only above bit 31
    [InlineData("blt", MinusOne, 1UL, true)]          // -1 < 1 signed
    [InlineData("blt", 1UL, MinusOne, false)]
    [InlineData("blt", Int64Min, Int64Max, true)]
    [InlineData("blt", Int64Max, Int64Min, false)]
    [InlineData("blt", Int64Min, MinusOne, true)]
    [InlineData("blt", 3UL, 3UL, false)]
    [InlineData("bge", MinusOne, 1UL, false)]
    [InlineData("bge", 1UL, MinusOne, true)]
    [InlineData("bge", 3UL, 3UL, true)]                // equal is taken
    [InlineData("bge", Int64Min, Int64Min, true)]
    [InlineData("bge", Int64Max, Int64Min, true)]
    [InlineData("bge", Int64Min, 0UL, false)]
    [InlineData("bltu", MinusOne, 1UL, false)]         // all ones is the largest unsigned value
    [InlineData("bltu", 1UL, MinusOne, true)]
    [InlineData("bltu", Int64Max, Int64Min, true)]
    [InlineData("bltu", Int64Min, Int64Max, false)]
    [InlineData("bltu", 0UL, 0UL, false)]
    [InlineData("bltu", 0UL, 1UL, true)]
    [InlineData("bgeu", MinusOne, 1UL, true)]
    [InlineData("bgeu", 1UL, MinusOne, false)]
    [InlineData("bgeu", 7UL, 7UL, true)]
    [InlineData("bgeu", Int64Min, Int64Max, true)]
    [InlineData("bgeu", 0UL, 1UL, false)]
    public void Branch_outcome(string name, ulong a, ulong b, bool expectedTaken) =>
        Assert.Equal(expectedTaken, Taken(name, a, b));

    [Theory]
    [InlineData("beq")]
    [InlineData("bge")]
    [InlineData("bgeu")]
    public void Branch_comparing_a_register_with_itself(string name) => Assert.True(Taken(name, 0x1234UL, 0x1234UL));

    [Fact]
    public void Branch_against_x0_compares_with_zero()
    {
        var h = new CpuHarness().With(1, MinusOne).Program(Blt(1, 0, 8), Addi(10, 0, 1), Bltu(0, 1, 8), Addi(11, 0, 1)).RunToEcall();
        Assert.Equal(0UL, h[10]);
        Assert.Equal(0UL, h[11]);
    }

    [Fact]
    public void Backward_branch_runs_a_loop()
    {
        // x1 = 10; do { x2 += 3; x1 -= 1; } while (x1 != 0);
        var h = new CpuHarness().With(1, 10).Program(
            Addi(2, 2, 3),
            Addi(1, 1, -1),
            Bne(1, 0, -8))
            .RunToEcall();
        Assert.Equal(30UL, h[2]);
        Assert.Equal(0UL, h[1]);
        Assert.Equal(30, h.Instret);
    }

    [Fact]
    public void Counting_loop_with_signed_and_unsigned_conditions()
    {
        // for (i = -5; i < 5; i++) sum += i;  then  for (j = 0; j <u 7; j++) cnt++;
        var h = new CpuHarness().Program(
            Addi(1, 0, -5),       // 0
            Addi(3, 0, 5),        // 4
            Add(2, 2, 1),         // 8
            Addi(1, 1, 1),        // 12
            Blt(1, 3, -8),        // 16 -> 8
            Addi(5, 0, 7),        // 20
            Addi(6, 6, 1),        // 24
            Addi(4, 4, 1),        // 28
            Bltu(4, 5, -8))       // 32 -> 24
            .RunToEcall();
        Assert.Equal(unchecked((ulong)-5L), h[2]);
        Assert.Equal(7UL, h[6]);
    }

    [Fact]
    public void Branch_to_its_own_address_spins_until_the_budget_runs_out()
    {
        var h = new CpuHarness().Program(Beq(0, 0, 0));
        Assert.Equal(StopReason.Budget, h.Run(budget: 50));
        Assert.Equal(CodeBase, h.Pc);
        Assert.Equal(50, h.Instret);
    }

    [Fact]
    public void Branch_with_maximal_offsets()
    {
        var h = new CpuHarness().Program(Beq(0, 0, 4094));          // target not 4-aligned → misaligned
        h.RunToFault(FaultCause.InstructionAddressMisaligned);
        Assert.Equal(CodeBase + 4094, h.FaultAddress);

        h = new CpuHarness().Program(Beq(0, 0, 4092));
        h.Place(CodeBase + 4092, Addi(5, 0, 9), Ecall());
        h.Run();
        Assert.Equal(CodeBase + 4096, h.Pc);
        Assert.Equal(9UL, h[5]);

        h = new CpuHarness().With(9, CodeBase + 0x1000).Program(Jalr(0, 9, 0));
        h.Place(CodeBase + 0x1000, Beq(0, 0, -4096));               // back to the jalr at CodeBase
        Assert.Equal(StopReason.Budget, h.Run(budget: 4));
        Assert.Equal(CodeBase, h.Pc);
    }

    [Theory]
    [InlineData("beq", 0UL, 0UL)]
    [InlineData("bne", 0UL, 1UL)]
    [InlineData("blt", 0UL, 1UL)]
    [InlineData("bge", 1UL, 0UL)]
    [InlineData("bltu", 0UL, 1UL)]
    [InlineData("bgeu", 1UL, 0UL)]
    public void Taken_branch_to_a_misaligned_target_faults_with_pc_on_the_branch(string name, ulong a, ulong b)
    {
        var h = new CpuHarness().With(1, a).With(2, b).Program(Nop(), Branch(name)(1, 2, 6)).RunToFault(FaultCause.InstructionAddressMisaligned);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(CodeBase + 10, h.FaultAddress);
        Assert.Equal(1, h.Instret);
    }

    [Theory]
    [InlineData("beq", 0UL, 1UL)]
    [InlineData("bne", 1UL, 1UL)]
    [InlineData("blt", 1UL, 0UL)]
    [InlineData("bge", 0UL, 1UL)]
    [InlineData("bltu", 1UL, 0UL)]
    [InlineData("bgeu", 0UL, 1UL)]
    public void Untaken_branch_with_a_misaligned_target_does_not_fault(string name, ulong a, ulong b)
    {
        var h = new CpuHarness().With(1, a).With(2, b).Program(Branch(name)(1, 2, 6)).RunToEcall();
        Assert.Equal(1, h.Instret);
    }
}
