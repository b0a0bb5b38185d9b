/*
 * miniredis - a small, single-process, single-threaded Redis-compatible
 * (RESP2) server driven by poll().
 *
 * Portable C: builds with host gcc + glibc and with riscv64-unknown-elf-gcc +
 * picolibc + the project SDK.  Integer-only (no float/double), deterministic
 * (no randomness; time only from CLOCK_MONOTONIC, used for key expiry).
 *
 * Usage: miniredis [--port N] [--bind ADDR]
 *
 * System facilities used: socket, setsockopt, bind, listen, accept, fcntl,
 * poll, read, send, close, clock_gettime, malloc/realloc/free.
 */
#include <stdint.h>
#include <limits.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <errno.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Limits (mostly the Redis defaults)                                        */
/* ------------------------------------------------------------------------ */

#define PROTO_INLINE_MAX (64 * 1024)             /* inline line / header line */
#define PROTO_BULK_MAX (512LL * 1024 * 1024)     /* proto-max-bulk-len */
#define PROTO_BIG_ARG (32 * 1024)                /* read bigger chunks above */
#define IOBUF_LEN (16 * 1024)                    /* normal read size */
#define OUT_PAUSE_LIMIT ((size_t)4 * 1024 * 1024) /* stop executing above */
#define QUERYBUF_MAX ((size_t)1024 * 1024 * 1024) /* client-query-buffer-limit */
#define BUF_SHRINK_CAP ((size_t)1024 * 1024)
#define MAX_ACCEPTS_PER_CALL 1000
#define CRON_PERIOD_MS 100
#define HT_INITIAL_SIZE 16

#if defined(MSG_NOSIGNAL) && !defined(MINIREDIS_NO_MSG_NOSIGNAL)
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif

/* ------------------------------------------------------------------------ */
/* Small utilities                                                           */
/* ------------------------------------------------------------------------ */

static void oom(void)
{
    fprintf(stderr, "miniredis: out of memory\n");
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

static void *xrealloc(void *o, size_t n)
{
    void *p = realloc(o, n ? n : 1);
    if (!p)
        oom();
    return p;
}

/*
 * Small-object allocator for keys and values.  A general-purpose malloc with
 * an address-ordered free list (like picolibc's) makes free() O(number of free
 * chunks), which collapses with a million keys; so objects up to SLAB_MAX
 * bytes come from per-size-class free lists carved out of 64 KiB chunks
 * obtained from malloc (never returned, but reused).  Callers pass the size
 * back to mr_free().  Larger objects go straight to malloc/free.
 */
#define SLAB_MAX 1024
#define SLAB_CHUNK (64 * 1024)
#define SLAB_NCLASSES 22

static void *g_slab_free[SLAB_NCLASSES];
static char *g_slab_ptr[SLAB_NCLASSES];
static size_t g_slab_left[SLAB_NCLASSES];

/* Size class of an n-byte object (-1 = not slab-allocated); *csize gets the
 * class's object size.  Sizes: 16..256 step 16, 384..1024 step 128. */
static int slab_class(size_t n, size_t *csize)
{
    size_t c;
    if (n <= 256) {
        c = n ? (n + 15) / 16 : 1;
        *csize = c * 16;
        return (int)c - 1;
    }
    if (n <= SLAB_MAX) {
        c = (n + 127) / 128; /* 3..8 */
        *csize = c * 128;
        return 16 + (int)c - 3;
    }
    *csize = n;
    return -1;
}

/* Allocates at least n bytes; *usable (optional) gets the usable size, which
 * must be passed back to mr_free() (any size in [n, *usable] also works). */
static void *mr_alloc(size_t n, size_t *usable)
{
    size_t cs;
    int cl = slab_class(n, &cs);
    void *p;
    if (usable)
        *usable = cs;
    if (cl < 0)
        return xmalloc(n);
    if (g_slab_free[cl]) {
        p = g_slab_free[cl];
        g_slab_free[cl] = *(void **)p;
        return p;
    }
    if (g_slab_left[cl] < cs) {
        g_slab_ptr[cl] = xmalloc(SLAB_CHUNK);
        g_slab_left[cl] = SLAB_CHUNK;
    }
    p = g_slab_ptr[cl];
    g_slab_ptr[cl] += cs;
    g_slab_left[cl] -= cs;
    return p;
}

static void mr_free(void *p, size_t n)
{
    size_t cs;
    int cl;
    if (!p)
        return;
    cl = slab_class(n, &cs);
    if (cl < 0) {
        free(p);
        return;
    }
    *(void **)p = g_slab_free[cl];
    g_slab_free[cl] = p;
}

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t need)
{
    size_t nc;
    if (need <= b->cap)
        return;
    nc = b->cap ? b->cap : 256;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) {
            nc = need;
            break;
        }
        nc *= 2;
    }
    b->p = xrealloc(b->p, nc);
    b->cap = nc;
}

static void buf_append(buf_t *b, const void *d, size_t n)
{
    if (n == 0)
        return;
    buf_reserve(b, b->len + n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int to_lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch + ('a' - 'A') : ch;
}

static int is_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
           ch == '\f';
}

static int is_hex(int ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
           (ch >= 'A' && ch <= 'F');
}

static int hex_val(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return ch - 'A' + 10;
}

/* Case-insensitive compare of a binary string with a lowercase C literal. */
static int eq_nocase(const char *p, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (lit[i] == '\0' || to_lower((unsigned char)p[i]) != lit[i])
            return 0;
    }
    return lit[n] == '\0';
}

/* Redis string2ll(): strict decimal, no leading zeros / '+' / spaces. */
static int string2ll(const char *s, size_t slen, long long *value)
{
    const char *p = s;
    size_t plen = 0;
    int negative = 0;
    unsigned long long v;

    if (slen == 0 || slen >= 21)
        return 0;
    if (slen == 1 && p[0] == '0') {
        *value = 0;
        return 1;
    }
    if (p[0] == '-') {
        negative = 1;
        p++;
        plen++;
        if (plen == slen)
            return 0;
    }
    if (p[0] >= '1' && p[0] <= '9') {
        v = (unsigned long long)(p[0] - '0');
        p++;
        plen++;
    } else {
        return 0;
    }
    while (plen < slen && p[0] >= '0' && p[0] <= '9') {
        unsigned long long d = (unsigned long long)(p[0] - '0');
        if (v > ULLONG_MAX / 10)
            return 0;
        v *= 10;
        if (v > ULLONG_MAX - d)
            return 0;
        v += d;
        p++;
        plen++;
    }
    if (plen < slen)
        return 0;
    if (negative) {
        if (v > ((unsigned long long)(-(LLONG_MIN + 1)) + 1))
            return 0;
        if (v == ((unsigned long long)(-(LLONG_MIN + 1)) + 1))
            *value = LLONG_MIN;
        else
            *value = -(long long)v;
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return 0;
        *value = (long long)v;
    }
    return 1;
}

/* Writes the decimal form of v to dst (needs 21 bytes), returns length. */
static size_t ll2str(char *dst, long long v)
{
    char tmp[24];
    size_t n = 0, i = 0;
    unsigned long long u;
    if (v < 0)
        u = (unsigned long long)(-(v + 1)) + 1;
    else
        u = (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (v < 0)
        dst[i++] = '-';
    while (n)
        dst[i++] = tmp[--n];
    return i;
}

/* Length of the printable prefix of a binary arg, like "%.*s" on a C string:
 * at most max bytes, stopping at a NUL. */
static size_t cstr_prefix_len(const char *s, size_t len, size_t max)
{
    size_t n = 0;
    while (n < len && n < max && s[n] != '\0')
        n++;
    return n;
}

static long long g_now; /* cached monotonic milliseconds */

static long long now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return g_now;
    return (long long)ts.tv_sec * 1000 + (long long)(ts.tv_nsec / 1000000);
}

/* ------------------------------------------------------------------------ */
/* Glob matching (Redis stringmatchlen semantics, iterative)                 */
/* ------------------------------------------------------------------------ */

static int glob_eq(int a, int b, int nocase)
{
    if (nocase)
        return to_lower(a) == to_lower(b);
    return a == b;
}

/* Does the single pattern token at pat[0..plen) match ch?  *tok gets the
 * number of pattern bytes the token occupies.  pat[0] must not be '*'. */
