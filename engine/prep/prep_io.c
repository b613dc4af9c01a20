/* prep_io.c — a fitted preparation pipeline to bytes and back ("AMLP" magic,
 * version, options, target and classes, the steps with everything they
 * learned, dropped columns, per-feature scaling).  Out-of-fold encodings of
 * the fit rows are not saved: a loaded pipeline encodes every row as new.
 * Integers are little-endian u64, reals IEEE doubles, strings length + bytes;
 * loading checks every count against the bytes left and every invariant the
 * transform relies on. */
#include "prep/prep_internal.h"

#include <math.h>
#include <string.h>

#define PREP_MAGIC "AMLP"
#define PREP_VERSION 1

static int put_str(amlp_bytes *b, const char *s)
{
    size_t n = strlen(s);
    int rc = amlp_bytes_put_u64(b, n);
    return rc ? rc : amlp_bytes_put(b, s, n);
}

static int put_col(amlp_bytes *b, const amlp_prep_col *c)
{
    int rc = put_str(b, c->name);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->source);
    rc = rc ? rc : amlp_bytes_put_u64(b, (uint64_t)c->kind);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->n_missing);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->indicator);
    rc = rc ? rc : amlp_bytes_put_f64(b, c->fill);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->n_levels);
    for (size_t i = 0; rc == 0 && i < c->n_levels; i++)
        rc = put_str(b, c->levels[i]);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->n_te);
    for (size_t i = 0; rc == 0 && c->n_te && i < c->n_levels * c->n_te; i++)
        rc = amlp_bytes_put_f64(b, c->te[i]);
    for (size_t i = 0; rc == 0 && c->n_te && i < c->n_te; i++)
        rc = amlp_bytes_put_f64(b, c->te_prior[i]);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->has_time);
    rc = rc ? rc : amlp_bytes_put_u64(b, c->dims);
    for (size_t i = 0; rc == 0 && i < c->dims; i++)
        rc = amlp_bytes_put_f64(b, c->idf[i]);
    return rc ? rc : amlp_bytes_put_u64(b, c->width);
}

int aml_prep_save(const aml_prep *p, unsigned char **bytes, size_t *len, aml_error *err)
{
    *bytes = NULL;
    *len = 0;
    amlp_bytes b = {0};
    int rc = amlp_bytes_put(&b, PREP_MAGIC, 4);
    rc = rc ? rc : amlp_bytes_put_u64(&b, PREP_VERSION);
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)p->scaling);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->missing_indicators);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->native_categorical);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->onehot_max);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->text_features);
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)p->text_ngram_max);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->seed);
    rc = rc ? rc : put_str(&b, p->target);
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)p->target_type);
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)p->task);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_classes);
    for (size_t i = 0; rc == 0 && i < p->n_classes; i++)
        rc = put_str(&b, p->classes[i]);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_target_missing);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_fit_rows);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_cols);
    for (size_t i = 0; rc == 0 && i < p->n_cols; i++)
        rc = put_col(&b, &p->cols[i]);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_drops);
    for (size_t i = 0; rc == 0 && i < p->n_drops; i++) {
        rc = put_str(&b, p->drops[i].name);
        rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)p->drops[i].reason);
    }
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_features);
    rc = rc ? rc : amlp_bytes_put_u64(&b, p->n_scaled);
    for (size_t j = 0; rc == 0 && j < p->n_features; j++) {
        rc = amlp_bytes_put_f64(&b, p->center[j]);
        rc = rc ? rc : amlp_bytes_put_f64(&b, p->scale[j]);
    }
    if (rc) {
        amlp_free(b.data);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "preparation", "out of memory");
    }
    *bytes = b.data;
    *len = b.len;
    return 0;
}

/* ---- loading ---- */

typedef struct loader {
    amlp_reader r;
    int rc;          /* first failure: AML_EPARSE or AML_ENOMEM */
} loader;

static uint64_t get_u64(loader *l)
{
    uint64_t v = 0;
    if (l->rc == 0 && amlp_read_u64(&l->r, &v))
        l->rc = AML_EPARSE;
    return l->rc ? 0 : v;
}

static double get_f64(loader *l)
{
    double v = 0;
    if (l->rc == 0 && amlp_read_f64(&l->r, &v))
        l->rc = AML_EPARSE;
    return l->rc ? 0 : v;
}

