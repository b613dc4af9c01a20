/* test_metrics.c — Criterion suite for engine/learn/metrics.c: every metric against
 * a naive reference (pairwise AUC, textbook formulas) on random data with and
 * without weights, names and directions, and the errors (a single class for
 * AUC, a metric that does not fit the task, bad class indexes). */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define N 300
#define K 3
/* The generator's seed of every test that draws numbers. */
#define SEED 12345

/* Pairwise AUC: sum over (pos, neg) pairs of w_p w_n [s_p > s_n] + 1/2 ties. */
static double naive_auc(const float *s, const bool *pos, const float *w, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (pos[i] && !pos[j]) {
                double ww = (w ? w[i] : 1) * (w ? w[j] : 1);
                den += ww;
                num += ww * (s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0);
            }
    return num / den;
}

static void fill_binary(float *y, float *p, float *w)
{
    tu_seed(SEED);
    for (size_t i = 0; i < N; i++) {
        y[i] = tu_uni() < 0.3 ? 1 : 0;
        /* rounded so ties happen */
        p[i] = (float)(round((0.3 * y[i] + 0.7 * tu_uni()) * 20) / 20);
        w[i] = (float)(0.5 + tu_uni());
    }
}

static double score(aml_metric m, aml_task t, size_t k, const float *y, const float *p,
                    const float *w, size_t n)
{
    double s = NAN;
    aml_error err;
    int rc = aml_metric_score(m, t, k, y, p, w, n, &s, &err);
    cr_assert_eq(rc, 0, "%s: %s", aml_metric_name(m), err.text);
    return s;
}

Test(metrics, binary_auc_matches_pairwise)
{
    float y[N], p[N], w[N];
    bool pos[N];
    fill_binary(y, p, w);
    for (size_t i = 0; i < N; i++)
        pos[i] = y[i] == 1;
    cr_assert_float_eq(score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, p, NULL, N),
                       naive_auc(p, pos, NULL, N), 1e-9);
    cr_assert_float_eq(score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, p, w, N),
                       naive_auc(p, pos, w, N), 1e-9);
    /* auto is AUC for binary */
    cr_assert_float_eq(score(AML_METRIC_AUTO, AML_TASK_BINARY, 2, y, p, w, N),
                       naive_auc(p, pos, w, N), 1e-9);
}

Test(metrics, binary_threshold_metrics)
{
    float y[N], p[N], w[N];
    fill_binary(y, p, w);
    double tp = 0, fp = 0, fn = 0, tn = 0, ll = 0, sw = 0;
    for (size_t i = 0; i < N; i++) {
        bool pr = p[i] >= 0.5f, t = y[i] == 1;
        tp += w[i] * (pr && t);
        fp += w[i] * (pr && !t);
        fn += w[i] * (!pr && t);
        tn += w[i] * (!pr && !t);
        double q = t ? p[i] : 1 - p[i];
        q = fmax(1e-15, fmin(1 - 1e-15, q));
        ll -= w[i] * log(q);
        sw += w[i];
    }
    cr_assert_float_eq(score(AML_METRIC_ACCURACY, AML_TASK_BINARY, 2, y, p, w, N),
                       (tp + tn) / sw, 1e-9);
    cr_assert_float_eq(score(AML_METRIC_BALANCED_ACCURACY, AML_TASK_BINARY, 2, y, p, w, N),
                       0.5 * (tp / (tp + fn) + tn / (tn + fp)), 1e-9);
    cr_assert_float_eq(score(AML_METRIC_F1, AML_TASK_BINARY, 2, y, p, w, N),
                       2 * tp / (2 * tp + fp + fn), 1e-9);
    cr_assert_float_eq(score(AML_METRIC_LOGLOSS, AML_TASK_BINARY, 2, y, p, w, N), ll / sw, 1e-6);
}

