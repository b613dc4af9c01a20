/* plot_stats.c — input checks shared by the chart kinds (finite values,
 * category codes) and the small statistics they need: min/max, sorted
 * copies, quantiles, Freedman-Diaconis bin counts. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int amlp_check_finite(aml_error *err, const char *what, const double *v, size_t n)
{
    if (!v)
        return aml_error_set(err, AML_EINVAL, 0, 0, what, "%s is NULL", what);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return aml_error_set(err, AML_EINVAL, 0, 0, what, "%s[%zu] is %s", what, i,
                                 isnan(v[i]) ? "NaN" : "infinite");
    return 0;
}

int amlp_check_codes(aml_error *err, const char *what, const int *c, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (c[i] < 0 || (size_t)c[i] >= k)
            return aml_error_set(err, AML_EINVAL, 0, 0, what,
                                 "%s[%zu] = %d is not a category code in 0..%zu", what, i,
                                 c[i], k ? k - 1 : 0);
    return 0;
}

void amlp_minmax(const double *v, size_t n, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < a)
            a = v[i];
        if (v[i] > b)
            b = v[i];
    }
    *lo = a;
    *hi = b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double *amlp_sorted_copy(const double *v, size_t n)
{
    double *s = amlp_malloc(n * sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    return s;
}

double amlp_quantile_sorted(const double *s, size_t n, double q)
{
    if (n == 1)
        return s[0];
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i >= n - 1)
        return s[n - 1];
    double f = pos - (double)i;
    return s[i] + (s[i + 1] - s[i]) * f;
}

size_t amlp_fd_bins_sorted(const double *s, size_t n)
{
    double range = s[n - 1] - s[0];
    if (n < 2 || range <= 0.0)
        return 1;
    double iqr = amlp_quantile_sorted(s, n, 0.75) - amlp_quantile_sorted(s, n, 0.25);
    double bins;
    if (iqr > 0.0) {
        double h = 2.0 * iqr / cbrt((double)n);
        bins = ceil(range / h);
    } else {
        bins = ceil(log2((double)n)) + 1.0;
    }
    if (bins < 1.0)
        bins = 1.0;
    if (bins > 200.0)
        bins = 200.0;
    return (size_t)bins;
}

int aml_plot_fd_bins(const double *values, size_t n, size_t *bins, aml_error *err)
{
    if (!bins)
        return aml_error_set(err, AML_EINVAL, 0, 0, "bins", "bins is NULL");
    int rc = amlp_check_finite(err, "values", values, n);
    if (rc)
        return rc;
    if (n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "values", "no values");
    double *s = amlp_sorted_copy(values, n);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "values", "out of memory");
    *bins = amlp_fd_bins_sorted(s, n);
    amlp_free(s);
    return 0;
}
