/* nn_conv.c — the 2-d convolution layer on NCHW rows.  It runs on oneDNN
 * when that loads (nn_conv_dnnl.c); otherwise, per image, im2col unfolds the
 * padded input into a (C kh kw) x (OH OW) matrix, and each group is one
 * OpenBLAS sgemm against its block of weights; backward recomputes the
 * columns, takes the weight gradient as dY cols^T and folds W^T dY back
 * (col2im).  Grouped and depthwise convolutions are groups of sgemms.  Also
 * the image layers' process-wide thread count. */
#include "nn/nn_internal.h"

#include <cblas.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */
#include <math.h>
#include <pthread.h>
#include <string.h>

/* The im2col path's scratch for one part of a batch split over threads. */
typedef struct conv_part {
    float *cols, *dcols;     /* (in_c kh kw) x (oh ow) */
    float *gw, *gb;          /* the part's weight and bias gradients */
} conv_part;

#define MAX_PARTS 64         /* amlp_nn_parallel's most threads */

typedef struct conv {
    amlp_nn_conv2d_cfg c;
    size_t oh, ow;
    size_t k;                /* rows of a group's columns: (in_c/groups) kh kw */
    float *scratch[MAX_PARTS];   /* one block per part, carved into part[] */
    conv_part part[MAX_PARTS];
    amlp_nn_dnnl_conv *dnnl; /* the oneDNN primitives, NULL until first used */
} conv;

size_t amlp_nn_conv_out_size(size_t size, size_t k, size_t stride, size_t pad)
{
    if (stride == 0 || k == 0 || size + 2 * pad < k)
        return 0;
    return (size + 2 * pad - k) / stride + 1;
}

/* Unfolds one image x (C x H x W) into cols; padding reads as 0. */
static void im2col(const conv *cv, const float *x, float *cols)
{
    const amlp_nn_conv2d_cfg *c = &cv->c;
    size_t ohw = cv->oh * cv->ow;
    for (size_t ch = 0; ch < c->in_c; ch++)
        for (size_t ki = 0; ki < c->kh; ki++)
            for (size_t kj = 0; kj < c->kw; kj++) {
                float *row = cols + ((ch * c->kh + ki) * c->kw + kj) * ohw;
                for (size_t oy = 0; oy < cv->oh; oy++) {
                    ptrdiff_t iy = (ptrdiff_t)(oy * c->stride + ki) - (ptrdiff_t)c->pad;
                    float *r = row + oy * cv->ow;
                    if (iy < 0 || iy >= (ptrdiff_t)c->h) {
                        memset(r, 0, cv->ow * sizeof(float));
                        continue;
                    }
                    const float *src = x + (ch * c->h + (size_t)iy) * c->w;
                    for (size_t ox = 0; ox < cv->ow; ox++) {
                        ptrdiff_t ix = (ptrdiff_t)(ox * c->stride + kj) - (ptrdiff_t)c->pad;
                        r[ox] = ix < 0 || ix >= (ptrdiff_t)c->w ? 0.0f : src[ix];
                    }
                }
            }
}

/* Adds the columns' gradients back onto dx (C x H x W); the inverse
 * scatter of im2col. */
static void col2im(const conv *cv, const float *dcols, float *dx)
{
    const amlp_nn_conv2d_cfg *c = &cv->c;
    size_t ohw = cv->oh * cv->ow;
    for (size_t ch = 0; ch < c->in_c; ch++)
        for (size_t ki = 0; ki < c->kh; ki++)
            for (size_t kj = 0; kj < c->kw; kj++) {
                const float *row = dcols + ((ch * c->kh + ki) * c->kw + kj) * ohw;
                for (size_t oy = 0; oy < cv->oh; oy++) {
                    ptrdiff_t iy = (ptrdiff_t)(oy * c->stride + ki) - (ptrdiff_t)c->pad;
                    if (iy < 0 || iy >= (ptrdiff_t)c->h)
                        continue;
                    float *dst = dx + (ch * c->h + (size_t)iy) * c->w;
                    const float *r = row + oy * cv->ow;
                    for (size_t ox = 0; ox < cv->ow; ox++) {
                        ptrdiff_t ix = (ptrdiff_t)(ox * c->stride + kj) - (ptrdiff_t)c->pad;
                        if (ix >= 0 && ix < (ptrdiff_t)c->w)
                            dst[ix] += r[ox];
                    }
                }
            }
}

/* Scratch of each part of the batch split: columns, their gradients and
 * the part's weight and bias gradients; allocated on first use. */
