using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>x0, FENCE, ECALL, EBREAK, the counters, and encodings that must be refused.</summary>
public sealed class SystemAndIllegalTests
{
    [Fact]
    public void X0_reads_zero_after_every_kind_of_write()
    {
        var h = new CpuHarness().Poke64(DataBase, 0x1234).With(1, DataBase).With(2, 77).With(7, CodeBase + 32).Program(
            Addi(0, 0, 5),      // 0
            Lui(0, 0x12345),    // 4
            Auipc(0, 1),        // 8
            Add(0, 2, 2),       // 12
            Mul(0, 2, 2),       // 16
            Ld(0, 1, 0),        // 20
            Jal(0, 4),          // 24: to 28, link discarded
            Jalr(0, 7, 0),      // 28: to 32, link discarded
            Rdinstret(0),       // 32
            Addi(5, 0, 0),      // 36: x5 = x0
            Add(6, 0, 0),       // 40
            Sd(0, 1, 8))        // 44: stores x0
            .RunToEcall();
        Assert.Equal(0UL, h[0]);
        Assert.Equal(0UL, h[5]);
        Assert.Equal(0UL, h[6]);
        Assert.Equal(0UL, h.Peek64(DataBase + 8));
    }

    [Fact]
    public void Writing_x0_through_the_hart_indexer_is_ignored()
    {
        var h = new CpuHarness().With(0, 99).Program(Addi(5, 0, 1)).RunToEcall();
        Assert.Equal(0UL, h[0]);
        Assert.Equal(1UL, h[5]);
    }

    [Theory]
    [InlineData(0xf, 0xf)]
    [InlineData(0x1, 0x2)]
    [InlineData(0x0, 0x0)]
    public void Fence_is_a_no_op_that_retires(int pred, int succ)
    {
        var h = new CpuHarness().With(5, 1).Program(Fence(pred, succ), Addi(5, 5, 1)).RunToEcall();
        Assert.Equal(2UL, h[5]);
        Assert.Equal(2, h.Instret);
    }

    [Fact]
    public void Fence_tso_is_accepted_as_a_fence()
    {
        var h = new CpuHarness().Program(Word(0x8330000f)).RunToEcall();
        Assert.Equal(1, h.Instret);
    }

    [Fact]
    public void Fence_i_retires()
    {
        var h = new CpuHarness().Program(FenceI(), Addi(5, 0, 3)).RunToEcall();
        Assert.Equal(3UL, h[5]);
        Assert.Equal(2, h.Instret);
    }

    [Fact]
    public void Ecall_stops_with_pc_on_it_and_does_not_retire()
    {
        var h = new CpuHarness().With(17, 93).With(10, 7).Program(Addi(5, 0, 1), Addi(6, 0, 2)).RunToEcall();
        Assert.Equal(StopReason.Ecall, h.Stop);
        Assert.Equal(CodeBase + 8, h.Pc);
        Assert.Equal(2, h.Instret);
        Assert.Equal(93UL, h[17]);
        Assert.Equal(7UL, h[10]);

        // Running again without the kernel advancing pc stops on the same ecall, having done nothing.
        Assert.Equal(StopReason.Ecall, h.Run());
        Assert.Equal(CodeBase + 8, h.Pc);
        Assert.Equal(2, h.Instret);
    }

    [Fact]
    public void Execution_resumes_after_the_kernel_steps_over_an_ecall()
    {
        var h = new CpuHarness().Program(Addi(5, 0, 1), Ecall(), Addi(5, 5, 1));
        Assert.Equal(StopReason.Ecall, h.Run());
        Assert.Equal(CodeBase + 4, h.Pc);
        h.Pc += 4;
        h.Hart.InstructionsRetired++;
        h.RunToEcall();
        Assert.Equal(2UL, h[5]);
        Assert.Equal(3, h.Instret);
    }

    [Fact]
    public void Ebreak_is_a_breakpoint_fault_at_its_address()
    {
        var h = new CpuHarness().Program(Nop(), Ebreak(), Addi(5, 0, 1)).RunToFault(FaultCause.Breakpoint);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(CodeBase + 4, h.FaultAddress);
        Assert.Equal(1, h.Instret);
        Assert.Equal(0UL, h[5]);
    }

