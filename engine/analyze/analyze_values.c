/* analyze_values.c — a column's values for analysis: gathered into each
 * thread's reusable buffers, sorted by an exact LSD radix sort (for quantiles
 * and distinct counts), and distinct counts for the schema (a bitmap for
 * narrow integer ranges, sorted hashes checked byte for byte for texts). */
#include "analyze/analyze_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RADIX_BITS 11
#define RADIX (1u << RADIX_BITS)
#define RADIX_PASSES 6

/* Each analysing thread's buffers for a column's values and their sort,
 * kept from column to column (allocating and faulting in tens of megabytes
 * per column cost more than the work on them). */
typedef struct scratch {
    double *vals;
    uint64_t *tmp;
    size_t cap;
    size_t (*count)[RADIX];
    const amlp_col *sorted_of;  /* vals holds this column's values sorted */
    size_t sorted_n;
} scratch;
static _Thread_local scratch tls;

static int scratch_reserve(size_t n)
{
    if (!tls.count && !(tls.count = amlp_malloc(RADIX_PASSES * sizeof *tls.count)))
        return AML_ENOMEM;
    if (n <= tls.cap)
        return 0;
    tls.sorted_of = NULL;
    amlp_free(tls.vals);
    amlp_free(tls.tmp);
    tls.vals = amlp_malloc(n * sizeof *tls.vals);
    tls.tmp = amlp_malloc(n * sizeof *tls.tmp);
    tls.cap = tls.vals && tls.tmp ? n : 0;
    return tls.cap ? 0 : AML_ENOMEM;
}

void amlp_analyze_scratch_free(void)
{
    amlp_free(tls.vals);
    amlp_free(tls.tmp);
    amlp_free(tls.count);
    memset(&tls, 0, sizeof tls);
}

int amlp_analyze_values(const amlp_col *c, double **vals, size_t *n)
{
    if (!amlp_analyze_is_num(c) && c->type != AML_TYPE_BOOLEAN)
        return AML_ETYPE;
    if (scratch_reserve(c->n ? c->n : 1))
        return AML_ENOMEM;
    tls.sorted_of = NULL;
    double *v = tls.vals;
    size_t k = 0;
    for (size_t r = 0; r < c->n; r++) {
        if (!amlp_bit(c->valid, r))
            continue;
        switch (c->type) {
        case AML_TYPE_NUMBER: v[k++] = ((const double *)c->data)[r]; break;
        case AML_TYPE_BOOLEAN: v[k++] = ((const uint8_t *)c->data)[r]; break;
        default: v[k++] = (double)((const int64_t *)c->data)[r]; break;
        }
    }
    *vals = v;
    *n = k;
    return 0;
}

/* Order-preserving 64-bit keys: unsigned order of the keys is the numeric
 * order of the values (-0 is keyed as +0, so they sort together). */
static inline uint64_t key_of_double(double v)
{
    uint64_t u;
    v = v == 0 ? 0.0 : v;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u ^ ((uint64_t)1 << 63);
}

