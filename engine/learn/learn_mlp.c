/* learn_mlp.c — the "mlp" learner: a multilayer perceptron on our neural
 * network library (engine/nn*.c).  Inputs are standardised with the
 * training rows' mean and standard deviation (stored with the model);
 * regression targets likewise.  Hidden blocks are dense -> [batch norm] ->
 * ReLU|GELU -> [dropout]; the output layer feeds a sigmoid (binary), softmax
 * (multiclass) or squared-error (regression) loss.  Sample weights and class
 * weights weight the loss; rows with a missing target are left out.  CSR
 * input is densified one mini-batch at a time. */
#include "learn/learn_internal.h"
#include "aml_nn.h"

#include <cblas.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */
#include <math.h>
#include <string.h>

static const aml_param_spec mlp_space[] = {
    {"hidden_layers", AML_PARAM_INT, 1, 3, false, NULL, 2, 1, NULL, "number of hidden layers"},
    {"units", AML_PARAM_INT, 16, 512, true, NULL, 128, 64, NULL, "units per hidden layer"},
    {"activation", AML_PARAM_CHOICE, 0, 0, false, "relu|gelu", 0, 0, NULL,
     "hidden activation"},
    {"dropout", AML_PARAM_REAL, 0, 0.5, false, NULL, 0.1, 0, NULL,
     "dropout rate after each hidden activation"},
    {"batch_norm", AML_PARAM_INT, 0, 1, false, NULL, 0, 0, NULL,
     "batch normalisation before each activation (1) or none (0)"},
    {"learning_rate", AML_PARAM_REAL, 1e-4, 1e-1, true, NULL, 1e-3, 3e-3, NULL,
     "AdamW peak learning rate (warm-up, then cosine decay)"},
    {"weight_decay", AML_PARAM_REAL, 1e-6, 1e-2, true, NULL, 1e-4, 1e-4, NULL,
     "AdamW decoupled weight decay"},
    {"batch_size", AML_PARAM_INT, 32, 1024, true, NULL, 128, 256, NULL, "mini-batch rows"},
    {"epochs", AML_PARAM_INT, 5, 200, false, NULL, 50, 10, NULL, "maximum passes over the data"},
    {"patience", AML_PARAM_INT, 1, 50, false, NULL, 10, 3, NULL,
     "epochs without validation improvement before stopping"},
};
#define N_SPACE (sizeof mlp_space / sizeof mlp_space[0])

typedef struct mlp_state {
    amlp_nn_net *net;
    amlp_nn_loss loss;
    size_t n_out, d;
    float *mu, *sd;        /* input standardisation */
    double y_mu, y_sd;     /* regression target scaling */
} mlp_state;

static void mlp_free_state(aml_learner *l)
{
    mlp_state *s = l->state;
    if (s) {
        amlp_nn_net_free(s->net);
        amlp_free(s->mu);
        amlp_free(s->sd);
    }
    amlp_free(s);
    l->state = NULL;
}

static bool mlp_supports(aml_task task)
{
    (void)task;
    return true;
}

/* Rows of X (through `map` when not NULL), standardised. */
typedef struct mlp_src {
    const aml_matrix *X;
    const size_t *map;
    const float *mu, *sd;
    size_t *tmp;
} mlp_src;

static void mlp_rows(void *user, const size_t *rows, size_t n, float *x)
{
    mlp_src *s = user;
    const size_t *idx = rows;
    if (s->map) {
        for (size_t i = 0; i < n; i++)
            s->tmp[i] = s->map[rows[i]];
        idx = s->tmp;
    }
    amlp_nn_gather_rows(s->X, idx, 0, n, x);
    size_t d = s->X->cols;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = (x[i * d + j] - s->mu[j]) * s->sd[j];
}

/* Mean and 1 / standard deviation of each column over all rows of X
 * (missing as 0, as the rows are read). */
static void column_scaling(const aml_matrix *X, float *mu, float *inv_sd)
{
    size_t d = X->cols;
    double *s1 = amlp_calloc(2 * d + 1, sizeof(double)), *s2 = s1 ? s1 + d : NULL;
    if (!s1) {
        for (size_t j = 0; j < d; j++) {
            mu[j] = 0;
            inv_sd[j] = 1;
        }
        return;
    }
    for (size_t r = 0; r < X->rows; r++) {
        if (X->dense) {
            const float *row = X->dense + r * d;
            for (size_t j = 0; j < d; j++) {
                double v = isnan(row[j]) ? 0.0 : row[j];
                s1[j] += v;
                s2[j] += v * v;
            }
        } else {
            for (size_t p = X->indptr[r]; p < X->indptr[r + 1]; p++) {
                double v = isnan(X->values[p]) ? 0.0 : X->values[p];
                s1[X->indices[p]] += v;
                s2[X->indices[p]] += v * v;
            }
        }
    }
    double n = (double)X->rows;
    for (size_t j = 0; j < d; j++) {
        double m = s1[j] / n, var = s2[j] / n - m * m;
        mu[j] = (float)m;
        inv_sd[j] = var > 1e-12 * (1 + m * m) ? (float)(1.0 / sqrt(var)) : 1.0f;
    }
    amlp_free(s1);
}

