/*
 * FaultTolerant guest SDK: <sys/socket.h> (picolibc has none).
 * Linux riscv64 structures and constant values.
 *
 * connect() is provided for completeness but the FaultTolerant emulator
 * does not implement the connect syscall (it returns ENOSYS there).
 * sendmsg()/recvmsg()/socketpair() are not provided.
 */
#ifndef FT_SYS_SOCKET_H
#define FT_SYS_SOCKET_H

#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int   socklen_t;
typedef unsigned short sa_family_t;

struct sockaddr {
    sa_family_t sa_family;
    char        sa_data[14];
};

struct sockaddr_storage {
    sa_family_t   ss_family;
    char          __ss_padding[128 - sizeof(sa_family_t) - sizeof(unsigned long)];
    unsigned long __ss_align;
};

struct linger {
    int l_onoff;
    int l_linger;
};

/* Address / protocol families */
#define AF_UNSPEC   0
#define AF_UNIX     1
#define AF_LOCAL    AF_UNIX
#define AF_INET     2
#define AF_INET6    10
#define PF_UNSPEC   AF_UNSPEC
#define PF_UNIX     AF_UNIX
#define PF_LOCAL    AF_LOCAL
#define PF_INET     AF_INET
#define PF_INET6    AF_INET6

/* Socket types (and flags that may be or'ed into the type) */
#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_SEQPACKET 5
#define SOCK_NONBLOCK  04000
#define SOCK_CLOEXEC   02000000

/* setsockopt()/getsockopt() levels and SOL_SOCKET options */
#define SOL_SOCKET     1
#define SO_DEBUG       1
#define SO_REUSEADDR   2
#define SO_TYPE        3
#define SO_ERROR       4
#define SO_DONTROUTE   5
#define SO_BROADCAST   6
#define SO_SNDBUF      7
#define SO_RCVBUF      8
#define SO_KEEPALIVE   9
#define SO_OOBINLINE   10
#define SO_LINGER      13
#define SO_REUSEPORT   15
#define SO_RCVLOWAT    18
#define SO_SNDLOWAT    19
#define SO_RCVTIMEO    20
#define SO_SNDTIMEO    21
#define SO_ACCEPTCONN  30
#define SO_PROTOCOL    38
#define SO_DOMAIN      39

#define SOMAXCONN      4096

/* send/recv flags */
#define MSG_OOB        0x01
#define MSG_PEEK       0x02
#define MSG_DONTROUTE  0x04
#define MSG_TRUNC      0x20
#define MSG_DONTWAIT   0x40
#define MSG_EOR        0x80
#define MSG_WAITALL    0x100
#define MSG_NOSIGNAL   0x4000

/* shutdown() */
#define SHUT_RD   0
#define SHUT_WR   1
#define SHUT_RDWR 2

int     socket(int __domain, int __type, int __protocol);
int     bind(int __fd, const struct sockaddr *__addr, socklen_t __len);
int     listen(int __fd, int __backlog);
int     accept(int __fd, struct sockaddr *__restrict __addr, socklen_t *__restrict __len);
int     accept4(int __fd, struct sockaddr *__restrict __addr, socklen_t *__restrict __len, int __flags);
int     connect(int __fd, const struct sockaddr *__addr, socklen_t __len);
int     getsockname(int __fd, struct sockaddr *__restrict __addr, socklen_t *__restrict __len);
int     getpeername(int __fd, struct sockaddr *__restrict __addr, socklen_t *__restrict __len);
int     setsockopt(int __fd, int __level, int __optname, const void *__optval, socklen_t __optlen);
int     getsockopt(int __fd, int __level, int __optname, void *__restrict __optval, socklen_t *__restrict __optlen);
ssize_t recvfrom(int __fd, void *__restrict __buf, size_t __n, int __flags,
                 struct sockaddr *__restrict __addr, socklen_t *__restrict __addr_len);
ssize_t sendto(int __fd, const void *__buf, size_t __n, int __flags,
               const struct sockaddr *__addr, socklen_t __addr_len);
ssize_t recv(int __fd, void *__buf, size_t __n, int __flags);
ssize_t send(int __fd, const void *__buf, size_t __n, int __flags);
int     shutdown(int __fd, int __how);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_SOCKET_H */
