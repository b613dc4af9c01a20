/* nn_train.c — the training loop shared by our networks: seeded shuffles,
 * mini-batches, AdamW or SGD with Nesterov momentum under a warm-up + cosine
 * schedule, label smoothing, per-epoch
 * validation with early stopping that keeps the best weights, cancel checks
 * before every mini-batch and between layers, progress per epoch; and chunked inference. */
#include "aml_nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PREDICT_CHUNK 256

int amlp_nn_predict_raw(amlp_nn_net *net, const amlp_nn_data *data, const aml_fit_ctl *ctl,
                        float *out)
{
    size_t k = amlp_nn_net_out(net), chunk = data->n < PREDICT_CHUNK ? data->n : PREDICT_CHUNK;
    float *x = amlp_malloc(chunk * net->in * sizeof(float) + 1);
    size_t *idx = amlp_malloc(chunk * sizeof(size_t) + 1);
    int rc = x && idx ? 0 : AML_ENOMEM;
    for (size_t r0 = 0; rc == 0 && r0 < data->n; r0 += chunk) {
        if (amlp_canceled(ctl)) {
            rc = AML_ECANCELED;
            break;
        }
        size_t m = data->n - r0 < chunk ? data->n - r0 : chunk;
        for (size_t i = 0; i < m; i++)
            idx[i] = r0 + i;
        data->rows(data->user, idx, m, x);
        const float *y = NULL;
        rc = amlp_nn_net_forward(net, x, m, false, &y);
        if (rc == 0)
            memcpy(out + r0 * k, y, m * k * sizeof(float));
    }
    amlp_free(x);
    amlp_free(idx);
    return rc;
}

typedef struct trainer {
    size_t *order;
    float *x, *y, *w, *dout, *best, *vout;
    amlp_nn_adamw adamw;
    amlp_nn_sgd sgd;
} trainer;

static int optimizer_init(trainer *t, amlp_nn_net *net, const amlp_nn_train_opts *o)
{
    if (o->optimizer == AMLP_NN_OPT_SGD_NESTEROV)
        return amlp_nn_sgd_init(&t->sgd, net, o->momentum > 0 ? o->momentum : 0.9, true,
                                o->weight_decay);
    return amlp_nn_adamw_init(&t->adamw, net, o->weight_decay);
}

static void optimizer_step(trainer *t, amlp_nn_net *net, const amlp_nn_train_opts *o,
                           double lr)
{
    if (o->optimizer == AMLP_NN_OPT_SGD_NESTEROV)
        amlp_nn_sgd_step(&t->sgd, net, lr);
    else
        amlp_nn_adamw_step(&t->adamw, net, lr);
}

static void trainer_free(trainer *t)
{
    amlp_free(t->order);
    amlp_free(t->x);
    amlp_free(t->y);
    amlp_free(t->w);
    amlp_free(t->dout);
    amlp_free(t->best);
    amlp_free(t->vout);
    amlp_nn_adamw_free(&t->adamw);
    amlp_nn_sgd_free(&t->sgd);
}

/* One epoch of mini-batches; *loss gets the epoch's mean batch loss.
 * Returns 0, AML_ECANCELED, AML_ENOMEM. */
static int run_epoch(amlp_nn_net *net, const amlp_nn_train_opts *o, const amlp_nn_data *d,
                     trainer *t, amlp_rng *rng, size_t bs,
                     uint64_t *step, uint64_t warmup, uint64_t total, double *loss)
{
    size_t k = amlp_nn_net_out(net), ky = o->loss == AMLP_NN_LOSS_MSE ? k : 1;
    amlp_rng_shuffle(rng, t->order, d->n);
    double sum = 0;
    size_t batches = 0;
    for (size_t b0 = 0; b0 < d->n; b0 += bs) {
        if (amlp_canceled(o->ctl))
            return AML_ECANCELED;
        size_t m = d->n - b0 < bs ? d->n - b0 : bs;
        const size_t *rows = t->order + b0;
        d->rows(d->user, rows, m, t->x);
        for (size_t i = 0; i < m; i++) {
            memcpy(t->y + i * ky, d->y + rows[i] * ky, ky * sizeof(float));
            if (d->w)
                t->w[i] = d->w[rows[i]];
        }
        const float *out = NULL;
        int rc = amlp_nn_net_forward(net, t->x, m, true, &out);
        if (rc)
            return rc;
        sum += amlp_nn_loss_eval_smoothed(o->loss, o->label_smoothing, out, m, k, t->y,
                                          d->w ? t->w : NULL, o->class_w, t->dout);
        batches++;
        amlp_nn_net_zero_grad(net);
        rc = amlp_nn_net_backward(net, t->dout, m);
        if (rc)
            return rc;
        optimizer_step(t, net, o, amlp_nn_lr_at(o->lr, *step, warmup, total, o->lr_floor));
        (*step)++;
    }
    *loss = batches ? sum / (double)batches : 0;
    return 0;
}

