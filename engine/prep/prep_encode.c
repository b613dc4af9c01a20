/* prep_encode.c — the dense steps of the preparation pipeline: categorical
 * levels and modes, target encoding (full-data and out-of-fold), and the raw
 * values every dense step writes for a block of rows (imputation, one-hot,
 * codes, date parts, missing indicators). */
#include "prep/prep_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

long amlp_prep_level_find(char *const *levels, size_t n, const char *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(levels[mid], s);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int amlp_prep_level_map(const amlp_prep_col *c, const aml_frame *f, size_t fcol, long **map)
{
    size_t k = aml_frame_cat_count(f, fcol);
    long *m = amlp_malloc((k ? k : 1) * sizeof *m);
    if (!m)
        return AML_ENOMEM;
    for (size_t i = 0; i < k; i++)
        m[i] = amlp_prep_level_find(c->levels, c->n_levels, aml_frame_cat_level(f, fcol, i));
    *map = m;
    return 0;
}

typedef struct sort_ctx {
    const aml_frame *f;
    size_t col;
} sort_ctx;

static int cmp_codes(const void *a, const void *b, void *ctx)
{
    const sort_ctx *s = ctx;
    return strcmp(aml_frame_cat_level(s->f, s->col, *(const uint32_t *)a),
                  aml_frame_cat_level(s->f, s->col, *(const uint32_t *)b));
}

int amlp_prep_fit_levels(amlp_prep_col *c, const aml_frame *f, size_t fcol,
                         const size_t *rows, size_t n)
{
    size_t k = aml_frame_cat_count(f, fcol);
    const uint32_t *code = aml_frame_col_codes(f, fcol);
    const uint64_t *valid = aml_frame_col_validity(f, fcol);
    size_t *count = amlp_calloc(k ? k : 1, sizeof *count);
    uint32_t *present = amlp_malloc((k ? k : 1) * sizeof *present);
    if (!count || !present) {
        amlp_free(count);
        amlp_free(present);
        return AML_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = AMLP_ROW(rows, i);
        if (valid[r / 64] >> (r % 64) & 1)
            count[code[r]]++;
    }
    size_t np = 0;
    for (size_t i = 0; i < k; i++)
        if (count[i])
            present[np++] = (uint32_t)i;
    sort_ctx ctx = {f, fcol};
    qsort_r(present, np, sizeof *present, cmp_codes, &ctx);
    c->levels = amlp_calloc(np ? np : 1, sizeof *c->levels);
    int rc = c->levels ? 0 : AML_ENOMEM;
    size_t best = 0;
    for (size_t i = 0; rc == 0 && i < np; i++) {
        c->levels[i] = amlp_strdup(aml_frame_cat_level(f, fcol, present[i]));
        if (!c->levels[i])
            rc = AML_ENOMEM;
        else
            c->n_levels = i + 1;
        if (count[present[i]] > count[present[best]])
            best = i;
    }
    c->fill = (double)best;
    amlp_free(count);
    amlp_free(present);
    return rc;
}

/* Level index of each of the n rows (-1 unseen, -2 missing), from a
 * categorical, text or boolean frame column. */
static int row_levels(const amlp_prep_col *c, const aml_frame *f, size_t fcol,
                      const size_t *rows, size_t n, long *lv, aml_error *err)
{
    aml_type t = aml_frame_col_type(f, fcol);
    const uint64_t *valid = aml_frame_col_validity(f, fcol);
    if (t == AML_TYPE_CATEGORICAL) {
        long *map;
        if (amlp_prep_level_map(c, f, fcol, &map))
            return aml_error_set(err, AML_ENOMEM, 0, 0, c->name, "out of memory");
        const uint32_t *code = aml_frame_col_codes(f, fcol);
        for (size_t i = 0; i < n; i++) {
            size_t r = AMLP_ROW(rows, i);
            lv[i] = valid[r / 64] >> (r % 64) & 1 ? map[code[r]] : -2;
        }
        amlp_free(map);
        return 0;
    }
    if (t != AML_TYPE_TEXT && t != AML_TYPE_BOOLEAN)
        return aml_error_set(err, AML_EINVAL, 0, 0, c->name,
                             "column '%s' is %s; the model expects categories", c->name,
                             aml_type_name(t));
    const uint8_t *b = aml_frame_col_booleans(f, fcol);
    for (size_t i = 0; i < n; i++) {
        size_t r = AMLP_ROW(rows, i);
        if (!(valid[r / 64] >> (r % 64) & 1))
            lv[i] = -2;
        else
            lv[i] = amlp_prep_level_find(c->levels, c->n_levels,
                                         b ? (b[r] ? "true" : "false")
                                           : aml_frame_get_string(f, fcol, r));
    }
    return 0;
}

int amlp_prep_fit_target_encoding(aml_prep *p, amlp_prep_col *c, const aml_frame *f,
                                  size_t fcol, const size_t *rows, size_t n, const float *y)
{
    size_t L = c->n_levels, K = p->task == AML_TASK_MULTICLASS ? p->n_classes : 1;
    size_t F = p->n_folds ? p->n_folds : 1;
    c->n_te = K;
    long *lv = amlp_malloc((n ? n : 1) * sizeof *lv);
    /* per fold and level: K sums then the count */
    double *st = amlp_calloc(F * (L + 1) * (K + 1), sizeof *st);
    c->te = amlp_calloc(L * K + 1, sizeof *c->te);
    c->te_prior = amlp_calloc(K, sizeof *c->te_prior);
    c->fold_te = amlp_calloc(F * L * K + 1, sizeof *c->fold_te);
    c->fold_prior = amlp_calloc(F * K, sizeof *c->fold_prior);
    if (!lv || !st || !c->te || !c->te_prior || !c->fold_te || !c->fold_prior ||
        row_levels(c, f, fcol, rows, n, lv, NULL)) {
        amlp_free(lv);
        amlp_free(st);
        return AML_ENOMEM;
    }
    /* level L of the table holds the fold's totals */
#define ST(fo, l, k) st[((fo) * (L + 1) + (l)) * (K + 1) + (k)]
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        size_t r = AMLP_ROW(rows, i);
        long l = lv[i] == -2 ? (long)c->fill : lv[i];
        size_t fo = p->n_folds ? (size_t)p->fold[r] : 0;
        for (size_t k = 0; k < K; k++) {
            double v = p->task == AML_TASK_REGRESSION ? y[i]
                     : p->task == AML_TASK_BINARY    ? (y[i] == 1.0f)
                                                     : (y[i] == (float)k);
            ST(fo, l, k) += v;
            ST(fo, L, k) += v;
        }
        ST(fo, l, K) += 1;
        ST(fo, L, K) += 1;
    }
    const double m = AMLP_PREP_SMOOTHING;
    double tot_c = 0;
    for (size_t fo = 0; fo < F; fo++)
        tot_c += ST(fo, L, K);
    for (size_t k = 0; k < K; k++) {
        double s = 0;
        for (size_t fo = 0; fo < F; fo++)
            s += ST(fo, L, k);
        c->te_prior[k] = tot_c > 0 ? s / tot_c : 0;
    }
    for (size_t l = 0; l < L; l++) {
        double cnt = 0;
        for (size_t fo = 0; fo < F; fo++)
            cnt += ST(fo, l, K);
        for (size_t k = 0; k < K; k++) {
            double s = 0;
            for (size_t fo = 0; fo < F; fo++)
                s += ST(fo, l, k);
            c->te[l * K + k] = (s + m * c->te_prior[k]) / (cnt + m);
        }
    }
    /* out-of-fold: the same formula on the rows outside fold fo */
    for (size_t fo = 0; fo < F; fo++) {
        double out_c = tot_c - ST(fo, L, K);
        for (size_t k = 0; k < K; k++) {
            double s = 0;
            for (size_t g = 0; g < F; g++)
                s += g == fo ? 0 : ST(g, L, k);
            c->fold_prior[fo * K + k] = out_c > 0 ? s / out_c : c->te_prior[k];
        }
        for (size_t l = 0; l < L; l++) {
            double cnt = 0;
            for (size_t g = 0; g < F; g++)
                cnt += g == fo ? 0 : ST(g, l, K);
            for (size_t k = 0; k < K; k++) {
                double s = 0;
                for (size_t g = 0; g < F; g++)
                    s += g == fo ? 0 : ST(g, l, k);
                c->fold_te[(fo * L + l) * K + k] =
                    (s + m * c->fold_prior[fo * K + k]) / (cnt + m);
            }
        }
    }
#undef ST
    amlp_free(lv);
    amlp_free(st);
    return 0;
}

