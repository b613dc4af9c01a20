/*
 * mg_train.c — the training magics: %train (the AutoML search, with a live
 * display, interruptible, journaled for resume=), %leaderboard, %models and
 * %compare (every strategy on the same data, budget and seed, best score over
 * time on one chart: how a teacher shows what the strategies do).
 */
#include "mg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUNS_DIR "automl-runs"

static const mg_option train_options[] = {
    {"target", MG_COLUMN, NULL, "the column to predict (default: the data set's target)"},
    {"budget", MG_DURATION, NULL, "wall-clock time for the whole search: 90s, 2m, 1h (default 1m)"},
    {"metric", MG_ENUM, "auto|auc|logloss|accuracy|balanced_accuracy|f1|rmse|mae|r2",
     "what to optimise (auto: AUC, log loss or RMSE by task)"},
    {"strategy", MG_ENUM, "auto|random|grid|bayes|evolution|hyperband|rl|enas",
     "how to search (auto: defaults first, then successive halving, then model-based; "
     "enas: shared weights, images only)"},
    {"models", MG_LIST, NULL, "learners to try: xgb,rf,linear,knn,nb,mlp (default: all)"},
    {"cv", MG_STRING, NULL, "auto, or K folds of cross-validation (1 = one holdout)"},
    {"holdout", MG_NUMBER, NULL, "validation share when holding out (default 0.2)"},
    {"seed", MG_INT, NULL, "random seed (default 42)"},
    {"features", MG_ENUM, "auto|none", "feature engineering as a search choice"},
    {"ensemble", MG_ENUM, "yes|no", "combine the best models at the end (default yes)"},
    {"exclude", MG_LIST, NULL, "columns to leave out, e.g. exclude=duration"},
    {"weight", MG_COLUMN, NULL, "a column of row weights"},
    {"max_memory", MG_SIZE, NULL, "memory the search may use, e.g. 4G (default: what is free now)"},
    {"threads", MG_INT, NULL, "threads to use (default: all cores; 1 is reproducible)"},
    {"max_trials", MG_INT, NULL, "stop after this many trials"},
    {"task", MG_ENUM, "auto|binary|multiclass|regression", "override the detected task"},
    {"resume", MG_STRING, NULL, "continue the journaled run of this name (automl-runs/NAME)"},
    {"flip", MG_ENUM, "auto|on|off",
     "images: horizontal flips as augmentation (auto: when the classes look mirror-symmetric)"},
    {"warm_start", MG_STRING, NULL,
     "images: begin with the best architectures of an earlier run (its model name)"},
    {0},
};

/* Splits "a,b,c" into a NULL-terminated array of strings (one allocation). */
static char **split_list(const char *s, size_t *n)
{
    size_t count = 1, len = strlen(s);
    for (const char *c = s; *c; c++)
        count += *c == ',';
    char **v = malloc((count + 1) * sizeof *v + len + 1);
    if (!v)
        return NULL;
    char *buf = (char *)(v + count + 1);
    memcpy(buf, s, len + 1);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        v[(*n)++] = tok;
    v[*n] = NULL;
    return v;
}

typedef struct live {
    mg_ctx *ctx;
    const char *name;
    char display_id[256];
    volatile int cancel;
    bool shown;
    json_t *curve;  /* [[seconds, best], ...] at each improvement, for the dashboard */
} live;

static void on_event(const aml_search_event *ev, void *user)
{
    live *lv = user;
    if (kn_interrupted(lv->ctx->req))
        lv->cancel = 1;  /* the search stops within a second and keeps the best so far */
    json_t *b = mg_progress_bundle(ev, lv->name);
    if (!b)
        return;
    /* the best-so-far history, so that a saved dashboard draws its whole chart */
    if (!isnan(ev->best_score)) {
        if (!lv->curve)
            lv->curve = json_array();
        json_t *last = json_array_get(lv->curve, json_array_size(lv->curve) - 1);
        if (!last || json_real_value(json_array_get(last, 1)) != ev->best_score)
            json_array_append_new(lv->curve, json_pack("[f, f]", ev->elapsed_seconds,
                                                       ev->best_score));
    }
    if (lv->curve)
        json_object_set(json_object_get(b, "application/vnd.automl.progress+json"), "curve",
                        lv->curve);
    if (!lv->shown)
        kn_display(lv->ctx->req, b, NULL, lv->display_id);
    else
        kn_update_display(lv->ctx->req, b, NULL, lv->display_id);
    lv->shown = true;
    json_decref(b);
}

