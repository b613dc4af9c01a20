/*
 * aml_nn.h — the nn subsystem: the engine's neural-network library (dense
 * and image layers, residual blocks, networks, losses, AdamW and SGD, the
 * training loop) and k-nearest-neighbour search
 * on OpenBLAS.  Engine-internal (amlp_): the learners build on it; nothing
 * outside engine/ calls it.
 */
#ifndef AML_NN_H
#define AML_NN_H

#include "aml_base.h"
#include "aml_data.h"

#include <stddef.h>
#include <stdint.h>

/* ==== our small neural-network library on OpenBLAS sgemm (engine
 * internal, never installed).
 *
 * Tensors are row-major float arrays of n rows (the mini-batch) by a layer's
 * width.  A layer maps x (n x in) to y (n x out) in forward and, given dy,
 * accumulates its parameter gradients and writes dx in backward; it exposes
 * its parameters (with gradients) for the optimiser and its non-trainable
 * state (batch-norm running statistics) for snapshots and serialisation.  A
 * sequential network chains layers and owns the activations between them;
 * a composite layer (the residual block, channel concatenation) owns child
 * networks.  Around that:
 * losses (softmax cross-entropy with optional label smoothing, sigmoid
 * binary cross-entropy, MSE), AdamW or SGD with Nesterov momentum under a
 * warm-up + cosine schedule, a seeded PRNG, and a
 * training loop with mini-batches, shuffling and early stopping.
 *
 * Memory through amlp_malloc/amlp_free; functions return 0 or a negative
 * AML_E* code.  Objects are not thread-safe; sgemm uses the OpenBLAS thread
 * count set by the caller (a process-wide setting).
 */

/* ---- layers ---- */

/* A trainable tensor: values, gradients (accumulated by backward, cleared by
 * amlp_nn_net_zero_grad), length, and whether weight decay applies. */
typedef struct amlp_nn_param {
    float *w, *g;
    size_t n;
    bool decay;
} amlp_nn_param;

/* A non-trainable tensor kept with the weights (e.g. running means). */
typedef struct amlp_nn_state {
    float *v;
    size_t n;
} amlp_nn_state;

typedef enum amlp_nn_layer_type {
    AMLP_NN_DENSE = 1,
    AMLP_NN_RELU,
    AMLP_NN_GELU,
    AMLP_NN_DROPOUT,
    AMLP_NN_BATCHNORM,
    AMLP_NN_CONV2D,
    AMLP_NN_MAXPOOL,
    AMLP_NN_AVGPOOL,
    AMLP_NN_GLOBAL_AVGPOOL,
    AMLP_NN_BATCHNORM2D,
    AMLP_NN_RESIDUAL,
    AMLP_NN_CONCAT
} amlp_nn_layer_type;

#define AMLP_NN_MAX_PARAMS 4

typedef struct amlp_nn_layer amlp_nn_layer;
struct amlp_nn_net;

typedef struct amlp_nn_layer_ops {
    amlp_nn_layer_type type;
    const char *name;
    /* y (n x out) from x (n x in).  `train`: dropout draws a mask, batch norm
     * normalises with the batch's statistics and updates its running ones.
     * Returns 0 or AML_ENOMEM (caches grow with n). */
    int (*forward)(amlp_nn_layer *l, const float *x, float *y, size_t n, bool train);
    /* After a training forward of the same x (y its output): adds the
     * parameter gradients for dy to param[].g and writes dx (n x in) unless
     * dx is NULL.  Returns 0. */
    int (*backward)(amlp_nn_layer *l, const float *x, const float *y, const float *dy,
                    float *dx, size_t n);
    /* The layer's configuration (not its tensors) as bytes. */
    int (*save_config)(const amlp_nn_layer *l, amlp_bytes *out);
    void (*free_impl)(amlp_nn_layer *l);
} amlp_nn_layer_ops;

