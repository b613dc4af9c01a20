/* vision_bench.c — the C side of tests/bench/vision/vision (issue #14, speed):
 * training time per epoch of the reference image net built by hand from our
 * layers, and the convolutions' GFLOP/s against this machine's sgemm.
 *
 *   vision_bench epoch DIR N REPEAT   Fashion-MNIST (IDX files in DIR), the
 *        first N training images, batch 128, AdamW: REPEAT epochs; prints
 *        "epoch_seconds S" per epoch and "train_loss L" after the last
 *   vision_bench conv REPEAT          per conv layer shape of that net (batch
 *        128): forward + backward-data + backward-weights GFLOP/s (best of
 *        REPEAT), and cblas_sgemm GFLOP/s on a 1024^3 product
 *
 * The net (PyTorch's twin in vision_torch.py): conv3x3(1->32) BN ReLU,
 * conv3x3(32->32) BN ReLU, maxpool 2, conv3x3(32->64) BN ReLU, conv3x3(64->64)
 * BN ReLU, maxpool 2, global average pool, dense 10.  Threads: AML_THREADS
 * (default 2) for OpenBLAS and the network library (AML_BLAS_THREADS,
 * AML_NN_THREADS: either alone). */
#include "aml_nn.h"
#include "aml_data.h"

#include <cblas.h>
#include "aml_base.h"  /* after cblas.h: its lazily loaded functions */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 128

static int threads_from_env(void)
{
    const char *s = getenv("AML_THREADS");
    int t = s ? atoi(s) : 2;
    return t < 1 ? 1 : t;
}

/* AML_BLAS_THREADS / AML_NN_THREADS override the count for OpenBLAS or the
 * network library alone (to measure who should use the cores). */
static int env_or(const char *name, int t)
{
    const char *s = getenv(name);
    return s && atoi(s) > 0 ? atoi(s) : t;
}

static void set_threads(int t)
{
    if (amlp_dl_blas(NULL) == 0)
        openblas_set_num_threads(env_or("AML_BLAS_THREADS", t));
    amlp_nn_set_threads(env_or("AML_NN_THREADS", t));
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "vision_bench: %s failed (%d)\n", what, rc);
    exit(1);
}

/* Appends *l once its constructor returned rc (read after the call). */
static void add(amlp_nn_net *net, int rc, amlp_nn_layer *const *l)
{
    if (rc || (rc = amlp_nn_net_add(net, *l)))
        die("building the net", rc);
}

/* conv 3x3 pad 1 (no bias: batch norm follows), batch norm, ReLU */
static void conv_bn_relu(amlp_nn_net *net, size_t in_c, size_t out_c, size_t hw, amlp_rng *rng)
{
    amlp_nn_conv2d_cfg c = {.in_c = in_c, .h = hw, .w = hw, .out_c = out_c, .kh = 3, .kw = 3,
                            .stride = 1, .pad = 1, .groups = 1, .bias = false};
    amlp_nn_layer *l = NULL;
    add(net, amlp_nn_conv2d_new(&c, rng, &l), &l);
    add(net, amlp_nn_batchnorm2d_new(out_c, hw, hw, 0.1, 1e-5, &l), &l);
    add(net, amlp_nn_relu_new(out_c * hw * hw, &l), &l);
}

static amlp_nn_net *reference_net(amlp_rng *rng)
{
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    if (amlp_nn_net_new(28 * 28, &net))
        die("net", AML_ENOMEM);
    conv_bn_relu(net, 1, 32, 28, rng);
    conv_bn_relu(net, 32, 32, 28, rng);
    add(net, amlp_nn_pool_new(AMLP_NN_MAXPOOL, 32, 28, 28, 2, 2, 0, &l), &l);
    conv_bn_relu(net, 32, 64, 14, rng);
    conv_bn_relu(net, 64, 64, 14, rng);
    add(net, amlp_nn_pool_new(AMLP_NN_MAXPOOL, 64, 14, 14, 2, 2, 0, &l), &l);
    add(net, amlp_nn_global_avgpool_new(64, 7, 7, &l), &l);
    add(net, amlp_nn_dense_new(64, 10, AMLP_NN_INIT_XAVIER, rng, &l), &l);
    return net;
}

