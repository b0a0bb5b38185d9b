/*
 * FaultTolerant guest SDK: POSIX/libc layer over the raw Linux riscv64
 * system calls (see include/ft/syscall.h for the list).
 *
 * Conventions:
 *  - every function returns -1 and sets errno on failure;
 *  - errno values are picolibc's (newlib numbering, matching <errno.h>);
 *    Linux error numbers are translated by ft_errno_from_linux();
 *  - flag/constant values (O_*, AT_*, F_*, CLOCK_*, struct stat, ...) are the
 *    Linux ones (see the SDK's include/ overrides) and are passed through.
 */
/* all of newlib's errno names, so every Linux errno has a counterpart */
#define __LINUX_ERRNO_EXTENSIONS__ 1
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <ft/syscall.h>

/* ---------------------------------------------------------------- errno */

/* Linux (asm-generic) errno -> picolibc errno; 0 = no equivalent (EIO). */
static const unsigned char ft_errno_table[134] = {
    [1] = EPERM,
    [2] = ENOENT,
    [3] = ESRCH,
    [4] = EINTR,
    [5] = EIO,
    [6] = ENXIO,
    [7] = E2BIG,
    [8] = ENOEXEC,
    [9] = EBADF,
    [10] = ECHILD,
    [11] = EAGAIN,
    [12] = ENOMEM,
    [13] = EACCES,
    [14] = EFAULT,
    [15] = ENOTBLK,
    [16] = EBUSY,
    [17] = EEXIST,
    [18] = EXDEV,
    [19] = ENODEV,
    [20] = ENOTDIR,
    [21] = EISDIR,
    [22] = EINVAL,
    [23] = ENFILE,
    [24] = EMFILE,
    [25] = ENOTTY,
    [26] = ETXTBSY,
    [27] = EFBIG,
    [28] = ENOSPC,
    [29] = ESPIPE,
    [30] = EROFS,
    [31] = EMLINK,
    [32] = EPIPE,
    [33] = EDOM,
    [34] = ERANGE,
    [35] = EDEADLK,
    [36] = ENAMETOOLONG,
    [37] = ENOLCK,
    [38] = ENOSYS,
    [39] = ENOTEMPTY,
    [40] = ELOOP,
    [42] = ENOMSG,
    [43] = EIDRM,
    [44] = ECHRNG,
    [45] = EL2NSYNC,
    [46] = EL3HLT,
    [47] = EL3RST,
    [48] = ELNRNG,
    [49] = EUNATCH,
    [50] = ENOCSI,
    [51] = EL2HLT,
    [52] = EBADE,
    [53] = EBADR,
    [54] = EXFULL,
    [55] = ENOANO,
    [56] = EBADRQC,
    [57] = EBADSLT,
    [59] = EBFONT,
    [60] = ENOSTR,
    [61] = ENODATA,
    [62] = ETIME,
    [63] = ENOSR,
    [64] = ENONET,
    [65] = ENOPKG,
    [66] = EREMOTE,
    [67] = ENOLINK,
    [68] = EADV,
    [69] = ESRMNT,
    [70] = ECOMM,
    [71] = EPROTO,
    [72] = EMULTIHOP,
    [73] = EDOTDOT,
    [74] = EBADMSG,
    [75] = EOVERFLOW,
    [76] = ENOTUNIQ,
    [77] = EBADFD,
    [78] = EREMCHG,
    [79] = ELIBACC,
    [80] = ELIBBAD,
    [81] = ELIBSCN,
    [82] = ELIBMAX,
    [83] = ELIBEXEC,
    [84] = EILSEQ,
    [86] = ESTRPIPE,
    [87] = EUSERS,
    [88] = ENOTSOCK,
    [89] = EDESTADDRREQ,
    [90] = EMSGSIZE,
    [91] = EPROTOTYPE,
    [92] = ENOPROTOOPT,
    [93] = EPROTONOSUPPORT,
    [94] = ESOCKTNOSUPPORT,
    [95] = EOPNOTSUPP,
    [96] = EPFNOSUPPORT,
    [97] = EAFNOSUPPORT,
    [98] = EADDRINUSE,
    [99] = EADDRNOTAVAIL,
    [100] = ENETDOWN,
    [101] = ENETUNREACH,
    [102] = ENETRESET,
    [103] = ECONNABORTED,
    [104] = ECONNRESET,
    [105] = ENOBUFS,
    [106] = EISCONN,
    [107] = ENOTCONN,
    [108] = ESHUTDOWN,
    [109] = ETOOMANYREFS,
    [110] = ETIMEDOUT,
    [111] = ECONNREFUSED,
    [112] = EHOSTDOWN,
    [113] = EHOSTUNREACH,
    [114] = EALREADY,
    [115] = EINPROGRESS,
    [116] = ESTALE,
    [122] = EDQUOT,
    [123] = ENOMEDIUM,
    [125] = ECANCELED,
    [130] = EOWNERDEAD,
    [131] = ENOTRECOVERABLE,
};

