/*
 * mg_evaluate_view.c — how an evaluation looks in a notebook: the summary
 * metrics table (which also carries the evaluation+json document), the
 * per-class table, the confusion matrix as a chart and a table, the ROC and
 * precision-recall charts, the threshold table and the calibration chart;
 * for image models also the gallery of the most confident mistakes;
 * for regression the residual and predicted-vs-actual charts.  Every
 * display has text/plain for console users.
 *
 * application/vnd.automl.evaluation+json (version 1).  Numbers that are
 * undefined (NaN, or a threshold above every score) are null.
 *   {"version": 1, "model": NAME, "on": "test" | DATA | PATH,
 *    "source": "the test split of data set 'bank'", "task": "binary" |
 *    "multiclass" | "regression", "target": COLUMN, "n_rows": N,
 *    "notes": [TEXT, ...],
 *   classification:
 *    "classes": [LABEL, ...],              index = class index
 *    "positive_class": LABEL,              binary only
 *    "threshold": T | null,                binary: P(positive) >= T is positive
 *    "decision": TEXT,                     the rule in words
 *    "threshold_dependent": [METRIC, ...], what changes with the threshold
 *    "metrics": {"accuracy", "balanced_accuracy", "log_loss", "auc_roc", "auc_pr",
 *                "precision", "recall", "f1",          binary: of the positive class;
 *                                                      multiclass: macro
 *                "precision_at_1", "recall_at_1"},     multiclass (null for binary)
 *    "metric_notes": {METRIC: TEXT},      why a metric is null or partial
 *    "per_class": [{"class", "precision", "recall", "f1", "support", "predicted",
 *                   "auc_roc", "auc_pr"}, ...],
 *    "averages": {"macro"|"micro"|"weighted": {"precision", "recall", "f1"}},
 *    "confusion_matrix": {"labels": [...], "counts": [[...], ...]}
 *                                          counts[actual][predicted]
 *    "roc": [{"class", "positives", "negatives", "auc",
 *             "fpr": [...], "tpr": [...], "threshold": [...], "tp": [...], "fp": [...]}],
 *    "pr":  [{"class", "positives", "negatives", "average_precision",
 *             "recall": [...], "precision": [...], "threshold": [...], "tp": [...],
 *             "fp": [...]}],
 *           binary: one curve (the positive class); multiclass: one per class,
 *           one-vs-rest.  Point i is "score >= threshold[i]" (threshold[0] is null:
 *           nothing positive); at most ~200 points.  fn = positives - tp,
 *           tn = negatives - fp rebuild the confusion matrix at any point.
 *    "threshold_table": [{"threshold", "precision", "recall", "f1", "accuracy",
 *                         "tp", "fp", "fn", "tn"}, ...]     binary: 0.1 .. 0.9
 *    "threshold_grid": [same, ...]        binary: 0.01 .. 0.99 (for a slider)
 *    "best_f1_threshold": {same} | null   binary: the threshold with the best F1
 *    "calibration": {"kind": "positive class" | "top-1",
 *                    "bins": [{"lo", "hi", "mean_predicted", "observed", "count"}]}
 *   regression:
 *    "metrics": {"rmse", "mae", "r2", "mape"}, "metric_notes": {...},
 *    "mape_rows_excluded": N,             rows whose true value is 0
 *    "residuals": {"sampled": BOOL, "row": [...], "actual": [...], "predicted": [...],
 *                  "residual": [...]}     at most 2,000 rows, evenly spaced
 *   image models (classification), besides the above:
 *    "images": {"shape": {"channels", "height", "width"},
 *               "mistakes": [{"image": INDEX, "true", "predicted", "p"}, ...]
 *                                          the most confident first, at most 16
 *               "figures": {"confusion_matrix": BASE64 PNG | null,
 *                           "mistakes": BASE64 PNG | null}}   the charts shown
 *  }
 */
#include "mg_evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESIDUAL_POINTS 2000

/* ---- JSON ---- */

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *threshold_row(const aml_eval_threshold_row *r)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I}", "threshold",
                     num(r->threshold), "precision", num(r->precision), "recall",
                     num(r->recall), "f1", num(r->f1), "accuracy", num(r->accuracy), "tp",
                     (json_int_t)r->tp, "fp", (json_int_t)r->fp, "fn", (json_int_t)r->fn, "tn",
                     (json_int_t)r->tn);
}