/* The first n training images as floats in [0, 1] and their labels. */
static size_t load_images(const char *dir, size_t n, float **x, float **y)
{
    aml_images *im = NULL;
    aml_error err = {0};
    int rc = aml_images_read(dir, NULL, &im, NULL, &err);
    if (rc)
        die(err.text, rc);
    size_t px = (size_t)aml_images_height(im) * (size_t)aml_images_width(im), got = 0;
    if (px != 28 * 28 || aml_images_channels(im) != 1)
        die("expecting 28x28 grey images", AML_EINVAL);
    *x = malloc(n * px * sizeof **x);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < aml_images_count(im) && got < n; i++) {
        if (aml_images_split(im, i) == AML_SPLIT_TEST)
            continue;
        const uint8_t *p = aml_images_image(im, i);
        for (size_t j = 0; j < px; j++)
            (*x)[got * px + j] = (float)p[j] / 255.0f;
        (*y)[got++] = (float)aml_images_label(im, i);
    }
    aml_images_free(im);
    return got;
}

/* One epoch of mini-batches in a seeded order; returns the mean loss. */
static double epoch(amlp_nn_net *net, amlp_nn_adamw *opt, const float *x, const float *y,
                    size_t n, amlp_rng *rng, float *bx, float *by, float *dout)
{
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    amlp_rng_shuffle(rng, order, n);
    double sum = 0;
    for (size_t at = 0; at < n; at += BATCH) {
        size_t m = n - at < BATCH ? n - at : BATCH;
        for (size_t i = 0; i < m; i++) {
            memcpy(bx + i * 784, x + order[at + i] * 784, 784 * sizeof *bx);
            by[i] = y[order[at + i]];
        }
        const float *out = NULL;
        int rc = amlp_nn_net_forward(net, bx, m, true, &out);
        if (rc)
            die("forward", rc);
        sum += (double)m * amlp_nn_loss_eval(AMLP_NN_LOSS_SOFTMAX_XENT, out, m, 10, by, NULL,
                                             NULL, dout);
        amlp_nn_net_zero_grad(net);
        if ((rc = amlp_nn_net_backward(net, dout, m)))
            die("backward", rc);
        amlp_nn_adamw_step(opt, net, 1e-3);
    }
    free(order);
    return sum / (double)n;
}

static int run_epochs(const char *dir, size_t n, int repeat)
{
    float *x = NULL, *y = NULL;
    n = load_images(dir, n, &x, &y);
    amlp_rng rng;
    amlp_rng_seed(&rng, 1);
    amlp_nn_net *net = reference_net(&rng);
    amlp_nn_adamw opt;
    if (amlp_nn_adamw_init(&opt, net, 1e-4))
        die("adamw", AML_ENOMEM);
    float *bx = malloc(BATCH * 784 * sizeof *bx), *by = malloc(BATCH * sizeof *by);
    float *dout = malloc(BATCH * 10 * sizeof *dout);
    double loss = 0;
    for (int r = 0; r < repeat; r++) {
        double t0 = aml_now();
        loss = epoch(net, &opt, x, y, n, &rng, bx, by, dout);
        printf("epoch_seconds %.3f\n", aml_now() - t0);
        fflush(stdout);
    }
    printf("train_loss %.4f\nimages %zu\n", loss, n);
    amlp_nn_adamw_free(&opt);
    amlp_nn_net_free(net);
    free(x), free(y), free(bx), free(by), free(dout);
    return 0;
}

