/*
 * counter: prints "count 1" .. "count N" (one line each, flushed), sleeping
 * INTERVAL_MS milliseconds (nanosleep) between lines.  Exit status 0.
 *
 *   counter [N [INTERVAL_MS]]     defaults: N = 10, INTERVAL_MS = 0
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long parse_arg(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        fprintf(stderr, "counter: invalid %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    unsigned long n = 10, interval_ms = 0;
    if (argc > 1)
        n = parse_arg(argv[1], "count");
    if (argc > 2)
        interval_ms = parse_arg(argv[2], "interval");

    for (unsigned long i = 1; i <= n; i++) {
        printf("count %lu\n", i);
        fflush(stdout);
        if (interval_ms > 0 && i < n) {
            struct timespec ts = {
                .tv_sec = (time_t)(interval_ms / 1000),
                .tv_nsec = (long)(interval_ms % 1000) * 1000000l,
            };
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
        }
    }
    return 0;
}
