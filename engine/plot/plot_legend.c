/* plot_legend.c — where the data is (a coarse occupancy grid of the plot
 * area, in axis-normalized coordinates so it is known before layout), the
 * legend (size, placement in the least-occupied corner or outside, drawing)
 * and the heatmap colour bar. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define LEG_PAD 7.0
#define LEG_ROW (AMLP_FS_LEGEND * 1.55)
#define LEG_SWATCH 22.0
#define LEG_GAP 6.0
#define LEG_INSET 8.0
#define LEG_TEXT_MAX 190.0

static void occ_mark_norm(amlp_plot *p, double nx, double ny)
{
    if (!(nx >= 0.0 && nx <= 1.0 && ny >= 0.0 && ny <= 1.0))
        return;
    int c = (int)(nx * AMLP_OCC_W);
    int r = (int)((1.0 - ny) * AMLP_OCC_H);
    if (c >= AMLP_OCC_W)
        c = AMLP_OCC_W - 1;
    if (r >= AMLP_OCC_H)
        r = AMLP_OCC_H - 1;
    if (p->occ[r][c] < 255)
        p->occ[r][c]++;
}

void amlp_occ_point(amlp_plot *p, double x, double y)
{
    occ_mark_norm(p, amlp_axis_norm(&p->x, x), amlp_axis_norm(&p->y, y));
}

void amlp_occ_segment(amlp_plot *p, double x0, double y0, double x1, double y1)
{
    double a0 = amlp_axis_norm(&p->x, x0), b0 = amlp_axis_norm(&p->y, y0);
    double a1 = amlp_axis_norm(&p->x, x1), b1 = amlp_axis_norm(&p->y, y1);
    double len = fmax(fabs(a1 - a0) * AMLP_OCC_W, fabs(b1 - b0) * AMLP_OCC_H);
    int steps = (int)fmin(ceil(len * 2.0), 4096.0);
    if (steps < 1)
        steps = 1;
    for (int i = 0; i <= steps; i++) {
        double t = (double)i / steps;
        occ_mark_norm(p, a0 + (a1 - a0) * t, b0 + (b1 - b0) * t);
    }
}

void amlp_occ_rect(amlp_plot *p, double x0, double y0, double x1, double y1)
{
    double a0 = amlp_axis_norm(&p->x, x0), b0 = amlp_axis_norm(&p->y, y0);
    double a1 = amlp_axis_norm(&p->x, x1), b1 = amlp_axis_norm(&p->y, y1);
    double lo_x = fmax(fmin(a0, a1), 0.0), hi_x = fmin(fmax(a0, a1), 1.0);
    double lo_y = fmax(fmin(b0, b1), 0.0), hi_y = fmin(fmax(b0, b1), 1.0);
    if (lo_x > hi_x || lo_y > hi_y)
        return;
    int c0 = (int)(lo_x * AMLP_OCC_W), c1 = (int)(hi_x * AMLP_OCC_W);
    int r0 = (int)((1.0 - hi_y) * AMLP_OCC_H), r1 = (int)((1.0 - lo_y) * AMLP_OCC_H);
    if (c1 >= AMLP_OCC_W)
        c1 = AMLP_OCC_W - 1;
    if (r1 >= AMLP_OCC_H)
        r1 = AMLP_OCC_H - 1;
    for (int r = r0; r <= r1; r++)
        for (int c = c0; c <= c1; c++)
            if (p->occ[r][c] < 255)
                p->occ[r][c]++;
}

static double entry_text_w(amlp_plot *p, const amlp_legend_entry *e, char *buf, size_t cap)
{
    amlp_text_fit(p, e->text, AMLP_FS_LEGEND, false, LEG_TEXT_MAX, buf, cap);
    return amlp_text_w(p, buf, AMLP_FS_LEGEND, false);
}

/* Rows the legend may use: as many as fit between the top of the plot area
 * and the bottom of the chart.  When entries do not fit, the last row says
 * how many were left out. */
