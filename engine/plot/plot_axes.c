/* plot_axes.c — axis ranges, the layout of a chart (margins from the sizes of
 * tick labels, titles, legend and colour bar; tick counts chosen so labels
 * never overlap, category labels rotated or thinned), the data-to-pixel
 * mapping, grid lines, and the axes drawn over the data. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PAD 10.0
#define TICK_LEN 4.0
#define TICK_GAP 3.0
#define CAT_LABEL_MAX 130.0
#define GRID_RGB 0xE3E3E3
#define AXIS_RGB 0x555555
#define LABEL_RGB 0x333333

static double tr(const amlp_axis *a, double v)
{
    if (a->kind == AMLP_AXIS_NUMERIC && a->scale == AML_PLOT_LOG)
        return v > 0 ? log10(v) : -300.0;
    return v;
}

void amlp_axis_numeric(amlp_axis *a, double dlo, double dhi, aml_plot_scale scale,
                       double pad_frac, double opt_lo, double opt_hi)
{
    memset(a, 0, sizeof *a);
    a->kind = AMLP_AXIS_NUMERIC;
    a->scale = scale;
    a->thin = 1;
    if (!isnan(opt_lo))
        dlo = isnan(opt_hi) ? fmin(dlo, opt_lo) : opt_lo;
    if (!isnan(opt_hi))
        dhi = isnan(opt_lo) ? fmax(dhi, opt_hi) : opt_hi;
    if (scale == AML_PLOT_LOG) {
        double l0 = log10(dlo), l1 = log10(dhi);
        if (l1 - l0 < 1e-12) {
            l0 -= 0.5;
            l1 += 0.5;
        }
        double pad = (l1 - l0) * pad_frac;
        a->lo = pow(10.0, l0 - (isnan(opt_lo) ? pad : 0.0));
        a->hi = pow(10.0, l1 + (isnan(opt_hi) ? pad : 0.0));
    } else {
        if (dhi - dlo <= fabs(dhi) * 1e-12) {
            double d = dlo != 0.0 ? fabs(dlo) * 0.1 : 1.0;
            dlo -= d;
            dhi += d;
        }
        double pad = (dhi - dlo) * pad_frac;
        a->lo = dlo - (isnan(opt_lo) ? pad : 0.0);
        a->hi = dhi + (isnan(opt_hi) ? pad : 0.0);
    }
    if (!isnan(opt_lo))
        a->lo = opt_lo;
    if (!isnan(opt_hi))
        a->hi = opt_hi;
}

void amlp_axis_category(amlp_axis *a, const char *const *cats, size_t n, bool reversed)
{
    memset(a, 0, sizeof *a);
    a->kind = AMLP_AXIS_CATEGORY;
    a->cats = cats;
    a->n_cats = n;
    a->lo = -0.5;
    a->hi = (double)n - 0.5;
    a->reversed = reversed;
    a->thin = 1;
}

int amlp_check_range(amlp_plot *p, const char *axis, aml_plot_scale scale,
                     double dlo, double dhi)
{
    if (scale != AML_PLOT_LOG)
        return 0;
    if (!(dlo > 0.0))
        return aml_error_set(p->err, AML_ERANGE, 0, 0, axis,
                             "log scale on %s needs positive data (minimum is %g)", axis, dlo);
    double lo = axis[0] == 'x' ? p->o.x_min : p->o.y_min;
    double hi = axis[0] == 'x' ? p->o.x_max : p->o.y_max;
    if ((!isnan(lo) && !(lo > 0.0)) || (!isnan(hi) && !(hi > 0.0)))
        return aml_error_set(p->err, AML_ERANGE, 0, 0, axis,
                             "log scale on %s needs positive limits", axis);
    (void)dhi;
    return 0;
}

double amlp_axis_norm(const amlp_axis *a, double v)
{
    double t0 = tr(a, a->lo), t1 = tr(a, a->hi);
    double t = (tr(a, v) - t0) / (t1 - t0);
    return a->reversed ? 1.0 - t : t;
}

static double clampd(double v)
{
    /* keep far-off points representable for cairo's fixed-point coordinates */
    return v < -1e5 ? -1e5 : (v > 1e5 ? 1e5 : v);
}