static int glob_one(const unsigned char *pat, size_t plen, int ch, size_t *tok,
                    int nocase)
{
    if (pat[0] == '?') {
        *tok = 1;
        return 1;
    }
    if (pat[0] == '\\') {
        if (plen >= 2) {
            *tok = 2;
            return glob_eq(pat[1], ch, nocase);
        }
        *tok = 1;
        return glob_eq('\\', ch, nocase);
    }
    if (pat[0] == '[') {
        size_t i = 1;
        int neg = 0, match = 0;
        if (i < plen && pat[i] == '^') {
            neg = 1;
            i++;
        }
        for (;;) {
            if (i >= plen) { /* unterminated class: consumes the rest */
                break;
            }
            if (pat[i] == '\\' && plen - i >= 2) {
                i++;
                if (glob_eq(pat[i], ch, nocase))
                    match = 1;
            } else if (pat[i] == ']') {
                i++;
                break;
            } else if (plen - i >= 3 && pat[i + 1] == '-') {
                int start = pat[i], end = pat[i + 2], c = ch;
                if (start > end) {
                    int t = start;
                    start = end;
                    end = t;
                }
                if (nocase) {
                    start = to_lower(start);
                    end = to_lower(end);
                    c = to_lower(c);
                }
                if (c >= start && c <= end)
                    match = 1;
                i += 2;
            } else if (glob_eq(pat[i], ch, nocase)) {
                match = 1;
            }
            i++;
        }
        if (i > plen)
            i = plen;
        *tok = i;
        return neg ? !match : match;
    }
    *tok = 1;
    return glob_eq(pat[0], ch, nocase);
}

static int glob_match(const char *pattern, size_t plen, const char *string,
                      size_t slen, int nocase)
{
    const unsigned char *pat = (const unsigned char *)pattern;
    const unsigned char *str = (const unsigned char *)string;
    size_t p = 0, s = 0, star_p = 0, star_s = 0;
    int have_star = 0;

    if (slen == 0)
        return plen == 0;
    while (s < slen) {
        if (p < plen && pat[p] == '*') {
            while (p < plen && pat[p] == '*')
                p++;
            if (p == plen)
                return 1;
            have_star = 1;
            star_p = p;
            star_s = s;
            continue;
        }
        if (p < plen) {
            size_t tok;
            if (glob_one(pat + p, plen - p, str[s], &tok, nocase)) {
                p += tok;
                s++;
                continue;
            }
        }
        if (have_star) {
            star_s++;
            s = star_s;
            p = star_p;
            continue;
        }
        return 0;
    }
    while (p < plen && pat[p] == '*')
        p++;
    return p == plen;
}

/* ------------------------------------------------------------------------ */
/* Keyspace: chained hash table with incremental rehashing                   */
/* ------------------------------------------------------------------------ */

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    long long expire; /* absolute monotonic ms, -1 = persistent */
    char *val;     /* mr_alloc'ed with usable size vcap (NULL if vcap 0) */
    uint32_t vlen, vcap;
    uint32_t klen; /* lengths are <= 512 MB (proto-max-bulk-len) */
    char key[];
} entry;

typedef struct {
    entry **b;
    size_t size; /* 0 or a power of two */
    size_t used;
} htab;

static htab ht[2];
static long long rehashidx = -1;
static size_t g_nexpires;       /* keys carrying a TTL */
static size_t g_expire_cursor;  /* active-expire bucket cursor */