struct amlp_nn_layer {
    const amlp_nn_layer_ops *ops;
    size_t in, out;
    amlp_nn_param param[AMLP_NN_MAX_PARAMS];
    size_t n_param;
    amlp_nn_state state[AMLP_NN_MAX_PARAMS];
    size_t n_state;
    /* Composite layers (residual blocks) own whole networks: their
     * parameters and states follow the layer's own in the net's enumeration,
     * snapshots and gradient clearing.  NULL for plain layers. */
    struct amlp_nn_net *child[2];
    void *impl;
};

typedef enum amlp_nn_init {
    AMLP_NN_INIT_XAVIER = 0,   /* uniform +-sqrt(6 / (in + out)): linear / tanh / output */
    AMLP_NN_INIT_HE            /* normal, std sqrt(2 / in): before ReLU / GELU */
} amlp_nn_init;

/* Constructors.  OUT: *out (free with amlp_nn_layer_free).  Return 0,
 * AML_EINVAL (zero width, bad rate), AML_ENOMEM. */
int amlp_nn_dense_new(size_t in, size_t out, amlp_nn_init init, amlp_rng *rng,
                      amlp_nn_layer **l);
int amlp_nn_relu_new(size_t width, amlp_nn_layer **l);
int amlp_nn_gelu_new(size_t width, amlp_nn_layer **l);
/* Inverted dropout: in training each unit is kept with probability 1 - p and
 * scaled by 1 / (1 - p); identity at inference.  Own PRNG seeded with seed. */
int amlp_nn_dropout_new(size_t width, double p, uint64_t seed, amlp_nn_layer **l);
/* With `fixed`, training forwards reuse the last mask (for gradient checks). */
void amlp_nn_dropout_fix_mask(amlp_nn_layer *l, bool fixed);
/* Batch normalisation over the batch, per feature: gamma * xhat + beta;
 * running statistics (exponential, `momentum` weight on the new batch) for
 * inference. */
int amlp_nn_batchnorm_new(size_t width, double momentum, double eps, amlp_nn_layer **l);

/* ---- image layers ----
 *
 * An image is one row of C*H*W floats in NCHW order (channel, then row, then
 * column), so image layers keep the row contract: they take their input
 * shape at construction and compute `out` from it.  Flatten is therefore the
 * identity on this layout and needs no layer: a dense layer after an image
 * layer reads the C*H*W row as it is.  Output sizes: (H + 2 pad - k) /
 * stride + 1 (floor), as PyTorch. */

typedef struct amlp_nn_conv2d_cfg {
    size_t in_c, h, w;       /* input shape */
    size_t out_c;
    size_t kh, kw, stride, pad;
    size_t groups;           /* in_c and out_c divisible; groups == in_c: depthwise */
    bool bias;
} amlp_nn_conv2d_cfg;

/* 2-d convolution (cross-correlation) on oneDNN, or by im2col + sgemm
 * without it (see amlp_nn_conv_path); weights
 * out_c x (in_c/groups) x kh x kw (PyTorch's layout), normal with standard
 * deviation 1/sqrt(3 fan-in) from rng (fan-in (in_c/groups) kh kw), bias 0.  AML_EINVAL on a bad shape. */
int amlp_nn_conv2d_new(const amlp_nn_conv2d_cfg *cfg, amlp_rng *rng, amlp_nn_layer **l);
/* Output height / width of a convolution or pooling (0 when the window does
 * not fit). */
size_t amlp_nn_conv_out_size(size_t size, size_t k, size_t stride, size_t pad);
/* Threads the image layers use (convolutions, pooling, batch norm): a
 * process-wide setting, 1 by default; values below 1 mean 1. */
void amlp_nn_set_threads(int threads);
int amlp_nn_threads(void);
/* The convolution path in use: "onednn" (libdnnl.so.2, loaded on first use)
 * or "im2col" (OpenBLAS sgemm: without oneDNN, or forced by
 * amlp_nn_conv_force_im2col(true) or the environment variable
 * AML_NN_CONV=im2col).  Layers choose their path when they run. */
const char *amlp_nn_conv_path(void);
void amlp_nn_conv_force_im2col(bool force);

/* Max (type AMLP_NN_MAXPOOL) or average (AMLP_NN_AVGPOOL) pooling over k x k
 * windows; pad < k.  Padding never wins a max; an average divides by k*k
 * (padding counts as zeros, PyTorch's count_include_pad). */
