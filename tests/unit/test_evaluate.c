/* test_evaluate.c — Criterion suite for engine/evaluate*.c: hand-computed
 * binary, multiclass and regression cases (with ties, one class only,
 * perfect predictions), the decision threshold, curves against a naive
 * pairwise AUC, the thresholds and calibration bins, the truth of frame rows
 * (missing, unseen classes, no target column), the CSV file (content,
 * quoting, atomic failure), the charts, the errors and every allocation
 * failure. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EPS 1e-9

static aml_evaluation *eval_ok(aml_task task, size_t k, const float *y, const float *p,
                               size_t n, double threshold)
{
    aml_eval_options o = aml_eval_options_default();
    o.threshold = threshold;
    aml_evaluation *ev = NULL;
    aml_error err = {0};
    int rc = aml_evaluate(task, k, y, p, n, &o, &ev, &err);
    cr_assert_eq(rc, 0, "aml_evaluate: %s", err.text);
    cr_assert_not_null(ev);
    return ev;
}

/* ---- binary ---- */

/* scikit-learn's documentation example: y = 0 0 1 1, scores .1 .4 .35 .8 */
Test(evaluate, binary_by_hand)
{
    float y[] = {0, 0, 1, 1}, p[] = {0.1f, 0.4f, 0.35f, 0.8f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 4, 0.5);
    cr_expect_eq(ev->n, 4);
    cr_expect_eq(ev->n_classes, 2);
    cr_expect_float_eq(ev->auc_roc, 0.75, EPS);
    cr_expect_float_eq(ev->auc_pr, 0.5 * 1.0 + 0.5 * (2.0 / 3.0), EPS);   /* 0.8333 */
    /* at 0.5 only .8 is positive: TP 1, FP 0, FN 1, TN 2 */
    const size_t want_cm[4] = {2, 0, 1, 1};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(ev->confusion[i], want_cm[i], "cell %d", i);
    cr_expect_float_eq(ev->accuracy, 0.75, EPS);
    cr_expect_float_eq(ev->balanced_accuracy, (1.0 + 0.5) / 2, EPS);
    cr_expect_float_eq(ev->precision, 1.0, EPS);
    cr_expect_float_eq(ev->recall, 0.5, EPS);
    cr_expect_float_eq(ev->f1, 2.0 / 3.0, EPS);
    cr_expect_float_eq(ev->classes[0].precision, 2.0 / 3.0, EPS);
    cr_expect_float_eq(ev->classes[0].recall, 1.0, EPS);
    cr_expect_float_eq(ev->classes[0].f1, 0.8, EPS);
    cr_expect_eq(ev->classes[0].support, 2);
    cr_expect_eq(ev->classes[0].predicted, 3);
    cr_expect_float_eq(ev->macro.f1, (0.8 + 2.0 / 3.0) / 2, EPS);
    cr_expect_float_eq(ev->weighted.precision, (2.0 / 3.0 + 1.0) / 2, EPS);
    cr_expect_float_eq(ev->micro.f1, 0.75, EPS);
    double ll = -(log(0.9f) + log(1 - 0.4f) + log(0.35f) + log(0.8f)) / 4;
    cr_expect_float_eq(ev->log_loss, ll, 1e-7);
    cr_expect(isnan(ev->precision_at_1), "precision@1 is multiclass only");
    cr_expect_eq(ev->auc_note[0], 0);
    /* the ROC curve: one point per distinct score, from "nothing positive" */
    cr_assert_eq(ev->n_curves, 1);
    const aml_eval_curve *roc = &ev->roc[0], *pr = &ev->pr[0];
    cr_assert_eq(roc->n, 5);
    const double fx[] = {0, 0, 0.5, 0.5, 1}, fy[] = {0, 0.5, 0.5, 1, 1};
    const double thr[] = {INFINITY, 0.8f, 0.4f, 0.35f, 0.1f};
    for (size_t i = 0; i < 5; i++) {
        cr_expect_float_eq(roc->x[i], fx[i], EPS, "fpr[%zu]", i);
        cr_expect_float_eq(roc->y[i], fy[i], EPS, "tpr[%zu]", i);
        cr_expect(roc->threshold[i] == thr[i], "threshold[%zu] = %g", i, roc->threshold[i]);
        cr_expect_eq(roc->fp[i], (size_t)(fx[i] * 2), "fp[%zu]", i);
        cr_expect_eq(roc->tp[i], (size_t)(fy[i] * 2), "tp[%zu]", i);
    }
    cr_expect_eq(roc->positives, 2);
    cr_expect_eq(roc->negatives, 2);
    const double rx[] = {0, 0.5, 0.5, 1, 1}, py[] = {1, 1, 0.5, 2.0 / 3.0, 0.5};
    for (size_t i = 0; i < 5; i++) {
        cr_expect_float_eq(pr->x[i], rx[i], EPS, "recall[%zu]", i);
        cr_expect_float_eq(pr->y[i], py[i], EPS, "precision[%zu]", i);
    }
    /* the threshold table and the best F1 (at .35: P 2/3, R 1, F1 .8) */
    cr_assert_eq(ev->n_thresholds, 9);
    cr_expect_float_eq(ev->thresholds[0].threshold, 0.1, EPS);
    /* .1f > .1 (double): only .1f is below 0.2, and 0.1f >= 0.1 */
    cr_expect_eq(ev->thresholds[0].tp, 2);
    cr_expect_eq(ev->thresholds[0].fp, 2);
    cr_expect_eq(ev->thresholds[3].tp, 1);   /* 0.4: .4f and .8 */
    cr_expect_eq(ev->thresholds[3].fp, 1);
    cr_expect_float_eq(ev->thresholds[3].f1, 0.5, EPS);
    cr_expect_float_eq(ev->best_f1.threshold, 0.35f, EPS);
    cr_expect_float_eq(ev->best_f1.f1, 0.8, EPS);
    cr_expect_eq(ev->best_f1.tp, 2);
    cr_expect_eq(ev->best_f1.fp, 1);
    cr_assert_eq(ev->n_grid, 99);
    cr_expect_float_eq(ev->grid[49].threshold, 0.5, EPS);
    cr_expect_eq(ev->grid[49].tp, ev->confusion[3]);
    cr_expect_eq(ev->grid[49].fp, ev->confusion[1]);
    cr_expect_eq(ev->grid[49].tn, ev->confusion[0]);
    cr_expect_eq(ev->grid[49].fn, ev->confusion[2]);
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(ev->predicted[i], i == 3 ? 1u : 0u);
    aml_evaluation_free(ev);
}

