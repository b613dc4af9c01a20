/*
 * test_chaos.c — allocation-failure injection: the engine's pluggable
 * allocator fails the Nth allocation, for every N, across the CSV reader,
 * the search (setup, a trial, refit, test score), the model loader and the
 * evaluation of predictions.  Each run must
 * end with an error (or, when the failure hit something optional, success),
 * never a crash, and leave no engine allocation behind.
 */
#include <criterion/criterion.h>

#include "aml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The failing allocator: counts allocations, fails number `fail_at`
 * (1-based; 0 never), and keeps the number of live blocks. */
static size_t n_allocs, fail_at;
static long live;

static void *chaos_malloc(size_t size, void *user)
{
    (void)user;
    if (__atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED) == fail_at)
        return NULL;
    void *p = malloc(size);
    if (p)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return p;
}

static void *chaos_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    if (__atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED) == fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return p;
}

static void chaos_free(void *ptr, void *user)
{
    (void)user;
    __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    free(ptr);
}

static void chaos_on(size_t n)
{
    n_allocs = 0;
    fail_at = n;
    live = 0;
    aml_allocator a = {chaos_malloc, chaos_realloc, chaos_free, NULL};
    aml_allocator_set(&a);
}

static void chaos_off(void)
{
    aml_allocator_set(NULL);
}

/* Runs `op` with the Nth allocation failing, for N = 1, 2, ... until a run
 * makes no more than N - 1 allocations (nothing left to fail).  `op` returns
 * the engine's code and frees whatever it got.  Returns how many runs. */
static size_t every_n(int (*op)(void *), void *arg, const char *what)
{
    size_t n = 1;
    for (;; n++) {
        chaos_on(n);
        int rc = op(arg);
        size_t made = n_allocs;
        long left = live;
        chaos_off();
        cr_assert(rc <= 0, "%s: allocation %zu failing gave %d", what, n, rc);
        cr_assert_eq(left, 0, "%s: allocation %zu failing left %ld blocks (rc %d)", what, n,
                     left, rc);
        if (made < n) {
            cr_assert_eq(rc, 0, "%s: no allocation failed, yet rc %d", what, rc);
            return n;
        }
    }
}

/* ---- the CSV reader ---- */

static const char CSV[] =
    "id,age,job,balance,when,y\n"
    "1,58,management,2143,2024-01-05,no\n"
    "2,44,\"tech, nician\",29,2024-02-11,no\n"
    "3,,entrepreneur,2,,yes\n"
    "4,47,blue-collar,1506,2024-03-01,no\n"
    "5,33,unknown,1,2024-03-02,yes\n"
    "6,35,management,231,2024-04-09,no\n";

static int read_csv(void *arg)
{
    (void)arg;
    aml_frame *f = NULL;
    aml_csv_report *rep = NULL;
    aml_error err;
    int rc = aml_csv_read_buffer(CSV, sizeof CSV - 1, "t.csv", NULL, &f, &rep, &err);
    if (rc == 0)
        cr_assert_eq(aml_frame_nrows(f), 6);
    else
        cr_assert_null(f);
    aml_frame_free(f);
    aml_csv_report_free(rep);
    return rc;
}

Test(chaos, csv_reader_every_allocation)
{
    size_t runs = every_n(read_csv, NULL, "csv");
    cr_assert(runs > 20, "only %zu allocations", runs);
    fprintf(stderr, "csv: %zu runs\n", runs);
}

/* ---- the search: setup, a trial, the refit and the test score ---- */

static aml_frame *small_frame(void)
{
    aml_frame *f = NULL;
    cr_assert_eq(aml_frame_new(&f), 0);
    size_t n = 80;
    double a[80], b[80];
    const char *c[80], *y[80];
    static const char *lv[3] = {"r", "g", "b"};
    for (size_t i = 0; i < n; i++) {
        a[i] = (double)((i * 37) % 23) - 11;
        b[i] = (double)((i * 11) % 17);
        c[i] = lv[i % 3];
        y[i] = a[i] + 0.3 * b[i] > 0 ? "yes" : "no";
    }
    cr_assert_eq(aml_frame_add_numbers(f, "a", a, n, NULL), 0);
    cr_assert_eq(aml_frame_add_numbers(f, "b", b, n, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, c, n, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "y", AML_TYPE_CATEGORICAL, y, n, NULL, NULL), 0);
    return f;
}

