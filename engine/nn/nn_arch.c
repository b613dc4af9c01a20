/* nn_arch.c — image networks from a few decisions (amlp_nn_arch): a stem,
 * up to four stages of plain, residual or depthwise-separable blocks, and a
 * global-average-pool classifier head.  One walk over the shapes checks an
 * architecture, counts its weights and multiply-adds; the builder follows
 * the same walk with real layers, so the counts match the built net. */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BN_MOMENTUM 0.1
#define BN_EPS 1e-5
#define MAX_SIDE 4096u

/* What a walk over the shapes adds up. */
typedef struct arch_count {
    size_t params;
    double macs;
} arch_count;

/* A convolution's weights and multiply-adds (no bias: batch norm follows). */
static void count_conv(arch_count *n, size_t in_c, size_t out_c, size_t groups, size_t k,
                       size_t oh, size_t ow)
{
    size_t w = out_c * (in_c / groups) * k * k;
    n->params += w;
    n->macs += (double)w * (double)(oh * ow);
}

static size_t half_up(size_t s)
{
    return (s + 1) / 2;
}

/* One block on in_c x h x w with `stride`: counts it, *h and *w become the
 * output size. */
static void count_block(arch_count *n, const amlp_nn_stage *s, size_t in_c, size_t stride,
                        size_t *h, size_t *w)
{
    size_t oh = stride == 2 ? half_up(*h) : *h, ow = stride == 2 ? half_up(*w) : *w;
    size_t k = s->kernel, out_c = s->width;
    switch (s->block) {
    case AMLP_NN_BLOCK_PLAIN:
        count_conv(n, in_c, out_c, 1, k, oh, ow);
        n->params += 2 * out_c;
        break;
    case AMLP_NN_BLOCK_RESIDUAL:
        count_conv(n, in_c, out_c, 1, k, oh, ow);
        count_conv(n, out_c, out_c, 1, k, oh, ow);
        n->params += 4 * out_c;
        if (in_c != out_c || stride != 1)
            count_conv(n, in_c, out_c, 1, 1, oh, ow);
        break;
    case AMLP_NN_BLOCK_SEPARABLE:
        count_conv(n, in_c, in_c, in_c, k, oh, ow);
        count_conv(n, in_c, out_c, 1, 1, oh, ow);
        n->params += 2 * in_c + 2 * out_c;
        break;
    }
    *h = oh;
    *w = ow;
}

/* The numbers each field may take; 0 or AML_EINVAL with the reason. */
static int check_fields(const amlp_nn_arch *a, size_t c, size_t h, size_t w, aml_error *err)
{
    if (c == 0 || h == 0 || w == 0 || h > MAX_SIDE || w > MAX_SIDE || c > AMLP_NN_ARCH_MAX_WIDTH)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch",
                             "images of %zux%zux%zu are not a shape a network can take", c, h,
                             w);
    if (a->stem == 0 || a->stem > AMLP_NN_ARCH_MAX_WIDTH)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch", "stem %zu is outside 1..%u",
                             a->stem, AMLP_NN_ARCH_MAX_WIDTH);
    if (a->n_stages == 0 || a->n_stages > AMLP_NN_ARCH_MAX_STAGES)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch", "%zu stages is outside 1..%d",
                             a->n_stages, AMLP_NN_ARCH_MAX_STAGES);
    if (!(a->dropout >= 0 && a->dropout < 0.9))
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch",
                             "dropout %g is outside [0, 0.9)", a->dropout);
    for (size_t i = 0; i < a->n_stages; i++) {
        const amlp_nn_stage *s = &a->stage[i];
        if (s->blocks == 0 || s->blocks > 4 || s->width == 0 ||
            s->width > AMLP_NN_ARCH_MAX_WIDTH || (s->kernel != 3 && s->kernel != 5) ||
            (unsigned)s->block > AMLP_NN_BLOCK_SEPARABLE)
            return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch",
                                 "stage %zu (%zu blocks, width %zu, kernel %zu, block kind %d) "
                                 "needs 1..4 blocks, width 1..%u, kernel 3 or 5 and a known "
                                 "block kind", i + 1, s->blocks, s->width, s->kernel,
                                 (int)s->block, AMLP_NN_ARCH_MAX_WIDTH);
    }
    return 0;
}