static json_t *curve_doc(const aml_eval_curve *c, const char *cls, bool pr)
{
    json_t *x = json_array(), *y = json_array(), *t = json_array(), *tp = json_array(),
           *fp = json_array();
    for (size_t i = 0; i < c->n; i++) {
        json_array_append_new(x, num(c->x[i]));
        json_array_append_new(y, num(c->y[i]));
        json_array_append_new(t, num(c->threshold[i]));
        json_array_append_new(tp, json_integer((json_int_t)c->tp[i]));
        json_array_append_new(fp, json_integer((json_int_t)c->fp[i]));
    }
    return json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "class", cls, "positives",
                     (json_int_t)c->positives, "negatives", (json_int_t)c->negatives,
                     pr ? "average_precision" : "auc", num(c->area), pr ? "recall" : "fpr", x,
                     pr ? "precision" : "tpr", y, "threshold", t, "tp", tp, "fp", fp);
}

static void class_doc(json_t *doc, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    size_t k = ev->n_classes;
    bool bin = ev->task == AML_TASK_BINARY;
    json_t *classes = json_array();
    for (size_t c = 0; c < k; c++)
        json_array_append_new(classes, json_string(v->classes[c]));
    json_object_set_new(doc, "classes", classes);
    char rule[300];
    if (bin) {
        json_object_set_new(doc, "positive_class", json_string(v->classes[1]));
        json_object_set_new(doc, "threshold", json_real(ev->threshold));
        snprintf(rule, sizeof rule, "'%s' when P(%s) >= %g", v->classes[1], v->classes[1],
                 ev->threshold);
    } else {
        json_object_set_new(doc, "threshold", json_null());
        snprintf(rule, sizeof rule, "the most probable class");
    }
    json_object_set_new(doc, "decision", json_string(rule));
    json_object_set_new(doc, "threshold_dependent",
                        json_pack("[s, s, s, s, s, s, s]", "accuracy", "balanced_accuracy",
                                  "precision", "recall", "f1", "per_class",
                                  "confusion_matrix"));
    json_object_set_new(doc, "metrics",
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                                  "accuracy", num(ev->accuracy), "balanced_accuracy",
                                  num(ev->balanced_accuracy), "log_loss", num(ev->log_loss),
                                  "auc_roc", num(ev->auc_roc), "auc_pr", num(ev->auc_pr),
                                  "precision", num(ev->precision), "recall", num(ev->recall),
                                  "f1", num(ev->f1), "precision_at_1", num(ev->precision_at_1),
                                  "recall_at_1", num(ev->recall_at_1)));
    json_t *mn = json_object();
    if (ev->auc_note[0]) {
        json_object_set_new(mn, "auc_roc", json_string(ev->auc_note));
        json_object_set_new(mn, "auc_pr", json_string(ev->auc_note));
    }
    json_object_set_new(doc, "metric_notes", mn);
    json_t *pc = json_array(), *cm = json_array();
    for (size_t c = 0; c < k; c++) {
        const aml_eval_class *e = &ev->classes[c];
        json_array_append_new(
            pc, json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:o, s:o}", "class", v->classes[c],
                          "precision", num(e->precision), "recall", num(e->recall), "f1",
                          num(e->f1), "support", (json_int_t)e->support, "predicted",
                          (json_int_t)e->predicted, "auc_roc", num(e->auc_roc), "auc_pr",
                          num(e->auc_pr)));
        json_t *row = json_array();
        for (size_t j = 0; j < k; j++)
            json_array_append_new(row, json_integer((json_int_t)ev->confusion[c * k + j]));
        json_array_append_new(cm, row);
    }
    json_object_set_new(doc, "per_class", pc);
    const aml_eval_average *av[3] = {&ev->macro, &ev->micro, &ev->weighted};
    const char *avn[3] = {"macro", "micro", "weighted"};
    json_t *avg = json_object();
    for (int i = 0; i < 3; i++)
        json_object_set_new(avg, avn[i],
                            json_pack("{s:o, s:o, s:o}", "precision", num(av[i]->precision),
                                      "recall", num(av[i]->recall), "f1", num(av[i]->f1)));
    json_object_set_new(doc, "averages", avg);
    json_object_set_new(doc, "confusion_matrix",
                        json_pack("{s:O, s:o}", "labels", classes, "counts", cm));
    json_t *roc = json_array(), *pr = json_array();
    for (size_t i = 0; i < ev->n_curves; i++) {
        const char *cls = v->classes[bin ? 1 : i];
        json_array_append_new(roc, curve_doc(&ev->roc[i], cls, false));
        json_array_append_new(pr, curve_doc(&ev->pr[i], cls, true));
    }
    json_object_set_new(doc, "roc", roc);
    json_object_set_new(doc, "pr", pr);
    if (bin) {
        json_t *tt = json_array(), *grid = json_array();
        for (size_t i = 0; i < ev->n_thresholds; i++)
            json_array_append_new(tt, threshold_row(&ev->thresholds[i]));
        for (size_t i = 0; i < ev->n_grid; i++)
            json_array_append_new(grid, threshold_row(&ev->grid[i]));
        json_object_set_new(doc, "threshold_table", tt);
        json_object_set_new(doc, "threshold_grid", grid);
        json_object_set_new(doc, "best_f1_threshold", isfinite(ev->best_f1.threshold)
                                                          ? threshold_row(&ev->best_f1)
                                                          : json_null());
    }
    json_t *bins = json_array();
    for (size_t b = 0; b < ev->n_bins; b++) {
        const aml_eval_bin *e = &ev->calibration[b];
        json_array_append_new(bins, json_pack("{s:f, s:f, s:o, s:o, s:I}", "lo", e->lo, "hi",
                                              e->hi, "mean_predicted", num(e->mean_predicted),
                                              "observed", num(e->observed), "count",
                                              (json_int_t)e->count));
    }
    json_object_set_new(doc, "calibration", json_pack("{s:s, s:o}", "kind",
                                                      bin ? "positive class" : "top-1",
                                                      "bins", bins));
}