/* Civil date of a day count since 1970-01-01 (H. Hinnant's algorithm). */
static void civil(int64_t days, int64_t *y, unsigned *mo, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *mo = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*mo <= 2);
}

static void date_parts(double ts, bool has_time, double *o)
{
    int64_t t = (int64_t)floor(ts);
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned mo, d;
    civil(days, &y, &mo, &d);
    size_t j = 0;
    o[j++] = (double)y;
    o[j++] = (double)mo;
    o[j++] = (double)(((days + 3) % 7 + 7) % 7);   /* 0 = Monday */
    o[j++] = (double)d;
    if (has_time)
        o[j++] = (double)(secs / 3600);
    o[j] = ts;
}

static bool numeric_type(aml_type t)
{
    return t == AML_TYPE_NUMBER || t == AML_TYPE_INTEGER || t == AML_TYPE_BOOLEAN;
}

int amlp_prep_emit(const aml_prep *p, const amlp_prep_col *c, const aml_frame *f, size_t fcol,
                   const size_t *rows, size_t n, bool oof, double *out, aml_error *err)
{
    size_t w = c->width;
    aml_type t = aml_frame_col_type(f, fcol);
    const uint64_t *valid = aml_frame_col_validity(f, fcol);
    memset(out, 0, n * w * sizeof *out);
    if (c->indicator)
        for (size_t i = 0; i < n; i++) {
            size_t r = AMLP_ROW(rows, i);
            out[i * w + w - 1] = valid[r / 64] >> (r % 64) & 1 ? 0.0 : 1.0;
        }
    switch (c->kind) {
    case AMLP_PK_NUMBER:
    case AMLP_PK_BOOLEAN:
        if (!numeric_type(t))
            return aml_error_set(err, AML_EINVAL, 0, 0, c->name,
                                 "column '%s' is %s; the model expects numbers", c->name,
                                 aml_type_name(t));
        for (size_t i = 0; i < n; i++) {
            double v = aml_frame_get_number(f, fcol, AMLP_ROW(rows, i));
            out[i * w] = isnan(v) ? c->fill : v;
        }
        return 0;
    case AMLP_PK_DATETIME:
        if (t != AML_TYPE_DATETIME && t != AML_TYPE_INTEGER)
            return aml_error_set(err, AML_EINVAL, 0, 0, c->name,
                                 "column '%s' is %s; the model expects dates", c->name,
                                 aml_type_name(t));
        for (size_t i = 0; i < n; i++) {
            double v = aml_frame_get_number(f, fcol, AMLP_ROW(rows, i));
            date_parts(isnan(v) ? c->fill : v, c->has_time, out + i * w);
        }
        return 0;
    case AMLP_PK_ONEHOT:
    case AMLP_PK_TARGET:
    case AMLP_PK_CODES:
        break;
    case AMLP_PK_TEXT:
        return aml_error_set(err, AML_EINTERNAL, 0, 0, c->name, "text is not a dense step");
    }
    long *lv = amlp_malloc((n ? n : 1) * sizeof *lv);
    if (!lv)
        return aml_error_set(err, AML_ENOMEM, 0, 0, c->name, "out of memory");
    int rc = row_levels(c, f, fcol, rows, n, lv, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        long l = lv[i] == -2 ? (long)c->fill : lv[i];
        double *o = out + i * w;
        if (c->kind == AMLP_PK_ONEHOT) {
            if (l >= 0)
                o[l] = 1.0;
        } else if (c->kind == AMLP_PK_CODES) {
            o[0] = l >= 0 ? (double)l : NAN;
        } else {
            size_t r = AMLP_ROW(rows, i), K = c->n_te;
            int fo = oof ? p->fold[r] : -1;
            const double *e = fo >= 0 ? (l >= 0 ? c->fold_te + ((size_t)fo * c->n_levels + (size_t)l) * K
                                                : c->fold_prior + (size_t)fo * K)
                                      : (l >= 0 ? c->te + (size_t)l * K : c->te_prior);
            for (size_t k = 0; k < K; k++)
                o[k] = e[k];
        }
    }
    amlp_free(lv);
    return rc;
}