Test(metrics, multiclass_against_reference)
{
    tu_seed(SEED);
    float y[N], p[N * K];
    for (size_t i = 0; i < N; i++) {
        y[i] = (float)(size_t)(tu_uni() * K);
        double s = 0;
        for (size_t c = 0; c < K; c++) {
            p[i * K + c] = (float)(tu_uni() + (c == (size_t)y[i] ? 0.6 : 0));
            s += p[i * K + c];
        }
        for (size_t c = 0; c < K; c++)
            p[i * K + c] = (float)(p[i * K + c] / s);
    }
    double auc = 0, ll = 0, acc = 0, f1 = 0, bal = 0;
    for (size_t c = 0; c < K; c++) {
        float s[N];
        bool pos[N];
        double tp = 0, np = 0, na = 0;
        for (size_t i = 0; i < N; i++) {
            s[i] = p[i * K + c];
            pos[i] = (size_t)y[i] == c;
            size_t am = 0;
            for (size_t d = 1; d < K; d++)
                if (p[i * K + d] > p[i * K + am])
                    am = d;
            tp += am == c && pos[i];
            np += am == c;
            na += pos[i];
        }
        auc += naive_auc(s, pos, NULL, N) / K;
        f1 += 2 * tp / (np + na) / K;
        bal += tp / na / K;
    }
    for (size_t i = 0; i < N; i++) {
        size_t am = 0;
        for (size_t d = 1; d < K; d++)
            if (p[i * K + d] > p[i * K + am])
                am = d;
        acc += (am == (size_t)y[i]) / (double)N;
        ll -= log(p[i * K + (size_t)y[i]]) / N;
    }
    cr_assert_float_eq(score(AML_METRIC_AUC, AML_TASK_MULTICLASS, K, y, p, NULL, N), auc, 1e-9);
    cr_assert_float_eq(score(AML_METRIC_LOGLOSS, AML_TASK_MULTICLASS, K, y, p, NULL, N), ll, 1e-6);
    cr_assert_float_eq(score(AML_METRIC_AUTO, AML_TASK_MULTICLASS, K, y, p, NULL, N), ll, 1e-6);
    cr_assert_float_eq(score(AML_METRIC_ACCURACY, AML_TASK_MULTICLASS, K, y, p, NULL, N), acc, 1e-9);
    cr_assert_float_eq(score(AML_METRIC_F1, AML_TASK_MULTICLASS, K, y, p, NULL, N), f1, 1e-9);
    cr_assert_float_eq(score(AML_METRIC_BALANCED_ACCURACY, AML_TASK_MULTICLASS, K, y, p, NULL, N),
                       bal, 1e-9);
}

Test(metrics, regression_against_reference)
{
    tu_seed(SEED);
    float y[N], p[N], w[N];
    double se = 0, ae = 0, sw = 0, sy = 0;
    for (size_t i = 0; i < N; i++) {
        y[i] = (float)(10 * tu_uni());
        p[i] = (float)(y[i] + tu_uni() - 0.5);
        w[i] = (float)(0.2 + tu_uni());
        sw += w[i];
        sy += w[i] * y[i];
        se += w[i] * (p[i] - y[i]) * (p[i] - y[i]);
        ae += w[i] * fabs(p[i] - y[i]);
    }
    double st = 0, mean = sy / sw;
    for (size_t i = 0; i < N; i++)
        st += w[i] * (y[i] - mean) * (y[i] - mean);
    cr_assert_float_eq(score(AML_METRIC_RMSE, AML_TASK_REGRESSION, 0, y, p, w, N), sqrt(se / sw), 1e-6);
    cr_assert_float_eq(score(AML_METRIC_AUTO, AML_TASK_REGRESSION, 0, y, p, w, N), sqrt(se / sw), 1e-6);
    cr_assert_float_eq(score(AML_METRIC_MAE, AML_TASK_REGRESSION, 0, y, p, w, N), ae / sw, 1e-6);
    cr_assert_float_eq(score(AML_METRIC_R2, AML_TASK_REGRESSION, 0, y, p, w, N), 1 - se / st, 1e-6);
    /* perfect predictions */
    cr_assert_float_eq(score(AML_METRIC_R2, AML_TASK_REGRESSION, 0, y, y, NULL, N), 1.0, 1e-12);
    cr_assert_float_eq(score(AML_METRIC_RMSE, AML_TASK_REGRESSION, 0, y, y, NULL, N), 0.0, 1e-12);
}

