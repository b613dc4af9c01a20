/* prep_text.c — the text step of the preparation pipeline: word n-grams
 * hashed into a fixed number of dimensions, TF-IDF weighted with an idf
 * fitted on the training rows, each row l2-normalised.
 *
 * Words are runs of ASCII letters and digits and of non-ASCII bytes (so UTF-8
 * words stay whole), ASCII lower-cased; an n-gram is its words joined by one
 * space.  Bucket = fmix64(FNV-1a 64 of the n-gram) mod dims.  Term frequency
 * is the raw count in the row; idf = ln((1 + N) / (1 + df)) + 1 (N fit rows,
 * df rows containing the bucket), as scikit-learn's smooth idf. */
#include "prep/prep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool word_byte(unsigned char ch)
{
    return ch >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z');
}

static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* Scratch reused across rows: word spans and buckets. */
typedef struct text_scratch {
    size_t *start, *len;
    size_t cap_words;
    uint32_t *bucket;
    size_t cap_buckets;
} text_scratch;

static void scratch_free(text_scratch *s)
{
    amlp_free(s->start);
    amlp_free(s->len);
    amlp_free(s->bucket);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = amlp_realloc(*p, c * elem);
    if (!q)
        return AML_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Rows are short: insertion sort up to a few dozen buckets, qsort beyond. */
static void sort_buckets(uint32_t *b, size_t n)
{
    if (n > 48) {
        qsort(b, n, sizeof *b, cmp_u32);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t v = b[i];
        size_t j = i;
        while (j > 0 && b[j - 1] > v) {
            b[j] = b[j - 1];
            j--;
        }
        b[j] = v;
    }
}

/* Buckets of the n-grams of s, sorted (with repeats).  OUT: *nb. */
static int row_buckets(const char *s, int ngram, size_t dims, text_scratch *sc, size_t *nb)
{
    *nb = 0;
    if (!s)
        return 0;
    size_t nw = 0;
    for (size_t i = 0; s[i];) {
        if (!word_byte((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (s[j] && word_byte((unsigned char)s[j]))
            j++;
        size_t cw1 = sc->cap_words, cw2 = sc->cap_words;
        if (grow((void **)&sc->start, &cw1, nw + 1, sizeof *sc->start) ||
            grow((void **)&sc->len, &cw2, nw + 1, sizeof *sc->len))
            return AML_ENOMEM;
        sc->cap_words = cw1 < cw2 ? cw1 : cw2;
        sc->start[nw] = i;
        sc->len[nw++] = j - i;
        i = j;
    }
    size_t g = ngram > 0 ? (size_t)ngram : 1;
    if (grow((void **)&sc->bucket, &sc->cap_buckets, nw * g + 1, sizeof *sc->bucket))
        return AML_ENOMEM;
    size_t n = 0;
    for (size_t w = 0; w < nw; w++) {
        uint64_t h = FNV_OFFSET;
        for (size_t k = 0; k < g && w + k < nw; k++) {
            if (k) {
                h ^= ' ';
                h *= FNV_PRIME;
            }
            const char *t = s + sc->start[w + k];
            for (size_t b = 0; b < sc->len[w + k]; b++) {
                unsigned char ch = (unsigned char)t[b];
                h ^= (ch >= 'A' && ch <= 'Z') ? ch + 32u : ch;
                h *= FNV_PRIME;
            }
            sc->bucket[n++] = (uint32_t)(fmix64(h) % dims);
        }
    }
    sort_buckets(sc->bucket, n);
    *nb = n;
    return 0;
}

static const char *cell_text(const aml_frame *f, size_t fcol, size_t r)
{
    return aml_frame_get_string(f, fcol, r);
}

int amlp_prep_text_fit(const aml_prep *p, amlp_prep_col *c, const aml_frame *f, size_t fcol,
                       const size_t *rows, size_t n)
{
    size_t dims = c->dims;
    size_t *df = amlp_calloc(dims, sizeof *df);
    c->idf = amlp_malloc(dims * sizeof *c->idf);
    text_scratch sc = {0};
    int rc = df && c->idf ? 0 : AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t nb;
        rc = row_buckets(cell_text(f, fcol, AMLP_ROW(rows, i)), p->text_ngram_max, dims, &sc, &nb);
        for (size_t b = 0; rc == 0 && b < nb; b++)
            if (b == 0 || sc.bucket[b] != sc.bucket[b - 1])
                df[sc.bucket[b]]++;
    }
    for (size_t d = 0; rc == 0 && d < dims; d++)
        c->idf[d] = (float)(log((1.0 + (double)n) / (1.0 + (double)df[d])) + 1.0);
    amlp_free(df);
    scratch_free(&sc);
    return rc;
}

int amlp_prep_text_rows(const aml_prep *p, const amlp_prep_col *c, const aml_frame *f,
                        size_t fcol, const size_t *rows, size_t n, size_t **indptr,
                        uint32_t **idx, float **val)
{
    size_t *ip = amlp_malloc((n + 1) * sizeof *ip);
    uint32_t *ix = NULL;
    float *vx = NULL;
    size_t cap_ix = 0, cap_vx = 0, nnz = 0;
    text_scratch sc = {0};
    int rc = ip ? 0 : AML_ENOMEM;
    if (rc == 0)
        ip[0] = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t nb;
        rc = row_buckets(cell_text(f, fcol, AMLP_ROW(rows, i)), p->text_ngram_max, c->dims,
                         &sc, &nb);
        if (rc == 0 && (grow((void **)&ix, &cap_ix, nnz + nb + 1, sizeof *ix) ||
                        grow((void **)&vx, &cap_vx, nnz + nb + 1, sizeof *vx)))
            rc = AML_ENOMEM;
        if (rc)
            break;
        size_t row0 = nnz;
        double ss = 0;
        for (size_t b = 0; b < nb;) {
            size_t e = b;
            while (e < nb && sc.bucket[e] == sc.bucket[b])
                e++;
            double v = (double)(e - b) * c->idf[sc.bucket[b]];
            ix[nnz] = sc.bucket[b];
            vx[nnz++] = (float)v;
            ss += v * v;
            b = e;
        }
        double inv = ss > 0 ? 1.0 / sqrt(ss) : 0;
        for (size_t k = row0; k < nnz; k++)
            vx[k] = (float)(vx[k] * inv);
        ip[i + 1] = nnz;
    }
    scratch_free(&sc);
    if (rc) {
        amlp_free(ip);
        amlp_free(ix);
        amlp_free(vx);
        return rc;
    }
    *indptr = ip;
    *idx = ix;
    *val = vx;
    return 0;
}
