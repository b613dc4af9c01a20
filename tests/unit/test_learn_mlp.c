/* test_learn_mlp.c — Criterion suite for the "mlp" learner: XOR, a known
 * linear function, three blobs, CSR input equal to dense, save -> load ->
 * bit-identical predictions, cancel from another thread within 150 ms, and
 * early stopping that restores the best epoch's weights. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double gauss(void)
{
    double u = (rand() + 1.0) / (RAND_MAX + 2.0), v = rand() / (RAND_MAX + 1.0);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static aml_learner *mlp(const char *const *names, const double *values, size_t n)
{
    aml_params p = {0};
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(aml_params_set(&p, names[i], values[i]), 0);
    return tu_learner_new("mlp", &p);
}

/* 3 gaussian blobs in d dimensions; y = blob */
static void blobs(size_t n, size_t d, unsigned seed, aml_matrix **X, float **y)
{
    srand(seed);
    cr_assert_eq(aml_matrix_new(n, d, X), 0);
    *y = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        size_t c = i % 3;
        (*y)[i] = (float)c;
        for (size_t j = 0; j < d; j++)
            (*X)->dense[i * d + j] = (float)((j % 3 == c ? 3.0 : 0.0) + gauss());
    }
}

Test(mlp, xor_is_learned_exactly)
{
    size_t n = 200;
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(n, 2, &X), 0);
    float *y = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        int a = i & 1, b = (i >> 1) & 1;
        X->dense[2 * i] = (float)a;
        X->dense[2 * i + 1] = (float)b;
        y[i] = (float)(a ^ b);
    }
    const char *names[] = {"hidden_layers", "units", "dropout", "learning_rate", "epochs",
                           "batch_size", "patience"};
    double values[] = {1, 32, 0, 0.03, 100, 32, 50};
    aml_learner *l = mlp(names, values, 7);
    aml_fit_data d = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = y};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.seed = 1;
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &d, &ctl, &err), 0, "%s", err.text);
    float p[200];
    cr_assert_eq(aml_learner_predict(l, X, p, &err), 0);
    for (size_t i = 0; i < 4; i++)
        cr_expect((p[i] > 0.5f) == (y[i] > 0.5f), "xor(%zu): p = %g", i, p[i]);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += (p[i] > 0.5f) == (y[i] > 0.5f);
    cr_expect_eq(ok, n, "accuracy %zu / %zu", ok, n);
    aml_learner_free(l);
    aml_matrix_free(X);
    free(y);
}

Test(mlp, regression_of_a_linear_function)
{
    size_t n = 2000, d = 3;
    aml_matrix *X = NULL;
    cr_assert_eq(aml_matrix_new(n, d, &X), 0);
    float *y = malloc(n * sizeof(float));
    srand(4);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++)
            X->dense[i * d + j] = (float)(10.0 * rand() / RAND_MAX - 5.0);
        y[i] = 100 + 3 * X->dense[i * d] - 2 * X->dense[i * d + 1] + 0.5f * X->dense[i * d + 2];
    }
    const char *names[] = {"units", "dropout", "learning_rate", "epochs", "batch_size"};
    double values[] = {64, 0, 3e-3, 60, 64};
    aml_learner *l = mlp(names, values, 5);
    aml_fit_data fd = {.task = AML_TASK_REGRESSION, .X = X, .y = y};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &fd, &ctl, &err), 0, "%s", err.text);
    float *p = malloc(n * sizeof(float));
    cr_assert_eq(aml_learner_predict(l, X, p, &err), 0);
    double se = 0, var = 0, mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        se += (p[i] - y[i]) * (double)(p[i] - y[i]);
        var += (y[i] - mean) * (y[i] - mean);
    }
    double rmse = sqrt(se / n), sd = sqrt(var / n);
    cr_log_info("linear function: RMSE %.4f, target sd %.3f", rmse, sd);
    cr_expect_lt(rmse, 0.02 * sd, "RMSE %g vs sd %g", rmse, sd);
    aml_learner_free(l);
    aml_matrix_free(X);
    free(y);
    free(p);
}

