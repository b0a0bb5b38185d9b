/*
 * compute: deterministic CPU-bound integer workload.
 *
 *   compute [SCALE]        default SCALE = 100 (about 1.7 s under qemu-riscv64)
 *
 * Runs SCALE passes of four kernels and prints one checksum line per kernel
 * plus a combined line; exit status 0.  Work grows linearly with SCALE.
 *
 *   sieve   - sieve of Eratosthenes (byte loads/stores, branches), malloc'd
 *   matmul  - 48x48 64-bit integer matrix multiply (mul, loads/stores)
 *   hash    - xorshift/multiply hash with 64-bit div and rem
 *   gcd     - Euclid's algorithm over pseudo-random pairs (rem, branches)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIEVE_LIMIT   400000u
#define MAT_N         48
#define HASH_ITERS    400000u
#define GCD_PAIRS     60000u

static uint64_t sieve(uint8_t *composite, uint32_t limit, uint32_t pass)
{
    memset(composite, 0, limit + 1);
    uint64_t count = 0, sum = 0;
    for (uint32_t i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        sum += i ^ pass;
        for (uint64_t j = (uint64_t)i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    return count * 1000003u + sum;
}

static uint64_t A[MAT_N][MAT_N], B[MAT_N][MAT_N], C[MAT_N][MAT_N];

static uint64_t matmul(uint32_t pass)
{
    uint64_t seed = 0x1234567u + pass;
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            A[i][j] = seed >> 40;
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            B[i][j] = seed >> 40;
        }
    }
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            uint64_t acc = 0;
            for (int k = 0; k < MAT_N; k++)
                acc += A[i][k] * B[k][j];
            C[i][j] = acc;
        }
    }
    uint64_t h = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++)
            h = (h ^ C[i][j]) * 0x100000001B3ull;
    return h;
}

static uint64_t hash(uint32_t pass)
{
    uint64_t x = 0x9E3779B97F4A7C15ull ^ pass;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < HASH_ITERS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t d = (x & 0xFFFF) | 1;
        uint64_t q = x / d;
        uint64_t r = x % d;
        int64_t s = (int64_t)x / -(int64_t)(d | 3);
        acc = (acc ^ q) * 0x100000001B3ull + r + (uint64_t)s;
        if (acc & 1)
            acc = (acc >> 1) ^ 0xD800000000000000ull;
    }
    return acc;
}

static uint64_t gcd_sum(uint32_t pass)
{
    uint64_t x = 88172645463325252ull + pass;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < GCD_PAIRS; i++) {
        x = x * 2862933555777941757ull + 3037000493ull;
        uint64_t a = (x >> 20) | 1;
        x = x * 2862933555777941757ull + 3037000493ull;
        uint64_t b = (x >> 24) | 1;
        while (b != 0) {
            uint64_t t = a % b;
            a = b;
            b = t;
        }
        sum += a;
        int32_t sa = (int32_t)(x >> 33), sb = (int32_t)(x >> 50) | 1;
        sum += (uint32_t)(sa / sb) + (uint32_t)(sa % sb);
    }
    return sum;
}

int main(int argc, char **argv)
{
    unsigned long scale = 100;
    if (argc > 1) {
        char *end;
        errno = 0;
        scale = strtoul(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0') {
            fprintf(stderr, "usage: compute [SCALE]\n");
            return 2;
        }
    }

    uint8_t *composite = malloc(SIEVE_LIMIT + 1);
    if (composite == NULL) {
        fprintf(stderr, "compute: out of memory\n");
        return 1;
    }

    uint64_t s = 0, m = 0, h = 0, g = 0;
    for (uint32_t pass = 0; pass < scale; pass++) {
        s = s * 31u + sieve(composite, SIEVE_LIMIT, pass);
        m = m * 31u + matmul(pass);
        h = h * 31u + hash(pass);
        g = g * 31u + gcd_sum(pass);
    }
    free(composite);

    printf("compute: scale=%lu\n", scale);
    printf("sieve:  %016llx\n", (unsigned long long)s);
    printf("matmul: %016llx\n", (unsigned long long)m);
    printf("hash:   %016llx\n", (unsigned long long)h);
    printf("gcd:    %016llx\n", (unsigned long long)g);
    printf("total:  %016llx\n", (unsigned long long)(s ^ m ^ h ^ g));
    return 0;
}
