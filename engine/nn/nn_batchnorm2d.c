/* nn_batchnorm2d.c — batch normalisation of images, per channel over the
 * batch's N*H*W values: the 1-d layer's rules (biased batch variance to
 * normalise, unbiased into the running statistics, running statistics at
 * inference) with a channel's values spread over the planes of NCHW rows.
 * Parameters gamma (1) and beta (0) per channel, no weight decay. */
#include "nn/nn_internal.h"

#include <math.h>

typedef struct batchnorm2d {
    size_t c, hw;
    double momentum, eps;
    float *mean, *invstd;    /* of the last training batch */
    double *s1, *s2;         /* per-channel sums (scratch) */
} batchnorm2d;

/* s1[ch] = sum of a (and s2[ch] = sum of a * b when b) over every plane of
 * channel ch, for b either NULL or the xhat of x. */
static void channel_sums(const batchnorm2d *b, const float *a, const float *x, size_t n)
{
    for (size_t ch = 0; ch < b->c; ch++)
        b->s1[ch] = b->s2[ch] = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t ch = 0; ch < b->c; ch++) {
            size_t off = (i * b->c + ch) * b->hw;
            double s1 = 0, s2 = 0;
            for (size_t j = 0; j < b->hw; j++) {
                s1 += a[off + j];
                if (x)
                    s2 += a[off + j] * ((x[off + j] - b->mean[ch]) * b->invstd[ch]);
            }
            b->s1[ch] += s1;
            b->s2[ch] += s2;
        }
}

/* y = gamma (x - mean) invstd + beta with per-channel mean and invstd */
static void normalise(const batchnorm2d *b, const float *gamma, const float *beta,
                      const float *mean, const double *invstd, const float *x, float *y,
                      size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t ch = 0; ch < b->c; ch++) {
            size_t off = (i * b->c + ch) * b->hw;
            float scale = (float)(gamma[ch] * invstd[ch]), m = mean[ch];
            for (size_t j = 0; j < b->hw; j++)
                y[off + j] = scale * (x[off + j] - m) + beta[ch];
        }
}

static int bn2_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    batchnorm2d *b = l->impl;
    const float *gamma = l->param[0].w, *beta = l->param[1].w;
    float *rmean = l->state[0].v, *rvar = l->state[1].v;
    if (!train || n == 0) {
        for (size_t ch = 0; ch < b->c; ch++)
            b->s2[ch] = 1.0 / sqrt((double)rvar[ch] + b->eps);
        normalise(b, gamma, beta, rmean, b->s2, x, y, n);
        return 0;
    }
    double m = (double)(n * b->hw);
    channel_sums(b, x, NULL, n);
    for (size_t ch = 0; ch < b->c; ch++)
        b->mean[ch] = (float)(b->s1[ch] / m);
    for (size_t ch = 0; ch < b->c; ch++)
        b->s2[ch] = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t ch = 0; ch < b->c; ch++) {
            size_t off = (i * b->c + ch) * b->hw;
            for (size_t j = 0; j < b->hw; j++) {
                double d = x[off + j] - b->mean[ch];
                b->s2[ch] += d * d;
            }
        }
    for (size_t ch = 0; ch < b->c; ch++) {
        double var = b->s2[ch] / m, unbiased = m > 1 ? var * m / (m - 1) : var;
        b->invstd[ch] = (float)(1.0 / sqrt(var + b->eps));
        b->s2[ch] = b->invstd[ch];
        rmean[ch] = (float)((1 - b->momentum) * rmean[ch] + b->momentum * b->mean[ch]);
        rvar[ch] = (float)((1 - b->momentum) * rvar[ch] + b->momentum * unbiased);
    }
    normalise(b, gamma, beta, b->mean, b->s2, x, y, n);
    return 0;
}

static int bn2_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                        float *dx, size_t n)
{
    (void)y;
    batchnorm2d *b = l->impl;
    const float *gamma = l->param[0].w;
    float *ggamma = l->param[0].g, *gbeta = l->param[1].g;
    channel_sums(b, dy, x, n);   /* s1: sum dy; s2: sum dy * xhat */
    for (size_t ch = 0; ch < b->c; ch++) {
        ggamma[ch] += (float)b->s2[ch];
        gbeta[ch] += (float)b->s1[ch];
    }
    if (!dx)
        return 0;
    double m = (double)(n * b->hw);
    for (size_t i = 0; i < n; i++)
        for (size_t ch = 0; ch < b->c; ch++) {
            size_t off = (i * b->c + ch) * b->hw;
            double k = gamma[ch] * b->invstd[ch] / m;
            for (size_t j = 0; j < b->hw; j++) {
                double xhat = (x[off + j] - b->mean[ch]) * b->invstd[ch];
                dx[off + j] = (float)(k * (m * dy[off + j] - b->s1[ch] - xhat * b->s2[ch]));
            }
        }
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
        amlp_free(b->s1);
        amlp_free(b->s2);
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
    b->s1 = amlp_calloc(c, sizeof(double));
    b->s2 = amlp_calloc(c, sizeof(double));
    if (!b->mean || !b->invstd || !b->s1 || !b->s2)
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
