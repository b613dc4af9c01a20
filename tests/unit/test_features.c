/* test_features.c — Criterion suite for feature engineering (engine/
 * features*.c): hand-computed ratios / products / differences with NAN and
 * ~0 guards, group frequencies and smoothed means (code columns and one-hot
 * groups from a real preparation), PCA on data with a known principal
 * direction, k-means on separated blobs, selection of the informative
 * columns (computed and given importance, multiclass), apply on new rows =
 * the same rows in the full apply, CSR = dense, save -> load -> identical
 * output, damaged bytes, NAN and constant columns, determinism. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static aml_matrix *dense(size_t rows, size_t cols, const float *v)
{
    aml_matrix *m = NULL;
    cr_assert_eq(aml_matrix_new(rows, cols, &m), 0);
    if (v)
        memcpy(m->dense, v, rows * cols * sizeof(float));
    return m;
}

static aml_features *fit(const aml_matrix *X, const float *y, aml_task task, size_t nc,
                         const aml_prep *prep, const float *imp, const aml_features_options *o)
{
    aml_features *f = NULL;
    aml_error e = {0};
    int rc = aml_features_fit(X, y, task, nc, prep, imp, o, &f, &e);
    cr_assert_eq(rc, 0, "fit: %s", e.text);
    return f;
}

static aml_matrix *apply(const aml_features *f, const aml_matrix *X)
{
    aml_matrix *Y = NULL;
    aml_error e = {0};
    int rc = aml_features_apply(f, X, &Y, &e);
    cr_assert_eq(rc, 0, "apply: %s", e.text);
    cr_assert_eq(Y->cols, aml_features_n_out(f));
    cr_assert_eq(Y->rows, X->rows);
    return Y;
}

static long find(const aml_features *f, const char *name)
{
    for (size_t j = 0; j < aml_features_n_out(f); j++)
        if (strcmp(aml_features_name(f, j), name) == 0)
            return (long)j;
    cr_assert_fail("no output named '%s'", name);
    return -1;
}

static bool same(float a, float b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* ---- construction ---- */

Test(features, construct_known_values)
{
    float x[] = {6, 3, 8, 2, 1, 0, NAN, 5, 4, 1e-9f};
    float y[] = {6, 8, 1, NAN, 4};
    aml_matrix *X = dense(5, 2, x);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_CONSTRUCT;
    o.construct_top = 2;
    aml_features *f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    cr_assert_eq(aml_features_n_out(f), 5);
    cr_assert_str_eq(aml_features_name(f, 0), "f0");
    cr_assert_str_eq(aml_features_name(f, 2), "f0 / f1");
    cr_assert_str_eq(aml_features_name(f, 3), "f0 * f1");
    cr_assert_str_eq(aml_features_name(f, 4), "f0 - f1");
    aml_matrix *Y = apply(f, X);
    const float *r = Y->dense;
    cr_assert_eq(r[0], 6);
    cr_assert_eq(r[1], 3);
    cr_assert_float_eq(r[2], 2.0f, 1e-6);
    cr_assert_eq(r[3], 18);
    cr_assert_eq(r[4], 3);
    cr_assert_float_eq(r[5 + 2], 4.0f, 1e-6);
    cr_assert(isnan(r[10 + 2]), "division by 0 gives NAN");
    cr_assert_eq(r[10 + 3], 0);
    cr_assert_eq(r[10 + 4], 1);
    for (int k = 2; k < 5; k++)
        cr_assert(isnan(r[15 + k]), "NAN operand gives NAN");
    cr_assert(isnan(r[20 + 2]), "division by ~0 gives NAN");
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "ratio, product and difference"), "%s", text);
    aml_free(text);
    aml_matrix_free(Y);
    aml_features_free(f);
    aml_matrix_free(X);
}

