/* nn_pool.c — pooling on NCHW rows: max and average over k x k windows
 * (stride, padding), and the global average of each channel.  Max pooling
 * keeps no indices: backward finds each window's maximum again in x (first
 * of equals wins, as in forward), so nothing grows with the batch.  Planes
 * are independent: they are split over amlp_nn_threads() threads. */
#include "nn/nn_internal.h"

#include <float.h>
#include <string.h>

typedef struct pool {
    size_t c, h, w, k, stride, pad, oh, ow;
} pool;

/* The window of output (oy, ox) clipped to the image: rows y0..y1-1,
 * columns x0..x1-1. */
static void window(const pool *p, size_t oy, size_t ox, size_t *y0, size_t *y1, size_t *x0,
                   size_t *x1)
{
    ptrdiff_t ys = (ptrdiff_t)(oy * p->stride) - (ptrdiff_t)p->pad;
    ptrdiff_t xs = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad;
    ptrdiff_t ye = ys + (ptrdiff_t)p->k, xe = xs + (ptrdiff_t)p->k;
    *y0 = ys < 0 ? 0 : (size_t)ys;
    *x0 = xs < 0 ? 0 : (size_t)xs;
    *y1 = ye > (ptrdiff_t)p->h ? p->h : (size_t)ye;
    *x1 = xe > (ptrdiff_t)p->w ? p->w : (size_t)xe;
}

/* Offset in the channel plane of the window's maximum (first of equals). */
static size_t argmax(const pool *p, const float *plane, size_t oy, size_t ox)
{
    if (p->pad == 0) {   /* the window lies inside the image: no clipping */
        size_t best = oy * p->stride * p->w + ox * p->stride;
        float mx = plane[best];
        for (size_t yy = 0; yy < p->k; yy++)
            for (size_t xx = 0; xx < p->k; xx++) {
                size_t at = (oy * p->stride + yy) * p->w + ox * p->stride + xx;
                if (plane[at] > mx) {
                    best = at;
                    mx = plane[at];
                }
            }
        return best;
    }
    size_t y0, y1, x0, x1, best = SIZE_MAX;
    window(p, oy, ox, &y0, &y1, &x0, &x1);
    float mx = -FLT_MAX;
    for (size_t yy = y0; yy < y1; yy++)
        for (size_t xx = x0; xx < x1; xx++)
            if (best == SIZE_MAX || plane[yy * p->w + xx] > mx) {
                best = yy * p->w + xx;
                mx = plane[best];
            }
    return best;
}

/* A pass over a range of the n x C planes (planes are independent). */
typedef struct pool_job {
    const pool *p;
    bool is_max;
    const float *x, *dy;
    float *y, *dx;
} pool_job;

static void forward_planes(void *ctx, size_t part, size_t lo, size_t hi)
{
    (void)part;
    const pool_job *j = ctx;
    const pool *p = j->p;
    float inv_area = 1.0f / (float)(p->k * p->k);
    for (size_t pl = lo; pl < hi; pl++) {
        const float *plane = j->x + pl * p->h * p->w;
        float *out = j->y + pl * p->oh * p->ow;
        for (size_t oy = 0; oy < p->oh; oy++)
            for (size_t ox = 0; ox < p->ow; ox++) {
                if (j->is_max) {
                    out[oy * p->ow + ox] = plane[argmax(p, plane, oy, ox)];
                    continue;
                }
                size_t y0, y1, x0, x1;
                window(p, oy, ox, &y0, &y1, &x0, &x1);
                float s = 0;
                for (size_t yy = y0; yy < y1; yy++)
                    for (size_t xx = x0; xx < x1; xx++)
                        s += plane[yy * p->w + xx];
                out[oy * p->ow + ox] = s * inv_area;
            }
    }
}

/* Each of the n x C planes, window by window, on amlp_nn_threads() threads. */
static int pool_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    (void)train;
    const pool *p = l->impl;
    pool_job j = {.p = p, .is_max = l->ops->type == AMLP_NN_MAXPOOL, .x = x, .y = y};
    amlp_nn_parallel(n * p->c, forward_planes, &j);
    return 0;
}

static void backward_planes(void *ctx, size_t part, size_t lo, size_t hi)
{
    (void)part;
    const pool_job *j = ctx;
    const pool *p = j->p;
    float inv_area = 1.0f / (float)(p->k * p->k);
    memset(j->dx + lo * p->h * p->w, 0, (hi - lo) * p->h * p->w * sizeof(float));
    for (size_t pl = lo; pl < hi; pl++) {
        const float *plane = j->x + pl * p->h * p->w;
        const float *d = j->dy + pl * p->oh * p->ow;
        float *g = j->dx + pl * p->h * p->w;
        for (size_t oy = 0; oy < p->oh; oy++)
            for (size_t ox = 0; ox < p->ow; ox++) {
                float v = d[oy * p->ow + ox];
                if (j->is_max) {
                    g[argmax(p, plane, oy, ox)] += v;
                    continue;
                }
                size_t y0, y1, x0, x1;
                window(p, oy, ox, &y0, &y1, &x0, &x1);
                for (size_t yy = y0; yy < y1; yy++)
                    for (size_t xx = x0; xx < x1; xx++)
                        g[yy * p->w + xx] += v * inv_area;
            }
    }
}

