/* nn_batchnorm.c — batch normalisation per feature: in training the batch's
 * mean and (biased) variance normalise x and the running statistics follow
 * them (unbiased variance, as PyTorch does); at inference the running
 * statistics are used.  Parameters gamma (1) and beta (0), no weight decay. */
#include "nn/nn_internal.h"

#include <math.h>

typedef struct batchnorm {
    double momentum, eps;
    float *mean, *invstd;    /* of the last training batch */
    double *s1, *s2;         /* per-feature sums (scratch) */
} batchnorm;

static int bn_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    batchnorm *b = l->impl;
    size_t w = l->in;
    const float *gamma = l->param[0].w, *beta = l->param[1].w;
    float *rmean = l->state[0].v, *rvar = l->state[1].v;
    if (!train || n == 0) {
        for (size_t j = 0; j < w; j++) {
            b->s1[j] = rmean[j];
            b->s2[j] = 1.0 / sqrt((double)rvar[j] + b->eps);
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < w; j++)
                y[i * w + j] = (float)(gamma[j] * (x[i * w + j] - b->s1[j]) * b->s2[j]) + beta[j];
        return 0;
    }
    for (size_t j = 0; j < w; j++)
        b->s1[j] = b->s2[j] = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < w; j++)
            b->s1[j] += x[i * w + j];
    for (size_t j = 0; j < w; j++)
        b->s1[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < w; j++) {
            double d = x[i * w + j] - b->s1[j];
            b->s2[j] += d * d;
        }
    for (size_t j = 0; j < w; j++) {
        double var = b->s2[j] / (double)n;
        b->mean[j] = (float)b->s1[j];
        b->invstd[j] = (float)(1.0 / sqrt(var + b->eps));
        double unbiased = n > 1 ? var * (double)n / (double)(n - 1) : var;
        rmean[j] = (float)((1 - b->momentum) * rmean[j] + b->momentum * b->s1[j]);
        rvar[j] = (float)((1 - b->momentum) * rvar[j] + b->momentum * unbiased);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < w; j++)
            y[i * w + j] = gamma[j] * (x[i * w + j] - b->mean[j]) * b->invstd[j] + beta[j];
    return 0;
}

static int bn_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                       float *dx, size_t n)
{
    (void)y;
    batchnorm *b = l->impl;
    size_t w = l->in;
    const float *gamma = l->param[0].w;
    float *ggamma = l->param[0].g, *gbeta = l->param[1].g;
    for (size_t j = 0; j < w; j++)
        b->s1[j] = b->s2[j] = 0;
    /* s1: sum dy; s2: sum dy * xhat */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < w; j++) {
            double xhat = (x[i * w + j] - b->mean[j]) * b->invstd[j];
            b->s1[j] += dy[i * w + j];
            b->s2[j] += dy[i * w + j] * xhat;
        }
    for (size_t j = 0; j < w; j++) {
        ggamma[j] += (float)b->s2[j];
        gbeta[j] += (float)b->s1[j];
    }
    if (!dx)
        return 0;
    double inv_n = 1.0 / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < w; j++) {
            double xhat = (x[i * w + j] - b->mean[j]) * b->invstd[j];
            dx[i * w + j] = (float)(gamma[j] * b->invstd[j] * inv_n *
                                    ((double)n * dy[i * w + j] - b->s1[j] - xhat * b->s2[j]));
        }
    return 0;
}

static int bn_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const batchnorm *b = l->impl;
    int rc = amlp_bytes_put_f64(out, b->momentum);
    return rc ? rc : amlp_bytes_put_f64(out, b->eps);
}

static void bn_free(amlp_nn_layer *l)
{
    batchnorm *b = l->impl;
    if (b) {
        amlp_free(b->mean);
        amlp_free(b->invstd);
        amlp_free(b->s1);
        amlp_free(b->s2);
    }
    amlp_free(b);
}

static const amlp_nn_layer_ops bn_ops = {
    .type = AMLP_NN_BATCHNORM,
    .name = "batchnorm",
    .forward = bn_forward,
    .backward = bn_backward,
    .save_config = bn_save,
    .free_impl = bn_free,
};

int amlp_nn_batchnorm_new(size_t width, double momentum, double eps, amlp_nn_layer **l)
{
    *l = NULL;
    if (!(momentum > 0 && momentum <= 1) || !(eps > 0))
        return AML_EINVAL;
    int rc = amlp_nn_layer_alloc(&bn_ops, width, width, l);
    if (rc)
        return rc;
    batchnorm *b = amlp_calloc(1, sizeof *b);
    (*l)->impl = b;
    if (!b)
        rc = AML_ENOMEM;
    rc = rc ? rc : amlp_nn_layer_add_param(*l, width, false);
    rc = rc ? rc : amlp_nn_layer_add_param(*l, width, false);
    rc = rc ? rc : amlp_nn_layer_add_state(*l, width);
    rc = rc ? rc : amlp_nn_layer_add_state(*l, width);
    if (rc == 0) {
        b->momentum = momentum;
        b->eps = eps;
        b->mean = amlp_calloc(width, sizeof(float));
        b->invstd = amlp_calloc(width, sizeof(float));
        b->s1 = amlp_calloc(width, sizeof(double));
        b->s2 = amlp_calloc(width, sizeof(double));
        if (!b->mean || !b->invstd || !b->s1 || !b->s2)
            rc = AML_ENOMEM;
    }
    if (rc) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        return rc;
    }
    for (size_t j = 0; j < width; j++) {
        (*l)->param[0].w[j] = 1.0f;
        (*l)->state[1].v[j] = 1.0f;
    }
    return 0;
}

int amlp_nn_batchnorm_load(amlp_reader *in, size_t width, amlp_nn_layer **l)
{
    double momentum = 0, eps = 0;
    if (amlp_read_f64(in, &momentum) || amlp_read_f64(in, &eps))
        return AML_EPARSE;
    /* gamma, beta and two running statistics follow: bounded by the bytes left */
    if ((uint64_t)width > (in->len - in->pos) / sizeof(float) / 4)
        return AML_EPARSE;
    return amlp_nn_batchnorm_new(width, momentum, eps, l);
}