static int build_net(const aml_learner *l, size_t d, size_t n_out, uint64_t seed,
                     amlp_nn_net **out)
{
    size_t layers = (size_t)aml_params_get(&l->params, "hidden_layers", 2);
    size_t units = (size_t)aml_params_get(&l->params, "units", 128);
    bool gelu = aml_params_get(&l->params, "activation", 0) == 1;
    double p = aml_params_get(&l->params, "dropout", 0.1);
    bool bn = aml_params_get(&l->params, "batch_norm", 0) == 1;
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    amlp_nn_net *net = NULL;
    int rc = amlp_nn_net_new(d, &net);
    size_t width = d;
    for (size_t i = 0; rc == 0 && i < layers; i++) {
        amlp_nn_layer *ly = NULL;
        rc = amlp_nn_dense_new(width, units, AMLP_NN_INIT_HE, &rng, &ly);
        rc = rc ? rc : amlp_nn_net_add(net, ly);
        if (rc == 0 && bn) {
            rc = amlp_nn_batchnorm_new(units, 0.1, 1e-5, &ly);
            rc = rc ? rc : amlp_nn_net_add(net, ly);
        }
        if (rc == 0) {
            rc = gelu ? amlp_nn_gelu_new(units, &ly) : amlp_nn_relu_new(units, &ly);
            rc = rc ? rc : amlp_nn_net_add(net, ly);
        }
        if (rc == 0 && p > 0) {
            rc = amlp_nn_dropout_new(units, p, seed + 0x9e37u * (i + 1), &ly);
            rc = rc ? rc : amlp_nn_net_add(net, ly);
        }
        width = units;
    }
    if (rc == 0) {
        amlp_nn_layer *ly = NULL;
        rc = amlp_nn_dense_new(width, n_out, AMLP_NN_INIT_XAVIER, &rng, &ly);
        rc = rc ? rc : amlp_nn_net_add(net, ly);
    }
    if (rc) {
        amlp_nn_net_free(net);
        net = NULL;
    }
    *out = net;
    return rc;
}

/* The rows of a set with a usable target: map (row numbers), y (scaled for
 * regression) and weights, compacted.  Returns 0, AML_EINVAL (class out of
 * range), AML_ENOMEM. */
typedef struct mlp_set {
    size_t n, *map, *tmp;
    float *y, *w;
} mlp_set;

static void set_free(mlp_set *s)
{
    amlp_free(s->map);
    amlp_free(s->tmp);
    amlp_free(s->y);
    amlp_free(s->w);
}

static int set_make(const aml_learner *l, size_t rows, const float *y, const float *w,
                    const mlp_state *st, size_t bs, mlp_set *s, aml_error *err)
{
    memset(s, 0, sizeof *s);
    s->map = amlp_malloc(rows * sizeof(size_t) + 1);
    s->tmp = amlp_malloc((rows < bs ? bs : rows) * sizeof(size_t) + 1);
    s->y = amlp_malloc(rows * sizeof(float) + 1);
    s->w = w ? amlp_malloc(rows * sizeof(float) + 1) : NULL;
    if (!s->map || !s->tmp || !s->y || (w && !s->w))
        return aml_error_set(err, AML_ENOMEM, 0, 0, "mlp", "out of memory");
    for (size_t i = 0; i < rows; i++) {
        if (!isfinite(y[i]))
            continue;
        if (l->task != AML_TASK_REGRESSION &&
            (y[i] < 0 || y[i] >= (float)l->n_classes || y[i] != floorf(y[i])))
            return aml_error_set(err, AML_EINVAL, 0, 0, "mlp",
                                 "row %zu: class %g is not one of 0..%zu", i, y[i],
                                 l->n_classes - 1);
        s->map[s->n] = i;
        s->y[s->n] = l->task == AML_TASK_REGRESSION
                         ? (float)((y[i] - st->y_mu) / st->y_sd) : y[i];
        if (w)
            s->w[s->n] = w[i];
        s->n++;
    }
    return 0;
}

