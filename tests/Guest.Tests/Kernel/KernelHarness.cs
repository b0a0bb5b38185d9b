using System.Buffers.Binary;
using System.Text;
using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Kernel;
using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Tests.Kernel;

/// <summary>A kernel with a scratch memory region and no CPU: set a7 and a0–a5, execute, read a0.</summary>
internal sealed class KernelHarness
{
    public const ulong Scratch = 0x100000;
    public const int ScratchPages = 64;
    public const ulong ReadOnly = 0x200000;
    public const ulong Unmapped = 0x300000;

    public KernelHarness(GuestClockMode clockMode = GuestClockMode.Host, int buffer = 1 << 16, long maxPages = 4096)
    {
        Memory = new GuestMemory(maxPages);
        Memory.Map(Scratch >> 12, ScratchPages, PagePermissions.ReadWrite);
        Memory.Map(ReadOnly >> 12, 1, PagePermissions.Read);
        Kernel = new LinuxKernel(Memory, Hart, new KernelLimits(1, "test", buffer, buffer, buffer),
            new GuestClock(clockMode, Clock, () => Hart.InstructionsRetired), new GuestRandom(1), VirtualFileSystem.CreateDefault());
        Kernel.OpenStandardStreams();
        Kernel.BrkStart = Kernel.BrkCurrent = 0x800000;
    }

    public GuestMemory Memory { get; }

    public Hart Hart { get; } = new();

    public TestClock Clock { get; } = new();

    public LinuxKernel Kernel { get; }

    public SyscallOutcome LastOutcome { get; private set; }

    /// <summary>Executes a syscall; returns a0 (the result, or -errno). Blocked leaves a0 as it was.</summary>
    public long Call(long number, params long[] args)
    {
        Hart[17] = (ulong)number;
        for (int i = 0; i < args.Length; i++) Hart[10 + i] = (ulong)args[i];
        LastOutcome = Kernel.Execute();
        return (long)Hart[10];
    }

    public long CallExpectingBlock(long number, params long[] args)
    {
        long r = Call(number, args);
        Assert.Equal(SyscallOutcome.Blocked, LastOutcome);
        return r;
    }

    /// <summary>Writes a NUL-terminated string into scratch memory at <paramref name="offset"/>; returns its address.</summary>
    public long Str(string s, int offset = 0)
    {
        var bytes = Encoding.UTF8.GetBytes(s + "\0");
        Assert.True(Memory.TryWrite(Scratch + (ulong)offset, bytes));
        return (long)(Scratch + (ulong)offset);
    }

    public long Bytes(byte[] data, int offset)
    {
        Assert.True(Memory.TryWrite(Scratch + (ulong)offset, data));
        return (long)(Scratch + (ulong)offset);
    }

    public byte[] Read(long address, int length)
    {
        var b = new byte[length];
        Assert.True(Memory.TryRead((ulong)address, b));
        return b;
    }

    public long U64(long address) => BinaryPrimitives.ReadInt64LittleEndian(Read(address, 8));

    public int I32(long address) => BinaryPrimitives.ReadInt32LittleEndian(Read(address, 4));

    public void PutU64(long address, long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        Assert.True(Memory.TryWrite((ulong)address, b));
    }

    public void PutI32(long address, int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        Assert.True(Memory.TryWrite((ulong)address, b));
    }

    public sealed class TestClock : IHostClock
    {
        public long Monotonic { get; set; } = 1_000_000_000;

        public long MonotonicNanoseconds => Monotonic;

        public long RealtimeNanoseconds => 1_750_000_000L * 1_000_000_000;
    }
}

/// <summary>The numbers the tests use, named as in Linux.</summary>
internal static class L
{
    public const long Read = 63, Write = 64, Readv = 65, Writev = 66, Pread = 67, Pwrite = 68, Openat = 56, Close = 57, Lseek = 62,
        Fstat = 80, Newfstatat = 79, Unlinkat = 35, Mkdirat = 34, Fcntl = 25, Ioctl = 29, Brk = 214, Mmap = 222, Munmap = 215,
        Mprotect = 226, ExitGroup = 94, ClockGettime = 113, Nanosleep = 101, Getrandom = 278, Getpid = 172, Uname = 160,
        Ppoll = 73, Socket = 198, Bind = 200, Listen = 201, Accept = 202, Accept4 = 242, Connect = 203, Getsockname = 204,
        Getpeername = 205, Sendto = 206, Recvfrom = 207, Setsockopt = 208, Getsockopt = 209, Shutdown = 210;

    public const long AtFdCwd = -100;
    public const long ORdonly = 0, OWronly = 1, ORdwr = 2, OCreat = 0x40, OExcl = 0x80, OTrunc = 0x200, OAppend = 0x400,
        ONonblock = 0x800, ODirectory = 0x10000;

    public const long EPERM = 1, ENOENT = 2, EBADF = 9, EAGAIN = 11, ENOMEM = 12, EFAULT = 14, EEXIST = 17, ENOTDIR = 20,
        EISDIR = 21, EINVAL = 22, EMFILE = 24, ENOTTY = 25, ESPIPE = 29, EPIPE = 32, ENAMETOOLONG = 36, ENOSYS = 38,
        ENOTEMPTY = 39, ENOTSOCK = 88, ENOPROTOOPT = 92, EAFNOSUPPORT = 97, EADDRINUSE = 98, ENETUNREACH = 101, ENOTCONN = 107;
}
