/* plot_bar.c — bar charts: vertical or horizontal, optionally sorted, with
 * value labels at the bar ends (inside the bar when there is no room). */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

aml_plot_bar_data aml_plot_bar_data_default(void)
{
    aml_plot_bar_data d;
    memset(&d, 0, sizeof d);
    return d;
}

typedef struct bar_key {
    double v;
    size_t i;
} bar_key;

static int cmp_desc(const void *a, const void *b)
{
    const bar_key *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

static int cmp_asc(const void *a, const void *b)
{
    const bar_key *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

int aml_plot_bar(const aml_plot_opts *opts, const aml_plot_bar_data *d,
                 aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!d)
        return aml_error_set(err, AML_EINVAL, 0, 0, "bar", "data is NULL");
    if (d->n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "bar", "no bars");
    if (!d->labels)
        return aml_error_set(err, AML_EINVAL, 0, 0, "bar", "labels is NULL");
    if ((unsigned)d->sort > AML_PLOT_SORT_ASC)
        return aml_error_set(err, AML_EINVAL, 0, 0, "bar", "unknown sort order");
    int rc = amlp_check_finite(err, "values", d->values, d->n);
    if (rc)
        return rc;
    const aml_plot_opts *po = opts;
    aml_plot_opts def = aml_plot_opts_default();
    if (!po)
        po = &def;
    if ((d->horizontal ? po->x_scale : po->y_scale) == AML_PLOT_LOG)
        return aml_error_set(err, AML_ERANGE, 0, 0, "bar",
                             "bars start at 0: a log value axis is not supported");
    size_t n = d->n;
    bar_key *keys = amlp_malloc(n * sizeof *keys);
    const char **labels = amlp_malloc(n * sizeof *labels);
    double *vals = amlp_malloc(n * sizeof *vals);
    amlp_plot p;
    memset(&p, 0, sizeof p);
    if (!keys || !labels || !vals) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "bar", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i].v = d->values[i];
        keys[i].i = i;
    }
    if (d->sort == AML_PLOT_SORT_DESC)
        qsort(keys, n, sizeof *keys, cmp_desc);
    else if (d->sort == AML_PLOT_SORT_ASC)
        qsort(keys, n, sizeof *keys, cmp_asc);
    for (size_t i = 0; i < n; i++) {
        labels[i] = d->labels[keys[i].i] ? d->labels[keys[i].i] : "";
        vals[i] = keys[i].v;
    }
    double lo, hi;
    amlp_minmax(vals, n, &lo, &hi);
    lo = fmin(lo, 0.0);
    hi = fmax(hi, 0.0);
    if ((rc = amlp_plot_init(&p, po, err)))
        goto done;
    /* value axis: zero stays on the axis edge, room at the open end(s) for labels */
    double pad = d->value_labels ? 0.12 : 0.05;
    amlp_axis *va = d->horizontal ? &p.x : &p.y;
    amlp_axis *ca = d->horizontal ? &p.y : &p.x;
    double vmin_opt = d->horizontal ? p.o.x_min : p.o.y_min;
    double vmax_opt = d->horizontal ? p.o.x_max : p.o.y_max;
    double span = hi - lo > 0 ? hi - lo : 1.0;
    amlp_axis_numeric(va, lo, hi, AML_PLOT_LINEAR, 0.0, vmin_opt, vmax_opt);
    if (isnan(vmin_opt) && lo < 0.0)
        va->lo = lo - span * pad;
    if (isnan(vmax_opt) && hi > 0.0)
        va->hi = hi + span * pad;
    if (hi == 0.0 && lo == 0.0 && isnan(vmax_opt))
        va->hi = 1.0;
    amlp_axis_category(ca, labels, n, d->horizontal);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    const double bw = 0.7;
    for (size_t i = 0; i < n; i++) {
        double c = (double)i;
        if (d->horizontal)
            amlp_occ_rect(&p, 0.0, c - bw / 2, vals[i], c + bw / 2);
        else
            amlp_occ_rect(&p, c - bw / 2, 0.0, c + bw / 2, vals[i]);
    }
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    amlp_rgb col = amlp_palette(d->color);
    cairo_save(cr);
    amlp_clip_plot(&p);
    for (size_t i = 0; i < n; i++) {
        double c = (double)i, x0, x1, y0, y1;
        if (d->horizontal) {
            x0 = amlp_px_x(&p, 0.0);
            x1 = amlp_px_x(&p, vals[i]);
            y0 = amlp_px_y(&p, c - bw / 2);
            y1 = amlp_px_y(&p, c + bw / 2);
        } else {
            x0 = amlp_px_x(&p, c - bw / 2);
            x1 = amlp_px_x(&p, c + bw / 2);
            y0 = amlp_px_y(&p, 0.0);
            y1 = amlp_px_y(&p, vals[i]);
        }
        cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0));
    }
    amlp_set_rgb(cr, col, 1.0);
    cairo_fill(cr);
    /* a zero line when bars go both ways */
    if (lo < 0.0 && hi > 0.0) {
        cairo_set_line_width(cr, 1.0);
        cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
        if (d->horizontal) {
            double x = round(amlp_px_x(&p, 0.0));
            cairo_move_to(cr, x, p.py0);
            cairo_line_to(cr, x, p.py1);
        } else {
            double y = round(amlp_px_y(&p, 0.0));
            cairo_move_to(cr, p.px0, y);
            cairo_line_to(cr, p.px1, y);
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    if (d->value_labels) {
        double slot = d->horizontal ? (p.py1 - p.py0) / (double)n : (p.px1 - p.px0) / (double)n;
        int dec = amlp_value_decimals(vals, n);
        for (size_t i = 0; i < n && slot >= AMLP_FS_ANNOT * 0.9; i++) {
            char buf[48];
            amlp_format_fixed(vals[i], dec, buf, sizeof buf);
            double fs = AMLP_FS_ANNOT;
            double w = amlp_text_w(&p, buf, fs, false);
            if (!d->horizontal && w > slot * 0.95)
                continue;
            double c = (double)i, neg = vals[i] < 0 ? -1.0 : 1.0;
            amlp_rgb dark = amlp_rgb_hex(0x333333), white = amlp_rgb_hex(0xFFFFFF);
            if (d->horizontal) {
                double xe = amlp_px_x(&p, vals[i]), y = amlp_px_y(&p, c);
                double x0 = amlp_px_x(&p, 0.0);
                bool outside = neg > 0 ? xe + 4 + w <= p.px1 : xe - 4 - w >= p.px0;
                bool beyond_zero = neg > 0 ? x0 - 4 - w >= p.px0 : x0 + 4 + w <= p.px1;
                if (outside)
                    amlp_text(&p, buf, xe + 4 * neg, y, fs, false, neg > 0 ? 0.0 : 1.0, 0.5, 0, dark);
                else if (fabs(xe - x0) > w + 8)
                    amlp_text(&p, buf, xe - 4 * neg, y, fs, false, neg > 0 ? 1.0 : 0.0, 0.5, 0, white);
                else if (beyond_zero)   /* a short bar: its row is free past the zero line */
                    amlp_text(&p, buf, x0 - 4 * neg, y, fs, false, neg > 0 ? 1.0 : 0.0, 0.5, 0, dark);
            } else {
                double ye = amlp_px_y(&p, vals[i]), x = amlp_px_x(&p, c);
                double y0 = amlp_px_y(&p, 0.0);
                bool outside = neg > 0 ? ye - 4 - fs >= p.py0 : ye + 4 + fs <= p.py1;
                bool beyond_zero = neg > 0 ? y0 + 4 + fs <= p.py1 : y0 - 4 - fs >= p.py0;
                if (outside)
                    amlp_text(&p, buf, x, ye - 4 * neg, fs, false, 0.5, neg > 0 ? 1.0 : 0.0, 0, dark);
                else if (fabs(ye - y0) > fs + 8)
                    amlp_text(&p, buf, x, ye + 4 * neg, fs, false, 0.5, neg > 0 ? 0.0 : 1.0, 0, white);
                else if (beyond_zero)
                    amlp_text(&p, buf, x, y0 + 4 * neg, fs, false, 0.5, neg > 0 ? 0.0 : 1.0, 0, dark);
            }
        }
    }
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    amlp_free(keys);
    amlp_free(labels);
    amlp_free(vals);
    return rc;
}
