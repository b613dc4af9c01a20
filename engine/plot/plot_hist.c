/* plot_hist.c — histograms over shared bins (Freedman-Diaconis by default):
 * one solid histogram, or one translucent histogram per class overlaid. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

aml_plot_hist_data aml_plot_hist_data_default(void)
{
    aml_plot_hist_data d;
    memset(&d, 0, sizeof d);
    return d;
}

int aml_plot_hist(const aml_plot_opts *opts, const aml_plot_hist_data *d,
                  aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!d)
        return aml_error_set(err, AML_EINVAL, 0, 0, "hist", "data is NULL");
    if (d->n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "hist", "no values");
    int rc = amlp_check_finite(err, "values", d->values, d->n);
    if (rc)
        return rc;
    size_t k = 1;
    if (d->category) {
        if (d->n_categories == 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, "category",
                                 "category codes given but n_categories is 0");
        if ((rc = amlp_check_codes(err, "category", d->category, d->n, d->n_categories)))
            return rc;
        k = d->n_categories;
    }
    if (d->bins > 1000)
        return aml_error_set(err, AML_ERANGE, 0, 0, "hist", "%zu bins is more than 1000",
                             d->bins);
    aml_plot_opts def = aml_plot_opts_default();
    const aml_plot_opts *po = opts ? opts : &def;
    if (po->x_scale == AML_PLOT_LOG || po->y_scale == AML_PLOT_LOG)
        return aml_error_set(err, AML_ERANGE, 0, 0, "hist",
                             "histograms use linear axes (log scale not supported)");
    amlp_plot p;
    memset(&p, 0, sizeof p);
    double *counts = NULL;
    size_t *class_n = NULL;
    double *sorted = amlp_sorted_copy(d->values, d->n);
    if (!sorted) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "hist", "out of memory");
        goto done;
    }
    size_t bins = d->bins ? d->bins : amlp_fd_bins_sorted(sorted, d->n);
    double lo = sorted[0], hi = sorted[d->n - 1];
    if (hi <= lo) {
        double w0 = lo != 0.0 ? fabs(lo) * 0.05 : 0.5;
        lo -= w0;
        hi += w0;
    }
    double bw = (hi - lo) / (double)bins;
    /* Whole numbers (ages, counts): whole-number bin widths with edges halfway
     * between values, so no bin straddles two values and none is left empty
     * between neighbours. */
    bool whole = hi > lo && hi - lo < 1e9;
    for (size_t i = 0; whole && i < d->n; i++)
        whole = sorted[i] == floor(sorted[i]);
    if (whole) {
        bw = ceil((hi - lo + 1.0) / (double)bins);
        if (bw < 1.0)
            bw = 1.0;
        lo -= 0.5;
        bins = (size_t)ceil((hi + 0.5 - lo) / bw);
        hi = lo + bw * (double)bins;
    }
    counts = amlp_calloc(k * bins, sizeof *counts);
    class_n = amlp_calloc(k, sizeof *class_n);
    if (!counts || !class_n) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "hist", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < d->n; i++) {
        size_t c = d->category ? (size_t)d->category[i] : 0;
        double t = (d->values[i] - lo) / bw;
        size_t b = t <= 0 ? 0 : (size_t)t;
        if (b >= bins)
            b = bins - 1;
        counts[c * bins + b] += 1.0;
        class_n[c]++;
    }
    double ymax = 0.0;
    for (size_t c = 0; c < k; c++)
        for (size_t b = 0; b < bins; b++) {
            double *v = &counts[c * bins + b];
            if (d->density && class_n[c])
                *v /= (double)class_n[c] * bw;
            if (*v > ymax)
                ymax = *v;
        }
    if ((rc = amlp_plot_init(&p, po, err)))
        goto done;
    amlp_axis_numeric(&p.x, lo, hi, AML_PLOT_LINEAR, 0.02, p.o.x_min, p.o.x_max);
    amlp_axis_numeric(&p.y, 0.0, ymax > 0 ? ymax : 1.0, AML_PLOT_LINEAR, 0.05,
                      isnan(p.o.y_min) ? 0.0 : p.o.y_min, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title ? p.o.y_title : (d->density ? "Density" : "Count");
    bool overlay = d->category != NULL;
    const double fill_alpha = overlay ? 0.42 : 1.0;
    for (size_t c = 0; c < k && overlay; c++) {
        char num[32];
        const char *name = d->category_names && d->category_names[c] ? d->category_names[c] : NULL;
        if (!name) {
            snprintf(num, sizeof num, "%zu", c);
            name = num;
        }
        if ((rc = amlp_legend_add(&p, name, amlp_palette((int)c), AMLP_LEG_PATCH, false,
                                  fill_alpha)))
            goto done;
    }
    for (size_t c = 0; c < k; c++)
        for (size_t b = 0; b < bins; b++)
            if (counts[c * bins + b] > 0)
                amlp_occ_rect(&p, lo + bw * (double)b, 0.0, lo + bw * (double)(b + 1),
                              counts[c * bins + b]);
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    cairo_save(cr);
    amlp_clip_plot(&p);
    double y0 = amlp_px_y(&p, 0.0);
    for (size_t c = 0; c < k; c++) {
        amlp_rgb col = amlp_palette((int)c);
        const double *cnt = &counts[c * bins];
        for (size_t b = 0; b < bins; b++) {
            if (cnt[b] <= 0)
                continue;
            double xa = amlp_px_x(&p, lo + bw * (double)b);
            double xb = amlp_px_x(&p, lo + bw * (double)(b + 1));
            cairo_rectangle(cr, xa, amlp_px_y(&p, cnt[b]), xb - xa, y0 - amlp_px_y(&p, cnt[b]));
        }
        amlp_set_rgb(cr, col, fill_alpha);
        if (!overlay) {
            cairo_fill(cr);
            /* thin white separators between neighbouring bins, as seaborn draws
             * them, only as high as the lower of the two so tops stay intact */
            if ((p.px1 - p.px0) / (double)bins > 6.0) {
                for (size_t b = 1; b < bins; b++) {
                    double h = fmin(cnt[b - 1], cnt[b]);
                    if (h <= 0)
                        continue;
                    double xe = amlp_px_x(&p, lo + bw * (double)b);
                    cairo_move_to(cr, xe, y0);
                    cairo_line_to(cr, xe, amlp_px_y(&p, h));
                }
                cairo_set_source_rgb(cr, 1, 1, 1);
                cairo_set_line_width(cr, 0.8);
                cairo_stroke(cr);
            }
        } else {
            cairo_fill(cr);
        }
    }
    /* class outlines as step lines over all the fills, so overlaps stay readable */
    for (size_t c = 0; c < k && overlay; c++) {
        const double *cnt = &counts[c * bins];
        for (size_t b = 0; b < bins; b++) {
            double xa = amlp_px_x(&p, lo + bw * (double)b);
            double xb = amlp_px_x(&p, lo + bw * (double)(b + 1));
            double yb = amlp_px_y(&p, cnt[b]);
            if (b == 0)
                cairo_move_to(cr, xa, y0);
            cairo_line_to(cr, xa, yb);
            cairo_line_to(cr, xb, yb);
        }
        cairo_line_to(cr, amlp_px_x(&p, hi), y0);
        amlp_set_rgb(cr, amlp_palette((int)c), 1.0);
        cairo_set_line_width(cr, 1.5);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    amlp_free(sorted);
    amlp_free(counts);
    amlp_free(class_n);
    return rc;
}