static uint64_t hash_bytes(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    uint64_t h = 0x243f6a8885a308d3ULL ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
    uint64_t k;
    size_t i;
    while (n >= 8) {
        memcpy(&k, s, 8);
        k *= 0x87c37b91114253d5ULL;
        k ^= k >> 31;
        k *= 0x4cf5ad432745937fULL;
        h ^= k;
        h = (h << 27) | (h >> 37);
        h = h * 5 + 0x52dce729ULL;
        s += 8;
        n -= 8;
    }
    k = 0;
    for (i = 0; i < n; i++)
        k |= (uint64_t)s[i] << (8 * i);
    k *= 0x87c37b91114253d5ULL;
    k ^= k >> 31;
    h ^= k;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static int is_rehashing(void)
{
    return rehashidx != -1;
}

static size_t db_size(void)
{
    return ht[0].used + ht[1].used;
}

static void entry_set_expire(entry *e, long long when)
{
    if (e->expire >= 0 && when < 0)
        g_nexpires--;
    else if (e->expire < 0 && when >= 0)
        g_nexpires++;
    e->expire = when;
}

static void entry_free(entry *e)
{
    if (e->expire >= 0)
        g_nexpires--;
    mr_free(e->val, e->vcap);
    mr_free(e, sizeof(entry) + e->klen);
}

static void entry_set_val(entry *e, const char *v, size_t vl)
{
    if (!(vl <= e->vcap && e->vcap <= 2 * vl + 64)) {
        size_t usable;
        mr_free(e->val, e->vcap);
        e->val = mr_alloc(vl, &usable);
        e->vcap = (uint32_t)usable;
    }
    if (vl)
        memcpy(e->val, v, vl);
    e->vlen = (uint32_t)vl;
}

static void ht_rehash_step(size_t n)
{
    size_t empty_visits = n * 10;
    if (!is_rehashing())
        return;
    while (n-- && ht[0].used != 0) {
        entry *e;
        while (ht[0].b[rehashidx] == NULL) {
            rehashidx++;
            if (--empty_visits == 0)
                return;
        }
        e = ht[0].b[rehashidx];
        while (e) {
            entry *nx = e->next;
            size_t i = (size_t)(e->hash & (ht[1].size - 1));
            e->next = ht[1].b[i];
            ht[1].b[i] = e;
            ht[0].used--;
            ht[1].used++;
            e = nx;
        }
        ht[0].b[rehashidx] = NULL;
        rehashidx++;
    }
    if (ht[0].used == 0) {
        free(ht[0].b);
        ht[0] = ht[1];
        ht[1].b = NULL;
        ht[1].size = ht[1].used = 0;
        rehashidx = -1;
    }
}

static void ht_resize(size_t want)
{
    size_t sz = HT_INITIAL_SIZE;
    if (is_rehashing())
        return;
    while (sz < want && sz <= SIZE_MAX / 4)
        sz *= 2;
    if (ht[0].size == 0) {
        ht[0].b = xmalloc(sz * sizeof(entry *));
        memset(ht[0].b, 0, sz * sizeof(entry *));
        ht[0].size = sz;
        ht[0].used = 0;
        return;
    }
    if (sz == ht[0].size)
        return;
    ht[1].b = xmalloc(sz * sizeof(entry *));
    memset(ht[1].b, 0, sz * sizeof(entry *));
    ht[1].size = sz;
    ht[1].used = 0;
    rehashidx = 0;
    if (ht[0].used == 0)
        ht_rehash_step(1); /* completes the swap immediately */
}

static entry *ht_find(const char *k, size_t kl, uint64_t h)
{
    int t;
    if (ht[0].size == 0)
        return NULL;
    if (is_rehashing())
        ht_rehash_step(1);
    for (t = 0; t <= 1; t++) {
        entry *e;
        if (ht[t].size == 0)
            break;
        e = ht[t].b[h & (ht[t].size - 1)];
        while (e) {
            if (e->hash == h && e->klen == kl &&
                (kl == 0 || memcmp(e->key, k, kl) == 0))
                return e;
            e = e->next;
        }
        if (!is_rehashing())
            break;
    }
    return NULL;
}

/* Adds a new key (caller guarantees it is absent) with an empty value. */
static entry *ht_add(const char *k, size_t kl, uint64_t h)
{
    htab *t;
    entry *e;
    size_t i;
    if (is_rehashing())
        ht_rehash_step(1);
    if (ht[0].size == 0)
        ht_resize(HT_INITIAL_SIZE);
    else if (!is_rehashing() && ht[0].used >= ht[0].size)
        ht_resize(ht[0].used * 2);
    t = is_rehashing() ? &ht[1] : &ht[0];
    e = mr_alloc(sizeof(entry) + kl, NULL);
    e->hash = h;
    e->expire = -1;
    e->val = NULL;
    e->vlen = e->vcap = 0;
    e->klen = (uint32_t)kl;
    if (kl)
        memcpy(e->key, k, kl);
    i = (size_t)(h & (t->size - 1));
    e->next = t->b[i];
    t->b[i] = e;
    t->used++;
    return e;
}

/* Unlinks (without freeing) an entry. */
static void ht_unlink(entry *target)
{
    int t;
    for (t = 0; t <= 1; t++) {
        entry **pp;
        if (ht[t].size == 0)
            continue;
        pp = &ht[t].b[target->hash & (ht[t].size - 1)];
        while (*pp) {
            if (*pp == target) {
                *pp = target->next;
                ht[t].used--;
                return;
            }
            pp = &(*pp)->next;
        }
    }
}

static void db_delete_entry(entry *e)
{
    ht_unlink(e);
    entry_free(e);
}

static int entry_expired(const entry *e)
{
    return e->expire >= 0 && g_now > e->expire;
}

/* Lookup with lazy expiry.  *hout (optional) receives the key hash. */
static entry *db_lookup(const char *k, size_t kl, uint64_t *hout)
{
    uint64_t h = hash_bytes(k, kl);
    entry *e = ht_find(k, kl, h);
    if (hout)
        *hout = h;
    if (e && entry_expired(e)) {
        db_delete_entry(e);
        return NULL;
    }
    return e;
}

/* SET semantics: create or overwrite; the TTL is cleared unless keepttl. */
static entry *db_set(const char *k, size_t kl, const char *v, size_t vl,
                     int keepttl)
{
    uint64_t h;
    entry *e = db_lookup(k, kl, &h);
    if (!e)
        e = ht_add(k, kl, h);
    entry_set_val(e, v, vl);
    if (!keepttl)
        entry_set_expire(e, -1);
    return e;
}

static void db_flush(void)
{
    int t;
    for (t = 0; t <= 1; t++) {
        size_t i;
        for (i = 0; i < ht[t].size; i++) {
            entry *e = ht[t].b[i];
            while (e) {
                entry *nx = e->next;
                entry_free(e);
                e = nx;
            }
        }
        free(ht[t].b);
        ht[t].b = NULL;
        ht[t].size = ht[t].used = 0;
    }
    rehashidx = -1;
    g_nexpires = 0;
    g_expire_cursor = 0;
}

/* Active expiry: scan buckets from a rolling cursor in rounds of 4096
 * buckets; keep going while more than 10% of the TTL keys seen were expired,
 * bounded to 64 rounds and ~25 ms per call. */
static void active_expire(void)
{
    size_t round;
    long long start = g_now;
    if (g_nexpires == 0)
        return;
    for (round = 0; round < 64; round++) {
        size_t budget = 4096, deleted = 0, ttl_seen = 0, total;
        while (budget--) {
            htab *t;
            size_t idx;
            entry **pp;
            total = ht[0].size + (is_rehashing() ? ht[1].size : 0);
            if (total == 0 || g_nexpires == 0)
                return;
            if (g_expire_cursor >= total)
                g_expire_cursor = 0;
            if (g_expire_cursor < ht[0].size) {
                t = &ht[0];
                idx = g_expire_cursor;
            } else {
                t = &ht[1];
                idx = g_expire_cursor - ht[0].size;
            }
            pp = &t->b[idx];
            while (*pp) {
                entry *e = *pp;
                if (e->expire >= 0)
                    ttl_seen++;
                if (entry_expired(e)) {
                    *pp = e->next;
                    t->used--;
                    entry_free(e);
                    deleted++;
                } else {
                    pp = &e->next;
                }
            }
            g_expire_cursor++;
        }
        if (ttl_seen == 0 || deleted * 10 <= ttl_seen)
            break;
        if (round % 8 == 7 && now_ms() - start >= 25)
            break;
    }
}

static void db_cron(void)
{
    active_expire();
    if (is_rehashing())
        ht_rehash_step(10000);
    if (!is_rehashing() && ht[0].size > HT_INITIAL_SIZE &&
        ht[0].used * 10 < ht[0].size)
        ht_resize(ht[0].used);
}

/* ------------------------------------------------------------------------ */
/* Clients                                                                   */
/* ------------------------------------------------------------------------ */

#define REQ_NONE 0
#define REQ_INLINE 1
#define REQ_MULTIBULK 2

#define PARSE_MORE 0
#define PARSE_DONE 1
#define PARSE_ERR 2

typedef struct {
    size_t off, len;
} argoff_t;

typedef struct {
    const char *p;
    size_t len;
} arg_t;

typedef struct client {
    int fd;
    int closing; /* close once the output buffer is flushed */
    int paused;  /* stopped executing because the output is too big */
    int dead;
    buf_t in;
    size_t ipos;     /* parse position in in */
    size_t reqstart; /* start of the request being parsed */
    int reqtype;
    long long mbleft;  /* multibulk: bulks still to read (0 = need header) */
    long long bulklen; /* multibulk: current bulk length, -1 = need header */
    argoff_t *av;      /* argument offsets (relative to reqstart / ibuf) */
    size_t ac, avcap;
    buf_t ibuf; /* inline: unescaped arguments */
    buf_t out;
    size_t opos; /* bytes of out already sent */
} client;

static client **g_clients;
static size_t g_nclients, g_clients_cap;
static int g_listen_fd = -1;
static int g_port = 6379;
static arg_t *g_argv;
static size_t g_argv_cap;

static void reset_request(client *c)
{
    c->reqtype = REQ_NONE;
    c->mbleft = 0;
    c->bulklen = -1;
    c->ac = 0;
    c->ibuf.len = 0;
}

static void client_kill(client *c)
{
    if (c->dead)
        return;
    close(c->fd);
    c->fd = -1;
    c->dead = 1;
}

static void client_free(client *c)
{
    buf_free(&c->in);
    buf_free(&c->ibuf);
    buf_free(&c->out);
    free(c->av);
    free(c);
}

static size_t out_pending(const client *c)
{
    return c->out.len - c->opos;
}

/* ---- reply helpers ---- */

static void add_raw(client *c, const char *s, size_t n)
{
    buf_append(&c->out, s, n);
}

/* "-<msg>\r\n" with CR/LF inside msg replaced by spaces. */
static void add_error_len(client *c, const char *msg, size_t n)
{
    size_t i, start;
    add_raw(c, "-", 1);
    start = c->out.len;
    add_raw(c, msg, n);
    for (i = start; i < c->out.len; i++)
        if (c->out.p[i] == '\r' || c->out.p[i] == '\n')
            c->out.p[i] = ' ';
    add_raw(c, "\r\n", 2);
}

static void add_error(client *c, const char *msg)
{
    add_error_len(c, msg, strlen(msg));
}

static void add_prefixed_ll(client *c, char prefix, long long v)
{
    char tmp[32];
    size_t n;
    tmp[0] = prefix;
    n = 1 + ll2str(tmp + 1, v);
    tmp[n++] = '\r';
    tmp[n++] = '\n';
    add_raw(c, tmp, n);
}

static void add_int(client *c, long long v)
{
    if (v == 0)
        add_raw(c, ":0\r\n", 4);
    else if (v == 1)
        add_raw(c, ":1\r\n", 4);
    else
        add_prefixed_ll(c, ':', v);
}

static void add_array(client *c, long long n)
{
    add_prefixed_ll(c, '*', n);
}

static void add_bulk(client *c, const char *p, size_t n)
{
    char tmp[32];
    size_t hl;
    tmp[0] = '$';
    hl = 1 + ll2str(tmp + 1, (long long)n);
    tmp[hl++] = '\r';
    tmp[hl++] = '\n';
    buf_reserve(&c->out, c->out.len + hl + n + 2);
    add_raw(c, tmp, hl);
    add_raw(c, p, n);
    add_raw(c, "\r\n", 2);
}

static void add_bulk_str(client *c, const char *s)
{
    add_bulk(c, s, strlen(s));
}

static void add_null(client *c)
{
    add_raw(c, "$-1\r\n", 5);
}

static void add_ok(client *c)
{
    add_raw(c, "+OK\r\n", 5);
}

static void err_not_int(client *c)
{
    add_error(c, "ERR value is not an integer or out of range");
}

static void err_syntax(client *c)
{
    add_error(c, "ERR syntax error");
}

static void err_arity(client *c, const char *name)
{
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "ERR wrong number of arguments for '%s' command",
             name);
    add_error(c, tmp);
}

static void err_expire_time(client *c, const char *name)
{
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "ERR invalid expire time in '%s' command", name);
    add_error(c, tmp);
}

static void proto_error(client *c, const char *what)
{
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "ERR Protocol error: %s", what);
    add_error(c, tmp);
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                  */
/* ------------------------------------------------------------------------ */

typedef void cmdproc(client *c, int argc, arg_t *argv);

typedef struct {
    const char *name;
    int arity; /* >0 exact, <0 minimum of -arity */
    cmdproc *proc;
} command;

