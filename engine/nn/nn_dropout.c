/* nn_dropout.c — inverted dropout: in training each unit is kept with
 * probability 1 - p and scaled by 1 / (1 - p), from the layer's own seeded
 * PRNG; identity at inference. */
#include "nn/nn_internal.h"

#include <string.h>

typedef struct dropout {
    double p;
    uint64_t seed;
    amlp_rng rng;
    float *mask;
    size_t cap, mask_n;
    bool fixed;
} dropout;

static int dropout_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    dropout *d = l->impl;
    size_t m = n * l->in;
    if (!train || d->p == 0.0) {
        memcpy(y, x, m * sizeof(float));
        return 0;
    }
    if (!(d->fixed && d->mask_n == m)) {
        if (amlp_nn_grow(&d->mask, &d->cap, m))
            return AML_ENOMEM;
        /* two 32-bit draws per PRNG call; keep when draw >= p * 2^32 */
        float scale = (float)(1.0 / (1.0 - d->p));
        uint32_t cut = (uint32_t)(d->p * 4294967296.0);
        for (size_t i = 0; i < m; i += 2) {
            uint64_t r = amlp_rng_next(&d->rng);
            d->mask[i] = (uint32_t)r >= cut ? scale : 0.0f;
            if (i + 1 < m)
                d->mask[i + 1] = (uint32_t)(r >> 32) >= cut ? scale : 0.0f;
        }
        d->mask_n = m;
    }
    const float *restrict xs = x, *restrict mk = d->mask;
    float *restrict ys = y;
    for (size_t i = 0; i < m; i++)
        ys[i] = xs[i] * mk[i];
    return 0;
}

static int dropout_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                            float *dx, size_t n)
{
    (void)x;
    (void)y;
    dropout *d = l->impl;
    size_t m = n * l->in;
    if (!dx)
        return 0;
    if (d->p == 0.0) {
        memcpy(dx, dy, m * sizeof(float));
        return 0;
    }
    const float *restrict dys = dy, *restrict mk = d->mask;
    float *restrict dxs = dx;
    for (size_t i = 0; i < m; i++)
        dxs[i] = dys[i] * mk[i];
    return 0;
}

static int dropout_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const dropout *d = l->impl;
    int rc = amlp_bytes_put_f64(out, d->p);
    return rc ? rc : amlp_bytes_put_u64(out, d->seed);
}

static void dropout_free(amlp_nn_layer *l)
{
    dropout *d = l->impl;
    if (d)
        amlp_free(d->mask);
    amlp_free(d);
}

static const amlp_nn_layer_ops dropout_ops = {
    .type = AMLP_NN_DROPOUT,
    .name = "dropout",
    .forward = dropout_forward,
    .backward = dropout_backward,
    .save_config = dropout_save,
    .free_impl = dropout_free,
};

int amlp_nn_dropout_new(size_t width, double p, uint64_t seed, amlp_nn_layer **l)
{
    *l = NULL;
    if (!(p >= 0.0 && p < 1.0))
        return AML_EINVAL;
    int rc = amlp_nn_layer_alloc(&dropout_ops, width, width, l);
    if (rc)
        return rc;
    dropout *d = amlp_calloc(1, sizeof *d);
    if (!d) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        return AML_ENOMEM;
    }
    d->p = p;
    d->seed = seed;
    amlp_rng_seed(&d->rng, seed);
    (*l)->impl = d;
    return 0;
}

void amlp_nn_dropout_fix_mask(amlp_nn_layer *l, bool fixed)
{
    ((dropout *)l->impl)->fixed = fixed;
}

int amlp_nn_dropout_load(amlp_reader *in, size_t width, amlp_nn_layer **l)
{
    double p = 0;
    uint64_t seed = 0;
    if (amlp_read_f64(in, &p) || amlp_read_u64(in, &seed))
        return AML_EPARSE;
    return amlp_nn_dropout_new(width, p, seed, l);
}