static void regression_doc(json_t *doc, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    json_object_set_new(doc, "metrics",
                        json_pack("{s:o, s:o, s:o, s:o}", "rmse", num(ev->rmse), "mae",
                                  num(ev->mae), "r2", num(ev->r2), "mape", num(ev->mape)));
    json_t *mn = json_object();
    if (ev->r2_note[0])
        json_object_set_new(mn, "r2", json_string(ev->r2_note));
    if (ev->mape_excluded) {
        char t[200];
        snprintf(t, sizeof t, "%zu rows whose true value is 0 are left out of MAPE",
                 ev->mape_excluded);
        json_object_set_new(mn, "mape", json_string(t));
    }
    json_object_set_new(doc, "metric_notes", mn);
    json_object_set_new(doc, "mape_rows_excluded", json_integer((json_int_t)ev->mape_excluded));
    size_t m = ev->n < MAX_RESIDUAL_POINTS ? ev->n : MAX_RESIDUAL_POINTS;
    json_t *row = json_array(), *a = json_array(), *p = json_array(), *r = json_array();
    for (size_t j = 0; j < m; j++) {
        size_t i = (size_t)((double)j * (double)ev->n / (double)m);
        json_array_append_new(row, json_integer((json_int_t)(v->rows ? v->rows[i] : i)));
        json_array_append_new(a, num(ev->truth[i]));
        json_array_append_new(p, num(ev->pred[i]));
        json_array_append_new(r, num(ev->residual[i]));
    }
    json_object_set_new(doc, "residuals",
                        json_pack("{s:b, s:o, s:o, s:o, s:o}", "sampled", m < ev->n, "row", row,
                                  "actual", a, "predicted", p, "residual", r));
}

static void images_doc(json_t *doc, const mg_eval_view *v);

json_t *mg_evaluate_doc(const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    json_t *notes = json_array();
    for (size_t i = 0; i < v->n_notes; i++)
        json_array_append_new(notes, json_string(v->notes[i]));
    json_t *doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "version", 1, "model",
                            v->model_name, "on", v->on, "source", v->source, "task",
                            aml_task_name(ev->task), "target", v->target, "n_rows",
                            (json_int_t)ev->n, "notes", notes);
    if (!doc)
        return NULL;
    if (ev->task == AML_TASK_REGRESSION)
        regression_doc(doc, v);
    else
        class_doc(doc, v);
    if (v->images && ev->task != AML_TASK_REGRESSION)
        images_doc(doc, v);
    return doc;
}

/* ---- tables ---- */

static void fmt(double v, char *buf, size_t len)
{
    if (isfinite(v))
        snprintf(buf, len, "%.4f", v);
    else
        snprintf(buf, len, "—");
}

static void add_metric(mg_table *t, const char *name, double v, const char *about)
{
    char val[64];
    fmt(v, val, sizeof val);
    const char *row[] = {name, val, about};
    mg_table_row(t, row);
}

/* Displays `t` after a heading and notes, with `mime`: doc when doc is set. */
static void display_report(mg_ctx *ctx, const char *heading, const char *const *notes,
                           size_t n_notes, const mg_table *t, const char *mime, json_t *doc)
{
    mg_buf text = {0}, html = {0};
    mg_buf_add(&text, heading);
    mg_buf_add(&text, "\n\n");
    mg_buf_add(&html, "<div class=\"automl-evaluation\"><p><b>");
    mg_buf_add_html(&html, heading);
    mg_buf_add(&html, "</b></p>");
    mg_table_render(t, &text, &html);
    if (n_notes) {
        mg_buf_add(&text, "\n");
        mg_buf_add(&html, "<ul>");
        for (size_t i = 0; i < n_notes; i++) {
            mg_buf_addf(&text, "Note: %s\n", notes[i]);
            mg_buf_add(&html, "<li>");
            mg_buf_add_html(&html, notes[i]);
            mg_buf_add(&html, "</li>");
        }
        mg_buf_add(&html, "</ul>");
    }
    mg_buf_add(&html, "</div>");
    json_t *b = json_pack("{s:s, s:s}", "text/plain", text.data ? text.data : "", "text/html",
                          html.data ? html.data : "");
    if (b && mime && doc)
        json_object_set(b, mime, doc);
    if (b)
        kn_display(ctx->req, b, NULL, NULL);
    json_decref(b);
    mg_buf_free(&text);
    mg_buf_free(&html);
}

