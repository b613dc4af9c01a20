/* plot_images.c — a grid of small images with row labels on the left (the
 * sample grid of an image import, the mean image per class of %analyze):
 * tiles are written straight into the device pixels, upscaled by nearest
 * neighbour so that 28x28 images stay sharp, then the labels are drawn. */

#include "plot/plot_internal.h"
#include <math.h>
#include <string.h>

#define TILE_MIN 48.0      /* logical px of a tile's longer side, at least */
#define GAP 4.0
#define PAD 8.0
#define LABEL_MAX 160.0

static int check_tiles(const aml_plot_tiles_data *d, aml_error *err)
{
    if (!d || !d->tiles)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "image grid: no tiles");
    if (!d->rows || !d->cols)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "plot", "image grid: no rows or columns");
    if (d->channels != 1 && d->channels != 3)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot",
                             "image grid: %d channels (1 or 3 are drawn)", d->channels);
    if (d->width <= 0 || d->height <= 0 || d->width > 4096 || d->height > 4096)
        return aml_error_set(err, AML_EINVAL, 0, 0, "plot", "image grid: tile size %dx%d",
                             d->width, d->height);
    return 0;
}

/* Draws tile `px` with its top-left corner at device pixel (x0, y0), tw x th
 * device pixels, each sampling the nearest source pixel. */
static void draw_tile(cairo_surface_t *surf, const aml_plot_tiles_data *d, const uint8_t *px,
                      int x0, int y0, int tw, int th)
{
    unsigned char *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    int sw = cairo_image_surface_get_width(surf), sh = cairo_image_surface_get_height(surf);
    size_t plane = (size_t)d->width * (size_t)d->height;
    for (int y = 0; y < th && y0 + y < sh; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)(y0 + y) * (size_t)stride);
        size_t sy = (size_t)y * (size_t)d->height / (size_t)th;
        for (int x = 0; x < tw && x0 + x < sw; x++) {
            size_t s = sy * (size_t)d->width + (size_t)x * (size_t)d->width / (size_t)tw;
            uint32_t r = px[s], g = r, b = r;
            if (d->channels == 3)
                g = px[plane + s], b = px[2 * plane + s];
            row[x0 + x] = (r << 16) | (g << 8) | b;
        }
    }
}

static double label_width(amlp_plot *p, const aml_plot_tiles_data *d)
{
    double w = 0;
    for (size_t r = 0; d->row_labels && r < d->rows; r++) {
        double t = amlp_text_w(p, d->row_labels[r], AMLP_FS_TICK, false);
        w = t > w ? t : w;
    }
    return w > LABEL_MAX ? LABEL_MAX : w;
}

int aml_plot_tiles(const aml_plot_opts *opts, const aml_plot_tiles_data *d,
                   aml_plot_image **out, aml_error *err)
{
    if (out)
        *out = NULL;
    int rc = out ? check_tiles(d, err) : aml_error_set(err, AML_EINVAL, 0, 0, "plot", "no out");
    if (rc)
        return rc;
    aml_plot_opts o = opts ? *opts : aml_plot_opts_default();
    int side = d->width > d->height ? d->width : d->height;
    double factor = ceil(TILE_MIN / side);
    if (d->captions && d->width * factor < 64.0)   /* room for a short caption */
        factor = ceil(64.0 / d->width);
    double tw = d->width * factor, th = d->height * factor;
    /* measure the labels on a throwaway canvas, then size the real one */
    amlp_plot p;
    o.width = o.height = 64;
    if ((rc = amlp_plot_init(&p, &o, err)))
        return rc;
    double lw = label_width(&p, d);
    double title_w = o.title ? amlp_text_w(&p, o.title, AMLP_FS_TITLE, true) : 0;
    amlp_plot_done(&p);
    double left = PAD + (lw > 0 ? lw + 10.0 : 0), top = PAD + (o.title ? 26.0 : 0);
    double rh = th + (d->captions ? AMLP_FS_TICK + 6.0 : 0) + GAP;
    o.width = (int)ceil(left + (double)d->cols * (tw + GAP) - GAP + PAD);
    if (o.width < (int)ceil(2 * PAD + title_w))   /* the title is never cut */
        o.width = (int)ceil(2 * PAD + title_w);
    o.height = (int)ceil(top + (double)d->rows * rh - GAP + PAD);
    o.width = o.width < 64 ? 64 : o.width > 8192 ? 8192 : o.width;
    o.height = o.height < 64 ? 64 : o.height > 8192 ? 8192 : o.height;
    if ((rc = amlp_plot_init(&p, &o, err)))
        return rc;
    cairo_surface_flush(p.surf);
    int dtw = (int)lround(tw * o.scale), dth = (int)lround(th * o.scale);
    for (size_t r = 0; r < d->rows; r++)
        for (size_t c = 0; c < d->cols; c++)
            if (d->tiles[r * d->cols + c])
                draw_tile(p.surf, d, d->tiles[r * d->cols + c],
                          (int)lround((left + (double)c * (tw + GAP)) * o.scale),
                          (int)lround((top + (double)r * rh) * o.scale), dtw, dth);
    cairo_surface_mark_dirty(p.surf);
    amlp_rgb ink = amlp_rgb_hex(0x222222);
    for (size_t r = 0; d->row_labels && r < d->rows; r++) {
        char buf[128];
        amlp_text_fit(&p, d->row_labels[r], AMLP_FS_TICK, false, LABEL_MAX, buf, sizeof buf);
        amlp_text(&p, buf, left - 10.0, top + (double)r * rh + th / 2, AMLP_FS_TICK,
                  false, 1.0, 0.5, 0.0, ink);
    }
    for (size_t i = 0; d->captions && i < d->rows * d->cols; i++) {
        char buf[128];
        amlp_text_fit(&p, d->captions[i], AMLP_FS_TICK, false, tw, buf, sizeof buf);
        amlp_text(&p, buf, left + (double)(i % d->cols) * (tw + GAP) + tw / 2,
                  top + (double)(i / d->cols) * rh + th + 3.0, AMLP_FS_TICK, false, 0.5, 0.0,
                  0.0, ink);
    }
    if (o.title)
        amlp_text(&p, o.title, PAD, PAD, AMLP_FS_TITLE, true, 0.0, 0.0, 0.0, ink);
    rc = amlp_plot_encode(&p, out);
    amlp_plot_done(&p);
    return rc;
}
