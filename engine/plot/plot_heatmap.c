/* plot_heatmap.c — heatmaps with a sequential colour map and colour bar, and
 * the confusion matrix built on them (counts with row percentages). */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

aml_plot_heatmap_data aml_plot_heatmap_data_default(void)
{
    aml_plot_heatmap_data d;
    memset(&d, 0, sizeof d);
    d.colorbar = true;
    return d;
}

/* The colour at t in [0, 1] along `n` evenly spaced stops, linear in RGB. */
static amlp_rgb interpolate(const unsigned *stops, size_t count, double t)
{
    const int n = (int)count;
    if (!(t > 0.0))
        t = 0.0;
    if (t > 1.0)
        t = 1.0;
    double pos = t * (n - 1);
    int i = (int)pos;
    if (i >= n - 1)
        i = n - 2;
    double f = pos - i;
    amlp_rgb a = amlp_rgb_hex(stops[i]), b = amlp_rgb_hex(stops[i + 1]);
    amlp_rgb c = { a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f };
    return c;
}

/* ColorBrewer "Blues" (sequential, colour-blind safe), interpolated in RGB. */
static amlp_rgb cmap_blues(double t)
{
    static const unsigned stops[] = { 0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6,
                                      0x4292C6, 0x2171B5, 0x08519C, 0x08306B };
    return interpolate(stops, sizeof stops / sizeof stops[0], t);
}

/* ColorBrewer "RdBu" reversed (diverging, colour-blind safe): blue below the
 * middle, red above, white at the middle; for data on both sides of zero. */
static amlp_rgb cmap_rdbu(double t)
{
    static const unsigned stops[] = { 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7,
                                      0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B };
    return interpolate(stops, sizeof stops / sizeof stops[0], t);
}

