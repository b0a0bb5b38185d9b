/*
 * FaultTolerant guest SDK: C part of process start-up, stdio streams.
 */
#include <stdio.h>
#include <stdio-bufio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/auxv.h>
#include <ft/syscall.h>

extern char **environ;
extern int main(int argc, char **argv, char **envp);
extern void __libc_init_array(void);
extern char __bss_start[], __bss_end[];

unsigned long *__ft_auxv;

void __ft_start(long *sp) __attribute__((noreturn, used));

void __ft_start(long *sp)
{
    /*
     * Linux zero-fills .bss (p_memsz > p_filesz) already; doing it again
     * keeps the SDK correct under loaders that only map file contents.
     */
    memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));

    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;
    while (*p)
        p++;
    environ = envp;
    __ft_auxv = (unsigned long *)(p + 1);

    __libc_init_array();
    exit(main(argc, argv, envp));
}

/* getauxval() over the auxiliary vector captured above. */
unsigned long getauxval(unsigned long type)
{
    if (__ft_auxv) {
        for (unsigned long *a = __ft_auxv; a[0] != 0; a += 2)
            if (a[0] == type)
                return a[1];
    }
    errno = ENOENT;
    return 0;
}

/*
 * stdin/stdout/stderr: picolibc tinystdio "bufio" streams on fds 0/1/2
 * using the SDK's read()/write()/lseek()/close().  stdout and stderr are
 * line buffered (one write() per line, or per 4 KiB); everything still
 * buffered is flushed by exit() (via the destructor below), but not by
 * _exit().
 */
#define FT_STDIO_BUFSIZE 4096
static char ft_stdin_buf[FT_STDIO_BUFSIZE];
static char ft_stdout_buf[FT_STDIO_BUFSIZE];
static char ft_stderr_buf[FT_STDIO_BUFSIZE];

static struct __file_bufio ft_stdin =
    FDEV_SETUP_BUFIO(0, ft_stdin_buf, FT_STDIO_BUFSIZE, read, write, lseek, close, __SRD, 0);
static struct __file_bufio ft_stdout =
    FDEV_SETUP_BUFIO(1, ft_stdout_buf, FT_STDIO_BUFSIZE, read, write, lseek, close, __SWR, __BLBF);
static struct __file_bufio ft_stderr =
    FDEV_SETUP_BUFIO(2, ft_stderr_buf, FT_STDIO_BUFSIZE, read, write, lseek, close, __SWR, __BLBF);

FILE *const stdin = &ft_stdin.xfile.cfile.file;
FILE *const stdout = &ft_stdout.xfile.cfile.file;
FILE *const stderr = &ft_stderr.xfile.cfile.file;

__attribute__((destructor)) static void ft_stdio_flush(void)
{
    fflush(stdout);
    fflush(stderr);
}