/* The side after the stages' halvings. */
static size_t halved(size_t side, size_t halvings, bool pool_max)
{
    for (size_t i = 0; i < halvings; i++)
        side = pool_max ? side / 2 : half_up(side);
    return side;
}

int amlp_nn_arch_check(const amlp_nn_arch *a, size_t c, size_t h, size_t w, aml_error *err)
{
    int rc = check_fields(a, c, h, w, err);
    if (rc)
        return rc;
    size_t halvings = a->n_stages - 1;
    size_t lh = halved(h, halvings, a->pool_max), lw = halved(w, halvings, a->pool_max);
    if (lh < 2 || lw < 2)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch",
                             "%zu stages halve %zux%zu images to %zux%zu, below the 2x2 "
                             "their last stage needs; use fewer stages or larger images",
                             a->n_stages, h, w, lh, lw);
    return 0;
}

/* Walks a checked arch: weights and multiply-adds of every layer. */
static arch_count arch_walk(const amlp_nn_arch *a, size_t c, size_t h, size_t w,
                            size_t n_classes)
{
    arch_count n = {0};
    count_conv(&n, c, a->stem, 1, 3, h, w);
    n.params += 2 * a->stem;
    size_t ch = a->stem;
    for (size_t i = 0; i < a->n_stages; i++) {
        const amlp_nn_stage *s = &a->stage[i];
        bool halve = i > 0, pool = halve && a->pool_max;
        if (pool) {
            h /= 2;
            w /= 2;
        }
        for (size_t b = 0; b < s->blocks; b++) {
            count_block(&n, s, ch, b == 0 && halve && !pool ? 2 : 1, &h, &w);
            ch = s->width;
        }
    }
    n.params += ch * n_classes + n_classes;
    n.macs += (double)(ch * n_classes);
    return n;
}

size_t amlp_nn_arch_params(const amlp_nn_arch *a, size_t c, size_t h, size_t w, size_t n_classes)
{
    if (n_classes == 0 || amlp_nn_arch_check(a, c, h, w, NULL))
        return 0;
    return arch_walk(a, c, h, w, n_classes).params;
}

double amlp_nn_arch_macs(const amlp_nn_arch *a, size_t c, size_t h, size_t w, size_t n_classes)
{
    if (n_classes == 0 || amlp_nn_arch_check(a, c, h, w, NULL))
        return 0;
    return arch_walk(a, c, h, w, n_classes).macs;
}

size_t amlp_nn_net_weights(const amlp_nn_net *net)
{
    size_t total = 0, n = amlp_nn_net_n_params(net);
    for (size_t i = 0; i < n; i++)
        total += amlp_nn_net_param((amlp_nn_net *)net, i)->n;
    return total;
}

static const char *block_name(amlp_nn_block b)
{
    switch (b) {
    case AMLP_NN_BLOCK_PLAIN:
        return "plain";
    case AMLP_NN_BLOCK_RESIDUAL:
        return "residual";
    case AMLP_NN_BLOCK_SEPARABLE:
        return "separable";
    }
    return "unknown";
}

/* Appends to buf at *len, never past cap (snprintf's truncation). */
static void put(char *buf, size_t cap, size_t *len, const char *text)
{
    if (*len + 1 >= cap)
        return;
    int n = snprintf(buf + *len, cap - *len, "%s", text);
    *len += n > 0 ? (size_t)n : 0;
    if (*len >= cap)
        *len = cap - 1;
}