static inline double double_of_key(uint64_t k)
{
    uint64_t u = (k >> 63) ? k ^ ((uint64_t)1 << 63) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Sorts keys[0..n) ascending: LSD radix sort on 11-bit digits; a pass whose
 * digit is the same in every key (the high digits of small integers) is
 * skipped.  `tmp` holds n keys.  Returns the sorted array: keys or tmp. */
static uint64_t *radix_sort(uint64_t *keys, uint64_t *tmp, size_t n, size_t (*count)[RADIX])
{
    memset(count, 0, RADIX_PASSES * sizeof *count);
    for (size_t i = 0; i < n; i++)
        for (unsigned p = 0; p < RADIX_PASSES; p++)
            count[p][(keys[i] >> (p * RADIX_BITS)) & (RADIX - 1)]++;
    for (unsigned p = 0; p < RADIX_PASSES && n; p++) {
        unsigned shift = p * RADIX_BITS;
        if (count[p][(keys[0] >> shift) & (RADIX - 1)] == n)
            continue;
        size_t sum = 0;
        for (unsigned d = 0; d < RADIX; d++) {
            size_t c = count[p][d];
            count[p][d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[p][(keys[i] >> shift) & (RADIX - 1)]++] = keys[i];
        uint64_t *t = keys;
        keys = tmp;
        tmp = t;
    }
    return keys;
}

int amlp_analyze_sorted_values(const amlp_col *c, double **vals, size_t *n)
{
    if (tls.sorted_of == c) {
        *vals = tls.vals;
        *n = tls.sorted_n;
        return 0;
    }
    int rc = amlp_analyze_values(c, vals, n);
    if (!rc)
        rc = amlp_analyze_sort(*vals, *n);
    if (!rc) {
        tls.sorted_of = c;
        tls.sorted_n = *n;
    }
    return rc;
}

void amlp_analyze_mark_sorted(const amlp_col *c, size_t n)
{
    tls.sorted_of = c;
    tls.sorted_n = n;
}

int amlp_analyze_sort(double *v, size_t n)
{
    if (scratch_reserve(n ? n : 1))
        return AML_ENOMEM;
    uint64_t *tmp = tls.tmp;
    /* The values become their keys in place, and back once sorted. */
    uint64_t *keys = (uint64_t *)v;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = key_of_double(v[i]);
        memcpy(&keys[i], &k, sizeof k);
    }
    uint64_t *sorted = radix_sort(keys, tmp, n, tls.count);
    for (size_t i = 0; i < n; i++) {
        double d = double_of_key(sorted[i]);
        memcpy(&v[i], &d, sizeof d);
    }
    return 0;
}

/* ---- distinct texts: sort hashes, then check equal hashes' texts ---- */

static uint32_t hash32(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ len, w;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, sizeof w);
        h = (h ^ w) * 1099511628211ull;
        h ^= h >> 29;
    }
    for (; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)(h >> 32);
}

#define ROW_OF(key) ((size_t)((key) & 0xFFFFFFFFu))

static bool same_text(const amlp_col *c, size_t r1, size_t r2)
{
    size_t len = amlp_strpool_len(&c->text, r1);
    return len == amlp_strpool_len(&c->text, r2) &&
           memcmp(amlp_strpool_get(&c->text, r1), amlp_strpool_get(&c->text, r2), len) == 0;
}

/* Distinct texts among rows of equal hash (keys hash << 32 | row): almost
 * always one; a hash collision is counted right by comparing with each
 * distinct text so far. */
static size_t distinct_in_run(const amlp_col *c, uint64_t *k, size_t n)
{
    size_t i = 1;
    while (i < n && same_text(c, ROW_OF(k[0]), ROW_OF(k[i])))
        i++;
    if (i == n)
        return 1;
    size_t d = 1;   /* k[0..d) hold one row of each distinct text */
    for (; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < d && !seen; j++)
            seen = same_text(c, ROW_OF(k[j]), ROW_OF(k[i]));
        if (!seen)
            k[d++] = k[i];
    }
    return d;
}

int amlp_analyze_text_distinct(const amlp_col *c, size_t *distinct)
{
    if (c->n > UINT32_MAX)
        return AML_ERANGE;
    if (scratch_reserve(c->n ? c->n : 1))
        return AML_ENOMEM;
    tls.sorted_of = NULL;
    /* Keys hash << 32 | row in the scratch: sorting them groups equal hashes. */
    uint64_t *keys = (uint64_t *)tls.vals;
    size_t n = 0;
    for (size_t r = 0; r < c->n; r++)
        if (amlp_bit(c->valid, r)) {
            uint64_t k = (uint64_t)hash32(amlp_strpool_get(&c->text, r),
                                          amlp_strpool_len(&c->text, r)) << 32 | r;
            memcpy(&keys[n++], &k, sizeof k);
        }
    uint64_t *k = radix_sort(keys, tls.tmp, n, tls.count);
    *distinct = 0;
    for (size_t i = 0; i < n;) {
        size_t e = i + 1;
        while (e < n && k[e] >> 32 == k[i] >> 32)
            e++;
        *distinct += distinct_in_run(c, k + i, e - i);
        i = e;
    }
    return 0;
}