int amlp_nn_pool_new(amlp_nn_layer_type type, size_t c, size_t h, size_t w, size_t k,
                     size_t stride, size_t pad, amlp_nn_layer **l);
/* Mean of each channel: C*H*W -> C. */
int amlp_nn_global_avgpool_new(size_t c, size_t h, size_t w, amlp_nn_layer **l);
/* Batch normalisation per channel over the batch's N*H*W values (as the 1-d
 * layer does per feature); gamma, beta and running statistics per channel. */
int amlp_nn_batchnorm2d_new(size_t c, size_t h, size_t w, double momentum, double eps,
                            amlp_nn_layer **l);
/* Residual block: y = inner(x) + shortcut(x) on an input of c x h x w.  The
 * block takes ownership of `inner` (also on failure), whose input is c*h*w
 * and whose output is out_c x ceil(h/stride) x ceil(w/stride).  The
 * shortcut is the identity when out_c == c and stride == 1, otherwise a
 * 1 x 1 convolution with that stride (no bias, He-initialised from rng). */
int amlp_nn_residual_new(struct amlp_nn_net *inner, size_t c, size_t h, size_t w, size_t out_c,
                         size_t stride, amlp_rng *rng, amlp_nn_layer **l);

/* Channel concatenation (nn_concat.c): y = [a(x) ; b(x)] along the
 * channels, a composite layer like the residual block.  Both children take
 * the same input; their outputs are ca x oh x ow and cb x oh x ow, so y is
 * (ca + cb) x oh x ow (in NCHW each image's row is a's row, then b's).
 * b NULL: the input itself (cb x oh x ow), as a DenseNet layer.  Takes
 * ownership of a and b (also on failure); AML_EINVAL when the shapes do not
 * agree. */
int amlp_nn_concat_new(struct amlp_nn_net *a, struct amlp_nn_net *b, size_t oh, size_t ow,
                       amlp_nn_layer **l);

void amlp_nn_layer_free(amlp_nn_layer *l);
/* Layer + tensors to bytes and back (a new layer).  Load returns AML_EPARSE
 * on malformed bytes. */
int amlp_nn_layer_save(const amlp_nn_layer *l, amlp_bytes *out);
int amlp_nn_layer_load(amlp_reader *in, amlp_nn_layer **l);

/* ---- sequential network ---- */

typedef struct amlp_nn_net {
    size_t in;
    amlp_nn_layer **layers;
    size_t n_layers, cap_layers;
    /* act[i + 1]: output of layer i (batch_cap rows); act[0] borrows the input */
    float **act;
    size_t batch_cap;
    float *grad[2];          /* ping-pong buffers for dy / dx */
    size_t grad_cap;
    /* when set (borrowed): forward and backward check it between layers and
     * return AML_ECANCELED once it is nonzero */
    const volatile int *cancel;
} amlp_nn_net;

int amlp_nn_net_new(size_t in, amlp_nn_net **out);
void amlp_nn_net_free(amlp_nn_net *net);
/* Appends a layer (its `in` must equal the current output width); the net
 * owns it from then on, also when this fails (it is freed). */
int amlp_nn_net_add(amlp_nn_net *net, amlp_nn_layer *l);
size_t amlp_nn_net_out(const amlp_nn_net *net);
/* Forward of n rows of x (kept borrowed until the next forward).  OUT: *y
 * points into the net (n x out), valid until the next forward. */
int amlp_nn_net_forward(amlp_nn_net *net, const float *x, size_t n, bool train,
                        const float **y);
/* Backward after a training forward of n rows: dy (n x out) is the loss
 * gradient; parameter gradients accumulate. */
int amlp_nn_net_backward(amlp_nn_net *net, const float *dy, size_t n);
void amlp_nn_net_zero_grad(amlp_nn_net *net);
/* Every trainable parameter (layer by layer) and their total length. */
size_t amlp_nn_net_n_params(const amlp_nn_net *net);
amlp_nn_param *amlp_nn_net_param(amlp_nn_net *net, size_t i);
/* All weights and states as one flat vector (for keeping the best weights):
 * size in floats, copy out, copy in. */
