/*
 * testutil.h — helpers shared by the unit suites (header only: each suite is
 * one .c file built on its own): a seeded random generator, small data sets
 * (Gaussian blobs, XOR, a known linear function), fitting a learner,
 * accuracy and RMSE, numpy's quantile.  Every function is static inline, so
 * a suite pays only for what it calls.  (Timing uses the engine's aml_now.)
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <criterion/criterion.h>

#include "aml.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* AddressSanitizer builds run 2-3x slower: time budgets and latency bounds
 * widen with them. */
#ifdef __SANITIZE_ADDRESS__
#define SANITIZER_SLOWDOWN 3.0
#else
#define SANITIZER_SLOWDOWN 1.0
#endif

/* ---- random numbers ---- */

/* A 64-bit LCG (Knuth's MMIX constants): the same sequence on every
 * machine, so a data set is the same for a seed.  Criterion runs each test
 * in its own process, so a test starts from the suite's initial state. */
static uint64_t tu_rng_state __attribute__((unused));

static inline void tu_seed(uint64_t seed)
{
    tu_rng_state = seed;
}

/* Uniform in [0, 1), 53 bits. */
static inline double tu_uni(void)
{
    tu_rng_state = tu_rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(tu_rng_state >> 11) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static inline double tu_gauss(void)
{
    double u = tu_uni() + 1e-12, v = tu_uni();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* ---- data sets: a dense matrix and its targets ---- */

typedef struct tu_set {
    aml_matrix *X;
    float *y;
} tu_set;

static inline tu_set tu_set_new(size_t rows, size_t cols)
{
    tu_set s;
    cr_assert_eq(aml_matrix_new(rows, cols, &s.X), 0);
    s.y = calloc(rows, sizeof *s.y);
    cr_assert_not_null(s.y);
    return s;
}

static inline void tu_set_free(tu_set *s)
{
    aml_matrix_free(s->X);
    free(s->y);
}

/* Three well-separated Gaussian blobs in 2-D; y is the blob (0, 1, 2). */
static inline tu_set tu_blobs(size_t rows, uint64_t seed)
{
    static const float cx[3] = {0, 6, -6}, cy[3] = {6, -4, -4};
    tu_seed(seed);
    tu_set s = tu_set_new(rows, 2);
    for (size_t i = 0; i < rows; i++) {
        int c = (int)(i % 3);
        s.X->dense[2 * i] = cx[c] + (float)tu_gauss();
        s.X->dense[2 * i + 1] = cy[c] + (float)tu_gauss();
        s.y[i] = (float)c;
    }
    return s;
}

/* XOR of the signs of two features, kept 0.1 away from the axes. */
static inline tu_set tu_xor(size_t rows, uint64_t seed)
{
    tu_seed(seed);
    tu_set s = tu_set_new(rows, 2);
    for (size_t i = 0; i < rows; i++) {
        float a, b;
        do {
            a = (float)(tu_uni() * 2 - 1);
            b = (float)(tu_uni() * 2 - 1);
        } while (fabsf(a) < 0.1f || fabsf(b) < 0.1f);
        s.X->dense[2 * i] = a;
        s.X->dense[2 * i + 1] = b;
        s.y[i] = (float)((a > 0) != (b > 0));
    }
    return s;
}

/* The coefficients of tu_linear's function. */
static const double tu_linear_truth[3] __attribute__((unused)) = {2, -3, 0.5};

/* Regression: y = 2 a - 3 b + 0.5 c + 1 + noise * N(0, 1), features N(0, 1). */
static inline tu_set tu_linear(size_t rows, uint64_t seed, double noise)
{
    tu_seed(seed);
    tu_set s = tu_set_new(rows, 3);
    for (size_t i = 0; i < rows; i++) {
        float *x = s.X->dense + 3 * i;
        double y = 1;
        for (int j = 0; j < 3; j++) {
            x[j] = (float)tu_gauss();
            y += tu_linear_truth[j] * x[j];
        }
        s.y[i] = (float)(y + noise * tu_gauss());
    }
    return s;
}

/* ---- learners ---- */

/* A new learner of `kind` with parameters p (may be NULL), asserting that
 * they are accepted. */
static inline aml_learner *tu_learner_new(const char *kind, const aml_params *p)
{
    aml_learner *l = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_learner_new(kind, p, &l, &err), 0, "%s: %s", kind, err.text);
    return l;
}

/* A fitted learner of `kind` (seed 7, `threads` threads), asserting that it
 * fits. */
static inline aml_learner *tu_fit_kind(const char *kind, const aml_params *p, aml_task task,
                                       size_t n_classes, const tu_set *train,
                                       const float *weight, int threads)
{
    aml_learner *l = tu_learner_new(kind, p);
    aml_error err = {0};
    aml_fit_data d = {task, n_classes, train->X, train->y, weight, NULL, NULL, NULL};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.seed = 7;
    ctl.threads = threads;
    cr_assert_eq(aml_learner_fit(l, &d, &ctl, &err), 0, "%s", err.text);
    return l;
}

/* Fits l on d with the default controls, asserting that it fits. */
static inline void tu_fit(aml_learner *l, const aml_fit_data *d)
{
    aml_fit_ctl ctl = aml_fit_ctl_default();
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, d, &ctl, &err), 0, "%s", err.text);
}

