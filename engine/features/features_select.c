/*
 * features_select.c — cheap per-column statistics for feature engineering:
 * importance of every input column with respect to the target (one pass over
 * dense or CSR rows), the top-k ranking, and the kind of each base column
 * (constant, 0/1, integral code, numeric).
 */
#include "features/features_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per-column sums over the explicit non-NAN cells (sx, sxx, sxy; per class
 * sx for multiclass) and over the NAN cells (count, sy, syy; per class
 * count), so implicit CSR zeros need no visit. */
typedef struct col_sums {
    double *sx, *sxx, *sxy, *nan_n, *nan_sy, *nan_syy;
    double *csx, *cnan;   /* multiclass: K x cols */
} col_sums;

static void add_cell(col_sums *s, size_t cols, size_t j, float v, double y, size_t cls,
                     bool multi)
{
    if (isnan(v)) {
        s->nan_n[j] += 1;
        s->nan_sy[j] += y;
        s->nan_syy[j] += y * y;
        if (multi)
            s->cnan[cls * cols + j] += 1;
        return;
    }
    s->sx[j] += v;
    s->sxx[j] += (double)v * v;
    s->sxy[j] += v * y;
    if (multi)
        s->csx[cls * cols + j] += v;
}

static double pearson(double n, double sx, double sxx, double sy, double syy, double sxy)
{
    if (n < 2)
        return 0;
    double vx = sxx - sx * sx / n, vy = syy - sy * sy / n, c = sxy - sx * sy / n;
    if (vx <= 1e-9 * sxx + 1e-30 || vy <= 1e-9 * syy + 1e-30)
        return 0;
    double r = fabs(c) / sqrt(vx * vy);
    return r > 1 ? 1 : r;
}

int amlp_feat_importance(const aml_matrix *X, const float *y, aml_task task,
                         size_t n_classes, float *imp)
{
    size_t cols = X->cols;
    bool multi = task == AML_TASK_MULTICLASS && n_classes >= 2;
    size_t K = multi ? n_classes : 1;
    col_sums s;
    double *mem = amlp_calloc(6 * cols + 2 * K * cols + K + 1, sizeof(double));
    if (!mem)
        return AML_ENOMEM;
    s.sx = mem;
    s.sxx = s.sx + cols;
    s.sxy = s.sxx + cols;
    s.nan_n = s.sxy + cols;
    s.nan_sy = s.nan_n + cols;
    s.nan_syy = s.nan_sy + cols;
    s.csx = s.nan_syy + cols;
    s.cnan = s.csx + K * cols;
    double *ccount = s.cnan + K * cols;
    double N = 0, SY = 0, SYY = 0;
    for (size_t r = 0; r < X->rows; r++) {
        float yr = y[r];
        if (isnan(yr))
            continue;
        size_t cls = 0;
        if (multi) {
            if (yr < 0 || yr >= (float)K)
                continue;
            cls = (size_t)yr;
            ccount[cls] += 1;
        }
        N += 1;
        SY += yr;
        SYY += (double)yr * yr;
        if (X->dense) {
            const float *row = X->dense + r * cols;
            for (size_t j = 0; j < cols; j++)
                add_cell(&s, cols, j, row[j], yr, cls, multi);
        } else {
            for (size_t p = X->indptr[r]; p < X->indptr[r + 1]; p++)
                if (X->indices[p] < cols)
                    add_cell(&s, cols, X->indices[p], X->values[p], yr, cls, multi);
        }
    }
    for (size_t j = 0; j < cols; j++) {
        double n = N - s.nan_n[j];
        double v = 0;
        if (!multi) {
            v = pearson(n, s.sx[j], s.sxx[j], SY - s.nan_sy[j], SYY - s.nan_syy[j], s.sxy[j]);
        } else if (n >= 2) {
            double sst = s.sxx[j] - s.sx[j] * s.sx[j] / n;
            double ssb = -s.sx[j] * s.sx[j] / n;
            for (size_t c = 0; c < K; c++) {
                double nc = ccount[c] - s.cnan[c * cols + j];
                if (nc > 0)
                    ssb += s.csx[c * cols + j] * s.csx[c * cols + j] / nc;
            }
            if (sst > 1e-9 * s.sxx[j] + 1e-30 && ssb > 0)
                v = ssb >= sst ? 1 : sqrt(ssb / sst);
        }
        imp[j] = (float)v;
    }
    amlp_free(mem);
    return 0;
}

typedef struct ranked {
    float imp;
    uint32_t idx;
} ranked;

static int by_importance(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->imp != y->imp)
        return x->imp > y->imp ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_index(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int amlp_feat_top(const float *imp, size_t n, size_t k, bool sorted_by_index, uint32_t *idx)
{
    ranked *r = amlp_malloc(n * sizeof *r + 1);
    if (k > n)
        k = n;
    if (!r)
        return AML_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        float v = imp ? imp[i] : 0;
        r[i].imp = isnan(v) ? 0 : v;
        r[i].idx = (uint32_t)i;
    }
    qsort(r, n, sizeof *r, by_importance);
    for (size_t i = 0; i < k; i++)
        idx[i] = r[i].idx;
    amlp_free(r);
    if (sorted_by_index)
        qsort(idx, k, sizeof *idx, by_index);
    return 0;
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

int amlp_feat_kinds(const float *B, size_t rows, size_t cols, size_t max_levels,
                    unsigned char *kind)
{
    float *buf = amlp_malloc(rows * sizeof(float) + 1);
    if (!buf)
        return AML_ENOMEM;
    for (size_t j = 0; j < cols; j++) {
        size_t n = 0;
        bool integral = true, binary = true;
        float lo = INFINITY, hi = -INFINITY;
        for (size_t r = 0; r < rows; r++) {
            float v = B[r * cols + j];
            if (isnan(v))
                continue;
            buf[n++] = v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            if (integral && (v != floorf(v) || fabsf(v) > 1e7f))
                integral = false;
            if (v != 0 && v != 1)
                binary = false;
        }
        if (n == 0 || lo == hi) {
            kind[j] = AMLP_FEAT_CONSTANT;
            continue;
        }
        if (binary) {
            kind[j] = AMLP_FEAT_BINARY;
            continue;
        }
        kind[j] = AMLP_FEAT_NUMERIC;
        if (!integral || hi - lo + 1 < 3)
            continue;
        qsort(buf, n, sizeof *buf, by_value);
        size_t distinct = 1;
        for (size_t i = 1; i < n && distinct <= max_levels; i++)
            distinct += buf[i] != buf[i - 1];
        if (distinct >= 3 && distinct <= max_levels)
            kind[j] = AMLP_FEAT_CODE;
    }
    amlp_free(buf);
    return 0;
}
