/* nn_residual.c — the residual block, a composite layer: y = inner(x) +
 * shortcut(x), where inner is a whole sequential network (child 0) and the
 * shortcut is the identity or, when the channels or the stride change, a
 * network of one 1 x 1 convolution (child 1).  Backward adds the two input
 * gradients.  Saved as its shape, then the child networks themselves. */
#include "nn/nn_internal.h"

#include <string.h>

typedef struct residual {
    size_t c, h, w, out_c, stride;
    float *scratch;          /* the shortcut's input gradient */
    size_t scratch_cap;
} residual;

static int res_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    const float *yi = NULL, *ys = NULL;
    int rc = amlp_nn_net_forward(l->child[0], x, n, train, &yi);
    if (rc == 0 && l->child[1])
        rc = amlp_nn_net_forward(l->child[1], x, n, train, &ys);
    if (rc)
        return rc;
    const float *s = l->child[1] ? ys : x;
    for (size_t i = 0; i < n * l->out; i++)
        y[i] = yi[i] + s[i];
    return 0;
}

static int res_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                        float *dx, size_t n)
{
    (void)x;
    (void)y;
    residual *r = l->impl;
    int rc = amlp_nn_net_backward_dx(l->child[0], dy, n, dx);
    if (rc)
        return rc;
    if (!l->child[1]) {
        for (size_t i = 0; dx && i < n * l->in; i++)
            dx[i] += dy[i];
        return 0;
    }
    rc = dx ? amlp_nn_grow(&r->scratch, &r->scratch_cap, n * l->in) : 0;
    rc = rc ? rc : amlp_nn_net_backward_dx(l->child[1], dy, n, dx ? r->scratch : NULL);
    for (size_t i = 0; rc == 0 && dx && i < n * l->in; i++)
        dx[i] += r->scratch[i];
    return rc;
}

static int res_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const residual *r = l->impl;
    const uint64_t v[] = {r->c, r->h, r->w, r->out_c, r->stride, l->child[1] != NULL};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof v / sizeof v[0]; i++)
        rc = amlp_bytes_put_u64(out, v[i]);
    rc = rc ? rc : amlp_nn_net_save(l->child[0], out);
    if (rc == 0 && l->child[1])
        rc = amlp_nn_net_save(l->child[1], out);
    return rc;
}

static void res_free(amlp_nn_layer *l)
{
    residual *r = l->impl;
    if (r)
        amlp_free(r->scratch);
    amlp_free(r);
}

static const amlp_nn_layer_ops res_ops = {
    .type = AMLP_NN_RESIDUAL,
    .name = "residual",
    .forward = res_forward,
    .backward = res_backward,
    .save_config = res_save,
    .free_impl = res_free,
};

#define MAX_DIM (1u << 16)
#define MAX_STRIDE 64u

/* The block over children that already have the right widths; takes
 * ownership of both (also on failure). */
static int res_build(const residual *shape, amlp_nn_net *inner, amlp_nn_net *shortcut,
                     amlp_nn_layer **l)
{
    int rc = amlp_nn_layer_alloc(&res_ops, inner->in, amlp_nn_net_out(inner), l);
    residual *r = rc ? NULL : amlp_malloc(sizeof *r);
    if (!r) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        amlp_nn_net_free(inner);
        amlp_nn_net_free(shortcut);
        return rc ? rc : AML_ENOMEM;
    }
    *r = *shape;
    r->scratch = NULL;
    r->scratch_cap = 0;
    (*l)->impl = r;
    (*l)->child[0] = inner;
    (*l)->child[1] = shortcut;
    return 0;
}

/* The shapes agree: inner maps c x h x w to out_c x ceil(h/s) x ceil(w/s). */
static bool res_shape_ok(const residual *s, const amlp_nn_net *inner)
{
    if (s->c == 0 || s->h == 0 || s->w == 0 || s->out_c == 0 || s->stride == 0 ||
        s->c > MAX_DIM || s->h > MAX_DIM || s->w > MAX_DIM || s->out_c > MAX_DIM ||
        s->stride > MAX_STRIDE || !inner || inner->n_layers == 0)
        return false;
    size_t oh = (s->h - 1) / s->stride + 1, ow = (s->w - 1) / s->stride + 1;
    return inner->in == s->c * s->h * s->w && amlp_nn_net_out(inner) == s->out_c * oh * ow;
}

static bool needs_projection(const residual *s)
{
    return s->out_c != s->c || s->stride != 1;
}

int amlp_nn_residual_new(amlp_nn_net *inner, size_t c, size_t h, size_t w, size_t out_c,
                         size_t stride, amlp_rng *rng, amlp_nn_layer **l)
{
    *l = NULL;
    residual shape = {.c = c, .h = h, .w = w, .out_c = out_c, .stride = stride};
    if (!res_shape_ok(&shape, inner)) {
        amlp_nn_net_free(inner);
        return AML_EINVAL;
    }
    amlp_nn_net *shortcut = NULL;
    if (needs_projection(&shape)) {
        amlp_nn_conv2d_cfg pc = {.in_c = c, .h = h, .w = w, .out_c = out_c, .kh = 1, .kw = 1,
                                 .stride = stride, .pad = 0, .groups = 1, .bias = false};
        amlp_nn_layer *proj = NULL;
        int rc = amlp_nn_net_new(inner->in, &shortcut);
        rc = rc ? rc : amlp_nn_conv2d_new(&pc, rng, &proj);
        rc = rc ? rc : amlp_nn_net_add(shortcut, proj);
        if (rc) {
            amlp_nn_net_free(shortcut);
            amlp_nn_net_free(inner);
            return rc;
        }
    }
    return res_build(&shape, inner, shortcut, l);
}

int amlp_nn_residual_load(amlp_reader *in, unsigned depth, size_t n_in, size_t n_out,
                          amlp_nn_layer **l)
{
    *l = NULL;
    uint64_t v[6];
    for (size_t i = 0; i < 6; i++)
        if (amlp_read_u64(in, &v[i]) || v[i] > MAX_DIM)
            return AML_EPARSE;
    residual shape = {.c = v[0], .h = v[1], .w = v[2], .out_c = v[3], .stride = v[4]};
    if (depth + 1 > AMLP_NN_MAX_NESTING || v[5] != needs_projection(&shape))
        return AML_EPARSE;
    amlp_nn_net *inner = NULL, *shortcut = NULL;
    int rc = amlp_nn_net_load_nested(in, depth + 1, &inner);
    if (rc == 0 && v[5])
        rc = amlp_nn_net_load_nested(in, depth + 1, &shortcut);
    if (rc == 0 && (!res_shape_ok(&shape, inner) || inner->in != n_in ||
                    amlp_nn_net_out(inner) != n_out))
        rc = AML_EPARSE;
    if (rc == 0 && shortcut &&
        (shortcut->n_layers != 1 || shortcut->layers[0]->ops->type != AMLP_NN_CONV2D ||
         shortcut->in != n_in || amlp_nn_net_out(shortcut) != n_out))
        rc = AML_EPARSE;
    if (rc) {
        amlp_nn_net_free(inner);
        amlp_nn_net_free(shortcut);
        return rc;
    }
    return res_build(&shape, inner, shortcut, l);
}
