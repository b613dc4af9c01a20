/* analyze_assoc.c — association of a column with the target: Pearson r,
 * correlation ratio eta, Cramer's V, and mutual information on discretised
 * values. */
#include "analyze/analyze_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVEL_BINS 64

bool amlp_analyze_is_cat(const amlp_col *c)
{
    return c->type == AML_TYPE_CATEGORICAL || c->type == AML_TYPE_BOOLEAN;
}

bool amlp_analyze_is_num(const amlp_col *c)
{
    return c->type == AML_TYPE_NUMBER || c->type == AML_TYPE_INTEGER ||
           c->type == AML_TYPE_DATETIME;
}

static double num_at(const amlp_col *c, size_t r)
{
    switch (c->type) {
    case AML_TYPE_NUMBER: return ((const double *)c->data)[r];
    case AML_TYPE_BOOLEAN: return ((const uint8_t *)c->data)[r];
    default: return (double)((const int64_t *)c->data)[r];
    }
}

int amlp_analyze_groups(const amlp_col *c, int32_t **groups, size_t *ngroups)
{
    int32_t *g = amlp_malloc((c->n ? c->n : 1) * sizeof *g);
    if (!g)
        return AML_ENOMEM;
    for (size_t r = 0; r < c->n; r++) {
        if (!amlp_bit(c->valid, r))
            g[r] = -1;
        else if (c->type == AML_TYPE_BOOLEAN)
            g[r] = ((const uint8_t *)c->data)[r];
        else
            g[r] = (int32_t)((const uint32_t *)c->data)[r];
    }
    *ngroups = c->type == AML_TYPE_BOOLEAN ? 2 : amlp_dict_count(&c->dict);
    *groups = g;
    return 0;
}

int amlp_analyze_bins(const amlp_col *c, size_t mi_bins, int32_t **bins, size_t *nbins)
{
    if (amlp_analyze_is_cat(c)) {
        size_t ng;
        int rc = amlp_analyze_groups(c, bins, &ng);
        if (rc || ng <= MAX_LEVEL_BINS) {
            *nbins = ng;
            return rc;
        }
        /* Keep the MAX_LEVEL_BINS-1 most frequent levels, pool the rest. */
        size_t *cnt = amlp_calloc(ng, sizeof *cnt);
        int32_t *map = amlp_malloc(ng * sizeof *map);
        if (!cnt || !map) {
            amlp_free(cnt);
            amlp_free(map);
            amlp_free(*bins);
            return AML_ENOMEM;
        }
        for (size_t r = 0; r < c->n; r++)
            if ((*bins)[r] >= 0)
                cnt[(*bins)[r]]++;
        for (size_t l = 0; l < ng; l++) {
            size_t rank = 0;
            for (size_t m = 0; m < ng && rank < MAX_LEVEL_BINS; m++)
                rank += cnt[m] > cnt[l] || (cnt[m] == cnt[l] && m < l);
            map[l] = rank < MAX_LEVEL_BINS - 1 ? (int32_t)rank : MAX_LEVEL_BINS - 1;
        }
        for (size_t r = 0; r < c->n; r++)
            if ((*bins)[r] >= 0)
                (*bins)[r] = map[(*bins)[r]];
        amlp_free(cnt);
        amlp_free(map);
        *nbins = MAX_LEVEL_BINS;
        return 0;
    }
    double *vals;
    size_t n;
    int rc = amlp_analyze_sorted_values(c, &vals, &n);
    if (rc)
        return rc;
    if (mi_bins < 2)
        mi_bins = 2;
    double cuts[256];
    size_t ncut = 0;
    for (size_t k = 1; k < mi_bins && k < 256; k++) {
        double q = amlp_analyze_quantile(vals, n, (double)k / (double)mi_bins);
        if (!ncut || q > cuts[ncut - 1])
            cuts[ncut++] = q;
    }
    int32_t *b = amlp_malloc((c->n ? c->n : 1) * sizeof *b);
    if (!b)
        return AML_ENOMEM;
    for (size_t r = 0; r < c->n; r++) {
        if (!amlp_bit(c->valid, r)) {
            b[r] = -1;
            continue;
        }
        double v = num_at(c, r);
        size_t lo = 0, hi = ncut; /* first cut >= v: the number of cuts below v */
        if (ncut <= 16) {
            for (size_t k = 0; k < ncut; k++)
                lo += cuts[k] < v;
            hi = lo;
        }
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cuts[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        b[r] = (int32_t)lo;
    }
    *bins = b;
    *nbins = ncut + 1;
    return 0;
}

static double pearson(const amlp_col *x, const amlp_col *y)
{
    double n = 0, mx = 0, my = 0;
    for (size_t r = 0; r < x->n; r++)
        if (amlp_bit(x->valid, r) && amlp_bit(y->valid, r)) {
            n++;
            mx += num_at(x, r);
            my += num_at(y, r);
        }
    if (n < 2)
        return NAN;
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t r = 0; r < x->n; r++)
        if (amlp_bit(x->valid, r) && amlp_bit(y->valid, r)) {
            double dx = num_at(x, r) - mx, dy = num_at(y, r) - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
    if (sxx <= 0 || syy <= 0)
        return 0;
    return sxy / sqrt(sxx * syy);
}

/* eta of numeric `num` grouped by categorical `cat`. */
static int corr_ratio(const amlp_col *num, const amlp_col *cat, double *out)
{
    int32_t *g;
    size_t ng;
    int rc = amlp_analyze_groups(cat, &g, &ng);
    if (rc)
        return rc;
    double *sum = amlp_calloc(ng ? ng : 1, sizeof *sum);
    size_t *cnt = amlp_calloc(ng ? ng : 1, sizeof *cnt);
    if (!sum || !cnt) {
        amlp_free(g);
        amlp_free(sum);
        amlp_free(cnt);
        return AML_ENOMEM;
    }
    double tot = 0;
    size_t n = 0;
    for (size_t r = 0; r < num->n; r++)
        if (g[r] >= 0 && amlp_bit(num->valid, r)) {
            double v = num_at(num, r);
            sum[g[r]] += v;
            cnt[g[r]]++;
            tot += v;
            n++;
        }
    *out = NAN;
    if (n >= 2) {
        double mean = tot / (double)n, ss_tot = 0, ss_between = 0;
        for (size_t r = 0; r < num->n; r++)
            if (g[r] >= 0 && amlp_bit(num->valid, r)) {
                double d = num_at(num, r) - mean;
                ss_tot += d * d;
            }
        for (size_t k = 0; k < ng; k++)
            if (cnt[k]) {
                double d = sum[k] / (double)cnt[k] - mean;
                ss_between += (double)cnt[k] * d * d;
            }
        *out = ss_tot > 0 ? sqrt(ss_between / ss_tot) : 0;
        if (*out > 1)
            *out = 1;
    }
    amlp_free(g);
    amlp_free(sum);
    amlp_free(cnt);
    return 0;
}

/* Contingency table of two per-row bin arrays.  OUT: *tab (nx * ny), *n. */
static int table(const int32_t *bx, size_t nx, const int32_t *by, size_t ny, size_t rows,
                 double **tab, double *n)
{
    if (nx && ny > SIZE_MAX / nx / sizeof(double) / 2)
        return AML_ERANGE;
    double *t = amlp_calloc((nx && ny) ? nx * ny : 1, sizeof *t);
    if (!t)
        return AML_ENOMEM;
    double tot = 0;
    for (size_t r = 0; r < rows; r++)
        if (bx[r] >= 0 && by[r] >= 0) {
            t[(size_t)bx[r] * ny + (size_t)by[r]]++;
            tot++;
        }
    *tab = t;
    *n = tot;
    return 0;
}

static void margins(const double *t, size_t nx, size_t ny, double *rx, double *cy)
{
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++) {
            rx[i] += t[i * ny + j];
            cy[j] += t[i * ny + j];
        }
}

