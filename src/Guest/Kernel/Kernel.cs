using FaultTolerant.Guest.Cpu;
using FaultTolerant.Guest.Kernel.Files;
using FaultTolerant.Guest.Kernel.Sockets;
using FaultTolerant.Guest.Memory;

namespace FaultTolerant.Guest.Kernel;

/// <summary>What an ecall came to.</summary>
internal enum SyscallOutcome
{
    /// <summary>Done; a0 holds the result and the guest continues after the ecall.</summary>
    Completed,

    /// <summary>It must wait: pc stays on the ecall, which runs again when the host resumes the guest.</summary>
    Blocked,

    /// <summary>The process exited.</summary>
    Exited,
}

/// <summary>
/// A small Linux: the riscv64 syscall ABI over a virtual file system, virtual sockets, and anonymous memory.
/// Everything it holds is guest state and is captured with the guest.
/// </summary>
/// <remarks>
/// A syscall that would block leaves pc on its ecall and ends the run; when the host resumes the guest
/// the ecall executes again. A timed wait stores its absolute deadline in <see cref="_restartDeadline"/> on
/// first blocking, so re-executing it neither restarts the timer nor loses it across capture and restore.
/// </remarks>
internal sealed partial class LinuxKernel
{
    private const long Block = long.MinValue;
    private const long Exit = long.MinValue + 1;
    private const int AtFdCwd = -100;
    private const int MaxFds = 1024;
    private const int MaxIoChunk = 1 << 20;

    private readonly GuestMemory _memory;
    private readonly Hart _hart;
    private readonly SortedDictionary<int, FdEntry> _fds = [];
    private readonly SortedDictionary<long, long> _unknownSyscalls = [];
    private long? _restartDeadline;

    public LinuxKernel(GuestMemory memory, Hart hart, KernelLimits limits, GuestClock clock, GuestRandom random, VirtualFileSystem files)
    {
        _memory = memory;
        _hart = hart;
        Limits = limits;
        Clock = clock;
        Random = random;
        Files = files;
        Stdout = new OutputStream(GuestStreams.Stdout);
        Stderr = new OutputStream(GuestStreams.Stderr);
    }

    public KernelLimits Limits { get; }

    public GuestClock Clock { get; }

    public GuestRandom Random { get; }

    public VirtualFileSystem Files { get; }

    public StandardInput Stdin { get; } = new();

    public OutputStream Stdout { get; }

    public OutputStream Stderr { get; }

    public int ExitCode { get; private set; }

    /// <summary>What the last blocked syscall waits for.</summary>
    public GuestWait? Wait { get; private set; }

    public IReadOnlyDictionary<long, long> UnknownSyscalls => _unknownSyscalls;

    public void OpenStandardStreams()
    {
        _fds[0] = new FdEntry(new StdinFile(Stdin) { Flags = OpenFile.ReadOnly }, false);
        _fds[1] = new FdEntry(new OutputFile(Stdout, Limits.OutputBuffer) { Flags = OpenFile.WriteOnly }, false);
        _fds[2] = new FdEntry(new OutputFile(Stderr, Limits.OutputBuffer) { Flags = OpenFile.WriteOnly }, false);
    }

    private ulong Arg(int i) => _hart[10 + i];

    private int ArgInt(int i) => (int)Arg(i);

