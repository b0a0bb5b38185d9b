using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Memory;
using static FaultTolerant.Guest.Tests.Cpu.CpuHarness;
using static FaultTolerant.Guest.Tests.Cpu.Rv64Asm;

namespace FaultTolerant.Guest.Tests.Cpu;

/// <summary>CPU stores and the dirty-page set that incremental captures are built from.</summary>
public sealed class DirtyTrackingTests
{
    private const ulong DataVpn = DataBase >> 12;

    /// <summary>A harness whose setup (mapping, program, data) has been harvested away.</summary>
    private static CpuHarness Clean(params uint[] program)
    {
        var h = new CpuHarness().Program(program);
        h.Memory.HarvestDirty();
        return h;
    }

    [Fact]
    public void Stores_mark_exactly_the_stored_to_pages_in_ascending_order()
    {
        var h = Clean(
            Sd(2, 1, 0x7F8),        // page +0
            Sb(2, 3, 0),            // page +5
            Sw(2, 4, 0),            // page +2
            Sh(2, 1, 0x10),         // page +0 again
            Sd(2, 5, 0));           // page +9
        h.With(1, DataBase).With(2, 0xAB).With(3, DataBase + 0x5123).With(4, DataBase + 0x2FFC).With(5, DataBase + 0x9000);
        h.RunToEcall();
        var dirty = h.Memory.HarvestDirty();
        Assert.Equal([DataVpn, DataVpn + 2, DataVpn + 5, DataVpn + 9], dirty.Written);
        Assert.Empty(dirty.Unmapped);
    }

    [Fact]
    public void Second_harvest_without_stores_is_empty()
    {
        var h = Clean(Sd(2, 1, 0)).With(1, DataBase + 0x3000).With(2, 1).RunToEcall();
        Assert.Equal([DataVpn + 3], h.Memory.HarvestDirty().Written);
        var again = h.Memory.HarvestDirty();
        Assert.Empty(again.Written);
        Assert.Empty(again.Unmapped);
    }

    [Fact]
    public void Store_after_a_harvest_marks_the_page_again()
    {
        // The second run's store hits the write TLB entry the first run created; the harvest must have dropped it.
        var h = Clean(Sd(2, 1, 0), Sd(2, 1, 8)).With(1, DataBase + 0x4000).With(2, 1).RunToEcall();
        Assert.Equal([DataVpn + 4], h.Memory.HarvestDirty().Written);

        h.Pc = CodeBase;
        h.RunToEcall();
        Assert.Equal([DataVpn + 4], h.Memory.HarvestDirty().Written);

        h.Pc = CodeBase;
        h.RunToEcall();
        Assert.Equal([DataVpn + 4], h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Harvest_in_the_middle_of_a_run_sequence_splits_the_pages_between_epochs()
    {
        var h = Clean(Sd(2, 1, 0), Ecall(), Sd(2, 3, 0), Sd(2, 1, 0))
            .With(1, DataBase + 0x1000).With(3, DataBase + 0x6000).With(2, 5);
        Assert.Equal(StopReason.Ecall, h.Run());
        Assert.Equal([DataVpn + 1], h.Memory.HarvestDirty().Written);
        h.Pc += 4;
        h.RunToEcall();
        Assert.Equal([DataVpn + 1, DataVpn + 6], h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Loads_and_fetches_do_not_dirty_pages()
    {
        var h = Clean(Ld(2, 1, 0), Lb(3, 6, 0), Lwu(4, 5, 0))
            .With(1, DataBase).With(5, CodeBase).With(6, DataBase + 0x2000).RunToEcall();
        var dirty = h.Memory.HarvestDirty();
        Assert.Empty(dirty.Written);
    }

    [Fact]
    public void Faulting_store_does_not_dirty_anything()
    {
        var h = Clean(Sd(2, 1, 0)).With(1, ReadOnlyBase).With(2, 1);
        h.RunToFault(FaultCause.StoreAccessFault);
        Assert.Empty(h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Faulting_misaligned_store_across_pages_dirties_neither_page()
    {
        var h = Clean(Sd(2, 1, 0)).With(1, ReadOnlyBase - 4).With(2, ulong.MaxValue);
        h.RunToFault(FaultCause.StoreAccessFault);
        Assert.Empty(h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Misaligned_store_across_a_page_boundary_dirties_both_pages()
    {
        var h = Clean(Sd(2, 1, 0)).With(1, DataBase + 0x8000 - 3).With(2, ulong.MaxValue).RunToEcall();
        Assert.Equal([DataVpn + 7, DataVpn + 8], h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Store_of_an_unchanged_value_still_marks_the_page()
    {
        // Dirty means "written", not "different": a zero stored to a zero page counts.
        var h = Clean(Sd(0, 1, 0)).With(1, DataBase + 0xA000).RunToEcall();
        Assert.Equal([DataVpn + 10], h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Self_modifying_store_marks_the_code_page()
    {
        var h = new CpuHarness(PagePermissions.All).Program(Sw(2, 1, 8), Nop(), Nop());
        h.Memory.HarvestDirty();
        h.With(1, CodeBase).With(2, Nop()).RunToEcall();
        Assert.Equal([CodeBase >> 12], h.Memory.HarvestDirty().Written);
    }

    [Fact]
    public void Many_pages_in_one_epoch_come_back_sorted()
    {
        // Store to the 16 data pages in descending order, two stores per page.
        var program = new List<uint>();
        for (int p = DataPages - 1; p >= 0; p--)
        {
            program.AddRange(Li(1, (int)(DataBase + (ulong)p * 4096)));
            program.Add(Sd(1, 1, 0));
            program.Add(Sd(1, 1, 0x7F8));
        }
        var h = Clean([.. program]).RunToEcall();
        var expected = Enumerable.Range(0, DataPages).Select(p => DataVpn + (ulong)p).ToArray();
        Assert.Equal(expected, h.Memory.HarvestDirty().Written);
        for (int p = 0; p < DataPages; p++) Assert.Equal(DataBase + (ulong)p * 4096, h.Peek64(DataBase + (ulong)p * 4096 + 0x7F8));
    }
}