void amlp_nn_arch_describe(const amlp_nn_arch *a, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    size_t len = 0, stages = a->n_stages < AMLP_NN_ARCH_MAX_STAGES ? a->n_stages
                                                                  : AMLP_NN_ARCH_MAX_STAGES;
    char part[96];
    snprintf(part, sizeof part, "stem %zu", a->stem);
    put(buf, cap, &len, part);
    for (size_t i = 0; i < stages; i++) {
        const amlp_nn_stage *s = &a->stage[i];
        snprintf(part, sizeof part, " · %zu×%zu %s %zu×%zu", s->width, s->blocks,
                 block_name(s->block), s->kernel, s->kernel);
        put(buf, cap, &len, part);
    }
    if (stages > 1)
        put(buf, cap, &len, a->pool_max ? " · max-pool" : " · stride-2");
    if (a->dropout > 0) {
        snprintf(part, sizeof part, " · dropout %g", a->dropout);
        put(buf, cap, &len, part);
    }
}

/* ---- building ---- */

/* What the builder carries from layer to layer: the net being filled, the
 * current shape and the initialisation stream. */
typedef struct builder {
    amlp_nn_net *net;
    size_t c, h, w;
    amlp_rng rng;
} builder;

/* Appends conv k x k (no bias) with padding k/2 to net; the shape follows. */
static int add_conv(amlp_nn_net *net, size_t *c, size_t *h, size_t *w, size_t out_c, size_t k,
                    size_t stride, size_t groups, amlp_rng *rng)
{
    amlp_nn_conv2d_cfg cfg = {.in_c = *c, .h = *h, .w = *w, .out_c = out_c, .kh = k, .kw = k,
                              .stride = stride, .pad = k / 2, .groups = groups, .bias = false};
    amlp_nn_layer *l = NULL;
    int rc = amlp_nn_conv2d_new(&cfg, rng, &l);
    rc = rc ? rc : amlp_nn_net_add(net, l);
    *c = out_c;
    *h = amlp_nn_conv_out_size(*h, k, stride, k / 2);
    *w = amlp_nn_conv_out_size(*w, k, stride, k / 2);
    return rc;
}

/* Appends batch norm 2-d, then ReLU when `relu`. */
static int add_bn(amlp_nn_net *net, size_t c, size_t h, size_t w, bool relu)
{
    amlp_nn_layer *l = NULL;
    int rc = amlp_nn_batchnorm2d_new(c, h, w, BN_MOMENTUM, BN_EPS, &l);
    rc = rc ? rc : amlp_nn_net_add(net, l);
    if (rc == 0 && relu) {
        rc = amlp_nn_relu_new(c * h * w, &l);
        rc = rc ? rc : amlp_nn_net_add(net, l);
    }
    return rc;
}

/* conv - BN [- ReLU] on the builder's net and shape. */
static int conv_bn(builder *b, size_t out_c, size_t k, size_t stride, size_t groups, bool relu)
{
    int rc = add_conv(b->net, &b->c, &b->h, &b->w, out_c, k, stride, groups, &b->rng);
    return rc ? rc : add_bn(b->net, b->c, b->h, b->w, relu);
}

static int residual_block(builder *b, const amlp_nn_stage *s, size_t stride)
{
    size_t c = b->c, h = b->h, w = b->w;
    builder inner = {.c = c, .h = h, .w = w, .rng = b->rng};
    int rc = amlp_nn_net_new(c * h * w, &inner.net);
    rc = rc ? rc : conv_bn(&inner, s->width, s->kernel, stride, 1, true);
    rc = rc ? rc : conv_bn(&inner, s->width, s->kernel, 1, 1, false);
    if (rc) {
        amlp_nn_net_free(inner.net);
        return rc;
    }
    b->rng = inner.rng;
    amlp_nn_layer *l = NULL;
    rc = amlp_nn_residual_new(inner.net, c, h, w, s->width, stride, &b->rng, &l);
    rc = rc ? rc : amlp_nn_net_add(b->net, l);
    b->c = inner.c;
    b->h = inner.h;
    b->w = inner.w;
    if (rc == 0) {
        rc = amlp_nn_relu_new(b->c * b->h * b->w, &l);
        rc = rc ? rc : amlp_nn_net_add(b->net, l);
    }
    return rc;
}

