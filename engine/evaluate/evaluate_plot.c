/*
 * evaluate_plot.c — the evaluation's own charts, drawn with the chart
 * library's drawing layer (aml_plot.h): the calibration curve (a line chart),
 * and for regression the predicted-vs-actual and residual scatter plots,
 * each with its dashed reference line (y = x, y = 0), which the plain
 * scatter chart does not draw.
 */
#include <cairo.h>  /* before aml_plot.h: its drawing layer */
#include "aml_plot.h"
#include "evaluate/evaluate_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_POINTS 20000

int aml_eval_plot_calibration(const aml_plot_opts *opts, const aml_evaluation *ev,
                              aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!ev || ev->task == AML_TASK_REGRESSION || !ev->calibration)
        return aml_error_set(err, AML_EINVAL, 0, 0, "calibration",
                             "calibration needs a classifier's evaluation");
    double x[1024], y[1024];
    size_t m = 0;
    for (size_t b = 0; b < ev->n_bins && m < 1024; b++)
        if (ev->calibration[b].count) {
            x[m] = ev->calibration[b].mean_predicted;
            y[m++] = ev->calibration[b].observed;
        }
    if (m == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "calibration", "no rows in any bin");
    static const double diag[2] = {0.0, 1.0};
    aml_plot_series s[2];
    s[0] = aml_plot_series_default();
    s[0].x = x;
    s[0].y = y;
    s[0].n = m;
    s[0].markers = true;
    s[0].label = "Model";
    s[1] = aml_plot_series_default();
    s[1].x = diag;
    s[1].y = diag;
    s[1].n = 2;
    s[1].dashed = true;
    s[1].label = "Perfectly calibrated";
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    if (!o.x_title)
        o.x_title = ev->task == AML_TASK_BINARY ? "Mean predicted probability (positive class)"
                                                : "Mean top-1 probability";
    if (!o.y_title)
        o.y_title = ev->task == AML_TASK_BINARY ? "Observed share of the positive class"
                                                : "Share of top-1 predictions that are right";
    if (isnan(o.x_min))
        o.x_min = 0;
    if (isnan(o.x_max))
        o.x_max = 1;
    if (isnan(o.y_min))
        o.y_min = 0;
    if (isnan(o.y_max))
        o.y_max = 1;
    return aml_plot_line(&o, s, 2, out, err);
}

/* ---- ROC and precision-recall from the evaluation's curves ---- */

#define MAX_CURVES 8   /* the palette's colours */

