/* nn_conv_dnnl.c — the convolution layer's oneDNN path: libdnnl.so.2 is
 * loaded on first use (amlp_dl_dnnl); each layer caches its forward,
 * backward-data and backward-weights primitives for its shape and batch size
 * (recreated when the batch size changes).  The primitives choose their
 * layouts (oneDNN's blocked formats run its fastest kernels); reorders from
 * and to the caller's plain NCHW / OIHW memory keep the layer contract (rows
 * of C*H*W floats).  oneDNN runs
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

/* One tensor of one primitive: `user` is the caller's plain NCHW / OIHW
 * memory (handle set per call); `inner` the layout the primitive chose
 * (oneDNN's blocked formats run its fastest kernels), the same memory when
 * the layouts agree, else a buffer of ours with a reorder to it (inputs) or
 * from it (outputs). */
typedef struct slot {
    dnnl_memory_t user, inner;
    dnnl_primitive_t reorder;
    void *buf;
} slot;

/* The primitives' tensors: forward src, weights, dst; backward-data diff
 * dst, weights, diff src; backward-weights src, diff dst, diff weights. */
enum { F_SRC, F_WEI, F_DST, D_DDST, D_WEI, D_DSRC, W_SRC, W_DDST, W_DWEI, N_SLOTS };

struct amlp_nn_dnnl_conv {
    size_t n;                            /* batch size of the primitives; 0: none */
    bool failed;                         /* oneDNN refused the shape: im2col */
    dnnl_stream_t stream;
    dnnl_primitive_desc_t pd[N_PRIMS];
    dnnl_primitive_t prim[N_PRIMS];
    slot t[N_SLOTS];
    bool share_ddst;                     /* both backward primitives read one diff dst */
    dnnl_memory_t bias, dbias;           /* plain: handles set per call */
    dnnl_memory_t scratch[N_PRIMS];      /* each primitive's view of scratch_buf */
    void *scratch_buf;                   /* kept: oneDNN's own would be allocated,
                                            faulted in and freed on every call */
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

static void slot_free(slot *t)
{
    if (t->inner != t->user)
        dnnl_memory_destroy(t->inner);
    dnnl_memory_destroy(t->user);
    dnnl_primitive_destroy(t->reorder);
    amlp_free(t->buf);
}

/* Destroys the primitives and memories (not the stream). */
static void release(amlp_nn_dnnl_conv *d)
{
    for (int i = 0; i < N_PRIMS; i++) {
        dnnl_primitive_destroy(d->prim[i]);
        dnnl_primitive_desc_destroy(d->pd[i]);
    }
    for (int i = 0; i < N_SLOTS; i++)
        slot_free(&d->t[i]);
    dnnl_memory_destroy(d->bias);
    dnnl_memory_destroy(d->dbias);
    for (int i = 0; i < N_PRIMS; i++)
        dnnl_memory_destroy(d->scratch[i]);
    amlp_free(d->scratch_buf);
    amlp_free(d->gw);
    amlp_free(d->gb);
    dnnl_stream_t stream = d->stream;
    memset(d, 0, sizeof *d);
    d->stream = stream;
}

typedef struct conv_descs {
    dnnl_memory_desc_t src, wei, bias, dst;      /* plain */
    dnnl_memory_desc_t src_any, wei_any, dst_any;   /* for oneDNN to choose */
    dnnl_dims_t strides, pad_l, pad_r;
} conv_descs;

/* A tensor's plain description and the same dims with the layout left to
 * oneDNN; false if refused. */
static bool describe_pair(dnnl_memory_desc_t *plain, dnnl_memory_desc_t *any, int nd,
                          const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
    return dnnl_memory_desc_init_by_tag(plain, nd, dims, dnnl_f32, tag) == dnnl_success &&
           dnnl_memory_desc_init_by_tag(any, nd, dims, dnnl_f32, dnnl_format_tag_any) ==
               dnnl_success;
}

/* The layer's tensors at batch n; false if refused. */
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
    return describe_pair(&s->src, &s->src_any, 4, src, dnnl_nchw) &&
           describe_pair(&s->dst, &s->dst_any, 4, dst, dnnl_nchw) &&
           dnnl_memory_desc_init_by_tag(&s->bias, 1, bias, dnnl_f32, dnnl_a) == dnnl_success &&
           describe_pair(&s->wei, &s->wei_any, grouped ? 5 : 4, grouped ? wei : wei + 1,
                         grouped ? dnnl_goihw : dnnl_oihw);
}

