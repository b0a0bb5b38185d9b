/*
 * FaultTolerant guest SDK: <sys/mman.h> (picolibc has none).  Linux values.
 * The FaultTolerant emulator supports anonymous private mappings only
 * (MAP_PRIVATE|MAP_ANONYMOUS, fd -1, offset 0) plus munmap.
 */
#ifndef FT_SYS_MMAN_H
#define FT_SYS_MMAN_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROT_NONE      0x0
#define PROT_READ      0x1
#define PROT_WRITE     0x2
#define PROT_EXEC      0x4

#define MAP_SHARED     0x01
#define MAP_PRIVATE    0x02
#define MAP_FIXED      0x10
#define MAP_ANONYMOUS  0x20
#define MAP_ANON       MAP_ANONYMOUS
#define MAP_NORESERVE  0x4000
#define MAP_POPULATE   0x8000

#define MAP_FAILED     ((void *) -1)

void *mmap(void *__addr, size_t __len, int __prot, int __flags, int __fd, off_t __offset);
int   munmap(void *__addr, size_t __len);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_MMAN_H */
