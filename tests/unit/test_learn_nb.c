/* test_learn_nb.c — Criterion suite for the "nb" learner: Gaussian
 * probabilities against a naive two-pass computation (with scikit-learn's
 * var_smoothing), multinomial and Bernoulli on a tiny count example computed
 * by hand, sample and class weights, save -> load -> identical predictions,
 * and the errors (regression, negative counts). */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static aml_learner *nb(double variant, double alpha)
{
    aml_params p = {0};
    aml_params_set(&p, "variant", variant);
    aml_params_set(&p, "alpha", alpha);
    return tu_learner_new("nb", &p);
}

Test(nb, gaussian_matches_naive_computation)
{
    size_t n = 240, d = 4, k = 3;
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(n, d, &X), 0);
    float *y = malloc(n * sizeof(float));
    srand(2);
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)(i % 7 < 3 ? 0 : i % 7 < 5 ? 1 : 2);   /* unequal priors */
        for (size_t j = 0; j < d; j++)
            X->dense[i * d + j] = (float)((double)rand() / RAND_MAX * (j + 1) + y[i] * (j % 2));
    }
    aml_learner *l = nb(0, 1);
    aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = k, .X = X, .y = y};
    tu_fit(l, &fd);
    float *p = malloc(n * k * sizeof(float));
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, X, p, &err), 0);

    /* naive: two-pass means and variances per class */
    double mean[3][4] = {{0}}, var[3][4] = {{0}}, cnt[3] = {0}, gm[4] = {0}, gv[4] = {0};
    for (size_t i = 0; i < n; i++) {
        cnt[(size_t)y[i]]++;
        for (size_t j = 0; j < d; j++) {
            mean[(size_t)y[i]][j] += X->dense[i * d + j];
            gm[j] += X->dense[i * d + j] / (double)n;
        }
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++)
            mean[c][j] /= cnt[c];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double e = X->dense[i * d + j] - mean[(size_t)y[i]][j], g = X->dense[i * d + j] - gm[j];
            var[(size_t)y[i]][j] += e * e / cnt[(size_t)y[i]];
            gv[j] += g * g / (double)n;
        }
    double maxv = 0;
    for (size_t j = 0; j < d; j++)
        maxv = gv[j] > maxv ? gv[j] : maxv;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double jll[3], mx = -INFINITY, s = 0;
        for (size_t c = 0; c < k; c++) {
            jll[c] = log(cnt[c] / (double)n);
            for (size_t j = 0; j < d; j++) {
                double v = var[c][j] + 1e-9 * maxv, e = X->dense[i * d + j] - mean[c][j];
                jll[c] += -0.5 * log(2 * M_PI * v) - e * e / (2 * v);
            }
            mx = jll[c] > mx ? jll[c] : mx;
        }
        for (size_t c = 0; c < k; c++)
            s += exp(jll[c] - mx);
        for (size_t c = 0; c < k; c++) {
            double want = exp(jll[c] - mx) / s;
            worst = fmax(worst, fabs(p[i * k + c] - want));
        }
    }
    cr_log_info("gaussian nb: worst probability difference %.3g", worst);
    cr_expect_lt(worst, 1e-5);

    /* save -> load -> identical */
    unsigned char *bytes = NULL;
    size_t len = 0;
    cr_assert_eq(aml_learner_save(l, &bytes, &len, &err), 0);
    aml_learner *back = NULL;
    cr_assert_eq(aml_learner_load(bytes, len, &back, &err), 0, "%s", err.text);
    float *q = malloc(n * k * sizeof(float));
    cr_assert_eq(aml_learner_predict(back, X, q, &err), 0);
    cr_expect_arr_eq(p, q, n * k * sizeof(float));
    for (size_t cut = 0; cut < len; cut += len / 29 + 1) {
        aml_learner *bad = NULL;
        cr_expect_neq(aml_learner_load(bytes, cut, &bad, &err), 0);
        cr_expect_null(bad);
    }
    aml_free(bytes);
    aml_learner_free(back);
    aml_learner_free(l);
    aml_matrix_free(X);
    free(y);
    free(p);
    free(q);
}

/* class 0: [2,1,0], [1,0,1]; class 1: [0,2,3] */
static aml_matrix *counts(void)
{
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(3, 3, &X), 0);
    float v[9] = {2, 1, 0, 1, 0, 1, 0, 2, 3};
    memcpy(X->dense, v, sizeof v);
    return X;
}

static float y_counts[3] = {0, 0, 1};

