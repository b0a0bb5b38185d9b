/* FaultTolerant guest SDK: <sys/uio.h> (picolibc has none). */
#ifndef FT_SYS_UIO_H
#define FT_SYS_UIO_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iovec {
    void  *iov_base;
    size_t iov_len;
};

#define UIO_MAXIOV 1024
#ifndef IOV_MAX
#define IOV_MAX    UIO_MAXIOV
#endif

ssize_t readv(int __fd, const struct iovec *__iov, int __iovcnt);
ssize_t writev(int __fd, const struct iovec *__iov, int __iovcnt);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_UIO_H */
