/* test_search.c — Criterion suite for the AutoML search (engine/search*.c,
 * model.c, ensemble.c): a small binary and a small regression problem under
 * a short budget, the budget honoured, cancel from another thread, trial
 * limits and reproducibility with one thread, and the model bundle saved,
 * loaded (identical predictions) and rejected when damaged. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static aml_frame *make_frame(size_t n, bool regression)
{
    tu_seed(99);
    aml_frame *f;
    cr_assert_eq(aml_frame_new(&f), 0);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *t = malloc(n * sizeof *t);
    const char **cat = malloc(n * sizeof *cat), **lab = malloc(n * sizeof *lab);
    static const char *lv[3] = {"red", "green", "blue"};
    for (size_t i = 0; i < n; i++) {
        a[i] = tu_uni() * 4 - 2;
        b[i] = tu_uni() * 4 - 2;
        size_t c = (size_t)(tu_uni() * 3);
        cat[i] = lv[c];
        double z = a[i] * b[i] + 0.8 * (c == 1) + 0.5 * (tu_uni() - 0.5);
        t[i] = z;
        lab[i] = z > 0.2 ? "yes" : "no";
    }
    cr_assert_eq(aml_frame_add_numbers(f, "a", a, n, NULL), 0);
    cr_assert_eq(aml_frame_add_numbers(f, "b", b, n, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, cat, n, NULL, NULL), 0);
    if (regression)
        cr_assert_eq(aml_frame_add_numbers(f, "y", t, n, NULL), 0);
    else
        cr_assert_eq(aml_frame_add_strings(f, "y", AML_TYPE_CATEGORICAL, lab, n, NULL, NULL), 0);
    free(a);
    free(b);
    free(t);
    free(cat);
    free(lab);
    return f;
}

static int n_progress;
static void on_event(const aml_search_event *ev, void *user)
{
    (void)user;
    n_progress += ev->kind == AML_SEARCH_EVENT_PROGRESS;
    cr_assert(ev->n_top <= 5);
}

Test(search, binary_within_budget)
{
    aml_frame *f = make_frame(1500, false);
    aml_search_options o = aml_search_options_default();
    o.target = "y";
    o.budget_seconds = 4;
    o.threads = 2;
    o.on_event = on_event;
    aml_run *r = NULL;
    aml_error err;
    double t0 = aml_now();
    int rc = aml_search_run(f, &o, &r, &err);
    double dt = aml_now() - t0;
    cr_assert_eq(rc, 0, "%s", err.text);
    cr_assert(dt <= 4 * 1.05 + 0.5, "took %.2f s", dt);
    cr_assert_eq(aml_run_task(r), AML_TASK_BINARY);
    cr_assert_eq(aml_run_metric(r), AML_METRIC_AUC);
    cr_assert(aml_run_leaderboard_size(r) >= 2);
    cr_assert(aml_run_leaderboard(r, 0)->score >= aml_run_leaderboard(r, 1)->score);
    cr_assert(aml_run_test_score(r) > 0.85, "test AUC %.3f", aml_run_test_score(r));
    cr_assert(n_progress >= 4, "%d progress events", n_progress);
    cr_assert_not_null(aml_run_model(r));
    cr_assert(strlen(aml_run_pipeline(r)) > 10);
    size_t nt;
    const size_t *tr = aml_run_test_rows(r, &nt);
    cr_assert(nt >= 140 && nt <= 160 && tr[0] < tr[1]);
    aml_run_free(r);
    aml_frame_free(f);
}

Test(search, regression_and_bundle)
{
    aml_frame *f = make_frame(800, true);
    aml_search_options o = aml_search_options_default();
    o.target = "y";
    o.budget_seconds = 3;
    const char *models[] = {"xgb", "linear"};
    o.models = models;
    o.n_models = 2;
    aml_run *r = NULL;
    aml_error err;
    double t0 = aml_now();
    cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
    cr_assert(aml_now() - t0 <= 3 * 1.05 + 0.5);
    cr_assert_eq(aml_run_task(r), AML_TASK_REGRESSION);
    cr_assert(aml_run_test_score(r) < 0.6, "rmse %.3f", aml_run_test_score(r));
    aml_model *m = aml_run_take_model(r);
    cr_assert_not_null(m);
    unsigned char *b;
    size_t len;
    cr_assert_eq(aml_model_save(m, &b, &len, &err), 0, "%s", err.text);
    aml_model *m2;
    cr_assert_eq(aml_model_load(b, len, &m2, &err), 0, "%s", err.text);
    float p1[800], p2[800];
    cr_assert_eq(aml_model_predict(m, f, NULL, 800, p1, &err), 0, "%s", err.text);
    cr_assert_eq(aml_model_predict(m2, f, NULL, 800, p2, &err), 0, "%s", err.text);
    cr_assert_eq(memcmp(p1, p2, sizeof p1), 0);
    /* damaged bundles */
    b[len / 2] ^= 0x5a;
    aml_model *m3 = NULL;
    cr_assert_eq(aml_model_load(b, len, &m3, &err), AML_EPARSE);
    cr_assert(strstr(err.text, "checksum"), "%s", err.text);
    cr_assert_eq(aml_model_load(b, len - 7, &m3, &err), AML_EPARSE);
    cr_assert_eq(aml_model_load((const unsigned char *)"PK\3\4garbage-garbage-garbage", 28, &m3, &err),
                 AML_EPARSE);
    cr_assert_null(m3);
    aml_free(b);
    aml_model_free(m);
    aml_model_free(m2);
    aml_run_free(r);
    aml_frame_free(f);
}