/* The share of rows whose predicted class is y: p holds one probability a
 * row (k <= 2: the positive class's, above 0.5) or k (the largest). */
static inline double tu_accuracy(const float *p, const float *y, size_t n, size_t k)
{
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        size_t cls = 0;
        if (k <= 2)
            cls = p[i] > 0.5f;
        for (size_t c = 1; k > 2 && c < k; c++)
            if (p[i * k + c] > p[i * k + cls])
                cls = c;
        right += cls == (size_t)y[i];
    }
    return (double)right / (double)n;
}

/* A classifier's accuracy on a test set of k classes; asserts that each
 * row's class probabilities sum to 1. */
static inline double tu_learner_accuracy(const aml_learner *l, const tu_set *test, size_t k)
{
    size_t rows = test->X->rows, width = k > 2 ? k : 1;
    float *p = calloc(rows * width, sizeof *p);
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, test->X, p, &err), 0, "%s", err.text);
    for (size_t i = 0; width > 1 && i < rows; i++) {
        double sum = 0;
        for (size_t c = 0; c < k; c++)
            sum += p[i * k + c];
        cr_assert_float_eq(sum, 1.0, 1e-5);
    }
    double acc = tu_accuracy(p, test->y, rows, k);
    free(p);
    return acc;
}

/* A regressor's root mean squared error on a test set. */
static inline double tu_learner_rmse(const aml_learner *l, const tu_set *test)
{
    size_t rows = test->X->rows;
    float *p = calloc(rows, sizeof *p);
    cr_assert_eq(aml_learner_predict(l, test->X, p, NULL), 0);
    double s = 0;
    for (size_t i = 0; i < rows; i++)
        s += (p[i] - test->y[i]) * (p[i] - test->y[i]);
    free(p);
    return sqrt(s / (double)rows);
}

/* ---- references and time ---- */

/* qsort's comparison of doubles, ascending. */
static inline int tu_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of n sorted values: numpy's linear interpolation written out. */
static inline double tu_quantile(const double *sorted, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    double lo = sorted[(size_t)floor(h)], hi = sorted[(size_t)ceil(h)];
    return lo + (h - floor(h)) * (hi - lo);
}

/* A new, empty folder /tmp/<prefix>-<pid>-<n> (mode 0700) for a test's files;
 * its path into buf.  0, or -1 when none could be made. */
static inline int tu_temp_dir(const char *prefix, char *buf, size_t cap)
{
    for (unsigned n = 0; n < 1000; n++) {
        snprintf(buf, cap, "/tmp/%s-%ld-%u", prefix, (long)getpid(), n);
        if (mkdir(buf, 0700) == 0)
            return 0;
        if (errno != EEXIST)
            return -1;
    }
    return -1;
}

#endif