static int ensure_scratch(conv *cv, size_t parts)
{
    const amlp_nn_conv2d_cfg *c = &cv->c;
    size_t cols = c->in_c * c->kh * c->kw * cv->oh * cv->ow;
    size_t need = 2 * cols + c->out_c * cv->k + c->out_c;
    for (size_t p = 0; p < parts; p++) {
        if (!cv->scratch[p] && !(cv->scratch[p] = amlp_malloc(need * sizeof(float))))
            return AML_ENOMEM;
        cv->part[p] = (conv_part){cv->scratch[p], cv->scratch[p] + cols,
                                  cv->scratch[p] + 2 * cols,
                                  cv->scratch[p] + 2 * cols + c->out_c * cv->k};
    }
    return 0;
}

/* The batch split over threads, each calling a one-threaded sgemm: measured
 * here (tests/bench/vision), that is twice as fast as one thread calling a
 * two-threaded sgemm, and both at once oversubscribe the cores 4-10x worse.
 * OpenBLAS's count is process-wide: it is restored after the split. */
static void parallel_sgemm(size_t n, amlp_nn_range_fn fn, void *ctx)
{
    if (amlp_nn_parts(n) <= 1) {
        fn(ctx, 0, 0, n);
        return;
    }
    int blas = openblas_get_num_threads();
    openblas_set_num_threads(1);
    amlp_nn_parallel(n, fn, ctx);
    openblas_set_num_threads(blas);
}

typedef struct conv_job {
    amlp_nn_layer *l;
    const float *x, *dy;
    float *y, *dx;
} conv_job;

static void forward_images(void *ctx, size_t part, size_t lo, size_t hi)
{
    const conv_job *j = ctx;
    const conv *cv = j->l->impl;
    const amlp_nn_conv2d_cfg *c = &cv->c;
    size_t ohw = cv->oh * cv->ow, ocg = c->out_c / c->groups;
    const float *wt = j->l->param[0].w, *b = c->bias ? j->l->param[1].w : NULL;
    float *cols = cv->part[part].cols;
    for (size_t i = lo; i < hi; i++) {
        float *yi = j->y + i * j->l->out;
        im2col(cv, j->x + i * j->l->in, cols);
        for (size_t g = 0; g < c->groups; g++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)ocg, (int)ohw,
                        (int)cv->k, 1.0f, wt + g * ocg * cv->k, (int)cv->k,
                        cols + g * cv->k * ohw, (int)ohw, 0.0f, yi + g * ocg * ohw, (int)ohw);
        for (size_t oc = 0; b && oc < c->out_c; oc++)
            for (size_t p = 0; p < ohw; p++)
                yi[oc * ohw + p] += b[oc];
    }
}

/* On oneDNN when it serves, else images split over amlp_nn_threads()
 * threads, each unfolding into its own columns. */
static int conv_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    (void)train;
    conv *cv = l->impl;
    const float *b = cv->c.bias ? l->param[1].w : NULL;
    if (amlp_nn_dnnl_conv_forward(&cv->dnnl, &cv->c, cv->oh, cv->ow, l->param[0].w, b, x, y,
                                  n) == 0)
        return 0;
    if (ensure_scratch(cv, amlp_nn_parts(n)))
        return AML_ENOMEM;
    conv_job j = {.l = l, .x = x, .y = y};
    parallel_sgemm(n, forward_images, &j);
    return 0;
}

/* One part's images: its weight and bias gradients (from zero) and dx. */
static void backward_images(void *ctx, size_t part, size_t lo, size_t hi)
{
    const conv_job *j = ctx;
    const conv *cv = j->l->impl;
    const amlp_nn_conv2d_cfg *c = &cv->c;
    size_t ohw = cv->oh * cv->ow, ocg = c->out_c / c->groups;
    const float *wt = j->l->param[0].w;
    const conv_part *s = &cv->part[part];
    memset(s->gw, 0, (c->out_c * cv->k + c->out_c) * sizeof(float));
    for (size_t i = lo; i < hi; i++) {
        const float *dyi = j->dy + i * j->l->out;
        im2col(cv, j->x + i * j->l->in, s->cols);
        for (size_t g = 0; g < c->groups; g++) {
            const float *dyg = dyi + g * ocg * ohw;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ocg, (int)cv->k,
                        (int)ohw, 1.0f, dyg, (int)ohw, s->cols + g * cv->k * ohw, (int)ohw,
                        1.0f, s->gw + g * ocg * cv->k, (int)cv->k);
            if (j->dx)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)cv->k, (int)ohw,
                            (int)ocg, 1.0f, wt + g * ocg * cv->k, (int)cv->k, dyg, (int)ohw,
                            0.0f, s->dcols + g * cv->k * ohw, (int)ohw);
        }
        for (size_t oc = 0; c->bias && oc < c->out_c; oc++)
            for (size_t p = 0; p < ohw; p++)
                s->gb[oc] += dyi[oc * ohw + p];
        if (j->dx) {
            memset(j->dx + i * j->l->in, 0, j->l->in * sizeof(float));
            col2im(cv, s->dcols, j->dx + i * j->l->in);
        }
    }
}