static int pool_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                         float *dx, size_t n)
{
    (void)y;
    if (!dx)
        return 0;
    const pool *p = l->impl;
    pool_job j = {.p = p, .is_max = l->ops->type == AMLP_NN_MAXPOOL, .x = x, .dy = dy,
                  .dx = dx};
    amlp_nn_parallel(n * p->c, backward_planes, &j);
    return 0;
}

static int pool_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const pool *p = l->impl;
    const uint64_t v[] = {p->c, p->h, p->w, p->k, p->stride, p->pad};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof v / sizeof v[0]; i++)
        rc = amlp_bytes_put_u64(out, v[i]);
    return rc;
}

static void pool_free(amlp_nn_layer *l)
{
    amlp_free(l->impl);
}

static const amlp_nn_layer_ops maxpool_ops = {
    .type = AMLP_NN_MAXPOOL, .name = "maxpool", .forward = pool_forward,
    .backward = pool_backward, .save_config = pool_save, .free_impl = pool_free,
};
static const amlp_nn_layer_ops avgpool_ops = {
    .type = AMLP_NN_AVGPOOL, .name = "avgpool", .forward = pool_forward,
    .backward = pool_backward, .save_config = pool_save, .free_impl = pool_free,
};

#define MAX_DIM (1u << 16)
#define MAX_KERNEL 64u

int amlp_nn_pool_new(amlp_nn_layer_type type, size_t c, size_t h, size_t w, size_t k,
                     size_t stride, size_t pad, amlp_nn_layer **l)
{
    *l = NULL;
    if ((type != AMLP_NN_MAXPOOL && type != AMLP_NN_AVGPOOL) || c == 0 || h == 0 || w == 0 ||
        c > MAX_DIM || h > MAX_DIM || w > MAX_DIM || k == 0 || k > MAX_KERNEL ||
        stride == 0 || stride > MAX_KERNEL || pad >= k || (double)c * (double)h * (double)w > (1u << 24))
        return AML_EINVAL;
    size_t oh = amlp_nn_conv_out_size(h, k, stride, pad);
    size_t ow = amlp_nn_conv_out_size(w, k, stride, pad);
    if (oh == 0 || ow == 0)
        return AML_EINVAL;
    int rc = amlp_nn_layer_alloc(type == AMLP_NN_MAXPOOL ? &maxpool_ops : &avgpool_ops,
                                 c * h * w, c * oh * ow, l);
    if (rc)
        return rc;
    pool *p = amlp_malloc(sizeof *p);
    (*l)->impl = p;
    if (!p) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        return AML_ENOMEM;
    }
    *p = (pool){.c = c, .h = h, .w = w, .k = k, .stride = stride, .pad = pad, .oh = oh,
                .ow = ow};
    return 0;
}

int amlp_nn_pool_load(amlp_reader *in, amlp_nn_layer_type type, size_t n_in, size_t n_out,
                      amlp_nn_layer **l)
{
    *l = NULL;
    uint64_t v[6];
    for (size_t i = 0; i < 6; i++)
        if (amlp_read_u64(in, &v[i]) || v[i] > MAX_DIM)
            return AML_EPARSE;
    int rc = amlp_nn_pool_new(type, v[0], v[1], v[2], v[3], v[4], v[5], l);
    if (rc == 0 && ((*l)->in != n_in || (*l)->out != n_out)) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        rc = AML_EPARSE;
    }
    return rc;
}

/* ---- global average pooling: C x H x W -> C ---- */

static int gap_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    (void)train;
    size_t hw = l->in / l->out;
    for (size_t pl = 0; pl < n * l->out; pl++) {
        double s = 0;
        for (size_t j = 0; j < hw; j++)
            s += x[pl * hw + j];
        y[pl] = (float)(s / (double)hw);
    }
    return 0;
}

static int gap_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                        float *dx, size_t n)
{
    (void)x;
    (void)y;
    if (!dx)
        return 0;
    size_t hw = l->in / l->out;
    for (size_t pl = 0; pl < n * l->out; pl++) {
        float g = dy[pl] / (float)hw;
        for (size_t j = 0; j < hw; j++)
            dx[pl * hw + j] = g;
    }
    return 0;
}

static const amlp_nn_layer_ops gap_ops = {
    .type = AMLP_NN_GLOBAL_AVGPOOL, .name = "global_avgpool", .forward = gap_forward,
    .backward = gap_backward,
};

int amlp_nn_global_avgpool_new(size_t c, size_t h, size_t w, amlp_nn_layer **l)
{
    *l = NULL;
    if (c == 0 || h == 0 || w == 0 || c > MAX_DIM || h > MAX_DIM || w > MAX_DIM ||
        (double)c * (double)h * (double)w > (1u << 24))
        return AML_EINVAL;
    return amlp_nn_layer_alloc(&gap_ops, c * h * w, c, l);
}

/* The configuration is the widths themselves: C = out, H W = in / out (the
 * split of H W does not matter to the mean). */
int amlp_nn_global_avgpool_load(size_t n_in, size_t n_out, amlp_nn_layer **l)
{
    *l = NULL;
    if (n_in % n_out)
        return AML_EPARSE;
    return amlp_nn_global_avgpool_new(n_out, n_in / n_out, 1, l);
}
