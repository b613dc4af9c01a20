/*
 * nn_internal.h — what the network library's own files share (engine/nn/
 * only): building a layer and its tensors, each layer type's loader, and
 * what composite layers need of the sequential network.
 */
#ifndef AML_NN_INTERNAL_H
#define AML_NN_INTERNAL_H

#include "aml_nn.h"

/* Shared helpers of the layer files. */
int amlp_nn_layer_alloc(const amlp_nn_layer_ops *ops, size_t in, size_t out,
                        amlp_nn_layer **l);
int amlp_nn_layer_add_param(amlp_nn_layer *l, size_t n, bool decay);
int amlp_nn_layer_add_state(amlp_nn_layer *l, size_t n);
/* Grows *buf to hold n floats (amlp_realloc); 0 or AML_ENOMEM. */
int amlp_nn_grow(float **buf, size_t *cap, size_t n);

/* Loaders of each type's configuration (used by amlp_nn_layer_load). */
int amlp_nn_dense_load(amlp_reader *in, size_t n_in, size_t n_out, amlp_nn_layer **l);
int amlp_nn_act_load(amlp_nn_layer_type type, size_t width, amlp_nn_layer **l);
int amlp_nn_dropout_load(amlp_reader *in, size_t width, amlp_nn_layer **l);
int amlp_nn_batchnorm_load(amlp_reader *in, size_t width, amlp_nn_layer **l);
int amlp_nn_conv2d_load(amlp_reader *in, size_t n_in, size_t n_out, amlp_nn_layer **l);
int amlp_nn_pool_load(amlp_reader *in, amlp_nn_layer_type type, size_t n_in, size_t n_out,
                      amlp_nn_layer **l);
int amlp_nn_global_avgpool_load(size_t n_in, size_t n_out, amlp_nn_layer **l);
int amlp_nn_batchnorm2d_load(amlp_reader *in, size_t width, amlp_nn_layer **l);
/* Composite layers nest networks: `depth` counts the networks around the
 * bytes being read, and a composite layer (residual block, concatenation)
 * deeper than AMLP_NN_MAX_NESTING is refused (AML_EPARSE), so forged bytes
 * cannot recurse without bound. */
#define AMLP_NN_MAX_NESTING 8
int amlp_nn_residual_load(amlp_reader *in, unsigned depth, size_t n_in, size_t n_out,
                          amlp_nn_layer **l);
int amlp_nn_concat_load(amlp_reader *in, unsigned depth, size_t n_in, size_t n_out,
                        amlp_nn_layer **l);
int amlp_nn_layer_load_nested(amlp_reader *in, unsigned depth, amlp_nn_layer **l);
int amlp_nn_net_load_nested(amlp_reader *in, unsigned depth, amlp_nn_net **out);
/* Backward through the whole chain that also writes the input's gradient
 * (n x net->in) into dx_in unless it is NULL. */
int amlp_nn_net_backward_dx(amlp_nn_net *net, const float *dy, size_t n, float *dx_in);

/* The convolution's oneDNN path (nn_conv_dnnl.c): primitives for one layer
 * shape and batch size, created on first use and recreated when the batch
 * size changes.  Each call returns 0, or nonzero when oneDNN is absent,
 * forced off or refuses the shape: the caller then takes the im2col path. */
typedef struct amlp_nn_dnnl_conv amlp_nn_dnnl_conv;
bool amlp_nn_dnnl_usable(void);
/* y (n x out_c x oh x ow) = conv(x, w) + b (b may be NULL). */
int amlp_nn_dnnl_conv_forward(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                              size_t oh, size_t ow, const float *w, const float *b,
                              const float *x, float *y, size_t n);
/* Adds the weight (and bias, gb may be NULL) gradients to gw, gb; writes dx
 * unless it is NULL. */
int amlp_nn_dnnl_conv_backward(amlp_nn_dnnl_conv **cache, const amlp_nn_conv2d_cfg *c,
                               size_t oh, size_t ow, const float *w, float *gw, float *gb,
                               const float *x, const float *dy, float *dx, size_t n);
void amlp_nn_dnnl_conv_free(amlp_nn_dnnl_conv *cache);

/* Runs fn(ctx, part, lo, hi) over [0, n) split into amlp_nn_parts(n)
 * contiguous ranges (part 0, 1, ...), the first on the calling thread, and
 * waits for all.  The split depends only on n and the thread count. */
typedef void (*amlp_nn_range_fn)(void *ctx, size_t part, size_t lo, size_t hi);
void amlp_nn_parallel(size_t n, amlp_nn_range_fn fn, void *ctx);
/* How many ranges amlp_nn_parallel makes of n items: min(n, threads), >= 1. */
size_t amlp_nn_parts(size_t n);

#endif
