/*
 * evaluate_curves.c — the threshold-free views of a classifier's
 * evaluation: ROC and precision-recall curves one class against the rest
 * (with their thresholds and counts, thinned for display), the binary
 * threshold table, the F1-optimal threshold, and the calibration bins.
 */
#include "evaluate/evaluate_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct keyed {
    double s;
    size_t i;
} keyed;

static int by_score_desc(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

void amlp_eval_curve_free(aml_eval_curve *c)
{
    if (!c)
        return;
    amlp_free(c->x);
    amlp_free(c->y);
    amlp_free(c->threshold);
    amlp_free(c->tp);
    amlp_free(c->fp);
    c->x = c->y = c->threshold = NULL;
    c->tp = c->fp = NULL;
    c->n = 0;
}

static int curve_alloc(aml_eval_curve *c, size_t n)
{
    c->n = n;
    c->x = amlp_malloc(n * sizeof *c->x);
    c->y = amlp_malloc(n * sizeof *c->y);
    c->threshold = amlp_malloc(n * sizeof *c->threshold);
    c->tp = amlp_malloc(n * sizeof *c->tp);
    c->fp = amlp_malloc(n * sizeof *c->fp);
    if (c->x && c->y && c->threshold && c->tp && c->fp)
        return 0;
    amlp_eval_curve_free(c);
    return AML_ENOMEM;
}

/* Indexes of at most `max` points of the polyline (x, y)[0..m) spread
 * evenly along its length (L1), first and last always kept.  OUT: keep[];
 * returns how many. */
static size_t thin(const double *x, const double *y, size_t m, size_t max, size_t *keep)
{
    if (m <= max) {
        for (size_t i = 0; i < m; i++)
            keep[i] = i;
        return m;
    }
    double total = 0;
    for (size_t i = 1; i < m; i++)
        total += fabs(x[i] - x[i - 1]) + fabs(y[i] - y[i - 1]);
    /* a kept interior point is at least `step` along from the previous kept
     * one, so at most total / step + 2 = max points are kept */
    double step = total / (double)(max - 2), run = 0;
    size_t k = 0;
    keep[k++] = 0;
    for (size_t i = 1; i + 1 < m; i++) {
        run += fabs(x[i] - x[i - 1]) + fabs(y[i] - y[i - 1]);
        if (run >= step && k + 1 < max) {
            keep[k++] = i;
            run = 0;
        }
    }
    keep[k++] = m - 1;
    return k;
}

int amlp_eval_curves(const aml_evaluation *ev, size_t c, size_t max_points,
                     aml_eval_curve *roc, aml_eval_curve *pr, aml_error *err)
{
    memset(roc, 0, sizeof *roc);
    memset(pr, 0, sizeof *pr);
    size_t n = ev->n;
    keyed *k = amlp_malloc(n * sizeof *k);
    /* every distinct score, plus the start: m <= n + 1 points */
    size_t *tp = amlp_malloc((n + 1) * sizeof *tp), *fp = amlp_malloc((n + 1) * sizeof *fp);
    double *thr = amlp_malloc((n + 1) * sizeof *thr);
    double *rx = amlp_malloc((n + 1) * sizeof *rx), *ry = amlp_malloc((n + 1) * sizeof *ry);
    double *px = amlp_malloc((n + 1) * sizeof *px), *py = amlp_malloc((n + 1) * sizeof *py);
    size_t *keep = amlp_malloc((n + 1) * sizeof *keep);
    int rc = 0;
    if (!k || !tp || !fp || !thr || !rx || !ry || !px || !py || !keep) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory building curves");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        k[i].s = amlp_eval_score(ev, i, c);
        k[i].i = i;
    }
    qsort(k, n, sizeof *k, by_score_desc);
    size_t m = 0, P = 0, N = 0;
    tp[0] = fp[0] = 0;
    thr[0] = INFINITY;
    m = 1;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)ev->truth[k[i].i] == c)
            P++;
        else
            N++;
        if (i + 1 == n || k[i + 1].s != k[i].s) {
            tp[m] = P;
            fp[m] = N;
            thr[m] = k[i].s;
            m++;
        }
    }
    roc->positives = pr->positives = P;
    roc->negatives = pr->negatives = N;
    roc->area = pr->area = NAN;
    if (P == 0 || N == 0)
        goto done;   /* no curve without both sides */
    double auc = 0, ap = 0;
    for (size_t i = 0; i < m; i++) {
        rx[i] = (double)fp[i] / (double)N;
        ry[i] = (double)tp[i] / (double)P;
        px[i] = ry[i];
        py[i] = i == 0 ? 1.0 : (double)tp[i] / (double)(tp[i] + fp[i]);
        if (i) {
            auc += (rx[i] - rx[i - 1]) * (ry[i] + ry[i - 1]) / 2.0;
            ap += (px[i] - px[i - 1]) * py[i];
        }
    }
    roc->area = auc;
    pr->area = ap;
    for (int which = 0; which < 2; which++) {
        aml_eval_curve *cv = which ? pr : roc;
        const double *x = which ? px : rx, *y = which ? py : ry;
        size_t nk = thin(x, y, m, max_points, keep);
        if (curve_alloc(cv, nk)) {
            amlp_eval_curve_free(roc);
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory building curves");
            goto done;
        }
        for (size_t j = 0; j < nk; j++) {
            size_t i = keep[j];
            cv->x[j] = x[i];
            cv->y[j] = y[i];
            cv->threshold[j] = thr[i];
            cv->tp[j] = tp[i];
            cv->fp[j] = fp[i];
        }
    }
