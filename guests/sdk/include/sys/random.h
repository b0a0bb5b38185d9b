/* FaultTolerant guest SDK: <sys/random.h>. */
#ifndef FT_SYS_RANDOM_H
#define FT_SYS_RANDOM_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GRND_NONBLOCK 0x01
#define GRND_RANDOM   0x02
#define GRND_INSECURE 0x04

ssize_t getrandom(void *__buf, size_t __len, unsigned int __flags);
int     getentropy(void *__buf, size_t __len);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_RANDOM_H */