Test(features, construct_pairs_most_important_first)
{
    tu_seed(1);
    size_t n = 200;
    float *x = malloc(n * 4 * sizeof(float)), *y = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 4; j++)
            x[i * 4 + j] = (float)tu_gauss();
        y[i] = 3 * x[i * 4 + 2] + x[i * 4 + 1] + 0.1f * (float)tu_gauss();
    }
    aml_matrix *X = dense(n, 4, x);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_CONSTRUCT;
    o.construct_top = 2;
    aml_features *f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    cr_assert_eq(aml_features_n_out(f), 7);
    cr_assert_str_eq(aml_features_name(f, 4), "f2 / f1");
    aml_features_free(f);
    aml_matrix_free(X);
    free(x);
    free(y);
}

/* ---- groups ---- */

Test(features, group_code_column)
{
    /* col 0: code with levels 0,1,2 (and NAN); col 1: numeric */
    float x[] = {0, 1, 0, 3, 1, 10, 2, 5, 2, 7, 1, 20, NAN, 4, 2, 6};
    float y[] = {0, 1, 0, 1, 0, 1, 0, 1};
    aml_matrix *X = dense(8, 2, x);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_GROUP;
    o.group_numeric = 1;
    aml_features *f = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    cr_assert_eq(aml_features_steps(f), AML_FEATURES_GROUP);
    long fr = find(f, "freq(f0)"), mn = find(f, "mean(f1 | f0)"), df = find(f, "f1 - mean(f1 | f0)");
    aml_matrix *Y = apply(f, X);
    size_t w = Y->cols;
    double gm = (1 + 3 + 10 + 5 + 7 + 20 + 4 + 6) / 8.0;
    double m0 = (1 + 3 + 10 * gm) / (2 + 10), m1 = (10 + 20 + 10 * gm) / 12;
    cr_assert_float_eq(Y->dense[0 * w + fr], 2 / 8.0, 1e-6);
    cr_assert_float_eq(Y->dense[2 * w + fr], 2 / 8.0, 1e-6);
    cr_assert_float_eq(Y->dense[3 * w + fr], 3 / 8.0, 1e-6);
    cr_assert_float_eq(Y->dense[6 * w + fr], 1 / 8.0, 1e-6, "NAN is its own category");
    cr_assert_float_eq(Y->dense[0 * w + mn], m0, 1e-5);
    cr_assert_float_eq(Y->dense[2 * w + mn], m1, 1e-5);
    cr_assert_float_eq(Y->dense[2 * w + df], 10 - m1, 1e-5);
    aml_matrix_free(Y);
    /* an unseen level falls with the missing ones */
    float z[] = {9, 2};
    aml_matrix *Xn = dense(1, 2, z);
    Y = apply(f, Xn);
    cr_assert_float_eq(Y->dense[fr], 1 / 8.0, 1e-6);
    cr_assert_float_eq(Y->dense[mn], (4 + 10 * gm) / 11, 1e-5);
    aml_matrix_free(Y);
    aml_matrix_free(Xn);
    aml_features_free(f);
    aml_matrix_free(X);
}

