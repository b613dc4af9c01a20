/*
 * explain_pareto.c — the trade-off an image search made between network size
 * and score: the Pareto front of the trials (no other trial is at least as
 * good on both and better on one) and its chart, every trial a grey dot on a
 * log size axis, the front a step line through its highlighted points (the
 * NSGA-II view), drawn with the chart library's drawing layer.
 */
#include <cairo.h>  /* before aml_plot.h: its drawing layer */
#include "aml_plot.h"
#include "explain/explain_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool usable(const double *size, const double *score, size_t i)
{
    return size[i] > 0 && isfinite(size[i]) && isfinite(score[i]);
}

/* True when trial j dominates trial i. */
static bool dominates(const double *size, const double *score, size_t j, size_t i, double dir)
{
    double sj = dir * score[j], si = dir * score[i];
    bool no_worse = size[j] <= size[i] && sj >= si;
    bool better = size[j] < size[i] || sj > si;
    /* of two equal trials the first is kept */
    return no_worse && (better || j < i);
}

size_t aml_explain_pareto_front(const double *size, const double *score, size_t n,
                                bool higher_better, bool *on_front)
{
    double dir = higher_better ? 1.0 : -1.0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        on_front[i] = usable(size, score, i);
        for (size_t j = 0; on_front[i] && j < n; j++)
            if (j != i && usable(size, score, j) && dominates(size, score, j, i, dir))
                on_front[i] = false;
        count += on_front[i];
    }
    return count;
}

typedef struct pareto_pts {
    double *x, *y;        /* usable trials */
    size_t n;
    double *fx, *fy;      /* the front, by size */
    size_t nf;
} pareto_pts;

static int cmp_x(const void *a, const void *b)
{
    const double *p = a, *q = b;
    return p[0] < q[0] ? -1 : p[0] > q[0];
}

/* The usable trials and the front sorted by size. */
static int collect(const double *size, const double *score, size_t n, bool higher_better,
                   pareto_pts *pt)
{
    bool *front = amlp_calloc(n ? n : 1, sizeof *front);
    pt->x = amlp_calloc(n ? n : 1, sizeof *pt->x);
    pt->y = amlp_calloc(n ? n : 1, sizeof *pt->y);
    double *pairs = amlp_calloc(2 * (n ? n : 1), sizeof *pairs);
    pt->fx = amlp_calloc(n ? n : 1, sizeof *pt->fx);
    pt->fy = amlp_calloc(n ? n : 1, sizeof *pt->fy);
    if (!front || !pt->x || !pt->y || !pairs || !pt->fx || !pt->fy) {
        amlp_free(front);
        amlp_free(pairs);
        return AML_ENOMEM;
    }
    aml_explain_pareto_front(size, score, n, higher_better, front);
    for (size_t i = 0; i < n; i++) {
        if (!usable(size, score, i))
            continue;
        pt->x[pt->n] = size[i];
        pt->y[pt->n++] = score[i];
        if (front[i]) {
            pairs[2 * pt->nf] = size[i];
            pairs[2 * pt->nf++ + 1] = score[i];
        }
    }
    qsort(pairs, pt->nf, 2 * sizeof *pairs, cmp_x);
    for (size_t k = 0; k < pt->nf; k++) {
        pt->fx[k] = pairs[2 * k];
        pt->fy[k] = pairs[2 * k + 1];
    }
    amlp_free(front);
    amlp_free(pairs);
    return 0;
}

static void dot(cairo_t *cr, const amlp_plot *p, double x, double y, double r)
{
    cairo_new_path(cr);
    cairo_arc(cr, amlp_px_x(p, x), amlp_px_y(p, y), r, 0, 2 * M_PI);
}

/* The front as a step line: each front point's score holds until the next
 * (larger) network improves on it. */
