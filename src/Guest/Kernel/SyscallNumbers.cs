namespace FaultTolerant.Guest.Kernel;

/// <summary>Syscall numbers from the kernel's asm-generic unistd.h, which riscv64 uses.</summary>
internal static class Sys
{
    public const long Getcwd = 17, Fcntl = 25, Ioctl = 29, Mkdirat = 34, Unlinkat = 35, Openat = 56, Close = 57,
        Lseek = 62, Read = 63, Write = 64, Readv = 65, Writev = 66, Pread64 = 67, Pwrite64 = 68, Ppoll = 73,
        Newfstatat = 79, Fstat = 80, Exit = 93, ExitGroup = 94, SetTidAddress = 96, Nanosleep = 101,
        ClockGettime = 113, ClockGetres = 114, SchedYield = 124, RtSigaction = 134, RtSigprocmask = 135,
        Uname = 160, Getpid = 172, Getppid = 173, Getuid = 174, Geteuid = 175, Getgid = 176, Getegid = 177,
        Gettid = 178, Socket = 198, Bind = 200, Listen = 201, Accept = 202, Connect = 203, Getsockname = 204,
        Getpeername = 205, Sendto = 206, Recvfrom = 207, Setsockopt = 208, Getsockopt = 209, Shutdown = 210,
        Brk = 214, Munmap = 215, Mmap = 222, Mprotect = 226, Accept4 = 242, Getrandom = 278;
}
