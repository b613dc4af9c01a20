/* plot_waterfall.c — waterfall charts: how contributions move a value from a
 * base to a final value (one row's explanation).  Horizontal, top-down: the
 * base row, one floating bar per step (increases in vermillion, decreases
 * in blue, Okabe-Ito), the final row; dashed lines mark the base and the
 * final value, thin connectors join consecutive bars, each bar carries its
 * signed value. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

aml_plot_waterfall_data aml_plot_waterfall_data_default(void)
{
    aml_plot_waterfall_data d;
    memset(&d, 0, sizeof d);
    return d;
}

static void signed_label(double v, int dec, char *buf, size_t cap)
{
    char num[48];
    amlp_format_fixed(fabs(v), dec, num, sizeof num);
    snprintf(buf, cap, "%s%s", v < 0 ? "\xe2\x88\x92" : "+", num);
}

int aml_plot_waterfall(const aml_plot_opts *opts, const aml_plot_waterfall_data *d,
                       aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!d)
        return aml_error_set(err, AML_EINVAL, 0, 0, "waterfall", "data is NULL");
    if (d->n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "waterfall", "no steps");
    if (!d->labels || !d->deltas)
        return aml_error_set(err, AML_EINVAL, 0, 0, "waterfall", "labels or deltas is NULL");
    int rc = amlp_check_finite(err, "deltas", d->deltas, d->n);
    if (rc == 0 && !isfinite(d->base))
        rc = aml_error_set(err, AML_EINVAL, 0, 0, "waterfall", "base is not finite");
    if (rc)
        return rc;
    aml_plot_opts def = aml_plot_opts_default();
    const aml_plot_opts *po = opts ? opts : &def;
    if (po->x_scale == AML_PLOT_LOG)
        return aml_error_set(err, AML_ERANGE, 0, 0, "waterfall",
                             "a log value axis is not supported");
    size_t n = d->n, nc = n + 2;
    const char **cats = amlp_malloc(nc * sizeof *cats);
    double *cum = amlp_malloc((n + 1) * sizeof *cum);
    amlp_plot p;
    memset(&p, 0, sizeof p);
    if (!cats || !cum) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "waterfall", "out of memory");
        goto done;
    }
    cum[0] = d->base;
    for (size_t i = 0; i < n; i++)
        cum[i + 1] = cum[i] + d->deltas[i];
    cats[0] = d->base_label ? d->base_label : "base value";
    for (size_t i = 0; i < n; i++)
        cats[i + 1] = d->labels[i] ? d->labels[i] : "";
    cats[n + 1] = d->final_label ? d->final_label : "prediction";
    double lo, hi;
    amlp_minmax(cum, n + 1, &lo, &hi);
    if ((rc = amlp_plot_init(&p, po, err)))
        goto done;
    double span = hi - lo > 0 ? hi - lo : fmax(fabs(hi), 1.0);
    amlp_axis_numeric(&p.x, lo - 0.14 * span, hi + 0.14 * span, AML_PLOT_LINEAR, 0.0, p.o.x_min,
                      p.o.x_max);
    amlp_axis_category(&p.y, cats, nc, true);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    const double bw = 0.62;
    for (size_t i = 0; i < n; i++)
        amlp_occ_rect(&p, cum[i], (double)(i + 1) - bw / 2, cum[i + 1], (double)(i + 1) + bw / 2);
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    amlp_rgb up = amlp_rgb_hex(0xD55E00), down = amlp_rgb_hex(0x0072B2);
    amlp_rgb grey = amlp_rgb_hex(0x555555), dark = amlp_rgb_hex(0x333333);
    cairo_save(cr);
    amlp_clip_plot(&p);
    /* the base and final values as dashed lines across the plot */
    double dash[] = {4.0, 3.0};
    cairo_set_line_width(cr, 1.0);
    amlp_set_rgb(cr, grey, 0.8);
    cairo_set_dash(cr, dash, 2, 0);
    for (int k = 0; k < 2; k++) {
        double xv = round(amlp_px_x(&p, k ? cum[n] : cum[0])) + 0.5;
        cairo_move_to(cr, xv, p.py0);
        cairo_line_to(cr, xv, p.py1);
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    /* connectors, then bars */
    amlp_set_rgb(cr, grey, 1.0);
    cairo_set_line_width(cr, 0.8);
    for (size_t i = 0; i + 1 < n; i++) {
        double xv = round(amlp_px_x(&p, cum[i + 1])) + 0.5;
        cairo_move_to(cr, xv, amlp_px_y(&p, (double)(i + 1) + bw / 2));
        cairo_line_to(cr, xv, amlp_px_y(&p, (double)(i + 2) - bw / 2));
    }
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        double x0 = amlp_px_x(&p, cum[i]), x1 = amlp_px_x(&p, cum[i + 1]);
        double y0 = amlp_px_y(&p, (double)(i + 1) - bw / 2);
        double y1 = amlp_px_y(&p, (double)(i + 1) + bw / 2);
        double w = fabs(x1 - x0) < 1.0 ? 1.0 : fabs(x1 - x0);
        cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), w, fabs(y1 - y0));
        amlp_set_rgb(cr, d->deltas[i] >= 0 ? up : down, 1.0);
        cairo_fill(cr);
    }
    /* base and final markers: a short bar of the axis colour */
    for (int k = 0; k < 2; k++) {
        double xv = amlp_px_x(&p, k ? cum[n] : cum[0]);
        double yc = amlp_px_y(&p, k ? (double)(n + 1) : 0.0);
        double h = fabs(amlp_px_y(&p, bw / 2) - amlp_px_y(&p, 0.0));
        cairo_rectangle(cr, xv - 2.0, yc - h, 4.0, 2 * h);
        amlp_set_rgb(cr, dark, 1.0);
        cairo_fill(cr);
    }
    cairo_restore(cr);
    /* value labels */
    double slot = (p.py1 - p.py0) / (double)nc;
    double all[2] = {cum[0], cum[n]};
    /* three significant digits of the largest change / end value */
    double big = 0, big_end = fmax(fabs(all[0]), fabs(all[1]));
    for (size_t i = 0; i < n; i++)
        big = fmax(big, fabs(d->deltas[i]));
    int dec = big > 0 ? 2 - (int)floor(log10(big)) : 0;
    int dec_end = big_end > 0 ? 2 - (int)floor(log10(big_end)) : 0;
    dec = dec < 0 ? 0 : dec > 6 ? 6 : dec;
    dec_end = dec_end < 0 ? 0 : dec_end > 6 ? 6 : dec_end;
    dec_end = dec_end > dec ? dec_end : dec;
    for (size_t i = 0; i < nc && slot >= AMLP_FS_ANNOT * 0.9; i++) {
        char buf[64];
        double xe, v;
        bool right;
        if (i == 0 || i == n + 1) {
            v = i ? cum[n] : cum[0];
            amlp_format_fixed(v, dec_end, buf, sizeof buf);
            xe = amlp_px_x(&p, v) + (i ? 4 : -4);
            right = i != 0;
            /* the label goes where it fits */
            if (i && xe + amlp_text_w(&p, buf, AMLP_FS_ANNOT, true) + 4 > p.px1)
                right = false, xe -= 8;
            if (!i && xe - amlp_text_w(&p, buf, AMLP_FS_ANNOT, true) - 4 < p.px0)
                right = true, xe += 8;
            amlp_text(&p, buf, xe, amlp_px_y(&p, (double)i), AMLP_FS_ANNOT, true, right ? 0.0 : 1.0,
                      0.5, 0, dark);
            continue;
        }
        v = d->deltas[i - 1];
        signed_label(v, dec, buf, sizeof buf);
        double wt = amlp_text_w(&p, buf, AMLP_FS_ANNOT, false);
        double xa = amlp_px_x(&p, fmax(cum[i - 1], cum[i])), xb = amlp_px_x(&p, fmin(cum[i - 1], cum[i]));
        right = v >= 0;
        if (right && xa + 4 + wt > p.px1)
            right = false;
        if (!right && xb - 4 - wt < p.px0)
            right = true;
        xe = right ? xa + 4 : xb - 4;
        /* a white backing keeps the label readable over the dashed lines */
        double yc = amlp_px_y(&p, (double)i);
        cairo_rectangle(p.cr, right ? xe - 1 : xe - wt - 1, yc - AMLP_FS_ANNOT * 0.6, wt + 2,
                        AMLP_FS_ANNOT * 1.2);
        cairo_set_source_rgb(p.cr, 1, 1, 1);
        cairo_fill(p.cr);
        amlp_text(&p, buf, xe, amlp_px_y(&p, (double)i), AMLP_FS_ANNOT, false, right ? 0.0 : 1.0,
                  0.5, 0, dark);
    }
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    amlp_free(cats);
    amlp_free(cum);
    return rc;
}