/* Options shared by %train and %compare; string storage in `lists`. */
typedef struct train_setup {
    aml_search_options o;
    char **models, **exclude;
} train_setup;

/* The options of a table search. */
static int table_options(mg_ctx *ctx, const mg_call *call, const mg_dataset *d, train_setup *s)
{
    const char *target = mg_opt(call, "target") ? mg_opt(call, "target") : d->target;
    if (!target)
        return mg_fail(ctx, "UsageError", "%%%s needs target=COLUMN (the column to predict)",
                       call->magic->name);
    size_t col;
    if (mg_column_or_fail(ctx, d, target, "target", &col))
        return -1;
    s->o.target = target;
    const char *v;
    if ((v = mg_opt(call, "strategy")) && strcmp(v, "enas") == 0)
        return mg_fail(ctx, "UsageError", "strategy=enas shares weights between networks: it "
                       "searches image sets, not tables");
    if ((v = mg_opt(call, "models")) && strcmp(v, "auto") != 0) {
        s->models = split_list(v, &s->o.n_models);
        for (size_t i = 0; s->models && i < s->o.n_models; i++) {
            size_t dims;
            if (!aml_learner_space(s->models[i], &dims))
                return mg_fail(ctx, "UsageError", "models=: no learner '%s' (xgb, rf, linear, "
                               "knn, nb, mlp)", s->models[i]);
        }
        s->o.models = (const char *const *)s->models;
    }
    if ((v = mg_opt(call, "cv")) && strcmp(v, "auto") != 0) {
        char *end;
        long k = strtol(v, &end, 10);
        if (*end || k < 1 || k > 20)
            return mg_fail(ctx, "UsageError", "cv=%s: use auto, or 1 (a holdout) to 20 folds", v);
        s->o.cv_folds = (int)k;
    }
    if ((v = mg_opt(call, "features")))
        s->o.features = strcmp(v, "none") != 0;
    if ((v = mg_opt(call, "ensemble")))
        s->o.ensemble = strcmp(v, "no") != 0;
    if ((v = mg_opt(call, "exclude"))) {
        s->exclude = split_list(v, &s->o.n_exclude);
        for (size_t i = 0; s->exclude && i < s->o.n_exclude; i++)
            if (mg_column_or_fail(ctx, d, s->exclude[i], "exclude", &col))
                return -1;
        s->o.exclude = (const char *const *)s->exclude;
    }
    if ((v = mg_opt(call, "weight"))) {
        if (mg_column_or_fail(ctx, d, v, "weight", &col))
            return -1;
        s->o.weight = v;
    }
    if ((v = mg_opt(call, "max_memory")))
        s->o.max_memory = (size_t)mg_parse_size(v);
    if ((v = mg_opt(call, "task")) && strcmp(v, "auto") != 0)
        s->o.task = v;
    return 0;
}

/* The options of every search: budget, metric, strategy, holdout, seed,
 * threads, trial limit. */
static int shared_options(mg_ctx *ctx, const mg_call *call, train_setup *s)
{
    const char *v;
    if ((v = mg_opt(call, "budget")))
        s->o.budget_seconds = mg_parse_duration(v);
    if (s->o.budget_seconds < 1)
        return mg_fail(ctx, "UsageError", "budget=%s: give the search at least a second", v);
    if ((v = mg_opt(call, "metric")) && aml_metric_parse(v, &s->o.metric))
        return mg_fail(ctx, "UsageError", "metric=%s is not a metric", v);
    if ((v = mg_opt(call, "strategy")))
        s->o.strategy = v;
    if ((v = mg_opt(call, "holdout")))
        s->o.holdout = atof(v);
    if (s->o.holdout < 0 || s->o.holdout >= 0.9)
        return mg_fail(ctx, "UsageError", "holdout=%s: a share between 0 and 0.9", v);
    if ((v = mg_opt(call, "seed")))
        s->o.seed = (uint64_t)strtoull(v, NULL, 10);
    if ((v = mg_opt(call, "threads")))
        s->o.threads = atoi(v);
    if ((v = mg_opt(call, "max_trials")))
        s->o.max_trials = (size_t)strtoul(v, NULL, 10);
    return 0;
}

/* Options only a table has: refused on an image set with the reason. */
static const char *const table_only[] = {"target", "models", "cv", "features", "ensemble",
                                         "exclude", "weight", "task", "max_memory", "resume"};