double amlp_analyze_quantile(const double *sorted, size_t n, double q)
{
    if (!n)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return sorted[n - 1];
    double frac = pos - (double)i;
    return sorted[i] + (sorted[i + 1] - sorted[i]) * frac;
}

/* ---- distinct values only (what a schema shows) ---- */

/* Distinct values of an integer/datetime column whose range is small next
 * to its rows (ids, counts, codes), as set bits of a bitmap over the range:
 * one pass instead of a sort.  OUT: *done false when the range is too wide. */
static int distinct_in_range(const amlp_col *c, size_t *distinct, bool *done)
{
    const int64_t *v = c->data;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t n = 0;
    for (size_t r = 0; r < c->n; r++)
        if (amlp_bit(c->valid, r)) {
            lo = v[r] < lo ? v[r] : lo;
            hi = v[r] > hi ? v[r] : hi;
            n++;
        }
    *done = false;
    if (!n || (uint64_t)hi - (uint64_t)lo >= (uint64_t)c->n * 64)
        return 0;
    size_t words = (size_t)(((uint64_t)hi - (uint64_t)lo) / 64 + 1);
    uint64_t *bits = amlp_calloc(words, sizeof *bits);
    if (!bits)
        return AML_ENOMEM;
    for (size_t r = 0; r < c->n; r++)
        if (amlp_bit(c->valid, r)) {
            uint64_t off = (uint64_t)v[r] - (uint64_t)lo;
            bits[off >> 6] |= (uint64_t)1 << (off & 63);
        }
    *distinct = 0;
    for (size_t w = 0; w < words; w++)
        *distinct += (size_t)__builtin_popcountll(bits[w]);
    amlp_free(bits);
    *done = true;
    return 0;
}

/* Distinct values of a number/integer/datetime column: on a bitmap when the
 * range allows, else by sorting. */
static int distinct_numeric(const amlp_col *c, size_t *distinct)
{
    bool done = false;
    int rc = c->type == AML_TYPE_INTEGER || c->type == AML_TYPE_DATETIME
                 ? distinct_in_range(c, distinct, &done) : 0;
    if (rc || done)
        return rc;
    double *v;
    size_t n;
    if ((rc = amlp_analyze_sorted_values(c, &v, &n)))
        return rc;
    *distinct = n > 0;
    for (size_t i = 1; i < n; i++)
        *distinct += v[i] != v[i - 1];
    return 0;
}

static int distinct_levels(const amlp_col *c, size_t *distinct)
{
    size_t nl = c->type == AML_TYPE_BOOLEAN ? 2 : amlp_dict_count(&c->dict);
    uint8_t *seen = amlp_calloc(nl ? nl : 1, 1);
    if (!seen)
        return AML_ENOMEM;
    for (size_t r = 0; r < c->n; r++)
        if (amlp_bit(c->valid, r))
            seen[c->type == AML_TYPE_BOOLEAN ? ((const uint8_t *)c->data)[r]
                                             : ((const uint32_t *)c->data)[r]] = 1;
    *distinct = 0;
    for (size_t l = 0; l < nl; l++)
        *distinct += seen[l];
    amlp_free(seen);
    return 0;
}

int amlp_analyze_distinct_only(const amlp_col *c, aml_analyze_column *s)
{
    if (amlp_analyze_is_cat(c))
        return distinct_levels(c, &s->distinct);
    if (amlp_analyze_is_num(c))
        return distinct_numeric(c, &s->distinct);
    if (c->type == AML_TYPE_TEXT)
        return amlp_analyze_text_distinct(c, &s->distinct);
    return 0;
}