static size_t legend_rows(const amlp_plot *p)
{
    bool title = p->o.title && *p->o.title;
    double top = 10.0 + (title ? AMLP_FS_TITLE + 12.0 : AMLP_FS_TICK * 0.5);
    double avail = p->o.height - top - 10.0 - LEG_PAD * 2 - 2.0 + (LEG_ROW - AMLP_FS_LEGEND);
    size_t rows = avail > LEG_ROW ? (size_t)(avail / LEG_ROW) : 1;
    return rows < p->n_leg ? rows : p->n_leg;
}

static void more_text(const amlp_plot *p, size_t rows, char *buf, size_t cap)
{
    snprintf(buf, cap, "+%zu more", p->n_leg - (rows - 1));
}

void amlp_legend_size(amlp_plot *p, double *w, double *h)
{
    double tw = 0.0;
    char buf[256];
    size_t rows = legend_rows(p);
    bool cut = rows < p->n_leg;
    for (size_t i = 0; i < (cut ? rows - 1 : rows); i++) {
        double t = entry_text_w(p, &p->leg[i], buf, sizeof buf);
        if (t > tw)
            tw = t;
    }
    if (cut) {
        more_text(p, rows, buf, sizeof buf);
        tw = fmax(tw, amlp_text_w(p, buf, AMLP_FS_LEGEND, false));
    }
    *w = rows ? ceil(LEG_PAD * 2 + LEG_SWATCH + LEG_GAP + tw) : 0.0;
    *h = rows ? ceil(LEG_PAD * 2 + LEG_ROW * (double)rows - (LEG_ROW - AMLP_FS_LEGEND) + 2.0) : 0.0;
}

int amlp_legend_place_inside(amlp_plot *p)
{
    double w, h;
    amlp_legend_size(p, &w, &h);
    p->leg_w = w;
    p->leg_h = h;
    double pw = p->px1 - p->px0, ph = p->py1 - p->py0;
    /* matplotlib's order of preference: upper right, upper left, lower left, lower right */
    const double cx[4] = { p->px1 - LEG_INSET - w, p->px0 + LEG_INSET,
                           p->px0 + LEG_INSET, p->px1 - LEG_INSET - w };
    const double cy[4] = { p->py0 + LEG_INSET, p->py0 + LEG_INSET,
                           p->py1 - LEG_INSET - h, p->py1 - LEG_INSET - h };
    int best = -1, best_n = 0;
    for (int k = 0; k < 4; k++) {
        /* the cells under the box and a small margin around it */
        int c0 = (int)floor((cx[k] - p->px0 - 4.0) / pw * AMLP_OCC_W);
        int c1 = (int)floor((cx[k] + w - p->px0 + 4.0) / pw * AMLP_OCC_W);
        int r0 = (int)floor((cy[k] - p->py0 - 4.0) / ph * AMLP_OCC_H);
        int r1 = (int)floor((cy[k] + h - p->py0 + 4.0) / ph * AMLP_OCC_H);
        int n = 0;
        for (int r = r0 < 0 ? 0 : r0; r <= r1 && r < AMLP_OCC_H; r++)
            for (int c = c0 < 0 ? 0 : c0; c <= c1 && c < AMLP_OCC_W; c++)
                n += p->occ[r][c];
        if (w > pw - 2 * LEG_INSET || h > ph - 2 * LEG_INSET)
            n += 1000000;
        if (best < 0 || n < best_n) {
            best = k;
            best_n = n;
        }
    }
    p->leg_x = round(cx[best]);
    p->leg_y = round(cy[best]);
    return best_n;
}

