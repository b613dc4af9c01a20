/*
 * mg_explain.c — %explain: its options, the rows to explain (the test split,
 * a data set or a CSV file), the engine's explanation (aml_explain_run) with
 * live progress and interrupt; mg_explain_view.c shows the result to people
 * who do not build models.  Image models go to mg_explain_images.c.
 */
#include "mg_explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const mg_option explain_options[] = {
    {"row", MG_INT, NULL, "also explain this row: 0-based, numbered within the rows explained "
                          "(the test split in the data set's order, or the on= data)"},
    {"on", MG_STRING, NULL, "the rows to explain: test (default: the held-out test split), a "
                            "data set name or a CSV file"},
    {"max_rows", MG_INT, NULL, "explain at most this many rows, a fixed sample (default 2000)"},
    {"repeats", MG_INT, NULL, "shuffles per column for permutation importance (default 5)"},
    {"seed", MG_INT, NULL, "seed of the sample and the shuffles (default 42)"},
    {"n", MG_INT, NULL, "image models: how many images get a saliency map, a few per class "
                        "(default 8)"},
    {0},
};

/* ---- live progress ---- */

typedef struct live {
    mg_ctx *ctx;
    const char *model;
    volatile int cancel;
    double t0, last;
    bool shown;
    char last_text[300];
    char display_id[200];
} live;

static void on_progress(double fraction, const char *what, void *user)
{
    live *lv = user;
    if (kn_interrupted(lv->ctx->req))
        lv->cancel = 1;
    double t = aml_now();
    if (t - lv->t0 < 0.5 || t - lv->last < 0.25)
        return;
    char key[300];
    snprintf(key, sizeof key, "%.0f %s", 100 * fraction, what ? what : "");
    if (strcmp(key, lv->last_text) == 0)
        return;
    snprintf(lv->last_text, sizeof lv->last_text, "%s", key);
    lv->last = t;
    json_t *b = mg_explain_progress_bundle(lv->model, fraction, what && *what ? what : "working");
    if (!b)
        return;
    if (lv->shown)
        kn_update_display(lv->ctx->req, b, NULL, lv->display_id);
    else
        kn_display(lv->ctx->req, b, NULL, lv->display_id);
    lv->shown = true;
    json_decref(b);
}

/* ---- the magic ---- */

typedef struct explain_data {
    const aml_frame *frame;
    aml_frame *owned;
    const size_t *rows;     /* NULL: every row of frame */
    size_t n;
    char source[300];       /* in words */
} explain_data;

static int pick_data(mg_ctx *ctx, const mg_trained *t, const char *on, explain_data *d)
{
    memset(d, 0, sizeof d[0]);
    if (on && strcmp(on, "test") != 0) {
        if (mg_frame_arg(ctx, on, "on", &d->frame, &d->owned))
            return -1;
        d->n = aml_frame_nrows(d->frame);
        snprintf(d->source, sizeof d->source, "%s", on);
        return 0;
    }
    if (!t->run)
        return mg_fail(ctx, "UsageError", "model '%s' was loaded from a file and has no test "
                       "split: say which rows to explain with on=DATA or on=PATH.csv", t->name);
    d->rows = aml_run_test_rows(t->run, &d->n);
    if (!d->rows || d->n == 0)
        return mg_fail(ctx, "UsageError", "model '%s' has no held-out test split: say which rows "
                       "to explain with on=DATA or on=PATH.csv", t->name);
    mg_dataset *ds = mg_session_dataset(ctx->session, t->dataset);
    if (!ds || !t->dataset || !*t->dataset)
        return mg_fail(ctx, "UsageError", "the data set '%s' that model '%s' was trained on is "
                       "gone: import it again, or use on=DATA|PATH", t->dataset ? t->dataset : "",
                       t->name);
    if (d->rows[d->n - 1] >= aml_frame_nrows(ds->frame))
        return mg_fail(ctx, "UsageError", "the data set '%s' changed since model '%s' was "
                       "trained (fewer rows): use on=DATA|PATH", ds->name, t->name);
    d->frame = ds->frame;
    snprintf(d->source, sizeof d->source, "the held-out test split of '%s'", ds->name);
    return 0;
}