Test(mlp, three_blobs_with_batch_norm_and_gelu)
{
    aml_matrix *X = NULL, *V = NULL;
    float *y = NULL, *yv = NULL;
    blobs(600, 6, 1, &X, &y);
    blobs(300, 6, 2, &V, &yv);
    const char *names[] = {"batch_norm", "activation", "epochs", "batch_size"};
    double values[] = {1, 1, 30, 32};
    aml_learner *l = mlp(names, values, 4);
    aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = 3, .X = X, .y = y,
                       .X_valid = V, .y_valid = yv};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.seed = 3;
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &fd, &ctl, &err), 0, "%s", err.text);
    float *p = malloc(300 * 3 * sizeof(float));
    cr_assert_eq(aml_learner_predict(l, V, p, &err), 0);
    for (size_t i = 0; i < 300; i++)
        cr_assert(fabsf(p[3 * i] + p[3 * i + 1] + p[3 * i + 2] - 1) < 1e-5);
    double acc = tu_accuracy(p, yv, 300, 3);
    cr_log_info("blobs: validation accuracy %.3f", acc);
    cr_expect_gt(acc, 0.95);

    /* save -> load -> bit-identical predictions */
    unsigned char *bytes = NULL;
    size_t len = 0;
    cr_assert_eq(aml_learner_save(l, &bytes, &len, &err), 0, "%s", err.text);
    aml_learner *back = NULL;
    cr_assert_eq(aml_learner_load(bytes, len, &back, &err), 0, "%s", err.text);
    float *q = malloc(300 * 3 * sizeof(float));
    cr_assert_eq(aml_learner_predict(back, V, q, &err), 0);
    cr_expect_arr_eq(p, q, 300 * 3 * sizeof(float));
    for (size_t cut = 0; cut < len; cut += len / 37 + 1) {
        aml_learner *bad = NULL;
        cr_expect_neq(aml_learner_load(bytes, cut, &bad, &err), 0, "cut at %zu", cut);
        cr_expect_null(bad);
    }
    aml_free(bytes);
    aml_learner_free(back);
    aml_learner_free(l);
    aml_matrix_free(X);
    aml_matrix_free(V);
    free(y);
    free(yv);
    free(p);
    free(q);
}

Test(mlp, csr_input_gives_the_dense_result)
{
    aml_matrix *X = NULL;
    float *y = NULL;
    blobs(300, 5, 7, &X, &y);
    for (size_t i = 0; i < 300 * 5; i++)
        if (X->dense[i] < 0.5f)
            X->dense[i] = 0;   /* make it sparse-ish */
    size_t nnz = 0;
    for (size_t i = 0; i < 300 * 5; i++)
        nnz += X->dense[i] != 0;
    aml_matrix S = {.rows = 300, .cols = 5};
    S.indptr = malloc(301 * sizeof(size_t));
    S.indices = malloc(nnz * sizeof(uint32_t));
    S.values = malloc(nnz * sizeof(float));
    size_t k = 0;
    for (size_t r = 0; r < 300; r++) {
        S.indptr[r] = k;
        for (uint32_t c = 0; c < 5; c++)
            if (X->dense[r * 5 + c] != 0) {
                S.indices[k] = c;
                S.values[k++] = X->dense[r * 5 + c];
            }
    }
    S.indptr[300] = k;
    const char *names[] = {"epochs", "units"};
    double values[] = {10, 32};
    float pd[900], ps[900];
    for (int pass = 0; pass < 2; pass++) {
        aml_learner *l = mlp(names, values, 2);
        aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = 3,
                           .X = pass ? &S : X, .y = y};
        aml_fit_ctl ctl = aml_fit_ctl_default();
        ctl.seed = 11;
        aml_error err = {0};
        cr_assert_eq(aml_learner_fit(l, &fd, &ctl, &err), 0, "%s", err.text);
        cr_assert_eq(aml_learner_predict(l, pass ? &S : X, pass ? ps : pd, &err), 0);
        aml_learner_free(l);
    }
    cr_expect_arr_eq(pd, ps, sizeof pd);
    free(S.indptr);
    free(S.indices);
    free(S.values);
    aml_matrix_free(X);
    free(y);
}