Test(features, group_onehot_from_prep)
{
    static const char *const job[] = {"admin", "tech", "admin", "blue", "tech", "tech",
                                      "blue", "admin", "tech", "admin"};
    static const char *const age[] = {"30", "40", "35", "50", "45", "41", "52", "33", "44", "31"};
    static const char *const tgt[] = {"no", "yes", "no", "yes", "yes", "yes", "no", "no", "yes",
                                      "no"};
    aml_frame *fr = NULL;
    aml_error e = {0};
    cr_assert_eq(aml_frame_new(&fr), 0);
    cr_assert_eq(aml_frame_add_strings(fr, "job", AML_TYPE_CATEGORICAL, job, 10, NULL, &e), 0, "%s", e.text);
    cr_assert_eq(aml_frame_add_strings(fr, "age", AML_TYPE_NUMBER, age, 10, NULL, &e), 0, "%s", e.text);
    cr_assert_eq(aml_frame_add_strings(fr, "y", AML_TYPE_CATEGORICAL, tgt, 10, NULL, &e), 0, "%s", e.text);
    aml_prep_options po = aml_prep_options_default();
    po.target = "y";
    aml_prep *prep = NULL;
    cr_assert_eq(aml_prep_fit(fr, NULL, 0, &po, &prep, &e), 0, "%s", e.text);
    aml_matrix *X = NULL;
    float *y = NULL;
    cr_assert_eq(aml_prep_transform(prep, fr, NULL, 0, &X, &y, &e), 0, "%s", e.text);
    cr_assert_eq(X->cols, 4, "job=admin, job=blue, job=tech, age");
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_GROUP;
    o.group_numeric = 1;
    aml_features *f = fit(X, y, AML_TASK_BINARY, 2, prep, NULL, &o);
    cr_assert_str_eq(aml_features_name(f, 0), "job=admin");
    long fq = find(f, "freq(job)"), mn = find(f, "mean(age | job)");
    aml_matrix *Y = apply(f, X);
    double gm = (30 + 40 + 35 + 50 + 45 + 41 + 52 + 33 + 44 + 31) / 10.0;
    double tech = (40 + 45 + 41 + 44 + 10 * gm) / 14;
    cr_assert_float_eq(Y->dense[0 * Y->cols + fq], 0.4, 1e-6);
    cr_assert_float_eq(Y->dense[3 * Y->cols + fq], 0.2, 1e-6);
    cr_assert_float_eq(Y->dense[1 * Y->cols + mn], tech, 1e-4);
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "frequency encodings of job"), "%s", text);
    aml_free(text);
    /* a prep of another width is refused */
    aml_matrix *X2 = dense(2, 3, NULL);
    aml_features *bad = NULL;
    float y2[] = {0, 1};
    cr_assert_eq(aml_features_fit(X2, y2, AML_TASK_BINARY, 2, prep, NULL, &o, &bad, &e),
                 AML_EINVAL);
    cr_assert_null(bad);
    aml_matrix_free(X2);
    aml_matrix_free(Y);
    aml_features_free(f);
    aml_matrix_free(X);
    aml_free(y);
    aml_prep_free(prep);
    aml_frame_free(fr);
}

/* ---- PCA ---- */

Test(features, pca_known_direction)
{
    size_t n = 1000;
    float *x = malloc(n * 3 * sizeof(float)), *y = calloc(n, sizeof(float));
    tu_seed(7);
    for (size_t i = 0; i < n; i++) {
        float t = (float)tu_gauss();
        x[i * 3 + 0] = 5 + 2 * t;
        x[i * 3 + 1] = -3 * t + 0.05f * (float)tu_gauss();
        x[i * 3 + 2] = (float)tu_gauss();
        y[i] = t;
    }
    aml_matrix *X = dense(n, 3, x);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_PCA;
    o.pca_variance = 0.6;
    aml_features *f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    size_t k, dim;
    const float *V, *ex;
    aml_features_pca(f, &k, &dim, &V, &ex);
    cr_assert_eq(k, 1);
    cr_assert_eq(dim, 3);
    /* standardized: columns 0 and 1 perfectly anti-correlated -> (1, -1, 0)/sqrt 2 */
    float s = V[0] > 0 ? 1.0f : -1.0f;
    cr_assert_float_eq(s * V[0], (float)M_SQRT1_2, 0.01);
    cr_assert_float_eq(s * V[1], (float)-M_SQRT1_2, 0.01);
    cr_assert_float_eq(V[2], 0, 0.05);
    cr_assert_float_eq(ex[0], 2.0 / 3, 0.03);
    cr_assert_eq(aml_features_n_out(f), 4);
    cr_assert_str_eq(aml_features_name(f, 3), "pca 1");
    /* the component is the projection of the standardized row */
    aml_matrix *Y = apply(f, X);
    double mu[3] = {0}, sd[3] = {0};
    for (size_t j = 0; j < 3; j++) {
        for (size_t i = 0; i < n; i++)
            mu[j] += x[i * 3 + j];
        mu[j] /= n;
        for (size_t i = 0; i < n; i++)
            sd[j] += (x[i * 3 + j] - mu[j]) * (x[i * 3 + j] - mu[j]);
        sd[j] = sqrt(sd[j] / n);
    }
    for (size_t i = 0; i < n; i += 97) {
        double p = 0;
        for (size_t j = 0; j < 3; j++)
            p += (x[i * 3 + j] - mu[j]) / sd[j] * V[j];
        cr_assert_float_eq(Y->dense[i * 4 + 3], p, 1e-3);
    }
    aml_matrix_free(Y);
    aml_features_free(f);
    /* fixed k, replacing the base */
    o.pca_k = 2;
    o.pca_replace = true;
    f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    cr_assert_eq(aml_features_n_out(f), 2);
    cr_assert_str_eq(aml_features_name(f, 1), "pca 2");
    aml_features_pca(f, &k, &dim, &V, &ex);
    cr_assert_float_eq(ex[0] + ex[1], 1.0, 0.01);
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "Replaced the features by 2 principal components"), "%s", text);
    aml_free(text);
    aml_features_free(f);
    aml_matrix_free(X);
    free(x);
    free(y);
}