    public SyscallOutcome Execute()
    {
        long number = (long)_hart[17];
        Wait = null;
        long result = number switch
        {
            Sys.Read => Read(ArgInt(0), Arg(1), Arg(2)),
            Sys.Write => Write(ArgInt(0), Arg(1), Arg(2)),
            Sys.Readv => Readv(ArgInt(0), Arg(1), ArgInt(2)),
            Sys.Writev => Writev(ArgInt(0), Arg(1), ArgInt(2)),
            Sys.Pread64 => Pread(ArgInt(0), Arg(1), Arg(2), (long)Arg(3)),
            Sys.Pwrite64 => Pwrite(ArgInt(0), Arg(1), Arg(2), (long)Arg(3)),
            Sys.Openat => Openat(ArgInt(0), Arg(1), ArgInt(2)),
            Sys.Close => Close(ArgInt(0)),
            Sys.Lseek => Lseek(ArgInt(0), (long)Arg(1), ArgInt(2)),
            Sys.Fstat => Fstat(ArgInt(0), Arg(1)),
            Sys.Newfstatat => Newfstatat(ArgInt(0), Arg(1), Arg(2), ArgInt(3)),
            Sys.Unlinkat => Unlinkat(ArgInt(0), Arg(1), ArgInt(2)),
            Sys.Mkdirat => Mkdirat(ArgInt(0), Arg(1)),
            Sys.Getcwd => Getcwd(Arg(0), Arg(1)),
            Sys.Fcntl => Fcntl(ArgInt(0), ArgInt(1), Arg(2)),
            Sys.Ioctl => Ioctl(ArgInt(0), Arg(1), Arg(2)),
            Sys.Brk => Brk(Arg(0)),
            Sys.Mmap => Mmap(Arg(0), Arg(1), ArgInt(2), ArgInt(3), ArgInt(4)),
            Sys.Munmap => Munmap(Arg(0), Arg(1)),
            Sys.Mprotect => Mprotect(Arg(0), Arg(1), ArgInt(2)),
            Sys.Exit or Sys.ExitGroup => ExitProcess(ArgInt(0)),
            Sys.ClockGettime => ClockGettime(ArgInt(0), Arg(1)),
            Sys.ClockGetres => ClockGetres(ArgInt(0), Arg(1)),
            Sys.Nanosleep => Nanosleep(Arg(0)),
            Sys.Getrandom => Getrandom(Arg(0), Arg(1)),
            Sys.Getpid or Sys.Gettid => Limits.Pid,
            Sys.Getppid or Sys.Getuid or Sys.Geteuid or Sys.Getgid or Sys.Getegid => 0,
            Sys.SetTidAddress => Limits.Pid,
            Sys.SchedYield or Sys.RtSigaction or Sys.RtSigprocmask => 0,
            Sys.Uname => Uname(Arg(0)),
            Sys.Ppoll => Ppoll(Arg(0), Arg(1), Arg(2)),
            Sys.Socket => Socket(ArgInt(0), ArgInt(1), ArgInt(2)),
            Sys.Bind => Bind(ArgInt(0), Arg(1), ArgInt(2)),
            Sys.Listen => Listen(ArgInt(0), ArgInt(1)),
            Sys.Accept => Accept(ArgInt(0), Arg(1), Arg(2), 0),
            Sys.Accept4 => Accept(ArgInt(0), Arg(1), Arg(2), ArgInt(3)),
            Sys.Connect => ConnectOutbound(ArgInt(0)),
            Sys.Getsockname => SocketName(ArgInt(0), Arg(1), Arg(2), peer: false),
            Sys.Getpeername => SocketName(ArgInt(0), Arg(1), Arg(2), peer: true),
            Sys.Setsockopt => Setsockopt(ArgInt(0), ArgInt(1), ArgInt(2), Arg(3), ArgInt(4)),
            Sys.Getsockopt => Getsockopt(ArgInt(0), ArgInt(1), ArgInt(2), Arg(3), Arg(4)),
            Sys.Recvfrom => Recvfrom(ArgInt(0), Arg(1), Arg(2), ArgInt(3), Arg(4), Arg(5)),
            Sys.Sendto => Sendto(ArgInt(0), Arg(1), Arg(2), ArgInt(3)),
            Sys.Shutdown => Shutdown(ArgInt(0), ArgInt(1)),
            _ => Unknown(number),
        };
        if (result == Block) return SyscallOutcome.Blocked;
        if (result == Exit) return SyscallOutcome.Exited;
        _restartDeadline = null;
        _hart[10] = (ulong)result;
        return SyscallOutcome.Completed;
    }

    private long Unknown(long number)
    {
        _unknownSyscalls[number] = _unknownSyscalls.GetValueOrDefault(number) + 1;
        return -Errno.ENOSYS;
    }

    /// <summary>Ends the syscall with Blocked, recording what it waits for.</summary>
    private long BlockOn(string syscall, long? deadline = null)
    {
        if (deadline is not null) _restartDeadline = deadline;
        Wait = new GuestWait(syscall, deadline);
        return Block;
    }

    /// <summary>The absolute deadline of a timed wait: the stored one when this ecall is being re-executed.</summary>
    private long DeadlineAfter(long nanoseconds) =>
        _restartDeadline ?? (long.MaxValue - Clock.Monotonic < nanoseconds ? long.MaxValue : Clock.Monotonic + nanoseconds);

    private long ExitProcess(int code)
    {
        ExitCode = code & 0xff;
        foreach (var fd in _fds.Keys.ToArray()) Close(fd);
        Stdout.Closed = true;
        Stderr.Closed = true;
        return Exit;
    }

    private sealed record FdEntry(OpenFile File, bool CloseOnExec);

    private OpenFile? FileOf(int fd) => _fds.TryGetValue(fd, out var e) ? e.File : null;

    private long Install(OpenFile file, bool closeOnExec)
    {
        for (int fd = 0; fd < MaxFds; fd++)
        {
            if (!_fds.ContainsKey(fd))
            {
                _fds[fd] = new FdEntry(file, closeOnExec);
                return fd;
            }
        }
        return -Errno.EMFILE;
    }

    private long Close(int fd)
    {
        if (!_fds.Remove(fd, out var entry)) return -Errno.EBADF;
        entry.File.Closed();
        return 0;
    }

    /// <summary>Turns an open file's WouldBlock into EAGAIN or a blocked run.</summary>
    private long Complete(long result, OpenFile file, string syscall, bool dontWait = false) =>
        result != OpenFile.WouldBlock ? result : file.Nonblocking || dontWait ? -Errno.EAGAIN : BlockOn(syscall);
}

/// <summary>Per-guest limits and identity.</summary>
internal sealed record KernelLimits(int Pid, string Hostname, int OutputBuffer, int SocketSendBuffer, int SocketReceiveBuffer);