static int image_options(mg_ctx *ctx, const mg_call *call, train_setup *s)
{
    for (size_t i = 0; i < sizeof table_only / sizeof *table_only; i++)
        if (mg_opt(call, table_only[i]))
            return mg_fail(ctx, "UsageError", "%s= is for tables: an image set's labels are its "
                           "classes, and its search is over networks", table_only[i]);
    const char *v;
    if ((v = mg_opt(call, "flip")))
        s->o.flip = strcmp(v, "on") == 0 ? 1 : strcmp(v, "off") == 0 ? 0 : -1;
    if ((v = mg_opt(call, "warm_start"))) {
        static char dir[400];
        snprintf(dir, sizeof dir, "%s/%s", RUNS_DIR, v);
        struct stat st;
        if (stat(dir, &st) != 0)
            return mg_fail(ctx, "UsageError", "warm_start=%s: no journaled run in %s/", v, dir);
        s->o.warm_start = dir;
    }
    return 0;
}

static int setup_options(mg_ctx *ctx, const mg_call *call, const mg_dataset *d, train_setup *s)
{
    memset(s, 0, sizeof *s);
    s->o = aml_search_options_default();
    const char *v;
    if (d->images) {
        if (image_options(ctx, call, s))
            return -1;
    } else if ((v = mg_opt(call, "flip")) || (v = mg_opt(call, "warm_start"))) {
        return mg_fail(ctx, "UsageError", "%s= is for image sets", mg_opt(call, "flip") ? "flip"
                                                                                         : "warm_start");
    }
    if (!d->images && table_options(ctx, call, d, s))
        return -1;
    return shared_options(ctx, call, s);
}


static void setup_free(train_setup *s)
{
    free(s->models);
    free(s->exclude);
}

static int search_error(mg_ctx *ctx, const char *name, int rc, const aml_error *err)
{
    if (rc == AML_ECANCELED)
        return mg_fail(ctx, "KeyboardInterrupt", "%s: interrupted before any trial finished",
                       name);
    return mg_fail(ctx, "TrainError", "%s: %s", name, err->text[0] ? err->text
                                                                  : aml_strerror(rc));
}

static int run_train(mg_ctx *ctx, const mg_call *call)
{
    mg_dataset *d;
    if (mg_dataset_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &d))
        return -1;
    train_setup s;
    if (setup_options(ctx, call, d, &s)) {
        setup_free(&s);
        return -1;
    }
    char name[128], dir[400];
    const char *resume = mg_opt(call, "resume");
    if (call->as_name)
        snprintf(name, sizeof name, "%s", call->as_name);
    else if (resume)
        snprintf(name, sizeof name, "%s", resume);
    else
        mg_session_new_model_name(ctx->session, name, sizeof name);
    /* the journal lives beside the notebook: automl-runs/<name>/ */
    snprintf(dir, sizeof dir, "%s/%s", RUNS_DIR, name);
    mkdir(RUNS_DIR, 0755);
    if (resume) {
        struct stat st;
        if (stat(dir, &st) != 0) {
            setup_free(&s);
            return mg_fail(ctx, "UsageError", "resume=%s: no journaled run in %s/", resume, dir);
        }
        s.o.resume = true;
    }
    s.o.journal_dir = dir;
    live lv = {.ctx = ctx, .name = name};
    snprintf(lv.display_id, sizeof lv.display_id, "automl-train-%ld-%s-%ld", (long)getpid(), name,
             (long)time(NULL));
    s.o.cancel = &lv.cancel;
    s.o.on_event = on_event;
    s.o.user = &lv;
    aml_run *run = NULL;
    aml_error err = {0};
    int rc = d->images ? aml_image_search_run(d->images, &s.o, &run, &err)
                       : aml_search_run(d->frame, &s.o, &run, &err);
    json_decref(lv.curve);
    setup_free(&s);
    if (rc)
        return search_error(ctx, name, rc, &err);
    if (mg_session_put_model(ctx->session, name, run, d->name)) {
        aml_run_free(run);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    rc = mg_show_run(ctx, name, run, false);
    /* an interrupted cell reads as interrupted (and stops "Run All"), but the
     * model is kept and usable */
    if (rc == 0 && aml_run_stop_reason(run) == AML_STOP_INTERRUPTED)
        rc = mg_fail(ctx, "KeyboardInterrupt", "%%train interrupted after %zu trials; the best "
                     "model so far is kept as '%s'", aml_run_trials_done(run), name);
    return rc;
}

