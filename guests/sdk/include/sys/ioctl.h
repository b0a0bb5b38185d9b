/*
 * FaultTolerant guest SDK: <sys/ioctl.h>.  Linux request numbers.
 * The FaultTolerant emulator answers ioctl with -ENOTTY (so isatty() is 0).
 */
#ifndef FT_SYS_IOCTL_H
#define FT_SYS_IOCTL_H

#ifdef __cplusplus
extern "C" {
#endif

#define TCGETS     0x5401
#define TCSETS     0x5402
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541B
#define FIONBIO    0x5421

struct winsize {
    unsigned short ws_row;
    unsigned short ws_col;
    unsigned short ws_xpixel;
    unsigned short ws_ypixel;
};

int ioctl(int __fd, unsigned long __request, ...);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_IOCTL_H */