done:
    amlp_free(k);
    amlp_free(tp);
    amlp_free(fp);
    amlp_free(thr);
    amlp_free(rx);
    amlp_free(ry);
    amlp_free(px);
    amlp_free(py);
    amlp_free(keep);
    return rc;
}

/* ---- binary thresholds ---- */

static aml_eval_threshold_row row_of(double t, size_t tp, size_t fp, size_t fn, size_t tn)
{
    aml_eval_threshold_row r;
    r.threshold = t;
    r.tp = tp;
    r.fp = fp;
    r.fn = fn;
    r.tn = tn;
    r.precision = tp + fp ? (double)tp / (double)(tp + fp) : 0.0;
    r.recall = tp + fn ? (double)tp / (double)(tp + fn) : 0.0;
    r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall)
                                      : 0.0;
    r.accuracy = (double)(tp + tn) / (double)(tp + fp + fn + tn);
    return r;
}

aml_eval_threshold_row amlp_eval_at_threshold(const aml_evaluation *ev, double t)
{
    size_t tp = 0, fp = 0, fn = 0, tn = 0;
    for (size_t i = 0; i < ev->n; i++) {
        bool pos = (double)ev->pred[i] >= t, actual = ev->truth[i] == 1.0f;
        tp += pos && actual;
        fp += pos && !actual;
        fn += !pos && actual;
        tn += !pos && !actual;
    }
    return row_of(t, tp, fp, fn, tn);
}

int amlp_eval_thresholds(aml_evaluation *ev, aml_error *err)
{
    ev->n_thresholds = 9;
    ev->n_grid = 99;
    ev->thresholds = amlp_malloc(ev->n_thresholds * sizeof *ev->thresholds);
    ev->grid = amlp_malloc(ev->n_grid * sizeof *ev->grid);
    if (!ev->thresholds || !ev->grid)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    for (size_t i = 0; i < ev->n_thresholds; i++)
        ev->thresholds[i] = amlp_eval_at_threshold(ev, (double)(i + 1) / 10.0);
    for (size_t i = 0; i < ev->n_grid; i++)
        ev->grid[i] = amlp_eval_at_threshold(ev, (double)(i + 1) / 100.0);
    /* F1 at every distinct score, from the highest down: the full curve of
     * class 1 (not the thinned one) */
    size_t n = ev->n, P = 0;
    keyed *k = amlp_malloc(n * sizeof *k);
    if (!k)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        k[i].s = ev->pred[i];
        k[i].i = i;
        P += ev->truth[i] == 1.0f;
    }
    qsort(k, n, sizeof *k, by_score_desc);
    size_t tp = 0, fp = 0;
    double best = -1;
    ev->best_f1 = row_of(NAN, 0, 0, P, n - P);
    for (size_t i = 0; i < n; i++) {
        if (ev->truth[k[i].i] == 1.0f)
            tp++;
        else
            fp++;
        if (i + 1 < n && k[i + 1].s == k[i].s)
            continue;
        aml_eval_threshold_row r = row_of(k[i].s, tp, fp, P - tp, n - P - fp);
        if (r.f1 > best) {
            best = r.f1;
            ev->best_f1 = r;
        }
    }
    amlp_free(k);
    if (P == 0)
        ev->best_f1.threshold = NAN;   /* F1 is 0 everywhere: no best threshold */
    return 0;
}

/* ---- calibration ---- */

int amlp_eval_calibration(aml_evaluation *ev, size_t bins, aml_error *err)
{
    ev->calibration = amlp_calloc(bins, sizeof *ev->calibration);
    if (!ev->calibration)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    ev->n_bins = bins;
    double step = 1.0 / (double)bins;   /* edges j * step, as numpy's linspace */
    double *sp = amlp_calloc(2 * bins, sizeof *sp), *so = sp ? sp + bins : NULL;
    if (!sp)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    for (size_t i = 0; i < ev->n; i++) {
        double p;
        bool hit;
        if (ev->task == AML_TASK_BINARY) {
            p = ev->pred[i];
            hit = ev->truth[i] == 1.0f;
        } else {
            size_t l = ev->predicted[i];
            p = ev->pred[i * ev->n_classes + l];
            hit = (size_t)ev->truth[i] == l;
        }
        /* scikit-learn's calibration_curve: bin (lo, hi], the first from 0 */
        size_t b = 0;
        while (b + 1 < bins && p > (double)(b + 1) * step)
            b++;
        ev->calibration[b].count++;
        sp[b] += p;
        so[b] += hit;
    }
    for (size_t b = 0; b < bins; b++) {
        aml_eval_bin *e = &ev->calibration[b];
        e->lo = (double)b * step;
        e->hi = b + 1 == bins ? 1.0 : (double)(b + 1) * step;
        e->mean_predicted = e->count ? sp[b] / (double)e->count : NAN;
        e->observed = e->count ? so[b] / (double)e->count : NAN;
    }
    amlp_free(sp);
    return 0;
}
