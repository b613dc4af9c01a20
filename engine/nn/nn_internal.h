/*
 * nn_internal.h — what the network library's own files share (engine/nn/
 * only): building a layer and its tensors, and each layer type's loader.
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

#endif
