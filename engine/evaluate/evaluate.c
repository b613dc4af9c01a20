/*
 * evaluate.c — %evaluate's engine: the true value of rows as a model encodes
 * its target, and the evaluation of predictions against it (metrics,
 * per-class scores, confusion matrix; curves, thresholds and calibration
 * come from evaluate_curves.c).  Scores that the search also uses (log loss,
 * ROC AUC, RMSE, MAE, R²) come from metrics.c through aml_metric_score.
 */
#include "evaluate/evaluate_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the truth ---- */

int aml_evaluate_truth(const aml_model *model, const aml_frame *frame, const size_t *rows,
                       size_t n, float *truth, unsigned char *state, aml_error *err)
{
    if (!model || !frame || (n && (!truth || !state)))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model, frame and outputs are required");
    if (aml_model_is_image(model))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the model classifies images, not "
                             "table rows");
    if (!rows)
        n = aml_frame_nrows(frame);
    const char *target = aml_model_target(model);
    const aml_prep *prep = aml_model_member_prep(model, 0);
    if (!prep)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the model has no members");
    long tcol = aml_frame_col_index(frame, target);
    if (tcol < 0)
        return aml_error_set(err, AML_ENOENT, 0, 0, target, "no column '%s' (the target)",
                             target);
    size_t nrows = aml_frame_nrows(frame);
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= nrows)
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "row %zu is past the end (%zu rows)",
                                 rows[i], nrows);
    if (n == 0)
        return 0;
    int rc = amlp_prep_target_values(prep, frame, (size_t)tcol, rows, n, truth, err);
    if (rc)
        return rc;
    aml_task task = aml_model_task(model);
    for (size_t i = 0; i < n; i++) {
        size_t r = AMLP_ROW(rows, i);
        if (truth[i] == truth[i] && isfinite(truth[i]))
            state[i] = AML_EVAL_ROW_OK;
        else if (task != AML_TASK_REGRESSION && aml_frame_is_valid(frame, (size_t)tcol, r))
            state[i] = AML_EVAL_ROW_UNSEEN;
        else
            state[i] = AML_EVAL_ROW_MISSING;
        if (state[i] != AML_EVAL_ROW_OK)
            truth[i] = NAN;
    }
    return 0;
}

/* ---- options ---- */

aml_eval_options aml_eval_options_default(void)
{
    aml_eval_options o;
    memset(&o, 0, sizeof o);
    o.threshold = 0.5;
    o.max_curve_points = 200;
    o.calibration_bins = 10;
    return o;
}

void aml_evaluation_free(aml_evaluation *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n_curves; i++) {
        if (ev->roc)
            amlp_eval_curve_free(&ev->roc[i]);
        if (ev->pr)
            amlp_eval_curve_free(&ev->pr[i]);
    }
    amlp_free(ev->roc);
    amlp_free(ev->pr);
    amlp_free(ev->classes);
    amlp_free(ev->confusion);
    amlp_free(ev->predicted);
    amlp_free(ev->thresholds);
    amlp_free(ev->grid);
    amlp_free(ev->calibration);
    amlp_free(ev->residual);
    amlp_free(ev->truth);
    amlp_free(ev->pred);
    amlp_free(ev);
}

double amlp_eval_score(const aml_evaluation *ev, size_t i, size_t c)
{
    if (ev->task == AML_TASK_BINARY)
        return c == 1 ? (double)ev->pred[i] : 1.0 - (double)ev->pred[i];
    return (double)ev->pred[i * ev->n_classes + c];
}

static int oom(aml_error *err)
{
    return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory evaluating");
}

/* ---- classification ---- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;   /* scikit-learn's zero_division = 0 */
}

