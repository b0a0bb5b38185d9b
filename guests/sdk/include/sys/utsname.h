/* FaultTolerant guest SDK: <sys/utsname.h> (Linux layout: 6 x 65 bytes). */
#ifndef FT_SYS_UTSNAME_H
#define FT_SYS_UTSNAME_H

#ifdef __cplusplus
extern "C" {
#endif

#define _UTSNAME_LENGTH 65

struct utsname {
    char sysname[_UTSNAME_LENGTH];
    char nodename[_UTSNAME_LENGTH];
    char release[_UTSNAME_LENGTH];
    char version[_UTSNAME_LENGTH];
    char machine[_UTSNAME_LENGTH];
    char domainname[_UTSNAME_LENGTH];
};

int uname(struct utsname *__buf);

#ifdef __cplusplus
}
#endif

#endif /* FT_SYS_UTSNAME_H */