int aml_eval_plot_curves(const aml_plot_opts *opts, const aml_evaluation *ev, bool pr,
                         const char *const *class_names, aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!ev || ev->task == AML_TASK_REGRESSION || !ev->roc || !ev->pr)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "curves need a classifier's evaluation");
    bool bin = ev->task == AML_TASK_BINARY;
    const aml_eval_curve *cv = pr ? ev->pr : ev->roc;
    size_t idx[MAX_CURVES], m = 0;
    for (size_t i = 0; i < ev->n_curves && m < MAX_CURVES; i++)
        if (cv[i].n >= 2)
            idx[m++] = i;
    if (m == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "plot",
                             "no curve: every row is of one class");
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    if (!o.x_title)
        o.x_title = pr ? "Recall" : "False positive rate";
    if (!o.y_title)
        o.y_title = pr ? "Precision" : "True positive rate";
    if (o.x_scale == AML_PLOT_LOG || o.y_scale == AML_PLOT_LOG)
        return aml_error_set(err, AML_ERANGE, 0, 0, "plot", "curves use linear axes");
    amlp_plot p;
    int rc = amlp_plot_init(&p, &o, err);
    if (rc)
        return rc;
    amlp_axis_numeric(&p.x, 0.0, 1.0, AML_PLOT_LINEAR, 0.02, p.o.x_min, p.o.x_max);
    amlp_axis_numeric(&p.y, 0.0, 1.0, AML_PLOT_LINEAR, 0.02, p.o.y_min, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    char text[200];
    for (size_t j = 0; j < m; j++) {
        size_t c = bin ? 1 : idx[j];
        char num[32];
        const char *name = class_names && class_names[c] ? class_names[c] : NULL;
        if (!name) {
            snprintf(num, sizeof num, "%zu", c);
            name = num;
        }
        snprintf(text, sizeof text, "%.100s (%s = %.3f)", name, pr ? "AP" : "AUC",
                 cv[idx[j]].area);
        if ((rc = amlp_legend_add(&p, text, amlp_palette((int)j), AMLP_LEG_LINE, false, 1.0)))
            goto done;
    }
    /* binary: the chance line and the operating point at the threshold in use */
    double chance = 0, ox = 0, oy = 0;
    if (bin) {
        const aml_eval_curve *c = &cv[0];
        double P = (double)c->positives, N = (double)c->negatives;
        double tp = (double)ev->confusion[3], fp = (double)ev->confusion[1];
        chance = P / (P + N);
        ox = pr ? tp / P : fp / N;
        oy = pr ? (tp + fp > 0 ? tp / (tp + fp) : 1.0) : tp / P;
        if (pr)
            snprintf(text, sizeof text, "Chance (AP = %.3f)", chance);
        else
            snprintf(text, sizeof text, "Chance (AUC = 0.500)");
        if ((rc = amlp_legend_add(&p, text, amlp_rgb_hex(0x888888), AMLP_LEG_LINE, true, 1.0)))
            goto done;
        snprintf(text, sizeof text, "Threshold %g", ev->threshold);
        if ((rc = amlp_legend_add(&p, text, amlp_rgb_hex(0x222222), AMLP_LEG_MARKER, false,
                                  1.0)))
            goto done;
        amlp_occ_point(&p, ox, oy);
        if (pr)
            amlp_occ_segment(&p, 0.0, chance, 1.0, chance);
        else
            amlp_occ_segment(&p, 0.0, 0.0, 1.0, 1.0);
    }
    for (size_t j = 0; j < m; j++)
        amlp_occ_polyline(&p, cv[idx[j]].x, cv[idx[j]].y, cv[idx[j]].n, pr);
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    cairo_save(cr);
    amlp_clip_plot(&p);
    if (bin) {
        const double dash[2] = {6.0, 4.0};
        cairo_set_dash(cr, dash, 2, 0.0);
        cairo_set_line_width(cr, 1.5);
        amlp_set_rgb(cr, amlp_rgb_hex(0x888888), 1.0);
        cairo_move_to(cr, amlp_px_x(&p, 0.0), amlp_px_y(&p, pr ? chance : 0.0));
        cairo_line_to(cr, amlp_px_x(&p, 1.0), amlp_px_y(&p, pr ? chance : 1.0));
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0.0);
    }
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, 2.0);
    for (size_t j = 0; j < m; j++) {
        const aml_eval_curve *c = &cv[idx[j]];
        if (pr) {
            /* steps: precision P_k holds over (R_{k-1}, R_k], as AP sums it */
            cairo_move_to(cr, amlp_px_x(&p, c->x[0]), amlp_px_y(&p, c->y[0]));
            for (size_t i = 1; i < c->n; i++) {
                cairo_line_to(cr, amlp_px_x(&p, c->x[i - 1]), amlp_px_y(&p, c->y[i]));
                cairo_line_to(cr, amlp_px_x(&p, c->x[i]), amlp_px_y(&p, c->y[i]));
            }
        } else {
            cairo_move_to(cr, amlp_px_x(&p, c->x[0]), amlp_px_y(&p, c->y[0]));
            for (size_t i = 1; i < c->n; i++)
                cairo_line_to(cr, amlp_px_x(&p, c->x[i]), amlp_px_y(&p, c->y[i]));
        }
        amlp_set_rgb(cr, amlp_palette((int)j), 1.0);
        cairo_stroke(cr);
    }
    if (bin) {
        cairo_new_path(cr);
        cairo_arc(cr, amlp_px_x(&p, ox), amlp_px_y(&p, oy), 5.0, 0, 2 * M_PI);
        amlp_set_rgb(cr, amlp_rgb_hex(0x222222), 1.0);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, 1.5);
        amlp_set_rgb(cr, amlp_rgb_hex(0xffffff), 1.0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    return rc;
}