static double sgemm_gflops(int repeat)
{
    const int n = 1024;
    float *a = malloc((size_t)n * n * sizeof *a), *b = malloc((size_t)n * n * sizeof *b);
    float *c = malloc((size_t)n * n * sizeof *c);
    for (size_t i = 0; i < (size_t)n * n; i++)
        a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f;
    double best = 1e30;
    for (int r = 0; r < repeat + 1; r++) {   /* the first run warms up */
        double t0 = aml_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        double t = aml_now() - t0;
        best = r > 0 && t < best ? t : best;
    }
    free(a), free(b), free(c);
    return 2.0 * n * n * (double)n / best / 1e9;
}

/* Best-of-repeat GFLOP/s of forward + backward (data and weights) of one
 * conv 3x3 pad 1 shape at batch 128. */
static double conv_gflops(size_t in_c, size_t out_c, size_t hw, int repeat, double *fwd_ms,
                          double *bwd_ms)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 2);
    amlp_nn_conv2d_cfg c = {.in_c = in_c, .h = hw, .w = hw, .out_c = out_c, .kh = 3, .kw = 3,
                            .stride = 1, .pad = 1, .groups = 1, .bias = false};
    amlp_nn_layer *l = NULL;
    int rc = amlp_nn_conv2d_new(&c, &rng, &l);
    if (rc)
        die("conv", rc);
    float *x = malloc(BATCH * l->in * sizeof *x), *dx = malloc(BATCH * l->in * sizeof *dx);
    float *yv = malloc(BATCH * l->out * sizeof *yv), *dy = malloc(BATCH * l->out * sizeof *dy);
    for (size_t i = 0; i < BATCH * l->in; i++)
        x[i] = (float)amlp_rng_uniform(&rng);
    for (size_t i = 0; i < BATCH * l->out; i++)
        dy[i] = (float)amlp_rng_uniform(&rng) - 0.5f;
    double best_f = 1e30, best_b = 1e30;
    for (int r = 0; r < repeat + 1; r++) {
        double t0 = aml_now();
        l->ops->forward(l, x, yv, BATCH, true);
        double t1 = aml_now();
        l->ops->backward(l, x, yv, dy, dx, BATCH);
        double t2 = aml_now();
        if (r > 0) {
            best_f = t1 - t0 < best_f ? t1 - t0 : best_f;
            best_b = t2 - t1 < best_b ? t2 - t1 : best_b;
        }
    }
    amlp_nn_layer_free(l);
    free(x), free(dx), free(yv), free(dy);
    *fwd_ms = best_f * 1e3;
    *bwd_ms = best_b * 1e3;
    double flops = 2.0 * BATCH * (double)(out_c * hw * hw) * (double)(in_c * 9);
    return 3.0 * flops / (best_f + best_b) / 1e9;
}

static int run_conv(int repeat)
{
    if (amlp_dl_blas(NULL))
        die("loading OpenBLAS", AML_EUNSUPPORTED);
    double peak = sgemm_gflops(repeat);
    printf("sgemm_gflops %.2f\n", peak);
    static const size_t shapes[][3] = {{1, 32, 28}, {32, 32, 28}, {32, 64, 14}, {64, 64, 14}};
    for (size_t s = 0; s < 4; s++) {
        double f = 0, b = 0;
        double g = conv_gflops(shapes[s][0], shapes[s][1], shapes[s][2], repeat, &f, &b);
        printf("conv %zux%zux%zu->%zu fwd_ms %.2f bwd_ms %.2f gflops %.2f fraction %.3f\n",
               shapes[s][0], shapes[s][2], shapes[s][2], shapes[s][1], f, b, g, g / peak);
    }
    printf("conv_path %s\n", amlp_nn_conv_path());
    return 0;
}

int main(int argc, char **argv)
{
    set_threads(threads_from_env());
    if (argc == 5 && strcmp(argv[1], "epoch") == 0)
        return run_epochs(argv[2], (size_t)atol(argv[3]), atoi(argv[4]));
    if (argc == 3 && strcmp(argv[1], "conv") == 0)
        return run_conv(atoi(argv[2]));
    fprintf(stderr, "usage: vision_bench epoch DIR N REPEAT | vision_bench conv REPEAT\n");
    return 2;
}