static void draw_front(amlp_plot *p, const pareto_pts *pt)
{
    cairo_t *cr = p->cr;
    amlp_rgb front = amlp_palette(1);
    amlp_set_rgb(cr, front, 1.0);
    cairo_set_line_width(cr, 2.0);
    cairo_new_path(cr);
    cairo_move_to(cr, amlp_px_x(p, pt->fx[0]), amlp_px_y(p, pt->fy[0]));
    for (size_t k = 1; k < pt->nf; k++) {
        cairo_line_to(cr, amlp_px_x(p, pt->fx[k]), amlp_px_y(p, pt->fy[k - 1]));
        cairo_line_to(cr, amlp_px_x(p, pt->fx[k]), amlp_px_y(p, pt->fy[k]));
    }
    cairo_stroke(cr);
    for (size_t k = 0; k < pt->nf; k++) {
        dot(cr, p, pt->fx[k], pt->fy[k], 5.0);
        amlp_set_rgb(cr, front, 1.0);
        cairo_fill_preserve(cr);
        amlp_set_rgb(cr, amlp_rgb_hex(0x222222), 1.0);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
    }
}

static int draw(amlp_plot *p, const pareto_pts *pt)
{
    double xlo, xhi, ylo, yhi;
    amlp_minmax(pt->x, pt->n, &xlo, &xhi);
    amlp_minmax(pt->y, pt->n, &ylo, &yhi);
    if (xhi <= xlo * 1.5) {   /* one size: a decade around it */
        xlo /= 3;
        xhi *= 3;
    }
    amlp_axis_numeric(&p->x, xlo, xhi, AML_PLOT_LOG, 0.05, p->o.x_min, p->o.x_max);
    amlp_axis_numeric(&p->y, ylo, yhi, AML_PLOT_LINEAR, 0.08, p->o.y_min, p->o.y_max);
    p->x.title = p->o.x_title;
    p->y.title = p->o.y_title;
    int rc;
    if ((rc = amlp_legend_add(p, "trial", amlp_rgb_hex(0x8a8a8a), AMLP_LEG_MARKER, false, 1.0)) ||
        (rc = amlp_legend_add(p, "Pareto front", amlp_palette(1), AMLP_LEG_LINE, false, 1.0)))
        return rc;
    for (size_t i = 0; i < pt->n; i++)
        amlp_occ_point(p, pt->x[i], pt->y[i]);
    amlp_occ_polyline(p, pt->fx, pt->fy, pt->nf, true);
    amlp_plot_layout(p);
    cairo_t *cr = p->cr;
    cairo_save(cr);
    amlp_clip_plot(p);
    for (size_t i = 0; i < pt->n; i++) {
        dot(cr, p, pt->x[i], pt->y[i], 3.5);
        amlp_set_rgb(cr, amlp_rgb_hex(0x8a8a8a), 0.7);
        cairo_fill(cr);
    }
    draw_front(p, pt);
    cairo_restore(cr);
    return 0;
}

int aml_explain_pareto_plot(const aml_plot_opts *opts, const double *size, const double *score,
                            size_t n, bool higher_better, aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "pareto", "out is NULL");
    *out = NULL;
    pareto_pts pt;
    memset(&pt, 0, sizeof pt);
    int rc = collect(size, score, n, higher_better, &pt);
    if (rc)
        aml_error_set(err, rc, 0, 0, "pareto", "out of memory");
    else if (pt.n == 0)
        rc = aml_error_set(err, AML_EEMPTY, 0, 0, "pareto",
                           "no trial has both a size and a score");
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    if (!o.x_title)
        o.x_title = "weights (log scale)";
    if (!o.y_title)
        o.y_title = "validation score";
    o.x_scale = AML_PLOT_LOG;
    amlp_plot p;
    if (rc == 0 && (rc = amlp_plot_init(&p, &o, err)) == 0) {
        if ((rc = draw(&p, &pt)) == 0)
            rc = amlp_plot_finish(&p, out);
        amlp_plot_done(&p);
    }
    amlp_free(pt.x);
    amlp_free(pt.y);
    amlp_free(pt.fx);
    amlp_free(pt.fy);
    return rc;
}