Test(evaluate, threshold_moves_decisions_only)
{
    float y[] = {0, 0, 1, 1}, p[] = {0.1f, 0.4f, 0.35f, 0.8f};
    aml_evaluation *a = eval_ok(AML_TASK_BINARY, 2, y, p, 4, 0.5);
    aml_evaluation *b = eval_ok(AML_TASK_BINARY, 2, y, p, 4, 0.3);
    /* at 0.3: .4 .35 .8 positive -> TP 2, FP 1, FN 0, TN 1 */
    cr_expect_eq(b->confusion[0], 1);
    cr_expect_eq(b->confusion[1], 1);
    cr_expect_eq(b->confusion[2], 0);
    cr_expect_eq(b->confusion[3], 2);
    cr_expect_float_eq(b->precision, 2.0 / 3.0, EPS);
    cr_expect_float_eq(b->recall, 1.0, EPS);
    cr_expect_float_eq(b->accuracy, 0.75, EPS);
    cr_expect_float_eq(b->threshold, 0.3, EPS);
    /* threshold-free metrics do not move */
    cr_expect_float_eq(a->auc_roc, b->auc_roc, 0);
    cr_expect_float_eq(a->auc_pr, b->auc_pr, 0);
    cr_expect_float_eq(a->log_loss, b->log_loss, 0);
    aml_evaluation_free(a);
    aml_evaluation_free(b);
}

/* Tied scores count one half in AUC and form one point of the curves. */
Test(evaluate, ties)
{
    float y[] = {1, 0, 1, 0, 0}, p[] = {0.9f, 0.9f, 0.6f, 0.3f, 0.3f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 5, 0.5);
    /* pairs (pos, neg): .9: .5 + 1 + 1, .6: 0 + 1 + 1 -> 4.5 / 6 */
    cr_expect_float_eq(ev->auc_roc, 0.75, EPS);
    cr_expect_float_eq(ev->roc[0].area, 0.75, EPS);
    /* .9 group: R .5 P .5; .6: R 1 P 2/3 */
    cr_expect_float_eq(ev->auc_pr, 0.5 * 0.5 + 0.5 * (2.0 / 3.0), EPS);
    cr_expect_eq(ev->roc[0].n, 4);   /* inf, .9, .6, .3 */
    /* all tied: AUC .5, AP = the positive share */
    float y2[] = {0, 1, 0, 1}, p2[] = {0.5f, 0.5f, 0.5f, 0.5f};
    aml_evaluation *e2 = eval_ok(AML_TASK_BINARY, 2, y2, p2, 4, 0.5);
    cr_expect_float_eq(e2->auc_roc, 0.5, EPS);
    cr_expect_float_eq(e2->auc_pr, 0.5, EPS);
    cr_expect_eq(e2->roc[0].n, 2);
    /* every row positive at 0.5 (P >= threshold): class 0 is never predicted */
    cr_expect_eq(e2->classes[0].predicted, 0);
    cr_expect_float_eq(e2->classes[0].precision, 0.0, EPS);   /* zero_division = 0 */
    cr_expect_float_eq(e2->classes[0].f1, 0.0, EPS);
    cr_expect_float_eq(e2->balanced_accuracy, 0.5, EPS);
    aml_evaluation_free(ev);
    aml_evaluation_free(e2);
}