double amlp_px_x(const amlp_plot *p, double v)
{
    return clampd(p->px0 + amlp_axis_norm(&p->x, v) * (p->px1 - p->px0));
}

double amlp_px_y(const amlp_plot *p, double v)
{
    return clampd(p->py1 - amlp_axis_norm(&p->y, v) * (p->py1 - p->py0));
}

void amlp_clip_plot(amlp_plot *p)
{
    cairo_rectangle(p->cr, p->px0, p->py0, p->px1 - p->px0, p->py1 - p->py0);
    cairo_clip(p->cr);
}

/* Ticks and labels of a numeric axis `len` px long: as many as fit without
 * labels touching (horizontal: by label width; vertical: by line height). */
static void numeric_ticks(amlp_plot *p, amlp_axis *a, double len, bool horiz)
{
    int mt = (int)(len / (horiz ? 55.0 : 30.0));
    if (mt > AMLP_PLOT_MAX_TICKS)
        mt = AMLP_PLOT_MAX_TICKS;
    if (mt < 2)
        mt = 2;
    for (; mt >= 2; mt--) {
        if (a->scale == AML_PLOT_LOG)
            a->n_ticks = amlp_ticks_log(a->lo, a->hi, mt, a->ticks, AMLP_PLOT_MAX_TICKS);
        else
            a->n_ticks = amlp_ticks_linear(a->lo, a->hi, mt, a->ticks, AMLP_PLOT_MAX_TICKS,
                                           NULL);
        amlp_format_ticks(a->ticks, a->n_ticks, a->scale == AML_PLOT_LOG, a->percent,
                          a->labels);
        a->max_label_w = 0.0;
        for (size_t i = 0; i < a->n_ticks; i++) {
            a->label_w[i] = amlp_text_w(p, a->labels[i], AMLP_FS_TICK, false);
            if (a->label_w[i] > a->max_label_w)
                a->max_label_w = a->label_w[i];
        }
        bool fits = true;
        for (size_t i = 1; i < a->n_ticks && fits; i++) {
            double gap = fabs(amlp_axis_norm(a, a->ticks[i]) - amlp_axis_norm(a, a->ticks[i - 1])) * len;
            double need = horiz ? (a->label_w[i] + a->label_w[i - 1]) / 2.0 + 12.0
                                : AMLP_FS_TICK + 8.0;
            if (gap < need)
                fits = false;
        }
        if (fits)
            break;
    }
}

static void category_ticks(amlp_plot *p, amlp_axis *a, double len, bool horiz)
{
    size_t n = a->n_cats;
    if (n > AMLP_PLOT_MAX_TICKS) {
        /* thin first so that at most AMLP_PLOT_MAX_TICKS labels are laid out */
        a->thin = (n + AMLP_PLOT_MAX_TICKS - 1) / AMLP_PLOT_MAX_TICKS;
    }
    double slot = len / (double)n;
    /* horizontal x labels may use their whole slot; labels that do not fit
     * are rotated rather than cut, and only cut beyond CAT_LABEL_MAX */
    double maxw = horiz ? fmax(CAT_LABEL_MAX, slot * (double)a->thin - 8.0)
                        : fmin(CAT_LABEL_MAX, p->o.width * 0.3);
    a->max_label_w = 0.0;
    a->n_ticks = 0;
    a->rotate = 0;
    for (int pass = 0; pass < 2; pass++) {
        a->n_ticks = 0;
        a->max_label_w = 0.0;
        for (size_t i = 0; i < n && a->n_ticks < AMLP_PLOT_MAX_TICKS; i += a->thin) {
            char num[32];
            const char *s = a->cats && a->cats[i] ? a->cats[i] : NULL;
            if (!a->cats) {
                snprintf(num, sizeof num, "%zu", i);
                s = num;
            }
            size_t k = a->n_ticks++;
            a->ticks[k] = (double)i;
            amlp_text_fit(p, s ? s : "", AMLP_FS_TICK, false, maxw, a->labels[k],
                          AMLP_PLOT_LABEL_LEN);
            a->label_w[k] = amlp_text_w(p, a->labels[k], AMLP_FS_TICK, false);
            if (a->label_w[k] > a->max_label_w)
                a->max_label_w = a->label_w[k];
        }
        if (!horiz) {
            double need = AMLP_FS_TICK + 3.0;
            if (slot * (double)a->thin < need) {
                a->thin = (size_t)ceil(need / slot);
                continue;
            }
            break;
        }
        if (a->max_label_w + 8.0 <= slot * (double)a->thin)
            break;
        /* rotate 45 degrees; consecutive labels need about 1.6 line heights apart */
        if (pass == 0) {
            a->rotate = 45;
            maxw = CAT_LABEL_MAX;
            double need = AMLP_FS_TICK * 1.6;
            if (slot * (double)a->thin < need)
                a->thin = (size_t)ceil(need / slot);
            continue;
        }
    }
}