static void cmd_ping(client *c, int argc, arg_t *av)
{
    if (argc > 2) {
        err_arity(c, "ping");
        return;
    }
    if (argc == 1)
        add_raw(c, "+PONG\r\n", 7);
    else
        add_bulk(c, av[1].p, av[1].len);
}

static void cmd_echo(client *c, int argc, arg_t *av)
{
    (void)argc;
    add_bulk(c, av[1].p, av[1].len);
}

static void cmd_get(client *c, int argc, arg_t *av)
{
    entry *e = db_lookup(av[1].p, av[1].len, NULL);
    (void)argc;
    if (!e)
        add_null(c);
    else
        add_bulk(c, e->val, e->vlen);
}

#define SET_NX (1 << 0)
#define SET_XX (1 << 1)
#define SET_GET (1 << 2)
#define SET_KEEPTTL (1 << 3)
#define SET_EX (1 << 4)
#define SET_PX (1 << 5)

/* Parses a relative expire (seconds or ms) into an absolute monotonic time.
 * Returns 0 and replies with an error on failure. */
static int parse_expire(client *c, const arg_t *a, int seconds,
                        const char *cmdname, long long *when)
{
    long long v;
    if (!string2ll(a->p, a->len, &v)) {
        err_not_int(c);
        return 0;
    }
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) {
        err_expire_time(c, cmdname);
        return 0;
    }
    if (seconds)
        v *= 1000;
    if (v > LLONG_MAX - g_now) {
        err_expire_time(c, cmdname);
        return 0;
    }
    *when = g_now + v;
    return 1;
}

static void set_generic(client *c, const arg_t *key, const arg_t *val,
                        int flags, long long when)
{
    entry *e;
    if (flags & SET_GET) {
        e = db_lookup(key->p, key->len, NULL);
        if (e)
            add_bulk(c, e->val, e->vlen);
        else
            add_null(c);
    }
    if (flags & (SET_NX | SET_XX)) {
        int found = db_lookup(key->p, key->len, NULL) != NULL;
        if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
            if (!(flags & SET_GET))
                add_null(c);
            return;
        }
    }
    e = db_set(key->p, key->len, val->p, val->len, flags & SET_KEEPTTL);
    if (when >= 0)
        entry_set_expire(e, when);
    if (!(flags & SET_GET))
        add_ok(c);
}

static void cmd_set(client *c, int argc, arg_t *av)
{
    int flags = 0, j;
    const arg_t *expire = NULL;
    long long when = -1;
    for (j = 3; j < argc; j++) {
        const arg_t *o = &av[j];
        int has_next = j < argc - 1;
        if (eq_nocase(o->p, o->len, "nx") && !(flags & SET_XX)) {
            flags |= SET_NX;
        } else if (eq_nocase(o->p, o->len, "xx") && !(flags & SET_NX)) {
            flags |= SET_XX;
        } else if (eq_nocase(o->p, o->len, "get")) {
            flags |= SET_GET;
        } else if (eq_nocase(o->p, o->len, "keepttl") &&
                   !(flags & (SET_EX | SET_PX))) {
            flags |= SET_KEEPTTL;
        } else if (eq_nocase(o->p, o->len, "ex") &&
                   !(flags & (SET_KEEPTTL | SET_PX)) && has_next) {
            flags |= SET_EX;
            expire = &av[++j];
        } else if (eq_nocase(o->p, o->len, "px") &&
                   !(flags & (SET_KEEPTTL | SET_EX)) && has_next) {
            flags |= SET_PX;
            expire = &av[++j];
        } else {
            err_syntax(c);
            return;
        }
    }
    if (expire && !parse_expire(c, expire, flags & SET_EX, "set", &when))
        return;
    set_generic(c, &av[1], &av[2], flags, when);
}

static void cmd_setnx(client *c, int argc, arg_t *av)
{
    (void)argc;
    if (db_lookup(av[1].p, av[1].len, NULL)) {
        add_int(c, 0);
        return;
    }
    db_set(av[1].p, av[1].len, av[2].p, av[2].len, 0);
    add_int(c, 1);
}

static void cmd_setex(client *c, int argc, arg_t *av)
{
    long long when;
    (void)argc;
    if (!parse_expire(c, &av[2], 1, "setex", &when))
        return;
    set_generic(c, &av[1], &av[3], 0, when);
}

static void cmd_psetex(client *c, int argc, arg_t *av)
{
    long long when;
    (void)argc;
    if (!parse_expire(c, &av[2], 0, "psetex", &when))
        return;
    set_generic(c, &av[1], &av[3], 0, when);
}

static void cmd_getset(client *c, int argc, arg_t *av)
{
    (void)argc;
    set_generic(c, &av[1], &av[2], SET_GET, -1);
}

static void cmd_getdel(client *c, int argc, arg_t *av)
{
    entry *e = db_lookup(av[1].p, av[1].len, NULL);
    (void)argc;
    if (!e) {
        add_null(c);
        return;
    }
    add_bulk(c, e->val, e->vlen);
    db_delete_entry(e);
}

static void cmd_del(client *c, int argc, arg_t *av)
{
    long long n = 0;
    int j;
    for (j = 1; j < argc; j++) {
        entry *e = db_lookup(av[j].p, av[j].len, NULL);
        if (e) {
            db_delete_entry(e);
            n++;
        }
    }
    add_int(c, n);
}

static void cmd_exists(client *c, int argc, arg_t *av)
{
    long long n = 0;
    int j;
    for (j = 1; j < argc; j++)
        if (db_lookup(av[j].p, av[j].len, NULL))
            n++;
    add_int(c, n);
}

static void incr_generic(client *c, const arg_t *key, long long incr)
{
    uint64_t h;
    entry *e = db_lookup(key->p, key->len, &h);
    long long v = 0;
    char tmp[24];
    size_t n;
    if (e && !string2ll(e->val, e->vlen, &v)) {
        err_not_int(c);
        return;
    }
    if ((incr < 0 && v < 0 && incr < (LLONG_MIN - v)) ||
        (incr > 0 && v > 0 && incr > (LLONG_MAX - v))) {
        add_error(c, "ERR increment or decrement would overflow");
        return;
    }
    v += incr;
    n = ll2str(tmp, v);
    if (!e)
        e = ht_add(key->p, key->len, h);
    if (e->vcap < 24) {
        size_t usable;
        mr_free(e->val, e->vcap);
        e->val = mr_alloc(24, &usable);
        e->vcap = (uint32_t)usable;
    }
    memcpy(e->val, tmp, n);
    e->vlen = (uint32_t)n;
    add_int(c, v);
}

static void cmd_incr(client *c, int argc, arg_t *av)
{
    (void)argc;
    incr_generic(c, &av[1], 1);
}

static void cmd_decr(client *c, int argc, arg_t *av)
{
    (void)argc;
    incr_generic(c, &av[1], -1);
}

static void cmd_incrby(client *c, int argc, arg_t *av)
{
    long long incr;
    (void)argc;
    if (!string2ll(av[2].p, av[2].len, &incr)) {
        err_not_int(c);
        return;
    }
    incr_generic(c, &av[1], incr);
}

static void cmd_decrby(client *c, int argc, arg_t *av)
{
    long long incr;
    (void)argc;
    if (!string2ll(av[2].p, av[2].len, &incr)) {
        err_not_int(c);
        return;
    }
    if (incr == LLONG_MIN) {
        add_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, &av[1], -incr);
}

static void cmd_append(client *c, int argc, arg_t *av)
{
    uint64_t h;
    entry *e = db_lookup(av[1].p, av[1].len, &h);
    size_t newlen;
    (void)argc;
    if (!e) {
        e = ht_add(av[1].p, av[1].len, h);
        entry_set_val(e, av[2].p, av[2].len);
        add_int(c, (long long)e->vlen);
        return;
    }
    if (e->vlen + av[2].len > (size_t)PROTO_BULK_MAX) {
        add_error(c, "ERR string exceeds maximum allowed size "
                     "(proto-max-bulk-len)");
        return;
    }
    newlen = e->vlen + av[2].len;
    if (newlen > e->vcap) {
        size_t nc = (size_t)e->vcap * 2, usable;
        char *nv;
        if (e->vcap >= BUF_SHRINK_CAP)
            nc = (size_t)e->vcap + BUF_SHRINK_CAP;
        if (nc < newlen)
            nc = newlen;
        if (nc > (size_t)PROTO_BULK_MAX)
            nc = (size_t)PROTO_BULK_MAX;
        if (e->vcap > SLAB_MAX && nc > SLAB_MAX) {
            nv = xrealloc(e->val, nc);
            usable = nc;
        } else {
            nv = mr_alloc(nc, &usable);
            if (e->vlen)
                memcpy(nv, e->val, e->vlen);
            mr_free(e->val, e->vcap);
        }
        e->val = nv;
        e->vcap = (uint32_t)usable;
    }
    if (av[2].len)
        memcpy(e->val + e->vlen, av[2].p, av[2].len);
    e->vlen = (uint32_t)newlen;
    add_int(c, (long long)newlen);
}

