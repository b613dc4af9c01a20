/* nn_net.c — the sequential network: a chain of layers, the activations
 * between them (grown to the largest batch seen), backward through the
 * chain with two ping-pong gradient buffers, parameter enumeration,
 * weight snapshots and serialisation.  Composite layers' child networks are
 * walked depth first after the layer's own tensors. */
#include "nn/nn_internal.h"

#include <string.h>

#define NET_MAGIC 0x414d4c4e4e31ULL   /* "AMLNN1" */
#define MAX_LAYERS 4096

int amlp_nn_net_new(size_t in, amlp_nn_net **out)
{
    *out = NULL;
    if (in == 0)
        return AML_EINVAL;
    amlp_nn_net *net = amlp_calloc(1, sizeof *net);
    if (!net)
        return AML_ENOMEM;
    net->in = in;
    *out = net;
    return 0;
}

void amlp_nn_net_free(amlp_nn_net *net)
{
    if (!net)
        return;
    for (size_t i = 0; i < net->n_layers; i++) {
        amlp_nn_layer_free(net->layers[i]);
        if (net->act)
            amlp_free(net->act[i + 1]);
    }
    amlp_free(net->layers);
    amlp_free(net->act);
    amlp_free(net->grad[0]);
    amlp_free(net->grad[1]);
    amlp_free(net);
}

size_t amlp_nn_net_out(const amlp_nn_net *net)
{
    return net->n_layers ? net->layers[net->n_layers - 1]->out : net->in;
}

int amlp_nn_net_add(amlp_nn_net *net, amlp_nn_layer *l)
{
    if (l->in != amlp_nn_net_out(net) || net->n_layers >= MAX_LAYERS) {
        amlp_nn_layer_free(l);
        return AML_EINVAL;
    }
    if (net->n_layers == net->cap_layers) {
        size_t cap = net->cap_layers ? 2 * net->cap_layers : 8;
        amlp_nn_layer **ls = amlp_realloc(net->layers, cap * sizeof *ls);
        if (ls)
            net->layers = ls;
        float **act = ls ? amlp_calloc(cap + 1, sizeof *act) : NULL;
        if (!act) {
            amlp_nn_layer_free(l);
            return AML_ENOMEM;
        }
        if (net->act)
            memcpy(act, net->act, (net->n_layers + 1) * sizeof *act);
        amlp_free(net->act);
        net->act = act;
        net->cap_layers = cap;
    }
    net->layers[net->n_layers++] = l;
    /* the new layer's activations are allocated at the next forward */
    net->batch_cap = 0;
    return 0;
}

/* Every activation buffer and both gradient buffers hold n rows. */
static int ensure_batch(amlp_nn_net *net, size_t n)
{
    if (n <= net->batch_cap)
        return 0;
    size_t widest = net->in;
    for (size_t i = 0; i < net->n_layers; i++) {
        size_t w = net->layers[i]->out;
        widest = w > widest ? w : widest;
        if (n > SIZE_MAX / sizeof(float) / w)
            return AML_ENOMEM;
        float *a = amlp_realloc(net->act[i + 1], n * w * sizeof(float));
        if (!a)
            return AML_ENOMEM;
        net->act[i + 1] = a;
    }
    for (int k = 0; k < 2; k++) {
        float *g = amlp_realloc(net->grad[k], n * widest * sizeof(float));
        if (!g)
            return AML_ENOMEM;
        net->grad[k] = g;
    }
    net->grad_cap = n * widest;
    net->batch_cap = n;
    return 0;
}

int amlp_nn_net_forward(amlp_nn_net *net, const float *x, size_t n, bool train,
                        const float **y)
{
    *y = NULL;
    if (n == 0 || net->n_layers == 0)
        return AML_EINVAL;
    int rc = ensure_batch(net, n);
    if (rc)
        return rc;
    net->act[0] = (float *)x;
    for (size_t i = 0; i < net->n_layers; i++) {
        if (net->cancel && *net->cancel)
            return AML_ECANCELED;
        rc = net->layers[i]->ops->forward(net->layers[i], net->act[i], net->act[i + 1], n, train);
        if (rc)
            return rc;
    }
    *y = net->act[net->n_layers];
    return 0;
}

int amlp_nn_net_backward_dx(amlp_nn_net *net, const float *dy, size_t n, float *dx_in)
{
    if (n > net->batch_cap || net->n_layers == 0)
        return AML_EINVAL;
    const float *cur = dy;
    for (size_t i = net->n_layers; i-- > 0;) {
        amlp_nn_layer *l = net->layers[i];
        if (net->cancel && *net->cancel)
            return AML_ECANCELED;
        float *dx = i > 0 ? net->grad[i & 1] : dx_in;
        int rc = l->ops->backward(l, net->act[i], net->act[i + 1], cur, dx, n);
        if (rc)
            return rc;
        cur = dx;
    }
    return 0;
}

