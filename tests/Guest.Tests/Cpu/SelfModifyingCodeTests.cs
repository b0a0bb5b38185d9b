using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>
/// Stores into executable pages must be seen by later fetches, although the interpreter caches decoded pages.
/// Code pages are mapped R+W+X here.
/// </summary>
public sealed class SelfModifyingCodeTests
{
    [Fact]
    public void Store_over_a_later_instruction_in_the_same_page_executes_the_new_instruction()
    {
        var h = new CpuHarness(PagePermissions.All).With(1, CodeBase).With(2, Addi(5, 0, 42)).Program(
            Sw(2, 1, 12),       // 0: patch the instruction at 12
            Nop(),              // 4
            Nop(),              // 8
            Addi(5, 0, 1))      // 12: replaced by addi x5, x0, 42
            .RunToEcall();
        Assert.Equal(42UL, h[5]);
        Assert.Equal(4, h.Instret);
        Assert.Equal(Addi(5, 0, 42), BitConverter.ToUInt32(h.Peek(CodeBase + 12, 4)));
    }

    [Fact]
    public void Store_over_the_very_next_instruction_executes_the_new_instruction()
    {
        var h = new CpuHarness(PagePermissions.All).With(1, CodeBase).With(2, Addi(5, 0, 42))
            .Program(Sw(2, 1, 4), Addi(5, 0, 1)).RunToEcall();
        Assert.Equal(42UL, h[5]);
    }

    [Fact]
    public void Byte_store_changing_one_register_field_takes_effect()
    {
        // addi x5, x0, 1 → change the immediate's top byte: bits 31:24 of the word are imm[11:4].
        uint original = Addi(5, 0, 1);
        var h = new CpuHarness(PagePermissions.All).With(1, CodeBase).With(2, 0x10).Program(
            Sb(2, 1, 8 + 3),    // imm becomes 0x101
            Nop(),
            Word(original))
            .RunToEcall();
        Assert.Equal(0x101UL, h[5]);
    }

    [Fact]
    public void Patch_in_a_loop_changes_behaviour_on_later_iterations()
    {
        // Iteration 1 runs addi x6, x6, 1; then the loop body patches it to addi x6, x6, 100.
        var h = new CpuHarness(PagePermissions.All).With(1, CodeBase).With(2, Addi(6, 6, 100)).With(3, 3).Program(
            Addi(6, 6, 1),      // 0: patched after the first pass
            Sw(2, 1, 0),        // 4
            Addi(3, 3, -1),     // 8
            Bne(3, 0, -12))     // 12 → 0
            .RunToEcall();
        Assert.Equal(201UL, h[6]);
    }

    [Fact]
    public void Store_into_another_already_executed_page_is_seen_on_the_next_call()
    {
        ulong sub = CodeBase + 0x1000;
        var h = new CpuHarness(PagePermissions.All).With(2, sub).With(3, Addi(6, 6, 100));
        h.Program(
            Sw(0, 2, 0x7FC),    // 0: a plain store into the subroutine's page first (puts it in the write TLB)
            Jal(1, 0x1000 - 4), // 4: call sub
            Sw(3, 2, 0),        // 8: patch the subroutine's first instruction
            Jal(1, 0x1000 - 12));// 12: call sub again
        h.Place(sub, Addi(6, 6, 1), Ret());
        h.RunToEcall();
        Assert.Equal(101UL, h[6]);
    }

    [Fact]
    public void Store_over_the_next_instruction_across_a_page_boundary()
    {
        ulong last = CodeBase + 0x1000 - 4;
        var h = new CpuHarness(PagePermissions.All).With(2, CodeBase + 0x1000).With(3, Addi(5, 0, 7)).With(4, last - 4);
        h.Program(Jalr(0, 4, 0));
        h.Place(last - 4, Nop(), Sw(3, 2, 0), Addi(5, 0, 1), Ecall());
        h.Run();
        Assert.Equal(StopReason.Ecall, h.Stop);
        Assert.Equal(7UL, h[5]);
    }

