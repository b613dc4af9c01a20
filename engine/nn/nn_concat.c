/* nn_concat.c — channel concatenation, a composite layer: y = [a(x) ; b(x)]
 * where a (child 0) and b (child 1, or the input itself when absent) are
 * whole sequential networks on the same input.  In NCHW an image's channels
 * are contiguous, so concatenating channels is putting a's row before b's.
 * Backward splits dy between the children and adds their input gradients.
 * Saved as its shape, then the child networks. */
#include "nn/nn_internal.h"

#include <string.h>

typedef struct concat {
    size_t oh, ow;
    size_t out_a, out_b;     /* widths of the two parts of a row */
    float *dy_a, *dy_b, *dx_b;
    size_t cap_a, cap_b, cap_dx;
} concat;

static int concat_forward(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train)
{
    const concat *c = l->impl;
    const float *ya = NULL, *yb = x;
    int rc = amlp_nn_net_forward(l->child[0], x, n, train, &ya);
    if (rc == 0 && l->child[1])
        rc = amlp_nn_net_forward(l->child[1], x, n, train, &yb);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        memcpy(y + i * l->out, ya + i * c->out_a, c->out_a * sizeof(float));
        memcpy(y + i * l->out + c->out_a, yb + i * c->out_b, c->out_b * sizeof(float));
    }
    return 0;
}

/* Splits dy (n rows of out_a + out_b) into the children's gradients. */
static int split_dy(concat *c, const float *dy, size_t n)
{
    int rc = amlp_nn_grow(&c->dy_a, &c->cap_a, n * c->out_a);
    rc = rc ? rc : amlp_nn_grow(&c->dy_b, &c->cap_b, n * c->out_b);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const float *row = dy + i * (c->out_a + c->out_b);
        memcpy(c->dy_a + i * c->out_a, row, c->out_a * sizeof(float));
        memcpy(c->dy_b + i * c->out_b, row + c->out_a, c->out_b * sizeof(float));
    }
    return rc;
}

static int concat_backward(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                           float *dx, size_t n)
{
    (void)x;
    (void)y;
    concat *c = l->impl;
    int rc = split_dy(c, dy, n);
    rc = rc ? rc : amlp_nn_net_backward_dx(l->child[0], c->dy_a, n, dx);
    if (rc)
        return rc;
    if (!l->child[1]) {
        for (size_t i = 0; dx && i < n * l->in; i++)
            dx[i] += c->dy_b[i];
        return 0;
    }
    rc = dx ? amlp_nn_grow(&c->dx_b, &c->cap_dx, n * l->in) : 0;
    rc = rc ? rc : amlp_nn_net_backward_dx(l->child[1], c->dy_b, n, dx ? c->dx_b : NULL);
    for (size_t i = 0; rc == 0 && dx && i < n * l->in; i++)
        dx[i] += c->dx_b[i];
    return rc;
}

static int concat_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    const concat *c = l->impl;
    int rc = amlp_bytes_put_u64(out, c->oh);
    rc = rc ? rc : amlp_bytes_put_u64(out, c->ow);
    rc = rc ? rc : amlp_bytes_put_u64(out, l->child[1] != NULL);
    rc = rc ? rc : amlp_nn_net_save(l->child[0], out);
    if (rc == 0 && l->child[1])
        rc = amlp_nn_net_save(l->child[1], out);
    return rc;
}

static void concat_free(amlp_nn_layer *l)
{
    concat *c = l->impl;
    if (c) {
        amlp_free(c->dy_a);
        amlp_free(c->dy_b);
        amlp_free(c->dx_b);
    }
    amlp_free(c);
}

static const amlp_nn_layer_ops concat_ops = {
    .type = AMLP_NN_CONCAT,
    .name = "concat",
    .forward = concat_forward,
    .backward = concat_backward,
    .save_config = concat_save,
    .free_impl = concat_free,
};

#define MAX_DIM (1u << 16)

/* The children agree: same input, outputs of whole oh x ow planes. */
static bool shapes_ok(const amlp_nn_net *a, const amlp_nn_net *b, size_t oh, size_t ow)
{
    if (!a || a->n_layers == 0 || (b && b->n_layers == 0) || oh == 0 || ow == 0 ||
        oh > MAX_DIM || ow > MAX_DIM || (b && b->in != a->in))
        return false;
    size_t plane = oh * ow, out_b = b ? amlp_nn_net_out(b) : a->in;
    return amlp_nn_net_out(a) % plane == 0 && out_b % plane == 0;
}

/* The layer over checked children; takes ownership of both (also on failure). */
static int concat_build(amlp_nn_net *a, amlp_nn_net *b, size_t oh, size_t ow,
                        amlp_nn_layer **l)
{
    size_t out_a = amlp_nn_net_out(a), out_b = b ? amlp_nn_net_out(b) : a->in;
    int rc = amlp_nn_layer_alloc(&concat_ops, a->in, out_a + out_b, l);
    concat *c = rc ? NULL : amlp_calloc(1, sizeof *c);
    if (!c) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        amlp_nn_net_free(a);
        amlp_nn_net_free(b);
        return rc ? rc : AML_ENOMEM;
    }
    *c = (concat){.oh = oh, .ow = ow, .out_a = out_a, .out_b = out_b};
    (*l)->impl = c;
    (*l)->child[0] = a;
    (*l)->child[1] = b;
    return 0;
}

int amlp_nn_concat_new(amlp_nn_net *a, amlp_nn_net *b, size_t oh, size_t ow,
                       amlp_nn_layer **l)
{
    *l = NULL;
    if (!shapes_ok(a, b, oh, ow)) {
        amlp_nn_net_free(a);
        amlp_nn_net_free(b);
        return AML_EINVAL;
    }
    return concat_build(a, b, oh, ow, l);
}

int amlp_nn_concat_load(amlp_reader *in, unsigned depth, size_t n_in, size_t n_out,
                        amlp_nn_layer **l)
{
    *l = NULL;
    uint64_t v[3];
    for (size_t i = 0; i < 3; i++)
        if (amlp_read_u64(in, &v[i]) || v[i] > MAX_DIM)
            return AML_EPARSE;
    if (depth + 1 > AMLP_NN_MAX_NESTING || v[2] > 1)
        return AML_EPARSE;
    amlp_nn_net *a = NULL, *b = NULL;
    int rc = amlp_nn_net_load_nested(in, depth + 1, &a);
    if (rc == 0 && v[2])
        rc = amlp_nn_net_load_nested(in, depth + 1, &b);
    if (rc == 0 && (!shapes_ok(a, b, v[0], v[1]) || a->in != n_in ||
                    amlp_nn_net_out(a) + (b ? amlp_nn_net_out(b) : n_in) != n_out))
        rc = AML_EPARSE;
    if (rc) {
        amlp_nn_net_free(a);
        amlp_nn_net_free(b);
        return rc;
    }
    return concat_build(a, b, v[0], v[1], l);
}