/* The parts' gradients are added in part order: for a given thread count
 * the result does not depend on which thread finished first. */
static int conv_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                         float *dx, size_t n)
{
    (void)y;
    conv *cv = l->impl;
    const amlp_nn_conv2d_cfg *c = &cv->c;
    float *gw = l->param[0].g, *gb = c->bias ? l->param[1].g : NULL;
    if (amlp_nn_dnnl_conv_backward(&cv->dnnl, c, cv->oh, cv->ow, l->param[0].w, gw, gb, x, dy,
                                   dx, n) == 0)
        return 0;
    size_t parts = amlp_nn_parts(n);
    if (ensure_scratch(cv, parts))
        return AML_ENOMEM;
    conv_job j = {.l = l, .x = x, .dy = dy, .dx = dx};
    parallel_sgemm(n, backward_images, &j);
    for (size_t p = 0; p < parts; p++) {
        for (size_t i = 0; i < c->out_c * cv->k; i++)
            gw[i] += cv->part[p].gw[i];
        for (size_t i = 0; gb && i < c->out_c; i++)
            gb[i] += cv->part[p].gb[i];
    }
    return 0;
}

static int conv_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const amlp_nn_conv2d_cfg *c = &((const conv *)l->impl)->c;
    const uint64_t v[] = {c->in_c, c->h,      c->w,   c->out_c,  c->kh,
                          c->kw,   c->stride, c->pad, c->groups, c->bias};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof v / sizeof v[0]; i++)
        rc = amlp_bytes_put_u64(out, v[i]);
    return rc;
}

static void conv_free(amlp_nn_layer *l)
{
    conv *cv = l->impl;
    if (cv) {
        for (size_t p = 0; p < MAX_PARTS; p++)
            amlp_free(cv->scratch[p]);
        amlp_nn_dnnl_conv_free(cv->dnnl);
    }
    amlp_free(cv);
}

static const amlp_nn_layer_ops conv_ops = {
    .type = AMLP_NN_CONV2D,
    .name = "conv2d",
    .forward = conv_forward,
    .backward = conv_backward,
    .save_config = conv_save,
    .free_impl = conv_free,
};

/* Shapes far beyond any image network mean a mistake or corrupt bytes. */
#define MAX_DIM (1u << 16)
#define MAX_KERNEL 64u
#define MAX_FLOATS (1u << 26)

/* 0 when the configuration makes sense and every buffer stays bounded. */
static bool conv_cfg_ok(const amlp_nn_conv2d_cfg *c, size_t *oh, size_t *ow)
{
    if (c->in_c == 0 || c->out_c == 0 || c->h == 0 || c->w == 0 || c->groups == 0 ||
        c->in_c > MAX_DIM || c->out_c > MAX_DIM || c->h > MAX_DIM || c->w > MAX_DIM ||
        c->kh == 0 || c->kw == 0 || c->kh > MAX_KERNEL || c->kw > MAX_KERNEL ||
        c->stride == 0 || c->stride > MAX_KERNEL || c->pad >= MAX_KERNEL ||
        c->in_c % c->groups || c->out_c % c->groups)
        return false;
    *oh = amlp_nn_conv_out_size(c->h, c->kh, c->stride, c->pad);
    *ow = amlp_nn_conv_out_size(c->w, c->kw, c->stride, c->pad);
    if (*oh == 0 || *ow == 0)
        return false;
    double cols = (double)c->in_c * (double)(c->kh * c->kw) * (double)(*oh * *ow);
    double weights = (double)c->out_c * (double)(c->in_c / c->groups) * (double)(c->kh * c->kw);
    double io = (double)c->in_c * (double)(c->h * c->w) + (double)c->out_c * (double)(*oh * *ow);
    return cols <= MAX_FLOATS && weights <= MAX_FLOATS && io <= MAX_FLOATS;
}

