/* test_learn_linear.c — Criterion suite for the LIBLINEAR learner kind
 * "linear" (engine/learn/learn_linear.c): separable data (accuracy 1.0 for L2 and L1
 * logistic regression and the linear SVM), known coefficients for L2
 * regression, three Gaussian blobs one-vs-rest, save/load bit-for-bit, cancel,
 * parameter errors, sample and class weights, NAN guarded as 0, importance,
 * determinism. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* LIBLINEAR is single-threaded; one thread asked. */
static const int fit_threads = 1;

/* Two separable clusters along (1, 1) with a 2-unit margin, plus a noise feature. */
static tu_set separable(size_t rows, uint64_t seed)
{
    tu_seed(seed);
    tu_set s = tu_set_new(rows, 3);
    for (size_t i = 0; i < rows; i++) {
        float *x = s.X->dense + 3 * i;
        int c = (int)(i % 2);
        float side = c ? 1.0f : -1.0f;
        x[0] = side * (1.5f + (float)tu_uni()) + (float)(tu_uni() - 0.5);
        x[1] = side * (1.5f + (float)tu_uni()) - (float)(tu_uni() - 0.5);
        x[2] = (float)tu_gauss();
        s.y[i] = (float)c;
    }
    return s;
}

static aml_params loss_params(int loss, int penalty, double C)
{
    aml_params p = {0};
    aml_params_set(&p, "loss", loss);
    aml_params_set(&p, "penalty", penalty);
    aml_params_set(&p, "C", C);
    return p;
}

Test(learn_linear, registered_with_a_space)
{
    size_t n = 0;
    const aml_param_spec *sp = aml_learner_space("linear", &n);
    cr_assert_not_null(sp);
    cr_assert_eq(n, 4);
    cr_assert(aml_learner_supports("linear", AML_TASK_BINARY));
    cr_assert(aml_learner_supports("linear", AML_TASK_MULTICLASS));
    cr_assert(aml_learner_supports("linear", AML_TASK_REGRESSION));
}

Test(learn_linear, separable_data_is_separated)
{
    tu_set train = separable(400, 1), test = separable(400, 2);
    for (int loss = 0; loss < 2; loss++)
        for (int pen = 0; pen < 2; pen++) {
            aml_params p = loss_params(loss, pen, 10);
            aml_learner *l = tu_fit_kind("linear", &p, AML_TASK_BINARY, 2, &train, NULL,
                                         fit_threads);
            cr_assert_eq(tu_learner_accuracy(l, &test, 2), 1.0, "loss %d penalty %d", loss, pen);
            /* probabilities are probabilities, and on the right side */
            float pr[400];
            cr_assert_eq(aml_learner_predict(l, test.X, pr, NULL), 0);
            for (int i = 0; i < 400; i++) {
                cr_assert(pr[i] > 0 && pr[i] < 1);
                cr_assert_eq(pr[i] > 0.5f, test.y[i] == 1);
            }
            aml_learner_free(l);
        }
    tu_set_free(&train);
    tu_set_free(&test);
}

Test(learn_linear, l2_regression_recovers_known_coefficients)
{
    tu_set train = tu_linear(2000, 3, 0.01), test = tu_linear(200, 4, 0);
    aml_params p = {0};
    aml_params_set(&p, "C", 1e4);
    aml_params_set(&p, "eps", 1e-4);
    aml_learner *l = tu_fit_kind("linear", &p, AML_TASK_REGRESSION, 0, &train, NULL, fit_threads);
    /* the prediction at the origin is the intercept; at unit vectors, intercept + coefficient */
    aml_matrix *q = NULL;
    cr_assert_eq(aml_matrix_new(4, 3, &q), 0);
    for (int j = 0; j < 3; j++)
        q->dense[(j + 1) * 3 + j] = 1;
    float out[4];
    cr_assert_eq(aml_learner_predict(l, q, out, NULL), 0);
    cr_assert_float_eq(out[0], 1.0, 2e-3, "intercept %g", (double)out[0]);
    for (int j = 0; j < 3; j++)
        cr_assert_float_eq(out[j + 1] - out[0], tu_linear_truth[j], 2e-3, "coefficient %d: %g", j,
                           (double)(out[j + 1] - out[0]));
    cr_assert_lt(tu_learner_rmse(l, &test), 5e-3);
    /* importance is |coefficient| normalised: 2 : 3 : 0.5 */
    float imp[3];
    cr_assert_eq(aml_learner_importance(l, imp, 3, NULL), 0);
    for (int j = 0; j < 3; j++)
        cr_assert_float_eq(imp[j], fabs(tu_linear_truth[j]) / 5.5, 1e-3);
    aml_matrix_free(q);
    aml_learner_free(l);
    tu_set_free(&train);
    tu_set_free(&test);
}

