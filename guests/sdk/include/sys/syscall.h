/*
 * FaultTolerant guest SDK: <sys/syscall.h>, glibc-compatible SYS_* names for
 * the Linux riscv64 (asm-generic) system call numbers used by the SDK.
 */
#ifndef FT_SYS_SYSCALL_H
#define FT_SYS_SYSCALL_H

#include <ft/syscall.h>

#define SYS_fcntl          FT_SYS_fcntl
#define SYS_ioctl          FT_SYS_ioctl
#define SYS_mkdirat        FT_SYS_mkdirat
#define SYS_unlinkat       FT_SYS_unlinkat
#define SYS_openat         FT_SYS_openat
#define SYS_close          FT_SYS_close
#define SYS_lseek          FT_SYS_lseek
#define SYS_read           FT_SYS_read
#define SYS_write          FT_SYS_write
#define SYS_readv          FT_SYS_readv
#define SYS_writev         FT_SYS_writev
#define SYS_ppoll          FT_SYS_ppoll
#define SYS_newfstatat     FT_SYS_newfstatat
#define SYS_fstat          FT_SYS_fstat
#define SYS_exit           FT_SYS_exit
#define SYS_exit_group     FT_SYS_exit_group
#define SYS_nanosleep      FT_SYS_nanosleep
#define SYS_clock_gettime  FT_SYS_clock_gettime
#define SYS_uname          FT_SYS_uname
#define SYS_getpid         FT_SYS_getpid
#define SYS_socket         FT_SYS_socket
#define SYS_bind           FT_SYS_bind
#define SYS_listen         FT_SYS_listen
#define SYS_accept         FT_SYS_accept
#define SYS_connect        FT_SYS_connect
#define SYS_getsockname    FT_SYS_getsockname
#define SYS_getpeername    FT_SYS_getpeername
#define SYS_sendto         FT_SYS_sendto
#define SYS_recvfrom       FT_SYS_recvfrom
#define SYS_setsockopt     FT_SYS_setsockopt
#define SYS_getsockopt     FT_SYS_getsockopt
#define SYS_shutdown       FT_SYS_shutdown
#define SYS_brk            FT_SYS_brk
#define SYS_munmap         FT_SYS_munmap
#define SYS_mmap           FT_SYS_mmap
#define SYS_accept4        FT_SYS_accept4
#define SYS_getrandom      FT_SYS_getrandom

#endif /* FT_SYS_SYSCALL_H */