int amlp_nn_net_backward(amlp_nn_net *net, const float *dy, size_t n)
{
    return amlp_nn_net_backward_dx(net, dy, n, NULL);
}

void amlp_nn_net_zero_grad(amlp_nn_net *net)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        amlp_nn_layer *l = net->layers[i];
        for (size_t k = 0; k < l->n_param; k++)
            memset(l->param[k].g, 0, l->param[k].n * sizeof(float));
        for (size_t c = 0; c < 2; c++)
            if (l->child[c])
                amlp_nn_net_zero_grad(l->child[c]);
    }
}

size_t amlp_nn_net_n_params(const amlp_nn_net *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        n += net->layers[i]->n_param;
        for (size_t c = 0; c < 2; c++)
            if (net->layers[i]->child[c])
                n += amlp_nn_net_n_params(net->layers[i]->child[c]);
    }
    return n;
}

/* The i-th parameter of net, i counting down over what was passed. */
static amlp_nn_param *find_param(amlp_nn_net *net, size_t *i)
{
    for (size_t k = 0; k < net->n_layers; k++) {
        amlp_nn_layer *l = net->layers[k];
        if (*i < l->n_param)
            return &l->param[*i];
        *i -= l->n_param;
        for (size_t c = 0; c < 2; c++) {
            amlp_nn_param *p = l->child[c] ? find_param(l->child[c], i) : NULL;
            if (p)
                return p;
        }
    }
    return NULL;
}

amlp_nn_param *amlp_nn_net_param(amlp_nn_net *net, size_t i)
{
    return find_param(net, &i);
}

size_t amlp_nn_net_snapshot_size(const amlp_nn_net *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->n_layers; i++) {
        const amlp_nn_layer *l = net->layers[i];
        for (size_t k = 0; k < l->n_param; k++)
            n += l->param[k].n;
        for (size_t k = 0; k < l->n_state; k++)
            n += l->state[k].n;
        for (size_t c = 0; c < 2; c++)
            if (l->child[c])
                n += amlp_nn_net_snapshot_size(l->child[c]);
    }
    return n;
}

/* Copies every tensor of the net to (to_net false) or from (true) buf;
 * returns the position after them. */
static float *copy_tensors(const amlp_nn_net *net, float *buf, bool to_net)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        const amlp_nn_layer *l = net->layers[i];
        for (size_t k = 0; k < l->n_param + l->n_state; k++) {
            float *t = k < l->n_param ? l->param[k].w : l->state[k - l->n_param].v;
            size_t n = k < l->n_param ? l->param[k].n : l->state[k - l->n_param].n;
            if (to_net)
                memcpy(t, buf, n * sizeof(float));
            else
                memcpy(buf, t, n * sizeof(float));
            buf += n;
        }
        for (size_t c = 0; c < 2; c++)
            if (l->child[c])
                buf = copy_tensors(l->child[c], buf, to_net);
    }
    return buf;
}

void amlp_nn_net_snapshot(const amlp_nn_net *net, float *buf)
{
    copy_tensors(net, buf, false);
}

void amlp_nn_net_restore(amlp_nn_net *net, const float *buf)
{
    copy_tensors(net, (float *)buf, true);
}

int amlp_nn_net_save(const amlp_nn_net *net, amlp_bytes *out)
{
    int rc = amlp_bytes_put_u64(out, NET_MAGIC);
    rc = rc ? rc : amlp_bytes_put_u64(out, net->in);
    rc = rc ? rc : amlp_bytes_put_u64(out, net->n_layers);
    for (size_t i = 0; rc == 0 && i < net->n_layers; i++)
        rc = amlp_nn_layer_save(net->layers[i], out);
    return rc;
}

int amlp_nn_net_load(amlp_reader *in, amlp_nn_net **out)
{
    return amlp_nn_net_load_nested(in, 0, out);
}

int amlp_nn_net_load_nested(amlp_reader *in, unsigned depth, amlp_nn_net **out)
{
    *out = NULL;
    uint64_t magic = 0, n_in = 0, n_layers = 0;
    if (amlp_read_u64(in, &magic) || magic != NET_MAGIC || amlp_read_u64(in, &n_in) ||
        amlp_read_u64(in, &n_layers) || n_in == 0 || n_in > (1u << 24) ||
        n_layers > MAX_LAYERS)
        return AML_EPARSE;
    amlp_nn_net *net = NULL;
    int rc = amlp_nn_net_new(n_in, &net);
    for (uint64_t i = 0; rc == 0 && i < n_layers; i++) {
        amlp_nn_layer *l = NULL;
        rc = amlp_nn_layer_load_nested(in, depth, &l);
        rc = rc ? rc : amlp_nn_net_add(net, l);
        if (rc == AML_EINVAL)
            rc = AML_EPARSE;
    }
    if (rc) {
        amlp_nn_net_free(net);
        return rc;
    }
    *out = net;
    return 0;
}
