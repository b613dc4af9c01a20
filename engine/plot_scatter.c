/* plot_scatter.c — scatter plots.  Markers are splatted straight into the
 * device pixels from pre-rendered anti-aliased discs (4x4 sub-pixel phases)
 * with integer alpha blending in input order: 100k points in a few
 * milliseconds, and the same bytes every time. */
#include "plot_impl.h"

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

static void splat(amlp_plot *p, const aml_plot_scatter_data *d, double alpha, double diam)
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
    for (size_t i = 0; i < d->n; i++) {
        double X = amlp_px_x(p, d->x[i]) * scale, Y = amlp_px_y(p, d->y[i]) * scale;
        double fx = floor(X), fy = floor(Y);
        int ix = (int)fx - half, iy = (int)fy - half;
        int phx = (int)((X - fx) * PHASES), phy = (int)((Y - fy) * PHASES);
        if (ix >= cx1 || iy >= cy1 || ix + sp.size <= cx0 || iy + sp.size <= cy0)
            continue;
        unsigned c = rgb[d->category ? (size_t)d->category[i] % 8 : 0];
        unsigned sr = (c >> 16) & 255, sg = (c >> 8) & 255, sb = c & 255;
        const unsigned char *cov = sp.cov[phy][phx];
        int y0 = iy < cy0 ? cy0 - iy : 0, y1 = iy + sp.size > cy1 ? cy1 - iy : sp.size;
        int x0 = ix < cx0 ? cx0 - ix : 0, x1 = ix + sp.size > cx1 ? cx1 - ix : sp.size;
        for (int y = y0; y < y1; y++) {
            uint32_t *row = (uint32_t *)(void *)(data + (size_t)(iy + y) * (size_t)stride);
            const unsigned char *cr = cov + y * sp.size;
            for (int x = x0; x < x1; x++) {
                unsigned cv = cr[x];
                if (!cv)
                    continue;
                unsigned a = atab[cv], na = 255 - a;
                uint32_t *dp = &row[ix + x];
                uint32_t v = *dp;
                unsigned r = ((v >> 16) & 255) * na + sr * a + 128;
                unsigned g = ((v >> 8) & 255) * na + sg * a + 128;
                unsigned b = (v & 255) * na + sb * a + 128;
                /* round(x / 255) exactly for x <= 255 * 255 (the +128 is above) */
                r = (r + (r >> 8)) >> 8;
                g = (g + (g >> 8)) >> 8;
                b = (b + (b >> 8)) >> 8;
                *dp = (r << 16) | (g << 8) | b;
            }
        }
    }
    cairo_surface_mark_dirty(p->surf);
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
    splat(&p, d, alpha, diam);
    rc = amlp_plot_finish(&p, out);
done:
    amlp_plot_done(&p);
    return rc;
}