static void axis_ticks(amlp_plot *p, amlp_axis *a, double len, bool horiz)
{
    if (a->kind == AMLP_AXIS_CATEGORY)
        category_ticks(p, a, len, horiz);
    else
        numeric_ticks(p, a, len, horiz);
}

/* Vertical room the x tick labels take below the axis. */
static double x_label_extent(const amlp_axis *a)
{
    if (a->rotate)
        return a->max_label_w * M_SQRT1_2 + AMLP_FS_TICK * 0.75 * M_SQRT1_2 + 2.0;
    return AMLP_FS_TICK * 0.98;
}

static void legend_box(amlp_plot *p, double *w, double *h)
{
    *w = *h = 0.0;
    if (p->o.legend != AML_PLOT_LEGEND_NONE && p->n_leg)
        amlp_legend_size(p, w, h);
}

static void compute_layout(amlp_plot *p)
{
    double W = p->o.width, H = p->o.height;
    bool title = p->o.title && *p->o.title;
    double top = PAD + (title ? AMLP_FS_TITLE + 12.0 : AMLP_FS_TICK * 0.5);
    double lw, lh;
    legend_box(p, &lw, &lh);
    double right = PAD + 4.0;
    if (p->legend_right)
        right = PAD + lw + 14.0;
    if (p->cbar.on) {
        p->cb.kind = AMLP_AXIS_NUMERIC;
        p->cb.scale = AML_PLOT_LINEAR;
        p->cb.lo = p->cbar.lo;
        p->cb.hi = p->cbar.hi;
        p->cb.percent = p->cbar.percent;
        numeric_ticks(p, &p->cb, fmax(H - top - 60.0, 40.0), false);
        right = PAD + 16.0 + 14.0 + TICK_LEN + TICK_GAP + p->cb.max_label_w +
                (p->cbar.title ? AMLP_FS_AXIS + 10.0 : 0.0);
    }
    const double base_right = right;
    double bottom = PAD + TICK_LEN + TICK_GAP + AMLP_FS_TICK +
                    (p->x.title ? AMLP_FS_AXIS + 10.0 : 0.0);
    double left = PAD;
    for (int it = 0; it < 3; it++) {
        double ph = H - top - bottom;
        if (ph < 20.0)
            ph = 20.0;
        axis_ticks(p, &p->y, ph, false);
        left = PAD + (p->y.title ? AMLP_FS_AXIS + 10.0 : 0.0) + p->y.max_label_w +
               (p->y.hide_ticks ? TICK_GAP + 2.0 : TICK_LEN + TICK_GAP);
        double pw = W - left - right;
        if (pw < 20.0)
            pw = 20.0;
        axis_ticks(p, &p->x, pw, true);
        bottom = PAD + (p->x.hide_ticks ? TICK_GAP + 2.0 : TICK_LEN + TICK_GAP) +
                 x_label_extent(&p->x) + (p->x.title ? AMLP_FS_AXIS + 10.0 : 0.0);
        /* the last x label is centred on its tick: it must neither be cut off
         * nor run under the legend or colour bar */
        if (p->x.n_ticks && !p->x.rotate) {
            double half = p->x.label_w[p->x.n_ticks - 1] / 2.0;
            double pos = amlp_axis_norm(&p->x, p->x.ticks[p->x.n_ticks - 1]);
            double over = half + 2.0 - (1.0 - pos) * pw;
            double room = (p->legend_right || p->cbar.on) ? 12.0 : base_right - PAD;
            right = base_right + (over > room ? over - room : 0.0);
        }
    }
    /* rotated labels hang to the left of their tick: keep the first on canvas */
    if (p->x.rotate && p->x.n_ticks) {
        double need = p->x.label_w[0] * M_SQRT1_2 + 4.0 -
                      amlp_axis_norm(&p->x, p->x.ticks[0]) * (W - left - right);
        if (need > left)
            left = need;
    }
    p->px0 = round(left);
    p->px1 = round(W - right);
    p->py0 = round(top);
    p->py1 = round(H - bottom);
    if (p->px1 - p->px0 < 20.0)
        p->px1 = p->px0 + 20.0;
    if (p->py1 - p->py0 < 20.0)
        p->py1 = p->py0 + 20.0;
    if (p->x.rotate == 0 && p->x.kind == AMLP_AXIS_CATEGORY)
        axis_ticks(p, &p->x, p->px1 - p->px0, true);
}