/* ---- k-means ---- */

Test(features, kmeans_finds_blobs)
{
    static const float centre[3][2] = {{0, 0}, {10, 0}, {0, 10}};
    size_t n = 300;
    float *x = malloc(n * 2 * sizeof(float)), *y = calloc(n, sizeof(float));
    tu_seed(3);
    for (size_t i = 0; i < n; i++) {
        x[i * 2] = centre[i % 3][0] + 0.5f * (float)tu_gauss();
        x[i * 2 + 1] = centre[i % 3][1] + 0.5f * (float)tu_gauss();
    }
    aml_matrix *X = dense(n, 2, x);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_KMEANS;
    o.kmeans_k = 3;
    o.seed = 42;
    aml_features *f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    cr_assert_eq(aml_features_n_out(f), 5);
    cr_assert_str_eq(aml_features_name(f, 4), "distance to cluster 3");
    aml_matrix *Y = apply(f, X);
    int label[3] = {-1, -1, -1};
    for (size_t i = 0; i < n; i++) {
        const float *d = Y->dense + i * 5 + 2;
        int best = 0;
        for (int c = 1; c < 3; c++)
            if (d[c] < d[best])
                best = c;
        cr_assert(d[best] < 1.5f, "row %zu is %f from its centre (standardized)", i, d[best]);
        if (label[i % 3] < 0)
            label[i % 3] = best;
        cr_assert_eq(best, label[i % 3], "row %zu", i);
    }
    cr_assert(label[0] != label[1] && label[1] != label[2] && label[0] != label[2]);
    aml_matrix_free(Y);
    aml_features_free(f);
    /* too few rows for k clusters: skipped and said */
    o.kmeans_k = 200;
    f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    cr_assert_eq(aml_features_steps(f), 0);
    cr_assert_eq(aml_features_n_out(f), 2);
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "no k-means distances"), "%s", text);
    aml_free(text);
    aml_features_free(f);
    aml_matrix_free(X);
    free(x);
    free(y);
}

/* ---- selection ---- */

static void synthetic(size_t n, size_t d, float **x, float **y, bool classes)
{
    *x = malloc(n * d * sizeof(float));
    *y = malloc(n * sizeof(float));
    tu_seed(11);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            (*x)[i * d + j] = (float)tu_gauss();
        float *r = *x + i * d;
        float t = r[3] + 2 * r[7] - r[12] + 0.3f * (float)tu_gauss();
        (*y)[i] = classes ? (t < -1 ? 0.0f : t < 1 ? 1.0f : 2.0f) : t;
    }
}