/* A titled table (text + HTML). */
static void display_titled(mg_ctx *ctx, const char *title, const mg_table *t)
{
    display_report(ctx, title, NULL, 0, t, NULL, NULL);
}

static int show_summary(mg_ctx *ctx, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    const char *head[] = {"metric", "value", "about"};
    mg_table *t = mg_table_new(3, head);
    if (!t)
        return mg_fail(ctx, "MemoryError", "out of memory");
    mg_table_numeric(t, 1);
    char at[128], heading[1200], about[300];
    char n_rows[32];
    mg_fmt_count(ev->n, n_rows);
    if (ev->task == AML_TASK_BINARY) {
        const char *pos = v->classes[1];
        snprintf(at, sizeof at, "at threshold %g", ev->threshold);
        snprintf(heading, sizeof heading,
                 "Evaluation of %s on %s: %s rows, binary (positive class '%s'), threshold %g",
                 v->model_name, v->source, n_rows, pos, ev->threshold);
        add_metric(t, "AUC ROC", ev->auc_roc, "threshold-free; 0.5 is chance, 1 is perfect");
        snprintf(about, sizeof about, "threshold-free; chance is %.4f (the share of '%s')",
                 (double)ev->classes[1].support / (double)ev->n, pos);
        add_metric(t, "AUC PR (average precision)", ev->auc_pr, about);
        add_metric(t, "Log loss", ev->log_loss, "threshold-free; lower is better");
        add_metric(t, "Accuracy", ev->accuracy, at);
        add_metric(t, "Balanced accuracy", ev->balanced_accuracy, at);
        char name[200];
        snprintf(name, sizeof name, "Precision ('%s')", pos);
        add_metric(t, name, ev->precision, at);
        snprintf(name, sizeof name, "Recall ('%s')", pos);
        add_metric(t, name, ev->recall, at);
        snprintf(name, sizeof name, "F1 ('%s')", pos);
        add_metric(t, name, ev->f1, at);
    } else if (ev->task == AML_TASK_MULTICLASS) {
        snprintf(at, sizeof at, "most probable class");
        snprintf(heading, sizeof heading,
                 "Evaluation of %s on %s: %s rows, %zu classes (each row takes its most "
                 "probable class)", v->model_name, v->source, n_rows, ev->n_classes);
        add_metric(t, "AUC ROC (macro, one-vs-rest)", ev->auc_roc,
                   "threshold-free; 0.5 is chance");
        add_metric(t, "AUC PR (macro average precision)", ev->auc_pr, "threshold-free");
        add_metric(t, "Log loss", ev->log_loss, "threshold-free; lower is better");
        add_metric(t, "Accuracy", ev->accuracy, at);
        add_metric(t, "Balanced accuracy", ev->balanced_accuracy, "mean recall per class");
        add_metric(t, "Precision@1", ev->precision_at_1, "share of top-1 predictions that are right");
        add_metric(t, "Recall@1", ev->recall_at_1, "share of rows whose class is the top-1");
        add_metric(t, "Precision (macro)", ev->macro.precision, "mean over classes");
        add_metric(t, "Recall (macro)", ev->macro.recall, "mean over classes");
        add_metric(t, "F1 (macro)", ev->macro.f1, "mean over classes");
    } else {
        snprintf(heading, sizeof heading, "Evaluation of %s on %s: %s rows, regression of '%s'",
                 v->model_name, v->source, n_rows, v->target);
        add_metric(t, "RMSE", ev->rmse, "root mean squared error; lower is better");
        add_metric(t, "MAE", ev->mae, "mean absolute error; lower is better");
        add_metric(t, "R²", ev->r2, "share of the variance explained; 1 is perfect, 0 is the mean");
        if (ev->mape_excluded)
            snprintf(about, sizeof about,
                     "mean absolute percentage error, as a fraction; %zu rows with a true value "
                     "of 0 left out", ev->mape_excluded);
        else
            snprintf(about, sizeof about, "mean absolute percentage error, as a fraction");
        add_metric(t, "MAPE", ev->mape, about);
    }
    /* the notes of the summary: the caller's, then the engine's */
    const char *notes[40];
    size_t nn = 0;
    for (size_t i = 0; i < v->n_notes && nn < 36; i++)
        notes[nn++] = v->notes[i];
    char auc_note[AML_EVAL_NOTE_LEN + 40];
    if (ev->auc_note[0]) {
        snprintf(auc_note, sizeof auc_note, "AUC ROC and AUC PR: %s.", ev->auc_note);
        notes[nn++] = auc_note;
    }
    char r2_note[AML_EVAL_NOTE_LEN + 10];
    if (ev->r2_note[0]) {
        snprintf(r2_note, sizeof r2_note, "R²: %s.", ev->r2_note);
        notes[nn++] = r2_note;
    }
    json_t *doc = mg_evaluate_doc(v);
    display_report(ctx, heading, notes, nn, t, "application/vnd.automl.evaluation+json", doc);
    json_decref(doc);
    mg_table_free(t);
    return 0;
}