/* The three primitive descriptions and primitives; false if refused. */
static bool create_prims(amlp_nn_dnnl_conv *d, const conv_descs *s, bool bias)
{
    dnnl_convolution_desc_t cd[N_PRIMS];
    const dnnl_memory_desc_t *b = bias ? &s->bias : NULL;
    if (dnnl_convolution_forward_desc_init(&cd[FWD], dnnl_forward_training,
                                           dnnl_convolution_direct, &s->src_any, &s->wei_any,
                                           b, &s->dst_any, s->strides, s->pad_l, s->pad_r) ||
        dnnl_convolution_backward_data_desc_init(&cd[BWD_DATA], dnnl_convolution_direct,
                                                 &s->src_any, &s->wei_any, &s->dst_any,
                                                 s->strides, s->pad_l, s->pad_r) ||
        dnnl_convolution_backward_weights_desc_init(
            &cd[BWD_WEIGHTS], dnnl_convolution_direct, &s->src_any, &s->wei_any, b,
            &s->dst_any, s->strides, s->pad_l, s->pad_r))
        return false;
    dnnl_primitive_attr_t attr = NULL;
    bool ok = !dnnl_primitive_attr_create(&attr) &&
              !dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    for (int i = 0; ok && i < N_PRIMS; i++)
        ok = !dnnl_primitive_desc_create(&d->pd[i], &cd[i], attr, engine,
                                         i == FWD ? NULL : d->pd[FWD]) &&
             !dnnl_primitive_create(&d->prim[i], d->pd[i]);
    dnnl_primitive_attr_destroy(attr);
    return ok;
}

/* One scratch buffer for the three primitives (they run one after the
 * other on the layer's stream), sized for the largest. */
static bool make_scratch(amlp_nn_dnnl_conv *d)
{
    const dnnl_memory_desc_t *md[N_PRIMS];
    size_t size = 1;
    for (int i = 0; i < N_PRIMS; i++) {
        md[i] = dnnl_primitive_desc_query_md(d->pd[i], dnnl_query_scratchpad_md, 0);
        size_t s = md[i] ? dnnl_memory_desc_get_size(md[i]) : 0;
        size = s > size ? s : size;
    }
    if (!(d->scratch_buf = amlp_malloc(size)))
        return false;
    for (int i = 0; i < N_PRIMS; i++)
        if (!md[i] || dnnl_memory_create(&d->scratch[i], md[i], engine, d->scratch_buf))
            return false;
    return true;
}

/* A slot between the plain layout and the one primitive `which` chose for
 * its tensor `q`; false if refused or out of memory. */
static bool slot_make(amlp_nn_dnnl_conv *d, slot *t, const dnnl_memory_desc_t *plain,
                      int which, dnnl_query_t q, bool input)
{
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(d->pd[which], q, 0);
    if (!want || dnnl_memory_create(&t->user, plain, engine, DNNL_MEMORY_NONE))
        return false;
    if (dnnl_memory_desc_equal(want, plain)) {
        t->inner = t->user;
        return true;
    }
    dnnl_primitive_desc_t rpd = NULL;
    t->buf = amlp_malloc(dnnl_memory_desc_get_size(want));
    bool ok = t->buf && !dnnl_memory_create(&t->inner, want, engine, t->buf) &&
              !dnnl_reorder_primitive_desc_create(&rpd, input ? plain : want, engine,
                                                  input ? want : plain, engine, NULL) &&
              !dnnl_primitive_create(&t->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return ok;
}

static bool make_slots(amlp_nn_dnnl_conv *d, const conv_descs *s)
{
    static const struct { int slot, prim; dnnl_query_t q; bool input; } map[N_SLOTS] = {
        {F_SRC, FWD, dnnl_query_src_md, true},
        {F_WEI, FWD, dnnl_query_weights_md, true},
        {F_DST, FWD, dnnl_query_dst_md, false},
        {D_DDST, BWD_DATA, dnnl_query_diff_dst_md, true},
        {D_WEI, BWD_DATA, dnnl_query_weights_md, true},
        {D_DSRC, BWD_DATA, dnnl_query_diff_src_md, false},
        {W_SRC, BWD_WEIGHTS, dnnl_query_src_md, true},
        {W_DDST, BWD_WEIGHTS, dnnl_query_diff_dst_md, true},
        {W_DWEI, BWD_WEIGHTS, dnnl_query_diff_weights_md, false},
    };
    const dnnl_memory_desc_t *plain[N_SLOTS] = {&s->src, &s->wei, &s->dst, &s->dst, &s->wei,
                                                &s->src, &s->src, &s->dst, &s->wei};
    d->share_ddst = dnnl_memory_desc_equal(
        dnnl_primitive_desc_query_md(d->pd[BWD_DATA], dnnl_query_diff_dst_md, 0),
        dnnl_primitive_desc_query_md(d->pd[BWD_WEIGHTS], dnnl_query_diff_dst_md, 0));
    for (int i = 0; i < N_SLOTS; i++)
        if (!(i == D_DDST && d->share_ddst) &&
            !slot_make(d, &d->t[map[i].slot], plain[i], map[i].prim, map[i].q, map[i].input))
            return false;
    return !dnnl_memory_create(&d->bias, &s->bias, engine, DNNL_MEMORY_NONE) &&
           !dnnl_memory_create(&d->dbias, &s->bias, engine, DNNL_MEMORY_NONE);
}

/* Primitives and memories for batch n; false if oneDNN refuses. */
static bool build(amlp_nn_dnnl_conv *d, const amlp_nn_conv2d_cfg *c, size_t oh, size_t ow,
                  size_t n)
{
    release(d);
    conv_descs s;
    if (!describe(c, oh, ow, n, &s) || !create_prims(d, &s, c->bias) || !make_slots(d, &s) ||
        !make_scratch(d))
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
    /* the thread count is set before the primitives are made: oneDNN
     * splits their work by it, and only the same split gives the same bits */
    amlp_dnnl.omp_set_num_threads(amlp_nn_threads());
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

static bool run(amlp_nn_dnnl_conv *d, dnnl_primitive_t p, const dnnl_exec_arg_t *args,
                int nargs)
{
    return !dnnl_primitive_execute(p, d->stream, nargs, args);
}

/* Points slot i's user memory at ptr; an input is then reordered in. */
static bool slot_in(amlp_nn_dnnl_conv *d, int i, const void *ptr)
{
    slot *t = &d->t[i];
    dnnl_memory_set_data_handle(t->user, (void *)ptr);
    dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, t->user}, {DNNL_ARG_TO, t->inner}};
    return !t->reorder || run(d, t->reorder, a, 2);
}