Test(features, select_keeps_informative)
{
    size_t n = 2000, d = 20;
    float *x, *y;
    synthetic(n, d, &x, &y, false);
    aml_matrix *X = dense(n, d, x);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_SELECT;
    o.select_k = 3;
    aml_features *f = fit(X, y, AML_TASK_REGRESSION, 0, NULL, NULL, &o);
    size_t nk;
    const uint32_t *kept = aml_features_kept(f, &nk);
    cr_assert_eq(nk, 3);
    cr_assert_eq(kept[0], 3);
    cr_assert_eq(kept[1], 7);
    cr_assert_eq(kept[2], 12);
    aml_matrix *Y = apply(f, X);
    cr_assert_eq(Y->dense[5 * 3 + 1], x[5 * d + 7]);
    aml_matrix_free(Y);
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "Kept the 3 most important of 20 features"), "%s", text);
    aml_free(text);
    aml_features_free(f);
    /* multiclass: correlation ratio */
    free(x);
    free(y);
    synthetic(n, d, &x, &y, true);
    aml_matrix_free(X);
    X = dense(n, d, x);
    f = fit(X, y, AML_TASK_MULTICLASS, 3, NULL, NULL, &o);
    kept = aml_features_kept(f, &nk);
    cr_assert(kept[0] == 3 && kept[1] == 7 && kept[2] == 12, "%u %u %u", kept[0], kept[1], kept[2]);
    aml_features_free(f);
    /* given importance wins; NAN counts as 0; half by default */
    float imp[20] = {0};
    imp[0] = 5;
    imp[19] = 4;
    imp[3] = NAN;
    o.select_k = 2;
    f = fit(X, y, AML_TASK_MULTICLASS, 3, NULL, imp, &o);
    kept = aml_features_kept(f, &nk);
    cr_assert(nk == 2 && kept[0] == 0 && kept[1] == 19);
    aml_features_free(f);
    o.select_k = 0;
    f = fit(X, y, AML_TASK_MULTICLASS, 3, NULL, imp, &o);
    cr_assert_eq(aml_features_n_out(f), 10);
    aml_features_free(f);
    aml_matrix_free(X);
    free(x);
    free(y);
}

/* ---- the whole pipeline ---- */

/* 300 rows: 4 numeric columns, a code column, a constant column, NANs. */
static aml_matrix *mixed(size_t n, float **yout)
{
    aml_matrix *X = dense(n, 6, NULL);
    float *y = malloc(n * sizeof(float));
    tu_seed(5);
    for (size_t i = 0; i < n; i++) {
        float *r = X->dense + i * 6;
        for (int j = 0; j < 4; j++)
            r[j] = (float)tu_gauss() + (j == 1 ? 100 : 0);
        r[4] = (float)(i % 5);
        r[5] = 7;
        if (i % 17 == 0)
            r[i % 4] = NAN;
        if (i % 23 == 0)
            r[4] = NAN;
        y[i] = r[0] + r[4] > 2 ? 1.0f : 0.0f;
    }
    *yout = y;
    return X;
}

static aml_features_options all_steps(void)
{
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_ALL;
    o.select_k = 5;
    o.kmeans_k = 4;
    o.pca_k = 3;
    return o;
}

Test(features, all_steps_nan_and_constant)
{
    float *y;
    aml_matrix *X = mixed(300, &y);
    aml_features_options o = all_steps();
    aml_features *f = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    cr_assert_eq(aml_features_steps(f), AML_FEATURES_ALL);
    size_t nk;
    const uint32_t *kept = aml_features_kept(f, &nk);
    for (size_t i = 0; i < nk; i++)
        cr_assert_neq(kept[i], 5, "the constant column is not kept");
    aml_matrix *Y = apply(f, X);
    size_t pca = (size_t)find(f, "pca 1"), km = (size_t)find(f, "distance to cluster 1");
    for (size_t i = 0; i < Y->rows; i++)
        for (size_t j = pca; j < Y->cols; j++)
            cr_assert(isfinite(Y->dense[i * Y->cols + j]), "(%zu, %zu)", i, j);
    cr_assert_eq(km, pca + 3);
    cr_assert_eq(Y->cols, km + 4);
    find(f, "freq(f4)");
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "Kept the 5 most important of 6 features"), "%s", text);
    cr_assert(strstr(text, "k-means"), "%s", text);
    aml_free(text);
    aml_matrix_free(Y);
    aml_features_free(f);
    aml_matrix_free(X);
    free(y);
}