Test(evaluate, single_class_gives_nan_auc_with_a_reason)
{
    float y[] = {1, 1, 1}, p[] = {0.2f, 0.7f, 0.9f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 3, 0.5);
    cr_expect(isnan(ev->auc_roc));
    cr_expect(isnan(ev->auc_pr));
    cr_expect(strstr(ev->auc_note, "one class") != NULL, "note: %s", ev->auc_note);
    cr_expect(isnan(ev->classes[1].auc_roc));
    cr_expect_eq(ev->roc[0].n, 0, "no curve without both classes");
    cr_expect_eq(ev->pr[0].n, 0);
    /* decisions still work: 2 of 3 right; balanced = recall of the class present */
    cr_expect_float_eq(ev->accuracy, 2.0 / 3.0, EPS);
    cr_expect_float_eq(ev->balanced_accuracy, 2.0 / 3.0, EPS);
    cr_expect_float_eq(ev->recall, 2.0 / 3.0, EPS);
    cr_expect(isfinite(ev->log_loss));
    aml_evaluation_free(ev);
    /* no positive at all: no best-F1 threshold */
    float y0[] = {0, 0}, p0[] = {0.2f, 0.7f};
    ev = eval_ok(AML_TASK_BINARY, 2, y0, p0, 2, 0.5);
    cr_expect(isnan(ev->best_f1.threshold));
    cr_expect(isnan(ev->auc_roc));
    aml_evaluation_free(ev);
}

Test(evaluate, perfect_predictions)
{
    float y[] = {0, 1, 0, 1}, p[] = {0.1f, 0.9f, 0.2f, 0.8f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 4, 0.5);
    cr_expect_float_eq(ev->auc_roc, 1.0, EPS);
    cr_expect_float_eq(ev->auc_pr, 1.0, EPS);
    cr_expect_float_eq(ev->accuracy, 1.0, EPS);
    cr_expect_float_eq(ev->f1, 1.0, EPS);
    cr_expect_float_eq(ev->macro.f1, 1.0, EPS);
    cr_expect_float_eq(ev->balanced_accuracy, 1.0, EPS);
    double ll = -(log(1 - 0.1f) + log(0.9f) + log(1 - 0.2f) + log(0.8f)) / 4;
    cr_expect_float_eq(ev->log_loss, ll, 1e-7);
    cr_expect_float_eq(ev->best_f1.f1, 1.0, EPS);
    cr_expect_float_eq(ev->best_f1.threshold, 0.8f, EPS);
    aml_evaluation_free(ev);
}

/* ---- multiclass ---- */

