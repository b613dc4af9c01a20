/* nn_conv_dnnl.c — the convolution layer's oneDNN path: libdnnl.so.2 is
 * loaded on first use (amlp_dl_dnnl); each layer caches its forward,
 * backward-data and backward-weights primitives for its shape and batch size
 * (recreated when the batch size changes) on plain NCHW / OIHW memory, so the
 * layer contract (rows of C*H*W floats) holds without reorders.  oneDNN runs
 * on amlp_nn_threads() OpenMP threads; for a fixed batch size and thread
 * count its results are deterministic.  Without oneDNN, or with it forced
 * off, callers take the im2col path (nn_conv.c). */
#include "nn/nn_internal.h"

#include <oneapi/dnnl/dnnl.h>
#include "aml_base.h"  /* after dnnl.h: its lazily loaded functions */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { FWD, BWD_DATA, BWD_WEIGHTS, N_PRIMS };

struct amlp_nn_dnnl_conv {
    size_t n;                            /* batch size of the primitives; 0: none */
    bool failed;                         /* oneDNN refused the shape: im2col */
    dnnl_stream_t stream;
    dnnl_primitive_desc_t pd[N_PRIMS];
    dnnl_primitive_t prim[N_PRIMS];
    dnnl_memory_t src, wei, bias, dst;   /* handles set per call (gradients alike) */
    dnnl_memory_t dsrc, dwei, dbias, ddst;
    float *gw, *gb;                      /* one batch's gradients, added to the layer's */
};

static dnnl_engine_t engine;
static bool engine_ok, forced_off;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_init(void)
{
    engine_ok = amlp_dl_dnnl(NULL) == 0 && dnnl_engine_create(&engine, dnnl_cpu, 0) ==
                                               dnnl_success;
}

void amlp_nn_conv_force_im2col(bool force)
{
    __atomic_store_n(&forced_off, force, __ATOMIC_RELAXED);
}

bool amlp_nn_dnnl_usable(void)
{
    const char *env = getenv("AML_NN_CONV");
    if (__atomic_load_n(&forced_off, __ATOMIC_RELAXED) || (env && strcmp(env, "im2col") == 0))
        return false;
    pthread_once(&engine_once, engine_init);
    return engine_ok;
}

const char *amlp_nn_conv_path(void)
{
    return amlp_nn_dnnl_usable() ? "onednn" : "im2col";
}

/* Destroys the primitives and memories (not the stream). */
static void release(amlp_nn_dnnl_conv *d)
{
    for (int i = 0; i < N_PRIMS; i++) {
        dnnl_primitive_destroy(d->prim[i]);
        dnnl_primitive_desc_destroy(d->pd[i]);
    }
    dnnl_memory_t *mem[] = {&d->src, &d->wei, &d->bias, &d->dst,
                            &d->dsrc, &d->dwei, &d->dbias, &d->ddst};
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
        dnnl_memory_destroy(*mem[i]);
    amlp_free(d->gw);
    amlp_free(d->gb);
    dnnl_stream_t stream = d->stream;
    memset(d, 0, sizeof *d);
    d->stream = stream;
}

typedef struct conv_descs {
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_dims_t strides, pad_l, pad_r;
} conv_descs;

