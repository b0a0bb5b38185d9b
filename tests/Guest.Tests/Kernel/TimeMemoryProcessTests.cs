using System.Text;
using FaultTolerant.Guest.Kernel;

namespace FaultTolerant.Guest.Tests.Kernel;

public sealed class TimeMemoryProcessTests
{
    private readonly KernelHarness _k = new();

    [Fact]
    public void Nanosleep_blocks_until_its_deadline_and_keeps_it_when_re_executed()
    {
        long ts = (long)KernelHarness.Scratch;
        _k.PutU64(ts, 0);
        _k.PutU64(ts + 8, 2_000_000);
        _k.CallExpectingBlock(L.Nanosleep, ts, 0);
        long deadline = _k.Kernel.Wait!.DeadlineNanoseconds!.Value;
        Assert.Equal(_k.Clock.Monotonic + 2_000_000 + _k.Kernel.Clock.Offset, deadline);
        _k.Clock.Monotonic += 1_500_000;
        _k.CallExpectingBlock(L.Nanosleep, ts, 0);
        Assert.Equal(deadline, _k.Kernel.Wait!.DeadlineNanoseconds);
        _k.Clock.Monotonic += 600_000;
        Assert.Equal(0, _k.Call(L.Nanosleep, ts, 0));
        _k.PutU64(ts + 8, 1_000_000_000);
        Assert.Equal(-L.EINVAL, _k.Call(L.Nanosleep, ts, 0));
        Assert.Equal(-L.EFAULT, _k.Call(L.Nanosleep, (long)KernelHarness.Unmapped, 0));
    }

    [Fact]
    public void Virtual_time_completes_a_sleep_at_once_by_advancing_the_clock()
    {
        var k = new KernelHarness(GuestClockMode.Virtual);
        long ts = (long)KernelHarness.Scratch;
        k.PutU64(ts, 3);
        k.PutU64(ts + 8, 0);
        long before = k.Kernel.Clock.Monotonic;
        Assert.Equal(0, k.Call(L.Nanosleep, ts, 0));
        Assert.True(k.Kernel.Clock.Monotonic >= before + 3_000_000_000);
    }

    [Fact]
    public void The_monotonic_clock_never_goes_backwards_even_when_the_host_clock_does()
    {
        long ts = (long)KernelHarness.Scratch;
        Assert.Equal(0, _k.Call(L.ClockGettime, 1, ts));
        long first = _k.U64(ts) * 1_000_000_000 + _k.U64(ts + 8);
        _k.Clock.Monotonic -= 500_000_000;
        Assert.Equal(0, _k.Call(L.ClockGettime, 1, ts));
        Assert.True(_k.U64(ts) * 1_000_000_000 + _k.U64(ts + 8) >= first);
        Assert.Equal(-L.EINVAL, _k.Call(L.ClockGettime, 99, ts));
        Assert.Equal(-L.EFAULT, _k.Call(L.ClockGettime, 0, (long)KernelHarness.ReadOnly));
        Assert.Equal(0, _k.Call(L.ClockGettime, 0, ts));
        Assert.Equal(1_750_000_000, _k.U64(ts));
    }

    [Fact]
    public void Brk_grows_and_shrinks_in_place_and_fails_by_returning_the_old_break()
    {
        Assert.Equal(0x800000, _k.Call(L.Brk, 0));
        Assert.Equal(0x800123, _k.Call(L.Brk, 0x800123));
        Assert.True(_k.Memory.TryWrite(0x800100, [1, 2, 3]));
        Assert.Equal(0x803000, _k.Call(L.Brk, 0x803000));
        Assert.Equal(0x801000, _k.Call(L.Brk, 0x801000));
        Assert.False(_k.Memory.IsMapped(0x802));
        Assert.Equal(0x801000, _k.Call(L.Brk, 0x1000));
        Assert.Equal(0x801000, _k.Call(L.Brk, 0x800000 + (8L << 30)));
    }

    [Fact]
    public void Anonymous_mmap_is_zeroed_page_aligned_and_bounded_by_the_memory_limit()
    {
        long a = _k.Call(L.Mmap, 0, 3 * 4096, 3, 0x22, -1, 0);
        Assert.True(a > 0 && a % 4096 == 0);
        Assert.Equal(new byte[16], _k.Read(a + 8000, 16));
        long b = _k.Call(L.Mmap, 0, 4096, 3, 0x22, -1, 0);
        Assert.NotEqual(a, b);
        Assert.Equal(-L.ENOMEM, _k.Call(L.Mmap, 0, 64L << 20, 3, 0x22, -1, 0));
        Assert.Equal(-L.EINVAL, _k.Call(L.Mmap, 0, 0, 3, 0x22, -1, 0));
        Assert.Equal(-L.EBADF, _k.Call(L.Mmap, 0, 4096, 1, 0x02, 55, 0));
        Assert.Equal(0, _k.Call(L.Munmap, a, 3 * 4096));
        Assert.False(_k.Memory.IsMapped((ulong)a >> 12));
        Assert.Equal(-L.EINVAL, _k.Call(L.Munmap, a + 1, 4096));
        long fixedAt = 0x7000000;
        Assert.Equal(fixedAt, _k.Call(L.Mmap, fixedAt, 4096, 1, 0x32, -1, 0));
        Assert.Equal(-L.EEXIST, _k.Call(L.Mmap, fixedAt, 4096, 1, 0x100022, -1, 0));
        Assert.Equal(0, _k.Call(L.Mprotect, fixedAt, 4096, 3));
        Assert.True(_k.Memory.TryWrite((ulong)fixedAt, [9]));
        Assert.Equal(-L.ENOMEM, _k.Call(L.Mprotect, 0x9000000, 4096, 3));
    }

    [Fact]
    public void Getrandom_uname_and_getpid_answer_as_a_riscv64_linux_would()
    {
        long buf = (long)KernelHarness.Scratch;
        Assert.Equal(64, _k.Call(L.Getrandom, buf, 64, 0));
        Assert.NotEqual(new byte[64], _k.Read(buf, 64));
        Assert.Equal(-L.EINVAL, _k.Call(L.Getrandom, buf, 8, 0x80));
        Assert.Equal(0, _k.Call(L.Uname, buf));
        Assert.Equal("Linux", Encoding.ASCII.GetString(_k.Read(buf, 5)));
        Assert.Equal("riscv64", Encoding.ASCII.GetString(_k.Read(buf + 65 * 4, 7)));
        Assert.Equal(1, _k.Call(L.Getpid));
    }

    [Fact]
    public void An_unknown_syscall_returns_enosys_and_is_counted()
    {
        Assert.Equal(-L.ENOSYS, _k.Call(4000));
        Assert.Equal(-L.ENOSYS, _k.Call(4000));
        Assert.Equal(-L.ENOSYS, _k.Call(435));
        Assert.Equal(2, _k.Kernel.UnknownSyscalls[4000]);
        Assert.Equal(1, _k.Kernel.UnknownSyscalls[435]);
    }

    [Fact]
    public void Exit_group_closes_every_descriptor_and_keeps_the_low_eight_bits()
    {
        Assert.Equal(SyscallOutcome.Exited, Exit(-1));
        Assert.Equal(255, _k.Kernel.ExitCode);
        Assert.True(_k.Kernel.Stdout.Closed);
    }

    private SyscallOutcome Exit(int code)
    {
        _k.Call(L.ExitGroup, code);
        return _k.LastOutcome;
    }
}