static double f1_of(double p, double r)
{
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

/* Decisions, confusion matrix, per-class and averaged precision / recall /
 * F1, accuracy and balanced accuracy. */
static void decisions(aml_evaluation *ev)
{
    size_t k = ev->n_classes, n = ev->n;
    for (size_t i = 0; i < n; i++) {
        size_t l;
        if (ev->task == AML_TASK_BINARY) {
            l = (double)ev->pred[i] >= ev->threshold;
        } else {
            const float *p = ev->pred + i * k;
            l = 0;
            for (size_t c = 1; c < k; c++)
                if (p[c] > p[l])
                    l = c;
        }
        ev->predicted[i] = l;
        ev->confusion[(size_t)ev->truth[i] * k + l]++;
    }
    size_t correct = 0, present = 0;
    double bal = 0;
    ev->macro = ev->micro = ev->weighted = (aml_eval_average){0, 0, 0};
    for (size_t c = 0; c < k; c++) {
        aml_eval_class *e = &ev->classes[c];
        size_t tp = ev->confusion[c * k + c];
        for (size_t j = 0; j < k; j++) {
            e->support += ev->confusion[c * k + j];
            e->predicted += ev->confusion[j * k + c];
        }
        correct += tp;
        e->precision = ratio((double)tp, (double)e->predicted);
        e->recall = ratio((double)tp, (double)e->support);
        e->f1 = f1_of(e->precision, e->recall);
        if (e->support) {
            bal += e->recall;
            present++;
        }
        ev->macro.precision += e->precision / (double)k;
        ev->macro.recall += e->recall / (double)k;
        ev->macro.f1 += e->f1 / (double)k;
        double w = (double)e->support / (double)n;
        ev->weighted.precision += w * e->precision;
        ev->weighted.recall += w * e->recall;
        ev->weighted.f1 += w * e->f1;
    }
    /* micro: pooled over classes; every row is predicted as exactly one
     * class, so pooled precision = pooled recall = accuracy */
    ev->accuracy = (double)correct / (double)n;
    ev->micro.precision = ev->micro.recall = ev->accuracy;
    ev->micro.f1 = f1_of(ev->micro.precision, ev->micro.recall);
    ev->balanced_accuracy = present ? bal / (double)present : NAN;
    if (ev->task == AML_TASK_BINARY) {
        ev->precision = ev->classes[1].precision;
        ev->recall = ev->classes[1].recall;
        ev->f1 = ev->classes[1].f1;
    } else {
        ev->precision = ev->macro.precision;
        ev->recall = ev->macro.recall;
        ev->f1 = ev->macro.f1;
        ev->precision_at_1 = ev->micro.precision;
        ev->recall_at_1 = ev->micro.recall;
    }
}

/* AUC ROC / AUC PR: per class from the curves; the summary values through
 * metrics.c (ROC) and the mean of the per-class average precisions. */
static int areas(aml_evaluation *ev, const aml_eval_options *o, aml_error *err)
{
    size_t k = ev->n_classes;
    ev->n_curves = ev->task == AML_TASK_BINARY ? 1 : k;
    ev->roc = amlp_calloc(ev->n_curves, sizeof *ev->roc);
    ev->pr = amlp_calloc(ev->n_curves, sizeof *ev->pr);
    if (!ev->roc || !ev->pr)
        return oom(err);
    double ap_sum = 0;
    size_t ap_used = 0, absent = 0, only = 0;
    for (size_t c = 0; c < k; c++) {
        aml_eval_curve roc, pr;
        int rc = amlp_eval_curves(ev, c, o->max_curve_points, &roc, &pr, err);
        if (rc)
            return rc;
        ev->classes[c].auc_roc = roc.area;
        ev->classes[c].auc_pr = pr.area;
        if (pr.area == pr.area) {
            ap_sum += pr.area;
            ap_used++;
        }
        if (ev->classes[c].support == 0)
            absent++;
        else
            only = c;
        size_t slot = ev->task == AML_TASK_BINARY ? (c == 1 ? 0 : (size_t)-1) : c;
        if (slot != (size_t)-1) {
            ev->roc[slot] = roc;
            ev->pr[slot] = pr;
        } else {
            amlp_eval_curve_free(&roc);
            amlp_eval_curve_free(&pr);
        }
    }
    aml_error e2 = {0};
    double auc;
    int rc = aml_metric_score(AML_METRIC_AUC, ev->task, k, ev->truth, ev->pred, NULL, ev->n,
                              &auc, &e2);
    if (rc == AML_ENOMEM)
        return oom(err);
    if (rc == 0) {
        ev->auc_roc = auc;
        ev->auc_pr = ev->task == AML_TASK_BINARY ? ev->classes[1].auc_pr
                                                 : ap_sum / (double)ap_used;
        if (absent)
            snprintf(ev->auc_note, sizeof ev->auc_note,
                     "macro over the %zu classes present (%zu of %zu have no rows here)",
                     k - absent, absent, k);
    } else {
        ev->auc_roc = ev->auc_pr = NAN;
        snprintf(ev->auc_note, sizeof ev->auc_note,
                 "undefined: every row is of one class (class %zu); AUC needs at least two", only);
    }
    return 0;
}

static int classification(aml_evaluation *ev, const aml_eval_options *o, aml_error *err)
{
    size_t k = ev->n_classes;
    ev->classes = amlp_calloc(k, sizeof *ev->classes);
    ev->confusion = amlp_calloc(k * k, sizeof *ev->confusion);
    ev->predicted = amlp_calloc(ev->n, sizeof *ev->predicted);
    if (!ev->classes || !ev->confusion || !ev->predicted)
        return oom(err);
    decisions(ev);
    int rc = aml_metric_score(AML_METRIC_LOGLOSS, ev->task, k, ev->truth, ev->pred, NULL, ev->n,
                              &ev->log_loss, err);
    if (rc == 0)
        rc = areas(ev, o, err);
    if (rc == 0 && ev->task == AML_TASK_BINARY)
        rc = amlp_eval_thresholds(ev, err);
    if (rc == 0)
        rc = amlp_eval_calibration(ev, o->calibration_bins, err);
    return rc;
}

/* ---- regression ---- */

static int regression(aml_evaluation *ev, aml_error *err)
{
    size_t n = ev->n;
    ev->residual = amlp_malloc(n * sizeof *ev->residual);
    if (!ev->residual)
        return oom(err);
    double ape = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        double y = ev->truth[i], d = y - (double)ev->pred[i];
        ev->residual[i] = d;
        if (y != 0) {
            ape += fabs(d) / fabs(y);
            used++;
        }
    }
    ev->mape_excluded = n - used;
    ev->mape = used ? ape / (double)used : NAN;
    int rc = aml_metric_score(AML_METRIC_RMSE, ev->task, 0, ev->truth, ev->pred, NULL, n,
                              &ev->rmse, err);
    if (rc == 0)
        rc = aml_metric_score(AML_METRIC_MAE, ev->task, 0, ev->truth, ev->pred, NULL, n,
                              &ev->mae, err);
    if (rc)
        return rc;
    aml_error e2 = {0};
    if (aml_metric_score(AML_METRIC_R2, ev->task, 0, ev->truth, ev->pred, NULL, n, &ev->r2,
                         &e2)) {
        ev->r2 = NAN;
        snprintf(ev->r2_note, sizeof ev->r2_note,
                 "undefined: every true value is the same (%g), so there is no variance to "
                 "explain", (double)ev->truth[0]);
    }
    return 0;
}

