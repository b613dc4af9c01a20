/*
 * mg_evaluate.c — %evaluate: how good a model is on rows it never saw.
 * Picks the rows (the run's held-out test split, another data set or a CSV
 * file), reads their true values as the model encodes its target (leaving
 * out, with a note, rows whose target is missing or a class the model never
 * saw), predicts them, evaluates (engine/evaluate*.c), optionally writes the
 * rows to a CSV file, and shows the result (mg_evaluate_view.c).
 */
#include "mg_evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_NAMED_LABELS 5   /* unseen labels named in the note */

static const mg_option evaluate_options[] = {
    {"on", MG_STRING, NULL,
     "the rows: test (the held-out test split of the training data, default), a data set "
     "or a CSV file with the target column"},
    {"threshold", MG_NUMBER, NULL,
     "binary models: a row is predicted positive when P(positive) >= threshold "
     "(default 0.5)"},
    {"out", MG_STRING, NULL,
     "also write each evaluated row (row, actual, predicted, p_<class> or residual) to this "
     "CSV file"},
    {0},
};

/* An unseen label and how many rows have it. */
typedef struct label_count {
    char text[64];
    size_t n;
} label_count;

typedef struct eval_rows {
    size_t *rows;        /* frame rows kept */
    float *truth;        /* their true values */
    size_t n;
    size_t missing, unseen;
    label_count labels[MAX_NAMED_LABELS];
    size_t n_labels, other_labels;
} eval_rows;

static void eval_rows_free(eval_rows *r)
{
    free(r->rows);
    free(r->truth);
}

static void count_label(eval_rows *r, const char *text)
{
    for (size_t i = 0; i < r->n_labels; i++)
        if (strcmp(r->labels[i].text, text) == 0) {
            r->labels[i].n++;
            return;
        }
    if (r->n_labels == MAX_NAMED_LABELS) {
        r->other_labels++;
        return;
    }
    /* cut long labels at a character boundary */
    size_t len = strlen(text), cap = sizeof r->labels[0].text - 1;
    if (len > cap) {
        len = cap;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(r->labels[r->n_labels].text, text, len);
    r->labels[r->n_labels].text[len] = 0;
    r->labels[r->n_labels++].n = 1;
}

/* "'x' (3 rows), 'y' (1 row)" */
static void labels_text(const eval_rows *r, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->n_labels && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s'%s' (%zu row%s)", i ? ", " : "",
                              r->labels[i].text, r->labels[i].n, r->labels[i].n == 1 ? "" : "s");
    if (r->other_labels && o < len)
        snprintf(buf + o, len - o, " and %zu rows of other classes", r->other_labels);
}

/* The true values of `rows` (n; NULL = every row): keeps the rows that can
 * be scored.  Returns 0 or mg_fail(). */