Test(evaluate, multiclass_by_hand)
{
    float y[] = {0, 1, 2, 2};
    float p[] = {0.7f, 0.2f, 0.1f,  0.3f, 0.4f, 0.3f,  0.2f, 0.2f, 0.6f,  0.5f, 0.3f, 0.2f};
    aml_evaluation *ev = eval_ok(AML_TASK_MULTICLASS, 3, y, p, 4, 0.5);
    cr_expect(isnan(ev->threshold), "the threshold does not apply");
    /* argmax 0 1 2 0 */
    const size_t cm[9] = {1, 0, 0, 0, 1, 0, 1, 0, 1};
    for (int i = 0; i < 9; i++)
        cr_expect_eq(ev->confusion[i], cm[i], "cell %d", i);
    cr_expect_float_eq(ev->accuracy, 0.75, EPS);
    cr_expect_float_eq(ev->precision_at_1, 0.75, EPS);
    cr_expect_float_eq(ev->recall_at_1, 0.75, EPS);
    cr_expect_float_eq(ev->balanced_accuracy, 2.5 / 3, EPS);
    cr_expect_float_eq(ev->classes[0].precision, 0.5, EPS);
    cr_expect_float_eq(ev->classes[2].recall, 0.5, EPS);
    cr_expect_float_eq(ev->macro.precision, 2.5 / 3, EPS);
    cr_expect_float_eq(ev->macro.recall, 2.5 / 3, EPS);
    cr_expect_float_eq(ev->macro.f1, (2.0 / 3 + 1 + 2.0 / 3) / 3, EPS);
    cr_expect_float_eq(ev->weighted.precision, (0.5 + 1 + 2 * 1.0) / 4, EPS);
    cr_expect_float_eq(ev->weighted.f1, (2.0 / 3 + 1 + 2 * (2.0 / 3)) / 4, EPS);
    cr_expect_float_eq(ev->micro.precision, 0.75, EPS);
    cr_expect_float_eq(ev->precision, ev->macro.precision, 0);
    double ll = -(log(0.7f) + log(0.4f) + log(0.6f) + log(0.2f)) / 4;
    cr_expect_float_eq(ev->log_loss, ll, 1e-7);
    /* one-vs-rest AUC: 1, 1, 3/4 (class 2: .6 .2 vs .1 .3) */
    cr_expect_float_eq(ev->classes[0].auc_roc, 1.0, EPS);
    cr_expect_float_eq(ev->classes[2].auc_roc, 0.75, EPS);
    cr_expect_float_eq(ev->auc_roc, 2.75 / 3, EPS);
    /* AP class 2: .6 (R .5 P 1), .3 (neg), .2 (R 1 P 2/3) */
    cr_expect_float_eq(ev->classes[2].auc_pr, 0.5 + 0.5 * (2.0 / 3), EPS);
    cr_expect_float_eq(ev->auc_pr, (1 + 1 + 0.5 + 1.0 / 3) / 3, EPS);
    cr_expect_eq(ev->n_curves, 3);
    cr_expect_eq(ev->n_thresholds, 0, "the threshold table is binary only");
    /* calibration of the top-1 probability: .4f and .5 fall in (.4, .5]
     * (0.5 is an edge: it goes to the lower bin), .6f and .7f in (.6, .7] */
    cr_assert_eq(ev->n_bins, 10);
    cr_expect_eq(ev->calibration[4].count, 2);
    cr_expect_float_eq(ev->calibration[4].observed, 0.5, EPS);
    cr_expect_float_eq(ev->calibration[4].mean_predicted, (0.4f + 0.5f) / 2.0, 1e-7);
    cr_expect_eq(ev->calibration[6].count, 2);
    cr_expect_float_eq(ev->calibration[6].observed, 1.0, EPS);
    cr_expect(isnan(ev->calibration[0].observed), "an empty bin has no share");
    aml_evaluation_free(ev);
}

Test(evaluate, multiclass_absent_class_is_noted)
{
    float y[] = {0, 1, 0, 1};
    float p[] = {0.6f, 0.3f, 0.1f,  0.2f, 0.7f, 0.1f,  0.5f, 0.4f, 0.1f,  0.4f, 0.5f, 0.1f};
    aml_evaluation *ev = eval_ok(AML_TASK_MULTICLASS, 3, y, p, 4, 0.5);
    cr_expect_float_eq(ev->auc_roc, 1.0, EPS);
    cr_expect(isnan(ev->classes[2].auc_roc));
    cr_expect(strstr(ev->auc_note, "2 classes present") != NULL, "note: %s", ev->auc_note);
    cr_expect_eq(ev->roc[2].n, 0);
    /* scikit-learn's macro averages divide by every class, absent ones at 0 */
    cr_expect_float_eq(ev->macro.recall, 2.0 / 3, EPS);
    cr_expect_float_eq(ev->balanced_accuracy, 1.0, EPS);
    aml_evaluation_free(ev);
}

/* ---- regression ---- */