const mg_magic mg_magic_train = {
    .name = "train",
    .synopsis = "%train [DATA] target=COL [as NAME] [budget=1m] [metric=] [strategy=] [models=] "
                "[cv=] [seed=] [exclude=] ...",
    .summary = "Find the best model the time budget can buy (the AutoML search), live.",
    .help = "Holds out 10 % of the rows as a test split, then tries learners and settings by "
            "cross-validation or a holdout, within the budget; combines the best into an "
            "ensemble; refits on all training rows and scores the test split.  Interrupt it at "
            "any time: the best model so far is kept.  Every finished trial is journaled in "
            "automl-runs/NAME/, so resume=NAME continues a run after a restart.\n\n"
            "Examples:\n  %train target=y budget=2m\n  %train bank target=y exclude=duration as m1\n"
            "  %train target=y strategy=bayes models=xgb,linear budget=30s seed=7\n"
            "  %train target=y resume=m1",
    .options = train_options,
    .max_args = 1,
    .takes_as = true,
    .first_arg = MG_ARG_DATASET,
    .run = run_train,
};

/* ---- %leaderboard and %models ---- */

static int run_leaderboard(mg_ctx *ctx, const mg_call *call)
{
    mg_trained *t;
    if (mg_model_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &t))
        return -1;
    if (!t->run)
        return mg_fail(ctx, "UsageError",
                       "model '%s' was loaded from %s: a model file keeps no leaderboard", t->name,
                       t->source);
    return mg_show_run(ctx, t->name, t->run, true);
}

const mg_magic mg_magic_leaderboard = {
    .name = "leaderboard",
    .synopsis = "%leaderboard [MODEL]",
    .summary = "Show every trial of a training run, best first.",
    .max_args = 1,
    .run = run_leaderboard,
};

/* What model entry `m` holds in memory: its run (models, trials, test rows)
 * or the model read from a file. */
static size_t trained_bytes(const mg_trained *m)
{
    return m->run ? aml_run_memory_size(m->run) : aml_model_memory_size(m->loaded);
}

static int run_models(mg_ctx *ctx, const mg_call *call)
{
    (void)call;
    size_t n = mg_session_model_count(ctx->session);
    if (n == 0) {
        kn_stream(ctx->req, "stdout", "No models yet. Train one with %train target=COLUMN.\n");
        return 0;
    }
    const char *head[] = {"name", "data", "task", "metric", "validation", "test", "trials",
                          "stopped", "size"};
    mg_table *t = mg_table_new(9, head);
    mg_table_numeric(t, 8);
    json_t *list = json_array();
    size_t total = 0;
    for (size_t i = n; i-- > 0;) {
        mg_trained *m = mg_session_model_at(ctx->session, i);
        const aml_model *am = mg_trained_model(m);
        char val[32] = "—", test[32] = "—", trials[32] = "—", size[32];
        const char *task = m->run ? aml_task_name(aml_run_task(m->run))
                                  : aml_task_name(aml_model_task(am));
        const char *metric = m->run ? aml_metric_name(aml_run_metric(m->run))
                                    : aml_metric_name(aml_model_metric(am));
        if (m->run) {
            snprintf(val, sizeof val, "%.4f", aml_run_validation_score(m->run));
            snprintf(test, sizeof test, "%.4f", aml_run_test_score(m->run));
            snprintf(trials, sizeof trials, "%zu", aml_run_trials_done(m->run));
        }
        size_t bytes = trained_bytes(m);
        total += bytes;
        mg_fmt_bytes(bytes, size);
        const char *row[] = {m->name, m->run ? m->dataset : m->source, task, metric, val, test,
                             trials,
                             m->run ? aml_stop_reason_name(aml_run_stop_reason(m->run)) : "loaded",
                             size};
        mg_table_row(t, row);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "name", m->name, "data",
                                              m->run ? m->dataset : m->source, "task", task,
                                              "bytes", (json_int_t)bytes));
    }
    if (n > 1) {
        char size[32];
        mg_fmt_bytes(total, size);
        const char *row[] = {"total in memory", "", "", "", "", "", "", "", size};
        mg_table_row(t, row);
    }
    mg_display_table(ctx, t, "application/vnd.automl.models+json", "models", list);
    mg_table_free(t);
    return 0;
}