Test(metrics, perfect_and_reversed_auc)
{
    float y[4] = {0, 0, 1, 1}, p[4] = {0.1f, 0.2f, 0.8f, 0.9f}, r[4] = {0.9f, 0.8f, 0.2f, 0.1f};
    float t[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    cr_assert_float_eq(score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, p, NULL, 4), 1.0, 1e-12);
    cr_assert_float_eq(score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, r, NULL, 4), 0.0, 1e-12);
    cr_assert_float_eq(score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, t, NULL, 4), 0.5, 1e-12);
}

Test(metrics, errors_are_clear)
{
    float y[4] = {1, 1, 1, 1}, p[4] = {0.1f, 0.2f, 0.8f, 0.9f};
    double s;
    aml_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(aml_metric_score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, p, NULL, 4, &s, &err),
                 AML_EINVAL);
    cr_assert(strstr(err.text, "both classes"), "%s", err.text);
    float y3[3] = {2, 2, 2}, p3[9] = {0};
    cr_assert_eq(aml_metric_score(AML_METRIC_AUC, AML_TASK_MULTICLASS, 3, y3, p3, NULL, 3, &s, &err),
                 AML_EINVAL);
    cr_assert_eq(aml_metric_score(AML_METRIC_RMSE, AML_TASK_BINARY, 2, y, p, NULL, 4, &s, &err),
                 AML_EINVAL);
    cr_assert(strstr(err.text, "rmse"), "%s", err.text);
    cr_assert_eq(aml_metric_score(AML_METRIC_AUC, AML_TASK_REGRESSION, 0, y, p, NULL, 4, &s, &err),
                 AML_EINVAL);
    float bad[4] = {0, 1, 2, 0};
    cr_assert_eq(aml_metric_score(AML_METRIC_ACCURACY, AML_TASK_BINARY, 2, bad, p, NULL, 4, &s, &err),
                 AML_EINVAL);
    cr_assert_eq(aml_metric_score(AML_METRIC_ACCURACY, AML_TASK_BINARY, 2, y, p, NULL, 0, &s, &err),
                 AML_EINVAL);
    float c[4] = {3, 3, 3, 3};
    cr_assert_eq(aml_metric_score(AML_METRIC_R2, AML_TASK_REGRESSION, 0, c, p, NULL, 4, &s, &err),
                 AML_EINVAL);
    float zw[4] = {0, 0, 0, 0};
    cr_assert_eq(aml_metric_score(AML_METRIC_MAE, AML_TASK_REGRESSION, 0, c, p, zw, 4, &s, &err),
                 AML_EINVAL);
}

Test(metrics, names_and_directions)
{
    for (int m = 0; m < AML_METRIC_COUNT_; m++) {
        aml_metric back;
        cr_assert_eq(aml_metric_parse(aml_metric_name((aml_metric)m), &back), 0);
        cr_assert_eq((int)back, m);
    }
    aml_metric m;
    cr_assert_eq(aml_metric_parse("AUC", &m), 0);
    cr_assert_eq(m, AML_METRIC_AUC);
    cr_assert_eq(aml_metric_parse("auk", &m), AML_EINVAL);
    cr_assert(aml_metric_higher_is_better(AML_METRIC_AUC));
    cr_assert(aml_metric_higher_is_better(AML_METRIC_R2));
    cr_assert(!aml_metric_higher_is_better(AML_METRIC_LOGLOSS));
    cr_assert(!aml_metric_higher_is_better(AML_METRIC_RMSE));
    cr_assert_eq(aml_metric_resolve(AML_METRIC_AUTO, AML_TASK_BINARY), AML_METRIC_AUC);
    cr_assert_eq(aml_metric_resolve(AML_METRIC_AUTO, AML_TASK_MULTICLASS), AML_METRIC_LOGLOSS);
    cr_assert_eq(aml_metric_resolve(AML_METRIC_AUTO, AML_TASK_REGRESSION), AML_METRIC_RMSE);
    cr_assert(aml_metric_supports(AML_METRIC_F1, AML_TASK_MULTICLASS));
    cr_assert(!aml_metric_supports(AML_METRIC_MAE, AML_TASK_BINARY));
}
