/*
 * FaultTolerant guest SDK: <unistd.h> = picolibc's plus the glibc-style
 * syscall() entry point.  SYS_* numbers are in <sys/syscall.h>.
 */
#ifndef FT_UNISTD_H
#define FT_UNISTD_H

#include_next <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raw Linux system call: returns the result, or -1 with errno set. */
long syscall(long __number, ...);

/* Set the program break (brk syscall 214); sbrk() is picolibc's prototype. */
int brk(void *__addr);

#ifdef __cplusplus
}
#endif

#endif /* FT_UNISTD_H */