int ft_errno_from_linux(int e)
{
    if (e > 0 && e < (int)sizeof(ft_errno_table) && ft_errno_table[e] != 0)
        return ft_errno_table[e];
    return EIO;
}

long ft_syscall_ret(long r)
{
    if (FT_IS_ERR(r)) {
        errno = ft_errno_from_linux((int)-r);
        return -1;
    }
    return r;
}

#define RET(x) ft_syscall_ret(x)

long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long);
    long b = va_arg(ap, long);
    long c = va_arg(ap, long);
    long d = va_arg(ap, long);
    long e = va_arg(ap, long);
    long f = va_arg(ap, long);
    va_end(ap);
    return RET(ft_syscall6(n, a, b, c, d, e, f));
}

/* ------------------------------------------------------------- file I/O */

ssize_t read(int fd, void *buf, size_t n)
{
    return RET(ft_syscall3(FT_SYS_read, fd, (long)buf, (long)n));
}

ssize_t write(int fd, const void *buf, size_t n)
{
    return RET(ft_syscall3(FT_SYS_write, fd, (long)buf, (long)n));
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    return RET(ft_syscall3(FT_SYS_readv, fd, (long)iov, cnt));
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    return RET(ft_syscall3(FT_SYS_writev, fd, (long)iov, cnt));
}

int openat(int dirfd, const char *path, int flags, ...)
{
    long mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return (int)RET(ft_syscall4(FT_SYS_openat, dirfd, (long)path, flags, mode));
}

int open(const char *path, int flags, ...)
{
    long mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return (int)RET(ft_syscall4(FT_SYS_openat, AT_FDCWD, (long)path, flags, mode));
}

int creat(const char *path, mode_t mode)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int close(int fd)
{
    return (int)RET(ft_syscall1(FT_SYS_close, fd));
}

off_t lseek(int fd, off_t off, int whence)
{
    return RET(ft_syscall3(FT_SYS_lseek, fd, off, whence));
}

int fstat(int fd, struct stat *st)
{
    return (int)RET(ft_syscall2(FT_SYS_fstat, fd, (long)st));
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return (int)RET(ft_syscall4(FT_SYS_newfstatat, dirfd, (long)path, (long)st, flags));
}

int stat(const char *path, struct stat *st)
{
    return fstatat(AT_FDCWD, path, st, 0);
}

int lstat(const char *path, struct stat *st)
{
    return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    return (int)RET(ft_syscall3(FT_SYS_unlinkat, dirfd, (long)path, flags));
}

int unlink(const char *path)
{
    return unlinkat(AT_FDCWD, path, 0);
}

int rmdir(const char *path)
{
    return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    return (int)RET(ft_syscall3(FT_SYS_mkdirat, dirfd, (long)path, (long)mode));
}

int mkdir(const char *path, mode_t mode)
{
    return mkdirat(AT_FDCWD, path, mode);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)RET(ft_syscall3(FT_SYS_fcntl, fd, cmd, arg));
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)RET(ft_syscall3(FT_SYS_ioctl, fd, (long)req, arg));
}

int isatty(int fd)
{
    unsigned char termios_buf[64];
    long r = ft_syscall3(FT_SYS_ioctl, fd, TCGETS, (long)termios_buf);
    if (FT_IS_ERR(r)) {
        errno = ft_errno_from_linux((int)-r);
        return 0;
    }
    return 1;
}

/* mkstemp() & co.: picolibc's versions would pass newlib's O_EXCL value. */
static int ft_gettemp(char *path, int suffixlen, int flags, int open_it)
{
    static unsigned long counter;
    static const char chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t len = strlen(path);
    if (suffixlen < 0 || len < (size_t)suffixlen + 6) {
        errno = EINVAL;
        return -1;
    }
    char *x = path + len - suffixlen - 6;
    for (int i = 0; i < 6; i++) {
        if (x[i] != 'X') {
            errno = EINVAL;
            return -1;
        }
    }
    unsigned long seed = (unsigned long)getpid() * 2654435761ul;
    for (int attempt = 0; attempt < 10000; attempt++) {
        unsigned long v = seed + counter++ * 0x9E3779B97F4A7C15ul;
        for (int i = 0; i < 6; i++) {
            x[i] = chars[v % 62];
            v /= 62;
        }
        if (open_it) {
            int fd = open(path, O_RDWR | O_CREAT | O_EXCL | flags, 0600);
            if (fd >= 0 || errno != EEXIST)
                return fd;
        } else {
            struct stat st;
            if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -1;
        }
    }
    errno = EEXIST;
    return -1;
}

int mkostemps(char *path, int suffixlen, int flags)
{
    return ft_gettemp(path, suffixlen, flags & ~O_ACCMODE, 1);
}