size_t amlp_nn_net_snapshot_size(const amlp_nn_net *net);
void amlp_nn_net_snapshot(const amlp_nn_net *net, float *buf);
void amlp_nn_net_restore(amlp_nn_net *net, const float *buf);
int amlp_nn_net_save(const amlp_nn_net *net, amlp_bytes *out);
int amlp_nn_net_load(amlp_reader *in, amlp_nn_net **out);

/* ---- losses ---- */

typedef enum amlp_nn_loss {
    AMLP_NN_LOSS_SOFTMAX_XENT = 0,   /* k logits, y = class index */
    AMLP_NN_LOSS_SIGMOID_BCE,        /* 1 logit, y in {0, 1} */
    AMLP_NN_LOSS_MSE                 /* k outputs, y = k targets per row */
} amlp_nn_loss;

/* Weighted mean loss of n rows of outputs `out` (n x k): row weight = w[i]
 * (or 1) times class_w[y[i]] (classification; or 1); the mean divides by the
 * sum of row weights.  dout (n x k, may be NULL) gets d loss / d out.  MSE is
 * the weighted mean over rows of the sum over k of (out - y)^2. */
double amlp_nn_loss_eval(amlp_nn_loss kind, const float *out, size_t n, size_t k,
                         const float *y, const float *w, const float *class_w, float *dout);
/* The same with label smoothing for AMLP_NN_LOSS_SOFTMAX_XENT: the target
 * of a row of class c is (1 - smoothing) on c plus smoothing / k on every
 * class (Szegedy et al.), smoothing in [0, 1); ignored by the other kinds. */
double amlp_nn_loss_eval_smoothed(amlp_nn_loss kind, double smoothing, const float *out,
                                  size_t n, size_t k, const float *y, const float *w,
                                  const float *class_w, float *dout);
/* Converts outputs in place to predictions: softmax probabilities, sigmoid
 * probability, identity for MSE. */
void amlp_nn_loss_link(amlp_nn_loss kind, float *out, size_t n, size_t k);

/* ---- AdamW ---- */

typedef struct amlp_nn_adamw {
    double beta1, beta2, eps, weight_decay;
    uint64_t t;
    size_t n;
    float **m, **v;
} amlp_nn_adamw;

/* Moments for every parameter of net; defaults beta 0.9/0.999, eps 1e-8. */
int amlp_nn_adamw_init(amlp_nn_adamw *opt, amlp_nn_net *net, double weight_decay);
/* One step at learning rate lr: decoupled decay w -= lr*wd*w (params with
 * decay), then the Adam update with bias correction. */
void amlp_nn_adamw_step(amlp_nn_adamw *opt, amlp_nn_net *net, double lr);
void amlp_nn_adamw_free(amlp_nn_adamw *opt);
/* ---- SGD with momentum ---- */

typedef struct amlp_nn_sgd {
    double momentum, weight_decay;
    bool nesterov;
    size_t n;
    float **v;               /* velocity per parameter */
} amlp_nn_sgd;

/* Velocities for every parameter of net (zero). */
int amlp_nn_sgd_init(amlp_nn_sgd *opt, amlp_nn_net *net, double momentum, bool nesterov,
                     double weight_decay);
/* One step at learning rate lr, as PyTorch's SGD: g = grad + wd w (params
 * with decay), v = mu v + g, then w -= lr (g + mu v) with Nesterov or
 * w -= lr v without. */
void amlp_nn_sgd_step(amlp_nn_sgd *opt, amlp_nn_net *net, double lr);
void amlp_nn_sgd_free(amlp_nn_sgd *opt);

/* Learning rate at `step` (0-based) of `total`: linear warm-up over `warmup`
 * steps to base, then cosine decay to base * floor_frac. */
double amlp_nn_lr_at(double base, uint64_t step, uint64_t warmup, uint64_t total,
                     double floor_frac);

/* ---- rows for the training loop ---- */

/* Gathers rows of a prepared matrix (dense or CSR) as dense floats: out
 * (n x m->cols) gets rows idx[0..n-1] (or rows first..first+n-1 when idx is
 * NULL), NAN replaced by 0. */