static int show_per_class(mg_ctx *ctx, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    const char *head[] = {"class", "precision", "recall", "F1", "support", "predicted",
                          "AUC ROC", "AUC PR"};
    mg_table *t = mg_table_new(8, head);
    if (!t)
        return mg_fail(ctx, "MemoryError", "out of memory");
    for (size_t c = 1; c < 8; c++)
        mg_table_numeric(t, c);
    char b[7][64];
    for (size_t c = 0; c < ev->n_classes; c++) {
        const aml_eval_class *e = &ev->classes[c];
        fmt(e->precision, b[0], 64);
        fmt(e->recall, b[1], 64);
        fmt(e->f1, b[2], 64);
        mg_fmt_count(e->support, b[3]);
        mg_fmt_count(e->predicted, b[4]);
        fmt(e->auc_roc, b[5], 64);
        fmt(e->auc_pr, b[6], 64);
        const char *row[] = {v->classes[c], b[0], b[1], b[2], b[3], b[4], b[5], b[6]};
        mg_table_row(t, row);
    }
    const aml_eval_average *av[3] = {&ev->macro, &ev->micro, &ev->weighted};
    const char *avn[3] = {"macro average", "micro average", "weighted average"};
    mg_fmt_count(ev->n, b[3]);
    for (int i = 0; i < 3; i++) {
        fmt(av[i]->precision, b[0], 64);
        fmt(av[i]->recall, b[1], 64);
        fmt(av[i]->f1, b[2], 64);
        const char *row[] = {avn[i], b[0], b[1], b[2], b[3], "", "", ""};
        mg_table_row(t, row);
    }
    char title[300];
    if (ev->task == AML_TASK_BINARY)
        snprintf(title, sizeof title, "Per class (decisions at threshold %g; AUC one-vs-rest)",
                 ev->threshold);
    else
        snprintf(title, sizeof title,
                 "Per class (decisions: the most probable class; AUC one-vs-rest)");
    display_titled(ctx, title, t);
    mg_table_free(t);
    return 0;
}