static int run_explain(mg_ctx *ctx, const mg_call *call)
{
    mg_trained *t;
    if (mg_model_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &t))
        return -1;
    const aml_model *m = mg_trained_model(t);
    if (!m)
        return mg_fail(ctx, "UsageError", "model '%s' has no fitted model (its training stopped "
                       "before any trial finished)", t->name);
    if (aml_model_is_image(m))
        return mg_explain_images(ctx, call, t, m);
    if (mg_opt(call, "n"))
        return mg_fail(ctx, "UsageError", "n= is for image models: model '%s' reads table "
                       "columns (max_rows= limits the rows explained)", t->name);
    aml_explain_options o = aml_explain_options_default();
    const char *v;
    if ((v = mg_opt(call, "max_rows"))) {
        long k = atol(v);
        if (k < 10 || k > 1000000)
            return mg_fail(ctx, "UsageError", "max_rows=%s: give 10 to 1000000 rows", v);
        o.max_rows = (size_t)k;
    }
    if ((v = mg_opt(call, "repeats"))) {
        long k = atol(v);
        if (k < 1 || k > 50)
            return mg_fail(ctx, "UsageError", "repeats=%s: give 1 to 50 shuffles", v);
        o.repeats = (size_t)k;
    }
    if ((v = mg_opt(call, "seed")))
        o.seed = strtoull(v, NULL, 10);
    explain_data d;
    if (pick_data(ctx, t, mg_opt(call, "on"), &d))
        return -1;
    long index = -1;
    if ((v = mg_opt(call, "row"))) {
        index = atol(v);
        if (index < 0 || (size_t)index >= d.n) {
            int rc = mg_fail(ctx, "UsageError", "row=%s is out of range: %s has %zu rows "
                             "(row=0 to row=%zu, numbered from 0)", v,
                             d.rows ? "the test split" : "the on= data", d.n,
                             d.n ? d.n - 1 : 0);
            aml_frame_free(d.owned);
            return rc;
        }
        o.row = (long)(d.rows ? d.rows[index] : (size_t)index);
    }
    live lv = {.ctx = ctx, .model = t->name, .t0 = aml_now()};
    snprintf(lv.display_id, sizeof lv.display_id, "automl-explain-%ld-%ld", (long)getpid(),
             (long)time(NULL));
    o.cancel = &lv.cancel;
    o.progress = on_progress;
    o.user = &lv;
    aml_explanation *e = NULL;
    aml_error err = {0};
    int rc = aml_explain_run(m, d.frame, d.rows, d.n, &o, &e, &err);
    double secs = aml_now() - lv.t0;
    if (lv.shown) {
        json_t *b = mg_explain_progress_done(t->name, rc == 0, secs);
        kn_update_display(ctx->req, b, NULL, lv.display_id);
        json_decref(b);
    }
    if (rc) {
        aml_frame_free(d.owned);
        if (rc == AML_ECANCELED)
            return mg_fail(ctx, "KeyboardInterrupt", "%%explain interrupted");
        return mg_fail(ctx, "ExplainError", "%s: %s", t->name,
                       err.text[0] ? err.text : aml_strerror(rc));
    }
    mg_explain_view view = {.model_name = t->name, .model = m, .e = e, .source = d.source,
                            .row = index, .seconds = secs};
    mg_explain_show(ctx, &view);
    aml_explanation_free(e);
    aml_frame_free(d.owned);
    return 0;
}

const mg_magic mg_magic_explain = {
    .name = "explain",
    .synopsis = "%explain [MODEL] [row=N] [on=test|DATA|PATH] [max_rows=2000] [repeats=5] [seed=42] "
                "[n=8]",
    .summary = "What a model relies on: importance, SHAP values, partial dependence, one row.",
    .help =
        "Explains a trained model on rows it has not seen — by default the held-out test split "
        "of the data set it was trained on (at most max_rows of them, a fixed sample):\n"
        "  - a sentence saying which columns the model relies on most;\n"
        "  - permutation importance: each column is shuffled in turn (repeats times) and the "
        "drop of the model's metric (AUC, log loss, RMSE, ...) is that column's importance, "
        "mean ± std — it covers the whole model, ensembles included;\n"
        "  - SHAP values of the tree members (xgb, rf): how much each column moves each "
        "prediction, in log-odds (binary), the class margin (multiclass, toward each row's "
        "predicted class) or the target's units (regression); one-hot levels and missing "
        "indicators add up to their column, engineered features are one group; members "
        "without SHAP (linear, knn, ...) are named;\n"
        "  - partial dependence of the three most important columns: the mean prediction as "
        "the column moves over its quantiles (numbers) or levels (categories);\n"
        "  - with row=N, that row's contributions as a waterfall from the base value to its "
        "prediction: SHAP when every member is a tree model, else by replacement (from a "
        "typical row, the row's own values are put in one column at a time).\n"
        "row=N is 0-based and numbers the rows explained: row=0 is the first row of the test "
        "split (in the data set's order), or of the on= data.  A model read with %load has no "
        "test split: give on=DATA or on=PATH.csv (with the target column).  Interrupt stops it "
        "within a second.\n"
        "An image model instead gets saliency maps by occlusion: a grey patch (about a sixth "
        "of the side) slides over each of n= test images (default 8, a few per class, or of "
        "the on= image set), and the heat map shows where hiding the image lowers the model's "
        "probability of the true class most; one grid shows each image next to its map.\n\n"
        "Examples:\n  %explain\n  %explain m1 row=0\n  %explain m1 on=bank_2024 max_rows=500\n"
        "  %explain on=new_customers.csv row=12 repeats=10\n"
        "  %explain cnn1 n=12",
    .options = explain_options,
    .max_args = 1,
    .run = run_explain,
};

