/*
 * FaultTolerant guest SDK: <sys/fcntl.h> (and therefore <fcntl.h>) =
 * picolibc's declarations with every flag value replaced by the Linux
 * asm-generic value used by riscv64, so open()/openat()/fcntl() pass flags
 * straight through to the kernel.
 *
 * (O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_TRUNC and O_APPEND have the same
 * bits in newlib and Linux, which is what picolibc's own fopen() uses.)
 *
 * Record locking (F_GETLK/F_SETLK, struct flock) is not supported.
 */
#ifndef FT_SYS_FCNTL_H
#define FT_SYS_FCNTL_H

#include_next <sys/fcntl.h>

#undef O_ACCMODE
#undef O_RDONLY
#undef O_WRONLY
#undef O_RDWR
#undef O_CREAT
#undef O_EXCL
#undef O_NOCTTY
#undef O_TRUNC
#undef O_APPEND
#undef O_NONBLOCK
#undef O_NDELAY
#undef O_DSYNC
#undef O_SYNC
#undef O_RSYNC
#undef O_ASYNC
#undef O_DIRECT
#undef O_LARGEFILE
#undef O_DIRECTORY
#undef O_NOFOLLOW
#undef O_NOATIME
#undef O_CLOEXEC
#undef O_PATH
#undef O_TMPFILE
#undef O_EXEC
#undef O_SEARCH
#undef O_BINARY
#undef O_TEXT

#define O_ACCMODE    00000003
#define O_RDONLY     00000000
#define O_WRONLY     00000001
#define O_RDWR       00000002
#define O_CREAT      00000100
#define O_EXCL       00000200
#define O_NOCTTY     00000400
#define O_TRUNC      00001000
#define O_APPEND     00002000
#define O_NONBLOCK   00004000
#define O_NDELAY     O_NONBLOCK
#define O_DSYNC      00010000
#define O_ASYNC      00020000
#define O_DIRECT     00040000
#define O_LARGEFILE  00100000
#define O_DIRECTORY  00200000
#define O_NOFOLLOW   00400000
#define O_NOATIME    01000000
#define O_CLOEXEC    02000000
#define O_SYNC       04010000
#define O_RSYNC      O_SYNC
#define O_PATH       010000000
#define O_TMPFILE    (020000000 | O_DIRECTORY)

/* BSD-style aliases (newlib-internal ones are removed) */
#undef FAPPEND
#undef FSYNC
#undef FASYNC
#undef FNBIO
#undef FNONBIO
#undef FNDELAY
#undef FNONBLOCK
#undef FREAD
#undef FWRITE
#undef FMARK
#undef FDEFER
#undef FSHLOCK
#undef FEXLOCK
#undef FOPEN
#undef FCREAT
#undef FTRUNC
#undef FEXCL
#undef FNOCTTY
#define FAPPEND      O_APPEND
#define FASYNC       O_ASYNC
#define FNONBLOCK    O_NONBLOCK
#define FNDELAY      O_NDELAY

/* fcntl() commands */
#undef F_DUPFD
#undef F_GETFD
#undef F_SETFD
#undef F_GETFL
#undef F_SETFL
#undef F_GETLK
#undef F_SETLK
#undef F_SETLKW
#undef F_SETOWN
#undef F_GETOWN
#undef F_RGETLK
#undef F_RSETLK
#undef F_CNVT
#undef F_RSETLKW
#undef F_UNLKSYS
#undef F_DUPFD_CLOEXEC
#undef F_RDLCK
#undef F_WRLCK
#undef F_UNLCK
#define F_DUPFD          0
#define F_GETFD          1
#define F_SETFD          2
#define F_GETFL          3
#define F_SETFL          4
#define F_GETLK          5
#define F_SETLK          6
#define F_SETLKW         7
#define F_SETOWN         8
#define F_GETOWN         9
#define F_DUPFD_CLOEXEC  1030
#define F_RDLCK          0
#define F_WRLCK          1
#define F_UNLCK          2

#undef FD_CLOEXEC
#define FD_CLOEXEC       1

/* *at() */
#undef AT_FDCWD
#undef AT_EACCESS
#undef AT_SYMLINK_NOFOLLOW
#undef AT_SYMLINK_FOLLOW
#undef AT_REMOVEDIR
#undef AT_EMPTY_PATH
#define AT_FDCWD             (-100)
#define AT_SYMLINK_NOFOLLOW  0x100
#define AT_EACCESS           0x200
#define AT_REMOVEDIR         0x200
#define AT_SYMLINK_FOLLOW    0x400
#define AT_EMPTY_PATH        0x1000

#ifdef __cplusplus
extern "C" {
#endif
int openat(int __dirfd, const char *__path, int __flags, ...);
#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_FCNTL_H */