static volatile int cancel_flag;
static void *canceller(void *arg)
{
    (void)arg;
    struct timespec ts = {1, 500000000L};
    nanosleep(&ts, NULL);
    cancel_flag = 1;
    return NULL;
}

Test(search, cancel_keeps_best)
{
    aml_frame *f = make_frame(3000, false);
    aml_search_options o = aml_search_options_default();
    o.target = "y";
    o.budget_seconds = 30;
    o.cancel = &cancel_flag;
    pthread_t th;
    pthread_create(&th, NULL, canceller, NULL);
    aml_run *r = NULL;
    aml_error err;
    double t0 = aml_now();
    int rc = aml_search_run(f, &o, &r, &err);
    double dt = aml_now() - t0;
    pthread_join(th, NULL);
    cr_assert_eq(rc, 0, "%s", err.text);
    cr_assert(dt < 1.5 + 1.0, "stopped after %.2f s", dt);
    cr_assert_eq(aml_run_stop_reason(r), AML_STOP_INTERRUPTED);
    cr_assert_not_null(aml_run_model(r));
    cr_assert(aml_run_trials_done(r) >= 1);
    aml_run_free(r);
    aml_frame_free(f);
}

Test(search, reproducible_with_one_thread)
{
    aml_frame *f = make_frame(600, false);
    aml_search_options o = aml_search_options_default();
    o.target = "y";
    o.budget_seconds = 60;
    o.threads = 1;
    o.max_trials = 6;
    o.ensemble = false;
    const char *models[] = {"xgb", "linear", "nb"};
    o.models = models;
    o.n_models = 3;
    aml_run *r1 = NULL, *r2 = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r1, &err), 0, "%s", err.text);
    cr_assert_eq(aml_search_run(f, &o, &r2, &err), 0, "%s", err.text);
    cr_assert_eq(aml_run_stop_reason(r1), AML_STOP_MAX_TRIALS);
    cr_assert_eq(aml_run_n_trials(r1), 6);
    cr_assert_eq(aml_run_n_trials(r2), 6);
    for (size_t i = 0; i < 6; i++) {
        const aml_trial_info *a = aml_run_trial(r1, i), *b = aml_run_trial(r2, i);
        cr_assert_str_eq(a->kind, b->kind);
        cr_assert_str_eq(a->params, b->params);
        cr_assert(a->score == b->score || (a->score != a->score && b->score != b->score));
    }
    aml_run_free(r1);
    aml_run_free(r2);
    aml_frame_free(f);
}