static void draw_grid(amlp_plot *p)
{
    cairo_t *cr = p->cr;
    cairo_save(cr);
    amlp_set_rgb(cr, amlp_rgb_hex(GRID_RGB), 1.0);
    cairo_set_line_width(cr, 1.0);
    if (p->x.kind == AMLP_AXIS_NUMERIC && !p->x.hide_ticks)
        for (size_t i = 0; i < p->x.n_ticks; i++) {
            double x = round(amlp_px_x(p, p->x.ticks[i]));
            cairo_move_to(cr, x, p->py0);
            cairo_line_to(cr, x, p->py1);
        }
    if (p->y.kind == AMLP_AXIS_NUMERIC && !p->y.hide_ticks)
        for (size_t i = 0; i < p->y.n_ticks; i++) {
            double y = round(amlp_px_y(p, p->y.ticks[i]));
            cairo_move_to(cr, p->px0, y);
            cairo_line_to(cr, p->px1, y);
        }
    cairo_stroke(cr);
    cairo_restore(cr);
}

int amlp_plot_layout(amlp_plot *p)
{
    p->legend_right = p->o.legend == AML_PLOT_LEGEND_RIGHT && p->n_leg > 0;
    compute_layout(p);
    if (p->n_leg && (p->o.legend == AML_PLOT_LEGEND_AUTO ||
                     p->o.legend == AML_PLOT_LEGEND_INSIDE)) {
        int occupied = amlp_legend_place_inside(p);
        double lw, lh;
        legend_box(p, &lw, &lh);
        /* outside only when the plot keeps at least 60% of the width */
        if (occupied > 0 && p->o.legend == AML_PLOT_LEGEND_AUTO &&
            lw + 14.0 + PAD <= 0.4 * p->o.width) {
            p->legend_right = true;
            compute_layout(p);
        }
    }
    if (p->o.grid)
        draw_grid(p);
    return 0;
}

/* Unlabelled minor ticks at 2..9 x 10^k on a log axis spanning few decades. */
static void log_minor_ticks(amlp_plot *p, const amlp_axis *a, bool horiz)
{
    if (a->kind != AMLP_AXIS_NUMERIC || a->scale != AML_PLOT_LOG || a->hide_ticks)
        return;
    double l0 = log10(a->lo), l1 = log10(a->hi);
    if (l1 - l0 > 6.0)
        return;
    cairo_t *cr = p->cr;
    for (int d = (int)floor(l0); d <= (int)ceil(l1); d++)
        for (int k = 2; k <= 9; k++) {
            double v = k * pow(10.0, d);
            if (v < a->lo || v > a->hi)
                continue;
            if (horiz) {
                double x = round(amlp_px_x(p, v));
                cairo_move_to(cr, x, p->py1);
                cairo_line_to(cr, x, p->py1 + TICK_LEN * 0.6);
            } else {
                double y = round(amlp_px_y(p, v));
                cairo_move_to(cr, p->px0, y);
                cairo_line_to(cr, p->px0 - TICK_LEN * 0.6, y);
            }
        }
    cairo_stroke(cr);
}