void amlp_nn_gather_rows(const aml_matrix *m, const size_t *idx, size_t first, size_t n,
                         float *out);

/* ---- training loop ---- */

/* Fills x (n x in) with the rows `rows` of a data set. */
typedef void (*amlp_nn_rows_fn)(void *user, const size_t *rows, size_t n, float *x);

typedef struct amlp_nn_data {
    size_t n;
    amlp_nn_rows_fn rows;
    void *user;
    const float *y;          /* per row: class index, or k targets (MSE) */
    const float *w;          /* per-row weights or NULL */
} amlp_nn_data;

typedef enum amlp_nn_optimizer {
    AMLP_NN_OPT_ADAMW = 0,
    AMLP_NN_OPT_SGD_NESTEROV
} amlp_nn_optimizer;

typedef struct amlp_nn_train_opts {
    amlp_nn_loss loss;
    double label_smoothing;  /* softmax cross-entropy in training; 0: none */
    amlp_nn_optimizer optimizer;
    double momentum;         /* SGD (0.9 when 0) */
    const float *class_w;    /* or NULL */
    size_t batch_size, epochs, patience;
    double lr, weight_decay, warmup_frac, lr_floor;
    uint64_t seed;
    const aml_fit_ctl *ctl;  /* cancel, progress, threads (may be NULL) */
    double mixup;              /* mixup alpha for softmax cross-entropy (0 off): each batch is
                                  mixed with a shuffled copy of itself, lambda ~ Beta(alpha, alpha),
                                  loss = lambda CE(y_a) + (1 - lambda) CE(y_b) (label smoothing
                                  applies to both; the other losses mix the same way).  Its draws
                                  come from their own stream, seeded from `seed` */
    bool prefetch;             /* fill the next mini-batch (data->rows, labels) on a loader
                                  thread while the current one computes; rows() is then called
                                  from that thread only (one call at a time).  The validation
                                  rows are read on the calling thread between epochs, while the
                                  loader is idle.  Results equal those without prefetch */
    void (*on_epoch)(size_t epoch, double train_loss, double valid_loss, void *user);  /* or NULL;
                                  on the calling thread after each epoch (1-based); train_loss
                                  is the epoch's mean batch loss as trained (mixed, smoothed),
                                  valid_loss NAN without validation rows */
    void *epoch_user;
    double deadline;           /* > 0: an aml_now() time to train until: the warm-up and
                                  cosine schedule run on the share of that time used
                                  (`epochs` is then an upper bound), and training ends
                                  cleanly after the mini-batch that passes it, the
                                  partial epoch counting as the last */
    double stop_at;            /* > 0: an aml_now() time at which training ends as at a
                                  deadline, while the schedule stays on steps (a trial's
                                  time limit: it keeps what it learned) */
} amlp_nn_train_opts;

typedef struct amlp_nn_train_result {
    size_t epochs_run, best_epoch;   /* best_epoch is 1-based */
    double best_loss;                /* validation loss (training loss without one) */
    bool stopped_early;
} amlp_nn_train_result;

/* Trains net: each epoch shuffles the training rows (seeded), runs
 * mini-batches (AdamW or SGD with Nesterov momentum, warm-up + cosine schedule
 * over all planned steps, label smoothing in the training loss), then
 * evaluates the validation loss (without smoothing; or, without `valid`,
 * the epoch's mean training loss); keeps the best weights and stops after `patience` epochs without
 * improvement; the best weights are restored at the end.  Cancel is checked
 * before every mini-batch and between layers: returns AML_ECANCELED with the
 * best weights so far restored (res->epochs_run tells whether any epoch
 * finished). */
int amlp_nn_train(amlp_nn_net *net, const amlp_nn_train_opts *o, const amlp_nn_data *train,
                  const amlp_nn_data *valid, amlp_nn_train_result *res, aml_error *err);

/* Runs the data's rows through the net in inference mode in chunks; out
 * gets n x net-out raw outputs (before the link).  With ctl, cancel is
 * checked between chunks (AML_ECANCELED).  Returns 0, AML_ENOMEM. */