static void cmd_strlen(client *c, int argc, arg_t *av)
{
    entry *e = db_lookup(av[1].p, av[1].len, NULL);
    (void)argc;
    add_int(c, e ? (long long)e->vlen : 0);
}

static void cmd_mget(client *c, int argc, arg_t *av)
{
    int j;
    add_array(c, argc - 1);
    for (j = 1; j < argc; j++) {
        entry *e = db_lookup(av[j].p, av[j].len, NULL);
        if (e)
            add_bulk(c, e->val, e->vlen);
        else
            add_null(c);
    }
}

static void cmd_mset(client *c, int argc, arg_t *av)
{
    int j;
    if (argc % 2 == 0) {
        err_arity(c, "mset");
        return;
    }
    for (j = 1; j < argc; j += 2)
        db_set(av[j].p, av[j].len, av[j + 1].p, av[j + 1].len, 0);
    add_ok(c);
}

static void cmd_msetnx(client *c, int argc, arg_t *av)
{
    int j;
    if (argc % 2 == 0) {
        err_arity(c, "msetnx");
        return;
    }
    for (j = 1; j < argc; j += 2) {
        if (db_lookup(av[j].p, av[j].len, NULL)) {
            add_int(c, 0);
            return;
        }
    }
    for (j = 1; j < argc; j += 2)
        db_set(av[j].p, av[j].len, av[j + 1].p, av[j + 1].len, 0);
    add_int(c, 1);
}

static void cmd_dbsize(client *c, int argc, arg_t *av)
{
    (void)argc;
    (void)av;
    add_int(c, (long long)db_size());
}

static void cmd_flushall(client *c, int argc, arg_t *av)
{
    if (argc > 2 || (argc == 2 && !eq_nocase(av[1].p, av[1].len, "sync") &&
                     !eq_nocase(av[1].p, av[1].len, "async"))) {
        err_syntax(c);
        return;
    }
    db_flush();
    add_ok(c);
}

static void cmd_keys(client *c, int argc, arg_t *av)
{
    const char *pat = av[1].p;
    size_t plen = av[1].len;
    int allkeys = (plen == 1 && pat[0] == '*');
    int pass;
    long long count = 0;
    (void)argc;
    for (pass = 0; pass < 2; pass++) {
        int t;
        if (pass == 1)
            add_array(c, count);
        for (t = 0; t <= 1; t++) {
            size_t i;
            for (i = 0; i < ht[t].size; i++) {
                entry *e;
                for (e = ht[t].b[i]; e; e = e->next) {
                    if (entry_expired(e))
                        continue;
                    if (!allkeys && !glob_match(pat, plen, e->key, e->klen, 0))
                        continue;
                    if (pass == 0)
                        count++;
                    else
                        add_bulk(c, e->key, e->klen);
                }
            }
        }
    }
}

static size_t command_count(void);

static void cmd_command(client *c, int argc, arg_t *av)
{
    if (argc >= 2 && eq_nocase(av[1].p, av[1].len, "count")) {
        add_int(c, (long long)command_count());
        return;
    }
    add_array(c, 0);
}

static void cmd_config(client *c, int argc, arg_t *av)
{
    if (eq_nocase(av[1].p, av[1].len, "get")) {
        char portstr[24];
        const char *params[][2] = {
            {"appendonly", "no"},   {"bind", "*"},
            {"databases", "1"},     {"maxclients", "10000"},
            {"maxmemory", "0"},     {"port", portstr},
            {"proto-max-bulk-len", "536870912"},
            {"save", ""},           {"timeout", "0"},
        };
        size_t np = sizeof(params) / sizeof(params[0]);
        size_t i;
        int j;
        long long count = 0;
        unsigned char hit[sizeof(params) / sizeof(params[0])];
        if (argc < 3) {
            err_arity(c, "config|get");
            return;
        }
        portstr[ll2str(portstr, g_port)] = '\0';
        memset(hit, 0, sizeof(hit));
        for (j = 2; j < argc; j++)
            for (i = 0; i < np; i++)
                if (!hit[i] && glob_match(av[j].p, av[j].len, params[i][0],
                                          strlen(params[i][0]), 1)) {
                    hit[i] = 1;
                    count++;
                }
        add_array(c, count * 2);
        for (i = 0; i < np; i++) {
            if (hit[i]) {
                add_bulk_str(c, params[i][0]);
                add_bulk_str(c, params[i][1]);
            }
        }
    } else if (eq_nocase(av[1].p, av[1].len, "set")) {
        char tmp[256];
        if (argc < 4 || argc % 2 != 0) {
            err_arity(c, "config|set");
            return;
        }
        snprintf(tmp, sizeof(tmp),
                 "ERR Unknown option or number of arguments for CONFIG SET - "
                 "'%.*s'",
                 (int)cstr_prefix_len(av[2].p, av[2].len, 128), av[2].p);
        add_error(c, tmp);
    } else if (eq_nocase(av[1].p, av[1].len, "resetstat")) {
        add_ok(c);
    } else {
        char tmp[256];
        snprintf(tmp, sizeof(tmp),
                 "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
                 (int)cstr_prefix_len(av[1].p, av[1].len, 128), av[1].p);
        add_error(c, tmp);
    }
}

static void cmd_select(client *c, int argc, arg_t *av)
{
    long long id;
    (void)argc;
    if (!string2ll(av[1].p, av[1].len, &id) || id < INT_MIN || id > INT_MAX) {
        add_error(c, "ERR invalid DB index");
        return;
    }
    if (id != 0) {
        add_error(c, "ERR DB index is out of range");
        return;
    }
    add_ok(c);
}

static void cmd_quit(client *c, int argc, arg_t *av)
{
    (void)argc;
    (void)av;
    add_ok(c);
    c->closing = 1;
}

static void ttl_generic(client *c, const arg_t *key, int ms)
{
    entry *e = db_lookup(key->p, key->len, NULL);
    long long ttl;
    if (!e) {
        add_int(c, -2);
        return;
    }
    if (e->expire < 0) {
        add_int(c, -1);
        return;
    }
    ttl = e->expire - g_now;
    if (ttl < 0)
        ttl = 0;
    add_int(c, ms ? ttl : (ttl + 500) / 1000);
}

static void cmd_ttl(client *c, int argc, arg_t *av)
{
    (void)argc;
    ttl_generic(c, &av[1], 0);
}

static void cmd_pttl(client *c, int argc, arg_t *av)
{
    (void)argc;
    ttl_generic(c, &av[1], 1);
}

#define EXP_NX 1
#define EXP_XX 2
#define EXP_GT 4
#define EXP_LT 8

static void expire_generic(client *c, int argc, arg_t *av, int seconds,
                           const char *name)
{
    int flags = 0, j;
    long long when;
    entry *e;
    for (j = 3; j < argc; j++) {
        if (eq_nocase(av[j].p, av[j].len, "nx"))
            flags |= EXP_NX;
        else if (eq_nocase(av[j].p, av[j].len, "xx"))
            flags |= EXP_XX;
        else if (eq_nocase(av[j].p, av[j].len, "gt"))
            flags |= EXP_GT;
        else if (eq_nocase(av[j].p, av[j].len, "lt"))
            flags |= EXP_LT;
        else {
            char tmp[200];
            snprintf(tmp, sizeof(tmp), "ERR Unsupported option %.*s",
                     (int)cstr_prefix_len(av[j].p, av[j].len, 128), av[j].p);
            add_error(c, tmp);
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        add_error(c, "ERR NX and XX, GT or LT options at the same time are "
                     "not compatible");
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        add_error(c,
                  "ERR GT and LT options at the same time are not compatible");
        return;
    }
    if (!string2ll(av[2].p, av[2].len, &when)) {
        err_not_int(c);
        return;
    }
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            err_expire_time(c, name);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - g_now) {
        err_expire_time(c, name);
        return;
    }
    when += g_now;
    e = db_lookup(av[1].p, av[1].len, NULL);
    if (!e) {
        add_int(c, 0);
        return;
    }
    if (flags) {
        long long cur = e->expire;
        if ((flags & EXP_NX) && cur != -1) {
            add_int(c, 0);
            return;
        }
        if ((flags & EXP_XX) && cur == -1) {
            add_int(c, 0);
            return;
        }
        if ((flags & EXP_GT) && (when <= cur || cur == -1)) {
            add_int(c, 0);
            return;
        }
        if ((flags & EXP_LT) && cur != -1 && when >= cur) {
            add_int(c, 0);
            return;
        }
    }
    if (when <= g_now)
        db_delete_entry(e);
    else
        entry_set_expire(e, when);
    add_int(c, 1);
}