Test(learn_linear, three_blobs_one_vs_rest)
{
    tu_set train = tu_blobs(600, 5), test = tu_blobs(300, 6);
    for (int loss = 0; loss < 2; loss++) {
        aml_params p = loss_params(loss, 0, 1);
        aml_learner *l = tu_fit_kind("linear", &p, AML_TASK_MULTICLASS, 3, &train, NULL,
                                     fit_threads);
        cr_assert_eq(tu_learner_accuracy(l, &test, 3), 1.0, "loss %d", loss);
        aml_learner_free(l);
    }
    tu_set_free(&train);
    tu_set_free(&test);
}

Test(learn_linear, save_load_predicts_bit_for_bit)
{
    tu_set train = tu_blobs(600, 7), test = tu_blobs(300, 8);
    for (int loss = 0; loss < 2; loss++) {
        aml_params p = loss_params(loss, loss, 1);
        aml_learner *l = tu_fit_kind("linear", &p, AML_TASK_MULTICLASS, 3, &train, NULL,
                                     fit_threads);
        unsigned char *bytes = NULL;
        size_t len = 0;
        aml_error err = {0};
        cr_assert_eq(aml_learner_save(l, &bytes, &len, &err), 0, "%s", err.text);
        aml_learner *back = NULL;
        cr_assert_eq(aml_learner_load(bytes, len, &back, &err), 0, "%s", err.text);
        float a[900], b[900];
        cr_assert_eq(aml_learner_predict(l, test.X, a, NULL), 0);
        cr_assert_eq(aml_learner_predict(back, test.X, b, NULL), 0);
        cr_assert_eq(memcmp(a, b, sizeof a), 0);
        aml_learner *bad = NULL;
        cr_assert_eq(aml_learner_load(bytes, len - 9, &bad, &err), AML_EPARSE);
        cr_assert_null(bad);
        aml_free(bytes);
        aml_learner_free(back);
        aml_learner_free(l);
    }
    tu_set_free(&train);
    tu_set_free(&test);
}

/* LIBLINEAR has no callback: the flag is checked before each class's
 * train() and after the last. */
Test(learn_linear, cancel_before_and_after_training)
{
    tu_set train = tu_blobs(300, 9);
    aml_learner *l = NULL;
    cr_assert_eq(aml_learner_new("linear", NULL, &l, NULL), 0);
    aml_fit_data d = {AML_TASK_MULTICLASS, 3, train.X, train.y, NULL, NULL, NULL, NULL};
    volatile int flag = 1;
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.cancel = &flag;
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &d, &ctl, &err), AML_ECANCELED);
    float out[900];
    cr_assert_eq(aml_learner_predict(l, train.X, out, NULL), AML_EINVAL);   /* nothing kept */
    aml_learner_free(l);
    tu_set_free(&train);
}

Test(learn_linear, parameter_errors_name_the_parameter)
{
    aml_learner *l = NULL;
    aml_error err = {0};
    aml_params p = {0};
    aml_params_set(&p, "c", 1);
    cr_assert_eq(aml_learner_new("linear", &p, &l, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "'c'"), "%s", err.text);
    aml_params q = {0};
    aml_params_set(&q, "C", 1e5);
    cr_assert_eq(aml_learner_new("linear", &q, &l, &err), AML_ERANGE);
    cr_assert(strstr(err.text, "C="), "%s", err.text);
    aml_params r = {0};
    aml_params_set(&r, "penalty", 2);
    cr_assert_eq(aml_learner_new("linear", &r, &l, &err), AML_ERANGE);
    aml_params s = {0};
    aml_params_set(&s, "eps", NAN);
    cr_assert_eq(aml_learner_new("linear", &s, &l, &err), AML_ERANGE);
    cr_assert_null(l);
}

/* x in {0, 1}; at x = 0 labels are half 0, half 1.  Weight 3 on the class-1
 * rows at x = 0 (per-row weights, replicated) or on class 1 (class weights,
 * exact) moves P(1 | x = 0) up. */