/* Plain NCHW memory descriptions of the layer at batch n; false if refused. */
static bool describe(const amlp_nn_conv2d_cfg *c, size_t oh, size_t ow, size_t n,
                     conv_descs *s)
{
    dnnl_dims_t src = {(dnnl_dim_t)n, (dnnl_dim_t)c->in_c, (dnnl_dim_t)c->h, (dnnl_dim_t)c->w};
    dnnl_dims_t dst = {(dnnl_dim_t)n, (dnnl_dim_t)c->out_c, (dnnl_dim_t)oh, (dnnl_dim_t)ow};
    dnnl_dims_t bias = {(dnnl_dim_t)c->out_c};
    dnnl_dims_t wei = {(dnnl_dim_t)c->groups, (dnnl_dim_t)(c->out_c / c->groups),
                       (dnnl_dim_t)(c->in_c / c->groups), (dnnl_dim_t)c->kh, (dnnl_dim_t)c->kw};
    bool grouped = c->groups > 1;
    dnnl_dim_t st = (dnnl_dim_t)c->stride, pad = (dnnl_dim_t)c->pad;
    s->strides[0] = s->strides[1] = st;
    s->pad_l[0] = s->pad_l[1] = pad;
    s->pad_r[0] = ((dnnl_dim_t)oh - 1) * st + (dnnl_dim_t)c->kh - (dnnl_dim_t)c->h - pad;
    s->pad_r[1] = ((dnnl_dim_t)ow - 1) * st + (dnnl_dim_t)c->kw - (dnnl_dim_t)c->w - pad;
    return dnnl_memory_desc_init_by_tag(&s->src, 4, src, dnnl_f32, dnnl_nchw) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&s->dst, 4, dst, dnnl_f32, dnnl_nchw) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&s->bias, 1, bias, dnnl_f32, dnnl_a) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(&s->wei, grouped ? 5 : 4, grouped ? wei : wei + 1,
                                        dnnl_f32, grouped ? dnnl_goihw : dnnl_oihw) ==
               dnnl_success;
}

/* The three primitive descriptions and primitives; false if refused. */
static bool create_prims(amlp_nn_dnnl_conv *d, const conv_descs *s, bool bias)
{
    dnnl_convolution_desc_t cd[N_PRIMS];
    const dnnl_memory_desc_t *b = bias ? &s->bias : NULL;
    if (dnnl_convolution_forward_desc_init(&cd[FWD], dnnl_forward_training,
                                           dnnl_convolution_direct, &s->src, &s->wei, b,
                                           &s->dst, s->strides, s->pad_l, s->pad_r) ||
        dnnl_convolution_backward_data_desc_init(&cd[BWD_DATA], dnnl_convolution_direct,
                                                 &s->src, &s->wei, &s->dst, s->strides,
                                                 s->pad_l, s->pad_r) ||
        dnnl_convolution_backward_weights_desc_init(&cd[BWD_WEIGHTS], dnnl_convolution_direct,
                                                    &s->src, &s->wei, b, &s->dst, s->strides,
                                                    s->pad_l, s->pad_r))
        return false;
    for (int i = 0; i < N_PRIMS; i++)
        if (dnnl_primitive_desc_create(&d->pd[i], &cd[i], NULL, engine,
                                       i == FWD ? NULL : d->pd[FWD]) ||
            dnnl_primitive_create(&d->prim[i], d->pd[i]))
            return false;
    return true;
}

/* Primitives and memories for batch n; false if oneDNN refuses. */
static bool build(amlp_nn_dnnl_conv *d, const amlp_nn_conv2d_cfg *c, size_t oh, size_t ow,
                  size_t n)
{
    release(d);
    conv_descs s;
    if (!describe(c, oh, ow, n, &s) || !create_prims(d, &s, c->bias))
        return false;
    struct { dnnl_memory_t *m; const dnnl_memory_desc_t *md; } mem[] = {
        {&d->src, &s.src}, {&d->wei, &s.wei}, {&d->bias, &s.bias}, {&d->dst, &s.dst},
        {&d->dsrc, &s.src}, {&d->dwei, &s.wei}, {&d->dbias, &s.bias}, {&d->ddst, &s.dst}};
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
        if (dnnl_memory_create(mem[i].m, mem[i].md, engine, DNNL_MEMORY_NONE))
            return false;
    d->gw = amlp_malloc(c->out_c * (c->in_c / c->groups) * c->kh * c->kw * sizeof(float));
    d->gb = amlp_malloc(c->out_c * sizeof(float));
    if (!d->gw || !d->gb)
        return false;
    d->n = n;
    return true;
}

