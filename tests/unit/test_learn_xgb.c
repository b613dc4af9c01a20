/* test_learn_xgb.c — Criterion suite for the XGBoost learner kinds "xgb" and
 * "rf" (engine/learn/learn_xgb.c): known answers (XOR, a smooth regression, three
 * Gaussian blobs), save/load bit-for-bit, early stopping keeping the best
 * round, cancel from another thread within ~150 ms with a usable model,
 * parameter errors, sample and class weights, importance, sparse input,
 * determinism. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- data ---- */

/* y = sin(3 a) + b^2 on [-1, 1]^2 plus a noise feature. */
static tu_set smooth(size_t rows, uint64_t seed)
{
    tu_seed(seed);
    tu_set s = tu_set_new(rows, 3);
    for (size_t i = 0; i < rows; i++) {
        float *x = s.X->dense + 3 * i;
        for (int j = 0; j < 3; j++)
            x[j] = (float)(tu_uni() * 2 - 1);
        s.y[i] = (float)(sin(3 * x[0]) + x[1] * x[1]);
    }
    return s;
}

/* Binary with label noise: y = [a + 1.5 * noise > 0], 10 features (8 noise). */
static tu_set noisy(size_t rows, uint64_t seed)
{
    tu_seed(seed);
    tu_set s = tu_set_new(rows, 10);
    for (size_t i = 0; i < rows; i++) {
        float *x = s.X->dense + 10 * i;
        for (int j = 0; j < 10; j++)
            x[j] = (float)tu_gauss();
        s.y[i] = (float)(x[0] + 0.5 * x[1] + 1.5 * tu_gauss() > 0);
    }
    return s;
}

/* One thread per fit: Criterion runs suites in parallel (--jobs 2), and
 * OpenMP's spinning workers on an oversubscribed machine make timings
 * erratic.  same_seed_same_model uses two. */
static int fit_threads = 1;

static const char *const kinds[] = {"xgb", "rf"};

/* ---- known answers ---- */

Test(learn_xgb, registered_with_spaces)
{
    for (size_t k = 0; k < 2; k++) {
        size_t n = 0;
        const aml_param_spec *sp = aml_learner_space(kinds[k], &n);
        cr_assert_not_null(sp, "%s", kinds[k]);
        cr_assert_geq(n, 5);
        cr_assert(aml_learner_supports(kinds[k], AML_TASK_BINARY));
        cr_assert(aml_learner_supports(kinds[k], AML_TASK_MULTICLASS));
        cr_assert(aml_learner_supports(kinds[k], AML_TASK_REGRESSION));
        for (size_t i = 0; i < n; i++)
            if (sp[i].type != AML_PARAM_CHOICE) {
                cr_assert(sp[i].dflt >= sp[i].lo && sp[i].dflt <= sp[i].hi, "%s", sp[i].name);
                cr_assert(sp[i].cheap >= sp[i].lo && sp[i].cheap <= sp[i].hi, "%s", sp[i].name);
            }
    }
}