/* ---- the evaluation ---- */

int aml_evaluate(aml_task task, size_t n_classes, const float *truth, const float *pred,
                 size_t n, const aml_eval_options *opts, aml_evaluation **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "out is NULL");
    *out = NULL;
    aml_eval_options o = opts ? *opts : aml_eval_options_default();
    if (n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "", "no rows to evaluate");
    if (!truth || !pred)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "truth and predictions are required");
    if (task != AML_TASK_BINARY && task != AML_TASK_MULTICLASS && task != AML_TASK_REGRESSION)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "unknown task %d", (int)task);
    size_t k = task == AML_TASK_BINARY ? 2 : task == AML_TASK_MULTICLASS ? n_classes : 0;
    if (task == AML_TASK_MULTICLASS && k < 2)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "multiclass needs 2+ classes, got %zu",
                             k);
    if (task == AML_TASK_BINARY && !(o.threshold > 0 && o.threshold < 1))
        return aml_error_set(err, AML_EINVAL, 0, 0, "threshold",
                             "threshold %g is outside (0, 1)", o.threshold);
    if (o.max_curve_points < 4)
        o.max_curve_points = 4;
    if (o.calibration_bins < 1 || o.calibration_bins > 1000)
        o.calibration_bins = 10;
    size_t w = task == AML_TASK_MULTICLASS ? k : 1;
    for (size_t i = 0; i < n; i++) {
        float y = truth[i];
        if (!isfinite(y) || (k && (y < 0 || y >= (float)k || y != floorf(y))))
            return aml_error_set(err, AML_EINVAL, 0, 0, "truth",
                                 "row %zu: true value %g is not %s", i, (double)y,
                                 k ? "a class index" : "a finite number");
        for (size_t c = 0; c < w; c++)
            if (!isfinite(pred[i * w + c]))
                return aml_error_set(err, AML_EINVAL, 0, 0, "predictions",
                                     "row %zu: prediction %g is not a finite number", i,
                                     (double)pred[i * w + c]);
    }
    aml_evaluation *ev = amlp_calloc(1, sizeof *ev);
    if (!ev)
        return oom(err);
    ev->task = task;
    ev->n = n;
    ev->n_classes = k;
    ev->threshold = task == AML_TASK_BINARY ? o.threshold : NAN;
    ev->accuracy = ev->balanced_accuracy = ev->log_loss = ev->auc_roc = ev->auc_pr = NAN;
    ev->precision = ev->recall = ev->f1 = ev->precision_at_1 = ev->recall_at_1 = NAN;
    ev->best_f1.threshold = NAN;
    ev->rmse = ev->mae = ev->r2 = ev->mape = NAN;
    ev->truth = amlp_malloc(n * sizeof *ev->truth);
    ev->pred = amlp_malloc(n * w * sizeof *ev->pred);
    int rc = ev->truth && ev->pred ? 0 : oom(err);
    if (rc == 0) {
        memcpy(ev->truth, truth, n * sizeof *truth);
        memcpy(ev->pred, pred, n * w * sizeof *pred);
        rc = task == AML_TASK_REGRESSION ? regression(ev, err) : classification(ev, &o, err);
    }
    if (rc) {
        aml_evaluation_free(ev);
        return rc;
    }
    *out = ev;
    return 0;
}