    [Fact]
    public void Misaligned_store_straddling_into_a_code_page_invalidates_it()
    {
        // A doubleword store 4 bytes before the page boundary: its low half rewrites the nop after it (same word),
        // its high half lands on the first word of page 1, which has already been executed once.
        ulong page1 = CodeBase + 0x1000;
        ulong value = ((ulong)Addi(5, 0, 9) << 32) | Nop();
        var h = new CpuHarness(PagePermissions.All).With(2, page1 - 4).With(3, value).With(4, page1 - 8).With(6, page1);
        h.Program(
            Jalr(1, 6, 0),      // call page 1's code once, so its page is decoded
            Addi(1, 0, 0),      // x1 = 0: the second pass ends at the ecall instead of returning
            Jalr(0, 4, 0));     // run the store
        h.Place(page1 - 8,
            Sd(3, 2, 0),        // page1 - 8
            Nop(),              // page1 - 4
            Addi(5, 5, 1),      // page1 + 0: patched to addi x5, x0, 9
            Beq(1, 0, 8),       // page1 + 4
            Ret(),              // page1 + 8
            Ecall());           // page1 + 12
        h.Run();
        Assert.True(h.Stop == StopReason.Ecall, h.Describe());
        Assert.Equal(page1 + 12, h.Pc);
        Assert.Equal(9UL, h[5]);
    }

    [Fact]
    public void Kernel_write_into_a_decoded_page_is_seen_by_the_next_run()
    {
        var h = new CpuHarness(PagePermissions.All).Program(Ecall(), Addi(5, 0, 1));
        Assert.Equal(StopReason.Ecall, h.Run());            // decodes the page
        Assert.True(h.Memory.TryWrite(CodeBase + 4, BitConverter.GetBytes(Addi(5, 0, 55))));
        h.Pc += 4;
        h.RunToEcall();
        Assert.Equal(55UL, h[5]);
    }

    [Fact]
    public void Protect_removing_execute_from_a_decoded_page_faults_the_next_fetch()
    {
        var h = new CpuHarness(PagePermissions.All).Program(Ecall(), Nop());
        Assert.Equal(StopReason.Ecall, h.Run());
        h.Memory.Protect(CodeBase >> 12, 1, PagePermissions.ReadWrite);
        h.Pc += 4;
        h.RunToFault(FaultCause.InstructionAccessFault);
        Assert.Equal(CodeBase + 4, h.FaultAddress);
    }

    /// <remarks>
    /// Regression: a kernel write into a decoded page used to set GuestMemory.CodeInvalidated, which nothing
    /// cleared outside a CPU store, so the interpreter took the next genuinely faulting store for a
    /// code-invalidating one and skipped the fault.
    /// </remarks>
    [Fact]
    public void Faulting_store_after_a_kernel_write_into_a_decoded_page_still_faults()
    {
        // 0: ecall (the "syscall"); 4: sd to a read-only page; 8: ecall.
        var h = new CpuHarness(PagePermissions.All).With(1, ReadOnlyBase).With(2, 0xFF).Program(Ecall(), Sd(2, 1, 0));
        Assert.Equal(StopReason.Ecall, h.Run());            // the code page is now decoded
        // The kernel serves the syscall by writing into the (writable) code page, e.g. read() into a buffer there.
        Assert.True(h.Memory.TryWrite(CodeBase + 0x800, [1, 2, 3, 4]));
        h.Pc += 4;
        h.Hart.InstructionsRetired++;
        h.RunToFault(FaultCause.StoreAccessFault);
        Assert.Equal(CodeBase + 4, h.Pc);
        Assert.Equal(ReadOnlyBase, h.FaultAddress);
    }

    /// <remarks>The same regression through the loader's privileged write, with an unmapped target.</remarks>
    [Fact]
    public void Store_page_fault_after_a_privileged_write_into_a_decoded_page_still_faults()
    {
        var h = new CpuHarness().With(1, UnmappedBase).With(2, 0xFF).Program(Ecall(), Sd(2, 1, 0), Addi(5, 0, 1));
        Assert.Equal(StopReason.Ecall, h.Run());
        Assert.True(h.Memory.TryWritePrivileged(CodeBase + 0x800, [1, 2, 3, 4]));
        h.Pc += 4;
        h.RunToFault(FaultCause.StorePageFault);
        Assert.Equal(0UL, h[5]);
    }
}