static int add_block(builder *b, const amlp_nn_stage *s, size_t stride)
{
    switch (s->block) {
    case AMLP_NN_BLOCK_PLAIN:
        return conv_bn(b, s->width, s->kernel, stride, 1, true);
    case AMLP_NN_BLOCK_RESIDUAL:
        return residual_block(b, s, stride);
    case AMLP_NN_BLOCK_SEPARABLE: {
        int rc = conv_bn(b, b->c, s->kernel, stride, b->c, true);
        return rc ? rc : conv_bn(b, s->width, 1, 1, 1, true);
    }
    }
    return AML_EINVAL;
}

static int add_stage(builder *b, const amlp_nn_arch *a, size_t i)
{
    const amlp_nn_stage *s = &a->stage[i];
    bool halve = i > 0;
    int rc = 0;
    if (halve && a->pool_max) {
        amlp_nn_layer *l = NULL;
        rc = amlp_nn_pool_new(AMLP_NN_MAXPOOL, b->c, b->h, b->w, 2, 2, 0, &l);
        rc = rc ? rc : amlp_nn_net_add(b->net, l);
        b->h /= 2;
        b->w /= 2;
    }
    for (size_t k = 0; rc == 0 && k < s->blocks; k++)
        rc = add_block(b, s, k == 0 && halve && !a->pool_max ? 2 : 1);
    return rc;
}

/* Global average pool - dropout - dense n_classes. */
static int add_head(builder *b, const amlp_nn_arch *a, size_t n_classes, uint64_t seed)
{
    amlp_nn_layer *l = NULL;
    int rc = amlp_nn_global_avgpool_new(b->c, b->h, b->w, &l);
    rc = rc ? rc : amlp_nn_net_add(b->net, l);
    if (rc == 0 && a->dropout > 0) {
        rc = amlp_nn_dropout_new(b->c, a->dropout, seed ^ 0x9e3779b97f4a7c15ull, &l);
        rc = rc ? rc : amlp_nn_net_add(b->net, l);
    }
    if (rc == 0) {
        rc = amlp_nn_dense_new(b->c, n_classes, AMLP_NN_INIT_XAVIER, &b->rng, &l);
        rc = rc ? rc : amlp_nn_net_add(b->net, l);
    }
    return rc;
}

int amlp_nn_arch_build_parts(const amlp_nn_arch *a, size_t c, size_t h, size_t w,
                             size_t n_classes, uint64_t seed, amlp_nn_net **out, size_t *first,
                             aml_error *err)
{
    *out = NULL;
    int rc = amlp_nn_arch_check(a, c, h, w, err);
    if (rc)
        return rc;
    if (n_classes == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn arch", "a classifier needs classes");
    builder b = {.c = c, .h = h, .w = w};
    amlp_rng_seed(&b.rng, seed);
    rc = amlp_nn_net_new(c * h * w, &b.net);
    if (first && rc == 0)
        first[0] = 0;
    rc = rc ? rc : conv_bn(&b, a->stem, 3, 1, 1, true);
    for (size_t i = 0; rc == 0 && i < a->n_stages; i++) {
        if (first)
            first[1 + i] = b.net->n_layers;
        rc = add_stage(&b, a, i);
    }
    if (first && rc == 0)
        first[1 + a->n_stages] = b.net->n_layers;
    rc = rc ? rc : add_head(&b, a, n_classes, seed);
    if (first && rc == 0)
        first[2 + a->n_stages] = b.net->n_layers;
    if (rc) {
        amlp_nn_net_free(b.net);
        return aml_error_set(err, rc, 0, 0, "nn arch",
                             rc == AML_ENOMEM ? "out of memory while building the network"
                                              : "a layer refused its shape while building");
    }
    *out = b.net;
    return 0;
}

int amlp_nn_arch_build(const amlp_nn_arch *a, size_t c, size_t h, size_t w, size_t n_classes,
                       uint64_t seed, amlp_nn_net **out, aml_error *err)
{
    return amlp_nn_arch_build_parts(a, c, h, w, n_classes, seed, out, NULL, err);
}