    [Theory]
    [InlineData(0x0000_0000u)]   // all zeros: defined illegal
    [InlineData(0xFFFF_FFFFu)]   // all ones
    [InlineData(0x0000_0057u)]   // OP-V
    [InlineData(0x0000_007Fu)]   // reserved (>32-bit instruction prefix)
    [InlineData(0x0000_4501u)]   // c.li a0, 0: a compressed instruction, and RVC is not implemented
    [InlineData(0x0005_3007u)]   // fld f0, 0(a0): no F/D
    [InlineData(0x0200_0053u)]   // fadd.d: no F/D
    [InlineData(0x1005_262Fu)]   // lr.w a2, (a0): no A
    [InlineData(0x0000_000Bu)]   // custom-0
    public void Unknown_or_unimplemented_encodings_are_illegal_with_the_word_as_address(uint word)
    {
        var h = new CpuHarness().Program(Nop(), Word(word), Addi(5, 0, 1)).RunToFault(FaultCause.IllegalInstruction);
        Assert.Equal(word, h.FaultAddress);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(1, h.Instret);
        Assert.Equal(0UL, h[5]);
    }

    public static TheoryData<uint, string> IllegalVariants => new()
    {
        { Slliw(1, 2, 0) | (1u << 25), "slliw with shamt[5] set" },
        { Srliw(1, 2, 0) | (1u << 25), "srliw with shamt[5] set" },
        { Sraiw(1, 2, 0) | (1u << 25), "sraiw with shamt[5] set" },
        { Slliw(1, 2, 3) | (1u << 30), "slliw with funct7 0x20" },
        { Slli(1, 2, 3) | (1u << 30), "slli with funct6 0x10" },
        { Slli(1, 2, 3) | (1u << 26), "slli with funct6 1" },
        { Srli(1, 2, 3) | (1u << 27), "srli with funct6 2" },
        { Srai(1, 2, 3) | (1u << 26), "srai with funct6 0x11" },
        { Add(1, 2, 3) | (1u << 26), "add with funct7 2" },
        { Sll(1, 2, 3) | (1u << 30), "sll with funct7 0x20" },
        { Slt(1, 2, 3) | (1u << 30), "slt with funct7 0x20" },
        { Addw(1, 2, 3) | (1u << 31), "addw with funct7 0x40" },
        { Sllw(1, 2, 3) | (1u << 30), "sllw with funct7 0x20" },
        { Mulw(1, 2, 3) | (1u << 12), "mulw funct3 1 (there is no mulhw)" },
        { Mulw(1, 2, 3) | (2u << 12), "mulw funct3 2" },
        { Mulw(1, 2, 3) | (3u << 12), "mulw funct3 3" },
        { Word(0x0000_7003), "load funct3 7" },
        { Word(0x0000_4023), "store funct3 4" },
        { Word(0x0000_7023), "store funct3 7" },
        { Word(0x0000_2063), "branch funct3 2" },
        { Word(0x0000_3063), "branch funct3 3" },
        { Jalr(1, 2, 0) | (1u << 12), "jalr funct3 1" },
        { Word(0x0000_201B), "op-imm-32 funct3 2" },
        { Word(0x0000_203B), "op-32 funct3 2" },
        { Word(0x0000_200F), "misc-mem funct3 2" },
        { Word(0x1050_0073), "wfi" },
        { Word(0x3020_0073), "mret" },
        { Word(0x0020_0073), "system with imm 2" },
    };

    [Theory]
    [MemberData(nameof(IllegalVariants))]
    public void Reserved_variants_of_real_instructions_are_illegal(uint word, string what)
    {
        var h = Single(word);
        Assert.True(h.Stop == StopReason.Fault && h.Cause == FaultCause.IllegalInstruction, $"{what} (0x{word:x8}): {h.Describe()}");
        Assert.Equal(word, h.FaultAddress);
        Assert.Equal(CodeBase, h.Pc);
        Assert.Equal(0, h.Instret);
    }