Test(learn_xgb, xor_is_learned_exactly)
{
    tu_set train = tu_xor(800, 1), test = tu_xor(400, 2);
    for (size_t k = 0; k < 2; k++) {
        aml_learner *l = tu_fit_kind(kinds[k], NULL, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
        cr_assert_eq(tu_learner_accuracy(l, &test, 2), 1.0, "%s", kinds[k]);
        aml_learner_free(l);
    }
    tu_set_free(&train);
    tu_set_free(&test);
}

Test(learn_xgb, three_blobs)
{
    tu_set train = tu_blobs(600, 3), test = tu_blobs(300, 4);
    for (size_t k = 0; k < 2; k++) {
        aml_learner *l = tu_fit_kind(kinds[k], NULL, AML_TASK_MULTICLASS, 3, &train, NULL,
                                     fit_threads);
        cr_assert_geq(tu_learner_accuracy(l, &test, 3), 0.99, "%s", kinds[k]);
        aml_learner_free(l);
    }
    tu_set_free(&train);
    tu_set_free(&test);
}

Test(learn_xgb, smooth_regression)
{
    tu_set train = smooth(3000, 5), test = smooth(1000, 6);
    aml_params p = {0};
    aml_params_set(&p, "n_estimators", 500);
    aml_learner *l = tu_fit_kind("xgb", &p, AML_TASK_REGRESSION, 0, &train, NULL, fit_threads);
    double e = tu_learner_rmse(l, &test);
    cr_assert_lt(e, 0.06, "xgb RMSE %g", e);
    aml_learner_free(l);
    aml_params q = {0};
    aml_params_set(&q, "max_depth", 12);
    l = tu_fit_kind("rf", &q, AML_TASK_REGRESSION, 0, &train, NULL, fit_threads);
    e = tu_learner_rmse(l, &test);
    cr_assert_lt(e, 0.12, "rf RMSE %g", e);   /* the target's sd is about 0.75 */
    aml_learner_free(l);
    tu_set_free(&train);
    tu_set_free(&test);
}

/* ---- serialisation ---- */

Test(learn_xgb, save_load_predicts_bit_for_bit)
{
    tu_set train = tu_blobs(600, 8), test = tu_blobs(300, 9);
    for (size_t k = 0; k < 2; k++) {
        aml_params p = {0};
        aml_params_set(&p, "subsample", 0.7);
        aml_learner *l = tu_fit_kind(kinds[k], &p, AML_TASK_MULTICLASS, 3, &train, NULL,
                                     fit_threads);
        unsigned char *bytes = NULL;
        size_t len = 0;
        aml_error err = {0};
        cr_assert_eq(aml_learner_save(l, &bytes, &len, &err), 0, "%s", err.text);
        aml_learner *back = NULL;
        cr_assert_eq(aml_learner_load(bytes, len, &back, &err), 0, "%s", err.text);
        cr_assert_str_eq(aml_learner_kind(back), kinds[k]);
        float *a = calloc(900, sizeof *a), *b = calloc(900, sizeof *b);
        cr_assert_eq(aml_learner_predict(l, test.X, a, NULL), 0);
        cr_assert_eq(aml_learner_predict(back, test.X, b, NULL), 0);
        cr_assert_eq(memcmp(a, b, 900 * sizeof *a), 0, "%s", kinds[k]);
        /* truncated bytes are a parse error, never a crash */
        aml_learner *bad = NULL;
        cr_assert_eq(aml_learner_load(bytes, len / 2, &bad, &err), AML_EPARSE);
        cr_assert_null(bad);
        free(a);
        free(b);
        aml_free(bytes);
        aml_learner_free(back);
        aml_learner_free(l);
    }
    tu_set_free(&train);
    tu_set_free(&test);
}

/* ---- early stopping ---- */

static void count_rounds(double fraction, const char *what, void *user)
{
    (void)fraction;
    (void)what;
    ++*(int *)user;
}

Test(learn_xgb, early_stopping_keeps_the_best_round)
{
    tu_set train = noisy(2000, 10), valid = noisy(1000, 11), test = noisy(500, 12);
    aml_params p = {0};
    aml_params_set(&p, "n_estimators", 2000);
    aml_params_set(&p, "learning_rate", 0.1);
    aml_params_set(&p, "early_stopping_rounds", 20);
    aml_learner *l = NULL;
    cr_assert_eq(aml_learner_new("xgb", &p, &l, NULL), 0);
    aml_fit_data d = {AML_TASK_BINARY, 2, train.X, train.y, NULL, NULL, valid.X, valid.y};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    int rounds = 0;
    ctl.progress = count_rounds;
    ctl.user = &rounds;
    ctl.seed = 7;
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &d, &ctl, &err), 0, "%s", err.text);
    cr_assert_lt(rounds, 2000, "early stopping never stopped");
    /* stopped 20 rounds after the best: the model is the first rounds - 20 */
    int best = rounds - 20;
    cr_assert_geq(best, 10, "best round %d", best);
    aml_params q = {0};
    aml_params_set(&q, "n_estimators", best);
    aml_params_set(&q, "learning_rate", 0.1);
    aml_learner *ref = tu_fit_kind("xgb", &q, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
    float a[500], b[500];
    cr_assert_eq(aml_learner_predict(l, test.X, a, NULL), 0);
    cr_assert_eq(aml_learner_predict(ref, test.X, b, NULL), 0);
    cr_assert_eq(memcmp(a, b, sizeof a), 0, "the early-stopped model is not its best round");
    /* and one round more is a different model */
    aml_learner_free(ref);
    aml_params_set(&q, "n_estimators", best + 1);
    ref = tu_fit_kind("xgb", &q, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
    cr_assert_eq(aml_learner_predict(ref, test.X, b, NULL), 0);
    cr_assert_neq(memcmp(a, b, sizeof a), 0);
    aml_learner_free(ref);
    aml_learner_free(l);
    tu_set_free(&train);
    tu_set_free(&valid);
    tu_set_free(&test);
}

/* ---- cancel ---- */

typedef struct canceler {
    volatile int flag;
    volatile int started;
    double set_at;
} canceler;

static void note_start(double fraction, const char *what, void *user)
{
    (void)fraction;
    (void)what;
    ((canceler *)user)->started = 1;
}

/* Sets the flag 50 ms after the fit's first progress report: the first round
 * carries XGBoost's one-time setup (quantile sketch, buffers), which no
 * caller can interrupt; the promise is about the rounds after it. */
static void *cancel_after_50ms(void *arg)
{
    canceler *c = arg;
    struct timespec tick = {0, 1000 * 1000}, wait = {0, 50 * 1000 * 1000};
    while (!c->started)
        nanosleep(&tick, NULL);
    nanosleep(&wait, NULL);
    c->set_at = aml_now();
    c->flag = 1;
    return NULL;
}

static void cancel_case(const char *kind, aml_params *p)
{
    tu_set train = noisy(20000, 13), test = noisy(100, 14);
    aml_learner *l = NULL;
    cr_assert_eq(aml_learner_new(kind, p, &l, NULL), 0);
    aml_fit_data d = {AML_TASK_BINARY, 2, train.X, train.y, NULL, NULL, NULL, NULL};
    canceler c = {0, 0, 0};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.cancel = &c.flag;
    ctl.progress = note_start;
    ctl.user = &c;
    ctl.threads = 1;
    pthread_t t;
    double t0 = aml_now();
    pthread_create(&t, NULL, cancel_after_50ms, &c);
    aml_error err = {0};
    int rc = aml_learner_fit(l, &d, &ctl, &err);
    double end = aml_now();
    if (!c.flag)   /* finished before the cancel: a failure below, but join first */
        c.started = 1;
    pthread_join(t, NULL);
    cr_assert_eq(rc, AML_ECANCELED, "%s: rc %d (%s) after %.0f ms", kind, rc, err.text,
                 (end - t0) * 1e3);
    cr_assert_lt(end - c.set_at, 0.150 * SANITIZER_SLOWDOWN, "%s stopped %.0f ms after the cancel",
                 kind, (end - c.set_at) * 1e3);
    float out[100];
    cr_assert_eq(aml_learner_predict(l, test.X, out, &err), 0, "%s", err.text);
    for (int i = 0; i < 100; i++)
        cr_assert(out[i] >= 0 && out[i] <= 1);
    aml_learner_free(l);
    tu_set_free(&train);
    tu_set_free(&test);
}

Test(learn_xgb, cancel_stops_a_long_fit_with_a_usable_model)
{
    aml_params p = {0};
    aml_params_set(&p, "n_estimators", 3000);
    aml_params_set(&p, "learning_rate", 0.01);
    cancel_case("xgb", &p);
}

Test(learn_xgb, cancel_stops_a_forest_between_chunks)
{
    aml_params q = {0};
    aml_params_set(&q, "n_estimators", 500);
    aml_params_set(&q, "max_depth", 8);
    cancel_case("rf", &q);
}

/* ---- parameters ---- */

Test(learn_xgb, parameter_errors_name_the_parameter)
{
    aml_learner *l = NULL;
    aml_error err = {0};
    aml_params p = {0};
    aml_params_set(&p, "learning_rat", 0.1);
    cr_assert_eq(aml_learner_new("xgb", &p, &l, &err), AML_EINVAL);
    cr_assert_null(l);
    cr_assert(strstr(err.text, "learning_rat"), "%s", err.text);

    aml_params q = {0};
    aml_params_set(&q, "max_depth", 50);
    cr_assert_eq(aml_learner_new("xgb", &q, &l, &err), AML_ERANGE);
    cr_assert(strstr(err.text, "max_depth"), "%s", err.text);

    aml_params r = {0};
    aml_params_set(&r, "n_estimators", 100.5);
    cr_assert_eq(aml_learner_new("xgb", &r, &l, &err), AML_ERANGE);

    aml_params s = {0};
    aml_params_set(&s, "max_bin", 4);   /* choices 0..3 */
    cr_assert_eq(aml_learner_new("xgb", &s, &l, &err), AML_ERANGE);

    aml_params t = {0};
    aml_params_set(&t, "learning_rate", 0.1);   /* an xgb parameter, not rf's */
    cr_assert_eq(aml_learner_new("rf", &t, &l, &err), AML_EINVAL);

    aml_params u = {0};
    aml_params_set(&u, "subsample", 0.95);
    cr_assert_eq(aml_learner_new("rf", &u, &l, &err), AML_ERANGE);
    cr_assert_null(l);
}

Test(learn_xgb, bad_labels_are_errors)
{
    tu_set train = tu_xor(50, 15);
    train.y[7] = 2;   /* binary */
    aml_learner *l = NULL;
    cr_assert_eq(aml_learner_new("xgb", NULL, &l, NULL), 0);
    aml_fit_data d = {AML_TASK_BINARY, 2, train.X, train.y, NULL, NULL, NULL, NULL};
    aml_error err = {0};
    cr_assert_eq(aml_learner_fit(l, &d, NULL, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "row 7"), "%s", err.text);
    float out[50];
    cr_assert_eq(aml_learner_predict(l, train.X, out, NULL), AML_EINVAL);   /* not fitted */
    aml_learner_free(l);
    tu_set_free(&train);
}

/* ---- weights ---- */

/* One feature, x in {0, 1}; at x = 0 the labels are half 0, half 1.  Weighting
 * the class-1 rows at x = 0 three times moves P(1 | x = 0) from 1/2 towards 3/4. */
Test(learn_xgb, sample_and_class_weights_change_the_fit)
{
    tu_set s = tu_set_new(400, 1);
    float *w = calloc(400, sizeof *w);
    for (size_t i = 0; i < 400; i++) {
        s.X->dense[i] = (float)(i >= 200);
        s.y[i] = i >= 200 ? 1.0f : (float)(i % 2);
        w[i] = i < 200 && i % 2 ? 3.0f : 1.0f;
    }
    aml_matrix *q = NULL;
    cr_assert_eq(aml_matrix_new(1, 1, &q), 0);
    for (size_t k = 0; k < 2; k++) {
        float plain, weighted, classw;
        aml_learner *l = tu_fit_kind(kinds[k], NULL, AML_TASK_BINARY, 2, &s, NULL, fit_threads);
        cr_assert_eq(aml_learner_predict(l, q, &plain, NULL), 0);
        aml_learner_free(l);
        l = tu_fit_kind(kinds[k], NULL, AML_TASK_BINARY, 2, &s, w, fit_threads);
        cr_assert_eq(aml_learner_predict(l, q, &weighted, NULL), 0);
        aml_learner_free(l);
        cr_assert_float_eq(plain, 0.5f, 0.05, "%s: %g", kinds[k], (double)plain);
        cr_assert_float_eq(weighted, 0.75f, 0.05, "%s: %g", kinds[k], (double)weighted);
        /* class weights {1, 3} do the same at x = 0 */
        const float cw[2] = {1, 3};
        aml_learner *m = NULL;
        cr_assert_eq(aml_learner_new(kinds[k], NULL, &m, NULL), 0);
        aml_fit_data d = {AML_TASK_BINARY, 2, s.X, s.y, NULL, cw, NULL, NULL};
        cr_assert_eq(aml_learner_fit(m, &d, NULL, NULL), 0);
        cr_assert_eq(aml_learner_predict(m, q, &classw, NULL), 0);
        cr_assert_float_eq(classw, 0.75f, 0.05, "%s: %g", kinds[k], (double)classw);
        aml_learner_free(m);
    }
    aml_matrix_free(q);
    free(w);
    tu_set_free(&s);
}

/* ---- importance, sparse input, determinism ---- */

Test(learn_xgb, importance_ranks_the_signal_first)
{
    tu_set train = noisy(2000, 16);
    for (size_t k = 0; k < 2; k++) {
        aml_params p = {0};
        aml_params_set(&p, "max_depth", 6);
        aml_learner *l = tu_fit_kind(kinds[k], &p, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
        float imp[10];
        aml_error err = {0};
        cr_assert_eq(aml_learner_importance(l, imp, 10, &err), 0, "%s", err.text);
        double sum = 0;
        for (int j = 0; j < 10; j++) {
            sum += imp[j];
            cr_assert_geq(imp[j], 0);
            if (j >= 1)
                cr_assert_gt(imp[0], imp[j], "%s: feature %d", kinds[k], j);
            if (j >= 2)
                cr_assert_gt(imp[1], imp[j], "%s: feature %d", kinds[k], j);
        }
        cr_assert_float_eq(sum, 1.0, 1e-5);
        cr_assert_eq(aml_learner_importance(l, imp, 9, NULL), AML_EINVAL);
        aml_learner_free(l);
    }
    tu_set_free(&train);
}

/* CSR with every entry present predicts as the dense matrix does. */
Test(learn_xgb, sparse_input_matches_dense)
{
    tu_set train = tu_xor(400, 17);
    size_t n = train.X->rows, c = train.X->cols;
    aml_matrix sp = {n, c, NULL, malloc((n + 1) * sizeof(size_t)),
                     malloc(n * c * sizeof(uint32_t)), malloc(n * c * sizeof(float)), false};
    for (size_t i = 0; i <= n; i++)
        sp.indptr[i] = i * c;
    for (size_t i = 0; i < n * c; i++) {
        sp.indices[i] = (uint32_t)(i % c);
        sp.values[i] = train.X->dense[i];
    }
    tu_set sparse = {&sp, train.y};
    aml_learner *a = tu_fit_kind("xgb", NULL, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
    aml_learner *b = tu_fit_kind("xgb", NULL, AML_TASK_BINARY, 2, &sparse, NULL, fit_threads);
    float *pa = calloc(n, sizeof *pa), *pb = calloc(n, sizeof *pb);
    cr_assert_eq(aml_learner_predict(a, train.X, pa, NULL), 0);
    cr_assert_eq(aml_learner_predict(b, &sp, pb, NULL), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(pa[i], pb[i], 1e-6);
    free(pa);
    free(pb);
    free(sp.indptr);
    free(sp.indices);
    free(sp.values);
    aml_learner_free(a);
    aml_learner_free(b);
    tu_set_free(&train);
}

Test(learn_xgb, same_seed_same_model)
{
    tu_set train = noisy(1000, 18);
    fit_threads = 2;
    for (size_t k = 0; k < 2; k++) {
        aml_params p = {0};
        aml_params_set(&p, "subsample", 0.7);
        aml_params_set(&p, "n_estimators", 50);
        aml_params_set(&p, "max_depth", 6);
        aml_learner *a = tu_fit_kind(kinds[k], &p, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
        aml_learner *b = tu_fit_kind(kinds[k], &p, AML_TASK_BINARY, 2, &train, NULL, fit_threads);
        float *pa = calloc(1000, sizeof *pa), *pb = calloc(1000, sizeof *pb);
        cr_assert_eq(aml_learner_predict(a, train.X, pa, NULL), 0);
        cr_assert_eq(aml_learner_predict(b, train.X, pb, NULL), 0);
        cr_assert_eq(memcmp(pa, pb, 1000 * sizeof *pa), 0, "%s", kinds[k]);
        free(pa);
        free(pb);
        aml_learner_free(a);
        aml_learner_free(b);
    }
    tu_set_free(&train);
}