int amlp_nn_predict_raw(amlp_nn_net *net, const amlp_nn_data *data, const aml_fit_ctl *ctl,
                        float *out);

/* ---- architectures: a network from a few decisions (nn_arch.c) ----
 *
 * A stem, up to four stages of blocks and a classifier head, described by a
 * handful of numbers so a search can propose, count and build them.  Batch
 * norms use momentum 0.1 and eps 1e-5; convolutions are He-initialised, the
 * classifier Xavier, all from the seed. */

typedef enum amlp_nn_block {
    AMLP_NN_BLOCK_PLAIN = 0,   /* conv k x k (no bias) - BN - ReLU */
    AMLP_NN_BLOCK_RESIDUAL,    /* residual: [conv k x k - BN - ReLU - conv k x k - BN] + shortcut, then ReLU */
    AMLP_NN_BLOCK_SEPARABLE    /* depthwise k x k - BN - ReLU - pointwise 1 x 1 - BN - ReLU */
} amlp_nn_block;
#define AMLP_NN_ARCH_MAX_STAGES 4
/* Largest width (and stem) an architecture may ask for. */
#define AMLP_NN_ARCH_MAX_WIDTH 1024
typedef struct amlp_nn_stage {
    size_t blocks;             /* 1..4 */
    size_t width;              /* output channels of every block of the stage */
    size_t kernel;             /* 3 or 5 (padding k/2: same size) */
    amlp_nn_block block;
} amlp_nn_stage;
typedef struct amlp_nn_arch {
    size_t stem;               /* channels of the stem: conv 3x3 stride 1 - BN - ReLU */
    size_t n_stages;           /* 1..AMLP_NN_ARCH_MAX_STAGES */
    amlp_nn_stage stage[AMLP_NN_ARCH_MAX_STAGES];
    bool pool_max;             /* every stage after the first starts by halving H and W:
                                  a 2x2 max pool (true) or stride 2 in its first block */
    double dropout;            /* before the classifier, [0, 0.9) */
} amlp_nn_arch;
/* Head: global average pool - dropout (if > 0) - dense n_classes (logits).
 * Builds the net for images of c x h x w.  AML_EINVAL with a one-line reason
 * (e.g. "4 stages halve 8x8 images to 1x1; ...") when the shape does not
 * fit: the last stage must still see at least 2 x 2 pixels.  A max pool
 * halves to floor(h/2), a stride-2 block to ceil(h/2). */
int amlp_nn_arch_build(const amlp_nn_arch *a, size_t c, size_t h, size_t w, size_t n_classes,
                       uint64_t seed, amlp_nn_net **out, aml_error *err);
/* The same, also telling where the parts start among the net's top-level
 * layers: first[0] the stem, first[1 + s] stage s (its downsampling
 * included), first[1 + n_stages] the head, first[2 + n_stages] the layer
 * count (first: AMLP_NN_ARCH_MAX_STAGES + 3 entries).  For weight sharing
 * between networks that differ in a stage (ENAS). */
int amlp_nn_arch_build_parts(const amlp_nn_arch *a, size_t c, size_t h, size_t w,
                             size_t n_classes, uint64_t seed, amlp_nn_net **out, size_t *first,
                             aml_error *err);
/* Checks the arch fits c x h x w without building it (same reasons). */
int amlp_nn_arch_check(const amlp_nn_arch *a, size_t c, size_t h, size_t w, aml_error *err);
/* In words, e.g. "stem 16 · 32×2 residual 3×3 · 64×2 separable 5×5 · max-pool · dropout 0.2"
 * ("stride-2" instead of "max-pool"; no dropout part when it is 0). */
void amlp_nn_arch_describe(const amlp_nn_arch *a, char *buf, size_t cap);
/* Trainable weights (floats) and multiply-adds per image of the forward
 * pass (convolutions, shortcuts and the classifier; batch norm, activations
 * and pooling are not counted), without building.  0 when the arch does not
 * fit. */
