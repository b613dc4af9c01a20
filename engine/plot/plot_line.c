/* plot_line.c — line charts: several series, optional steps, fill to zero,
 * dashes and markers; also the polyline path shared with the ROC/PR curves. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

aml_plot_series aml_plot_series_default(void)
{
    aml_plot_series s;
    memset(&s, 0, sizeof s);
    return s;
}

static double xval(const double *x, size_t i)
{
    return x ? x[i] : (double)i;
}

static bool increasing(const double *x, size_t n)
{
    if (!x)
        return true;
    for (size_t i = 1; i < n; i++)
        if (x[i] < x[i - 1])
            return false;
    return true;
}

void amlp_pathbuf_begin(amlp_pathbuf *b, amlp_plot *p)
{
    memset(b, 0, sizeof *b);
    b->cr = p->cr;
    double t = 0.5 / p->o.scale;
    b->tol2 = t * t;
}

void amlp_pathbuf_add(amlp_pathbuf *b, double x, double y)
{
    if (!b->started) {
        cairo_move_to(b->cr, x, y);
        b->lx = x;
        b->ly = y;
        b->started = true;
        return;
    }
    double dx = x - b->lx, dy = y - b->ly;
    if (dx * dx + dy * dy < b->tol2) {
        b->px = x;
        b->py = y;
        b->pending = true;
        return;
    }
    cairo_line_to(b->cr, x, y);
    b->lx = x;
    b->ly = y;
    b->pending = false;
}

void amlp_pathbuf_end(amlp_pathbuf *b)
{
    if (b->pending)
        cairo_line_to(b->cr, b->px, b->py);
    b->pending = false;
}

void amlp_path_polyline(amlp_plot *p, const double *x, const double *y, size_t n,
                        bool steps)
{
    cairo_t *cr = p->cr;
    double cols = (p->px1 - p->px0) * p->o.scale;
    if (!steps && (double)n > 4.0 * cols && increasing(x, n)) {
        /* per device column: first, min, max, last, in x order */
        size_t i = 0;
        bool first = true;
        while (i < n) {
            double X = amlp_px_x(p, xval(x, i));
            double col = floor(X * p->o.scale);
            size_t j = i, imin = i, imax = i;
            while (j < n && floor(amlp_px_x(p, xval(x, j)) * p->o.scale) == col) {
                if (y[j] < y[imin])
                    imin = j;
                if (y[j] > y[imax])
                    imax = j;
                j++;
            }
            size_t pick[4] = { i, imin < imax ? imin : imax, imin < imax ? imax : imin, j - 1 };
            for (int k = 0; k < 4; k++) {
                if (k > 0 && pick[k] == pick[k - 1])
                    continue;
                double px = amlp_px_x(p, xval(x, pick[k])), py = amlp_px_y(p, y[pick[k]]);
                if (first)
                    cairo_move_to(cr, px, py);
                else
                    cairo_line_to(cr, px, py);
                first = false;
            }
            i = j;
        }
        return;
    }
    amlp_pathbuf b;
    amlp_pathbuf_begin(&b, p);
    for (size_t i = 0; i < n; i++) {
        double px = amlp_px_x(p, xval(x, i)), py = amlp_px_y(p, y[i]);
        if (i > 0 && steps)
            amlp_pathbuf_add(&b, px, amlp_px_y(p, y[i - 1]));
        amlp_pathbuf_add(&b, px, py);
    }
    amlp_pathbuf_end(&b);
}

void amlp_occ_polyline(amlp_plot *p, const double *x, const double *y, size_t n,
                       bool steps)
{
    if (n == 1)
        amlp_occ_point(p, xval(x, 0), y[0]);
    for (size_t i = 1; i < n; i++) {
        double x0 = xval(x, i - 1), x1 = xval(x, i);
        if (steps) {
            amlp_occ_segment(p, x0, y[i - 1], x1, y[i - 1]);
            amlp_occ_segment(p, x1, y[i - 1], x1, y[i]);
        } else {
            amlp_occ_segment(p, x0, y[i - 1], x1, y[i]);
        }
    }
}