Test(features, apply_on_new_rows_equals_fit_rows)
{
    float *y;
    aml_matrix *X = mixed(3000, &y);
    aml_features_options o = all_steps();
    aml_features *f = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    aml_matrix *Y = apply(f, X);
    size_t idx[50];
    for (size_t i = 0; i < 50; i++)
        idx[i] = 1500 + 7 * i;
    aml_matrix *Xs = NULL;
    cr_assert_eq(aml_matrix_take_rows(X, idx, 50, &Xs), 0);
    aml_matrix *Ys = apply(f, Xs);
    size_t pca = (size_t)find(f, "pca 1");
    for (size_t i = 0; i < 50; i++)
        for (size_t j = 0; j < Y->cols; j++) {
            float a = Y->dense[idx[i] * Y->cols + j], b = Ys->dense[i * Y->cols + j];
            if (j < pca)
                cr_assert(same(a, b), "(%zu, %zu): %g vs %g", i, j, a, b);
            else
                cr_assert_float_eq(a, b, 1e-4 * (1 + fabsf(a)), "(%zu, %zu)", i, j);
        }
    aml_matrix_free(Ys);
    aml_matrix_free(Xs);
    aml_matrix_free(Y);
    aml_features_free(f);
    aml_matrix_free(X);
    free(y);
}

Test(features, save_load_identical_and_damaged)
{
    float *y;
    aml_matrix *X = mixed(400, &y);
    aml_features_options o = all_steps();
    aml_features *f = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    unsigned char *bytes = NULL;
    size_t len = 0;
    aml_error e = {0};
    cr_assert_eq(aml_features_save(f, &bytes, &len, &e), 0);
    aml_features *g = NULL;
    cr_assert_eq(aml_features_load(bytes, len, &g, &e), 0, "%s", e.text);
    aml_matrix *A = apply(f, X), *B = apply(g, X);
    cr_assert_eq(A->cols, B->cols);
    cr_assert_eq(memcmp(A->dense, B->dense, A->rows * A->cols * sizeof(float)), 0);
    for (size_t j = 0; j < aml_features_n_out(f); j++)
        cr_assert_str_eq(aml_features_name(f, j), aml_features_name(g, j));
    char *t1 = NULL, *t2 = NULL;
    cr_assert_eq(aml_features_describe(f, &t1), 0);
    cr_assert_eq(aml_features_describe(g, &t2), 0);
    cr_assert_str_eq(t1, t2);
    aml_free(t1);
    aml_free(t2);
    /* every truncation is a parse error, never a crash */
    for (size_t l = 0; l < len; l += (l < 200 ? 1 : 13)) {
        aml_features *h = NULL;
        cr_assert_eq(aml_features_load(bytes, l, &h, &e), AML_EPARSE, "length %zu", l);
        cr_assert_null(h);
    }
    unsigned char *bad = malloc(len);
    memcpy(bad, bytes, len);
    bad[0] = 'X';
    aml_features *h = NULL;
    cr_assert_eq(aml_features_load(bad, len, &h, &e), AML_EPARSE);
    free(bad);
    aml_matrix_free(A);
    aml_matrix_free(B);
    aml_features_free(g);
    aml_free(bytes);
    aml_features_free(f);
    aml_matrix_free(X);
    free(y);
}

Test(features, deterministic_for_a_seed)
{
    float *y;
    aml_matrix *X = mixed(500, &y);
    aml_features_options o = all_steps();
    o.seed = 99;
    unsigned char *b[2];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        aml_features *f = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
        cr_assert_eq(aml_features_save(f, &b[i], &len[i], NULL), 0);
        aml_features_free(f);
    }
    cr_assert_eq(len[0], len[1]);
    cr_assert_eq(memcmp(b[0], b[1], len[0]), 0);
    aml_free(b[0]);
    aml_free(b[1]);
    aml_matrix_free(X);
    free(y);
}

/* ---- sparse input ---- */

