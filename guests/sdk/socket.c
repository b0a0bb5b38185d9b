/*
 * FaultTolerant guest SDK: sockets and poll over the Linux riscv64 syscalls.
 * Structures and constants are the Linux ones (see include/sys/socket.h,
 * include/poll.h), so arguments are passed straight through.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <ft/syscall.h>

#define RET(x) ft_syscall_ret(x)

int socket(int domain, int type, int protocol)
{
    return (int)RET(ft_syscall3(FT_SYS_socket, domain, type, protocol));
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return (int)RET(ft_syscall3(FT_SYS_bind, fd, (long)addr, len));
}

int listen(int fd, int backlog)
{
    return (int)RET(ft_syscall2(FT_SYS_listen, fd, backlog));
}

int accept(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len)
{
    return (int)RET(ft_syscall3(FT_SYS_accept, fd, (long)addr, (long)len));
}

int accept4(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len, int flags)
{
    return (int)RET(ft_syscall4(FT_SYS_accept4, fd, (long)addr, (long)len, flags));
}

/* Not implemented by the FaultTolerant emulator (ENOSYS there). */
int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return (int)RET(ft_syscall3(FT_SYS_connect, fd, (long)addr, len));
}

int getsockname(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len)
{
    return (int)RET(ft_syscall3(FT_SYS_getsockname, fd, (long)addr, (long)len));
}

int getpeername(int fd, struct sockaddr *__restrict addr, socklen_t *__restrict len)
{
    return (int)RET(ft_syscall3(FT_SYS_getpeername, fd, (long)addr, (long)len));
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return (int)RET(ft_syscall5(FT_SYS_setsockopt, fd, level, name, (long)val, len));
}

int getsockopt(int fd, int level, int name, void *__restrict val, socklen_t *__restrict len)
{
    return (int)RET(ft_syscall5(FT_SYS_getsockopt, fd, level, name, (long)val, (long)len));
}

ssize_t recvfrom(int fd, void *__restrict buf, size_t n, int flags,
                 struct sockaddr *__restrict addr, socklen_t *__restrict alen)
{
    return RET(ft_syscall6(FT_SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)addr, (long)alen));
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags,
               const struct sockaddr *addr, socklen_t alen)
{
    return RET(ft_syscall6(FT_SYS_sendto, fd, (long)buf, (long)n, flags, (long)addr, alen));
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    return recvfrom(fd, buf, n, flags, NULL, NULL);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    return sendto(fd, buf, n, flags, NULL, 0);
}

int shutdown(int fd, int how)
{
    return (int)RET(ft_syscall2(FT_SYS_shutdown, fd, how));
}

/* The kernel's sigset_t for riscv64 is 64 bits (_NSIG / 8 bytes). */
#define FT_KERNEL_SIGSET_SIZE 8

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask)
{
    return (int)RET(ft_syscall5(FT_SYS_ppoll, (long)fds, (long)n, (long)timeout, (long)mask,
                                mask ? FT_KERNEL_SIGSET_SIZE : 0));
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    struct timespec ts;
    struct timespec *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000l;
        tp = &ts;
    }
    return ppoll(fds, n, tp, NULL);
}
