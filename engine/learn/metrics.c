/*
 * metrics.c — scoring predictions: AUC (binary, macro one-vs-rest), log
 * loss, accuracy, balanced accuracy, F1, RMSE, MAE and R², weighted, plus
 * the metric names and directions the search and the magics use.
 */
#include "aml_learn.h"
#include "aml_base.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const metric_names[AML_METRIC_COUNT_] = {
    "auto", "auc", "logloss", "accuracy", "balanced_accuracy", "f1", "rmse", "mae", "r2",
};

int aml_metric_parse(const char *name, aml_metric *out)
{
    for (int i = 0; name && i < AML_METRIC_COUNT_; i++)
        if (strcasecmp(name, metric_names[i]) == 0) {
            *out = (aml_metric)i;
            return 0;
        }
    return AML_EINVAL;
}

const char *aml_metric_name(aml_metric metric)
{
    return (int)metric >= 0 && metric < AML_METRIC_COUNT_ ? metric_names[metric] : "?";
}

bool aml_metric_higher_is_better(aml_metric metric)
{
    return metric == AML_METRIC_AUC || metric == AML_METRIC_ACCURACY ||
           metric == AML_METRIC_BALANCED_ACCURACY || metric == AML_METRIC_F1 ||
           metric == AML_METRIC_R2;
}

aml_metric aml_metric_resolve(aml_metric metric, aml_task task)
{
    if (metric != AML_METRIC_AUTO)
        return metric;
    switch (task) {
    case AML_TASK_BINARY: return AML_METRIC_AUC;
    case AML_TASK_MULTICLASS: return AML_METRIC_LOGLOSS;
    case AML_TASK_REGRESSION: return AML_METRIC_RMSE;
    }
    return AML_METRIC_RMSE;
}

bool aml_metric_supports(aml_metric metric, aml_task task)
{
    metric = aml_metric_resolve(metric, task);
    bool regr = metric == AML_METRIC_RMSE || metric == AML_METRIC_MAE || metric == AML_METRIC_R2;
    return (task == AML_TASK_REGRESSION) == regr && metric < AML_METRIC_COUNT_;
}

/* ---- AUC ---- */

typedef struct scored {
    float s;
    float w;
    bool pos;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

/* Weighted Mann-Whitney AUC of scores for positives vs negatives, ties
 * counting one half.  `buf` has n entries filled; sorted in place. */
static double auc_of(scored *buf, size_t n, double wpos, double wneg)
{
    qsort(buf, n, sizeof *buf, cmp_scored);
    double neg_below = 0, sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double tp = 0, tn = 0;
        while (j < n && buf[j].s == buf[i].s) {
            if (buf[j].pos)
                tp += buf[j].w;
            else
                tn += buf[j].w;
            j++;
        }
        sum += tp * (neg_below + 0.5 * tn);
        neg_below += tn;
        i = j;
    }
    return sum / (wpos * wneg);
}

static int score_auc(aml_task task, size_t k, const float *y, const float *pred,
                     const float *w, size_t n, double *score, aml_error *err)
{
    scored *buf = amlp_malloc(n * sizeof *buf);
    if (!buf)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory scoring AUC");
    size_t n_cls = task == AML_TASK_BINARY ? 1 : k;
    double total = 0;
    size_t used = 0;
    for (size_t c = 0; c < n_cls; c++) {
        size_t cls = task == AML_TASK_BINARY ? 1 : c;
        double wp = 0, wn = 0;
        for (size_t i = 0; i < n; i++) {
            buf[i].s = task == AML_TASK_BINARY ? pred[i] : pred[i * k + c];
            buf[i].w = w ? w[i] : 1.0f;
            buf[i].pos = (size_t)y[i] == cls;
            if (buf[i].pos)
                wp += buf[i].w;
            else
                wn += buf[i].w;
        }
        if (wp <= 0 || wn <= 0) {
            if (task == AML_TASK_BINARY) {
                amlp_free(buf);
                return aml_error_set(err, AML_EINVAL, 0, 0, "",
                                     "AUC needs both classes in y (only class %d present)",
                                     wp > 0 ? 1 : 0);
            }
            continue;
        }
        total += auc_of(buf, n, wp, wn);
        used++;
    }
    amlp_free(buf);
    if (task == AML_TASK_MULTICLASS && used < 2)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "AUC needs at least two classes in y (only one present)");
    *score = total / (double)used;
    return 0;
}

/* ---- the rest ---- */

static size_t argmax_row(const float *p, size_t k)
{
    size_t b = 0;
    for (size_t c = 1; c < k; c++)
        if (p[c] > p[b])
            b = c;
    return b;
}