static aml_matrix *to_csr(const aml_matrix *D)
{
    aml_matrix *m = calloc(1, sizeof *m);
    m->rows = D->rows;
    m->cols = D->cols;
    m->indptr = calloc(D->rows + 1, sizeof(size_t));
    m->indices = malloc(D->rows * D->cols * sizeof(uint32_t) + 1);
    m->values = malloc(D->rows * D->cols * sizeof(float) + 1);
    size_t p = 0;
    for (size_t i = 0; i < D->rows; i++) {
        for (size_t j = 0; j < D->cols; j++) {
            float v = D->dense[i * D->cols + j];
            if (v != 0) {
                m->indices[p] = (uint32_t)j;
                m->values[p++] = v;
            }
        }
        m->indptr[i + 1] = p;
    }
    return m;
}

static void free_csr(aml_matrix *m)
{
    free(m->indptr);
    free(m->indices);
    free(m->values);
    free(m);
}

Test(features, csr_equals_dense_and_wide_passthrough)
{
    float *y;
    aml_matrix *X = mixed(300, &y);
    for (size_t i = 0; i < X->rows; i += 3)
        X->dense[i * 6 + 2] = 0;
    aml_matrix *S = to_csr(X);
    aml_features_options o = all_steps();
    aml_features *fd = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    aml_features *fs = fit(S, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    aml_matrix *A = apply(fd, X), *B = apply(fs, S), *C = apply(fd, S);
    cr_assert_eq(A->cols, B->cols);
    cr_assert_eq(memcmp(A->dense, B->dense, A->rows * A->cols * sizeof(float)), 0);
    cr_assert_eq(memcmp(A->dense, C->dense, A->rows * A->cols * sizeof(float)), 0);
    aml_matrix_free(A);
    aml_matrix_free(B);
    aml_matrix_free(C);
    aml_features_free(fd);
    aml_features_free(fs);
    /* wider than dense_max_cols, no selection: passed through, said */
    o.steps = AML_FEATURES_ALL & ~AML_FEATURES_SELECT;
    o.dense_max_cols = 4;
    aml_features *f = fit(S, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    cr_assert_eq(aml_features_steps(f), 0);
    aml_matrix *P = apply(f, S);
    cr_assert_null(P->dense);
    cr_assert_eq(P->indptr[P->rows], S->indptr[S->rows]);
    char *text = NULL;
    cr_assert_eq(aml_features_describe(f, &text), 0);
    cr_assert(strstr(text, "sparse"), "%s", text);
    aml_free(text);
    aml_matrix_free(P);
    aml_features_free(f);
    /* with selection the kept columns are densified and the steps run */
    o.steps = AML_FEATURES_ALL;
    o.select_k = 4;
    f = fit(S, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    cr_assert_eq(aml_features_steps(f) & AML_FEATURES_PCA, AML_FEATURES_PCA);
    P = apply(f, S);
    cr_assert_not_null(P->dense);
    aml_matrix_free(P);
    aml_features_free(f);
    free_csr(S);
    aml_matrix_free(X);
    free(y);
}

Test(features, bad_arguments)
{
    float y[2] = {0, 1};
    aml_matrix *X = dense(2, 3, NULL);
    aml_features *f = NULL;
    aml_error e = {0};
    aml_matrix E = {0, 3, NULL, NULL, NULL, NULL, false};
    float v[] = {1, 2, 3, 4, 5, 6};
    memcpy(X->dense, v, sizeof v);
    cr_assert_eq(aml_features_fit(&E, y, AML_TASK_BINARY, 2, NULL, NULL, NULL, &f, &e), AML_EEMPTY);
    aml_features_options o = aml_features_options_default();
    o.steps = AML_FEATURES_CONSTRUCT;
    f = fit(X, y, AML_TASK_BINARY, 2, NULL, NULL, &o);
    aml_matrix *W = dense(2, 4, NULL), *Y = NULL;
    cr_assert_eq(aml_features_apply(f, W, &Y, &e), AML_EINVAL);
    cr_assert_null(Y);
    cr_assert_null(aml_features_name(f, 1000));
    aml_matrix_free(W);
    aml_features_free(f);
    aml_features_free(NULL);
    aml_matrix_free(X);
}