typedef struct canceller {
    volatile int flag;
    double set_at;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    struct timespec t = {0, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
    c->set_at = aml_now();
    c->flag = 1;
    return NULL;
}

Test(mlp, cancel_from_another_thread_stops_quickly)
{
    aml_matrix *X = NULL;
    float *y = NULL;
    blobs(20000, 50, 5, &X, &y);
    const char *names[] = {"hidden_layers", "units", "batch_size", "epochs"};
    double values[] = {3, 512, 1024, 200};
    aml_learner *l = mlp(names, values, 4);
    aml_fit_data fd = {.task = AML_TASK_MULTICLASS, .n_classes = 3, .X = X, .y = y};
    canceller c = {0};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.cancel = &c.flag;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, cancel_later, &c), 0);
    aml_error err = {0};
    int rc = aml_learner_fit(l, &fd, &ctl, &err);
    double stopped = aml_now();
    pthread_join(th, NULL);
    cr_expect_eq(rc, AML_ECANCELED, "fit returned %d (%s)", rc, err.text);
    cr_log_info("cancel latency %.1f ms", 1e3 * (stopped - c.set_at));
    cr_expect_lt(stopped - c.set_at, 0.150, "stopped %.0f ms after cancel",
                 1e3 * (stopped - c.set_at));
    aml_learner_free(l);
    aml_matrix_free(X);
    free(y);
}

typedef struct epoch_log {
    double loss[256];
    size_t n;
} epoch_log;

static void record(double fraction, const char *what, void *user)
{
    (void)fraction;
    epoch_log *e = user;
    size_t ep = 0, total = 0;
    double loss = 0;
    if (sscanf(what, "epoch %zu/%zu, validation loss %lg", &ep, &total, &loss) == 3 && e->n < 256)
        e->loss[e->n++] = loss;
}

Test(mlp, early_stopping_restores_the_best_weights)
{
    /* random labels: the validation loss gets worse as the net memorises */
    size_t n = 200, d = 20;
    aml_matrix *X = NULL, *V = NULL;
    cr_assert_eq(aml_matrix_new(n, d, &X), 0);
    cr_assert_eq(aml_matrix_new(n, d, &V), 0);
    float *y = malloc(n * sizeof(float)), *yv = malloc(n * sizeof(float));
    srand(9);
    for (size_t i = 0; i < n * d; i++) {
        X->dense[i] = (float)gauss();
        V->dense[i] = (float)gauss();
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)(rand() & 1);
        yv[i] = (float)(rand() & 1);
    }
    const char *names[] = {"units", "learning_rate", "epochs", "patience", "dropout",
                           "batch_size"};
    double values[] = {256, 0.01, 200, 5, 0, 32};
    aml_learner *l = mlp(names, values, 6);
    epoch_log elog = {0};
    aml_fit_data fd = {.task = AML_TASK_BINARY, .n_classes = 2, .X = X, .y = y,
                       .X_valid = V, .y_valid = yv};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.progress = record;
    ctl.user = &elog;
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &fd, &ctl, &err), 0, "%s", err.text);
    cr_assert_gt(elog.n, 5);
    cr_expect_lt(elog.n, 200, "no early stop");
    double best = INFINITY;
    size_t best_i = 0;
    for (size_t i = 0; i < elog.n; i++)
        if (elog.loss[i] < best) {
            best = elog.loss[i];
            best_i = i;
        }
    cr_expect_eq(best_i + 5 + 1, elog.n, "stopped %zu epochs after the best", elog.n - best_i - 1);
    cr_expect_gt(elog.loss[elog.n - 1], best);
    float *p = malloc(n * sizeof(float));
    cr_assert_eq(aml_learner_predict(l, V, p, &err), 0);
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        double q = yv[i] > 0.5f ? p[i] : 1 - p[i];
        loss -= log(q) / (double)n;
    }
    cr_expect(fabs(loss - best) < 1e-3 * best, "final validation loss %.6g, best epoch %.6g",
              loss, best);
    aml_learner_free(l);
    aml_matrix_free(X);
    aml_matrix_free(V);
    free(y);
    free(yv);
    free(p);
}

Test(mlp, space_and_bad_parameters)
{
    size_t n = 0;
    const aml_param_spec *s = aml_learner_space("mlp", &n);
    cr_assert_not_null(s);
    cr_expect_eq(n, 10);
    cr_expect(aml_learner_supports("mlp", AML_TASK_REGRESSION));
    aml_params p = {0};
    aml_params_set(&p, "units", 4);
    aml_learner *l = NULL;
    aml_error err = {0};
    cr_expect_eq(aml_learner_new("mlp", &p, &l, &err), AML_ERANGE);
    cr_expect(strstr(err.text, "units") != NULL, "%s", err.text);
}
