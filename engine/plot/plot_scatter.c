/* plot_scatter.c — scatter plots.  Markers are splatted straight into the
 * device pixels from pre-rendered anti-aliased discs (4x4 sub-pixel phases)
 * with integer alpha blending in input order, band by band of device rows
 * so the frame buffer stays in cache: 100k points in a few milliseconds, and
 * the same bytes every time. */

#include "plot/plot_internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PHASES 4
#define SPRITE_MAX 40

aml_plot_scatter_data aml_plot_scatter_data_default(void)
{
    aml_plot_scatter_data d;
    memset(&d, 0, sizeof d);
    return d;
}

typedef struct sprites {
    int size;                   /* sprite is size x size device pixels */
    unsigned char cov[PHASES][PHASES][SPRITE_MAX * SPRITE_MAX];
} sprites;

/* Coverage of a disc of radius r (device px) centred at (size/2 + phase/PHASES)
 * over each pixel, by 4x4 supersampling. */
static void make_sprites(sprites *s, double r)
{
    int size = (int)ceil(2.0 * r + 1.0);
    if (size > SPRITE_MAX)
        size = SPRITE_MAX;
    s->size = size;
    for (int py = 0; py < PHASES; py++)
        for (int px = 0; px < PHASES; px++) {
            double cx = size / 2 + (double)px / PHASES, cy = size / 2 + (double)py / PHASES;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    int hits = 0;
                    for (int sy = 0; sy < 4; sy++)
                        for (int sx = 0; sx < 4; sx++) {
                            double dx = x + (sx + 0.5) / 4.0 - cx;
                            double dy = y + (sy + 0.5) / 4.0 - cy;
                            hits += dx * dx + dy * dy <= r * r;
                        }
                    s->cov[py][px][y * size + x] = (unsigned char)((hits * 255 + 8) / 16);
                }
        }
}

typedef struct splat_pt {
    int ix, iy;                 /* sprite origin, device px */
    unsigned char phx, phy, col;
} splat_pt;

#define BAND 16                 /* device rows per band (a band stays in cache) */

/* Blend the rows [r0, r1) of one point's sprite. */
static inline void blend_rows(unsigned char *data, int stride, const sprites *sp,
                              const splat_pt *q, int r0, int r1, int cx0, int cx1,
                              const unsigned *rgb, const unsigned char *atab)
{
    uint32_t c = rgb[q->col];
    uint32_t srb = c & 0xFF00FFu, sg = (c >> 8) & 255u;
    const unsigned char *cov = sp->cov[q->phy][q->phx];
    int x0 = q->ix < cx0 ? cx0 - q->ix : 0;
    int x1 = q->ix + sp->size > cx1 ? cx1 - q->ix : sp->size;
    for (int yy = r0; yy < r1; yy++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)yy * (size_t)stride);
        const unsigned char *cr = cov + (yy - q->iy) * sp->size;
        for (int x = x0; x < x1; x++) {
            unsigned cv = cr[x];
            if (!cv)
                continue;
            uint32_t a = atab[cv], na = 255 - a;
            uint32_t *dp = &row[q->ix + x];
            uint32_t v = *dp;
            /* red and blue in two 16-bit lanes of one word, green apart; each
             * lane is round((dst * (255 - a) + src * a) / 255) exactly:
             * (t + (t >> 8)) >> 8 with t = x + 128, x <= 255 * 255 */
            uint32_t rb = (v & 0xFF00FFu) * na + srb * a + 0x800080u;
            rb = ((rb + ((rb >> 8) & 0xFF00FFu)) >> 8) & 0xFF00FFu;
            uint32_t g = ((v >> 8) & 255u) * na + sg * a + 128u;
            g = (g + (g >> 8)) >> 8;
            *dp = rb | (g << 8);
        }
    }
}

/* Points are blended band by band of device rows; each band lists the points
 * touching it in input order, so every pixel still sees the points in input
 * order (the same bytes as a plain loop) while the band stays in cache. */