int mkstemps(char *path, int suffixlen)
{
    return ft_gettemp(path, suffixlen, 0, 1);
}

int mkstemp(char *path)
{
    return ft_gettemp(path, 0, 0, 1);
}

char *mktemp(char *path)
{
    if (ft_gettemp(path, 0, 0, 0) < 0)
        path[0] = '\0';
    return path;
}

/* --------------------------------------------------------------- memory */

static uintptr_t ft_cur_brk;

int brk(void *addr)
{
    uintptr_t r = (uintptr_t)ft_syscall1(FT_SYS_brk, (long)addr);
    ft_cur_brk = r;
    if (r != (uintptr_t)addr) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/*
 * sbrk() over brk(214).  Linux brk(addr) returns the new break on success
 * and the unchanged current break on failure; brk(0) queries it.
 */
void *sbrk(ptrdiff_t incr)
{
    if (ft_cur_brk == 0)
        ft_cur_brk = (uintptr_t)ft_syscall1(FT_SYS_brk, 0);
    uintptr_t old = ft_cur_brk;
    if (incr == 0)
        return (void *)old;
    uintptr_t want = old + (uintptr_t)incr;
    if ((incr > 0 && want < old) || (incr < 0 && want > old)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    uintptr_t got = (uintptr_t)ft_syscall1(FT_SYS_brk, (long)want);
    ft_cur_brk = got;
    if (got != want) {
        errno = ENOMEM;
        return (void *)-1;
    }
    return (void *)old;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    long r = ft_syscall6(FT_SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
    if (FT_IS_ERR(r)) {
        errno = ft_errno_from_linux((int)-r);
        return MAP_FAILED;
    }
    return (void *)r;
}

int munmap(void *addr, size_t len)
{
    return (int)RET(ft_syscall2(FT_SYS_munmap, (long)addr, (long)len));
}

/* ----------------------------------------------------------------- time */

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    return (int)RET(ft_syscall2(FT_SYS_clock_gettime, clk, (long)ts));
}

int gettimeofday(struct timeval *__restrict tv, void *__restrict tz)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    if (tv) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
    }
    if (tz)
        memset(tz, 0, 2 * sizeof(int)); /* struct timezone: UTC */
    return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)RET(ft_syscall2(FT_SYS_nanosleep, (long)req, (long)rem));
}

int usleep(useconds_t us)
{
    struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
    return nanosleep(&ts, NULL);
}

unsigned sleep(unsigned s)
{
    struct timespec ts = { .tv_sec = s, .tv_nsec = 0 };
    struct timespec rem = { 0, 0 };
    if (nanosleep(&ts, &rem) < 0 && errno == EINTR)
        return (unsigned)rem.tv_sec + (rem.tv_nsec > 0);
    return 0;
}

/*
 * times(): there are no per-process CPU clocks in the syscall set, so the
 * "user time" (what clock() reports) is the CLOCK_MONOTONIC time elapsed
 * since the first call, in CLK_TCK (= CLOCKS_PER_SEC) units.
 */
clock_t times(struct tms *buf)
{
    static struct timespec first;
    static int have_first;
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        return (clock_t)-1;
    if (!have_first) {
        first = now;
        have_first = 1;
    }
    long long ns = (long long)(now.tv_sec - first.tv_sec) * 1000000000ll
                 + (now.tv_nsec - first.tv_nsec);
    clock_t ticks = (clock_t)(ns / (1000000000ll / CLK_TCK));
    if (buf) {
        buf->tms_utime = ticks;
        buf->tms_stime = 0;
        buf->tms_cutime = 0;
        buf->tms_cstime = 0;
    }
    return ticks;
}

/* ------------------------------------------------------------ randomness */

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    return RET(ft_syscall3(FT_SYS_getrandom, (long)buf, (long)len, flags));
}

int getentropy(void *buf, size_t len)
{
    if (len > 256) {
        errno = EIO;
        return -1;
    }
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* -------------------------------------------------------------- process */

pid_t getpid(void)
{
    return (pid_t)ft_syscall0(FT_SYS_getpid);
}

int uname(struct utsname *u)
{
    return (int)RET(ft_syscall1(FT_SYS_uname, (long)u));
}

void _exit(int status)
{
    for (;;)
        ft_syscall1(FT_SYS_exit_group, status);
}

/*
 * No signals: kill() of the calling process (what abort()/raise() do)
 * terminates it with exit status 128 + sig; other targets fail with EPERM.
 */
int kill(pid_t pid, int sig)
{
    if (pid == 0 || pid == getpid()) {
        if (sig == 0)
            return 0;
        _exit(128 + sig);
    }
    errno = EPERM;
    return -1;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    (void)how;
    (void)set;
    if (old)
        memset(old, 0, sizeof(*old));
    return 0;
}