static void target_scaling(const float *y, const float *w, size_t n, mlp_state *st)
{
    double sw = 0, s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i])) {
            double wi = w ? w[i] : 1.0;
            sw += wi;
            s1 += wi * y[i];
            s2 += wi * (double)y[i] * y[i];
        }
    st->y_mu = sw > 0 ? s1 / sw : 0;
    double var = sw > 0 ? s2 / sw - st->y_mu * st->y_mu : 0;
    st->y_sd = var > 1e-24 ? sqrt(var) : 1.0;
}

/* sgemm threads for a fit: one for small mini-batch products, where waking
 * OpenBLAS's workers costs more than it gains (and they spin against other
 * work on a busy machine: measured 2x slower on 2 loaded cores); the
 * caller's count from about 32 M multiply-adds per layer product up. */
static int gemm_threads(const aml_learner *l, size_t d, const aml_fit_ctl *ctl)
{
    double bs = aml_params_get(&l->params, "batch_size", 128);
    double units = aml_params_get(&l->params, "units", 128);
    double widest = (double)d > units ? (double)d : units;
    return bs * units * widest < 32e6 ? 1 : amlp_threads(ctl);
}

static int mlp_fit(aml_learner *l, const aml_fit_data *data, const aml_fit_ctl *ctl,
                   aml_error *err)
{
    int dl_rc = amlp_dl_blas(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    size_t d = data->X->cols;
    openblas_set_num_threads(gemm_threads(l, d, ctl));
    mlp_state *st = amlp_calloc(1, sizeof *st);
    if (!st)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "mlp", "out of memory");
    st->d = d;
    st->loss = l->task == AML_TASK_BINARY ? AMLP_NN_LOSS_SIGMOID_BCE
               : l->task == AML_TASK_MULTICLASS ? AMLP_NN_LOSS_SOFTMAX_XENT
                                                 : AMLP_NN_LOSS_MSE;
    st->n_out = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    st->y_mu = 0;
    st->y_sd = 1;
    st->mu = amlp_malloc(d * sizeof(float) + 1);
    st->sd = amlp_malloc(d * sizeof(float) + 1);
    amlp_nn_train_opts o = {
        .loss = st->loss,
        .class_w = l->task == AML_TASK_REGRESSION ? NULL : data->class_weight,
        .batch_size = (size_t)aml_params_get(&l->params, "batch_size", 128),
        .epochs = (size_t)aml_params_get(&l->params, "epochs", 50),
        .patience = (size_t)aml_params_get(&l->params, "patience", 10),
        .lr = aml_params_get(&l->params, "learning_rate", 1e-3),
        .weight_decay = aml_params_get(&l->params, "weight_decay", 1e-4),
        .warmup_frac = 0.05,
        .lr_floor = 0.01,
        .seed = ctl->seed,
        .ctl = ctl,
    };
    mlp_set tr = {0}, va = {0};
    int rc = st->mu && st->sd ? 0 : aml_error_set(err, AML_ENOMEM, 0, 0, "mlp", "out of memory");
    if (rc == 0) {
        column_scaling(data->X, st->mu, st->sd);
        if (l->task == AML_TASK_REGRESSION)
            target_scaling(data->y, data->weight, data->X->rows, st);
        rc = set_make(l, data->X->rows, data->y, data->weight, st, o.batch_size, &tr, err);
    }
    bool has_valid = data->X_valid && data->y_valid && data->X_valid->rows > 0;
    if (rc == 0 && has_valid)
        rc = set_make(l, data->X_valid->rows, data->y_valid, NULL, st, o.batch_size, &va, err);
    if (rc == 0 && tr.n == 0)
        rc = aml_error_set(err, AML_EEMPTY, 0, 0, "mlp", "no training row has a target");
    if (rc == 0 && build_net(l, d, st->n_out, ctl->seed, &st->net))
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "mlp", "out of memory");
    if (rc == 0) {
        mlp_src ts = {data->X, tr.map, st->mu, st->sd, tr.tmp};
        mlp_src vs = {data->X_valid, va.map, st->mu, st->sd, va.tmp};
        amlp_nn_data td = {tr.n, mlp_rows, &ts, tr.y, data->weight ? tr.w : NULL};
        amlp_nn_data vd = {va.n, mlp_rows, &vs, va.y, NULL};
        amlp_nn_train_result res;
        rc = amlp_nn_train(st->net, &o, &td, has_valid && va.n ? &vd : NULL, &res, err);
        if (rc == AML_ECANCELED && res.epochs_run == 0) {
            set_free(&tr);
            set_free(&va);
            l->state = st;
            mlp_free_state(l);
            return rc;
        }
    }
    set_free(&tr);
    set_free(&va);
    l->state = st;
    if (rc && rc != AML_ECANCELED)
        mlp_free_state(l);
    return rc;
}