static int show_confusion(mg_ctx *ctx, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    size_t k = ev->n_classes;
    int64_t *counts = malloc(k * k * sizeof *counts);
    const char **head = calloc(k + 1, sizeof *head);
    char (*cells)[64] = calloc(k + 1, sizeof *cells);
    const char **row = calloc(k + 1, sizeof *row);
    char *head0 = strdup("actual \\ predicted");
    if (!counts || !head || !cells || !row || !head0) {
        free(counts);
        free(head);
        free(cells);
        free(row);
        free(head0);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    for (size_t i = 0; i < k * k; i++)
        counts[i] = (int64_t)ev->confusion[i];
    head[0] = head0;
    for (size_t c = 0; c < k; c++)
        head[c + 1] = v->classes[c];
    mg_table *t = mg_table_new(k + 1, head);
    for (size_t c = 1; t && c <= k; c++)
        mg_table_numeric(t, c);
    for (size_t a = 0; t && a < k; a++) {
        size_t tot = ev->classes[a].support;
        row[0] = v->classes[a];
        for (size_t p = 0; p < k; p++) {
            size_t cnt = ev->confusion[a * k + p];
            if (tot)
                snprintf(cells[p + 1], 64, "%zu (%.1f%%)", cnt, 100.0 * (double)cnt / (double)tot);
            else
                snprintf(cells[p + 1], 64, "%zu", cnt);
            row[p + 1] = cells[p + 1];
        }
        mg_table_row(t, row);
    }
    int rc = 0;
    aml_plot_opts o = aml_plot_opts_default();
    char title[300];
    if (ev->task == AML_TASK_BINARY)
        snprintf(title, sizeof title, "Confusion matrix (threshold %g)", ev->threshold);
    else
        snprintf(title, sizeof title, "Confusion matrix");
    o.title = title;
    int side = k <= 4 ? 480 : k <= 10 ? 560 : 720;
    o.width = side + 80;
    o.height = side;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    if (v->confusion_png || aml_plot_confusion(&o, counts, k, v->classes, &img, &err) == 0) {
        char alt[400];
        snprintf(alt, sizeof alt, "%s: rows are the actual class, columns the predicted one "
                 "(the table below has the counts)", title);
        rc = mg_display_png(ctx, v->confusion_png ? v->confusion_png : img, alt);
    }
    aml_plot_image_free(img);
    if (rc == 0 && t) {
        char tt[400];
        snprintf(tt, sizeof tt, "%s: count (share of the actual class)", title);
        display_titled(ctx, tt, t);
    }
    mg_table_free(t);
    free(counts);
    free(head);
    free(cells);
    free(row);
    free(head0);
    return rc;
}

/* ROC or PR chart: binary one curve with the operating point, multiclass
 * one per class present (the first 8). */
static int show_curves(mg_ctx *ctx, const mg_eval_view *v, bool pr)
{
    const aml_evaluation *ev = v->ev;
    bool bin = ev->task == AML_TASK_BINARY;
    size_t drawn = 0, present = 0;
    for (size_t i = 0; i < ev->n_curves; i++)
        if (ev->roc[i].n >= 2) {
            present++;
            drawn += drawn < 8;
        }
    if (!present)
        return 0;   /* one class only: the summary says why there is no AUC */
    aml_plot_opts o = aml_plot_opts_default();
    char title[300];
    if (bin)
        snprintf(title, sizeof title, "%s curve — positive class '%s'",
                 pr ? "Precision-recall" : "ROC", v->classes[1]);
    else
        snprintf(title, sizeof title, "%s curves — each class against the rest",
                 pr ? "Precision-recall" : "ROC");
    o.title = title;
    o.width = bin ? 560 : 760;   /* room for the legend of the classes */
    o.height = 480;
    if (!bin)
        o.legend = AML_PLOT_LEGEND_RIGHT;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = 0;
    if (aml_eval_plot_curves(&o, ev, pr, v->classes, &img, &err) == 0) {
        char alt[700];
        if (bin) {
            const size_t *cm = ev->confusion;
            snprintf(alt, sizeof alt, "%s: %s %.4f; at threshold %g ", title,
                     pr ? "average precision" : "AUC", pr ? ev->auc_pr : ev->auc_roc,
                     ev->threshold);
            size_t len = strlen(alt);
            if (pr)
                snprintf(alt + len, sizeof alt - len, "recall %.4f, precision %.4f",
                         ev->recall, ev->precision);
            else
                snprintf(alt + len, sizeof alt - len, "true positive rate %.4f, false positive "
                         "rate %.4f", ev->recall,
                         cm[0] + cm[1] ? (double)cm[1] / (double)(cm[0] + cm[1]) : 0.0);
        } else {
            snprintf(alt, sizeof alt, "%s: macro %s %.4f%s", title,
                     pr ? "average precision" : "AUC", pr ? ev->auc_pr : ev->auc_roc,
                     drawn < present ? " (the first 8 classes are drawn)" : "");
        }
        rc = mg_display_png(ctx, img, alt);
    }
    aml_plot_image_free(img);
    return rc;
}

typedef struct tagged_row {
    aml_eval_threshold_row r;
    const char *what;
} tagged_row;

static int by_threshold(const void *a, const void *b)
{
    double x = ((const tagged_row *)a)->r.threshold, y = ((const tagged_row *)b)->r.threshold;
    return (x > y) - (x < y);
}

static int show_thresholds(mg_ctx *ctx, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    const char *head[] = {"threshold", "precision", "recall", "F1", "accuracy", "TP", "FP",
                          "FN", "TN", ""};
    mg_table *t = mg_table_new(10, head);
    if (!t)
        return mg_fail(ctx, "MemoryError", "out of memory");
    for (size_t c = 0; c < 9; c++)
        mg_table_numeric(t, c);
    /* 0.1 .. 0.9, the threshold in use (from the confusion matrix) and the
     * best-F1 threshold, in order */
    tagged_row rows[16];
    size_t m = 0;
    bool in_table = false;
    for (size_t i = 0; i < ev->n_thresholds && m < 9; i++) {
        rows[m].r = ev->thresholds[i];
        rows[m].what = "";
        if (fabs(ev->thresholds[i].threshold - ev->threshold) < 1e-12) {
            rows[m].what = "in use";
            in_table = true;
        }
        m++;
    }
    if (!in_table) {
        const size_t *cm = ev->confusion;
        aml_eval_threshold_row r = {.threshold = ev->threshold, .tp = cm[3], .fp = cm[1],
                                    .fn = cm[2], .tn = cm[0]};
        r.precision = ev->classes[1].precision;
        r.recall = ev->classes[1].recall;
        r.f1 = ev->classes[1].f1;
        r.accuracy = ev->accuracy;
        rows[m].r = r;
        rows[m++].what = "in use";
    }
    if (isfinite(ev->best_f1.threshold)) {
        rows[m].r = ev->best_f1;
        rows[m++].what = "best F1";
    }
    qsort(rows, m, sizeof *rows, by_threshold);
    char b[9][64];
    for (size_t i = 0; i < m; i++) {
        const aml_eval_threshold_row *r = &rows[i].r;
        snprintf(b[0], 64, "%.4g", r->threshold);
        fmt(r->precision, b[1], 64);
        fmt(r->recall, b[2], 64);
        fmt(r->f1, b[3], 64);
        fmt(r->accuracy, b[4], 64);
        snprintf(b[5], 64, "%zu", r->tp);
        snprintf(b[6], 64, "%zu", r->fp);
        snprintf(b[7], 64, "%zu", r->fn);
        snprintf(b[8], 64, "%zu", r->tn);
        const char *row[] = {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
                             rows[i].what};
        mg_table_row(t, row);
    }
    char title[600];
    snprintf(title, sizeof title,
             "Decisions at each threshold: '%s' when P(%s) >= threshold (precision, recall and "
             "F1 of '%s').  The best-F1 threshold is chosen on these same rows: confirm it on "
             "other data before relying on it", v->classes[1], v->classes[1], v->classes[1]);
    display_titled(ctx, title, t);
    mg_table_free(t);
    return 0;
}

static int show_calibration(mg_ctx *ctx, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    aml_plot_opts o = aml_plot_opts_default();
    o.title = ev->task == AML_TASK_BINARY ? "Calibration: predicted probability vs observed share"
                                          : "Calibration: top-1 probability vs accuracy";
    o.width = 560;
    o.height = 480;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = 0;
    if (aml_eval_plot_calibration(&o, ev, &img, &err) == 0) {
        mg_buf alt = {0};
        mg_buf_addf(&alt, "%s (%zu bins; mean predicted -> observed, rows):", o.title,
                    ev->n_bins);
        for (size_t b = 0; b < ev->n_bins; b++)
            if (ev->calibration[b].count)
                mg_buf_addf(&alt, "\n  %.2f–%.2f: %.3f -> %.3f (%zu)", ev->calibration[b].lo,
                            ev->calibration[b].hi, ev->calibration[b].mean_predicted,
                            ev->calibration[b].observed, ev->calibration[b].count);
        rc = mg_display_png(ctx, img, alt.data ? alt.data : o.title);
        mg_buf_free(&alt);
    }
    aml_plot_image_free(img);
    return rc;
}

static int show_regression(mg_ctx *ctx, const mg_eval_view *v)
{
    const aml_evaluation *ev = v->ev;
    aml_plot_opts o = aml_plot_opts_default();
    char title[300], alt[600];
    aml_error err = {0};
    aml_plot_image *img = NULL;
    int rc = 0;
    snprintf(title, sizeof title, "Predicted vs actual %s", v->target);
    o.title = title;
    o.width = 560;
    o.height = 480;
    if (aml_eval_plot_predicted_actual(&o, ev, &img, &err) == 0) {
        snprintf(alt, sizeof alt, "%s: %zu rows, R² %.4f (points on the dashed line are "
                 "predicted exactly)", title, ev->n, ev->r2);
        rc = mg_display_png(ctx, img, alt);
    }
    aml_plot_image_free(img);
    img = NULL;
    if (rc)
        return rc;
    snprintf(title, sizeof title, "Residuals (actual − predicted) of %s", v->target);
    o = aml_plot_opts_default();
    o.title = title;
    if (aml_eval_plot_residuals(&o, ev, &img, &err) == 0) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < ev->n; i++) {
            lo = fmin(lo, ev->residual[i]);
            hi = fmax(hi, ev->residual[i]);
        }
        snprintf(alt, sizeof alt, "%s: from %.4g to %.4g, RMSE %.4g, MAE %.4g", title, lo, hi,
                 ev->rmse, ev->mae);
        rc = mg_display_png(ctx, img, alt);
    }
    aml_plot_image_free(img);
    return rc;
}