Test(evaluate, regression_by_hand)
{
    float y[] = {1, 2, 0, 4}, p[] = {1.5f, 2, 1, 3};
    aml_evaluation *ev = eval_ok(AML_TASK_REGRESSION, 0, y, p, 4, 0.5);
    cr_expect_float_eq(ev->rmse, 0.75, EPS);
    cr_expect_float_eq(ev->mae, 0.625, EPS);
    cr_expect_float_eq(ev->r2, 1 - 2.25 / 8.75, EPS);
    cr_expect_float_eq(ev->mape, (0.5 + 0 + 0.25) / 3, EPS);
    cr_expect_eq(ev->mape_excluded, 1);
    const double res[] = {-0.5, 0, -1, 1};
    for (int i = 0; i < 4; i++)
        cr_expect_float_eq(ev->residual[i], res[i], EPS);
    cr_expect(isnan(ev->accuracy) && isnan(ev->auc_roc));
    cr_expect_eq(ev->n_classes, 0);
    aml_evaluation_free(ev);
    /* a constant truth: R² undefined, with the reason */
    float c[] = {3, 3, 3}, q[] = {2, 3, 4};
    ev = eval_ok(AML_TASK_REGRESSION, 0, c, q, 3, 0.5);
    cr_expect(isnan(ev->r2));
    cr_expect(strstr(ev->r2_note, "same") != NULL, "note: %s", ev->r2_note);
    cr_expect_float_eq(ev->mae, 2.0 / 3, EPS);
    aml_evaluation_free(ev);
    /* every truth 0: MAPE undefined */
    float z[] = {0, 0}, zp[] = {1, 2};
    ev = eval_ok(AML_TASK_REGRESSION, 0, z, zp, 2, 0.5);
    cr_expect(isnan(ev->mape));
    cr_expect_eq(ev->mape_excluded, 2);
    aml_evaluation_free(ev);
}

/* ---- curves against a naive reference ---- */

Test(evaluate, long_curves_are_thinned_not_their_areas)
{
    tu_seed(777);
    enum { N = 3000 };
    static float y[N], p[N];
    for (size_t i = 0; i < N; i++) {
        y[i] = tu_uni() < 0.3 ? 1 : 0;
        p[i] = (float)(0.35 * y[i] + 0.65 * tu_uni());
        if (i % 7 == 0)
            p[i] = (float)(round(p[i] * 10) / 10);   /* some ties */
    }
    double num = 0, den = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++)
            if (y[i] == 1 && y[j] == 0) {
                den += 1;
                num += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
            }
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, N, 0.5);
    cr_expect_float_eq(ev->auc_roc, num / den, 1e-12);
    cr_expect_float_eq(ev->roc[0].area, num / den, 1e-12);
    double ap;
    double *s = malloc(N * sizeof *s);
    int *l = malloc(N * sizeof *l);
    for (size_t i = 0; i < N; i++) {
        s[i] = p[i];
        l[i] = (int)y[i];
    }
    cr_assert_eq(aml_plot_average_precision(s, l, N, &ap, NULL), 0);
    cr_expect_float_eq(ev->auc_pr, ap, 1e-12);
    free(s);
    free(l);
    for (int w = 0; w < 2; w++) {
        const aml_eval_curve *c = w ? &ev->pr[0] : &ev->roc[0];
        cr_expect(c->n <= 200 && c->n >= 150, "%zu points", c->n);
        cr_expect(isinf(c->threshold[0]));
        cr_expect_eq(c->tp[0], 0);
        cr_expect_eq(c->tp[c->n - 1], c->positives, "the last point takes every row");
        cr_expect_eq(c->fp[c->n - 1], c->negatives);
        for (size_t i = 1; i < c->n; i++) {
            cr_expect(c->threshold[i] < c->threshold[i - 1], "thresholds decrease");
            cr_expect(c->tp[i] >= c->tp[i - 1] && c->fp[i] >= c->fp[i - 1]);
            double tpr = (double)c->tp[i] / (double)c->positives;
            if (w == 0) {
                cr_expect_float_eq(c->x[i], (double)c->fp[i] / (double)c->negatives, EPS);
                cr_expect_float_eq(c->y[i], tpr, EPS);
            } else {
                cr_expect_float_eq(c->x[i], tpr, EPS);
                cr_expect_float_eq(c->y[i], (double)c->tp[i] / (double)(c->tp[i] + c->fp[i]),
                                   EPS);
            }
        }
    }
    /* each table row counts P >= t exactly */
    for (size_t k = 0; k < ev->n_thresholds; k++) {
        size_t tp = 0, fp = 0;
        for (size_t i = 0; i < N; i++)
            if ((double)p[i] >= ev->thresholds[k].threshold) {
                tp += y[i] == 1;
                fp += y[i] == 0;
            }
        cr_expect_eq(ev->thresholds[k].tp, tp);
        cr_expect_eq(ev->thresholds[k].fp, fp);
        cr_expect_eq(ev->thresholds[k].tp + ev->thresholds[k].fn, ev->classes[1].support);
    }
    /* no threshold beats the best F1 */
    for (size_t k = 0; k < ev->n_grid; k++)
        cr_expect(ev->grid[k].f1 <= ev->best_f1.f1 + 1e-12);
    size_t total = 0;
    for (size_t b = 0; b < ev->n_bins; b++)
        total += ev->calibration[b].count;
    cr_expect_eq(total, N);
    aml_evaluation_free(ev);
}