Test(search, bad_options)
{
    aml_frame *f = make_frame(100, false);
    aml_search_options o = aml_search_options_default();
    aml_run *r = NULL;
    aml_error err;
    o.target = "nope";
    cr_assert_eq(aml_search_run(f, &o, &r, &err), AML_EINVAL);
    o.target = "y";
    o.metric = AML_METRIC_RMSE;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), AML_EINVAL);
    o.metric = AML_METRIC_AUTO;
    o.strategy = "magic";
    cr_assert_eq(aml_search_run(f, &o, &r, &err), AML_EINVAL);
    cr_assert_null(r);
    aml_frame_free(f);
}

/* ---- journal and resume ---- */

/* A fresh directory of the test's own: process id, a counter and the clock
 * make the name unique; mkdir refuses one that exists. */
static void journal_dir(char *buf, size_t cap)
{
    static unsigned counter;
    for (int tries = 0; tries < 100; tries++) {
        snprintf(buf, cap, "/tmp/aml_journal_%ld_%u_%ld", (long)getpid(), counter++,
                 (long)time(NULL));
        if (mkdir(buf, 0700) == 0)
            return;
        cr_assert_eq(errno, EEXIST, "mkdir %s: %s", buf, strerror(errno));
    }
    cr_assert_fail("no fresh journal directory under /tmp");
}

static void rm_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static aml_search_options journal_opts(const char *dir, size_t max_trials)
{
    aml_search_options o = aml_search_options_default();
    static const char *models[] = {"xgb", "linear", "nb"};
    o.target = "y";
    o.budget_seconds = 60;
    o.threads = 1;
    o.max_trials = max_trials;
    o.models = models;
    o.n_models = 3;
    o.journal_dir = dir;
    return o;
}

static size_t count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp);
    size_t n = 0;
    int ch;
    while ((ch = fgetc(fp)) != EOF)
        n += ch == '\n';
    fclose(fp);
    return n;
}

Test(search, journal_resume_continues)
{
    char dir[64], path[128];
    journal_dir(dir, sizeof dir);
    aml_frame *f = make_frame(600, false);
    aml_search_options o = journal_opts(dir, 4);
    aml_run *r1 = NULL, *r2 = NULL, *r3 = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r1, &err), 0, "%s", err.text);
    cr_assert_eq(aml_run_n_trials(r1), 4);
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    cr_assert_eq(count_lines(path), 4);
    snprintf(path, sizeof path, "%s/run.json", dir);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp);
    fclose(fp);
    o.max_trials = 7;
    o.resume = true;
    cr_assert_eq(aml_search_run(f, &o, &r2, &err), 0, "%s", err.text);
    cr_assert_eq(aml_run_n_trials(r2), 7);
    cr_assert_eq(aml_run_trials_done(r2), 7);
    for (size_t i = 0; i < 4; i++) {
        const aml_trial_info *a = aml_run_trial(r1, i), *b = aml_run_trial(r2, i);
        cr_assert(b->resumed);
        cr_assert_eq(a->id, b->id);
        cr_assert_str_eq(a->kind, b->kind);
        cr_assert_str_eq(a->params, b->params);
        cr_assert_eq(a->status, b->status);
        cr_assert(a->score == b->score || (a->score != a->score && b->score != b->score));
        cr_assert(a->fidelity == b->fidelity);
    }
    for (size_t i = 4; i < 7; i++) {
        const aml_trial_info *t = aml_run_trial(r2, i);
        cr_assert(!t->resumed);
        cr_assert_eq(t->id, i + 1);
        for (size_t j = 0; j < i; j++) {
            const aml_trial_info *u = aml_run_trial(r2, j);
            cr_assert(strcmp(t->kind, u->kind) != 0 || strcmp(t->params, u->params) != 0 ||
                          t->fidelity != u->fidelity,
                      "trial %zu repeats trial %zu (%s %s)", i + 1, j + 1, t->kind, t->params);
        }
    }
    cr_assert_not_null(aml_run_model(r2));
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    cr_assert_eq(count_lines(path), 7);
    /* the resumed run continues as the run would have: same 7 trials as an
     * uninterrupted run with the same seed */
    aml_search_options o2 = journal_opts(NULL, 7);
    cr_assert_eq(aml_search_run(f, &o2, &r3, &err), 0, "%s", err.text);
    for (size_t i = 0; i < 7; i++) {
        const aml_trial_info *a = aml_run_trial(r3, i), *b = aml_run_trial(r2, i);
        cr_assert_str_eq(a->kind, b->kind, "trial %zu", i + 1);
        cr_assert_str_eq(a->params, b->params, "trial %zu", i + 1);
    }
    aml_run_free(r1);
    aml_run_free(r2);
    aml_run_free(r3);
    aml_frame_free(f);
    rm_dir(dir);
}