/* A count of items of at least `each` bytes that the bytes left can hold. */
static size_t get_count(loader *l, size_t each)
{
    uint64_t n = get_u64(l);
    if (l->rc == 0 && n > (l->r.len - l->r.pos) / each)
        l->rc = AML_EPARSE;
    return l->rc ? 0 : (size_t)n;
}

static char *get_str(loader *l)
{
    size_t n = get_count(l, 1);
    if (l->rc)
        return NULL;
    char *s = amlp_malloc(n + 1);
    if (!s) {
        l->rc = AML_ENOMEM;
        return NULL;
    }
    if (amlp_read(&l->r, s, n) || memchr(s, 0, n)) {
        amlp_free(s);
        l->rc = AML_EPARSE;
        return NULL;
    }
    s[n] = 0;
    return s;
}

static double *get_reals(loader *l, size_t n)
{
    if (l->rc == 0 && n > (l->r.len - l->r.pos) / 8)
        l->rc = AML_EPARSE;
    if (l->rc)
        return NULL;
    double *v = amlp_malloc((n + 1) * sizeof *v);
    if (!v) {
        l->rc = AML_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = get_f64(l);
    return v;
}

static char **get_strs(loader *l, size_t *n)
{
    *n = 0;
    size_t k = get_count(l, 8);
    if (l->rc)
        return NULL;
    char **s = amlp_calloc(k + 1, sizeof *s);
    if (!s) {
        l->rc = AML_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < k && l->rc == 0; i++) {
        s[i] = get_str(l);
        if (s[i])
            *n = i + 1;
        if (i > 0 && s[i] && strcmp(s[i - 1], s[i]) >= 0)
            l->rc = AML_EPARSE;   /* lookups need strictly sorted names */
    }
    return s;
}

static void check(loader *l, bool ok)
{
    if (l->rc == 0 && !ok)
        l->rc = AML_EPARSE;
}

static void get_col(loader *l, const aml_prep *p, amlp_prep_col *c)
{
    c->name = get_str(l);
    c->source = (size_t)get_u64(l);
    uint64_t kind = get_u64(l);
    check(l, kind <= AMLP_PK_TEXT);
    c->kind = (amlp_prep_kind)kind;
    c->n_missing = (size_t)get_u64(l);
    c->indicator = get_u64(l) != 0;
    c->fill = get_f64(l);
    c->levels = get_strs(l, &c->n_levels);
    c->n_te = get_count(l, 8);
    if (c->n_te) {
        check(l, c->n_levels <= SIZE_MAX / 8 / c->n_te);
        c->te = get_reals(l, c->n_levels * c->n_te);
        c->te_prior = get_reals(l, c->n_te);
    }
    c->has_time = get_u64(l) != 0;
    c->dims = get_count(l, 8);
    if (c->dims) {
        double *idf = get_reals(l, c->dims);
        c->idf = idf ? amlp_malloc(c->dims * sizeof *c->idf) : NULL;
        if (idf && !c->idf)
            l->rc = AML_ENOMEM;
        for (size_t i = 0; c->idf && i < c->dims; i++)
            c->idf[i] = (float)idf[i];
        amlp_free(idf);
    }
    c->width = (size_t)get_u64(l);
    if (l->rc)
        return;
    /* the width each kind must have */
    size_t w = 0;
    bool categorical = c->kind == AMLP_PK_ONEHOT || c->kind == AMLP_PK_TARGET ||
                       c->kind == AMLP_PK_CODES;
    switch (c->kind) {
    case AMLP_PK_NUMBER:
    case AMLP_PK_BOOLEAN:
    case AMLP_PK_CODES: w = 1; break;
    case AMLP_PK_ONEHOT: w = c->n_levels; break;
    case AMLP_PK_TARGET:
        w = c->n_te;
        check(l, c->n_te == (p->task == AML_TASK_MULTICLASS ? p->n_classes : 1));
        break;
    case AMLP_PK_DATETIME: w = c->has_time ? 6 : 5; break;
    case AMLP_PK_TEXT: w = c->dims; check(l, !c->indicator && c->dims > 0); break;
    }
    check(l, c->name && c->width == w + c->indicator);
    check(l, !categorical || (c->fill >= 0 && c->fill < (double)c->n_levels));
    check(l, categorical || c->kind == AMLP_PK_TEXT || isfinite(c->fill));
    check(l, c->kind != AMLP_PK_DATETIME || fabs(c->fill) < 1e15);
}

int aml_prep_load(const unsigned char *bytes, size_t len, aml_prep **out, aml_error *err)
{
    *out = NULL;
    loader l = {{bytes, len, 0}, 0};
    char magic[4];
    if (amlp_read(&l.r, magic, 4) || memcmp(magic, PREP_MAGIC, 4) != 0)
        return aml_error_set(err, AML_EPARSE, 0, 0, "preparation",
                             "not a preparation pipeline (bad magic)");
    uint64_t version = get_u64(&l);
    if (l.rc || version != PREP_VERSION)
        return aml_error_set(err, AML_EPARSE, 0, 0, "preparation",
                             "preparation format version %llu is not %d",
                             (unsigned long long)version, PREP_VERSION);
    aml_prep *p = amlp_calloc(1, sizeof *p);
    if (!p)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "preparation", "out of memory");
    uint64_t scaling = get_u64(&l);
    check(&l, scaling <= AML_SCALE_ROBUST);
    p->scaling = (aml_scaling)scaling;
    p->missing_indicators = get_u64(&l) != 0;
    p->native_categorical = get_u64(&l) != 0;
    p->onehot_max = (size_t)get_u64(&l);
    p->text_features = (size_t)get_u64(&l);
    uint64_t ngram = get_u64(&l);
    check(&l, ngram >= 1 && ngram <= 64);
    p->text_ngram_max = (int)ngram;
    p->seed = get_u64(&l);
    p->target = get_str(&l);
    uint64_t ttype = get_u64(&l), task = get_u64(&l);
    check(&l, ttype < AML_TYPE_COUNT_ && task <= AML_TASK_REGRESSION);
    p->target_type = (aml_type)ttype;
    p->task = (aml_task)task;
    p->classes = get_strs(&l, &p->n_classes);
    check(&l, p->task == AML_TASK_REGRESSION ? p->n_classes == 0
              : p->task == AML_TASK_BINARY   ? p->n_classes == 2
                                             : p->n_classes > 2);
    p->n_target_missing = (size_t)get_u64(&l);
    p->n_fit_rows = (size_t)get_u64(&l);
    size_t ncols = get_count(&l, 64);
    if (l.rc == 0) {
        p->cols = amlp_calloc(ncols + 1, sizeof *p->cols);
        if (!p->cols)
            l.rc = AML_ENOMEM;
    }
    for (size_t i = 0; l.rc == 0 && i < ncols; i++) {
        get_col(&l, p, &p->cols[i]);
        p->n_cols = i + 1;
    }
    size_t ndrops = get_count(&l, 16);
    if (l.rc == 0) {
        p->drops = amlp_calloc(ndrops + 1, sizeof *p->drops);
        if (!p->drops)
            l.rc = AML_ENOMEM;
    }
    for (size_t i = 0; l.rc == 0 && i < ndrops; i++) {
        p->drops[i].name = get_str(&l);
        p->n_drops = i + 1;
        uint64_t why = get_u64(&l);
        check(&l, why < AMLP_DROP_REASONS_);
        p->drops[i].reason = (amlp_prep_reason)why;
    }
    uint64_t nfeat = get_u64(&l);
    p->n_scaled = (size_t)get_u64(&l);
    if (l.rc == 0) {
        int rc = amlp_prep_layout(p);
        if (rc)
            l.rc = rc;
    }
    check(&l, nfeat == p->n_features);
    for (size_t j = 0; l.rc == 0 && j < p->n_features; j++) {
        p->center[j] = get_f64(&l);
        p->scale[j] = get_f64(&l);
        check(&l, isfinite(p->center[j]) && p->scale[j] > 0 && isfinite(p->scale[j]));
    }
    check(&l, l.r.pos == l.r.len);
    if (l.rc) {
        aml_prep_free(p);
        return l.rc == AML_ENOMEM
                   ? aml_error_set(err, AML_ENOMEM, 0, 0, "preparation", "out of memory")
                   : aml_error_set(err, AML_EPARSE, 0, 0, "preparation",
                                   "truncated or damaged preparation pipeline");
    }
    *out = p;
    return 0;
}
