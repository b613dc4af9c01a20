/* plot_roc.c — ROC and precision-recall curves from scores and 0/1 labels:
 * the curve points (one per distinct score), AUC and average precision, and
 * their charts with the chance line. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scored_key {
    double s;
    size_t i;
} scored_key;

static int cmp_score_desc(const void *a, const void *b)
{
    const scored_key *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Cumulative true and false positives after each group of tied scores, from
 * the highest score down.  tp[0] = fp[0] = 0; m = number of points. */
typedef struct curve {
    double *tp, *fp;
    size_t m;
    double P, N;
} curve;

static int check_scored(const double *scores, const int *labels, size_t n,
                        const char *name, aml_error *err)
{
    const char *src = name ? name : "scores";
    if (!scores || !labels)
        return aml_error_set(err, AML_EINVAL, 0, 0, src, "scores or labels is NULL");
    if (n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, src, "no scores");
    int rc = amlp_check_finite(err, "scores", scores, n);
    if (rc)
        return rc;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] != 0 && labels[i] != 1)
            return aml_error_set(err, AML_EINVAL, 0, 0, src,
                                 "labels[%zu] = %d is not 0 or 1", i, labels[i]);
        pos += (size_t)labels[i];
    }
    if (pos == 0 || pos == n)
        return aml_error_set(err, AML_EINVAL, 0, 0, src,
                             "labels hold only %s: need both classes", pos ? "1s" : "0s");
    return 0;
}

static void curve_free(curve *c)
{
    amlp_free(c->tp);
    amlp_free(c->fp);
    c->tp = c->fp = NULL;
}

static int curve_build(const double *scores, const int *labels, size_t n, curve *c,
                       aml_error *err)
{
    memset(c, 0, sizeof *c);
    scored_key *k = amlp_malloc(n * sizeof *k);
    c->tp = amlp_malloc((n + 1) * sizeof *c->tp);
    c->fp = amlp_malloc((n + 1) * sizeof *c->fp);
    if (!k || !c->tp || !c->fp) {
        amlp_free(k);
        curve_free(c);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "scores", "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        k[i].s = scores[i];
        k[i].i = i;
    }
    qsort(k, n, sizeof *k, cmp_score_desc);
    double tp = 0, fp = 0;
    size_t m = 0;
    c->tp[m] = c->fp[m] = 0;
    m++;
    for (size_t i = 0; i < n; i++) {
        if (labels[k[i].i])
            tp += 1;
        else
            fp += 1;
        if (i + 1 == n || k[i + 1].s != k[i].s) {
            c->tp[m] = tp;
            c->fp[m] = fp;
            m++;
        }
    }
    c->m = m;
    c->P = tp;
    c->N = fp;
    amlp_free(k);
    return 0;
}

static double curve_auc(const curve *c)
{
    double a = 0;
    for (size_t i = 1; i < c->m; i++)
        a += (c->fp[i] - c->fp[i - 1]) * (c->tp[i] + c->tp[i - 1]) / 2.0;
    return a / (c->P * c->N);
}

static double curve_ap(const curve *c)
{
    double a = 0;
    for (size_t i = 1; i < c->m; i++)
        a += (c->tp[i] - c->tp[i - 1]) / c->P * (c->tp[i] / (c->tp[i] + c->fp[i]));
    return a;
}

int aml_plot_roc_auc(const double *scores, const int *labels, size_t n, double *auc,
                     aml_error *err)
{
    if (!auc)
        return aml_error_set(err, AML_EINVAL, 0, 0, "auc", "auc is NULL");
    int rc = check_scored(scores, labels, n, NULL, err);
    curve c;
    if (rc || (rc = curve_build(scores, labels, n, &c, err)))
        return rc;
    *auc = curve_auc(&c);
    curve_free(&c);
    return 0;
}

int aml_plot_average_precision(const double *scores, const int *labels, size_t n,
                               double *ap, aml_error *err)
{
    if (!ap)
        return aml_error_set(err, AML_EINVAL, 0, 0, "ap", "ap is NULL");
    int rc = check_scored(scores, labels, n, NULL, err);
    curve c;
    if (rc || (rc = curve_build(scores, labels, n, &c, err)))
        return rc;
    *ap = curve_ap(&c);
    curve_free(&c);
    return 0;
}