/* ---- errors ---- */

Test(evaluate, errors_are_clear)
{
    float y[] = {0, 1}, p[] = {0.2f, 0.8f};
    aml_evaluation *ev = (aml_evaluation *)1;
    aml_error err = {0};
    cr_expect_eq(aml_evaluate(AML_TASK_BINARY, 2, y, p, 0, NULL, &ev, &err), AML_EEMPTY);
    cr_expect_null(ev);
    cr_expect(strstr(err.text, "no rows") != NULL);
    aml_eval_options o = aml_eval_options_default();
    o.threshold = 1.0;
    cr_expect_eq(aml_evaluate(AML_TASK_BINARY, 2, y, p, 2, &o, &ev, &err), AML_EINVAL);
    cr_expect(strstr(err.text, "threshold") != NULL, "%s", err.text);
    o.threshold = 0;
    cr_expect_eq(aml_evaluate(AML_TASK_BINARY, 2, y, p, 2, &o, &ev, &err), AML_EINVAL);
    float bad[] = {0, 2};
    cr_expect_eq(aml_evaluate(AML_TASK_BINARY, 2, bad, p, 2, NULL, &ev, &err), AML_EINVAL);
    cr_expect(strstr(err.text, "row 1") != NULL, "%s", err.text);
    float nan_y[] = {0, NAN};
    cr_expect_eq(aml_evaluate(AML_TASK_REGRESSION, 0, nan_y, p, 2, NULL, &ev, &err),
                 AML_EINVAL);
    float nan_p[] = {0.2f, NAN};
    cr_expect_eq(aml_evaluate(AML_TASK_BINARY, 2, y, nan_p, 2, NULL, &ev, &err), AML_EINVAL);
    cr_expect(strstr(err.text, "prediction") != NULL, "%s", err.text);
    cr_expect_eq(aml_evaluate(AML_TASK_MULTICLASS, 1, y, p, 2, NULL, &ev, &err), AML_EINVAL);
    cr_expect_eq(aml_evaluate(AML_TASK_BINARY, 2, y, p, 2, NULL, NULL, &err), AML_EINVAL);
    cr_expect_null(ev);
    /* the threshold of a multiclass model is not checked: it does not apply */
    o.threshold = 7;
    float y3[] = {0, 2};
    float p3[] = {0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f};
    cr_expect_eq(aml_evaluate(AML_TASK_MULTICLASS, 3, y3, p3, 2, &o, &ev, &err), 0);
    aml_evaluation_free(ev);
    aml_evaluation_free(NULL);
}

/* Allocation failures of aml_evaluate: tests/unit/test_chaos.c. */

/* ---- CSV ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void tmp_dir(char *buf, size_t len)
{
    static int seq;
    snprintf(buf, len, "/tmp/test_evaluate.%ld.%d", (long)getpid(), seq++);
    cr_assert_eq(mkdir(buf, 0700), 0);
}

static size_t files_in(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    if (d)
        closedir(d);
    return n;
}

Test(evaluate, csv_rows_probabilities_and_quoting)
{
    float y[] = {0, 1, 1}, p[] = {0.25f, 0.8f, 0.125f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 3, 0.5);
    char dir[128], path[256];
    tmp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    const char *names[] = {"no, thanks", "say \"yes\""};
    const size_t ids[] = {4, 10, 42};
    aml_error err = {0};
    cr_assert_eq(aml_evaluation_write_csv(ev, path, ids, names, &err), 0, "%s", err.text);
    char *text = slurp(path);
    cr_assert_not_null(text);
    cr_expect_str_eq(text, "row,actual,predicted,\"p_no, thanks\",\"p_say \"\"yes\"\"\"\n"
                           "4,\"no, thanks\",\"no, thanks\",0.75,0.25\n"
                           "10,\"say \"\"yes\"\"\",\"say \"\"yes\"\"\",0.199999988,0.800000012\n"
                           "42,\"say \"\"yes\"\"\",\"no, thanks\",0.875,0.125\n");
    free(text);
    cr_expect_eq(files_in(dir), 1, "no temporary file is left");
    /* replacing an existing file */
    cr_assert_eq(aml_evaluation_write_csv(ev, path, NULL, NULL, &err), 0, "%s", err.text);
    text = slurp(path);
    cr_expect(strncmp(text, "row,actual,predicted,p_0,p_1\n0,0,0,", 35) == 0, "%s", text);
    free(text);
    unlink(path);
    rmdir(dir);
    aml_evaluation_free(ev);
}

