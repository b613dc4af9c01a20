/* nn_dense.c — the fully connected layer y = x W + b on OpenBLAS sgemm
 * (W is in x out, row-major), with seeded Xavier / He initialisation. */
#include "nn/nn_internal.h"

#include <cblas.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */
#include <math.h>
#include <string.h>

static int dense_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    (void)train;
    const float *w = l->param[0].w, *b = l->param[1].w;
    for (size_t i = 0; i < n; i++)
        memcpy(y + i * l->out, b, l->out * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)l->out, (int)l->in,
                1.0f, x, (int)l->in, w, (int)l->out, 1.0f, y, (int)l->out);
    return 0;
}

static int dense_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                          float *dx, size_t n)
{
    (void)y;
    float *gw = l->param[0].g, *gb = l->param[1].g;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)l->in, (int)l->out, (int)n,
                1.0f, x, (int)l->in, dy, (int)l->out, 1.0f, gw, (int)l->out);
    for (size_t i = 0; i < n; i++) {
        const float *r = dy + i * l->out;
        for (size_t j = 0; j < l->out; j++)
            gb[j] += r[j];
    }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)l->in, (int)l->out,
                    1.0f, dy, (int)l->out, l->param[0].w, (int)l->out, 0.0f, dx, (int)l->in);
    return 0;
}

static const amlp_nn_layer_ops dense_ops = {
    .type = AMLP_NN_DENSE,
    .name = "dense",
    .forward = dense_forward,
    .backward = dense_backward,
};

static int dense_alloc(size_t in, size_t out, amlp_nn_layer **l)
{
    int dl_rc = amlp_dl_blas(NULL);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    if (in > INT32_MAX || out > INT32_MAX || in * out > SIZE_MAX / sizeof(float) / 2)
        return AML_EINVAL;
    int rc = amlp_nn_layer_alloc(&dense_ops, in, out, l);
    rc = rc ? rc : amlp_nn_layer_add_param(*l, in * out, true);
    rc = rc ? rc : amlp_nn_layer_add_param(*l, out, false);
    if (rc) {
        amlp_nn_layer_free(*l);
        *l = NULL;
    }
    return rc;
}

int amlp_nn_dense_new(size_t in, size_t out, amlp_nn_init init, amlp_rng *rng,
                      amlp_nn_layer **l)
{
    int rc = dense_alloc(in, out, l);
    if (rc)
        return rc;
    float *w = (*l)->param[0].w;
    if (init == AMLP_NN_INIT_HE) {
        double sd = sqrt(2.0 / (double)in);
        for (size_t i = 0; i < in * out; i++)
            w[i] = (float)(sd * amlp_rng_normal(rng));
    } else {
        double a = sqrt(6.0 / (double)(in + out));
        for (size_t i = 0; i < in * out; i++)
            w[i] = (float)(a * (2.0 * amlp_rng_uniform(rng) - 1.0));
    }
    return 0;
}

int amlp_nn_dense_load(amlp_reader *in, size_t n_in, size_t n_out, amlp_nn_layer **l)
{
    /* the weights follow: forged widths must not allocate more than the bytes hold */
    if ((uint64_t)n_in * n_out + n_out > (in->len - in->pos) / sizeof(float))
        return AML_EPARSE;
    return dense_alloc(n_in, n_out, l);
}