Test(learn_linear, sample_and_class_weights_change_the_fit)
{
    tu_set s = tu_set_new(400, 1);
    float *w = calloc(400, sizeof *w);
    for (size_t i = 0; i < 400; i++) {
        s.X->dense[i] = (float)(i >= 200);
        s.y[i] = i >= 200 ? (float)(i % 4 != 0) : (float)(i % 2);
        w[i] = i < 200 && i % 2 ? 3.0f : 1.0f;
    }
    aml_matrix *q = NULL;
    cr_assert_eq(aml_matrix_new(1, 1, &q), 0);
    aml_params p = loss_params(0, 0, 100);
    float plain, weighted, classw;
    aml_learner *l = tu_fit_kind("linear", &p, AML_TASK_BINARY, 2, &s, NULL, fit_threads);
    cr_assert_eq(aml_learner_predict(l, q, &plain, NULL), 0);
    aml_learner_free(l);
    l = tu_fit_kind("linear", &p, AML_TASK_BINARY, 2, &s, w, fit_threads);
    cr_assert_eq(aml_learner_predict(l, q, &weighted, NULL), 0);
    aml_learner_free(l);
    /* logistic regression with an intercept and one binary feature fits the
     * two cell frequencies: 1/2 unweighted, 3/4 weighted */
    cr_assert_float_eq(plain, 0.5f, 0.02, "%g", (double)plain);
    cr_assert_float_eq(weighted, 0.75f, 0.02, "%g", (double)weighted);
    const float cw[2] = {1, 3};
    aml_learner *m = NULL;
    cr_assert_eq(aml_learner_new("linear", &p, &m, NULL), 0);
    aml_fit_data d = {AML_TASK_BINARY, 2, s.X, s.y, NULL, cw, NULL, NULL};
    cr_assert_eq(aml_learner_fit(m, &d, NULL, NULL), 0);
    cr_assert_eq(aml_learner_predict(m, q, &classw, NULL), 0);
    cr_assert_float_eq(classw, 0.75f, 0.02, "%g", (double)classw);
    aml_learner_free(m);
    aml_matrix_free(q);
    free(w);
    tu_set_free(&s);
}

Test(learn_linear, nan_is_read_as_zero_and_sparse_matches_dense)
{
    tu_set train = separable(200, 10);
    aml_learner *l = tu_fit_kind("linear", NULL, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
    aml_matrix *a = NULL, *b = NULL;
    cr_assert_eq(aml_matrix_new(1, 3, &a), 0);
    cr_assert_eq(aml_matrix_new(1, 3, &b), 0);
    a->dense[0] = 2;
    a->dense[1] = NAN;
    a->dense[2] = 0.5f;
    b->dense[0] = 2;
    b->dense[2] = 0.5f;
    float pa, pb, pc;
    cr_assert_eq(aml_learner_predict(l, a, &pa, NULL), 0);
    cr_assert_eq(aml_learner_predict(l, b, &pb, NULL), 0);
    cr_assert_eq(pa, pb);
    size_t ptr[2] = {0, 2};
    uint32_t ind[2] = {0, 2};
    float val[2] = {2, 0.5f};
    aml_matrix sp = {1, 3, NULL, ptr, ind, val, false};
    cr_assert_eq(aml_learner_predict(l, &sp, &pc, NULL), 0);
    cr_assert_eq(pa, pc);
    /* NAN in training rows is guarded too */
    train.X->dense[5] = NAN;
    aml_learner *m = tu_fit_kind("linear", NULL, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
    aml_matrix_free(a);
    aml_matrix_free(b);
    aml_learner_free(l);
    aml_learner_free(m);
    tu_set_free(&train);
}

Test(learn_linear, same_seed_same_model)
{
    tu_set train = separable(400, 11);
    for (int loss = 0; loss < 2; loss++) {
        aml_params p = loss_params(loss, 1, 1);   /* the shuffling (dual, l1) solvers */
        aml_learner *a = tu_fit_kind("linear", &p, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
        aml_learner *b = tu_fit_kind("linear", &p, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
        float pa[400], pb[400];
        cr_assert_eq(aml_learner_predict(a, train.X, pa, NULL), 0);
        cr_assert_eq(aml_learner_predict(b, train.X, pb, NULL), 0);
        cr_assert_eq(memcmp(pa, pb, sizeof pa), 0);
        aml_learner_free(a);
        aml_learner_free(b);
    }
    tu_set_free(&train);
}
