/* frame_strings.c — string pools and string dictionaries used by text and
 * categorical columns. */

#include "aml_data.h"
#include <string.h>

void amlp_strpool_free(amlp_strpool *p)
{
    amlp_free(p->buf);
    amlp_free(p->off);
    memset(p, 0, sizeof *p);
}

/* Grow *ptr (elements of `elem` bytes, `used` of them in use) to hold `need`. */
static int grow(void **ptr, size_t *cap, size_t used, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc = nc + nc / 2 + 16;
    void *np = amlp_mem_grow(*ptr, used * elem, nc * elem);
    if (!np)
        return AML_ENOMEM;
    *ptr = np;
    *cap = nc;
    return 0;
}

int amlp_strpool_reserve(amlp_strpool *p, size_t bytes, size_t n)
{
    if (grow((void **)&p->buf, &p->cap, p->len, bytes, 1) ||
        grow((void **)&p->off, &p->ncap, p->n, n, sizeof *p->off))
        return AML_ENOMEM;
    return 0;
}

int amlp_strpool_push(amlp_strpool *p, const char *s, size_t len)
{
    if (grow((void **)&p->buf, &p->cap, p->len, p->len + len + 1, 1) ||
        grow((void **)&p->off, &p->ncap, p->n, p->n + 1, sizeof *p->off))
        return AML_ENOMEM;
    p->off[p->n++] = p->len;
    if (len)
        memcpy(p->buf + p->len, s, len);
    p->buf[p->len + len] = '\0';
    p->len += len + 1;
    return 0;
}

int amlp_strpool_append(amlp_strpool *dst, const amlp_strpool *src)
{
    if (!src->n)
        return 0;
    if (grow((void **)&dst->buf, &dst->cap, dst->len, dst->len + src->len, 1) ||
        grow((void **)&dst->off, &dst->ncap, dst->n, dst->n + src->n, sizeof *dst->off))
        return AML_ENOMEM;
    memcpy(dst->buf + dst->len, src->buf, src->len);
    for (size_t i = 0; i < src->n; i++)
        dst->off[dst->n + i] = src->off[i] + dst->len;
    dst->n += src->n;
    dst->len += src->len;
    return 0;
}

