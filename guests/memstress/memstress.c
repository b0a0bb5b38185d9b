/*
 * memstress: dirties memory at a controllable rate.
 *
 *   memstress PAGES [ROUNDS [RATE]]
 *
 * Maps PAGES * 4096 bytes (anonymous private mmap) and, for ROUNDS rounds
 * (default 1; 0 = forever), stores one 64-bit word into every page; the
 * word's position and value depend on the round and the page.  With RATE
 * (pages per second, default 0 = unlimited) the stores are paced with
 * clock_gettime(CLOCK_MONOTONIC) + nanosleep.
 *
 * After each round it prints "round R: <hex>" (a checksum of the words
 * stored in that round, read back from memory); at the end it prints
 * "checksum: <hex> nonzero: N" computed over every word of the region.
 * All output is deterministic.  Exit status 0 (1 if the mapping fails,
 * 2 on bad arguments).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/mman.h>

#define PAGE_SIZE      4096ul
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

static unsigned long parse_arg(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        fprintf(stderr, "memstress: invalid %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

/* splitmix64 finalizer */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static size_t word_index(unsigned long round, unsigned long page)
{
    return (size_t)((page * 7u + round * 13u) % WORDS_PER_PAGE);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep until `done` pages are due at `rate` pages/second since `start`. */
static void pace(uint64_t start, uint64_t done, uint64_t rate)
{
    uint64_t due = (done / rate) * 1000000000ull + (done % rate) * 1000000000ull / rate;
    uint64_t elapsed = now_ns() - start;
    if (due > elapsed) {
        uint64_t d = due - elapsed;
        struct timespec ts = { .tv_sec = (time_t)(d / 1000000000ull), .tv_nsec = (long)(d % 1000000000ull) };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: memstress PAGES [ROUNDS [RATE_PAGES_PER_SEC]]\n");
        return 2;
    }
    unsigned long pages = parse_arg(argv[1], "page count");
    unsigned long rounds = argc > 2 ? parse_arg(argv[2], "round count") : 1;
    unsigned long rate = argc > 3 ? parse_arg(argv[3], "rate") : 0;
    if (pages == 0 || pages > (1ul << 32)) {
        fprintf(stderr, "memstress: page count out of range\n");
        return 2;
    }

    size_t bytes = pages * PAGE_SIZE;
    uint64_t *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        fprintf(stderr, "memstress: mmap of %lu bytes failed (errno %d)\n", (unsigned long)bytes, errno);
        return 1;
    }

    printf("memstress: pages=%lu rounds=%lu rate=%lu\n", pages, rounds, rate);
    fflush(stdout);

    /* With pacing, check the clock about every millisecond's worth of pages. */
    uint64_t chunk = rate >= 1000 ? rate / 1000 : 1;
    uint64_t start = rate ? now_ns() : 0;
    uint64_t done = 0;

    for (unsigned long r = 0; rounds == 0 || r < rounds; r++) {
        for (unsigned long p = 0; p < pages; p++) {
            mem[p * WORDS_PER_PAGE + word_index(r, p)] = mix(((uint64_t)r << 32) ^ p);
            done++;
            if (rate && done % chunk == 0)
                pace(start, done, rate);
        }
        uint64_t sum = 0;
        for (unsigned long p = 0; p < pages; p++)
            sum = sum * 31u + mem[p * WORDS_PER_PAGE + word_index(r, p)];
        printf("round %lu: %016llx\n", r + 1, (unsigned long long)sum);
        fflush(stdout);
    }

    uint64_t h = 0, nonzero = 0;
    size_t words = bytes / sizeof(uint64_t);
    for (size_t i = 0; i < words; i++) {
        uint64_t v = mem[i];
        h = ((h << 5) | (h >> 59)) ^ v;
        nonzero += v != 0;
    }
    printf("checksum: %016llx nonzero: %llu\n", (unsigned long long)h, (unsigned long long)nonzero);

    munmap(mem, bytes);
    return 0;
}