static double luminance(amlp_rgb c)
{
    return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

int aml_plot_heatmap(const aml_plot_opts *opts, const aml_plot_heatmap_data *d,
                     aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!d)
        return aml_error_set(err, AML_EINVAL, 0, 0, "heatmap", "data is NULL");
    if (d->rows == 0 || d->cols == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "heatmap", "matrix is %zux%zu",
                             d->rows, d->cols);
    if (d->rows > 1000 || d->cols > 1000)
        return aml_error_set(err, AML_ERANGE, 0, 0, "heatmap",
                             "matrix %zux%zu is larger than 1000x1000", d->rows, d->cols);
    if ((unsigned)d->annot > AML_PLOT_ANNOT_VALUE_ROW_PCT)
        return aml_error_set(err, AML_EINVAL, 0, 0, "heatmap", "unknown annotation mode");
    size_t R = d->rows, C = d->cols;
    int rc = amlp_check_finite(err, "values", d->values, R * C);
    if (rc)
        return rc;
    bool need_rows = d->color_by_row || d->annot == AML_PLOT_ANNOT_VALUE_ROW_PCT;
    if (need_rows)
        for (size_t i = 0; i < R * C; i++)
            if (d->values[i] < 0)
                return aml_error_set(err, AML_ERANGE, 0, 0, "values",
                                     "values[%zu] = %g is negative (row shares need >= 0)",
                                     i, d->values[i]);
    amlp_plot p;
    memset(&p, 0, sizeof p);
    double *rowsum = amlp_calloc(R, sizeof *rowsum);
    if (!rowsum)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "heatmap", "out of memory");
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++)
            rowsum[r] += d->values[r * C + c];
    double vlo, vhi;
    amlp_minmax(d->values, R * C, &vlo, &vhi);
    if (vlo >= 0.0)
        vlo = 0.0;
    amlp_rgb (*cmap)(double) = cmap_blues;
    if (d->color_by_row) {
        vlo = 0.0;
        vhi = 1.0;
    } else if (vlo < 0.0 && vhi > 0.0) {
        double m = fmax(-vlo, vhi);
        vlo = -m;
        vhi = m;
        cmap = cmap_rdbu;
    }
    if (vhi <= vlo)
        vhi = vlo + 1.0;
    if ((rc = amlp_plot_init(&p, opts, err)))
        goto done;
    amlp_axis_category(&p.x, d->col_labels, C, false);
    amlp_axis_category(&p.y, d->row_labels, R, true);
    p.x.hide_ticks = p.y.hide_ticks = true;
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    p.cbar.on = d->colorbar;
    p.cbar.lo = vlo;
    p.cbar.hi = vhi;
    p.cbar.percent = d->color_by_row;
    p.cbar.title = d->colorbar_title;
    p.cbar.cmap = cmap;
    p.o.grid = false;
    amlp_plot_layout(&p);
    /* cells no wider than 1.6x their height: centre a narrower matrix */
    double cw = (p.px1 - p.px0) / (double)C, ch = (p.py1 - p.py0) / (double)R;
    if (cw > ch * 1.6) {
        double nw = round(ch * 1.6 * (double)C);
        double shift = round((p.px1 - p.px0 - nw) / 2.0);
        p.px0 += shift;
        p.px1 = p.px0 + nw;
        cw = (p.px1 - p.px0) / (double)C;
    }
    cairo_t *cr = p.cr;
    double fs = fmin(AMLP_FS_ANNOT, ch * (d->annot == AML_PLOT_ANNOT_VALUE_ROW_PCT ? 0.3 : 0.45));
    int dec = amlp_value_decimals(d->values, R * C);
    for (size_t r = 0; r < R; r++)
        for (size_t c = 0; c < C; c++) {
            double v = d->values[r * C + c];
            double share = rowsum[r] > 0 ? v / rowsum[r] : 0.0;
            double t = d->color_by_row ? share : (v - vlo) / (vhi - vlo);
            amlp_rgb col = cmap(t);
            double x = p.px0 + cw * (double)c, y = p.py0 + ch * (double)r;
            cairo_rectangle(cr, x, y, cw, ch);
            amlp_set_rgb(cr, col, 1.0);
            cairo_fill(cr);
            if (d->annot == AML_PLOT_ANNOT_NONE || fs < 6.0)
                continue;
            amlp_rgb tc = luminance(col) > 0.45 ? amlp_rgb_hex(0x1A1A1A) : amlp_rgb_hex(0xFFFFFF);
            char a[48], b[48];
            amlp_format_fixed(v, dec, a, sizeof a);
            double cxm = x + cw / 2, cym = y + ch / 2;
            if (d->annot == AML_PLOT_ANNOT_VALUE_ROW_PCT) {
                snprintf(b, sizeof b, "%.1f%%", share * 100.0);
                double w = fmax(amlp_text_w(&p, a, fs, true), amlp_text_w(&p, b, fs * 0.9, false));
                if (w > cw - 4)
                    continue;
                amlp_text(&p, a, cxm, cym - 2.0, fs, true, 0.5, 1.0, 0, tc);
                amlp_text(&p, b, cxm, cym + 3.0, fs * 0.9, false, 0.5, 0.0, 0, tc);
            } else {
                if (amlp_text_w(&p, a, fs, false) > cw - 4)
                    continue;
                amlp_text(&p, a, cxm, cym, fs, false, 0.5, 0.5, 0, tc);
            }
        }
    /* thin white lines between cells */
    if (cw >= 6 && ch >= 6) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 1.0);
        for (size_t c = 1; c < C; c++) {
            cairo_move_to(cr, p.px0 + cw * (double)c, p.py0);
            cairo_line_to(cr, p.px0 + cw * (double)c, p.py1);
        }
        for (size_t r = 1; r < R; r++) {
            cairo_move_to(cr, p.px0, p.py0 + ch * (double)r);
            cairo_line_to(cr, p.px1, p.py0 + ch * (double)r);
        }
        cairo_stroke(cr);
    }
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    amlp_free(rowsum);
    return rc;
}

int aml_plot_confusion(const aml_plot_opts *opts, const int64_t *counts, size_t k,
                       const char *const *class_names, aml_plot_image **out,
                       aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!counts)
        return aml_error_set(err, AML_EINVAL, 0, 0, "confusion", "counts is NULL");
    if (k == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "confusion", "no classes");
    if (k > 1000)
        return aml_error_set(err, AML_ERANGE, 0, 0, "confusion", "%zu classes is too many", k);
    for (size_t i = 0; i < k * k; i++)
        if (counts[i] < 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, "confusion",
                                 "counts[%zu] = %lld is negative", i, (long long)counts[i]);
    double *v = amlp_malloc(k * k * sizeof *v);
    if (!v)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "confusion", "out of memory");
    for (size_t i = 0; i < k * k; i++)
        v[i] = (double)counts[i];
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    if (!o.x_title)
        o.x_title = "Predicted label";
    if (!o.y_title)
        o.y_title = "True label";
    aml_plot_heatmap_data d = aml_plot_heatmap_data_default();
    d.values = v;
    d.rows = d.cols = k;
    d.row_labels = d.col_labels = class_names;
    d.annot = AML_PLOT_ANNOT_VALUE_ROW_PCT;
    d.color_by_row = true;
    d.colorbar_title = "Share of true class";
    int rc = aml_plot_heatmap(&o, &d, out, err);
    amlp_free(v);
    return rc;
}
