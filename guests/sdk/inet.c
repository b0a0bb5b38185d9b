/*
 * FaultTolerant guest SDK: IPv4 address text conversion (<arpa/inet.h>).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

/* Strict dotted quad "a.b.c.d" (each 0..255, decimal). */
static int parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned n = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || n > 255)
                return 0;
        }
        v = (v << 8) | n;
        if (part < 3) {
            if (*s != '.')
                return 0;
            s++;
        }
    }
    if (*s != '\0')
        return 0;
    *out = htonl(v);
    return 1;
}

int inet_pton(int af, const char *__restrict src, void *__restrict dst)
{
    if (af != AF_INET) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    uint32_t a;
    if (!parse_ipv4(src, &a))
        return 0;
    memcpy(dst, &a, sizeof a);
    return 1;
}

int inet_aton(const char *cp, struct in_addr *inp)
{
    uint32_t a;
    if (!parse_ipv4(cp, &a))
        return 0;
    if (inp)
        inp->s_addr = a;
    return 1;
}

in_addr_t inet_addr(const char *cp)
{
    uint32_t a;
    return parse_ipv4(cp, &a) ? a : INADDR_NONE;
}

const char *inet_ntop(int af, const void *__restrict src, char *__restrict dst, socklen_t size)
{
    if (af != AF_INET) {
        errno = EAFNOSUPPORT;
        return NULL;
    }
    const unsigned char *b = src;
    char tmp[INET_ADDRSTRLEN];
    int n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    if (n < 0 || (socklen_t)n >= size) {
        errno = ENOSPC;
        return NULL;
    }
    memcpy(dst, tmp, (size_t)n + 1);
    return dst;
}

char *inet_ntoa(struct in_addr in)
{
    static char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in, buf, sizeof buf);
    return buf;
}
