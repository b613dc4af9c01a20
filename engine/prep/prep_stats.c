/* prep_stats.c — small statistics for the preparation pipeline: quantiles by
 * selection (no full sort) and the seeded random stream of the folds. */
#include "prep/prep_internal.h"

#include <math.h>

static void swapd(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Rearranges x so that x[k] is the value of rank k (Hoare partition around
 * the median of three; expected linear time). */
static void select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < x[lo])
            swapd(&x[mid], &x[lo]);
        if (x[hi] < x[lo])
            swapd(&x[hi], &x[lo]);
        if (x[hi] < x[mid])
            swapd(&x[hi], &x[mid]);
        double pivot = x[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                swapd(&x[i], &x[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

double amlp_quantile(double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t k = (size_t)floor(h);
    if (k >= n - 1) {
        select_kth(x, n, n - 1);
        return x[n - 1];
    }
    select_kth(x, n, k);
    double lo = x[k], hi = x[k + 1];
    /* the next rank is the smallest value above position k */
    for (size_t i = k + 2; i < n; i++)
        if (x[i] < hi)
            hi = x[i];
    double frac = h - (double)k;
    return frac == 0 ? lo : lo + frac * (hi - lo);
}

uint64_t amlp_prep_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