Test(search, journal_mismatch_is_clear_error)
{
    char dir[64];
    journal_dir(dir, sizeof dir);
    aml_frame *f = make_frame(600, false), *g = make_frame(500, false);
    aml_search_options o = journal_opts(dir, 2);
    aml_run *r = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
    aml_run_free(r);
    r = NULL;
    o.resume = true;
    o.seed = 7;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), AML_EINVAL);
    cr_assert_null(r);
    cr_assert(strstr(err.text, "other options") && strstr(err.text, "seed"), "%s", err.text);
    cr_assert(strstr(err.text, dir), "%s", err.text);
    o.seed = 42;
    cr_assert_eq(aml_search_run(g, &o, &r, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "other data (600 rows, now 500)"), "%s", err.text);
    /* same shape, other target values */
    aml_frame *h = make_frame(600, true);
    cr_assert_eq(aml_search_run(h, &o, &r, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "other data"), "%s", err.text);
    /* resume without a journal */
    char empty[64];
    journal_dir(empty, sizeof empty);
    o.journal_dir = empty;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "run.json"), "%s", err.text);
    aml_frame_free(f);
    aml_frame_free(g);
    aml_frame_free(h);
    rm_dir(dir);
    rm_dir(empty);
}

Test(search, journal_torn_last_line)
{
    char dir[64], path[128];
    journal_dir(dir, sizeof dir);
    aml_frame *f = make_frame(600, false);
    aml_search_options o = journal_opts(dir, 3);
    aml_run *r1 = NULL, *r2 = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r1, &err), 0, "%s", err.text);
    /* as if killed mid-write: half a line, no newline */
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    FILE *fp = fopen(path, "a");
    cr_assert_not_null(fp);
    fputs("{\"id\":4,\"kind\":\"xgb\",\"params\":{\"max_de", fp);
    fclose(fp);
    o.resume = true;
    o.max_trials = 5;
    cr_assert_eq(aml_search_run(f, &o, &r2, &err), 0, "%s", err.text);
    cr_assert_eq(aml_run_n_trials(r2), 5);
    for (size_t i = 0; i < 3; i++) {
        cr_assert(aml_run_trial(r2, i)->resumed);
        cr_assert_str_eq(aml_run_trial(r1, i)->params, aml_run_trial(r2, i)->params);
    }
    cr_assert(!aml_run_trial(r2, 3)->resumed);
    /* the torn line was cut: the journal is whole again */
    cr_assert_eq(count_lines(path), 5);
    aml_run_free(r2);
    r2 = NULL;
    o.max_trials = 5;
    cr_assert_eq(aml_search_run(f, &o, &r2, &err), 0, "%s", err.text);
    cr_assert_eq(aml_run_n_trials(r2), 5);
    cr_assert_eq(aml_run_trial(r2, 4)->resumed, true);
    /* a damaged line in the middle is an error, not silently skipped */
    fp = fopen(path, "r+");
    cr_assert_not_null(fp);
    fputs("#", fp);
    fclose(fp);
    aml_run *r3 = NULL;
    cr_assert_eq(aml_search_run(f, &o, &r3, &err), AML_EIO);
    cr_assert(strstr(err.text, "damaged at line 1"), "%s", err.text);
    aml_run_free(r1);
    aml_run_free(r2);
    aml_frame_free(f);
    rm_dir(dir);
}