/* The layer's cache ready for batch n, or NULL for the im2col path. */
static amlp_nn_dnnl_conv *ready(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                                size_t oh, size_t ow, size_t n)
{
    if (!amlp_nn_dnnl_usable())
        return NULL;
    if (!*cache) {
        *cache = amlp_calloc(1, sizeof **cache);
        if (!*cache)
            return NULL;
        if (dnnl_stream_create(&(*cache)->stream, engine, dnnl_stream_default_flags))
            (*cache)->failed = true;
    }
    amlp_nn_dnnl_conv *d = *cache;
    if (d->failed || d->n == n)
        return d->failed ? NULL : d;
    if (!build(d, c, oh, ow, n)) {
        release(d);
        d->failed = true;
        return NULL;
    }
    return d;
}

/* Sets the handles of (memory, pointer) pairs. */
static void bind(dnnl_memory_t *m, void *const *p, size_t k)
{
    for (size_t i = 0; i < k; i++)
        dnnl_memory_set_data_handle(m[i], p[i]);
}

static int execute(amlp_nn_dnnl_conv *d, int which, const dnnl_exec_arg_t *args, int nargs)
{
    amlp_dnnl.omp_set_num_threads(amlp_nn_threads());
    if (dnnl_primitive_execute(d->prim[which], d->stream, nargs, args) ||
        dnnl_stream_wait(d->stream))
        return AML_EINVAL;
    return 0;
}

int amlp_nn_dnnl_conv_forward(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                              size_t oh, size_t ow, const float *w, const float *b,
                              const float *x, float *y, size_t n)
{
    amlp_nn_dnnl_conv *d = ready(cache, c, oh, ow, n);
    if (!d)
        return AML_EUNSUPPORTED;
    dnnl_memory_t m[] = {d->src, d->wei, d->dst, d->bias};
    void *p[] = {(void *)x, (void *)w, y, (void *)b};
    bind(m, p, b ? 4 : 3);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, d->src}, {DNNL_ARG_WEIGHTS, d->wei},
                              {DNNL_ARG_DST, d->dst}, {DNNL_ARG_BIAS, d->bias}};
    return execute(d, FWD, args, b ? 4 : 3);
}

int amlp_nn_dnnl_conv_backward(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                               size_t oh, size_t ow, const float *w, float *gw, float *gb,
                               const float *x, const float *dy, float *dx, size_t n)
{
    amlp_nn_dnnl_conv *d = ready(cache, c, oh, ow, n);
    if (!d)
        return AML_EUNSUPPORTED;
    dnnl_memory_t m[] = {d->src, d->ddst, d->dwei, d->dsrc, d->wei, d->dbias};
    void *p[] = {(void *)x, (void *)dy, d->gw, dx, (void *)w, d->gb};
    bind(m, p, dx ? 5 : 3);
    if (gb)
        dnnl_memory_set_data_handle(d->dbias, d->gb);
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, d->src}, {DNNL_ARG_DIFF_DST, d->ddst},
                               {DNNL_ARG_DIFF_WEIGHTS, d->dwei}, {DNNL_ARG_DIFF_BIAS, d->dbias}};
    dnnl_exec_arg_t dargs[] = {{DNNL_ARG_DIFF_DST, d->ddst}, {DNNL_ARG_WEIGHTS, d->wei},
                               {DNNL_ARG_DIFF_SRC, d->dsrc}};
    int rc = execute(d, BWD_WEIGHTS, wargs, gb ? 4 : 3);
    rc = rc || !dx ? rc : execute(d, BWD_DATA, dargs, 3);
    if (rc)
        return rc;
    size_t nw = c->out_c * (c->in_c / c->groups) * c->kh * c->kw;
    for (size_t i = 0; i < nw; i++)
        gw[i] += d->gw[i];
    for (size_t i = 0; gb && i < c->out_c; i++)
        gb[i] += d->gb[i];
    return 0;
}

void amlp_nn_dnnl_conv_free(amlp_nn_dnnl_conv *cache)
{
    if (!cache)
        return;
    release(cache);
    if (cache->stream)
        dnnl_stream_destroy(cache->stream);
    amlp_free(cache);
}