Test(nb, multinomial_by_hand)
{
    aml_matrix *X = counts(), *Q = NULL;
    cr_assert_eq(aml_matrix_new(1, 3, &Q), 0);
    Q->dense[0] = Q->dense[1] = Q->dense[2] = 1;
    aml_learner *l = nb(1, 1.0);
    aml_fit_data fd = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = y_counts};
    tu_fit(l, &fd);
    float p;
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, Q, &p, &err), 0);
    /* p0 = (4,2,2)/8, p1 = (1,3,4)/8, priors 2/3, 1/3:
     * joint 0 = 2/3 * 1/32 = 1/48, joint 1 = 1/3 * 12/512 = 1/128 -> 48/176 */
    cr_expect_float_eq(p, 3.0f / 11, 1e-6, "P(1) = %.7g", p);
    aml_learner_free(l);

    /* sample weight 2 on the first row: class 0 totals (5,2,1)+alpha over 11,
     * prior 3/4: joint 0 = 3/4 * 6*3*2/11^3, joint 1 = 1/4 * 12/512 */
    float w[3] = {2, 1, 1};
    fd.weight = w;
    l = nb(1, 1.0);
    tu_fit(l, &fd);
    cr_assert_eq(aml_learner_predict(l, Q, &p, &err), 0);
    double j0 = 0.75 * 36.0 / 1331.0, j1 = 0.25 * 12.0 / 512.0;
    cr_expect_float_eq(p, (float)(j1 / (j0 + j1)), 1e-6);
    aml_learner_free(l);

    /* class weights scale the priors only: 3 on class 1 -> priors 2/5, 3/5 */
    float cw[2] = {1, 3};
    fd.weight = NULL;
    fd.class_weight = cw;
    l = nb(1, 1.0);
    tu_fit(l, &fd);
    cr_assert_eq(aml_learner_predict(l, Q, &p, &err), 0);
    j0 = 0.4 / 32.0;
    j1 = 0.6 * 12.0 / 512.0;
    cr_expect_float_eq(p, (float)(j1 / (j0 + j1)), 1e-6);
    aml_learner_free(l);
    aml_matrix_free(X);
    aml_matrix_free(Q);
}

Test(nb, bernoulli_by_hand)
{
    aml_matrix *X = counts(), *Q = NULL;
    cr_assert_eq(aml_matrix_new(1, 3, &Q), 0);
    Q->dense[0] = 5;   /* binarised: [1, 0, 0] */
    aml_learner *l = nb(2, 1.0);
    aml_fit_data fd = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = y_counts};
    tu_fit(l, &fd);
    float p;
    aml_error err = {0};
    cr_assert_eq(aml_learner_predict(l, Q, &p, &err), 0);
    /* p0 = (3/4, 1/2, 1/2), p1 = (1/3, 2/3, 2/3): joint 0 = 2/3 * 3/4 * 1/2 * 1/2 = 1/8,
     * joint 1 = 1/3 * 1/3 * 1/3 * 1/3 = 1/81 -> 8/89 */
    cr_expect_float_eq(p, 8.0f / 89, 1e-6, "P(1) = %.7g", p);
    aml_learner_free(l);
    aml_matrix_free(X);
    aml_matrix_free(Q);
}

Test(nb, rejects_regression_and_negative_counts)
{
    cr_expect_not(aml_learner_supports("nb", AML_TASK_REGRESSION));
    cr_expect(aml_learner_supports("nb", AML_TASK_BINARY));
    aml_matrix *X = counts();
    float yr[3] = {0.5f, 1.5f, 2.5f};
    aml_learner *l = nb(0, 1);
    aml_fit_data fd = {.task = AML_TASK_REGRESSION, .X = X, .y = yr};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    aml_error err = {0};
    cr_expect_eq(aml_learner_fit(l, &fd, &ctl, &err), AML_EUNSUPPORTED);
    cr_expect(strstr(err.text, "regression") != NULL, "%s", err.text);
    aml_learner_free(l);

    X->dense[4] = -1;
    l = nb(1, 1);
    aml_fit_data fc = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = y_counts};
    cr_expect_eq(aml_learner_fit(l, &fc, &ctl, &err), AML_EINVAL);
    cr_expect(strstr(err.text, "non-negative") != NULL, "%s", err.text);
    aml_learner_free(l);
    aml_matrix_free(X);
}

Test(nb, space)
{
    size_t n = 0;
    const aml_param_spec *s = aml_learner_space("nb", &n);
    cr_assert_not_null(s);
    cr_expect_eq(n, 3);
    cr_expect_str_eq(s[0].name, "variant");
    cr_expect_str_eq(s[0].choices, "gaussian|multinomial|bernoulli");
}