static size_t label_of(aml_task task, const float *pred, size_t i, size_t k)
{
    if (task == AML_TASK_BINARY)
        return pred[i] >= 0.5f ? 1 : 0;
    return argmax_row(pred + i * k, k);
}

static int score_class(aml_metric m, aml_task task, size_t k, const float *y,
                       const float *pred, const float *w, size_t n, double *score,
                       aml_error *err)
{
    if (m == AML_METRIC_LOGLOSS) {
        double s = 0, sw = 0;
        for (size_t i = 0; i < n; i++) {
            size_t c = (size_t)y[i];
            double p = task == AML_TASK_BINARY ? (c == 1 ? pred[i] : 1.0 - pred[i])
                                               : pred[i * k + c];
            if (!(p >= 1e-15))
                p = 1e-15;
            if (p > 1 - 1e-15)
                p = 1 - 1e-15;
            double wi = w ? w[i] : 1.0;
            s -= wi * log(p);
            sw += wi;
        }
        *score = s / sw;
        return 0;
    }
    if (m == AML_METRIC_ACCURACY) {
        double s = 0, sw = 0;
        for (size_t i = 0; i < n; i++) {
            double wi = w ? w[i] : 1.0;
            s += wi * (label_of(task, pred, i, k) == (size_t)y[i]);
            sw += wi;
        }
        *score = s / sw;
        return 0;
    }
    /* Per-class weighted counts: true positives, predicted, actual. */
    double *tp = amlp_calloc(3 * k, sizeof *tp);
    if (!tp)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory scoring");
    double *np = tp + k, *na = tp + 2 * k;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        size_t c = (size_t)y[i], l = label_of(task, pred, i, k);
        na[c] += wi;
        np[l] += wi;
        if (c == l)
            tp[c] += wi;
    }
    double s = 0;
    size_t used = 0;
    if (m == AML_METRIC_BALANCED_ACCURACY) {
        for (size_t c = 0; c < k; c++)
            if (na[c] > 0) {
                s += tp[c] / na[c];
                used++;
            }
    } else {   /* F1 */
        for (size_t c = task == AML_TASK_BINARY ? 1 : 0; c < k; c++) {
            double d = np[c] + na[c];
            s += d > 0 ? 2 * tp[c] / d : 0;
            used++;
        }
    }
    amlp_free(tp);
    *score = used ? s / (double)used : 0;
    return 0;
}

static int score_regr(aml_metric m, const float *y, const float *pred, const float *w,
                      size_t n, double *score, aml_error *err)
{
    double sw = 0, se = 0, ae = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, d = (double)pred[i] - y[i];
        sw += wi;
        se += wi * d * d;
        ae += wi * fabs(d);
        sy += wi * y[i];
    }
    if (m == AML_METRIC_RMSE)
        *score = sqrt(se / sw);
    else if (m == AML_METRIC_MAE)
        *score = ae / sw;
    else {
        double mean = sy / sw, st = 0;
        for (size_t i = 0; i < n; i++) {
            double d = y[i] - mean;
            st += (w ? w[i] : 1.0) * d * d;
        }
        if (st <= 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "R2 is undefined for a constant y");
        *score = 1.0 - se / st;
    }
    return 0;
}

int aml_metric_score(aml_metric metric, aml_task task, size_t n_classes, const float *y,
                     const float *pred, const float *weights, size_t n, double *score,
                     aml_error *err)
{
    metric = aml_metric_resolve(metric, task);
    if ((int)metric < 0 || metric >= AML_METRIC_COUNT_ || !aml_metric_supports(metric, task))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "metric '%s' does not apply to %s",
                             aml_metric_name(metric), aml_task_name(task));
    if (n == 0 || !y || !pred || !score)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no rows to score");
    size_t k = task == AML_TASK_BINARY ? 2 : n_classes;
    if (task != AML_TASK_REGRESSION) {
        if (k < 2)
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "classification needs 2+ classes");
        for (size_t i = 0; i < n; i++)
            if (!(y[i] >= 0) || (size_t)y[i] >= k || y[i] != floorf(y[i]))
                return aml_error_set(err, AML_EINVAL, 0, 0, "",
                                     "row %zu: class index %g out of range 0..%zu", i,
                                     (double)y[i], k - 1);
    }
    double sw = 0;
    for (size_t i = 0; weights && i < n; i++) {
        if (!(weights[i] >= 0))
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "row %zu: negative weight", i);
        sw += weights[i];
    }
    if (weights && sw <= 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "weights sum to 0");
    if (metric == AML_METRIC_AUC)
        return score_auc(task, k, y, pred, weights, n, score, err);
    if (task == AML_TASK_REGRESSION)
        return score_regr(metric, y, pred, weights, n, score, err);
    return score_class(metric, task, k, y, pred, weights, n, score, err);
}