/* ---- feature engineering as a search choice ---- */

Test(search, features_kept_when_product_is_signal)
{
    /* y = a * b + ...: a linear model needs the product the features step builds */
    aml_frame *f = make_frame(800, true);
    aml_search_options o = aml_search_options_default();
    static const char *models[] = {"linear"};
    o.target = "y";
    o.budget_seconds = 60;
    o.threads = 1;
    o.max_trials = 8;   /* the feature steps come after six trials of a strategy but auto */
    o.strategy = "random";
    o.ensemble = false;
    o.models = models;
    o.n_models = 1;
    o.features = false;
    aml_run *r0 = NULL, *r1 = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r0, &err), 0, "%s", err.text);
    cr_assert_null(strstr(aml_run_pipeline(r0), "Feature engineering"));
    o.features = true;
    cr_assert_eq(aml_search_run(f, &o, &r1, &err), 0, "%s", err.text);
    const char *pl = aml_run_pipeline(r1);
    cr_assert(strstr(pl, "Feature engineering kept"), "%s", pl);
    cr_assert(strstr(pl, "ratios, products and differences of the top numeric pairs kept ("), "%s", pl);
    cr_assert(aml_run_validation_score(r1) < 0.8 * aml_run_validation_score(r0), "rmse %.3f vs %.3f",
              aml_run_validation_score(r1), aml_run_validation_score(r0));
    cr_assert(aml_run_test_score(r1) < 0.8 * aml_run_test_score(r0), "test rmse %.3f vs %.3f",
              aml_run_test_score(r1), aml_run_test_score(r0));
    /* the bundle carries the features step */
    const aml_model *m = aml_run_model(r1);
    unsigned char *b;
    size_t len;
    cr_assert_eq(aml_model_save(m, &b, &len, &err), 0, "%s", err.text);
    aml_model *m2 = NULL;
    cr_assert_eq(aml_model_load(b, len, &m2, &err), 0, "%s", err.text);
    float p1[800], p2[800];
    cr_assert_eq(aml_model_predict(m, f, NULL, 800, p1, &err), 0, "%s", err.text);
    cr_assert_eq(aml_model_predict(m2, f, NULL, 800, p2, &err), 0, "%s", err.text);
    cr_assert_eq(memcmp(p1, p2, sizeof p1), 0);
    cr_assert_str_eq(aml_model_describe(m), aml_model_describe(m2));
    aml_free(b);
    aml_model_free(m2);
    aml_run_free(r0);
    aml_run_free(r1);
    aml_frame_free(f);
}

Test(search, features_tried_and_said)
{
    /* the binary problem with the default models: whatever the outcome, the
     * pipeline says what happened to the features step */
    aml_frame *f = make_frame(600, false);
    aml_search_options o = journal_opts(NULL, 8);
    o.strategy = "random";
    aml_run *r = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
    const char *pl = aml_run_pipeline(r);
    cr_assert(strstr(pl, "Feature engineering (each step kept only when validation"), "%s", pl);
    /* every step is its own choice, with its outcome */
    static const char *steps[] = {"ratios, products and differences", "group statistics",
                                  "importance-based selection", "k-means", "PCA"};
    for (size_t i = 0; i < 5; i++)
        cr_assert(strstr(pl, steps[i]), "%s missing: %s", steps[i], pl);
    /* a kept combination is a trial of its own, in the leaderboard */
    bool kept = strstr(pl, " kept (") != NULL, listed = false;
    for (size_t i = 0; i < aml_run_leaderboard_size(r); i++)
        listed |= strstr(aml_run_leaderboard(r, i)->params, " + features: ") != NULL;
    cr_assert_eq(kept, listed, "%s", pl);
    aml_run_free(r);
    aml_frame_free(f);
}

/* ---- leaks, memory, configurations that cannot apply ---- */