/* After the primitive: an output is reordered back to the caller's memory. */
static bool slot_out(amlp_nn_dnnl_conv *d, int i)
{
    slot *t = &d->t[i];
    dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, t->inner}, {DNNL_ARG_TO, t->user}};
    return !t->reorder || run(d, t->reorder, a, 2);
}

static int finish(amlp_nn_dnnl_conv *d, bool ok)
{
    return ok && !dnnl_stream_wait(d->stream) ? 0 : AML_EINVAL;
}

int amlp_nn_dnnl_conv_forward(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                              size_t oh, size_t ow, const float *w, const float *b,
                              const float *x, float *y, size_t n)
{
    amlp_nn_dnnl_conv *d = ready(cache, c, oh, ow, n);
    if (!d)
        return AML_EUNSUPPORTED;
    amlp_dnnl.omp_set_num_threads(amlp_nn_threads());
    dnnl_memory_set_data_handle(d->bias, (void *)b);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, d->t[F_SRC].inner},
                              {DNNL_ARG_WEIGHTS, d->t[F_WEI].inner},
                              {DNNL_ARG_DST, d->t[F_DST].inner},
                              {DNNL_ARG_SCRATCHPAD, d->scratch[FWD]}, {DNNL_ARG_BIAS, d->bias}};
    dnnl_memory_set_data_handle(d->t[F_DST].user, y);
    bool ok = slot_in(d, F_SRC, x) && slot_in(d, F_WEI, w) &&
              run(d, d->prim[FWD], args, b ? 5 : 4) && slot_out(d, F_DST);
    return finish(d, ok);
}

int amlp_nn_dnnl_conv_backward(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                               size_t oh, size_t ow, const float *w, float *gw, float *gb,
                               const float *x, const float *dy, float *dx, size_t n)
{
    amlp_nn_dnnl_conv *d = ready(cache, c, oh, ow, n);
    if (!d)
        return AML_EUNSUPPORTED;
    amlp_dnnl.omp_set_num_threads(amlp_nn_threads());
    dnnl_memory_set_data_handle(d->dbias, d->gb);
    dnnl_memory_set_data_handle(d->t[W_DWEI].user, d->gw);
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, d->t[W_SRC].inner},
                               {DNNL_ARG_DIFF_DST, d->t[W_DDST].inner},
                               {DNNL_ARG_DIFF_WEIGHTS, d->t[W_DWEI].inner},
                               {DNNL_ARG_SCRATCHPAD, d->scratch[BWD_WEIGHTS]},
                               {DNNL_ARG_DIFF_BIAS, d->dbias}};
    bool ok = slot_in(d, W_SRC, x) && slot_in(d, W_DDST, dy) &&
              run(d, d->prim[BWD_WEIGHTS], wargs, gb ? 5 : 4) && slot_out(d, W_DWEI);
    if (ok && dx) {
        dnnl_memory_set_data_handle(d->t[D_DSRC].user, dx);
        int ddst = d->share_ddst ? W_DDST : D_DDST;   /* reordered once */
        dnnl_exec_arg_t dargs[] = {{DNNL_ARG_DIFF_DST, d->t[ddst].inner},
                                   {DNNL_ARG_WEIGHTS, d->t[D_WEI].inner},
                                   {DNNL_ARG_DIFF_SRC, d->t[D_DSRC].inner},
                                   {DNNL_ARG_SCRATCHPAD, d->scratch[BWD_DATA]}};
        ok = (d->share_ddst || slot_in(d, D_DDST, dy)) && slot_in(d, D_WEI, w) &&
             run(d, d->prim[BWD_DATA], dargs, 4) && slot_out(d, D_DSRC);
    }
    int rc = finish(d, ok);
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