/* Scatter of (x, y) with a dashed reference line: y = x (identity) or y = 0. */
static int scatter_ref(const aml_plot_opts *opts, const double *x, const double *y, size_t n,
                       bool identity, const char *ref_label, aml_plot_image **out,
                       aml_error *err)
{
    int rc = amlp_check_finite(err, "x", x, n);
    if (rc || (rc = amlp_check_finite(err, "y", y, n)))
        return rc;
    double xlo, xhi, ylo, yhi;
    amlp_minmax(x, n, &xlo, &xhi);
    amlp_minmax(y, n, &ylo, &yhi);
    if (identity) {   /* the same range on both axes, so y = x is the diagonal */
        xlo = ylo = fmin(xlo, ylo);
        xhi = yhi = fmax(xhi, yhi);
    } else {
        ylo = fmin(ylo, 0.0);
        yhi = fmax(yhi, 0.0);
        double a = fmax(fabs(ylo), fabs(yhi));   /* zero in the middle */
        ylo = -a;
        yhi = a;
    }
    amlp_plot p;
    if ((rc = amlp_plot_init(&p, opts, err)))
        return rc;
    if (p.o.x_scale == AML_PLOT_LOG || p.o.y_scale == AML_PLOT_LOG) {
        rc = aml_error_set(err, AML_ERANGE, 0, 0, "plot", "this chart uses linear axes");
        goto done;
    }
    amlp_axis_numeric(&p.x, xlo, xhi, AML_PLOT_LINEAR, 0.04, p.o.x_min, p.o.x_max);
    amlp_axis_numeric(&p.y, ylo, yhi, AML_PLOT_LINEAR, 0.05, p.o.y_min, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    if ((rc = amlp_legend_add(&p, "Rows", amlp_palette(0), AMLP_LEG_MARKER, false, 1.0)) ||
        (rc = amlp_legend_add(&p, ref_label, amlp_rgb_hex(0x555555), AMLP_LEG_LINE, true, 1.0)))
        goto done;
    for (size_t i = 0; i < n; i++)
        amlp_occ_point(&p, x[i], y[i]);
    if (identity)
        amlp_occ_segment(&p, xlo, xlo, xhi, xhi);
    else
        amlp_occ_segment(&p, xlo, 0.0, xhi, 0.0);
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    cairo_save(cr);
    amlp_clip_plot(&p);
    double alpha = fmin(0.8, fmax(0.15, 30.0 / sqrt((double)n)));
    double r = n > 5000 ? 2.0 : 2.8;
    amlp_set_rgb(cr, amlp_palette(0), alpha);
    for (size_t i = 0; i < n; i++) {
        cairo_new_path(cr);
        cairo_arc(cr, amlp_px_x(&p, x[i]), amlp_px_y(&p, y[i]), r, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    /* the reference line over the whole visible range */
    const double dash[2] = {6.0, 4.0};
    cairo_set_dash(cr, dash, 2, 0.0);
    cairo_set_line_width(cr, 1.5);
    amlp_set_rgb(cr, amlp_rgb_hex(0x555555), 1.0);
    double a = p.x.lo < p.y.lo ? p.x.lo : p.y.lo, b = p.x.hi > p.y.hi ? p.x.hi : p.y.hi;
    if (identity) {
        cairo_move_to(cr, amlp_px_x(&p, a), amlp_px_y(&p, a));
        cairo_line_to(cr, amlp_px_x(&p, b), amlp_px_y(&p, b));
    } else {
        cairo_move_to(cr, amlp_px_x(&p, p.x.lo), amlp_px_y(&p, 0.0));
        cairo_line_to(cr, amlp_px_x(&p, p.x.hi), amlp_px_y(&p, 0.0));
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_restore(cr);
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    return rc;
}

/* The regression chart of (predicted, actual) or (predicted, residual) over
 * at most MAX_POINTS rows evenly spaced. */
static int regression_chart(const aml_plot_opts *opts, const aml_evaluation *ev, bool residual,
                            aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!ev || ev->task != AML_TASK_REGRESSION)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot",
                             "this chart needs a regression model's evaluation");
    size_t m = ev->n < MAX_POINTS ? ev->n : MAX_POINTS;
    double *x = amlp_malloc(m * sizeof *x), *y = amlp_malloc(m * sizeof *y);
    if (!x || !y) {
        amlp_free(x);
        amlp_free(y);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "plot", "out of memory");
    }
    for (size_t j = 0; j < m; j++) {
        size_t i = (size_t)((double)j * (double)ev->n / (double)m);
        x[j] = ev->pred[i];
        y[j] = residual ? ev->residual[i] : (double)ev->truth[i];
    }
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    if (!o.x_title)
        o.x_title = "Predicted value";
    if (!o.y_title)
        o.y_title = residual ? "Residual (actual − predicted)" : "Actual value";
    int rc = scatter_ref(&o, x, y, m, !residual,
                         residual ? "No error (residual 0)" : "Perfect prediction (y = x)", out,
                         err);
    amlp_free(x);
    amlp_free(y);
    return rc;
}

int aml_eval_plot_predicted_actual(const aml_plot_opts *opts, const aml_evaluation *ev,
                                   aml_plot_image **out, aml_error *err)
{
    return regression_chart(opts, ev, false, out, err);
}

int aml_eval_plot_residuals(const aml_plot_opts *opts, const aml_evaluation *ev,
                            aml_plot_image **out, aml_error *err)
{
    return regression_chart(opts, ev, true, out, err);
}
