/* nn_act.c — element-wise activation layers: ReLU and GELU (the exact form
 * x * Phi(x), with Phi the standard normal CDF). */
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>

/* ReLU through the sign bit: branch-free (signs are random, so a branch
 * would mispredict half the time).  Negative inputs (and -0) give 0; the
 * gradient at exactly +0 is taken as 1. */
static inline uint32_t keep_mask(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return ~(uint32_t)((int32_t)b >> 31);
}

static inline float masked(float v, uint32_t mask)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    b &= mask;
    memcpy(&v, &b, sizeof v);
    return v;
}

static int relu_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    (void)train;
    size_t m = n * l->in;
    for (size_t i = 0; i < m; i++)
        y[i] = masked(x[i], keep_mask(x[i]));
    return 0;
}

static int relu_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                         float *dx, size_t n)
{
    (void)y;
    if (!dx)
        return 0;
    size_t m = n * l->in;
    for (size_t i = 0; i < m; i++)
        dx[i] = masked(dy[i], keep_mask(x[i]));
    return 0;
}

#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT_2PI 0.39894228040143267794

static int gelu_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    (void)train;
    size_t m = n * l->in;
    for (size_t i = 0; i < m; i++)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)INV_SQRT2));
    return 0;
}

static int gelu_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                         float *dx, size_t n)
{
    (void)y;
    if (!dx)
        return 0;
    size_t m = n * l->in;
    for (size_t i = 0; i < m; i++) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * (float)INV_SQRT2));
        float pdf = (float)INV_SQRT_2PI * expf(-0.5f * v * v);
        dx[i] = dy[i] * (cdf + v * pdf);
    }
    return 0;
}

static const amlp_nn_layer_ops relu_ops = {
    .type = AMLP_NN_RELU, .name = "relu", .forward = relu_forward, .backward = relu_backward,
};
static const amlp_nn_layer_ops gelu_ops = {
    .type = AMLP_NN_GELU, .name = "gelu", .forward = gelu_forward, .backward = gelu_backward,
};

int amlp_nn_relu_new(size_t width, amlp_nn_layer **l)
{
    return amlp_nn_layer_alloc(&relu_ops, width, width, l);
}

int amlp_nn_gelu_new(size_t width, amlp_nn_layer **l)
{
    return amlp_nn_layer_alloc(&gelu_ops, width, width, l);
}

int amlp_nn_act_load(amlp_nn_layer_type type, size_t width, amlp_nn_layer **l)
{
    return type == AMLP_NN_RELU ? amlp_nn_relu_new(width, l) : amlp_nn_gelu_new(width, l);
}