void amlp_dict_free(amlp_dict *d)
{
    amlp_strpool_free(&d->pool);
    amlp_free(d->key);
    amlp_free(d->slots);
    memset(d, 0, sizeof *d);
}

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The bytes of a string of 1..16 bytes as two words (overlapping loads). */
static inline void words(const char *s, size_t len, uint64_t *a, uint64_t *b)
{
    if (len >= 8) {
        *a = load64(s);
        *b = load64(s + len - 8);
    } else if (len >= 4) {
        *a = load32(s);
        *b = load32(s + len - 4);
    } else {
        *a = (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[len >> 1] << 8 |
             (unsigned char)s[len - 1];
        *b = 0;
    }
}

/* What the table keeps of an entry: its hash and, for strings of at most
 * 16 bytes, the bytes themselves, so that most look-ups never touch the pool. */
struct amlp_dict_key {
    uint64_t a, b;
    uint32_t hash;
    uint32_t len;       /* LONG_KEY: longer than 16 bytes, compare the pool */
};
#define LONG_KEY UINT32_MAX

/* Hash of a string; OUT: its words (words(), or 0 when not 1..16 bytes). */
static inline uint32_t hash_words(const char *s, size_t len, uint64_t *a, uint64_t *b)
{
    uint64_t h;
    *a = *b = 0;
    if (len && len <= 16) {
        words(s, len, a, b);
        h = (*a * 0x9e3779b97f4a7c15ull) ^ ((*b + len) * 0xc2b2ae3d27d4eb4full);
    } else {
        /* FNV-1a, 8 bytes at a time folded in. */
        h = 1469598103934665603ull ^ len;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            h = (h ^ load64(s + i)) * 1099511628211ull;
            h ^= h >> 29;
        }
        for (; i < len; i++)
            h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

uint32_t amlp_hash(const char *s, size_t len)
{
    uint64_t a, b;
    return hash_words(s, len, &a, &b);
}

static inline __attribute__((always_inline)) long probe(const amlp_dict *d, const char *s,
                                                        size_t len, uint32_t h, uint64_t a,
                                                        uint64_t b, size_t *slot)
{
    size_t mask = d->nslots - 1;
    size_t i = h & mask;
    for (;;) {
        uint32_t v = d->slots[i];
        if (!v) {
            *slot = i;
            return -1;
        }
        size_t code = v - 1;
        const amlp_dict_key *k = &d->key[code];
        if (k->hash == h) {
            if (len <= 16) {
                if (k->len == len && k->a == a && k->b == b)
                    return (long)code;
            } else if (k->len == LONG_KEY && amlp_strpool_len(&d->pool, code) == len &&
                       memcmp(amlp_strpool_get(&d->pool, code), s, len) == 0) {
                return (long)code;
            }
        }
        i = (i + 1) & mask;
    }
}

static int rehash(amlp_dict *d, size_t nslots)
{
    uint32_t *ns = amlp_calloc(nslots, sizeof *ns);
    if (!ns)
        return AML_ENOMEM;
    for (size_t c = 0; c < d->pool.n; c++) {
        size_t i = d->key[c].hash & (nslots - 1);
        while (ns[i])
            i = (i + 1) & (nslots - 1);
        ns[i] = (uint32_t)(c + 1);
    }
    amlp_free(d->slots);
    d->slots = ns;
    d->nslots = nslots;
    return 0;
}

size_t amlp_strpool_memory(const amlp_strpool *p)
{
    return p->cap + p->ncap * sizeof *p->off;
}

size_t amlp_dict_memory(const amlp_dict *d)
{
    return amlp_strpool_memory(&d->pool) + (d->key ? d->pool.ncap * sizeof *d->key : 0) +
           d->nslots * sizeof *d->slots;
}

long amlp_dict_find(const amlp_dict *d, const char *s, size_t len)
{
    if (!d->nslots)
        return -1;
    size_t slot;
    uint64_t a, b;
    uint32_t h = hash_words(s, len, &a, &b);
    return probe(d, s, len, h, a, b, &slot);
}

int amlp_dict_intern(amlp_dict *d, const char *s, size_t len, uint32_t *code)
{
    if (!d->nslots && rehash(d, 64))
        return AML_ENOMEM;
    uint64_t a, b;
    uint32_t h = hash_words(s, len, &a, &b);
    size_t slot;
    long c = probe(d, s, len, h, a, b, &slot);
    if (c >= 0) {
        *code = (uint32_t)c;
        return 0;
    }
    if (d->pool.n >= UINT32_MAX - 1)
        return AML_ERANGE;
    size_t n = d->pool.n;
    size_t hcap = d->pool.ncap;
    if (amlp_strpool_push(&d->pool, s, len))
        return AML_ENOMEM;
    if (d->pool.ncap != hcap || !d->key) {
        amlp_dict_key *nk = amlp_realloc(d->key, d->pool.ncap * sizeof *nk);
        if (!nk) {
            d->pool.n--;
            d->pool.len = d->pool.off[n];
            return AML_ENOMEM;
        }
        d->key = nk;
    }
    d->key[n].a = a;
    d->key[n].b = b;
    d->key[n].hash = h;
    d->key[n].len = len <= 16 ? (uint32_t)len : LONG_KEY;
    d->slots[slot] = (uint32_t)(n + 1);
    *code = (uint32_t)n;
    if ((n + 1) * 2 > d->nslots && rehash(d, d->nslots * 2)) {
        /* The entry is in the table already; a failed grow leaves it usable
         * while at least one slot stays empty. */
        if (n + 2 >= d->nslots)
            return AML_ENOMEM;
    }
    return 0;
}