static int splat(amlp_plot *p, const aml_plot_scatter_data *d, double alpha, double diam)
{
    sprites sp;
    double scale = p->o.scale;
    make_sprites(&sp, diam * scale / 2.0);
    cairo_surface_flush(p->surf);
    unsigned char *data = cairo_image_surface_get_data(p->surf);
    int stride = cairo_image_surface_get_stride(p->surf);
    int cx0 = (int)lround(p->px0 * scale), cx1 = (int)lround(p->px1 * scale);
    int cy0 = (int)lround(p->py0 * scale), cy1 = (int)lround(p->py1 * scale);
    unsigned a255 = (unsigned)lround(alpha * 255.0);
    int half = sp.size / 2;
    unsigned char atab[256];
    for (unsigned cv = 0; cv < 256; cv++)
        atab[cv] = (unsigned char)((cv * a255 + 127) / 255);
    unsigned rgb[8];
    for (int k = 0; k < 8; k++) {
        amlp_rgb c = amlp_palette(k);
        rgb[k] = ((unsigned)lround(c.r * 255) << 16) | ((unsigned)lround(c.g * 255) << 8) |
                 (unsigned)lround(c.b * 255);
    }
    size_t nb = (size_t)((cy1 - cy0 + BAND - 1) / BAND);
    splat_pt *pts = amlp_malloc(d->n * sizeof *pts);
    size_t *start = amlp_calloc(nb + 1, sizeof *start);
    uint32_t *list = NULL;
    int rc = 0;
    if (!pts || !start) {
        rc = aml_error_set(p->err, AML_ENOMEM, 0, 0, "scatter", "out of memory");
        goto done;
    }
    size_t m = 0, total = 0;
    for (size_t i = 0; i < d->n; i++) {
        double X = amlp_px_x(p, d->x[i]) * scale, Y = amlp_px_y(p, d->y[i]) * scale;
        double fx = floor(X), fy = floor(Y);
        int ix = (int)fx - half, iy = (int)fy - half;
        if (ix >= cx1 || iy >= cy1 || ix + sp.size <= cx0 || iy + sp.size <= cy0)
            continue;
        splat_pt *q = &pts[m++];
        q->ix = ix;
        q->iy = iy;
        q->phx = (unsigned char)((X - fx) * PHASES);
        q->phy = (unsigned char)((Y - fy) * PHASES);
        q->col = (unsigned char)(d->category ? (size_t)d->category[i] % 8 : 0);
        int r0 = iy < cy0 ? cy0 : iy, r1 = iy + sp.size > cy1 ? cy1 : iy + sp.size;
        for (int b = (r0 - cy0) / BAND; b <= (r1 - 1 - cy0) / BAND; b++) {
            start[b + 1]++;
            total++;
        }
    }
    for (size_t b = 0; b < nb; b++)
        start[b + 1] += start[b];
    list = amlp_malloc((total ? total : 1) * sizeof *list);
    if (!list) {
        rc = aml_error_set(p->err, AML_ENOMEM, 0, 0, "scatter", "out of memory");
        goto done;
    }
    /* fill each band's list in input order; start[b] runs up to the next band */
    for (size_t k = 0; k < m; k++) {
        const splat_pt *q = &pts[k];
        int r0 = q->iy < cy0 ? cy0 : q->iy, r1 = q->iy + sp.size > cy1 ? cy1 : q->iy + sp.size;
        for (int b = (r0 - cy0) / BAND; b <= (r1 - 1 - cy0) / BAND; b++)
            list[start[b]++] = (uint32_t)k;
    }
    size_t from = 0;
    for (size_t b = 0; b < nb; b++) {
        int b0 = cy0 + (int)b * BAND, b1 = b0 + BAND > cy1 ? cy1 : b0 + BAND;
        for (size_t e = from; e < start[b]; e++) {
            const splat_pt *q = &pts[list[e]];
            int r0 = q->iy < b0 ? b0 : q->iy;
            int r1 = q->iy + sp.size > b1 ? b1 : q->iy + sp.size;
            blend_rows(data, stride, &sp, q, r0, r1, cx0, cx1, rgb, atab);
        }
        from = start[b];
    }
done:
    cairo_surface_mark_dirty(p->surf);
    amlp_free(pts);
    amlp_free(start);
    amlp_free(list);
    return rc;
}

int aml_plot_scatter(const aml_plot_opts *opts, const aml_plot_scatter_data *d,
                     aml_plot_image **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "out is NULL");
    *out = NULL;
    if (!d)
        return aml_error_set(err, AML_EINVAL, 0, 0, "scatter", "data is NULL");
    if (d->n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "scatter", "no points");
    int rc;
    if ((rc = amlp_check_finite(err, "x", d->x, d->n)) ||
        (rc = amlp_check_finite(err, "y", d->y, d->n)))
        return rc;
    if (d->category) {
        if (d->n_categories == 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, "category",
                                 "category codes given but n_categories is 0");
        if ((rc = amlp_check_codes(err, "category", d->category, d->n, d->n_categories)))
            return rc;
    }
    if (isnan(d->alpha) || d->alpha > 1.0 || isnan(d->marker_size) || d->marker_size > 40.0)
        return aml_error_set(err, AML_ERANGE, 0, 0, "scatter",
                             "alpha must be in (0, 1] and marker_size at most 40");
    double n = (double)d->n;
    double alpha = d->alpha > 0 ? d->alpha : fmin(0.85, fmax(0.08, 30.0 / sqrt(n)));
    double diam = d->marker_size > 0 ? d->marker_size
                                     : fmin(6.0, fmax(3.0, 6.0 - 1.5 * log10(n / 1000.0)));
    double xlo, xhi, ylo, yhi;
    amlp_minmax(d->x, d->n, &xlo, &xhi);
    amlp_minmax(d->y, d->n, &ylo, &yhi);
    amlp_plot p;
    if ((rc = amlp_plot_init(&p, opts, err)))
        return rc;
    if ((rc = amlp_check_range(&p, "x", p.o.x_scale, xlo, xhi)) ||
        (rc = amlp_check_range(&p, "y", p.o.y_scale, ylo, yhi)))
        goto done;
    amlp_axis_numeric(&p.x, xlo, xhi, p.o.x_scale, 0.04, p.o.x_min, p.o.x_max);
    amlp_axis_numeric(&p.y, ylo, yhi, p.o.y_scale, 0.05, p.o.y_min, p.o.y_max);
    p.x.title = p.o.x_title;
    p.y.title = p.o.y_title;
    if (d->category)
        for (size_t k = 0; k < d->n_categories; k++) {
            char num[32];
            const char *name = d->category_names && d->category_names[k]
                                   ? d->category_names[k] : NULL;
            if (!name) {
                snprintf(num, sizeof num, "%zu", k);
                name = num;
            }
            if ((rc = amlp_legend_add(&p, name, amlp_palette((int)(k % 8)), AMLP_LEG_MARKER,
                                      false, 1.0)))
                goto done;
        }
    for (size_t i = 0; i < d->n; i++)
        amlp_occ_point(&p, d->x[i], d->y[i]);
    amlp_plot_layout(&p);
    if ((rc = splat(&p, d, alpha, diam)) == 0)
        rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    return rc;
}