/* ---- image models: the confusion matrix and the gallery of mistakes ---- */

#define GALLERY 16

static aml_plot_image *draw_confusion(const mg_eval_view *v)
{
    size_t k = v->ev->n_classes;
    int64_t *counts = malloc(k * k * sizeof *counts);
    if (!counts)
        return NULL;
    for (size_t i = 0; i < k * k; i++)
        counts[i] = (int64_t)v->ev->confusion[i];
    aml_plot_opts o = aml_plot_opts_default();
    o.title = "Confusion matrix";
    int side = k <= 4 ? 480 : k <= 10 ? 560 : 720;
    o.width = side + 80;
    o.height = side;
    aml_plot_image *img = NULL;
    aml_plot_confusion(&o, counts, k, v->classes, &img, NULL);
    free(counts);
    return img;
}

static aml_plot_image *draw_mistakes(const mg_eval_view *v)
{
    aml_plot_opts o = aml_plot_opts_default();
    o.title = "Most confident mistakes: true → predicted (p)";
    aml_plot_image *img = NULL;
    aml_eval_plot_mistakes(&o, v->ev, v->images, v->rows, v->classes, GALLERY, &img, NULL);
    return img;
}

static json_t *png_json(const aml_plot_image *img)
{
    char *b = img ? mg_base64(img->png, img->png_size) : NULL;
    json_t *j = b ? json_string(b) : json_null();
    free(b);
    return j;
}