static int search(void *arg)
{
    const aml_frame *f = arg;
    aml_search_options o = aml_search_options_default();
    static const char *models[] = {"nb"};
    o.target = "y";
    o.models = models;
    o.n_models = 1;
    o.max_trials = 1;
    o.cv_folds = 2;
    o.features = false;
    o.ensemble = false;
    o.threads = 1;
    o.event_interval = 100;
    aml_run *r = NULL;
    aml_error err;
    int rc = aml_search_run(f, &o, &r, &err);
    if (rc == 0)
        cr_assert_not_null(r);
    else
        cr_assert_null(r);
    aml_run_free(r);
    return rc;
}

Test(chaos, search_every_allocation, .timeout = 600)
{
    aml_frame *f = small_frame();   /* made before the failing allocator */
    size_t runs = every_n(search, f, "search");
    cr_assert(runs > 50, "only %zu allocations", runs);
    fprintf(stderr, "search: %zu runs\n", runs);
    aml_frame_free(f);
}

/* ---- the model loader ---- */

typedef struct saved {
    unsigned char *bytes;
    size_t len;
} saved;

static int load_model(void *arg)
{
    const saved *s = arg;
    aml_model *m = NULL;
    aml_error err;
    int rc = aml_model_load(s->bytes, s->len, &m, &err);
    if (rc == 0)
        cr_assert_not_null(m);
    else
        cr_assert_null(m);
    aml_model_free(m);
    return rc;
}

Test(chaos, model_loader_every_allocation)
{
    /* a small model of two members with different preparations, saved once */
    aml_frame *f = small_frame();
    aml_search_options o = aml_search_options_default();
    static const char *models[] = {"nb", "linear"};
    o.target = "y";
    o.models = models;
    o.n_models = 2;
    o.max_trials = 2;
    o.cv_folds = 2;
    o.features = false;
    o.threads = 1;
    aml_run *r = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
    saved s = {NULL, 0};
    cr_assert_eq(aml_model_save(aml_run_model(r), &s.bytes, &s.len, &err), 0, "%s", err.text);
    size_t runs = every_n(load_model, &s, "model load");
    cr_assert(runs > 20, "only %zu allocations", runs);
    fprintf(stderr, "model load: %zu runs\n", runs);
    aml_free(s.bytes);
    aml_run_free(r);
    aml_frame_free(f);
}

/* ---- the evaluation of predictions ---- */

typedef struct eval_case {
    aml_task task;
    size_t k, n;
    const float *y, *p;
} eval_case;

static int evaluate_case(void *arg)
{
    const eval_case *c = arg;
    aml_evaluation *ev = NULL;
    aml_error err = {0};
    int rc = aml_evaluate(c->task, c->k, c->y, c->p, c->n, NULL, &ev, &err);
    if (rc == 0)
        cr_assert_not_null(ev);
    else
        cr_assert_null(ev);
    aml_evaluation_free(ev);
    return rc;
}

Test(chaos, evaluation_every_allocation)
{
    static const float y[] = {0, 1, 2, 2, 1};
    static const float p[] = {0.7f, 0.2f, 0.1f, 0.3f, 0.4f, 0.3f, 0.2f, 0.2f, 0.6f, 0.5f,
                              0.3f, 0.2f, 0.1f, 0.8f, 0.1f};
    static const float yb[] = {0, 1, 1, 0, 1}, pb[] = {0.1f, 0.9f, 0.6f, 0.4f, 0.3f};
    static const float yr[] = {1, 2, 3}, pr[] = {1.5f, 2, 2};
    eval_case cases[] = {{AML_TASK_MULTICLASS, 3, 5, y, p},
                         {AML_TASK_BINARY, 2, 5, yb, pb},
                         {AML_TASK_REGRESSION, 0, 3, yr, pr}};
    for (size_t c = 0; c < 3; c++)
        cr_assert(every_n(evaluate_case, &cases[c], "evaluate") > 3);
}