static void cmd_expire(client *c, int argc, arg_t *av)
{
    expire_generic(c, argc, av, 1, "expire");
}

static void cmd_pexpire(client *c, int argc, arg_t *av)
{
    expire_generic(c, argc, av, 0, "pexpire");
}

static void cmd_persist(client *c, int argc, arg_t *av)
{
    entry *e = db_lookup(av[1].p, av[1].len, NULL);
    (void)argc;
    if (!e || e->expire < 0) {
        add_int(c, 0);
        return;
    }
    entry_set_expire(e, -1);
    add_int(c, 1);
}

static void cmd_type(client *c, int argc, arg_t *av)
{
    (void)argc;
    if (db_lookup(av[1].p, av[1].len, NULL))
        add_raw(c, "+string\r\n", 9);
    else
        add_raw(c, "+none\r\n", 7);
}

static void cmd_rename(client *c, int argc, arg_t *av)
{
    entry *src = db_lookup(av[1].p, av[1].len, NULL);
    entry *dst;
    uint64_t h;
    (void)argc;
    if (!src) {
        add_error(c, "ERR no such key");
        return;
    }
    if (av[1].len == av[2].len &&
        (av[1].len == 0 || memcmp(av[1].p, av[2].p, av[1].len) == 0)) {
        add_ok(c);
        return;
    }
    dst = db_lookup(av[2].p, av[2].len, &h);
    if (dst)
        db_delete_entry(dst);
    dst = ht_add(av[2].p, av[2].len, h);
    /* move the value buffer and TTL over */
    dst->val = src->val;
    dst->vlen = src->vlen;
    dst->vcap = src->vcap;
    src->val = NULL;
    src->vlen = src->vcap = 0;
    entry_set_expire(dst, src->expire);
    db_delete_entry(src);
    add_ok(c);
}

static void cmd_info(client *c, int argc, arg_t *av)
{
    char tmp[512];
    int n;
    (void)argc;
    (void)av;
    n = snprintf(tmp, sizeof(tmp),
                 "# Server\r\n"
                 "redis_version:7.0.0\r\n"
                 "redis_mode:standalone\r\n"
                 "miniredis:1\r\n"
                 "multiplexing_api:poll\r\n"
                 "arch_bits:64\r\n"
                 "tcp_port:%d\r\n"
                 "\r\n"
                 "# Clients\r\n"
                 "connected_clients:%lu\r\n"
                 "\r\n"
                 "# Keyspace\r\n",
                 g_port, (unsigned long)g_nclients);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        n = 0;
    if (db_size() > 0) {
        int m = snprintf(tmp + n, sizeof(tmp) - (size_t)n,
                         "db0:keys=%lu,expires=%lu,avg_ttl=0\r\n",
                         (unsigned long)db_size(), (unsigned long)g_nexpires);
        if (m > 0 && (size_t)m < sizeof(tmp) - (size_t)n)
            n += m;
    }
    add_bulk(c, tmp, (size_t)n);
}

static void server_exit(int code)
{
    size_t i;
    for (i = 0; i < g_nclients; i++)
        if (!g_clients[i]->dead)
            close(g_clients[i]->fd);
    if (g_listen_fd >= 0)
        close(g_listen_fd);
    exit(code);
}

static void cmd_shutdown(client *c, int argc, arg_t *av)
{
    int j, save = 0, nosave = 0, abort_ = 0;
    for (j = 1; j < argc; j++) {
        if (eq_nocase(av[j].p, av[j].len, "nosave"))
            nosave = 1;
        else if (eq_nocase(av[j].p, av[j].len, "save"))
            save = 1;
        else if (eq_nocase(av[j].p, av[j].len, "now") ||
                 eq_nocase(av[j].p, av[j].len, "force"))
            ;
        else if (eq_nocase(av[j].p, av[j].len, "abort"))
            abort_ = 1;
        else {
            err_syntax(c);
            return;
        }
    }
    if ((save && nosave) || (abort_ && argc != 2)) {
        err_syntax(c);
        return;
    }
    if (abort_) {
        add_error(c, "ERR No shutdown in progress.");
        return;
    }
    server_exit(0);
}

static const command cmdtab[] = {
    {"get", 2, cmd_get},         {"set", -3, cmd_set},
    {"ping", -1, cmd_ping},      {"incr", 2, cmd_incr},
    {"mset", -3, cmd_mset},      {"mget", -2, cmd_mget},
    {"del", -2, cmd_del},        {"exists", -2, cmd_exists},
    {"echo", 2, cmd_echo},       {"decr", 2, cmd_decr},
    {"incrby", 3, cmd_incrby},   {"decrby", 3, cmd_decrby},
    {"append", 3, cmd_append},   {"strlen", 2, cmd_strlen},
    {"setnx", 3, cmd_setnx},     {"setex", 4, cmd_setex},
    {"psetex", 4, cmd_psetex},   {"getset", 3, cmd_getset},
    {"getdel", 2, cmd_getdel},   {"msetnx", -3, cmd_msetnx},
    {"unlink", -2, cmd_del},     {"dbsize", 1, cmd_dbsize},
    {"flushall", -1, cmd_flushall}, {"flushdb", -1, cmd_flushall},
    {"keys", 2, cmd_keys},       {"command", -1, cmd_command},
    {"config", -2, cmd_config},  {"select", 2, cmd_select},
    {"quit", -1, cmd_quit},      {"ttl", 2, cmd_ttl},
    {"pttl", 2, cmd_pttl},       {"expire", -3, cmd_expire},
    {"pexpire", -3, cmd_pexpire}, {"persist", 2, cmd_persist},
    {"type", 2, cmd_type},       {"rename", 3, cmd_rename},
    {"info", -1, cmd_info},      {"shutdown", -1, cmd_shutdown},
};
static const size_t cmdtab_len = sizeof(cmdtab) / sizeof(cmdtab[0]);

static size_t command_count(void)
{
    return cmdtab_len;
}

static const command *lookup_command(const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < cmdtab_len; i++)
        if (eq_nocase(name, len, cmdtab[i].name))
            return &cmdtab[i];
    return NULL;
}

static void err_unknown_command(client *c, int argc, arg_t *av)
{
    buf_t b = {NULL, 0, 0};
    size_t args_start, n;
    int i;
    buf_append(&b, "ERR unknown command '", 21);
    n = cstr_prefix_len(av[0].p, av[0].len, 128);
    buf_append(&b, av[0].p, n);
    buf_append(&b, "', with args beginning with: ", 29);
    args_start = b.len;
    for (i = 1; i < argc && b.len - args_start < 128; i++) {
        n = cstr_prefix_len(av[i].p, av[i].len, 128 - (b.len - args_start));
        buf_append(&b, "'", 1);
        buf_append(&b, av[i].p, n);
        buf_append(&b, "' ", 2);
    }
    add_error_len(c, b.p, b.len);
    buf_free(&b);
}

static void exec_command(client *c)
{
    const char *base;
    const command *cmd;
    int argc = (int)c->ac;
    size_t i;
    if (c->ac > g_argv_cap) {
        size_t nc = g_argv_cap ? g_argv_cap : 16;
        while (nc < c->ac)
            nc *= 2;
        g_argv = xrealloc(g_argv, nc * sizeof(arg_t));
        g_argv_cap = nc;
    }
    base = (c->reqtype == REQ_INLINE) ? c->ibuf.p : c->in.p + c->reqstart;
    for (i = 0; i < c->ac; i++) {
        g_argv[i].p = base ? base + c->av[i].off : "";
        g_argv[i].len = c->av[i].len;
    }
    cmd = lookup_command(g_argv[0].p, g_argv[0].len);
    if (!cmd) {
        err_unknown_command(c, argc, g_argv);
        return;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) ||
        (cmd->arity < 0 && argc < -cmd->arity)) {
        err_arity(c, cmd->name);
        return;
    }
    cmd->proc(c, argc, g_argv);
}

