/*
 * FaultTolerant guest SDK: <poll.h> (picolibc has none).  Linux values.
 * poll() is implemented over ppoll (73); the signal mask argument of ppoll()
 * is passed through (the emulator has no signals).
 */
#ifndef FT_POLL_H
#define FT_POLL_H

#include <signal.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long nfds_t;

struct pollfd {
    int   fd;
    short events;
    short revents;
};

#define POLLIN     0x0001
#define POLLPRI    0x0002
#define POLLOUT    0x0004
#define POLLERR    0x0008
#define POLLHUP    0x0010
#define POLLNVAL   0x0020
#define POLLRDNORM 0x0040
#define POLLRDBAND 0x0080
#define POLLWRNORM 0x0100
#define POLLWRBAND 0x0200
#define POLLRDHUP  0x2000

int poll(struct pollfd *__fds, nfds_t __nfds, int __timeout_ms);
int ppoll(struct pollfd *__fds, nfds_t __nfds, const struct timespec *__timeout,
          const sigset_t *__sigmask);

#ifdef __cplusplus
}
#endif

#endif /* FT_POLL_H */
