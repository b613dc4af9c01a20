/* plot_box.c — box plots: quartiles, median, 1.5 IQR whiskers and outliers
 * for each group of values. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct box_stats {
    double q1, med, q3, wlo, whi;
} box_stats;

static void box_compute(const double *s, size_t n, box_stats *b)
{
    b->q1 = amlp_quantile_sorted(s, n, 0.25);
    b->med = amlp_quantile_sorted(s, n, 0.5);
    b->q3 = amlp_quantile_sorted(s, n, 0.75);
    double iqr = b->q3 - b->q1;
    double lo = b->q1 - 1.5 * iqr, hi = b->q3 + 1.5 * iqr;
    size_t i = 0;
    while (i < n && s[i] < lo)
        i++;
    b->wlo = i < n ? s[i] : b->q1;
    size_t j = n;
    while (j > 0 && s[j - 1] > hi)
        j--;
    b->whi = j > 0 ? s[j - 1] : b->q3;
    if (b->wlo > b->q1)
        b->wlo = b->q1;
    if (b->whi < b->q3)
        b->whi = b->q3;
}

int aml_plot_box(const aml_plot_opts *opts, const aml_plot_box_group *groups,
                 size_t n_groups, aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!groups && n_groups)
        return aml_error_set(err, AML_EINVAL, 0, 0, "box", "groups is NULL");
    if (n_groups == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "box", "no groups");
    double ylo = INFINITY, yhi = -INFINITY;
    for (size_t g = 0; g < n_groups; g++) {
        char what[64];
        const char *name = groups[g].label ? groups[g].label : "";
        if (groups[g].n == 0)
            return aml_error_set(err, AML_EEMPTY, 0, 0, name, "group %zu has no values", g);
        snprintf(what, sizeof what, "group %zu", g);
        int rc = amlp_check_finite(err, what, groups[g].values, groups[g].n);
        if (rc)
            return rc;
        double a, b;
        amlp_minmax(groups[g].values, groups[g].n, &a, &b);
        ylo = fmin(ylo, a);
        yhi = fmax(yhi, b);
    }
    amlp_plot p;
    memset(&p, 0, sizeof p);
    const char **labels = amlp_calloc(n_groups, sizeof *labels);
    box_stats *st = amlp_calloc(n_groups, sizeof *st);
    double **sorted = amlp_calloc(n_groups, sizeof *sorted);
    int rc = 0;
    if (!labels || !st || !sorted) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "box", "out of memory");
        goto done;
    }
    for (size_t g = 0; g < n_groups; g++) {
        labels[g] = groups[g].label ? groups[g].label : "";
        sorted[g] = amlp_sorted_copy(groups[g].values, groups[g].n);
        if (!sorted[g]) {
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, "box", "out of memory");
            goto done;
        }
        box_compute(sorted[g], groups[g].n, &st[g]);
    }
    if ((rc = amlp_plot_init(&p, opts, err)))
        goto done;
    if ((rc = amlp_check_range(&p, "y", p.o.y_scale, ylo, yhi)))
        goto done;
    amlp_axis_category(&p.x, labels, n_groups, false);
    amlp_axis_numeric(&p.y, ylo, yhi, p.o.y_scale, 0.05, p.o.y_min, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    amlp_plot_layout(&p);
    cairo_t *cr = p.cr;
    cairo_save(cr);
    amlp_clip_plot(&p);
    const double bw = 0.5;
    amlp_rgb dark = amlp_rgb_hex(0x333333);
    for (size_t g = 0; g < n_groups; g++) {
        const box_stats *b = &st[g];
        amlp_rgb col = amlp_palette(0);  /* groups are named on the axis: one colour reads calmer */
        double c = (double)g;
        double xa = amlp_px_x(&p, c - bw / 2), xb = amlp_px_x(&p, c + bw / 2);
        double xm = amlp_px_x(&p, c);
        double cap = (xb - xa) * 0.25;
        /* whiskers and caps */
        cairo_set_line_width(cr, 1.2);
        amlp_set_rgb(cr, dark, 1.0);
        cairo_move_to(cr, xm, amlp_px_y(&p, b->q3));
        cairo_line_to(cr, xm, amlp_px_y(&p, b->whi));
        cairo_move_to(cr, xm - cap, amlp_px_y(&p, b->whi));
        cairo_line_to(cr, xm + cap, amlp_px_y(&p, b->whi));
        cairo_move_to(cr, xm, amlp_px_y(&p, b->q1));
        cairo_line_to(cr, xm, amlp_px_y(&p, b->wlo));
        cairo_move_to(cr, xm - cap, amlp_px_y(&p, b->wlo));
        cairo_line_to(cr, xm + cap, amlp_px_y(&p, b->wlo));
        cairo_stroke(cr);
        /* box */
        double ya = amlp_px_y(&p, b->q3), yb = amlp_px_y(&p, b->q1);
        cairo_rectangle(cr, xa, ya, xb - xa, yb - ya);
        amlp_set_rgb(cr, col, 0.35);
        cairo_fill_preserve(cr);
        amlp_set_rgb(cr, col, 1.0);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        /* median */
        double ym = amlp_px_y(&p, b->med);
        cairo_move_to(cr, xa, ym);
        cairo_line_to(cr, xb, ym);
        amlp_set_rgb(cr, dark, 1.0);
        cairo_set_line_width(cr, 2.2);
        cairo_stroke(cr);
        /* outliers: hollow circles */
        const double *s = sorted[g];
        for (size_t i = 0; i < groups[g].n; i++) {
            if (s[i] >= b->wlo && s[i] <= b->whi)
                continue;
            if (i > 0 && s[i] == s[i - 1])
                continue;
            cairo_new_sub_path(cr);
            cairo_arc(cr, xm, amlp_px_y(&p, s[i]), 2.8, 0, 2 * M_PI);
        }
        amlp_set_rgb(cr, col, 1.0);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
    }
    cairo_restore(cr);
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    if (sorted)
        for (size_t g = 0; g < n_groups; g++)
            amlp_free(sorted[g]);
    amlp_free(sorted);
    amlp_free(st);
    amlp_free(labels);
    return rc;
}
