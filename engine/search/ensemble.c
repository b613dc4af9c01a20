/*
 * ensemble.c — greedy ensemble selection with replacement (Caruana,
 * Niculescu-Mizil, Crew and Ksikes 2004) over out-of-fold predictions: each
 * round adds the candidate that most improves the running average's score;
 * the weights are how often each was picked.
 */
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

int amlp_ensemble_select(aml_metric metric, aml_task task, size_t n_classes, const float *y,
                         const float *w, size_t n, size_t width, const float *const *cand,
                         size_t n_cand, size_t iters, double *weights, double *score,
                         aml_error *err)
{
    if (n_cand == 0 || n == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no candidates for the ensemble");
    bool hib = aml_metric_higher_is_better(metric);
    size_t len = n * width;
    double *sum = amlp_calloc(len, sizeof *sum);
    float *avg = amlp_malloc(len * sizeof *avg);
    size_t *count = amlp_calloc(n_cand, sizeof *count);
    int rc = sum && avg && count ? 0 : AML_ENOMEM;
    double best_total = hib ? -INFINITY : INFINITY;
    size_t picked = 0, stale = 0;
    for (size_t it = 0; rc == 0 && it < iters; it++) {
        double best = hib ? -INFINITY : INFINITY;
        size_t arg = SIZE_MAX;
        for (size_t c = 0; c < n_cand; c++) {
            for (size_t j = 0; j < len; j++)
                avg[j] = (float)((sum[j] + cand[c][j]) / (double)(picked + 1));
            double s;
            if (aml_metric_score(metric, task, n_classes, y, avg, w, n, &s, NULL))
                continue;
            if (hib ? s > best : s < best) {
                best = s;
                arg = c;
            }
        }
        if (arg == SIZE_MAX) {
            rc = aml_error_set(err, AML_EINVAL, 0, 0, "", "no candidate could be scored");
            break;
        }
        for (size_t j = 0; j < len; j++)
            sum[j] += cand[arg][j];
        count[arg]++;
        picked++;
        if (hib ? best > best_total + 1e-12 : best < best_total - 1e-12) {
            best_total = best;
            stale = 0;
        } else if (++stale >= 5) {
            break;   /* converged: five rounds without improvement */
        }
    }
    if (rc == 0) {
        for (size_t c = 0; c < n_cand; c++)
            weights[c] = (double)count[c] / (double)picked;
        *score = best_total;
    }
    amlp_free(sum);
    amlp_free(avg);
    amlp_free(count);
    return rc;
}