    [Fact]
    public void Largest_legal_shift_amounts_are_accepted()
    {
        var h = new CpuHarness().With(1, 1).Program(Slli(2, 1, 63), Srli(3, 2, 63), Srai(4, 2, 63), Slliw(5, 1, 31), Srliw(6, 5, 31), Sraiw(7, 5, 31)).RunToEcall();
        Assert.Equal(0x8000_0000_0000_0000UL, h[2]);
        Assert.Equal(1UL, h[3]);
        Assert.Equal(ulong.MaxValue, h[4]);
        Assert.Equal(0xFFFF_FFFF_8000_0000UL, h[5]);
        Assert.Equal(1UL, h[6]);
        Assert.Equal(ulong.MaxValue, h[7]);
    }

    [Fact]
    public void Rdinstret_reads_the_number_of_instructions_retired_before_it()
    {
        var h = new CpuHarness().Program(Nop(), Nop(), Rdinstret(5), Nop(), Rdinstret(6)).RunToEcall();
        Assert.Equal(2UL, h[5]);
        Assert.Equal(4UL, h[6]);
        Assert.Equal(5, h.Instret);
    }

    [Fact]
    public void Rdcycle_reads_the_instruction_count_too()
    {
        var h = new CpuHarness().Program(Rdcycle(5), Nop(), Nop(), Rdcycle(6)).RunToEcall();
        Assert.Equal(0UL, h[5]);
        Assert.Equal(3UL, h[6]);
    }

    [Fact]
    public void Counters_continue_from_the_harts_count()
    {
        var h = new CpuHarness().Program(Nop(), Rdinstret(5), Rdcycle(6));
        h.Hart.InstructionsRetired = 1_000_000;
        h.RunToEcall();
        Assert.Equal(1_000_001UL, h[5]);
        Assert.Equal(1_000_002UL, h[6]);
        Assert.Equal(1_000_003, h.Instret);
    }

    public static TheoryData<uint, string> IllegalCsrAccesses => new()
    {
        { Rdtime(5), "rdtime (csr 0xC01)" },
        { Csrrs(5, 0xC03, 0), "hpmcounter3" },
        { Csrrs(5, 0x001, 0), "fflags" },
        { Csrrs(5, 0x003, 0), "fcsr" },
        { Csrrs(5, 0x300, 0), "mstatus" },
        { Csrrs(5, 0x100, 0), "sstatus" },
        { Csrrs(5, 0xC80, 0), "cycleh (RV32 only)" },
        { Csrrs(5, 0xC00, 1), "csrrs cycle with rs1 != x0 writes a read-only CSR" },
        { Csrrw(5, 0xC00, 1), "csrrw cycle" },
        { Csrrw(0, 0xC02, 1), "csrw instret" },
        { Csrrwi(5, 0xC00, 0), "csrrwi cycle" },
        { Csrrci(5, 0xC02, 1), "csrrci instret with uimm != 0" },
    };

    [Theory]
    [MemberData(nameof(IllegalCsrAccesses))]
    public void Csr_accesses_other_than_reading_cycle_and_instret_are_illegal(uint word, string what)
    {
        var h = new CpuHarness().With(5, 0x5EE5).Program(Word(word));
        h.Run();
        Assert.True(h.Stop == StopReason.Fault && h.Cause == FaultCause.IllegalInstruction, $"{what}: {h.Describe()}");
        Assert.Equal(word, h.FaultAddress);
        Assert.Equal(0x5EE5UL, h[5]);
    }

    public static TheoryData<uint, string> AlternativeCounterReads => new()
    {
        { Csrrc(5, CsrCycle, 0), "csrrc rd, cycle, x0" },
        { Csrrsi(5, CsrCycle, 0), "csrrsi rd, cycle, 0" },
        { Csrrci(5, CsrInstret, 0), "csrrci rd, instret, 0" },
    };

    /// <remarks>
    /// The Zicsr spec: CSRRS/CSRRC with rs1 = x0, and CSRRSI/CSRRCI with uimm = 0, do not write the CSR and so do
    /// not raise illegal-instruction on a read-only CSR. Compilers emit only csrrs for rdcycle/rdinstret.
    /// </remarks>
    [Theory]
    [MemberData(nameof(AlternativeCounterReads))]
    public void Other_non_writing_csr_forms_also_read_the_counters(uint word, string what)
    {
        var h = new CpuHarness().Program(Nop(), Word(word));
        h.Run();
        Assert.True(h.Stop == StopReason.Ecall, $"{what}: {h.Describe()}");
        Assert.Equal(1UL, h[5]);
    }
}
