/*
 * FaultTolerant guest SDK: <sys/stat.h>, replacing picolibc's.
 *
 * struct stat is the Linux asm-generic layout (128 bytes) used by riscv64,
 * so fstat()/stat()/fstatat() pass the caller's buffer straight to the
 * fstat (80) / newfstatat (79) syscalls.
 */
#ifndef FT_SYS_STAT_H
#define FT_SYS_STAT_H
#define _SYS_STAT_H  /* keep picolibc's <sys/stat.h> out */

#include <time.h>
#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/_timespec.h>

#ifdef __cplusplus
extern "C" {
#endif

struct stat {
    unsigned long   st_dev;
    unsigned long   st_ino;
    unsigned int    st_mode;
    unsigned int    st_nlink;
    unsigned int    st_uid;
    unsigned int    st_gid;
    unsigned long   st_rdev;
    unsigned long   __pad1;
    long            st_size;
    int             st_blksize;
    int             __pad2;
    long            st_blocks;
    struct timespec st_atim;
    struct timespec st_mtim;
    struct timespec st_ctim;
    unsigned int    __unused4;
    unsigned int    __unused5;
};

#define st_atime st_atim.tv_sec
#define st_mtime st_mtim.tv_sec
#define st_ctime st_ctim.tv_sec

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000

#define S_ISUID  04000
#define S_ISGID  02000
#define S_ISVTX  01000

#define S_IRWXU  00700
#define S_IRUSR  00400
#define S_IWUSR  00200
#define S_IXUSR  00100
#define S_IRWXG  00070
#define S_IRGRP  00040
#define S_IWGRP  00020
#define S_IXGRP  00010
#define S_IRWXO  00007
#define S_IROTH  00004
#define S_IWOTH  00002
#define S_IXOTH  00001
#define S_IREAD  S_IRUSR
#define S_IWRITE S_IWUSR
#define S_IEXEC  S_IXUSR

#define ACCESSPERMS (S_IRWXU | S_IRWXG | S_IRWXO)
#define ALLPERMS    (S_ISUID | S_ISGID | S_ISVTX | S_IRWXU | S_IRWXG | S_IRWXO)
#define DEFFILEMODE (S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)

#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

int stat(const char *__restrict __path, struct stat *__restrict __buf);
int lstat(const char *__restrict __path, struct stat *__restrict __buf);
int fstat(int __fd, struct stat *__buf);
int fstatat(int __dirfd, const char *__restrict __path, struct stat *__restrict __buf, int __flags);
int mkdir(const char *__path, mode_t __mode);
int mkdirat(int __dirfd, const char *__path, mode_t __mode);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_STAT_H */