static int read_truth(mg_ctx *ctx, const aml_model *model, const aml_frame *f,
                      const size_t *rows, size_t n, const char *where, eval_rows *out)
{
    memset(out, 0, sizeof *out);
    const char *target = aml_model_target(model);
    long tcol = aml_frame_col_index(f, target);
    if (tcol < 0) {
        const char *close = mg_closest_column(f, target);
        char hint[200] = "";
        if (close)
            snprintf(hint, sizeof hint, " (did you mean '%s'? the column must be named as at "
                     "training)", close);
        return mg_fail(ctx, "EvaluateError", "%s has no column '%s', the model's target: "
                       "evaluation needs the true values%s", where, target, hint);
    }
    float *truth = malloc((n ? n : 1) * sizeof *truth);
    unsigned char *state = malloc(n ? n : 1);
    out->rows = malloc((n ? n : 1) * sizeof *out->rows);
    out->truth = malloc((n ? n : 1) * sizeof *out->truth);
    if (!truth || !state || !out->rows || !out->truth) {
        free(truth);
        free(state);
        eval_rows_free(out);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    aml_error err = {0};
    int rc = aml_evaluate_truth(model, f, rows, n, truth, state, &err);
    if (rc) {
        free(truth);
        free(state);
        eval_rows_free(out);
        if (rc == AML_EINVAL)   /* a column type that cannot hold the target */
            return mg_fail(ctx, "EvaluateError", "%s: %s — give the column the type it had "
                           "in training (%%schema NAME %s=TYPE, or %%import FILE types=%s:TYPE)",
                           where, err.text[0] ? err.text : aml_strerror(rc), target, target);
        return mg_fail(ctx, "EvaluateError", "%s: %s", where,
                       err.text[0] ? err.text : aml_strerror(rc));
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = rows ? rows[i] : i;
        if (state[i] == AML_EVAL_ROW_OK) {
            out->rows[out->n] = r;
            out->truth[out->n++] = truth[i];
        } else if (state[i] == AML_EVAL_ROW_MISSING) {
            out->missing++;
        } else {
            char text[256];
            aml_frame_cell_str(f, (size_t)tcol, r, text, sizeof text);
            count_label(out, text);
            out->unseen++;
        }
    }
    free(truth);
    free(state);
    return 0;
}

/* The CSV-file or data-set name of on=ARG, in words. */
static void source_words(mg_ctx *ctx, const char *on, char *buf, size_t len)
{
    if (mg_session_dataset(ctx->session, on))
        snprintf(buf, len, "data set '%s'", on);
    else
        snprintf(buf, len, "%s", on);
}

/* True when both paths name one existing file. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int run_evaluate(mg_ctx *ctx, const mg_call *call)
{
    mg_trained *t;
    if (mg_model_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &t))
        return -1;
    const aml_model *model = mg_trained_model(t);
    if (!model)
        return mg_fail(ctx, "EvaluateError", "model '%s' has nothing to evaluate: its training "
                       "stopped before any trial finished", t->name);
    const char *on_arg = mg_opt(call, "on");
    const mg_dataset *on_set = on_arg ? mg_session_dataset(ctx->session, on_arg) : NULL;
    if (aml_model_is_image(model) || (on_set && on_set->images))
        return mg_evaluate_images(ctx, call, t);
    aml_task task = aml_model_task(model);
    aml_eval_options eo = aml_eval_options_default();
    const char *v = mg_opt(call, "threshold");
    if (v) {
        char *end;
        eo.threshold = strtod(v, &end);
        if (*end || !(eo.threshold > 0 && eo.threshold < 1))
            return mg_fail(ctx, "UsageError", "threshold=%s: give a probability strictly between "
                           "0 and 1, e.g. threshold=0.3", v);
    }
    const char *on = mg_opt(call, "on");
    bool on_test = !on || strcmp(on, "test") == 0;
    const char *out_path = mg_opt(call, "out");
    if (out_path && !*out_path)
        return mg_fail(ctx, "UsageError", "out= needs a file name, e.g. out=errors.csv");

    /* ---- the rows ---- */
    const aml_frame *frame = NULL;
    aml_frame *owned = NULL;
    const size_t *rows = NULL;
    size_t n = 0;
    char source[700], where[600];
    if (on_test) {
        if (!t->run)
            return mg_fail(ctx, "EvaluateError", "model '%s' was loaded from %s and has no test "
                           "split: evaluate it on labelled rows with on=DATA or on=FILE.csv",
                           t->name, t->source);
        mg_dataset *d = mg_session_dataset(ctx->session, t->dataset);
        if (!d)
            return mg_fail(ctx, "EvaluateError", "model '%s' was trained on data set '%s', which "
                           "is no longer in the session: import it again under that name, or "
                           "evaluate on other labelled rows with on=DATA or on=FILE.csv",
                           t->name, t->dataset);
        rows = aml_run_test_rows(t->run, &n);
        if (!rows || n == 0)
            return mg_fail(ctx, "EvaluateError", "model '%s' was trained without a held-out "
                           "test split: evaluate it with on=DATA or on=FILE.csv", t->name);
        if (rows[n - 1] >= aml_frame_nrows(d->frame))
            return mg_fail(ctx, "EvaluateError", "data set '%s' was replaced since model '%s' "
                           "was trained (it has %zu rows; the test split needs row %zu): its "
                           "test split is gone — train again, or evaluate with on=DATA",
                           d->name, t->name, aml_frame_nrows(d->frame), rows[n - 1]);
        if (t->test_fingerprint && mg_test_fingerprint(d->frame, t->run) != t->test_fingerprint)
            return mg_fail(ctx, "EvaluateError", "data set '%s' was replaced since model '%s' "
                           "was trained (the rows of its test split hold other targets now): "
                           "train again, or evaluate with on=DATA", d->name, t->name);
        frame = d->frame;
        snprintf(source, sizeof source, "the test split of data set '%s'", d->name);
        snprintf(where, sizeof where, "data set '%s'", d->name);
    } else {
        if (out_path && same_file(on, out_path))
            return mg_fail(ctx, "UsageError", "out=%s is the file being evaluated: writing the "
                           "rows there would replace your data — choose another name", out_path);
        if (mg_frame_arg(ctx, on, "on", &frame, &owned))
            return -1;
        n = aml_frame_nrows(frame);
        source_words(ctx, on, source, sizeof source);
        snprintf(where, sizeof where, "on=%s", on);
    }
    eval_rows er;
    if (read_truth(ctx, model, frame, rows, rows ? n : aml_frame_nrows(frame), where, &er)) {
        aml_frame_free(owned);
        return -1;
    }
    if (on_test && er.n != n) {
        eval_rows_free(&er);
        return mg_fail(ctx, "EvaluateError", "data set '%s' was replaced since model '%s' was "
                       "trained (rows of its test split have no target now): train again, or "
                       "evaluate with on=DATA", t->dataset, t->name);
    }
    char labels[600];
    labels_text(&er, labels, sizeof labels);
    if (er.n == 0) {
        int rc;
        if (n == 0)
            rc = mg_fail(ctx, "EvaluateError", "%s has no rows to evaluate", where);
        else if (er.unseen == 0)
            rc = mg_fail(ctx, "EvaluateError", "no row of %s has a value in '%s' (the target): "
                         "nothing to evaluate", where, aml_model_target(model));
        else
            rc = mg_fail(ctx, "EvaluateError", "no row of %s can be evaluated: %zu have no "
                         "target and %zu a class the model never saw: %s", where, er.missing,
                         er.unseen, labels);
        eval_rows_free(&er);
        aml_frame_free(owned);
        return rc;
    }

    /* ---- predict and evaluate ---- */
    size_t w = aml_model_pred_width(model);
    float *pred = malloc(er.n * w * sizeof *pred);
    if (!pred) {
        eval_rows_free(&er);
        aml_frame_free(owned);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    aml_error err = {0};
    int rc = aml_model_predict(model, frame, er.rows, er.n, pred, &err);
    aml_evaluation *ev = NULL;
    if (rc)
        rc = mg_fail(ctx, "EvaluateError", "cannot predict the rows of %s: %s", where,
                     err.text[0] ? err.text : aml_strerror(rc));
    else if ((rc = aml_evaluate(task, aml_model_n_classes(model), er.truth, pred, er.n, &eo, &ev,
                                &err)))
        rc = mg_fail(ctx, "EvaluateError", "%s", err.text[0] ? err.text : aml_strerror(rc));
    /* the test split must still hold the rows the run scored: same score */
    if (rc == 0 && on_test && isfinite(aml_run_test_score(t->run))) {
        double s, ts = aml_run_test_score(t->run);
        aml_error e2 = {0};
        if (aml_metric_score(aml_run_metric(t->run), task, aml_model_n_classes(model), er.truth,
                             pred, NULL, er.n, &s, &e2) == 0 &&
            !(fabs(s - ts) <= 1e-4 * fmax(1.0, fabs(ts))))
            rc = mg_fail(ctx, "EvaluateError", "data set '%s' was replaced since model '%s' was "
                         "trained: its test split scores %s %.4f now, not %.4f as at training — "
                         "train again, or evaluate with on=DATA", t->dataset, t->name,
                         aml_metric_name(aml_run_metric(t->run)), s, ts);
    }
    free(pred);

    /* ---- notes, the CSV, the displays ---- */
    size_t k = task == AML_TASK_REGRESSION ? 0 : aml_model_n_classes(model);
    const char **classes = calloc(k + 1, sizeof *classes);
    for (size_t c = 0; classes && c < k; c++)
        classes[c] = aml_model_class_name(model, c);
    char notes[6][900];
    const char *note_p[6];
    size_t nn = 0;
    if (rc == 0 && !classes)
        rc = mg_fail(ctx, "MemoryError", "out of memory");
    if (rc == 0 && er.missing) {
        snprintf(notes[nn], sizeof notes[0], "%zu row%s of %s left out: no value in '%s' (the "
                 "target).", er.missing, er.missing == 1 ? "" : "s", where,
                 aml_model_target(model));
        nn++;
    }
    if (rc == 0 && er.unseen) {
        snprintf(notes[nn], sizeof notes[0], "%zu row%s left out: their '%s' is a class the "
                 "model never saw in training, so it cannot predict it — %s.", er.unseen,
                 er.unseen == 1 ? "" : "s", aml_model_target(model), labels);
        nn++;
    }
    if (rc == 0 && !on_test && t->run) {
        /* the training data again: its scores flatter the model */
        mg_dataset *td = mg_session_dataset(ctx->session, t->dataset);
        mg_dataset *od = mg_session_dataset(ctx->session, on);
        const char *src = od ? od->source : on;
        if (td && (td->frame == frame ||
                   (td->source && src && (same_file(td->source, src) ||
                                          strcmp(td->source, src) == 0)))) {
            snprintf(notes[nn], sizeof notes[0], "These rows include the rows model '%s' was "
                     "trained on (data set '%s'), so the scores are optimistic; %%evaluate %s "
                     "(on=test) scores the held-out test split.", t->name, td->name, t->name);
            nn++;
        }
    }
    if (rc == 0 && v && task != AML_TASK_BINARY) {
        snprintf(notes[nn], sizeof notes[0], "threshold=%s is ignored: it applies to binary "
                 "models; %s", v, task == AML_TASK_MULTICLASS
                                      ? "a multiclass model predicts its most probable class."
                                      : "a regression model predicts values.");
        nn++;
    }
    if (rc == 0 && out_path) {
        if (aml_evaluation_write_csv(ev, out_path, er.rows, classes, &err))
            rc = mg_fail(ctx, "EvaluateError", "out=%s: %s", out_path, err.text);
        else {
            snprintf(notes[nn], sizeof notes[0], "Wrote the %zu evaluated rows to %s.", er.n,
                     out_path);
            nn++;
        }
    }
    if (rc == 0) {
        for (size_t i = 0; i < nn; i++)
            note_p[i] = notes[i];
        mg_eval_view view = {
            .model_name = t->name,
            .on = on_test ? "test" : on,
            .source = source,
            .model = model,
            .ev = ev,
            .target = aml_model_target(model),
            .classes = classes,
            .rows = er.rows,
            .notes = note_p,
            .n_notes = nn,
        };
        rc = mg_evaluate_show(ctx, &view);
    }
    free(classes);
    aml_evaluation_free(ev);
    eval_rows_free(&er);
    aml_frame_free(owned);
    return rc;
}

const mg_magic mg_magic_evaluate = {
    .name = "evaluate",
    .synopsis = "%evaluate [MODEL] [on=test|DATA|FILE.csv|IMAGE_SET] [threshold=0.5] [out=FILE.csv]",
    .summary = "How good a model is on rows it never saw: metrics, confusion matrix, curves.",
    .help =
        "Scores a model on held-out rows.  By default (on=test) these are the test split that "
        "%train set aside (10 % of the rows, never seen by the search); on= evaluates on "
        "another data set of the session or a CSV file instead, which must have the target "
        "column.  "
        "Rows whose target is missing, or is a class the model never saw in training, are "
        "left out with a note.\n\n"
        "Classifiers: AUC ROC, AUC PR (average precision), log loss, accuracy, balanced "
        "accuracy, precision / recall / F1 per class with macro, micro and weighted "
        "averages, precision@1 and recall@1 (multiclass), the confusion matrix (chart and "
        "table), ROC and precision-recall curves (one-vs-rest for multiclass), the "
        "calibration curve, and for binary models a table of precision, recall and F1 at "
        "thresholds 0.1 to 0.9 with the threshold that maximises F1.  threshold= moves the "
        "binary decision (a row is positive when P(positive) >= threshold): accuracy, "
        "precision, recall, F1 and the confusion matrix change; AUCs, log loss and curves "
        "do not.\n"
        "Regression: RMSE, MAE, R², MAPE (rows whose true value is 0 are left out of it), "
        "predicted-vs-actual and residual charts.\n\n"
        "Image models: on the held-out test images (on=test), or on=IMAGE_SET, another "
        "imported image set of the model's shape whose classes are matched by name; the same "
        "metrics and charts, plus a gallery of the most confident mistakes (up to 16 images "
        "captioned \"true → predicted (p)\").  A table model on an image set, or an image "
        "model on a table, is refused.\n\n"
        "out=FILE.csv writes every evaluated row (its row number in the data, starting at "
        "0, the actual and predicted value, and p_<class> probabilities or the residual) "
        "so you can look at the mistakes.  The file is replaced atomically.\n\n"
        "Examples:\n"
        "  %evaluate\n"
        "  %evaluate m1 threshold=0.3\n"
        "  %evaluate m1 on=bank_2024 out=mistakes.csv\n"
        "  %evaluate churn_model on=data/holdout.csv",
    .options = evaluate_options,
    .max_args = 1,
    .run = run_evaluate,
};
