/*
 * FaultTolerant guest SDK: <arpa/inet.h> = picolibc's (htonl/htons/ntohl/
 * ntohs macros) plus the address conversion functions (IPv4 only for
 * inet_pton/inet_ntop; AF_INET6 fails with EAFNOSUPPORT).
 */
#ifndef FT_ARPA_INET_H
#define FT_ARPA_INET_H

#include_next <arpa/inet.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

in_addr_t   inet_addr(const char *__cp);
int         inet_aton(const char *__cp, struct in_addr *__inp);
char       *inet_ntoa(struct in_addr __in);
int         inet_pton(int __af, const char *__restrict __src, void *__restrict __dst);
const char *inet_ntop(int __af, const void *__restrict __src, char *__restrict __dst, socklen_t __size);

#ifdef __cplusplus
}
#endif

#endif /* FT_ARPA_INET_H */