Test(evaluate, csv_regression_columns)
{
    float y[] = {1, 2.5f}, p[] = {1.5f, 2};
    aml_evaluation *ev = eval_ok(AML_TASK_REGRESSION, 0, y, p, 2, 0.5);
    char dir[128], path[256];
    tmp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.csv", dir);
    cr_assert_eq(aml_evaluation_write_csv(ev, path, NULL, NULL, NULL), 0);
    char *text = slurp(path);
    cr_expect_str_eq(text, "row,actual,predicted,residual\n0,1,1.5,-0.5\n1,2.5,2,0.5\n");
    free(text);
    unlink(path);
    rmdir(dir);
    aml_evaluation_free(ev);
}

Test(evaluate, csv_failure_leaves_nothing)
{
    float y[] = {0, 1}, p[] = {0.25f, 0.8f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 2, 0.5);
    aml_error err = {0};
    cr_expect_eq(aml_evaluation_write_csv(ev, "/nonexistent-dir/x.csv", NULL, NULL, &err),
                 AML_EIO);
    cr_expect(strstr(err.text, "/nonexistent-dir/x.csv") != NULL, "%s", err.text);
    cr_expect(strstr(err.text, "No such file") != NULL, "%s", err.text);
    /* a directory in the way: the rename fails, the temporary file goes */
    char dir[128], path[256];
    tmp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/taken", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    char inner[300];
    snprintf(inner, sizeof inner, "%s/keep", path);
    FILE *f = fopen(inner, "w");
    fclose(f);
    cr_expect_eq(aml_evaluation_write_csv(ev, path, NULL, NULL, &err), AML_EIO);
    cr_expect_eq(files_in(dir), 1, "only the directory remains");
    unlink(inner);
    rmdir(path);
    rmdir(dir);
    aml_evaluation_free(ev);
}

/* ---- charts ---- */

static void expect_png(const aml_plot_image *img, int w, int h)
{
    cr_assert_not_null(img);
    cr_expect(img->png_size > 1000);
    cr_expect(memcmp(img->png, "\x89PNG", 4) == 0);
    cr_expect_eq(img->width, w);
    cr_expect_eq(img->height, h);
    cr_expect_eq(img->pixel_width, 2 * w);
}

Test(evaluate, charts)
{
    float y[] = {0, 1, 1, 0, 1, 0}, p[] = {0.05f, 0.95f, 0.7f, 0.3f, 0.45f, 0.5f};
    aml_evaluation *ev = eval_ok(AML_TASK_BINARY, 2, y, p, 6, 0.5);
    aml_plot_image *img = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_eval_plot_calibration(NULL, ev, &img, &err), 0, "%s", err.text);
    expect_png(img, 640, 400);
    aml_plot_image_free(img);
    cr_expect_eq(aml_eval_plot_residuals(NULL, ev, &img, &err), AML_EINVAL);
    cr_expect_null(img);
    const char *names[] = {"no", "yes"};
    for (int pr = 0; pr < 2; pr++) {
        cr_assert_eq(aml_eval_plot_curves(NULL, ev, pr, names, &img, &err), 0, "%s", err.text);
        expect_png(img, 640, 400);
        aml_plot_image_free(img);
    }
    aml_evaluation_free(ev);
    /* one class only: no curve to draw */
    float y1[] = {1, 1}, p1[] = {0.3f, 0.6f};
    ev = eval_ok(AML_TASK_BINARY, 2, y1, p1, 2, 0.5);
    cr_expect_eq(aml_eval_plot_curves(NULL, ev, false, NULL, &img, &err), AML_EEMPTY);
    cr_expect_null(img);
    aml_evaluation_free(ev);
    /* multiclass: one curve per class, unnamed classes are numbered */
    float y3[] = {0, 1, 2, 2};
    float p3[] = {0.7f, 0.2f, 0.1f, 0.3f, 0.4f, 0.3f, 0.2f, 0.2f, 0.6f, 0.5f, 0.3f, 0.2f};
    ev = eval_ok(AML_TASK_MULTICLASS, 3, y3, p3, 4, 0.5);
    cr_assert_eq(aml_eval_plot_curves(NULL, ev, true, NULL, &img, &err), 0, "%s", err.text);
    expect_png(img, 640, 400);
    aml_plot_image_free(img);
    aml_evaluation_free(ev);

    float yr[] = {1, 2, 3, 4, 10}, pr[] = {1.2f, 1.8f, 3.5f, 3.9f, 7};
    ev = eval_ok(AML_TASK_REGRESSION, 0, yr, pr, 5, 0.5);
    aml_plot_opts o = aml_plot_opts_default();
    o.width = 500;
    o.height = 420;
    cr_assert_eq(aml_eval_plot_predicted_actual(&o, ev, &img, &err), 0, "%s", err.text);
    expect_png(img, 500, 420);
    if (getenv("AML_EVAL_PNG")) {   /* to look at the charts by hand */
        FILE *f = fopen(getenv("AML_EVAL_PNG"), "wb");
        fwrite(img->png, 1, img->png_size, f);
        fclose(f);
    }
    aml_plot_image_free(img);
    cr_assert_eq(aml_eval_plot_residuals(&o, ev, &img, &err), 0, "%s", err.text);
    expect_png(img, 500, 420);
    aml_plot_image_free(img);
    cr_expect_eq(aml_eval_plot_calibration(NULL, ev, &img, &err), AML_EINVAL);
    cr_expect_eq(aml_eval_plot_curves(NULL, ev, false, NULL, &img, &err), AML_EINVAL);
    o.x_scale = AML_PLOT_LOG;
    cr_expect_eq(aml_eval_plot_residuals(&o, ev, &img, &err), AML_ERANGE);
    aml_evaluation_free(ev);
}

