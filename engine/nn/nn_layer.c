/* nn_layer.c — what all layers share: allocation of a layer and its
 * parameter / state tensors, freeing, buffer growth, and serialisation
 * (type, widths, configuration, then every tensor) with the loader dispatch
 * by type. */
#include "nn/nn_internal.h"

#include <string.h>

int amlp_nn_grow(float **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    if (n > SIZE_MAX / sizeof(float))
        return AML_ENOMEM;
    float *p = amlp_realloc(*buf, n * sizeof(float));
    if (!p)
        return AML_ENOMEM;
    *buf = p;
    *cap = n;
    return 0;
}

int amlp_nn_layer_alloc(const amlp_nn_layer_ops *ops, size_t in, size_t out,
                        amlp_nn_layer **l)
{
    *l = NULL;
    if (in == 0 || out == 0)
        return AML_EINVAL;
    amlp_nn_layer *a = amlp_calloc(1, sizeof *a);
    if (!a)
        return AML_ENOMEM;
    a->ops = ops;
    a->in = in;
    a->out = out;
    *l = a;
    return 0;
}

int amlp_nn_layer_add_param(amlp_nn_layer *l, size_t n, bool decay)
{
    if (l->n_param == AMLP_NN_MAX_PARAMS)
        return AML_EINTERNAL;
    amlp_nn_param *p = &l->param[l->n_param];
    p->w = amlp_calloc(n, sizeof(float));
    p->g = amlp_calloc(n, sizeof(float));
    if (!p->w || !p->g) {
        amlp_free(p->w);
        amlp_free(p->g);
        p->w = p->g = NULL;
        return AML_ENOMEM;
    }
    p->n = n;
    p->decay = decay;
    l->n_param++;
    return 0;
}

int amlp_nn_layer_add_state(amlp_nn_layer *l, size_t n)
{
    if (l->n_state == AMLP_NN_MAX_PARAMS)
        return AML_EINTERNAL;
    amlp_nn_state *s = &l->state[l->n_state];
    s->v = amlp_calloc(n, sizeof(float));
    if (!s->v)
        return AML_ENOMEM;
    s->n = n;
    l->n_state++;
    return 0;
}

void amlp_nn_layer_free(amlp_nn_layer *l)
{
    if (!l)
        return;
    if (l->ops->free_impl)
        l->ops->free_impl(l);
    amlp_nn_net_free(l->child[0]);
    amlp_nn_net_free(l->child[1]);
    for (size_t i = 0; i < l->n_param; i++) {
        amlp_free(l->param[i].w);
        amlp_free(l->param[i].g);
    }
    for (size_t i = 0; i < l->n_state; i++)
        amlp_free(l->state[i].v);
    amlp_free(l);
}

static int put_floats(amlp_bytes *out, const float *v, size_t n)
{
    int rc = amlp_bytes_put_u64(out, n);
    return rc ? rc : amlp_bytes_put(out, v, n * sizeof(float));
}

static int get_floats(amlp_reader *in, float *v, size_t n)
{
    uint64_t m = 0;
    if (amlp_read_u64(in, &m) || m != n)
        return AML_EPARSE;
    return amlp_read(in, v, n * sizeof(float));
}

int amlp_nn_layer_save(const amlp_nn_layer *l, amlp_bytes *out)
{
    int rc = amlp_bytes_put_u64(out, (uint64_t)l->ops->type);
    rc = rc ? rc : amlp_bytes_put_u64(out, l->in);
    rc = rc ? rc : amlp_bytes_put_u64(out, l->out);
    if (rc == 0 && l->ops->save_config)
        rc = l->ops->save_config(l, out);
    for (size_t i = 0; rc == 0 && i < l->n_param; i++)
        rc = put_floats(out, l->param[i].w, l->param[i].n);
    for (size_t i = 0; rc == 0 && i < l->n_state; i++)
        rc = put_floats(out, l->state[i].v, l->state[i].n);
    return rc;
}

/* widths far beyond any network we build mean corrupt bytes */
#define MAX_WIDTH (1u << 24)

int amlp_nn_layer_load(amlp_reader *in, amlp_nn_layer **l)
{
    return amlp_nn_layer_load_nested(in, 0, l);
}

int amlp_nn_layer_load_nested(amlp_reader *in, unsigned depth, amlp_nn_layer **l)
{
    *l = NULL;
    uint64_t type = 0, n_in = 0, n_out = 0;
    if (amlp_read_u64(in, &type) || amlp_read_u64(in, &n_in) || amlp_read_u64(in, &n_out) ||
        n_in == 0 || n_out == 0 || n_in > MAX_WIDTH || n_out > MAX_WIDTH)
        return AML_EPARSE;
    int rc;
    switch ((amlp_nn_layer_type)type) {
    case AMLP_NN_DENSE:
        rc = amlp_nn_dense_load(in, n_in, n_out, l);
        break;
    case AMLP_NN_RELU:
    case AMLP_NN_GELU:
        rc = n_in == n_out ? amlp_nn_act_load((amlp_nn_layer_type)type, n_in, l) : AML_EPARSE;
        break;
    case AMLP_NN_DROPOUT:
        rc = n_in == n_out ? amlp_nn_dropout_load(in, n_in, l) : AML_EPARSE;
        break;
    case AMLP_NN_BATCHNORM:
        rc = n_in == n_out ? amlp_nn_batchnorm_load(in, n_in, l) : AML_EPARSE;
        break;
    case AMLP_NN_CONV2D:
        rc = amlp_nn_conv2d_load(in, n_in, n_out, l);
        break;
    case AMLP_NN_MAXPOOL:
    case AMLP_NN_AVGPOOL:
        rc = amlp_nn_pool_load(in, (amlp_nn_layer_type)type, n_in, n_out, l);
        break;
    case AMLP_NN_GLOBAL_AVGPOOL:
        rc = amlp_nn_global_avgpool_load(n_in, n_out, l);
        break;
    case AMLP_NN_BATCHNORM2D:
        rc = n_in == n_out ? amlp_nn_batchnorm2d_load(in, n_in, l) : AML_EPARSE;
        break;
    case AMLP_NN_RESIDUAL:
        rc = amlp_nn_residual_load(in, depth, n_in, n_out, l);
        break;
    case AMLP_NN_CONCAT:
        rc = amlp_nn_concat_load(in, depth, n_in, n_out, l);
        break;
    default:
        rc = AML_EPARSE;
    }
    if (rc)
        return rc == AML_ENOMEM ? rc : AML_EPARSE;
    for (size_t i = 0; rc == 0 && i < (*l)->n_param; i++)
        rc = get_floats(in, (*l)->param[i].w, (*l)->param[i].n);
    for (size_t i = 0; rc == 0 && i < (*l)->n_state; i++)
        rc = get_floats(in, (*l)->state[i].v, (*l)->state[i].n);
    if (rc) {
        amlp_nn_layer_free(*l);
        *l = NULL;
        return AML_EPARSE;
    }
    return 0;
}