int amlp_nn_train(amlp_nn_net *net, const amlp_nn_train_opts *o, const amlp_nn_data *train,
                  const amlp_nn_data *valid, amlp_nn_train_result *res, aml_error *err)
{
    memset(res, 0, sizeof *res);
    res->best_loss = INFINITY;
    if (train->n == 0 || o->epochs == 0 || o->batch_size == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn", "nothing to train on");
    if (!(o->label_smoothing >= 0 && o->label_smoothing < 1))
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn",
                             "label_smoothing %g is outside [0, 1)", o->label_smoothing);
    size_t k = amlp_nn_net_out(net), ky = o->loss == AMLP_NN_LOSS_MSE ? k : 1;
    size_t bs = o->batch_size < train->n ? o->batch_size : train->n;
    size_t per_epoch = (train->n + bs - 1) / bs;
    uint64_t total = (uint64_t)per_epoch * o->epochs, step = 0;
    uint64_t warmup = (uint64_t)(o->warmup_frac * (double)total);
    trainer t = {0};
    size_t snap = amlp_nn_net_snapshot_size(net);
    t.order = amlp_malloc(train->n * sizeof(size_t));
    t.x = amlp_malloc(bs * net->in * sizeof(float));
    t.y = amlp_malloc(bs * ky * sizeof(float));
    t.w = amlp_malloc(bs * sizeof(float));
    t.dout = amlp_malloc(bs * k * sizeof(float));
    t.best = amlp_malloc(snap * sizeof(float) + 1);
    t.vout = valid ? amlp_malloc(valid->n * k * sizeof(float) + 1) : NULL;
    int rc = 0;
    if (!t.order || !t.x || !t.y || !t.w || !t.dout || !t.best || (valid && !t.vout) ||
        optimizer_init(&t, net, o))
        rc = AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < train->n; i++)
        t.order[i] = i;
    amlp_rng rng;
    amlp_rng_seed(&rng, o->seed);
    net->cancel = o->ctl ? o->ctl->cancel : NULL;
    for (size_t epoch = 1; rc == 0 && epoch <= o->epochs; epoch++) {
        double loss = 0;
        rc = run_epoch(net, o, train, &t, &rng, bs, &step, warmup, total, &loss);
        if (rc == 0 && valid && valid->n) {
            rc = amlp_nn_predict_raw(net, valid, o->ctl, t.vout);
            if (rc == 0)
                loss = amlp_nn_loss_eval(o->loss, t.vout, valid->n, k, valid->y, valid->w,
                                         o->class_w, NULL);
        }
        if (rc)
            break;
        res->epochs_run = epoch;
        if (isfinite(loss) && loss < res->best_loss) {
            res->best_loss = loss;
            res->best_epoch = epoch;
            amlp_nn_net_snapshot(net, t.best);
        }
        if (o->ctl && o->ctl->progress) {
            char what[96];
            snprintf(what, sizeof what, "epoch %zu/%zu, %s loss %.5g", epoch, o->epochs,
                     valid ? "validation" : "training", loss);
            o->ctl->progress((double)epoch / (double)o->epochs, what, o->ctl->user);
        }
        if (epoch - res->best_epoch >= o->patience && epoch < o->epochs) {
            res->stopped_early = true;
            break;
        }
    }
    net->cancel = NULL;
    if (res->best_epoch > 0)
        amlp_nn_net_restore(net, t.best);
    trainer_free(&t);
    if (rc == AML_ECANCELED)
        return aml_error_set(err, rc, 0, 0, "nn", "training canceled after %zu epochs",
                             res->epochs_run);
    if (rc)
        return aml_error_set(err, rc, 0, 0, "nn", "out of memory while training");
    if (res->best_epoch == 0)
        return aml_error_set(err, AML_ERANGE, 0, 0, "nn",
                             "training diverged (no finite loss); try a lower learning_rate");
    return 0;
}
