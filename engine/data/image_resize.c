/* image_resize.c — resizing a decoded image to the working size, separably:
 * each axis gets a table of (source index, weight) taps, area averaging when
 * it shrinks (each output pixel averages the source span it covers, partial
 * pixels weighted by their overlap) and bilinear when it grows. */

#include "data/data_internal.h"

#include <math.h>

typedef struct axis_taps {
    int per;        /* taps per output pixel */
    int *index;     /* out * per source indexes */
    float *weight;  /* out * per weights (0 for unused taps) */
} axis_taps;

static void taps_free(axis_taps *t)
{
    amlp_free(t->index);
    amlp_free(t->weight);
}

static void taps_area(axis_taps *t, int src, int dst)
{
    double scale = (double)src / dst;
    for (int j = 0; j < dst; j++) {
        double lo = j * scale, hi = (j + 1) * scale;
        int first = (int)floor(lo);
        for (int k = 0; k < t->per; k++) {
            int i = first + k;
            double a = i > lo ? i : lo, b = i + 1 < hi ? i + 1 : hi;
            bool inside = i < src && b > a;
            t->index[j * t->per + k] = inside ? i : src - 1;
            t->weight[j * t->per + k] = inside ? (float)((b - a) / scale) : 0.0f;
        }
    }
}

static void taps_bilinear(axis_taps *t, int src, int dst)
{
    double scale = (double)src / dst;
    for (int j = 0; j < dst; j++) {
        double x = (j + 0.5) * scale - 0.5;
        if (x < 0)
            x = 0;
        if (x > src - 1)
            x = src - 1;
        int i = (int)floor(x);
        int i1 = i + 1 < src ? i + 1 : i;
        float f = (float)(x - i);
        t->index[2 * j] = i;
        t->index[2 * j + 1] = i1;
        t->weight[2 * j] = 1.0f - f;
        t->weight[2 * j + 1] = f;
    }
}

static int taps_make(axis_taps *t, int src, int dst)
{
    t->per = dst < src ? (int)ceil((double)src / dst) + 1 : 2;
    t->index = amlp_malloc(sizeof *t->index * (size_t)dst * (size_t)t->per);
    t->weight = amlp_malloc(sizeof *t->weight * (size_t)dst * (size_t)t->per);
    if (!t->index || !t->weight) {
        taps_free(t);
        return AML_ENOMEM;
    }
    if (dst < src)
        taps_area(t, src, dst);
    else
        taps_bilinear(t, src, dst);
    return 0;
}

/* Rows first: tmp[ch][y][x'] for every source row y. */
static void pass_rows(const uint8_t *src, int sw, int sh, int c, const axis_taps *tx,
                      float *tmp, int dw)
{
    for (int y = 0; y < sh; y++) {
        const uint8_t *row = src + (size_t)y * (size_t)sw * (size_t)c;
        for (int x = 0; x < dw; x++) {
            const int *ix = tx->index + x * tx->per;
            const float *wx = tx->weight + x * tx->per;
            for (int ch = 0; ch < c; ch++) {
                float acc = 0;
                for (int k = 0; k < tx->per; k++)
                    acc += wx[k] * row[(size_t)ix[k] * (size_t)c + (size_t)ch];
                tmp[((size_t)ch * (size_t)sh + (size_t)y) * (size_t)dw + (size_t)x] = acc;
            }
        }
    }
}

static void pass_cols(const float *tmp, int sh, int c, const axis_taps *ty, uint8_t *dst,
                      int dw, int dh)
{
    for (int ch = 0; ch < c; ch++) {
        const float *plane = tmp + (size_t)ch * (size_t)sh * (size_t)dw;
        uint8_t *out = dst + (size_t)ch * (size_t)dh * (size_t)dw;
        for (int y = 0; y < dh; y++) {
            const int *iy = ty->index + y * ty->per;
            const float *wy = ty->weight + y * ty->per;
            for (int x = 0; x < dw; x++) {
                float acc = 0;
                for (int k = 0; k < ty->per; k++)
                    acc += wy[k] * plane[(size_t)iy[k] * (size_t)dw + (size_t)x];
                long v = lroundf(acc);
                out[(size_t)y * (size_t)dw + (size_t)x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
}

int amlp_image_resize(const uint8_t *src, int sw, int sh, int c, uint8_t *dst, int dw, int dh)
{
    axis_taps tx = {0}, ty = {0};
    float *tmp = NULL;
    int rc = AML_ENOMEM;
    if (taps_make(&tx, sw, dw) || taps_make(&ty, sh, dh))
        goto done;
    tmp = amlp_malloc(sizeof *tmp * (size_t)c * (size_t)sh * (size_t)dw);
    if (!tmp)
        goto done;
    pass_rows(src, sw, sh, c, &tx, tmp, dw);
    pass_cols(tmp, sh, c, &ty, dst, dw, dh);
    rc = 0;
done:
    amlp_free(tmp);
    taps_free(&tx);
    taps_free(&ty);
    return rc;
}
