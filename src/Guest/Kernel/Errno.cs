namespace FaultTolerant.Guest.Kernel;

/// <summary>Linux errno values (asm-generic); syscalls return their negation.</summary>
internal static class Errno
{
    public const long EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
        EFAULT = 14, EEXIST = 17, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, EMFILE = 24, ENOTTY = 25, EFBIG = 27,
        ESPIPE = 29, EPIPE = 32, ERANGE = 34, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ENOTSOCK = 88,
        EDESTADDRREQ = 89, ENOPROTOOPT = 92, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95, EAFNOSUPPORT = 97,
        EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETUNREACH = 101, ECONNRESET = 104, EISCONN = 106, ENOTCONN = 107,
        ECONNREFUSED = 111;
}