/* ---- the truth of frame rows ---- */

static aml_frame *csv(const char *text)
{
    aml_frame *f = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_csv_read_buffer(text, strlen(text), NULL, NULL, &f, NULL, &err), 0, "%s",
                 err.text);
    return f;
}

Test(evaluate, truth_of_rows, .timeout = 60)
{
    /* a small separable training set: x > 5 is 'b' */
    char train[4096] = "x,z,label\n";
    for (int i = 0; i < 60; i++) {
        char line[64];
        snprintf(line, sizeof line, "%d,%d,%s\n", i % 11, i % 3, i % 11 > 5 ? "b" : "a");
        strcat(train, line);
    }
    aml_frame *f = csv(train);
    aml_search_options o = aml_search_options_default();
    o.target = "label";
    o.budget_seconds = 5;
    o.max_trials = 1;
    o.threads = 1;
    o.test_fraction = 0;
    o.ensemble = false;
    const char *models[] = {"nb"};
    o.models = models;
    o.n_models = 1;
    aml_run *run = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_search_run(f, &o, &run, &err), 0, "%s", err.text);
    const aml_model *m = aml_run_model(run);
    cr_assert_not_null(m);
    cr_assert_eq(aml_model_task(m), AML_TASK_BINARY);

    aml_frame *g = csv("x,label,z\n1,a,0\n9,b,1\n3,,2\n8,c,0\n2,b,1\n");
    float truth[5];
    unsigned char state[5];
    cr_assert_eq(aml_evaluate_truth(m, g, NULL, 0, truth, state, &err), 0, "%s", err.text);
    const unsigned char want[] = {AML_EVAL_ROW_OK, AML_EVAL_ROW_OK, AML_EVAL_ROW_MISSING,
                                  AML_EVAL_ROW_UNSEEN, AML_EVAL_ROW_OK};
    for (int i = 0; i < 5; i++)
        cr_expect_eq(state[i], want[i], "row %d", i);
    cr_expect_eq(truth[0], 0.0f);
    cr_expect_eq(truth[1], 1.0f);
    cr_expect(isnan(truth[2]) && isnan(truth[3]));
    cr_expect_eq(truth[4], 1.0f);
    /* chosen rows */
    const size_t rows[] = {4, 0};
    cr_assert_eq(aml_evaluate_truth(m, g, rows, 2, truth, state, &err), 0, "%s", err.text);
    cr_expect(truth[0] == 1.0f && truth[1] == 0.0f);
    const size_t past[] = {5};
    cr_expect_eq(aml_evaluate_truth(m, g, past, 1, truth, state, &err), AML_EINVAL);
    /* no target column */
    aml_frame *h = csv("x,z\n1,0\n");
    cr_expect_eq(aml_evaluate_truth(m, h, NULL, 0, truth, state, &err), AML_ENOENT);
    cr_expect_str_eq(err.source, "label");
    /* a numeric column cannot hold classes */
    aml_frame *q = csv("x,z,label\n1,0,3.5\n2,0,4.5\n");
    cr_expect_eq(aml_evaluate_truth(m, q, NULL, 0, truth, state, &err), AML_EINVAL);
    aml_frame_free(q);
    aml_frame_free(h);
    aml_frame_free(g);
    aml_run_free(run);
    aml_frame_free(f);
}
