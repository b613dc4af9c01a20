/* nn_batchnorm2d.c — batch normalisation of images, per channel over the
 * batch's N*H*W values: the 1-d layer's rules (biased batch variance to
 * normalise, unbiased into the running statistics, running statistics at
 * inference) with a channel's values spread over the planes of NCHW rows.
 * Parameters gamma (1) and beta (0) per channel, no weight decay.  Channels
 * are independent: they are split over amlp_nn_threads() threads. */
#include "nn/nn_internal.h"

#include <math.h>

typedef struct batchnorm2d {
    size_t c, hw;
    double momentum, eps;
    float *mean, *invstd;    /* of the last training batch */
} batchnorm2d;

/* Plane reductions in LANES float partial sums (vectorisable), added up
 * in double: sum a, sum (a - mean)^2, sum dy (x - mean) invstd. */
#define LANES 8

static double plane_sum(const float *a, size_t hw)
{
    float acc[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= hw; j += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += a[j + k];
    double s = 0;
    for (; j < hw; j++)
        s += a[j];
    for (size_t k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

static double plane_sq_dev(const float *a, size_t hw, float mean)
{
    float acc[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= hw; j += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += (a[j + k] - mean) * (a[j + k] - mean);
    double s = 0;
    for (; j < hw; j++)
        s += (double)(a[j] - mean) * (a[j] - mean);
    for (size_t k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

static double plane_dot_xhat(const float *dy, const float *x, size_t hw, float mean,
                             float invstd)
{
    float acc[LANES] = {0};
    size_t j = 0;
    for (; j + LANES <= hw; j += LANES)
        for (size_t k = 0; k < LANES; k++)
            acc[k] += dy[j + k] * ((x[j + k] - mean) * invstd);
    double s = 0;
    for (; j < hw; j++)
        s += (double)dy[j] * ((x[j] - mean) * invstd);
    for (size_t k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

/* What a pass over a range of channels needs (channels are independent, so
 * any split of them gives the same bits). */
typedef struct bn2_job {
    batchnorm2d *b;
    amlp_nn_layer *l;
    const float *x, *dy;
    float *y, *dx;
    size_t n;
} bn2_job;

/* y = scale (x - mean) + beta over the n planes of channel ch */
static void normalise_channel(const bn2_job *j, size_t ch, float scale, float mean, float beta)
{
    size_t hw = j->b->hw, c = j->b->c;
    for (size_t i = 0; i < j->n; i++) {
        const float *x = j->x + (i * c + ch) * hw;
        float *y = j->y + (i * c + ch) * hw;
        for (size_t k = 0; k < hw; k++)
            y[k] = scale * (x[k] - mean) + beta;
    }
}

static void bn2_infer_channels(void *ctx, size_t part, size_t lo, size_t hi)
{
    (void)part;
    const bn2_job *j = ctx;
    const float *gamma = j->l->param[0].w, *beta = j->l->param[1].w;
    const float *rmean = j->l->state[0].v, *rvar = j->l->state[1].v;
    for (size_t ch = lo; ch < hi; ch++) {
        double invstd = 1.0 / sqrt((double)rvar[ch] + j->b->eps);
        normalise_channel(j, ch, (float)(gamma[ch] * invstd), rmean[ch], beta[ch]);
    }
}

/* Batch mean and biased variance normalise; the unbiased variance enters
 * the running statistics. */
static void bn2_train_channels(void *ctx, size_t part, size_t lo, size_t hi)
{
    (void)part;
    const bn2_job *j = ctx;
    batchnorm2d *b = j->b;
    const float *gamma = j->l->param[0].w, *beta = j->l->param[1].w;
    float *rmean = j->l->state[0].v, *rvar = j->l->state[1].v;
    double m = (double)(j->n * b->hw);
    for (size_t ch = lo; ch < hi; ch++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < j->n; i++)
            s += plane_sum(j->x + (i * b->c + ch) * b->hw, b->hw);
        float mean = (float)(s / m);
        for (size_t i = 0; i < j->n; i++)
            ss += plane_sq_dev(j->x + (i * b->c + ch) * b->hw, b->hw, mean);
        double var = ss / m, unbiased = m > 1 ? var * m / (m - 1) : var;
        b->mean[ch] = mean;
        b->invstd[ch] = (float)(1.0 / sqrt(var + b->eps));
        rmean[ch] = (float)((1 - b->momentum) * rmean[ch] + b->momentum * mean);
        rvar[ch] = (float)((1 - b->momentum) * rvar[ch] + b->momentum * unbiased);
        normalise_channel(j, ch, (float)(gamma[ch] * (double)b->invstd[ch]), mean, beta[ch]);
    }
}

static int bn2_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    bn2_job j = {.b = l->impl, .l = l, .x = x, .y = y, .n = n};
    if (n > 0)
        amlp_nn_parallel(j.b->c, train ? bn2_train_channels : bn2_infer_channels, &j);
    return 0;
}

/* Per channel: gamma's gradient sum dy xhat, beta's sum dy, and
 * dx = gamma invstd / m (m dy - sum dy - xhat sum dy xhat). */
static void bn2_backward_channels(void *ctx, size_t part, size_t lo, size_t hi)
{
    (void)part;
    const bn2_job *j = ctx;
    const batchnorm2d *b = j->b;
    size_t hw = b->hw;
    double m = (double)(j->n * hw);
    for (size_t ch = lo; ch < hi; ch++) {
        float mean = b->mean[ch], invstd = b->invstd[ch];
        double s1 = 0, s2 = 0;
        for (size_t i = 0; i < j->n; i++) {
            size_t off = (i * b->c + ch) * hw;
            s1 += plane_sum(j->dy + off, hw);
            s2 += plane_dot_xhat(j->dy + off, j->x + off, hw, mean, invstd);
        }
        j->l->param[0].g[ch] += (float)s2;
        j->l->param[1].g[ch] += (float)s1;
        double k = j->l->param[0].w[ch] * (double)invstd / m;
        float a = (float)(k * m), c1 = (float)(k * s1), c2 = (float)(k * s2);
        for (size_t i = 0; j->dx && i < j->n; i++) {
            size_t off = (i * b->c + ch) * hw;
            const float *x = j->x + off, *dy = j->dy + off;
            float *dx = j->dx + off;
            for (size_t q = 0; q < hw; q++)
                dx[q] = a * dy[q] - c1 - ((x[q] - mean) * invstd) * c2;
        }
    }
}

static int bn2_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                        float *dx, size_t n)
{
    (void)y;
    bn2_job j = {.b = l->impl, .l = l, .x = x, .dy = dy, .dx = dx, .n = n};
    amlp_nn_parallel(j.b->c, bn2_backward_channels, &j);
    return 0;
}

static int bn2_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const batchnorm2d *b = l->impl;
    int rc = amlp_bytes_put_u64(out, b->c);
    rc = rc ? rc : amlp_bytes_put_f64(out, b->momentum);
    return rc ? rc : amlp_bytes_put_f64(out, b->eps);
}

static void bn2_free(amlp_nn_layer *l)
{
    batchnorm2d *b = l->impl;
    if (b) {
        amlp_free(b->mean);
        amlp_free(b->invstd);
    }
    amlp_free(b);
}

static const amlp_nn_layer_ops bn2_ops = {
    .type = AMLP_NN_BATCHNORM2D,
    .name = "batchnorm2d",
    .forward = bn2_forward,
    .backward = bn2_backward,
    .save_config = bn2_save,
    .free_impl = bn2_free,
};

static int bn2_init(amlp_nn_layer *l, size_t c, size_t hw, double momentum, double eps)
{
    batchnorm2d *b = amlp_calloc(1, sizeof *b);
    l->impl = b;
    if (!b)
        return AML_ENOMEM;
    *b = (batchnorm2d){.c = c, .hw = hw, .momentum = momentum, .eps = eps};
    int rc = amlp_nn_layer_add_param(l, c, false);
    rc = rc ? rc : amlp_nn_layer_add_param(l, c, false);
    rc = rc ? rc : amlp_nn_layer_add_state(l, c);
    rc = rc ? rc : amlp_nn_layer_add_state(l, c);
    if (rc)
        return rc;
    b->mean = amlp_calloc(c, sizeof(float));
    b->invstd = amlp_calloc(c, sizeof(float));
    if (!b->mean || !b->invstd)
        return AML_ENOMEM;
    for (size_t ch = 0; ch < c; ch++) {
        l->param[0].w[ch] = 1.0f;
        l->state[1].v[ch] = 1.0f;
    }
    return 0;
}

#define MAX_DIM (1u << 16)

int amlp_nn_batchnorm2d_new(size_t c, size_t h, size_t w, double momentum, double eps,
                            amlp_nn_layer **l)
{
    *l = NULL;
    if (!(momentum > 0 && momentum <= 1) || !(eps > 0) || c == 0 || h == 0 || w == 0 ||
        c > MAX_DIM || h > MAX_DIM || w > MAX_DIM ||
        (double)c * (double)h * (double)w > (1u << 24))
        return AML_EINVAL;
    int rc = amlp_nn_layer_alloc(&bn2_ops, c * h * w, c * h * w, l);
    rc = rc ? rc : bn2_init(*l, c, h * w, momentum, eps);
    if (rc) {
        amlp_nn_layer_free(*l);
        *l = NULL;
    }
    return rc;
}

/* H and W enter only as their product: the loader rebuilds c x (in/c) x 1. */
int amlp_nn_batchnorm2d_load(amlp_reader *in, size_t width, amlp_nn_layer **l)
{
    *l = NULL;
    uint64_t c = 0;
    double momentum = 0, eps = 0;
    if (amlp_read_u64(in, &c) || amlp_read_f64(in, &momentum) || amlp_read_f64(in, &eps) ||
        c == 0 || c > MAX_DIM || width % c || width / c > MAX_DIM)
        return AML_EPARSE;
    return amlp_nn_batchnorm2d_new(c, width / c, 1, momentum, eps, l);
}