const mg_magic mg_magic_models = {
    .name = "models",
    .synopsis = "%models",
    .summary = "List the models trained in this session, with the memory each holds.",
    .max_args = 0,
    .run = run_models,
};

/* ---- %compare ---- */

static const mg_option compare_options[] = {
    {"target", MG_COLUMN, NULL, "the column to predict (default: the data set's target)"},
    {"strategies", MG_LIST, NULL, "which: grid,random,bayes,evolution,hyperband,rl (default "
                                  "all), enas on image sets (default there rl,enas,evolution,"
                                  "random)"},
    {"budget", MG_DURATION, NULL, "time for each strategy (default 1m)"},
    {"metric", MG_ENUM, "auto|auc|logloss|accuracy|balanced_accuracy|f1|rmse|mae|r2",
     "what to optimise"},
    {"models", MG_LIST, NULL, "learners to try (default: all)"},
    {"seed", MG_INT, NULL, "the same seed for every strategy (default 42)"},
    {"exclude", MG_LIST, NULL, "columns to leave out"},
    {"max_memory", MG_SIZE, NULL, "memory the search may use, e.g. 4G (default: what is free now)"},
    {"threads", MG_INT, NULL, "threads to use"},
    {"max_trials", MG_INT, NULL, "trials per strategy"},
    {0},
};

#define COMPARE_MAX 8   /* strategies on one chart (the palette's colours) */
#define TABLE_STRATEGIES "grid,random,bayes,evolution,hyperband,rl"
#define IMAGE_STRATEGIES "rl,enas,evolution,random"

/* The table of %compare: one row per strategy (image sets: the weights of
 * the network each chose). */
static void compare_row(mg_table *t, const char *strategy, const aml_run *run, bool images)
{
    char trials[32], val[32], test[32], weights[32] = "—";
    snprintf(trials, sizeof trials, "%zu", aml_run_trials_done(run));
    snprintf(val, sizeof val, "%.4f", aml_run_validation_score(run));
    snprintf(test, sizeof test, "%.4f", aml_run_test_score(run));
    const aml_model *m = aml_run_model(run);
    const char *d = images && m ? strrchr(aml_model_describe(m), '(') : NULL;
    double w = d ? atof(d + 1) : 0;   /* "CNN: ... (N weights)" */
    if (w >= 1e6)
        snprintf(weights, sizeof weights, "%.2fM", w / 1e6);
    else if (w >= 1e4)
        snprintf(weights, sizeof weights, "%.1fk", w / 1e3);
    else if (w > 0)
        snprintf(weights, sizeof weights, "%.0f", w);
    const char *row[] = {strategy, trials, val, test, weights};
    mg_table_row(t, row);
}

/* The best-so-far curve of a run as a step series held to the run's end.
 * Fills *x, *y (malloc'd); returns false when the run has no curve. */
static bool compare_series(const aml_run *run, const char *label, aml_plot_series *s, double **x,
                           double **y)
{
    size_t m = aml_run_curve_size(run);
    *x = m ? calloc(m + 2, sizeof(double)) : NULL;
    *y = m ? calloc(m + 2, sizeof(double)) : NULL;
    if (!*x || !*y) {
        free(*x);
        free(*y);
        *x = *y = NULL;
        return false;
    }
    for (size_t k = 0; k < m; k++)
        aml_run_curve_point(run, k, &(*x)[k], &(*y)[k]);
    (*x)[m] = aml_run_seconds(run) > (*x)[m - 1] ? aml_run_seconds(run) : (*x)[m - 1];
    (*y)[m] = (*y)[m - 1];
    *s = aml_plot_series_default();
    s->x = *x;
    s->y = *y;
    s->n = m + 1;
    s->steps = true;
    s->markers = m < 40;
    s->label = label;
    return true;
}

