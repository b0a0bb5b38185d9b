/*
 * FaultTolerant guest SDK: raw Linux RISC-V (rv64) system call interface.
 *
 * Calling convention (Linux riscv64): a7 = syscall number, a0..a5 = args,
 * `ecall`, result in a0.  A result in [-4095, -1] is -errno, where errno is
 * the *Linux* (asm-generic) error number.
 *
 * The ft_syscallN() inline functions return that raw value unchanged.
 * ft_syscall_ret() converts it to the libc convention (-1 and errno set,
 * errno translated to picolibc's numbering, see ft_errno_from_linux()).
 *
 * Syscall numbers are from Linux include/uapi/asm-generic/unistd.h, which
 * riscv64 uses unchanged.  The FaultTolerant emulator implements exactly the
 * FT_SYS_* numbers marked "(ft)" below; anything else returns -ENOSYS there.
 */
#ifndef FT_SYSCALL_H
#define FT_SYSCALL_H

#define FT_SYS_fcntl            25  /* (ft) */
#define FT_SYS_ioctl            29  /* (ft) */
#define FT_SYS_mkdirat          34  /* (ft) */
#define FT_SYS_unlinkat         35  /* (ft) */
#define FT_SYS_openat           56  /* (ft) */
#define FT_SYS_close            57  /* (ft) */
#define FT_SYS_lseek            62  /* (ft) */
#define FT_SYS_read             63  /* (ft) */
#define FT_SYS_write            64  /* (ft) */
#define FT_SYS_readv            65  /* (ft) */
#define FT_SYS_writev           66  /* (ft) */
#define FT_SYS_ppoll            73  /* (ft) */
#define FT_SYS_newfstatat       79  /* (ft) */
#define FT_SYS_fstat            80  /* (ft) */
#define FT_SYS_exit             93  /* (ft) */
#define FT_SYS_exit_group       94  /* (ft) */
#define FT_SYS_nanosleep       101  /* (ft) */
#define FT_SYS_clock_gettime   113  /* (ft) */
#define FT_SYS_uname           160  /* (ft) */
#define FT_SYS_getpid          172  /* (ft) */
#define FT_SYS_socket          198  /* (ft) */
#define FT_SYS_bind            200  /* (ft) */
#define FT_SYS_listen          201  /* (ft) */
#define FT_SYS_accept          202  /* (ft) */
#define FT_SYS_connect         203  /* NOT implemented by the ft emulator */
#define FT_SYS_getsockname     204  /* (ft) */
#define FT_SYS_getpeername     205  /* (ft) */
#define FT_SYS_sendto          206  /* (ft) */
#define FT_SYS_recvfrom        207  /* (ft) */
#define FT_SYS_setsockopt      208  /* (ft) */
#define FT_SYS_getsockopt      209  /* (ft) */
#define FT_SYS_shutdown        210  /* (ft) */
#define FT_SYS_brk             214  /* (ft) */
#define FT_SYS_munmap          215  /* (ft) */
#define FT_SYS_mmap            222  /* (ft) */
#define FT_SYS_accept4         242  /* (ft) */
#define FT_SYS_getrandom       278  /* (ft) */

#ifndef __ASSEMBLER__

static inline long ft_syscall0(long n)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0");
    __asm__ __volatile__("ecall" : "=r"(a0) : "r"(a7) : "memory");
    return a0;
}

static inline long ft_syscall1(long n, long x0)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7) : "memory");
    return a0;
}

static inline long ft_syscall2(long n, long x0, long x1)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1) : "memory");
    return a0;
}

static inline long ft_syscall3(long n, long x0, long x1, long x2)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    return a0;
}

static inline long ft_syscall4(long n, long x0, long x1, long x2, long x3)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    register long a3 __asm__("a3") = x3;
    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2), "r"(a3) : "memory");
    return a0;
}

static inline long ft_syscall5(long n, long x0, long x1, long x2, long x3, long x4)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    register long a3 __asm__("a3") = x3;
    register long a4 __asm__("a4") = x4;
    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4) : "memory");
    return a0;
}

static inline long ft_syscall6(long n, long x0, long x1, long x2, long x3, long x4, long x5)
{
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = x0;
    register long a1 __asm__("a1") = x1;
    register long a2 __asm__("a2") = x2;
    register long a3 __asm__("a3") = x3;
    register long a4 __asm__("a4") = x4;
    register long a5 __asm__("a5") = x5;
    __asm__ __volatile__("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5) : "memory");
    return a0;
}

/* Map a Linux (asm-generic) errno number to picolibc's errno numbering. */
int ft_errno_from_linux(int linux_errno);

/* Raw result -> libc convention: returns r, or -1 with errno set. */
long ft_syscall_ret(long r);

/* True if a raw result is an error (-4095..-1). */
#define FT_IS_ERR(r) ((unsigned long)(r) > (unsigned long)-4096L)

/* Auxiliary vector captured by crt0 (NULL-terminated pairs), or NULL. */
extern unsigned long *__ft_auxv;

#endif /* !__ASSEMBLER__ */
#endif /* FT_SYSCALL_H */
