/*
 * syscalls: exercises every system call of the FaultTolerant emulator's
 * Linux riscv64 subset, including error cases, and prints one line per
 * check: "name: ok" or "name: FAIL detail".  Exit status 0 iff every check
 * passed.
 *
 *   syscalls
 *
 * Only relative paths (all starting with "ft_") are used: run it in an
 * empty scratch directory.  Nothing host specific (fd numbers, inode
 * numbers, times, addresses, ports, pids) is printed, so the output is the
 * same under qemu-riscv64 on a real Linux kernel and under the emulator.
 * It also builds and passes natively on Linux/glibc.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#define BAD_FD 999

static int failures;

static void ok(const char *name)
{
    printf("%s: ok\n", name);
}

__attribute__((format(printf, 2, 3)))
static void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    failures++;
    printf("%s: FAIL ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Pass iff cond; otherwise report the detail (plus errno). */
#define CHECK(name, cond, ...)                                              \
    do {                                                                    \
        int saved_errno_ = errno;                                           \
        if (cond)                                                           \
            ok(name);                                                       \
        else                                                                \
            fail(name, __VA_ARGS__), printf("  (errno %d: %s)\n",           \
                                            saved_errno_,                   \
                                            strerror(saved_errno_));        \
    } while (0)

/* Pass iff ret == -1 and errno == want. */
static void expect_errno(const char *name, long ret, int want)
{
    int e = errno;
    if (ret == -1 && e == want)
        ok(name);
    else
        fail(name, "ret=%ld errno=%d (%s), expected -1 errno=%d (%s)",
             ret, ret == -1 ? e : 0, ret == -1 ? strerror(e) : "-", want, strerror(want));
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */

static void test_bad_fds(void)
{
    char c = 'x';
    errno = 0;
    expect_errno("write_badfd", write(BAD_FD, &c, 1), EBADF);
    errno = 0;
    expect_errno("read_badfd", read(BAD_FD, &c, 1), EBADF);
    errno = 0;
    expect_errno("close_badfd", close(BAD_FD), EBADF);
    errno = 0;
    expect_errno("lseek_badfd", lseek(BAD_FD, 0, SEEK_SET), EBADF);
    struct stat st;
    errno = 0;
    expect_errno("fstat_badfd", fstat(BAD_FD, &st), EBADF);
    errno = 0;
    expect_errno("fcntl_badfd", fcntl(BAD_FD, F_GETFL), EBADF);
}

static void test_files(void)
{
    char buf[64];
    struct stat st;
    ssize_t n;
    off_t o;

    errno = 0;
    expect_errno("open_missing", open("ft_missing.txt", O_RDONLY), ENOENT);

    int fd = open("ft_file.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK("open_create", fd >= 0, "open returned %d", fd);
    if (fd < 0)
        return;

    n = write(fd, "hello world", 11);
    CHECK("write_file", n == 11, "write returned %ld", (long)n);

    errno = 0;
    expect_errno("open_excl_exists", open("ft_file.txt", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);

    o = lseek(fd, 0, SEEK_SET);
    n = read(fd, buf, 5);
    CHECK("lseek_set_read", o == 0 && n == 5 && memcmp(buf, "hello", 5) == 0,
          "lseek=%ld read=%ld", (long)o, (long)n);

    o = lseek(fd, 1, SEEK_CUR);
    n = read(fd, buf, sizeof buf);
    CHECK("lseek_cur_read", o == 6 && n == 5 && memcmp(buf, "world", 5) == 0,
          "lseek=%ld read=%ld", (long)o, (long)n);

    n = read(fd, buf, sizeof buf);
    CHECK("read_eof", n == 0, "read returned %ld", (long)n);

    o = lseek(fd, 0, SEEK_END);
    off_t o2 = lseek(fd, -5, SEEK_END);
    CHECK("lseek_end", o == 11 && o2 == 6, "SEEK_END 0 -> %ld, SEEK_END -5 -> %ld", (long)o, (long)o2);

    errno = 0;
    expect_errno("lseek_negative", lseek(fd, -1, SEEK_SET), EINVAL);
    errno = 0;
    expect_errno("lseek_bad_whence", lseek(fd, 0, 42), EINVAL);

    /* Seek past the end: reads hit EOF, a write there leaves a zero hole. */
    o = lseek(fd, 20, SEEK_SET);
    n = read(fd, buf, sizeof buf);
    CHECK("lseek_beyond_end_read", o == 20 && n == 0, "lseek=%ld read=%ld", (long)o, (long)n);
    n = write(fd, "!", 1);
    o = lseek(fd, 11, SEEK_SET);
    ssize_t n2 = read(fd, buf, sizeof buf);
    CHECK("write_beyond_end_hole", n == 1 && o == 11 && n2 == 10 &&
          all_bytes((unsigned char *)buf, 9, 0) && buf[9] == '!',
          "write=%ld lseek=%ld read=%ld", (long)n, (long)o, (long)n2);

    int r = fstat(fd, &st);
    CHECK("fstat_file", r == 0 && S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && st.st_size == 21,
          "ret=%d size=%ld mode=%o", r, (long)st.st_size, (unsigned)st.st_mode);

    r = stat("ft_file.txt", &st);
    CHECK("stat_file", r == 0 && S_ISREG(st.st_mode) && st.st_size == 21,
          "ret=%d size=%ld mode=%o", r, (long)st.st_size, (unsigned)st.st_mode);

    r = fstatat(AT_FDCWD, "ft_file.txt", &st, 0);
    CHECK("fstatat_cwd", r == 0 && S_ISREG(st.st_mode) && st.st_size == 21,
          "ret=%d size=%ld", r, (long)st.st_size);

    errno = 0;
    expect_errno("stat_missing", stat("ft_missing.txt", &st), ENOENT);

    r = stat(".", &st);
    CHECK("stat_cwd_is_dir", r == 0 && S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode),
          "ret=%d mode=%o", r, (unsigned)st.st_mode);

    /* fcntl */
    int fl = fcntl(fd, F_GETFL);
    CHECK("fcntl_getfl", fl >= 0 && (fl & O_ACCMODE) == O_RDWR && !(fl & O_NONBLOCK), "flags=%#x", fl);
    r = fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int fl2 = fcntl(fd, F_GETFL);
    CHECK("fcntl_setfl_nonblock", r == 0 && fl2 >= 0 && (fl2 & O_NONBLOCK) && (fl2 & O_ACCMODE) == O_RDWR,
          "setfl=%d flags=%#x", r, fl2);
    r = fcntl(fd, F_SETFD, FD_CLOEXEC);
    int fdfl = fcntl(fd, F_GETFD);
    CHECK("fcntl_fd_cloexec", r == 0 && fdfl == FD_CLOEXEC, "setfd=%d getfd=%d", r, fdfl);

    /* ioctl on a regular file is not a tty */
    unsigned char tbuf[64];
    errno = 0;
    expect_errno("ioctl_notty", ioctl(fd, TCGETS, tbuf), ENOTTY);
    r = isatty(fd);
    CHECK("isatty_file", r == 0, "isatty returned %d", r);

    r = close(fd);
    CHECK("close", r == 0, "close returned %d", r);
    errno = 0;
    expect_errno("close_twice", close(fd), EBADF);

    /* access modes */
    fd = open("ft_file.txt", O_RDONLY);
    errno = 0;
    expect_errno("write_rdonly", fd < 0 ? 0 : write(fd, "x", 1), EBADF);
    close(fd);
    fd = open("ft_file.txt", O_WRONLY);
    errno = 0;
    expect_errno("read_wronly", fd < 0 ? 0 : read(fd, buf, 1), EBADF);
    close(fd);

    /* O_APPEND: every write goes to the end */
    fd = open("ft_file.txt", O_WRONLY | O_APPEND);
    o = fd < 0 ? -1 : lseek(fd, 0, SEEK_SET);
    n = fd < 0 ? -1 : write(fd, "Z", 1);
    off_t pos = fd < 0 ? -1 : lseek(fd, 0, SEEK_CUR);
    r = fd < 0 ? -1 : fstat(fd, &st);
    CHECK("open_append", fd >= 0 && o == 0 && n == 1 && pos == 22 && r == 0 && st.st_size == 22,
          "fd_ok=%d write=%ld pos=%ld size=%ld", fd >= 0, (long)n, (long)pos, (long)st.st_size);
    close(fd);

    errno = 0;
    expect_errno("open_directory_on_file", open("ft_file.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);

    /* O_TRUNC */
    fd = open("ft_file.txt", O_RDWR | O_TRUNC);
    r = fd < 0 ? -1 : fstat(fd, &st);
    CHECK("open_trunc", fd >= 0 && r == 0 && st.st_size == 0, "fd_ok=%d size=%ld", fd >= 0, (long)st.st_size);
    close(fd);

    /* readv / writev */
    fd = open("ft_iov.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct iovec wv[3] = {
        { .iov_base = (void *)"abc", .iov_len = 3 },
        { .iov_base = (void *)"", .iov_len = 0 },
        { .iov_base = (void *)"defgh", .iov_len = 5 },
    };
    n = fd < 0 ? -1 : writev(fd, wv, 3);
    CHECK("writev", n == 8, "writev returned %ld", (long)n);
    char r1[3], r2[10];
    memset(r2, 0, sizeof r2);
    struct iovec rv[2] = { { .iov_base = r1, .iov_len = sizeof r1 }, { .iov_base = r2, .iov_len = sizeof r2 } };
    o = fd < 0 ? -1 : lseek(fd, 0, SEEK_SET);
    n = fd < 0 ? -1 : readv(fd, rv, 2);
    CHECK("readv", o == 0 && n == 8 && memcmp(r1, "abc", 3) == 0 && memcmp(r2, "defgh", 5) == 0,
          "readv returned %ld", (long)n);
    close(fd);
    r = unlink("ft_iov.txt");
    CHECK("unlink_iov", r == 0, "unlink returned %d", r);

    /* unlink */
    r = unlink("ft_file.txt");
    CHECK("unlink", r == 0, "unlink returned %d", r);
    errno = 0;
    expect_errno("unlink_missing", unlink("ft_file.txt"), ENOENT);
    errno = 0;
    expect_errno("open_after_unlink", open("ft_file.txt", O_RDONLY), ENOENT);
}

static void test_dirs(void)
{
    struct stat st;
    char buf[16];
    int r;

    r = mkdir("ft_dir", 0755);
    CHECK("mkdirat", r == 0, "mkdir returned %d", r);
    errno = 0;
    expect_errno("mkdirat_exists", mkdir("ft_dir", 0755), EEXIST);
    errno = 0;
    expect_errno("mkdirat_no_parent", mkdirat(AT_FDCWD, "ft_nodir/sub", 0755), ENOENT);
    r = stat("ft_dir", &st);
    CHECK("stat_dir", r == 0 && S_ISDIR(st.st_mode), "ret=%d mode=%o", r, (unsigned)st.st_mode);

    int dfd = open("ft_dir", O_RDONLY | O_DIRECTORY);
    CHECK("open_dir", dfd >= 0, "open returned %d", dfd);
    errno = 0;
    expect_errno("read_dir", dfd < 0 ? 0 : read(dfd, buf, sizeof buf), EISDIR);

    /* *at() relative to a directory fd */
    int fd = dfd < 0 ? -1 : openat(dfd, "inner.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n = fd < 0 ? -1 : write(fd, "1234", 4);
    CHECK("openat_dirfd", fd >= 0 && n == 4, "fd_ok=%d write=%ld", fd >= 0, (long)n);
    close(fd);
    r = dfd < 0 ? -1 : fstatat(dfd, "inner.txt", &st, 0);
    CHECK("fstatat_dirfd", r == 0 && S_ISREG(st.st_mode) && st.st_size == 4, "ret=%d size=%ld", r, (long)st.st_size);
    r = stat("ft_dir/inner.txt", &st);
    CHECK("stat_subpath", r == 0 && st.st_size == 4, "ret=%d size=%ld", r, (long)st.st_size);

    errno = 0;
    expect_errno("rmdir_not_empty", unlinkat(AT_FDCWD, "ft_dir", AT_REMOVEDIR), ENOTEMPTY);
    errno = 0;
    expect_errno("unlink_dir", unlink("ft_dir"), EISDIR);

    r = dfd < 0 ? -1 : unlinkat(dfd, "inner.txt", 0);
    CHECK("unlinkat_dirfd", r == 0, "unlinkat returned %d", r);
    close(dfd);

    r = unlinkat(AT_FDCWD, "ft_dir", AT_REMOVEDIR);
    CHECK("rmdir", r == 0, "unlinkat returned %d", r);
    errno = 0;
    expect_errno("stat_removed_dir", stat("ft_dir", &st), ENOENT);
}

static void test_stdio_file(void)
{
    FILE *f = fopen("ft_stdio.txt", "w");
    int w = f ? fprintf(f, "line %d\nsecond\n", 42) : -1;
    int c = f ? fclose(f) : -1;
    char line[32] = "";
    f = fopen("ft_stdio.txt", "r");
    char *g = f ? fgets(line, sizeof line, f) : NULL;
    if (f)
        fclose(f);
    int rm = remove("ft_stdio.txt");
    CHECK("stdio_file", w == 15 && c == 0 && g != NULL && strcmp(line, "line 42\n") == 0 && rm == 0,
          "fprintf=%d fclose=%d line='%s' remove=%d", w, c, line, rm);
}

static void test_memory(void)
{
    /* brk: raw query, then grow / shrink through sbrk */
    long cur = syscall(SYS_brk, 0);
    CHECK("brk_query", cur > 0, "brk(0) returned %ld", cur);
    long low = syscall(SYS_brk, 0x1000);
    CHECK("brk_below_start_unchanged", low == cur, "brk(0x1000) changed the break");

    char *p = sbrk(0);
    char *q = sbrk(65536);
    char *e = sbrk(0);
    int good = p != (char *)-1 && q == p && e == p + 65536;
    if (good) {
        memset(q, 0xA5, 65536);
        good = all_bytes((unsigned char *)q, 65536, 0xA5);
    }
    char *s = sbrk(-65536);
    char *e2 = sbrk(0);
    CHECK("sbrk_grow_shrink", good && s == p + 65536 && e2 == p, "sbrk sequence inconsistent");

    /* picolibc malloc on top of sbrk */
    unsigned char *m = malloc(1 << 20);
    unsigned char *m2 = malloc(100);
    good = m != NULL && m2 != NULL;
    if (good) {
        memset(m, 0x5A, 1 << 20);
        memset(m2, 0x11, 100);
        good = all_bytes(m, 1 << 20, 0x5A) && all_bytes(m2, 100, 0x11);
    }
    free(m2);
    free(m);
    CHECK("malloc_1mib", good, "malloc/memset failed");

    /* anonymous mmap */
    size_t len = 3 * 4096;
    unsigned char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    good = a != MAP_FAILED && ((uintptr_t)a & 4095) == 0 && all_bytes(a, len, 0);
    if (good) {
        for (size_t i = 0; i < len; i++)
            a[i] = (unsigned char)(i * 7);
        for (size_t i = 0; i < len && good; i++)
            good = a[i] == (unsigned char)(i * 7);
    }
    CHECK("mmap_anon", good, "mmap returned %s", a == MAP_FAILED ? "MAP_FAILED" : "bad memory");
    int r = a == MAP_FAILED ? -1 : munmap(a, len);
    CHECK("munmap", r == 0, "munmap returned %d", r);

    size_t big = 64ul << 20;
    unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    good = b != MAP_FAILED;
    if (good) {
        b[0] = 1;
        b[big / 2] = 2;
        b[big - 1] = 3;
        good = b[0] == 1 && b[big / 2] == 2 && b[big - 1] == 3 && b[4096] == 0;
        good = munmap(b, big) == 0 && good;
    }
    CHECK("mmap_64mib", good, "64 MiB anonymous mapping failed");

    errno = 0;
    void *z = mmap(NULL, 0, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect_errno("mmap_zero_length", z == MAP_FAILED ? -1 : 0, EINVAL);
    errno = 0;
    expect_errno("munmap_unaligned", munmap((void *)0x10001, 4096), EINVAL);
}

static void test_time(void)
{
    struct timespec ts, prev;
    int good = clock_gettime(CLOCK_MONOTONIC, &prev) == 0;
    for (int i = 0; i < 1000 && good; i++) {
        good = clock_gettime(CLOCK_MONOTONIC, &ts) == 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000 &&
               (ts.tv_sec > prev.tv_sec || (ts.tv_sec == prev.tv_sec && ts.tv_nsec >= prev.tv_nsec));
        prev = ts;
    }
    CHECK("clock_monotonic", good, "monotonic clock went backwards or failed");

    int r = clock_gettime(CLOCK_REALTIME, &ts);
    CHECK("clock_realtime", r == 0 && ts.tv_sec > 1500000000 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000,
          "ret=%d", r);

    errno = 0;
    expect_errno("clock_bad_id", clock_gettime((clockid_t)12345, &ts), EINVAL);

    struct timeval tv;
    r = gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    CHECK("gettimeofday_time", r == 0 && tv.tv_sec > 1500000000 && tv.tv_usec >= 0 && tv.tv_usec < 1000000 &&
          t >= tv.tv_sec && t - tv.tv_sec < 60, "ret=%d", r);

    int64_t t0 = mono_ns();
    struct timespec req = { .tv_sec = 0, .tv_nsec = 1000000 };
    r = nanosleep(&req, NULL);
    int64_t dt = mono_ns() - t0;
    CHECK("nanosleep_1ms", r == 0 && dt >= 1000000, "ret=%d", r);

    struct timespec bad = { .tv_sec = 0, .tv_nsec = 1000000000 };
    errno = 0;
    expect_errno("nanosleep_bad_nsec", nanosleep(&bad, NULL), EINVAL);
}

static void test_random(void)
{
    unsigned char buf[64];
    memset(buf, 0, sizeof buf);
    ssize_t n = getrandom(buf, sizeof buf, 0);
    CHECK("getrandom", n == (ssize_t)sizeof buf && !all_bytes(buf, sizeof buf, 0), "getrandom returned %ld", (long)n);
    n = getrandom(buf, 16, GRND_NONBLOCK);
    CHECK("getrandom_nonblock", n == 16, "getrandom returned %ld", (long)n);
    errno = 0;
    expect_errno("getrandom_bad_flags", getrandom(buf, 16, 0x80), EINVAL);
    int r = getentropy(buf, 32);
    CHECK("getentropy", r == 0, "getentropy returned %d", r);
}

static void test_process(void)
{
    pid_t pid = getpid();
    CHECK("getpid", pid > 0, "getpid returned %ld", (long)pid);

    struct utsname u;
    memset(&u, 0, sizeof u);
    int r = uname(&u);
    CHECK("uname", r == 0 && strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "riscv64") == 0,
          "ret=%d sysname='%s' machine='%s'", r, u.sysname, u.machine);

    errno = 0;
    expect_errno("unknown_syscall", syscall(4000, 0, 0, 0, 0, 0, 0), ENOSYS);
}

static void test_sockets(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK("socket", s >= 0, "socket returned %d", s);
    if (s < 0)
        return;

    int one = 1, val = 0;
    socklen_t len = sizeof val;
    int r = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r2 = getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &val, &len);
    CHECK("sockopt_reuseaddr", r == 0 && r2 == 0 && val != 0 && len == sizeof val,
          "set=%d get=%d val=%d len=%u", r, r2, val, (unsigned)len);

    val = 0;
    len = sizeof val;
    r = getsockopt(s, SOL_SOCKET, SO_TYPE, &val, &len);
    CHECK("sockopt_type", r == 0 && val == SOCK_STREAM, "get=%d val=%d", r, val);

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r = bind(s, (struct sockaddr *)&sa, sizeof sa);
    CHECK("bind", r == 0, "bind returned %d", r);

    r = listen(s, 16);
    CHECK("listen", r == 0, "listen returned %d", r);

    struct sockaddr_in got;
    memset(&got, 0, sizeof got);
    len = sizeof got;
    r = getsockname(s, (struct sockaddr *)&got, &len);
    CHECK("getsockname", r == 0 && len == sizeof got && got.sin_family == AF_INET &&
          got.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && got.sin_port != 0,
          "ret=%d len=%u family=%d port_nonzero=%d", r, (unsigned)len, got.sin_family, got.sin_port != 0);

    char text[INET_ADDRSTRLEN];
    const char *t = inet_ntop(AF_INET, &got.sin_addr, text, sizeof text);
    CHECK("inet_ntop", t != NULL && strcmp(text, "127.0.0.1") == 0, "got '%s'", t ? text : "(null)");

    errno = 0;
    expect_errno("getpeername_listener", getpeername(s, (struct sockaddr *)&got, &len), ENOTCONN);

    errno = 0;
    expect_errno("accept4_nonblock_eagain", accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), EAGAIN);
    len = sizeof got;
    errno = 0;
    expect_errno("accept_eagain", accept(s, (struct sockaddr *)&got, &len), EAGAIN);

    struct pollfd pfd = { .fd = s, .events = POLLIN, .revents = 0 };
    struct timespec zero = { 0, 0 };
    r = ppoll(&pfd, 1, &zero, NULL);
    CHECK("ppoll_listener_idle", r == 0 && pfd.revents == 0, "ppoll returned %d revents=%#x", r, pfd.revents);

    /* An unconnected TCP socket */
    int u = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
    char buf[8];
    errno = 0;
    expect_errno("recvfrom_notconn", u < 0 ? 0 : recvfrom(u, buf, sizeof buf, 0, NULL, NULL), ENOTCONN);
    errno = 0;
    expect_errno("sendto_notconn_epipe", u < 0 ? 0 : sendto(u, "x", 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
    errno = 0;
    expect_errno("shutdown_notconn", u < 0 ? 0 : shutdown(u, SHUT_RDWR), ENOTCONN);
    close(u);

    errno = 0;
    expect_errno("socket_bad_family", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);

    int f = open("ft_sock.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    errno = 0;
    expect_errno("setsockopt_notsock", f < 0 ? 0 : setsockopt(f, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), ENOTSOCK);

    /* poll(): regular files are always ready, bad fds get POLLNVAL, -1 is ignored */
    struct pollfd pf[3] = {
        { .fd = f, .events = POLLIN | POLLOUT, .revents = 0 },
        { .fd = BAD_FD, .events = POLLIN, .revents = 0 },
        { .fd = -1, .events = POLLIN, .revents = 0 },
    };
    r = poll(pf, 3, 0);
    CHECK("poll_file_nval", r == 2 && pf[0].revents == (POLLIN | POLLOUT) && pf[1].revents == POLLNVAL &&
          pf[2].revents == 0, "poll returned %d revents=%#x,%#x,%#x", r, pf[0].revents, pf[1].revents, pf[2].revents);
    close(f);
    unlink("ft_sock.txt");

    r = close(s);
    CHECK("close_socket", r == 0, "close returned %d", r);
}

int main(void)
{
    test_bad_fds();
    test_files();
    test_dirs();
    test_stdio_file();
    test_memory();
    test_time();
    test_random();
    test_process();
    test_sockets();

    if (failures == 0)
        printf("all checks passed\n");
    else
        printf("%d check(s) FAILED\n", failures);
    return failures == 0 ? 0 : 1;
}