static void draw_x_axis(amlp_plot *p)
{
    cairo_t *cr = p->cr;
    amlp_axis *a = &p->x;
    amlp_rgb lc = amlp_rgb_hex(LABEL_RGB);
    double y = p->py1;
    double ly = y + (a->hide_ticks ? TICK_GAP + 2.0 : TICK_LEN + TICK_GAP);
    cairo_set_line_width(cr, 1.0);
    amlp_set_rgb(cr, amlp_rgb_hex(AXIS_RGB), 1.0);
    for (size_t i = 0; i < a->n_ticks && !a->hide_ticks; i++) {
        double x = round(amlp_px_x(p, a->ticks[i]));
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x, y + TICK_LEN);
    }
    cairo_stroke(cr);
    log_minor_ticks(p, a, true);
    for (size_t i = 0; i < a->n_ticks; i++) {
        double x = amlp_px_x(p, a->ticks[i]);
        if (a->rotate)
            amlp_text(p, a->labels[i], x + 3.0, ly + 1.0, AMLP_FS_TICK, false, 1.0, 0.0,
                      a->rotate, lc);
        else
            amlp_text(p, a->labels[i], x, ly, AMLP_FS_TICK, false, 0.5, 0.0, 0.0, lc);
    }
    if (a->title) {
        char buf[256];
        amlp_text_fit(p, a->title, AMLP_FS_AXIS, false, p->o.width - 2 * PAD, buf, sizeof buf);
        double cx = (p->px0 + p->px1) / 2.0;
        double w = amlp_text_w(p, buf, AMLP_FS_AXIS, false);
        if (cx + w / 2 > p->o.width - PAD)
            cx = p->o.width - PAD - w / 2;
        amlp_text(p, buf, cx, p->o.height - PAD - 0.24 * AMLP_FS_AXIS, AMLP_FS_AXIS,
                  false, 0.5, 1.0, 0.0, lc);
    }
}

static void draw_y_axis(amlp_plot *p)
{
    cairo_t *cr = p->cr;
    amlp_axis *a = &p->y;
    amlp_rgb lc = amlp_rgb_hex(LABEL_RGB);
    double x = p->px0;
    double lx = x - (a->hide_ticks ? TICK_GAP + 2.0 : TICK_LEN + TICK_GAP);
    cairo_set_line_width(cr, 1.0);
    amlp_set_rgb(cr, amlp_rgb_hex(AXIS_RGB), 1.0);
    for (size_t i = 0; i < a->n_ticks && !a->hide_ticks; i++) {
        double y = round(amlp_px_y(p, a->ticks[i]));
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x - TICK_LEN, y);
    }
    cairo_stroke(cr);
    log_minor_ticks(p, a, false);
    for (size_t i = 0; i < a->n_ticks; i++)
        amlp_text(p, a->labels[i], lx, amlp_px_y(p, a->ticks[i]), AMLP_FS_TICK, false,
                  1.0, 0.5, 0.0, lc);
    if (a->title) {
        char buf[256];
        amlp_text_fit(p, a->title, AMLP_FS_AXIS, false, p->o.height - 2 * PAD, buf, sizeof buf);
        double cy = (p->py0 + p->py1) / 2.0;
        double w = amlp_text_w(p, buf, AMLP_FS_AXIS, false);
        if (cy + w / 2 > p->o.height - PAD)
            cy = p->o.height - PAD - w / 2;
        if (cy - w / 2 < PAD)
            cy = PAD + w / 2;
        amlp_text(p, buf, PAD, cy, AMLP_FS_AXIS, false, 0.5, 0.0, 90.0, lc);
    }
}

void amlp_axes_draw(amlp_plot *p)
{
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_set_line_width(cr, 1.0);
    amlp_set_rgb(cr, amlp_rgb_hex(AXIS_RGB), 1.0);
    if (!p->x.hide_ticks) {
        /* left and bottom spines, half a pixel outside the plot area */
        cairo_move_to(cr, p->px0 - 0.5, p->py0);
        cairo_line_to(cr, p->px0 - 0.5, p->py1 + 0.5);
        cairo_line_to(cr, p->px1, p->py1 + 0.5);
        cairo_stroke(cr);
    }
    draw_x_axis(p);
    draw_y_axis(p);
    cairo_restore(cr);
}