/* doc["images"]: the mistakes (image index, true, predicted, p) and both
 * charts as base64 PNG. */
static void images_doc(json_t *doc, const mg_eval_view *v)
{
    size_t idx[GALLERY];
    size_t m = aml_eval_mistakes(v->ev, idx, GALLERY);
    json_t *list = json_array();
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j], pc = v->ev->predicted[i];
        double p = v->ev->task == AML_TASK_BINARY
                       ? (pc == 1 ? v->ev->pred[i] : 1.0 - v->ev->pred[i])
                       : v->ev->pred[i * v->ev->n_classes + pc];
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:f}", "image",
                                              (json_int_t)v->rows[i], "true",
                                              v->classes[(size_t)v->ev->truth[i]], "predicted",
                                              v->classes[pc], "p", p));
    }
    int c, h, w;
    aml_model_image_shape(v->model, &c, &h, &w);
    json_object_set_new(doc, "images",
                        json_pack("{s:{s:i, s:i, s:i}, s:o, s:{s:o, s:o}}", "shape", "channels",
                                  c, "height", h, "width", w, "mistakes", list, "figures",
                                  "confusion_matrix", png_json(v->confusion_png),
                                  "mistakes", png_json(v->mistakes_png)));
}

static int show_mistakes(mg_ctx *ctx, const mg_eval_view *v)
{
    size_t idx[GALLERY];
    size_t m = aml_eval_mistakes(v->ev, idx, GALLERY);
    if (m == 0) {
        kn_stream(ctx->req, "stdout", "No mistakes: every evaluated image is predicted right.\n");
        return 0;
    }
    if (!v->mistakes_png)
        return 0;
    mg_buf alt = {0};
    mg_buf_addf(&alt, "The %zu most confident mistakes (image: true → predicted (p)):", m);
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j], pc = v->ev->predicted[i];
        double p = v->ev->task == AML_TASK_BINARY
                       ? (pc == 1 ? v->ev->pred[i] : 1.0 - v->ev->pred[i])
                       : v->ev->pred[i * v->ev->n_classes + pc];
        mg_buf_addf(&alt, "\n  image %zu: %s → %s (%.2f)", v->rows[i],
                    v->classes[(size_t)v->ev->truth[i]], v->classes[pc], p);
    }
    int rc = mg_display_png(ctx, v->mistakes_png, alt.data);
    mg_buf_free(&alt);
    return rc;
}

static int show_classification(mg_ctx *ctx, const mg_eval_view *v)
{
    int rc;
    if ((rc = show_per_class(ctx, v)) || (rc = show_confusion(ctx, v)) ||
        (v->images && (rc = show_mistakes(ctx, v))) || (rc = show_curves(ctx, v, false)) ||
        (rc = show_curves(ctx, v, true)))
        return rc;
    if (v->ev->task == AML_TASK_BINARY && (rc = show_thresholds(ctx, v)))
        return rc;
    return show_calibration(ctx, v);
}

int mg_evaluate_show(mg_ctx *ctx, const mg_eval_view *in)
{
    mg_eval_view view = *in;
    const mg_eval_view *v = &view;
    aml_plot_image *confusion = NULL, *mistakes = NULL;
    if (v->images && v->ev->task != AML_TASK_REGRESSION) {
        view.confusion_png = confusion = draw_confusion(v);
        view.mistakes_png = mistakes = draw_mistakes(v);
    }
    int rc = show_summary(ctx, v);
    if (rc == 0 && v->ev->task != AML_TASK_REGRESSION)
        rc = show_classification(ctx, v);
    else if (rc == 0)
        rc = show_regression(ctx, v);
    aml_plot_image_free(confusion);
    aml_plot_image_free(mistakes);
    return rc;
}