size_t amlp_nn_arch_params(const amlp_nn_arch *a, size_t c, size_t h, size_t w, size_t n_classes);
double amlp_nn_arch_macs(const amlp_nn_arch *a, size_t c, size_t h, size_t w, size_t n_classes);
/* Total trainable floats of a built net. */
size_t amlp_nn_net_weights(const amlp_nn_net *net);

/* ---- image rows with augmentation (nn_augment.c) ----
 *
 * Per image, the draws come in a fixed order (crop offsets, flip, angle,
 * shift, cutout corner), each only when its option is on.  The geometric
 * steps (crop, flip, rotation, translation) map every output pixel back to
 * a source point; without rotation that point is a whole pixel, with it the
 * value is bilinear.  Whatever falls outside the image (padding, corners
 * rotated in, shifted-in borders) reads as the channel mean, i.e. 0 after
 * normalising, as the cutout square does. */

typedef struct amlp_nn_augment {
    size_t crop_pad;           /* random crop of the original size after zero-padding by this many pixels; 0 off */
    bool flip;                 /* horizontal flip with probability 1/2 */
    double rotate;             /* degrees, uniform in +-rotate (bilinear; 0 off) */
    double translate;          /* shift uniform in +- this share of each side, rounded to
                                  whole pixels (0 off) */
    size_t cutout;             /* side of one square set to 0 (the mean after normalising),
                                  placed uniformly where it lies wholly inside the image
                                  (side capped at the image's); 0 off */
} amlp_nn_augment;
/* A data source of uint8 images for amlp_nn_data: rows() writes normalised
 * floats (x - mean[c]) / std[c] in NCHW, augmented when `augment`. */
typedef struct amlp_nn_images {
    const uint8_t *pixels;     /* image i at i * c * h * w (borrowed) */
    size_t c, h, w;            /* c 1..3 */
    const size_t *index;       /* data row r -> image index[r]; NULL: r itself */
    float mean[3], std[3];     /* per channel, on the 0..255 scale */
    amlp_nn_augment aug;
    bool augment;
    amlp_rng rng;              /* the augmentation's draws; seed with amlp_rng_seed */
} amlp_nn_images;
void amlp_nn_images_rows(void *user, const size_t *rows, size_t n, float *x);  /* user: amlp_nn_images * */
/* Per-channel mean and std of n images (index as above; NULL: the first n).
 * Channels past c get mean 0, std 1; a constant channel gets std 1. */
void amlp_nn_images_stats(const uint8_t *pixels, size_t c, size_t h, size_t w,
                          const size_t *index, size_t n, float mean[3], float std[3]);

/* ==== nearest-neighbour search on OpenBLAS sgemm (engine
 * internal): squared Euclidean distances as ||q||^2 + ||t||^2 - 2 q.t,
 * blocked over query rows so the distance scratch stays under a fixed size,
 * then a bounded heap per query row.  Used by the k-NN learner.
 */

/* Floats of distance scratch per query block (32 MB). */
#define AMLP_KNN_SCRATCH (8u << 20)

/* Squared norm of each of the n rows of x (n x d) into sq. */
void amlp_knn_sqnorms(const float *x, size_t n, size_t d, float *sq);

/* Query rows per block for nt training rows: the distance scratch of a block
 * (rows x nt floats) stays under AMLP_KNN_SCRATCH (at least 16 rows). */
size_t amlp_knn_block_rows(size_t nt);

/* For each of the nq query rows (nq x d), its k nearest of the nt training
 * rows (nt x d, squared norms in train_sq), nearest first, ties broken by the
 * lower index: idx (nq x k) and squared distances dist (nq x k), recomputed
 * exactly (double) for the chosen rows.  k <= nt.  `threads` threads select
 * in parallel.  `scratch`: min(nq, amlp_knn_block_rows(nt)) x nt floats, or
 * NULL to allocate it here (callers searching block after block pass one, so
 * the large buffer is not faulted in again for every block).  Returns 0 or
 * AML_ENOMEM. */
int amlp_knn_search(const float *train, const float *train_sq, size_t nt, size_t d,
                    const float *query, size_t nq, size_t k, int threads, float *scratch,
                    uint32_t *idx, float *dist);

#endif