void amlp_legend_draw(amlp_plot *p)
{
    if (!p->n_leg)
        return;
    cairo_t *cr = p->cr;
    double w, h;
    amlp_legend_size(p, &w, &h);
    double x = p->leg_x, y = p->leg_y;
    if (p->legend_right) {
        /* against the right edge: extra room the layout left for the last x
         * tick label stays between the plot and the legend */
        x = p->o.width - 10.0 - w;
        y = p->py0;
    }
    cairo_save(cr);
    /* white box with a light border, slightly translucent over data */
    double r = 3.0;
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 1.5 * M_PI);
    cairo_close_path(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, p->legend_right ? 1.0 : 0.88);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.82, 0.82, 0.82);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    char buf[256];
    size_t rows = legend_rows(p);
    bool cut = rows < p->n_leg;
    for (size_t i = 0; i < rows; i++) {
        const amlp_legend_entry *e = &p->leg[i];
        double cy = y + LEG_PAD + 1.0 + AMLP_FS_LEGEND * 0.5 + LEG_ROW * (double)i;
        double sx = x + LEG_PAD;
        if (cut && i == rows - 1) {
            more_text(p, rows, buf, sizeof buf);
            amlp_text(p, buf, sx + LEG_SWATCH + LEG_GAP, cy, AMLP_FS_LEGEND, false, 0.0, 0.5,
                      0.0, amlp_rgb_hex(0x666666));
            break;
        }
        switch (e->kind) {
        case AMLP_LEG_LINE:
            cairo_set_line_width(cr, 2.0);
            if (e->dashed) {
                const double d[2] = { 4.0, 2.5 };
                cairo_set_dash(cr, d, 2, 0.0);
            }
            cairo_move_to(cr, sx, cy);
            cairo_line_to(cr, sx + LEG_SWATCH, cy);
            amlp_set_rgb(cr, e->color, 1.0);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0.0);
            break;
        case AMLP_LEG_PATCH:
            cairo_rectangle(cr, sx + 3.0, cy - 5.0, LEG_SWATCH - 6.0, 10.0);
            amlp_set_rgb(cr, e->color, e->alpha);
            cairo_fill_preserve(cr);
            amlp_set_rgb(cr, e->color, 1.0);
            cairo_set_line_width(cr, 1.0);
            cairo_stroke(cr);
            break;
        case AMLP_LEG_MARKER:
            cairo_arc(cr, sx + LEG_SWATCH / 2, cy, 4.0, 0, 2 * M_PI);
            amlp_set_rgb(cr, e->color, 1.0);
            cairo_fill(cr);
            break;
        }
        entry_text_w(p, e, buf, sizeof buf);
        amlp_text(p, buf, sx + LEG_SWATCH + LEG_GAP, cy, AMLP_FS_LEGEND, false, 0.0, 0.5,
                  0.0, amlp_rgb_hex(0x222222));
    }
    cairo_restore(cr);
}

void amlp_colorbar_draw(amlp_plot *p)
{
    cairo_t *cr = p->cr;
    double x = p->px1 + 16.0, w = 14.0;
    double y0 = p->py0, y1 = p->py1;
    cairo_save(cr);
    /* gradient from many thin bands: exact colours of the map, no banding */
    int bands = (int)((y1 - y0) * p->o.scale);
    for (int i = 0; i < bands; i++) {
        double t = (i + 0.5) / bands;
        amlp_set_rgb(cr, p->cbar.cmap(t), 1.0);
        double ya = y1 - (y1 - y0) * (double)(i + 1) / bands;
        double yb = y1 - (y1 - y0) * (double)i / bands;
        cairo_rectangle(cr, x, ya, w, yb - ya + 0.01);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, x - 0.5, y0 - 0.5, w + 1.0, y1 - y0 + 1.0);
    cairo_stroke(cr);
    const amlp_axis *a = &p->cb;
    double span = a->hi - a->lo;
    amlp_rgb lc = amlp_rgb_hex(0x333333);
    for (size_t i = 0; i < a->n_ticks; i++) {
        double t = span > 0 ? (a->ticks[i] - a->lo) / span : 0.5;
        double y = round(y1 - t * (y1 - y0));
        cairo_move_to(cr, x + w + 0.5, y);
        cairo_line_to(cr, x + w + 0.5 + 4.0, y);
        cairo_stroke(cr);
        amlp_text(p, a->labels[i], x + w + 4.0 + 3.0, y, AMLP_FS_TICK, false, 0.0, 0.5,
                  0.0, lc);
    }
    if (p->cbar.title)
        amlp_text(p, p->cbar.title, p->o.width - 10.0 - AMLP_FS_AXIS * 0.73, (y0 + y1) / 2,
                  AMLP_FS_AXIS, false, 0.5, 0.0, 90.0, lc);
    cairo_restore(cr);
}
