/* nn_augment.c — uint8 images as training rows: per-channel normalisation
 * to NCHW floats and, when asked, augmentation drawn per image from the
 * source's own PRNG (random crop after padding, horizontal flip, rotation,
 * translation, cutout).  The geometric steps are composed into one map from
 * each output pixel back to a source point, so every output pixel is read
 * once and nothing outside the image is ever touched; and the per-channel
 * statistics that the normalisation needs. */
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>

/* One image's draws. */
typedef struct draws {
    long dy, dx;             /* crop offset in the padded image, -pad..pad */
    bool flip;
    bool rotate;
    double cos_a, sin_a;
    long ty, tx;             /* shift in pixels */
    size_t side, cy, cx;     /* cutout square: side and top-left corner (side 0: none) */
} draws;

static double symmetric(amlp_rng *rng, double range)
{
    return (2 * amlp_rng_uniform(rng) - 1) * range;
}

/* The draws in their fixed order, each only when its option is on. */
static draws draw(amlp_nn_images *im)
{
    const amlp_nn_augment *a = &im->aug;
    draws d = {.cos_a = 1};
    if (a->crop_pad > 0) {
        d.dy = (long)amlp_rng_below(&im->rng, 2 * a->crop_pad + 1) - (long)a->crop_pad;
        d.dx = (long)amlp_rng_below(&im->rng, 2 * a->crop_pad + 1) - (long)a->crop_pad;
    }
    if (a->flip)
        d.flip = amlp_rng_uniform(&im->rng) < 0.5;
    if (a->rotate > 0) {
        double rad = symmetric(&im->rng, a->rotate) * M_PI / 180;
        d.rotate = true;
        d.cos_a = cos(rad);
        d.sin_a = sin(rad);
    }
    if (a->translate > 0) {
        d.ty = lround(symmetric(&im->rng, a->translate * (double)im->h));
        d.tx = lround(symmetric(&im->rng, a->translate * (double)im->w));
    }
    if (a->cutout > 0) {
        d.side = a->cutout;
        d.side = d.side < im->h ? d.side : im->h;
        d.side = d.side < im->w ? d.side : im->w;
        d.cy = amlp_rng_below(&im->rng, im->h - d.side + 1);
        d.cx = amlp_rng_below(&im->rng, im->w - d.side + 1);
    }
    return d;
}

/* The channel's plane normalised, or 0 (the mean) outside the image. */
typedef struct plane {
    const uint8_t *p;
    long h, w;
    float mean, inv_std;
} plane;

static float at(const plane *pl, long y, long x)
{
    if (y < 0 || x < 0 || y >= pl->h || x >= pl->w)
        return 0.0f;
    return ((float)pl->p[y * pl->w + x] - pl->mean) * pl->inv_std;
}

/* Whole-pixel path: shift, flip, crop. */
static void map_pixels(const plane *pl, const draws *d, float *out)
{
    for (long y = 0; y < pl->h; y++)
        for (long x = 0; x < pl->w; x++) {
            long sx = x - d->tx;
            sx = d->flip ? pl->w - 1 - sx : sx;
            out[y * pl->w + x] = at(pl, y - d->ty + d->dy, sx + d->dx);
        }
}

static float bilinear(const plane *pl, double sy, double sx)
{
    double fy = floor(sy), fx = floor(sx);
    long y0 = (long)fy, x0 = (long)fx;
    double wy = sy - fy, wx = sx - fx;
    double top = (1 - wx) * at(pl, y0, x0) + wx * at(pl, y0, x0 + 1);
    double bottom = (1 - wx) * at(pl, y0 + 1, x0) + wx * at(pl, y0 + 1, x0 + 1);
    return (float)((1 - wy) * top + wy * bottom);
}

/* Rotation about the centre, then flip and crop, read bilinearly. */
static void map_rotated(const plane *pl, const draws *d, float *out)
{
    double cy = (double)(pl->h - 1) / 2, cx = (double)(pl->w - 1) / 2;
    for (long y = 0; y < pl->h; y++)
        for (long x = 0; x < pl->w; x++) {
            double u = (double)(x - d->tx) - cx, v = (double)(y - d->ty) - cy;
            double xr = d->cos_a * u + d->sin_a * v + cx;
            double yr = -d->sin_a * u + d->cos_a * v + cy;
            xr = d->flip ? (double)(pl->w - 1) - xr : xr;
            out[y * pl->w + x] = bilinear(pl, yr + (double)d->dy, xr + (double)d->dx);
        }
}

static void cut_out(const draws *d, size_t c, size_t h, size_t w, float *out)
{
    for (size_t ch = 0; d->side && ch < c; ch++)
        for (size_t y = d->cy; y < d->cy + d->side; y++)
            memset(out + (ch * h + y) * w + d->cx, 0, d->side * sizeof(float));
}

/* One image into out (c x h x w floats). */
static void one_image(amlp_nn_images *im, const uint8_t *src, float *out)
{
    draws d = im->augment ? draw(im) : (draws){.cos_a = 1};
    size_t hw = im->h * im->w;
    for (size_t ch = 0; ch < im->c; ch++) {
        float sd = im->std[ch] > 0 ? im->std[ch] : 1.0f;
        plane pl = {.p = src + ch * hw, .h = (long)im->h, .w = (long)im->w,
                    .mean = im->mean[ch], .inv_std = 1.0f / sd};
        if (d.rotate)
            map_rotated(&pl, &d, out + ch * hw);
        else
            map_pixels(&pl, &d, out + ch * hw);
    }
    cut_out(&d, im->c, im->h, im->w, out);
}

void amlp_nn_images_rows(void *user, const size_t *rows, size_t n, float *x)
{
    amlp_nn_images *im = user;
    size_t size = im->c * im->h * im->w;
    for (size_t i = 0; i < n; i++) {
        size_t img = im->index ? im->index[rows[i]] : rows[i];
        one_image(im, im->pixels + img * size, x + i * size);
    }
}

void amlp_nn_images_stats(const uint8_t *pixels, size_t c, size_t h, size_t w,
                          const size_t *index, size_t n, float mean[3], float std[3])
{
    double sum[3] = {0}, sq[3] = {0};
    size_t hw = h * w, channels = c < 3 ? c : 3;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *img = pixels + (index ? index[i] : i) * c * hw;
        for (size_t ch = 0; ch < channels; ch++)
            for (size_t p = 0; p < hw; p++) {
                double v = img[ch * hw + p];
                sum[ch] += v;
                sq[ch] += v * v;
            }
    }
    double count = (double)n * (double)hw;
    for (size_t ch = 0; ch < 3; ch++) {
        double m = ch < channels && count > 0 ? sum[ch] / count : 0;
        double var = ch < channels && count > 0 ? sq[ch] / count - m * m : 1;
        mean[ch] = (float)m;
        std[ch] = var > 1e-12 ? (float)sqrt(var) : 1.0f;
    }
}
