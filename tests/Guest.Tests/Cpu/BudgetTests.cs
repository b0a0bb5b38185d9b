using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>The instruction budget and the retired-instruction count.</summary>
public sealed class BudgetTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(3L)]
    [InlineData(1000L)]
    [InlineData(12345L)]
    public void Run_stops_exactly_at_the_limit(long limit)
    {
        // An endless loop of three instructions: the stop can fall on any of them.
        var h = new CpuHarness().Program(Addi(5, 5, 1), Nop(), Jal(0, -8));
        var stop = Interpreter.Run(h.Hart, h.Memory, limit, out _, out _);
        Assert.Equal(StopReason.Budget, stop);
        Assert.Equal(limit, h.Instret);
        Assert.Equal((ulong)((limit + 2) / 3), h[5]);
        Assert.Equal(CodeBase + (ulong)(limit % 3 * 4), h.Pc);
    }

    [Fact]
    public void Limit_already_reached_runs_nothing()
    {
        var h = new CpuHarness().Program(Addi(5, 0, 1));
        h.Hart.InstructionsRetired = 50;
        Assert.Equal(StopReason.Budget, Interpreter.Run(h.Hart, h.Memory, 50, out _, out _));
        Assert.Equal(StopReason.Budget, Interpreter.Run(h.Hart, h.Memory, 10, out _, out _));
        Assert.Equal(50, h.Instret);
        Assert.Equal(CodeBase, h.Pc);
        Assert.Equal(0UL, h[5]);
    }

    [Fact]
    public void Runs_resume_where_the_budget_stopped_them()
    {
        var h = new CpuHarness().With(1, 100).Program(Addi(2, 2, 1), Addi(1, 1, -1), Bne(1, 0, -8));
        int runs = 0;
        while (h.Run(budget: 7) == StopReason.Budget) runs++;
        Assert.Equal(StopReason.Ecall, h.Stop);
        Assert.Equal(100UL, h[2]);
        Assert.Equal(300, h.Instret);
        Assert.Equal(300 / 7, runs);
        Assert.Equal(h.EcallAddress, h.Pc);
    }

    [Fact]
    public void Ecall_before_the_limit_wins()
    {
        var h = new CpuHarness().Program(Nop(), Nop());
        Assert.Equal(StopReason.Ecall, h.Run(budget: 3));
        Assert.Equal(2, h.Instret);
    }

    [Fact]
    public void Budget_reached_exactly_before_an_ecall_reports_budget()
    {
        var h = new CpuHarness().Program(Nop(), Nop());
        Assert.Equal(StopReason.Budget, h.Run(budget: 2));
        Assert.Equal(h.EcallAddress, h.Pc);
        Assert.Equal(StopReason.Ecall, h.Run(budget: 1));
        Assert.Equal(2, h.Instret);
    }

    [Fact]
    public void Faulting_instruction_is_not_counted()
    {
        var h = new CpuHarness().With(1, UnmappedBase).Program(Nop(), Nop(), Ld(2, 1, 0), Nop()).RunToFault(FaultCause.LoadPageFault);
        Assert.Equal(2, h.Instret);
        Assert.Equal(CodeBase + 8, h.Pc);
    }

    [Fact]
    public void Budget_reached_before_a_faulting_instruction_reports_budget()
    {
        var h = new CpuHarness().Program(Nop(), Word(0));
        Assert.Equal(StopReason.Budget, h.Run(budget: 1));
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(StopReason.Fault, h.Run(budget: 1));
        Assert.Equal(FaultCause.IllegalInstruction, h.Cause);
        Assert.Equal(1, h.Instret);
    }

    [Fact]
    public void Every_kind_of_instruction_counts_once()
    {
        var h = new CpuHarness().With(1, DataBase).Program(
            Lui(5, 1), Auipc(6, 1), Jal(7, 4), Beq(0, 0, 4), Bne(0, 0, 4), Ld(8, 1, 0), Sd(8, 1, 8),
            Addi(9, 0, 1), Add(10, 9, 9), Addw(11, 9, 9), Mul(12, 9, 9), Divuw(13, 9, 0), Fence(), Rdinstret(14))
            .RunToEcall();
        Assert.Equal(14, h.Instret);
        Assert.Equal(13UL, h[14]);
    }

    [Fact]
    public void Long_loop_runs_quickly_and_counts_exactly()
    {
        // 3 instructions per iteration, 200k iterations: also a smoke test of the hot loop's speed.
        var h = new CpuHarness().With(1, 200_000).Program(Addi(2, 2, 2), Addi(1, 1, -1), Bne(1, 0, -8));
        Assert.Equal(StopReason.Ecall, h.Run(budget: 1_000_000));
        Assert.Equal(400_000UL, h[2]);
        Assert.Equal(600_000, h.Instret);
    }
}