static int check_series(const aml_plot_series *s, size_t k, aml_error *err)
{
    char what[64];
    const char *name = s->label ? s->label : "";
    if (!s->y)
        return aml_error_set(err, AML_EINVAL, 0, 0, name, "series %zu: y is NULL", k);
    if (s->n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, name, "series %zu has no points", k);
    snprintf(what, sizeof what, "series %zu: y", k);
    int rc = amlp_check_finite(err, what, s->y, s->n);
    if (!rc && s->x) {
        snprintf(what, sizeof what, "series %zu: x", k);
        rc = amlp_check_finite(err, what, s->x, s->n);
    }
    return rc;
}

int aml_plot_line(const aml_plot_opts *opts, const aml_plot_series *series,
                  size_t n_series, aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!series && n_series)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "series is NULL");
    if (n_series == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "plot", "no series to draw");
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    bool fill = false;
    for (size_t k = 0; k < n_series; k++) {
        const aml_plot_series *s = &series[k];
        int rc = check_series(s, k, err);
        if (rc)
            return rc;
        double a, b;
        if (s->x)
            amlp_minmax(s->x, s->n, &a, &b);
        else {
            a = 0.0;
            b = (double)(s->n - 1);
        }
        xlo = fmin(xlo, a);
        xhi = fmax(xhi, b);
        amlp_minmax(s->y, s->n, &a, &b);
        ylo = fmin(ylo, a);
        yhi = fmax(yhi, b);
        fill |= s->fill;
    }
    amlp_plot p;
    int rc = amlp_plot_init(&p, opts, err);
    if (rc)
        return rc;
    if ((rc = amlp_check_range(&p, "x", p.o.x_scale, xlo, xhi)) ||
        (rc = amlp_check_range(&p, "y", p.o.y_scale, ylo, yhi)))
        goto done;
    /* filled areas start at zero: no padding below a zero baseline */
    double ymin_opt = p.o.y_min;
    if (fill && p.o.y_scale == AML_PLOT_LINEAR && ylo >= 0.0 && ylo <= 0.5 * yhi &&
        isnan(ymin_opt))
        ymin_opt = 0.0;
    amlp_axis_numeric(&p.x, xlo, xhi, p.o.x_scale, 0.03, p.o.x_min, p.o.x_max);
    amlp_axis_numeric(&p.y, ylo, yhi, p.o.y_scale, 0.05, ymin_opt, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    double base = p.o.y_scale == AML_PLOT_LOG ? p.y.lo : fmax(p.y.lo, fmin(0.0, p.y.hi));
    for (size_t k = 0; k < n_series; k++) {
        const aml_plot_series *s = &series[k];
        if ((rc = amlp_legend_add(&p, s->label, amlp_palette((int)k), AMLP_LEG_LINE,
                                  s->dashed, 1.0)))
            goto done;
        amlp_occ_polyline(&p, s->x, s->y, s->n, s->steps);
        if (s->fill)
            for (size_t i = 0; i < s->n; i++) {
                double x1 = i + 1 < s->n ? xval(s->x, i + 1) : xval(s->x, i);
                amlp_occ_rect(&p, xval(s->x, i), base, x1, s->y[i]);
            }
    }
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    cairo_save(cr);
    amlp_clip_plot(&p);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (size_t k = 0; k < n_series; k++) {
        const aml_plot_series *s = &series[k];
        amlp_rgb c = amlp_palette((int)k);
        if (s->fill) {
            amlp_path_polyline(&p, s->x, s->y, s->n, s->steps);
            double yb = amlp_px_y(&p, base);
            cairo_line_to(cr, amlp_px_x(&p, xval(s->x, s->n - 1)), yb);
            cairo_line_to(cr, amlp_px_x(&p, xval(s->x, 0)), yb);
            cairo_close_path(cr);
            amlp_set_rgb(cr, c, 0.22);
            cairo_fill(cr);
        }
        amlp_path_polyline(&p, s->x, s->y, s->n, s->steps);
        if (s->dashed) {
            const double d[2] = { 6.0, 3.5 };
            cairo_set_dash(cr, d, 2, 0.0);
            cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        }
        cairo_set_line_width(cr, 2.0);
        amlp_set_rgb(cr, c, 1.0);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0.0);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        if (s->markers || s->n == 1) {
            for (size_t i = 0; i < s->n; i++) {
                double px = amlp_px_x(&p, xval(s->x, i)), py = amlp_px_y(&p, s->y[i]);
                cairo_new_sub_path(cr);
                cairo_arc(cr, px, py, 3.0, 0, 2 * M_PI);
            }
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    return rc;
}