static void plain_rows(void *user, const size_t *rows, size_t n, float *x)
{
    mlp_src *s = user;
    /* predict reads rows in order: rows[0] .. rows[0] + n - 1 */
    amlp_nn_gather_rows(s->X, NULL, rows[0], n, x);
    size_t d = s->X->cols;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = (x[i * d + j] - s->mu[j]) * s->sd[j];
}

static int mlp_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err)
{
    int dl_rc = amlp_dl_blas(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    const mlp_state *st = l->state;
    mlp_src src = {X, NULL, st->mu, st->sd, NULL};
    amlp_nn_data d = {X->rows, plain_rows, &src, NULL, NULL};
    if (X->rows == 0)
        return 0;
    /* out holds rows x n_out floats: exactly the raw output's size */
    int rc = amlp_nn_predict_raw(st->net, &d, NULL, out);
    if (rc)
        return aml_error_set(err, rc, 0, 0, "mlp", "out of memory");
    amlp_nn_loss_link(st->loss, out, X->rows, st->n_out);
    if (st->loss == AMLP_NN_LOSS_MSE)
        for (size_t i = 0; i < X->rows; i++)
            out[i] = (float)(out[i] * st->y_sd + st->y_mu);
    return 0;
}

static int mlp_save(const aml_learner *l, amlp_bytes *out, aml_error *err)
{
    (void)err;
    const mlp_state *st = l->state;
    int rc = amlp_bytes_put_u64(out, (uint64_t)st->loss);
    rc = rc ? rc : amlp_bytes_put_u64(out, st->n_out);
    rc = rc ? rc : amlp_bytes_put_u64(out, st->d);
    rc = rc ? rc : amlp_bytes_put(out, st->mu, st->d * sizeof(float));
    rc = rc ? rc : amlp_bytes_put(out, st->sd, st->d * sizeof(float));
    rc = rc ? rc : amlp_bytes_put_f64(out, st->y_mu);
    rc = rc ? rc : amlp_bytes_put_f64(out, st->y_sd);
    rc = rc ? rc : amlp_nn_net_save(st->net, out);
    return rc;
}

static int mlp_load(aml_learner *l, amlp_reader *in, aml_error *err)
{
    uint64_t loss = 0, n_out = 0, d = 0;
    if (amlp_read_u64(in, &loss) || loss > AMLP_NN_LOSS_MSE || amlp_read_u64(in, &n_out) ||
        amlp_read_u64(in, &d) || d != l->n_features || d > in->len)
        return aml_error_set(err, AML_EPARSE, 0, 0, "mlp", "truncated or corrupt mlp state");
    mlp_state *st = amlp_calloc(1, sizeof *st);
    if (!st)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "mlp", "out of memory");
    l->state = st;
    st->loss = (amlp_nn_loss)loss;
    st->n_out = n_out;
    st->d = d;
    st->mu = amlp_malloc(d * sizeof(float) + 1);
    st->sd = amlp_malloc(d * sizeof(float) + 1);
    if (!st->mu || !st->sd) {
        mlp_free_state(l);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "mlp", "out of memory");
    }
    int rc = amlp_read(in, st->mu, d * sizeof(float));
    rc = rc ? rc : amlp_read(in, st->sd, d * sizeof(float));
    rc = rc ? rc : amlp_read_f64(in, &st->y_mu);
    rc = rc ? rc : amlp_read_f64(in, &st->y_sd);
    rc = rc ? rc : amlp_nn_net_load(in, &st->net);
    size_t want = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    if (rc == 0 && (st->net->in != d || amlp_nn_net_out(st->net) != n_out || n_out != want))
        rc = AML_EPARSE;
    if (rc) {
        mlp_free_state(l);
        return aml_error_set(err, rc, 0, 0, "mlp", rc == AML_ENOMEM ? "out of memory"
                                                                   : "corrupt mlp network");
    }
    return 0;
}

const amlp_learner_ops amlp_learner_mlp = {
    .kind = "mlp",
    .space = mlp_space,
    .n_space = N_SPACE,
    .supports = mlp_supports,
    .fit = mlp_fit,
    .predict = mlp_predict,
    .importance = NULL,
    .save = mlp_save,
    .load = mlp_load,
    .free_state = mlp_free_state,
};