static int table_stats(const int32_t *bx, size_t nx, const int32_t *by, size_t ny, size_t rows,
                       double *cramer, double *mi)
{
    double *t, n;
    int rc = table(bx, nx, by, ny, rows, &t, &n);
    if (rc)
        return rc;
    double *rx = amlp_calloc(nx + ny + 1, sizeof *rx);
    if (!rx) {
        amlp_free(t);
        return AML_ENOMEM;
    }
    double *cy = rx + nx;
    margins(t, nx, ny, rx, cy);
    double chi2 = 0, info = 0;
    size_t kx = 0, ky = 0;
    for (size_t i = 0; i < nx; i++)
        kx += rx[i] > 0;
    for (size_t j = 0; j < ny; j++)
        ky += cy[j] > 0;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++) {
            if (rx[i] <= 0 || cy[j] <= 0)
                continue;
            double o = t[i * ny + j], e = rx[i] * cy[j] / n;
            chi2 += (o - e) * (o - e) / e;
            if (o > 0)
                info += o / n * log(o * n / (rx[i] * cy[j]));
        }
    size_t k = (kx < ky ? kx : ky);
    if (cramer)
        *cramer = (n > 0 && k > 1) ? sqrt(chi2 / n / (double)(k - 1)) : (n > 0 ? 0 : NAN);
    if (mi)
        *mi = n > 0 ? (info > 0 ? info : 0) : NAN;
    amlp_free(t);
    amlp_free(rx);
    return 0;
}

int amlp_analyze_assoc(const amlp_col *x, const amlp_col *y, size_t mi_bins,
                       aml_analyze_assoc *kind, double *value, double *mi)
{
    *kind = AML_ASSOC_NONE;
    *value = NAN;
    *mi = NAN;
    bool xn = amlp_analyze_is_num(x), xc = amlp_analyze_is_cat(x);
    bool yn = amlp_analyze_is_num(y), yc = amlp_analyze_is_cat(y);
    if (!(xn || xc) || !(yn || yc))
        return 0;
    int rc = 0;
    if (xn && yn) {
        *kind = AML_ASSOC_PEARSON;
        *value = pearson(x, y);
    } else if (xn && yc) {
        *kind = AML_ASSOC_CORRELATION_RATIO;
        rc = corr_ratio(x, y, value);
    } else if (xc && yn) {
        *kind = AML_ASSOC_CORRELATION_RATIO;
        rc = corr_ratio(y, x, value);
    }
    if (rc)
        return rc;
    int32_t *bx = NULL, *by = NULL;
    size_t nx, ny;
    if ((rc = amlp_analyze_bins(x, mi_bins, &bx, &nx)) ||
        (rc = amlp_analyze_bins(y, mi_bins, &by, &ny))) {
        amlp_free(bx);
        return rc;
    }
    if (xc && yc) {
        *kind = AML_ASSOC_CRAMERS_V;
        rc = table_stats(bx, nx, by, ny, x->n, value, mi);
    } else {
        rc = table_stats(bx, nx, by, ny, x->n, NULL, mi);
    }
    amlp_free(bx);
    amlp_free(by);
    return rc == AML_ERANGE ? 0 : rc;
}