static int plot_curves(const aml_plot_opts *opts, const aml_plot_scored *curves,
                       size_t nc, bool pr, aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!curves && nc)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "curves is NULL");
    if (nc == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "plot", "no curves");
    if (nc > 64)
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot", "%zu curves is more than 64", nc);
    for (size_t k = 0; k < nc; k++) {
        int rc = check_scored(curves[k].scores, curves[k].labels, curves[k].n,
                              curves[k].name, err);
        if (rc)
            return rc;
    }
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    if (!o.x_title)
        o.x_title = pr ? "Recall" : "False positive rate";
    if (!o.y_title)
        o.y_title = pr ? "Precision" : "True positive rate";
    if (o.x_scale == AML_PLOT_LOG || o.y_scale == AML_PLOT_LOG)
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot",
                             "%s curves use linear axes (log scale not supported)",
                             pr ? "precision-recall" : "ROC");
    amlp_plot p;
    curve *cv = amlp_calloc(nc, sizeof *cv);
    double *xs = NULL, *ys = NULL;
    if (!cv)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "plot", "out of memory");
    int rc = amlp_plot_init(&p, &o, err);
    if (rc) {
        amlp_free(cv);
        return rc;
    }
    size_t maxm = 0;
    for (size_t k = 0; k < nc; k++) {
        if ((rc = curve_build(curves[k].scores, curves[k].labels, curves[k].n, &cv[k], err)))
            goto done;
        if (cv[k].m > maxm)
            maxm = cv[k].m;
    }
    xs = amlp_malloc(maxm * sizeof *xs);
    ys = amlp_malloc(maxm * sizeof *ys);
    if (!xs || !ys) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "plot", "out of memory");
        goto done;
    }
    amlp_axis_numeric(&p.x, 0.0, 1.0, AML_PLOT_LINEAR, 0.02, p.o.x_min, p.o.x_max);
    amlp_axis_numeric(&p.y, 0.0, 1.0, AML_PLOT_LINEAR, 0.02, p.o.y_min, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    double chance = pr ? cv[0].P / (cv[0].P + cv[0].N) : 0.0;
    for (size_t k = 0; k < nc; k++) {
        char text[160];
        double v = pr ? curve_ap(&cv[k]) : curve_auc(&cv[k]);
        const char *metric = pr ? "AP" : "AUC";
        if (curves[k].name)
            snprintf(text, sizeof text, "%.100s (%s = %.3f)", curves[k].name, metric, v);
        else
            snprintf(text, sizeof text, "%s = %.3f", metric, v);
        if ((rc = amlp_legend_add(&p, text, amlp_palette((int)k), AMLP_LEG_LINE, false, 1.0)))
            goto done;
    }
    {
        char text[64];
        if (pr)
            snprintf(text, sizeof text, "Chance (AP = %.3f)", chance);
        else
            snprintf(text, sizeof text, "Chance (AUC = 0.500)");
        if ((rc = amlp_legend_add(&p, text, amlp_rgb_hex(0x888888), AMLP_LEG_LINE, true, 1.0)))
            goto done;
    }
    /* curve points: ROC (FPR, TPR); PR (recall, precision), starting at (0, 1) */
    for (size_t k = 0; k < nc; k++) {
        const curve *c = &cv[k];
        size_t m = 0;
        for (size_t i = 0; i < c->m; i++) {
            if (pr) {
                if (i == 0) {
                    xs[m] = 0.0;
                    ys[m++] = 1.0;
                    continue;
                }
                xs[m] = c->tp[i] / c->P;
                ys[m++] = c->tp[i] / (c->tp[i] + c->fp[i]);
            } else {
                xs[m] = c->fp[i] / c->N;
                ys[m++] = c->tp[i] / c->P;
            }
        }
        amlp_occ_polyline(&p, xs, ys, m, false);
    }
    if (pr)
        amlp_occ_segment(&p, 0.0, chance, 1.0, chance);
    else
        amlp_occ_segment(&p, 0.0, 0.0, 1.0, 1.0);
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    cairo_save(cr);
    amlp_clip_plot(&p);
    /* chance line */
    const double dash[2] = { 6.0, 4.0 };
    cairo_set_dash(cr, dash, 2, 0.0);
    cairo_set_line_width(cr, 1.5);
    amlp_set_rgb(cr, amlp_rgb_hex(0x888888), 1.0);
    if (pr) {
        cairo_move_to(cr, amlp_px_x(&p, 0.0), amlp_px_y(&p, chance));
        cairo_line_to(cr, amlp_px_x(&p, 1.0), amlp_px_y(&p, chance));
    } else {
        cairo_move_to(cr, amlp_px_x(&p, 0.0), amlp_px_y(&p, 0.0));
        cairo_line_to(cr, amlp_px_x(&p, 1.0), amlp_px_y(&p, 1.0));
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, 2.0);
    for (size_t k = 0; k < nc; k++) {
        const curve *c = &cv[k];
        if (pr) {
            /* steps: precision P_k holds over (R_{k-1}, R_k], as AP sums it */
            amlp_pathbuf pb;
            amlp_pathbuf_begin(&pb, &p);
            double x0 = amlp_px_x(&p, 0.0), y0 = amlp_px_y(&p, 1.0);
            amlp_pathbuf_add(&pb, x0, y0);
            for (size_t i = 1; i < c->m; i++) {
                double yy = amlp_px_y(&p, c->tp[i] / (c->tp[i] + c->fp[i]));
                double xx = amlp_px_x(&p, c->tp[i] / c->P);
                amlp_pathbuf_add(&pb, x0, yy);
                amlp_pathbuf_add(&pb, xx, yy);
                x0 = xx;
            }
            amlp_pathbuf_end(&pb);
        } else {
            for (size_t i = 0; i < c->m; i++) {
                xs[i] = c->fp[i] / c->N;
                ys[i] = c->tp[i] / c->P;
            }
            amlp_path_polyline(&p, xs, ys, c->m, false);
        }
        amlp_set_rgb(cr, amlp_palette((int)k), 1.0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    rc = amlp_plot_finish(&p, out);
done:
    for (size_t k = 0; k < nc; k++)
        curve_free(&cv[k]);
    amlp_free(cv);
    amlp_free(xs);
    amlp_free(ys);
    amlp_plot_done(&p);
    return rc;
}

int aml_plot_roc(const aml_plot_opts *opts, const aml_plot_scored *curves,
                 size_t n_curves, aml_plot_image **out, aml_error *err)
{
    return plot_curves(opts, curves, n_curves, false, out, err);
}

int aml_plot_pr(const aml_plot_opts *opts, const aml_plot_scored *curves,
                size_t n_curves, aml_plot_image **out, aml_error *err)
{
    return plot_curves(opts, curves, n_curves, true, out, err);
}