/* ------------------------------------------------------------------------ */
/* Request parsing                                                           */
/* ------------------------------------------------------------------------ */

static void push_arg(client *c, size_t off, size_t len)
{
    if (c->ac == c->avcap) {
        size_t nc = c->avcap ? c->avcap * 2 : 8;
        c->av = xrealloc(c->av, nc * sizeof(argoff_t));
        c->avcap = nc;
    }
    c->av[c->ac].off = off;
    c->av[c->ac].len = len;
    c->ac++;
}

static int parse_multibulk(client *c)
{
    const char *buf = c->in.p;
    size_t len = c->in.len;
    const char *nl;
    size_t nlpos;
    long long ll;

    if (c->mbleft == 0) {
        nl = memchr(buf + c->ipos, '\r', len - c->ipos);
        if (!nl) {
            if (len - c->ipos > PROTO_INLINE_MAX) {
                proto_error(c, "too big mbulk count string");
                return PARSE_ERR;
            }
            return PARSE_MORE;
        }
        nlpos = (size_t)(nl - buf);
        if (nlpos + 1 >= len)
            return PARSE_MORE;
        if (!string2ll(buf + c->ipos + 1, nlpos - (c->ipos + 1), &ll) ||
            ll > INT_MAX) {
            proto_error(c, "invalid multibulk length");
            return PARSE_ERR;
        }
        c->ipos = nlpos + 2;
        if (ll <= 0)
            return PARSE_DONE; /* empty request, ignored */
        c->mbleft = ll;
    }
    while (c->mbleft > 0) {
        if (c->bulklen == -1) {
            if (c->ipos >= len)
                return PARSE_MORE;
            nl = memchr(buf + c->ipos, '\r', len - c->ipos);
            if (!nl) {
                if (len - c->ipos > PROTO_INLINE_MAX) {
                    proto_error(c, "too big bulk count string");
                    return PARSE_ERR;
                }
                return PARSE_MORE;
            }
            nlpos = (size_t)(nl - buf);
            if (nlpos + 1 >= len)
                return PARSE_MORE;
            if (buf[c->ipos] != '$') {
                char tmp[64];
                memcpy(tmp, "ERR Protocol error: expected '$', got '", 39);
                tmp[39] = buf[c->ipos];
                tmp[40] = '\'';
                add_error_len(c, tmp, 41);
                return PARSE_ERR;
            }
            if (!string2ll(buf + c->ipos + 1, nlpos - (c->ipos + 1), &ll) ||
                ll < 0 || ll > PROTO_BULK_MAX) {
                proto_error(c, "invalid bulk length");
                return PARSE_ERR;
            }
            c->ipos = nlpos + 2;
            c->bulklen = ll;
        }
        if (len - c->ipos < (size_t)c->bulklen + 2)
            return PARSE_MORE;
        push_arg(c, c->ipos - c->reqstart, (size_t)c->bulklen);
        c->ipos += (size_t)c->bulklen + 2;
        c->bulklen = -1;
        c->mbleft--;
    }
    return PARSE_DONE;
}

/* Splits an inline line like Redis sdssplitargs() into c->ibuf / c->av.
 * Returns 0 on unbalanced quotes. */
static int split_inline(client *c, const char *line, size_t n)
{
    const char *p = line, *end;
    const char *nul = memchr(line, '\0', n);
    end = nul ? nul : line + n; /* like C strings: a NUL ends the line */

    for (;;) {
        int inq = 0, insq = 0, done = 0;
        size_t start;
        while (p < end && is_space((unsigned char)*p))
            p++;
        if (p >= end)
            return 1;
        start = c->ibuf.len;
        while (!done) {
            int ch = (p < end) ? (unsigned char)*p : 0;
            int next = (p + 1 < end) ? (unsigned char)p[1] : 0;
            if (inq) {
                if (ch == '\\' && next == 'x' && p + 3 < end &&
                    is_hex((unsigned char)p[2]) && is_hex((unsigned char)p[3])) {
                    char b = (char)(hex_val((unsigned char)p[2]) * 16 +
                                    hex_val((unsigned char)p[3]));
                    buf_append(&c->ibuf, &b, 1);
                    p += 3;
                } else if (ch == '\\' && next) {
                    char b;
                    p++;
                    switch (next) {
                    case 'n': b = '\n'; break;
                    case 'r': b = '\r'; break;
                    case 't': b = '\t'; break;
                    case 'b': b = '\b'; break;
                    case 'a': b = '\a'; break;
                    default: b = (char)next; break;
                    }
                    buf_append(&c->ibuf, &b, 1);
                } else if (ch == '"') {
                    if (next && !is_space(next))
                        return 0;
                    done = 1;
                } else if (!ch) {
                    return 0;
                } else {
                    char b = (char)ch;
                    buf_append(&c->ibuf, &b, 1);
                }
            } else if (insq) {
                if (ch == '\\' && next == '\'') {
                    p++;
                    buf_append(&c->ibuf, "'", 1);
                } else if (ch == '\'') {
                    if (next && !is_space(next))
                        return 0;
                    done = 1;
                } else if (!ch) {
                    return 0;
                } else {
                    char b = (char)ch;
                    buf_append(&c->ibuf, &b, 1);
                }
            } else {
                switch (ch) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"':
                    inq = 1;
                    break;
                case '\'':
                    insq = 1;
                    break;
                default: {
                    char b = (char)ch;
                    buf_append(&c->ibuf, &b, 1);
                    break;
                }
                }
            }
            if (p < end)
                p++;
        }
        push_arg(c, start, c->ibuf.len - start);
    }
}

static int parse_inline(client *c)
{
    const char *buf = c->in.p + c->ipos;
    size_t avail = c->in.len - c->ipos;
    const char *nl = memchr(buf, '\n', avail);
    size_t linelen;
    if (!nl) {
        if (avail > PROTO_INLINE_MAX) {
            proto_error(c, "too big inline request");
            return PARSE_ERR;
        }
        return PARSE_MORE;
    }
    linelen = (size_t)(nl - buf);
    if (linelen && buf[linelen - 1] == '\r')
        linelen--;
    if (!split_inline(c, buf, linelen)) {
        proto_error(c, "unbalanced quotes in request");
        return PARSE_ERR;
    }
    c->ipos += (size_t)(nl - buf) + 1;
    return PARSE_DONE;
}

static void process_input(client *c)
{
    size_t keep;
    c->paused = 0;
    while (!c->closing && !c->dead && c->ipos < c->in.len) {
        int r;
        if (out_pending(c) >= OUT_PAUSE_LIMIT) {
            c->paused = 1;
            break;
        }
        if (c->reqtype == REQ_NONE) {
            c->reqtype = c->in.p[c->ipos] == '*' ? REQ_MULTIBULK : REQ_INLINE;
            c->reqstart = c->ipos;
        }
        r = (c->reqtype == REQ_INLINE) ? parse_inline(c) : parse_multibulk(c);
        if (r == PARSE_MORE)
            break;
        if (r == PARSE_ERR) {
            c->closing = 1;
            reset_request(c);
            break;
        }
        if (c->ac > 0)
            exec_command(c);
        reset_request(c);
    }
    if (c->dead)
        return;
    /* compact the query buffer */
    keep = (c->reqtype != REQ_NONE) ? c->reqstart : c->ipos;
    if (keep >= c->in.len) {
        c->in.len = 0;
        c->ipos = 0;
        c->reqstart = 0;
        if (c->in.cap > BUF_SHRINK_CAP)
            buf_free(&c->in);
    } else if (keep > 0) {
        memmove(c->in.p, c->in.p + keep, c->in.len - keep);
        c->in.len -= keep;
        c->ipos -= keep;
        c->reqstart = 0;
    }
    if (c->in.cap > BUF_SHRINK_CAP && c->in.len == 0)
        buf_free(&c->in);
}