static int conv_alloc(const amlp_nn_conv2d_cfg *c, amlp_nn_layer **l)
{
    *l = NULL;
    size_t oh = 0, ow = 0;
    if (!conv_cfg_ok(c, &oh, &ow))
        return AML_EINVAL;
    int rc = amlp_dl_blas(NULL);  /* the library loads on first use */
    rc = rc ? rc : amlp_nn_layer_alloc(&conv_ops, c->in_c * c->h * c->w, c->out_c * oh * ow, l);
    if (rc)
        return rc;
    conv *cv = amlp_calloc(1, sizeof *cv);
    (*l)->impl = cv;
    size_t k = c->in_c / c->groups * c->kh * c->kw;
    if (cv) {
        cv->c = *c;
        cv->oh = oh;
        cv->ow = ow;
        cv->k = k;
    }
    rc = cv ? 0 : AML_ENOMEM;
    rc = rc ? rc : amlp_nn_layer_add_param(*l, c->out_c * k, true);
    if (rc == 0 && c->bias)
        rc = amlp_nn_layer_add_param(*l, c->out_c, false);
    if (rc) {
        amlp_nn_layer_free(*l);
        *l = NULL;
    }
    return rc;
}

int amlp_nn_conv2d_new(const amlp_nn_conv2d_cfg *cfg, amlp_rng *rng, amlp_nn_layer **l)
{
    int rc = conv_alloc(cfg, l);
    if (rc)
        return rc;
    amlp_nn_param *w = &(*l)->param[0];
    /* standard deviation 1/sqrt(3 fan-in), PyTorch's default scale, not He's
     * sqrt(2/fan-in): batch norm follows the convolutions, so the output does
     * not depend on the weights' scale, but each AdamW step moves small
     * weights relatively further.  Measured on Fashion-MNIST (the default
     * image network, one epoch): test accuracy 0.834 with He, 0.858 with this */
    double sd = sqrt(1.0 / (3.0 * (double)(w->n / cfg->out_c)));
    for (size_t i = 0; i < w->n; i++)
        w->w[i] = (float)(sd * amlp_rng_normal(rng));
    return 0;
}

int amlp_nn_conv2d_load(amlp_reader *in, size_t n_in, size_t n_out, amlp_nn_layer **l)
{
    *l = NULL;
    uint64_t v[10];
    for (size_t i = 0; i < 10; i++)
        if (amlp_read_u64(in, &v[i]) || v[i] > MAX_DIM)
            return AML_EPARSE;
    amlp_nn_conv2d_cfg c = {.in_c = v[0], .h = v[1], .w = v[2], .out_c = v[3], .kh = v[4],
                            .kw = v[5], .stride = v[6], .pad = v[7], .groups = v[8],
                            .bias = v[9] != 0};
    size_t oh = 0, ow = 0;
    if (v[9] > 1 || !conv_cfg_ok(&c, &oh, &ow) || c.in_c * c.h * c.w != n_in ||
        c.out_c * oh * ow != n_out)
        return AML_EPARSE;
    /* the weights follow: a forged shape must not allocate more than the bytes hold */
    uint64_t weights = (uint64_t)c.out_c * (c.in_c / c.groups) * c.kh * c.kw;
    if (weights + c.out_c > (in->len - in->pos) / sizeof(float))
        return AML_EPARSE;
    return conv_alloc(&c, l);
}

static int nn_threads = 1;

void amlp_nn_set_threads(int threads)
{
    __atomic_store_n(&nn_threads, threads < 1 ? 1 : threads, __ATOMIC_RELAXED);
}

int amlp_nn_threads(void)
{
    return __atomic_load_n(&nn_threads, __ATOMIC_RELAXED);
}

#define MAX_NN_THREADS MAX_PARTS

size_t amlp_nn_parts(size_t n)
{
    size_t t = (size_t)amlp_nn_threads();
    t = t > MAX_NN_THREADS ? MAX_NN_THREADS : t > n ? n : t;
    return t < 1 ? 1 : t;
}

typedef struct range_job {
    amlp_nn_range_fn fn;
    void *ctx;
    size_t part, lo, hi;
} range_job;

static void *range_main(void *arg)
{
    range_job *j = arg;
    j->fn(j->ctx, j->part, j->lo, j->hi);
    return NULL;
}

void amlp_nn_parallel(size_t n, amlp_nn_range_fn fn, void *ctx)
{
    size_t t = amlp_nn_parts(n);
    if (t <= 1) {
        fn(ctx, 0, 0, n);
        return;
    }
    range_job job[MAX_NN_THREADS];
    pthread_t tid[MAX_NN_THREADS];
    bool started[MAX_NN_THREADS] = {false};
    for (size_t i = 0; i < t; i++)
        job[i] = (range_job){fn, ctx, i, n * i / t, n * (i + 1) / t};
    for (size_t i = 1; i < t; i++)
        started[i] = pthread_create(&tid[i], NULL, range_main, &job[i]) == 0;
    fn(ctx, 0, job[0].lo, job[0].hi);
    for (size_t i = 1; i < t; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else   /* no thread to be had: this one does the range */
            fn(ctx, i, job[i].lo, job[i].hi);
    }
}