/* A search's notes joined, to look for one. */
static bool has_note(const aml_run *r, const char *what)
{
    for (size_t i = 0; i < aml_run_n_notes(r); i++)
        if (strstr(aml_run_note(r, i), what))
            return true;
    return false;
}

Test(search, leak_check_every_task)
{
    /* a copy of the target under another name predicts it alone: left out */
    for (int task = 0; task < 2; task++) {
        size_t n = 600;
        aml_frame *f = make_frame(n, task == 1);
        double *copy = malloc(n * sizeof *copy);
        const char **lab = malloc(n * sizeof *lab);
        static const char *cls[3] = {"low", "mid", "high"};
        for (size_t i = 0; i < n; i++) {
            double a = aml_frame_get_number(f, 0, i), b = aml_frame_get_number(f, 1, i);
            lab[i] = cls[(a > -0.7) + (a > 0.7)];
            copy[i] = 2 * (a + b) + 1;
        }
        aml_search_options o = journal_opts(NULL, 2);
        if (task == 0) {   /* multiclass: the class again, spelled otherwise */
            cr_assert_eq(aml_frame_add_strings(f, "cls", AML_TYPE_CATEGORICAL, lab, n, NULL, NULL), 0);
            static const char *codes[3] = {"L", "M", "H"};
            for (size_t i = 0; i < n; i++)
                lab[i] = codes[strcmp(lab[i], "low") == 0 ? 0 : strcmp(lab[i], "mid") == 0 ? 1 : 2];
            cr_assert_eq(aml_frame_add_strings(f, "code", AML_TYPE_CATEGORICAL, lab, n, NULL, NULL), 0);
            static const char *const binary_label[] = {"y"};
            o.target = "cls";
            o.exclude = binary_label;
            o.n_exclude = 1;
        } else {   /* regression: the target is a + b + noise; a column equal to a scaled a + b */
            for (size_t i = 0; i < n; i++)
                copy[i] = 2 * (aml_frame_get_number(f, 3, i)) + 1;
            cr_assert_eq(aml_frame_add_numbers(f, "code", copy, n, NULL), 0);
        }
        aml_run *r = NULL;
        aml_error err;
        cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
        cr_assert(has_note(r, "column 'code' alone predicts the target"), "task %d", task);
        cr_assert_not(has_note(r, "column 'a' alone"), "task %d", task);
        aml_run_free(r);
        aml_frame_free(f);
        free(copy);
        free(lab);
    }
}

Test(search, max_memory_refuses_with_what_it_needs)
{
    aml_frame *f = make_frame(600, false);
    aml_search_options o = journal_opts(NULL, 2);
    o.max_memory = 1024 * 1024;   /* less than the libraries alone */
    aml_run *r = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), AML_ENOMEM);
    cr_assert_null(r);
    cr_assert(strstr(err.text, "needs about") && strstr(err.text, "the limit is 1 MB"), "%s",
              err.text);
    o.max_memory = (size_t)4 << 30;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
    aml_run_free(r);
    aml_frame_free(f);
}

Test(search, multinomial_nb_never_runs_on_negative_features)
{
    /* a and b take negative values: multinomial naive Bayes cannot apply */
    aml_frame *f = make_frame(400, false);
    aml_search_options o = journal_opts(NULL, 12);
    static const char *nb[] = {"nb"};
    o.models = nb;
    o.n_models = 1;
    o.strategy = "grid";
    o.features = false;
    aml_run *r = NULL;
    aml_error err;
    cr_assert_eq(aml_search_run(f, &o, &r, &err), 0, "%s", err.text);
    cr_assert_eq(aml_run_trials_failed(r), 0);
    for (size_t i = 0; i < aml_run_n_trials(r); i++)
        cr_assert_null(strstr(aml_run_trial(r, i)->params, "multinomial"), "%s",
                       aml_run_trial(r, i)->params);
    cr_assert(aml_run_n_trials(r) >= 2);
    aml_run_free(r);
    aml_frame_free(f);
}