/* ------------------------------------------------------------------------ */
/* Networking                                                                */
/* ------------------------------------------------------------------------ */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Returns -1 if the client must be closed. */
static int client_read(client *c)
{
    size_t readlen = IOBUF_LEN;
    size_t unprocessed;
    ssize_t n;
    if (c->reqtype == REQ_MULTIBULK && c->bulklen >= PROTO_BIG_ARG) {
        size_t want = c->ipos + (size_t)c->bulklen + 2;
        if (want > c->in.len) {
            size_t rem = want - c->in.len;
            size_t lim = c->in.len + 65536; /* grow geometrically */
            if (rem > lim)
                rem = lim;
            if (rem > readlen)
                readlen = rem;
        }
    }
    buf_reserve(&c->in, c->in.len + readlen);
    n = read(c->fd, c->in.p + c->in.len, readlen);
    if (n > 0) {
        c->in.len += (size_t)n;
    } else if (n == 0) {
        return -1;
    } else {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        return -1;
    }
    unprocessed = c->in.len - ((c->reqtype != REQ_NONE) ? c->reqstart : c->ipos);
    if (unprocessed > QUERYBUF_MAX)
        return -1;
    return 0;
}

/* Returns -1 if the client was closed. */
static int client_flush(client *c)
{
    while (c->opos < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->opos, c->out.len - c->opos,
                         SEND_FLAGS);
        if (n > 0) {
            c->opos += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        client_kill(c);
        return -1;
    }
    if (c->opos == c->out.len) {
        c->opos = 0;
        c->out.len = 0;
        if (c->out.cap > BUF_SHRINK_CAP)
            buf_free(&c->out);
        if (c->closing) {
            client_kill(c);
            return -1;
        }
    } else if (c->opos >= BUF_SHRINK_CAP && c->opos >= c->out.len / 2) {
        memmove(c->out.p, c->out.p + c->opos, c->out.len - c->opos);
        c->out.len -= c->opos;
        c->opos = 0;
    }
    return 0;
}

static void client_after_io(client *c)
{
    for (;;) {
        if (client_flush(c) < 0)
            return;
        if (!c->paused || c->closing)
            return;
        if (out_pending(c) >= OUT_PAUSE_LIMIT)
            return;
        process_input(c);
        if (c->dead)
            return;
    }
}

static void handle_client(client *c, short revents)
{
    if (c->dead)
        return;
    if (revents & (POLLERR | POLLNVAL)) {
        client_kill(c);
        return;
    }
    if (revents & POLLIN) {
        if (client_read(c) < 0) {
            client_kill(c);
            return;
        }
        process_input(c);
        if (c->dead)
            return;
    } else if ((revents & POLLHUP) && !(revents & POLLOUT)) {
        client_kill(c);
        return;
    }
    client_after_io(c);
}

static long long g_accept_paused_until = -1;

static void accept_clients(void)
{
    int k;
    for (k = 0; k < MAX_ACCEPTS_PER_CALL; k++) {
        client *c;
        int fd = accept(g_listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM)
                g_accept_paused_until = g_now + CRON_PERIOD_MS;
            return;
        }
        if (set_nonblock(fd) < 0) {
            close(fd);
            continue;
        }
#ifdef TCP_NODELAY
        {
            int one = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
#endif
        c = xmalloc(sizeof(client));
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->bulklen = -1;
        if (g_nclients == g_clients_cap) {
            size_t nc = g_clients_cap ? g_clients_cap * 2 : 64;
            g_clients = xrealloc(g_clients, nc * sizeof(client *));
            g_clients_cap = nc;
        }
        g_clients[g_nclients++] = c;
    }
}

static int parse_ipv4(const char *s, unsigned char out[4])
{
    int i;
    if (strcmp(s, "localhost") == 0) {
        out[0] = 127;
        out[1] = 0;
        out[2] = 0;
        out[3] = 1;
        return 1;
    }
    if (strcmp(s, "*") == 0) {
        memset(out, 0, 4);
        return 1;
    }
    for (i = 0; i < 4; i++) {
        int v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (*s - '0');
            s++;
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return 0;
        out[i] = (unsigned char)v;
        if (i < 3) {
            if (*s != '.')
                return 0;
            s++;
        }
    }
    return *s == '\0';
}

static void usage(void)
{
    fprintf(stderr, "usage: miniredis [--port N] [--bind ADDR]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *bindaddr = "0.0.0.0";
    unsigned char ip[4];
    struct sockaddr_in sa;
    unsigned char *pp;
    int i, one = 1;
    long long last_cron;
    struct pollfd *pfds = NULL;
    client **pcl = NULL;
    size_t pcap = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if ((strcmp(a, "--port") == 0 || strcmp(a, "-p") == 0) && i + 1 < argc)
            val = argv[++i];
        else if (strncmp(a, "--port=", 7) == 0)
            val = a + 7;
        if (val) {
            long long p;
            if (!string2ll(val, strlen(val), &p) || p < 1 || p > 65535) {
                fprintf(stderr, "miniredis: invalid port '%s'\n", val);
                return 1;
            }
            g_port = (int)p;
            continue;
        }
        if ((strcmp(a, "--bind") == 0) && i + 1 < argc) {
            bindaddr = argv[++i];
            continue;
        }
        if (strncmp(a, "--bind=", 7) == 0) {
            bindaddr = a + 7;
            continue;
        }
        usage();
    }
    if (!parse_ipv4(bindaddr, ip)) {
        fprintf(stderr, "miniredis: invalid bind address '%s'\n", bindaddr);
        return 1;
    }

    g_listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (g_listen_fd < 0) {
        fprintf(stderr, "miniredis: socket: %s\n", strerror(errno));
        return 1;
    }
    (void)setsockopt(g_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    pp = (unsigned char *)&sa.sin_port;
    pp[0] = (unsigned char)(g_port >> 8);
    pp[1] = (unsigned char)(g_port & 0xff);
    memcpy(&sa.sin_addr, ip, 4);
    if (bind(g_listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "miniredis: bind %s:%d: %s\n", bindaddr, g_port,
                strerror(errno));
        return 1;
    }
    if (listen(g_listen_fd, 511) < 0) {
        fprintf(stderr, "miniredis: listen: %s\n", strerror(errno));
        return 1;
    }
    if (set_nonblock(g_listen_fd) < 0) {
        fprintf(stderr, "miniredis: fcntl: %s\n", strerror(errno));
        return 1;
    }
    printf("miniredis listening on port %d\n", g_port);
    fflush(stdout);

    g_now = now_ms();
    last_cron = g_now;
    for (;;) {
        size_t n = 0, k, j;
        int timeout = -1, rc;
        int accept_on;

        if (g_nclients + 1 > pcap) {
            pcap = (g_nclients + 1) * 2;
            pfds = xrealloc(pfds, pcap * sizeof(struct pollfd));
            pcl = xrealloc(pcl, pcap * sizeof(client *));
        }
        accept_on = g_accept_paused_until < 0 || g_now >= g_accept_paused_until;
        if (accept_on)
            g_accept_paused_until = -1;
        pfds[n].fd = g_listen_fd;
        pfds[n].events = accept_on ? POLLIN : 0;
        pfds[n].revents = 0;
        pcl[n] = NULL;
        n++;
        for (k = 0; k < g_nclients; k++) {
            client *c = g_clients[k];
            short ev = 0;
            if (!c->closing && !c->paused)
                ev |= POLLIN;
            if (out_pending(c) > 0)
                ev |= POLLOUT;
            pfds[n].fd = c->fd;
            pfds[n].events = ev;
            pfds[n].revents = 0;
            pcl[n] = c;
            n++;
        }
        if (g_nexpires > 0 || is_rehashing() || !accept_on ||
            (ht[0].size > HT_INITIAL_SIZE && ht[0].used * 10 < ht[0].size)) {
            long long left = last_cron + CRON_PERIOD_MS - g_now;
            timeout = left < 0 ? 0 : (int)left;
        }
        rc = poll(pfds, (nfds_t)n, timeout);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "miniredis: poll: %s\n", strerror(errno));
            return 1;
        }
        g_now = now_ms();
        if (rc > 0) {
            if (pfds[0].revents & POLLIN)
                accept_clients();
            for (k = 1; k < n; k++)
                if (pfds[k].revents)
                    handle_client(pcl[k], pfds[k].revents);
        }
        if (g_now - last_cron >= CRON_PERIOD_MS) {
            db_cron();
            last_cron = g_now;
        }
        /* reap closed clients, preserving order */
        for (k = 0, j = 0; k < g_nclients; k++) {
            client *c = g_clients[k];
            if (c->dead)
                client_free(c);
            else
                g_clients[j++] = c;
        }
        g_nclients = j;
    }
}