static int compare_chart(mg_ctx *ctx, const mg_dataset *d, aml_metric metric,
                         const aml_plot_series *series, size_t used)
{
    char title[200], xt[200], yt[64], alt[420];
    if (d->images)
        snprintf(xt, sizeof xt, "seconds since the strategy started (%s, %zu images)", d->name,
                 aml_images_count(d->images));
    else
        snprintf(xt, sizeof xt, "seconds since the strategy started (%s, %zu rows)", d->name,
                 aml_frame_nrows(d->frame));
    snprintf(title, sizeof title, "Best validation %s over time, per strategy",
             aml_metric_name(metric));
    snprintf(yt, sizeof yt, "best validation %s so far", aml_metric_name(metric));
    snprintf(alt, sizeof alt, "%s; x: %s", title, xt);
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.x_title = xt;
    o.y_title = yt;
    o.legend = AML_PLOT_LEGEND_RIGHT;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = 0;
    if (used && aml_plot_line(&o, series, used, &img, &err) == 0)
        rc = mg_display_png(ctx, img, alt);
    else if (used)
        rc = mg_fail(ctx, "PlotError", "%s", err.text);
    aml_plot_image_free(img);
    return rc;
}

static int run_compare(mg_ctx *ctx, const mg_call *call)
{
    mg_dataset *d;
    if (mg_dataset_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &d))
        return -1;
    train_setup s;
    if (setup_options(ctx, call, d, &s)) {
        setup_free(&s);
        return -1;
    }
    const char *list = mg_opt(call, "strategies");
    size_t n = 0;
    char **names = split_list(list ? list : d->images ? IMAGE_STRATEGIES : TABLE_STRATEGIES, &n);
    if (!names) {
        setup_free(&s);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    s.o.ensemble = false;     /* the strategies, not the ensembles, are compared */
    s.o.features = false;
    aml_plot_series series[COMPARE_MAX];
    double *xs[COMPARE_MAX] = {0}, *ys[COMPARE_MAX] = {0};
    size_t used = 0;
    int rc = 0;
    mg_table *t = NULL;
    const char *head[] = {"strategy", "trials", "best validation", "test", "weights"};
    size_t ncols = d->images ? 5 : 4;
    aml_metric metric = AML_METRIC_AUTO;
    for (size_t i = 0; rc == 0 && i < n && i < COMPARE_MAX; i++) {
        live lv = {.ctx = ctx, .name = names[i]};
        snprintf(lv.display_id, sizeof lv.display_id, "automl-compare-%ld-%zu-%ld",
                 (long)getpid(), i, (long)time(NULL));
        s.o.strategy = names[i];
        s.o.cancel = &lv.cancel;
        s.o.on_event = on_event;
        s.o.user = &lv;
        aml_run *run = NULL;
        aml_error err = {0};
        rc = d->images ? aml_image_search_run(d->images, &s.o, &run, &err)
                       : aml_search_run(d->frame, &s.o, &run, &err);
        json_decref(lv.curve);
        if (rc) {
            rc = search_error(ctx, names[i], rc, &err);
            break;
        }
        if (!t && (t = mg_table_new(ncols, head)))
            for (size_t c = 1; c < ncols; c++)
                mg_table_numeric(t, c);
        if (t)
            compare_row(t, names[i], run, d->images != NULL);
        if (compare_series(run, names[i], &series[used], &xs[used], &ys[used]))
            used++;
        metric = aml_run_metric(run);
        aml_run_free(run);
        if (lv.cancel)
            rc = mg_fail(ctx, "KeyboardInterrupt", "%%compare interrupted during %s", names[i]);
    }
    if (rc == 0 && t) {
        mg_display_table(ctx, t, NULL, NULL, NULL);
        rc = compare_chart(ctx, d, metric, series, used);
    }
    for (size_t i = 0; i < COMPARE_MAX; i++) {
        free(xs[i]);
        free(ys[i]);
    }
    mg_table_free(t);
    free(names);
    setup_free(&s);
    return rc;
}

const mg_magic mg_magic_compare = {
    .name = "compare",
    .synopsis = "%compare [DATA] target=COL [strategies=grid,random,bayes,evolution,hyperband,rl] "
                "[budget=1m] [seed=N]",
    .summary = "Run each search strategy on the same data, budget and seed; chart them.",
    .help = "Each strategy gets the whole budget; the chart shows the best validation score "
            "found so far against time, one line per strategy.  On an image set it compares "
            "the neural architecture searches (rl, enas, evolution, random, ...) on the same "
            "images and split, and the table gives the weights of the network each chose.\n\n"
            "Examples:\n  %compare target=y budget=30s\n"
            "  %compare target=y strategies=random,bayes,hyperband budget=1m models=xgb\n"
            "  %compare shapes strategies=rl,enas,evolution,random budget=1m",
    .options = compare_options,
    .max_args = 1,
    .first_arg = MG_ARG_DATASET,
    .run = run_compare,
};
