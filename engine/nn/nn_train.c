/* nn_train.c — the training loop shared by our networks: seeded shuffles,
 * mini-batches (filled on a loader thread while the previous one computes,
 * when asked), mixup, AdamW or SGD with Nesterov momentum under a warm-up +
 * cosine schedule, label smoothing, per-epoch validation with early stopping
 * that keeps the best weights, cancel checks before every mini-batch and
 * between layers, progress and a callback per epoch; and chunked inference. */
#include "aml_nn.h"

#include <math.h>
#include <pthread.h>
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

/* ---- mini-batches ---- */

/* One mini-batch's inputs, targets (ky per row) and row weights. */
typedef struct batch {
    float *x, *y, *w;
} batch;

/* Fills b with the rows `rows` of d. */
static void fill_batch(const amlp_nn_data *d, const size_t *rows, size_t m, size_t ky, batch *b)
{
    d->rows(d->user, rows, m, b->x);
    for (size_t i = 0; i < m; i++) {
        memcpy(b->y + i * ky, d->y + rows[i] * ky, ky * sizeof(float));
        if (d->w)
            b->w[i] = d->w[rows[i]];
    }
}

static int batch_alloc(batch *b, size_t bs, size_t in, size_t ky)
{
    b->x = amlp_malloc(bs * in * sizeof(float));
    b->y = amlp_malloc(bs * ky * sizeof(float));
    b->w = amlp_malloc(bs * sizeof(float));
    return b->x && b->y && b->w ? 0 : AML_ENOMEM;
}

static void batch_free(batch *b)
{
    amlp_free(b->x);
    amlp_free(b->y);
    amlp_free(b->w);
}

/* ---- the loader thread: fills one requested batch at a time ---- */

typedef struct loader {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running, pending, quit;
    /* the job, set by loader_request while no job is pending */
    const amlp_nn_data *d;
    const size_t *rows;
    size_t m, ky;
    batch *into;
} loader;

static void *loader_main(void *arg)
{
    loader *ld = arg;
    pthread_mutex_lock(&ld->mu);
    for (;;) {
        while (!ld->pending && !ld->quit)
            pthread_cond_wait(&ld->cv, &ld->mu);
        if (!ld->pending)
            break;
        pthread_mutex_unlock(&ld->mu);
        fill_batch(ld->d, ld->rows, ld->m, ld->ky, ld->into);
        pthread_mutex_lock(&ld->mu);
        ld->pending = false;
        pthread_cond_broadcast(&ld->cv);
    }
    pthread_mutex_unlock(&ld->mu);
    return NULL;
}

/* Starts the thread; false when it cannot (the caller then loads itself). */
static bool loader_start(loader *ld)
{
    if (pthread_mutex_init(&ld->mu, NULL))
        return false;
    if (pthread_cond_init(&ld->cv, NULL)) {
        pthread_mutex_destroy(&ld->mu);
        return false;
    }
    ld->running = pthread_create(&ld->thread, NULL, loader_main, ld) == 0;
    if (!ld->running) {
        pthread_cond_destroy(&ld->cv);
        pthread_mutex_destroy(&ld->mu);
    }
    return ld->running;
}

/* Asks for rows `rows` of d into `into`; no job may be pending. */
static void loader_request(loader *ld, const amlp_nn_data *d, const size_t *rows, size_t m,
                           size_t ky, batch *into)
{
    pthread_mutex_lock(&ld->mu);
    ld->d = d;
    ld->rows = rows;
    ld->m = m;
    ld->ky = ky;
    ld->into = into;
    ld->pending = true;
    pthread_cond_broadcast(&ld->cv);
    pthread_mutex_unlock(&ld->mu);
}

/* Returns once no job is pending (the last one requested is filled). */
static void loader_wait(loader *ld)
{
    pthread_mutex_lock(&ld->mu);
    while (ld->pending)
        pthread_cond_wait(&ld->cv, &ld->mu);
    pthread_mutex_unlock(&ld->mu);
}

static void loader_stop(loader *ld)
{
    if (!ld->running)
        return;
    pthread_mutex_lock(&ld->mu);
    ld->quit = true;
    pthread_cond_broadcast(&ld->cv);
    pthread_mutex_unlock(&ld->mu);
    pthread_join(ld->thread, NULL);
    pthread_cond_destroy(&ld->cv);
    pthread_mutex_destroy(&ld->mu);
    ld->running = false;
}

/* ---- mixup ---- */

/* Gamma(a, 1) by Marsaglia and Tsang; a < 1 through Gamma(a + 1) U^(1/a). */
static double gamma_draw(amlp_rng *rng, double a)
{
    if (a < 1)
        return gamma_draw(rng, a + 1) * pow(amlp_rng_uniform(rng), 1 / a);
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = amlp_rng_normal(rng), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = amlp_rng_uniform(rng);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

static double beta_draw(amlp_rng *rng, double alpha)
{
    double g1 = gamma_draw(rng, alpha), g2 = gamma_draw(rng, alpha);
    return g1 + g2 > 0 ? g1 / (g1 + g2) : 0.5;
}

/* ---- the trainer ---- */

typedef struct schedule {
    uint64_t step, warmup, total;
    double t_start, t_end;   /* a deadline's schedule runs on time (t_end 0: on steps) */
    double t_stop;           /* the deadline or stop_at (0: none) */
    bool out_of_time;        /* t_stop has passed: training ends */
} schedule;

/* The learning rate now: on steps, or on the share of the time used when
 * training runs to a deadline. */
static double schedule_lr(const amlp_nn_train_opts *o, const schedule *s)
{
    double step = (double)s->step;
    if (s->t_end > s->t_start) {
        double share = (aml_now() - s->t_start) / (s->t_end - s->t_start);
        step = fmin(share, 1) * (double)s->total;
    }
    return amlp_nn_lr_at(o->lr, (uint64_t)step, s->warmup, s->total, o->lr_floor);
}

typedef struct trainer {
    size_t *order;
    batch slot[2];           /* slot 1 only with the loader thread */
    float *dout, *best, *vout;
    /* mixup: the mixed inputs, the partners' targets and weights, their gradient */
    float *xmix, *dout_b;
    batch partner;
    size_t *perm;
    amlp_rng mix_rng;
    loader load;
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
    loader_stop(&t->load);
    amlp_free(t->order);
    batch_free(&t->slot[0]);
    batch_free(&t->slot[1]);
    amlp_free(t->dout);
    amlp_free(t->best);
    amlp_free(t->vout);
    amlp_free(t->xmix);
    amlp_free(t->dout_b);
    batch_free(&t->partner);
    amlp_free(t->perm);
    amlp_nn_adamw_free(&t->adamw);
    amlp_nn_sgd_free(&t->sgd);
}

static int mixup_alloc(trainer *t, size_t bs, size_t in, size_t k, size_t ky)
{
    t->xmix = amlp_malloc(bs * in * sizeof(float));
    t->dout_b = amlp_malloc(bs * k * sizeof(float));
    t->perm = amlp_malloc(bs * sizeof(size_t));
    int rc = batch_alloc(&t->partner, bs, 1, ky);
    return rc == 0 && t->xmix && t->dout_b && t->perm ? 0 : AML_ENOMEM;
}

/* Buffers, optimiser state, the mixup stream and the loader thread. */
static int trainer_init(trainer *t, amlp_nn_net *net, const amlp_nn_train_opts *o,
                        size_t n_train, size_t bs, const amlp_nn_data *valid)
{
    size_t k = amlp_nn_net_out(net), ky = o->loss == AMLP_NN_LOSS_MSE ? k : 1;
    t->order = amlp_malloc(n_train * sizeof(size_t));
    t->dout = amlp_malloc(bs * k * sizeof(float));
    t->best = amlp_malloc(amlp_nn_net_snapshot_size(net) * sizeof(float) + 1);
    t->vout = valid ? amlp_malloc(valid->n * k * sizeof(float) + 1) : NULL;
    int rc = batch_alloc(&t->slot[0], bs, net->in, ky);
    if (rc == 0 && o->prefetch)
        rc = batch_alloc(&t->slot[1], bs, net->in, ky);
    if (rc == 0 && o->mixup > 0)
        rc = mixup_alloc(t, bs, net->in, k, ky);
    if (rc || !t->order || !t->dout || !t->best || (valid && !t->vout) ||
        optimizer_init(t, net, o))
        return AML_ENOMEM;
    for (size_t i = 0; i < n_train; i++)
        t->order[i] = i;
    amlp_rng_seed(&t->mix_rng, o->seed ^ 0x6d69787570ull);
    if (o->prefetch)
        loader_start(&t->load);   /* without it, the batches load in line */
    return 0;
}

/* Mixes the batch with a shuffled copy of itself into t->xmix and the
 * partners' targets and weights into t->partner; returns lambda. */
static double mix_batch(trainer *t, const batch *b, size_t m, size_t in, size_t ky,
                        bool weighted, double alpha)
{
    double lam = beta_draw(&t->mix_rng, alpha);
    for (size_t i = 0; i < m; i++)
        t->perm[i] = i;
    amlp_rng_shuffle(&t->mix_rng, t->perm, m);
    float a = (float)lam, c = (float)(1 - lam);
    for (size_t i = 0; i < m; i++) {
        const float *xa = b->x + i * in, *xb = b->x + t->perm[i] * in;
        for (size_t j = 0; j < in; j++)
            t->xmix[i * in + j] = a * xa[j] + c * xb[j];
        memcpy(t->partner.y + i * ky, b->y + t->perm[i] * ky, ky * sizeof(float));
        if (weighted)
            t->partner.w[i] = b->w[t->perm[i]];
    }
    return lam;
}

/* Forward, loss (mixed when asked), backward and an optimiser step on a
 * filled batch; *loss gets the batch's training loss. */
static int train_step(amlp_nn_net *net, const amlp_nn_train_opts *o, bool weighted, trainer *t,
                      const batch *b, size_t m, schedule *s, double *loss)
{
    size_t k = amlp_nn_net_out(net), ky = o->loss == AMLP_NN_LOSS_MSE ? k : 1;
    double lam = o->mixup > 0 ? mix_batch(t, b, m, net->in, ky, weighted, o->mixup) : 1;
    const float *out = NULL;
    int rc = amlp_nn_net_forward(net, o->mixup > 0 ? t->xmix : b->x, m, true, &out);
    if (rc)
        return rc;
    *loss = amlp_nn_loss_eval_smoothed(o->loss, o->label_smoothing, out, m, k, b->y,
                                       weighted ? b->w : NULL, o->class_w, t->dout);
    if (o->mixup > 0) {
        double lb = amlp_nn_loss_eval_smoothed(o->loss, o->label_smoothing, out, m, k,
                                               t->partner.y, weighted ? t->partner.w : NULL,
                                               o->class_w, t->dout_b);
        *loss = lam * *loss + (1 - lam) * lb;
        for (size_t i = 0; i < m * k; i++)
            t->dout[i] = (float)(lam * t->dout[i] + (1 - lam) * t->dout_b[i]);
    }
    amlp_nn_net_zero_grad(net);
    rc = amlp_nn_net_backward(net, t->dout, m);
    if (rc)
        return rc;
    optimizer_step(t, net, o, schedule_lr(o, s));
    s->step++;
    return 0;
}

static size_t batch_len(size_t n, size_t bs, size_t b)
{
    return n - b * bs < bs ? n - b * bs : bs;
}

/* One epoch of mini-batches; *loss gets the epoch's mean batch loss.  With
 * the loader running, batch b + 1 is filled while batch b computes; no job
 * is left pending on return.  Returns 0, AML_ECANCELED, AML_ENOMEM. */
static int run_epoch(amlp_nn_net *net, const amlp_nn_train_opts *o, const amlp_nn_data *d,
                     trainer *t, amlp_rng *rng, size_t bs, schedule *s, double *loss)
{
    size_t ky = o->loss == AMLP_NN_LOSS_MSE ? amlp_nn_net_out(net) : 1;
    size_t nb = (d->n + bs - 1) / bs;
    bool ahead = t->load.running;
    amlp_rng_shuffle(rng, t->order, d->n);
    if (ahead)
        loader_request(&t->load, d, t->order, batch_len(d->n, bs, 0), ky, &t->slot[0]);
    double sum = 0;
    int rc = 0;
    size_t done = 0;
    for (size_t b = 0; rc == 0 && b < nb; b++) {
        if (amlp_canceled(o->ctl)) {
            rc = AML_ECANCELED;
            break;
        }
        if (s->t_stop > 0 && aml_now() >= s->t_stop) {
            s->out_of_time = true;
            break;
        }
        size_t m = batch_len(d->n, bs, b);
        batch *cur = &t->slot[ahead ? b % 2 : 0];
        if (ahead) {
            loader_wait(&t->load);
            if (b + 1 < nb)
                loader_request(&t->load, d, t->order + (b + 1) * bs,
                               batch_len(d->n, bs, b + 1), ky, &t->slot[(b + 1) % 2]);
        } else {
            fill_batch(d, t->order + b * bs, m, ky, cur);
        }
        double l = 0;
        rc = train_step(net, o, d->w != NULL, t, cur, m, s, &l);
        sum += l;
        done++;
    }
    if (ahead)
        loader_wait(&t->load);
    *loss = done ? sum / (double)done : NAN;
    return rc;
}

static int check_opts(const amlp_nn_train_opts *o, const amlp_nn_data *train, aml_error *err)
{
    if (train->n == 0 || o->epochs == 0 || o->batch_size == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn", "nothing to train on");
    if (!(o->label_smoothing >= 0 && o->label_smoothing < 1))
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn",
                             "label_smoothing %g is outside [0, 1)", o->label_smoothing);
    if (!(o->mixup >= 0 && o->mixup <= 1e3))
        return aml_error_set(err, AML_EINVAL, 0, 0, "nn", "mixup alpha %g is outside [0, 1000]",
                             o->mixup);
    return 0;
}

/* After an epoch: keeps the best weights, reports progress and calls
 * on_epoch; true when patience has run out. */
static bool end_epoch(amlp_nn_net *net, const amlp_nn_train_opts *o, trainer *t,
                      amlp_nn_train_result *res, size_t epoch, double train_loss,
                      double valid_loss)
{
    bool has_valid = !isnan(valid_loss);
    double loss = has_valid ? valid_loss : train_loss;
    res->epochs_run = epoch;
    if (isfinite(loss) && loss < res->best_loss) {
        res->best_loss = loss;
        res->best_epoch = epoch;
        amlp_nn_net_snapshot(net, t->best);
    }
    if (o->ctl && o->ctl->progress) {
        char what[96];
        snprintf(what, sizeof what, "epoch %zu/%zu, %s loss %.5g", epoch, o->epochs,
                 has_valid ? "validation" : "training", loss);
        o->ctl->progress((double)epoch / (double)o->epochs, what, o->ctl->user);
    }
    if (o->on_epoch)
        o->on_epoch(epoch, train_loss, valid_loss, o->epoch_user);
    return epoch - res->best_epoch >= o->patience && epoch < o->epochs;
}

static int train_error(int rc, const amlp_nn_train_result *res, aml_error *err)
{
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

int amlp_nn_train(amlp_nn_net *net, const amlp_nn_train_opts *o, const amlp_nn_data *train,
                  const amlp_nn_data *valid, amlp_nn_train_result *res, aml_error *err)
{
    memset(res, 0, sizeof *res);
    res->best_loss = INFINITY;
    int rc = check_opts(o, train, err);
    if (rc)
        return rc;
    size_t k = amlp_nn_net_out(net);
    size_t bs = o->batch_size < train->n ? o->batch_size : train->n;
    uint64_t total = (uint64_t)((train->n + bs - 1) / bs) * o->epochs;
    schedule s = {.step = 0, .warmup = (uint64_t)(o->warmup_frac * (double)total),
                  .total = total};
    if (o->deadline > 0) {
        s.t_start = aml_now();
        s.t_end = o->deadline;
    }
    s.t_stop = o->deadline > 0 ? o->deadline : o->stop_at > 0 ? o->stop_at : 0;
    trainer t = {0};
    rc = trainer_init(&t, net, o, train->n, bs, valid);
    amlp_rng rng;
    amlp_rng_seed(&rng, o->seed);
    net->cancel = o->ctl ? o->ctl->cancel : NULL;
    for (size_t epoch = 1; rc == 0 && epoch <= o->epochs; epoch++) {
        double train_loss = 0, valid_loss = NAN;
        rc = run_epoch(net, o, train, &t, &rng, bs, &s, &train_loss);
        if (rc == 0 && s.out_of_time && isnan(train_loss))
            break;   /* the time ran out before this epoch's first mini-batch */
        if (rc == 0 && valid && valid->n) {
            rc = amlp_nn_predict_raw(net, valid, o->ctl, t.vout);
            if (rc == 0)
                valid_loss = amlp_nn_loss_eval(o->loss, t.vout, valid->n, k, valid->y,
                                               valid->w, o->class_w, NULL);
        }
        if (rc)
            break;
        if (end_epoch(net, o, &t, res, epoch, train_loss, valid_loss)) {
            res->stopped_early = true;
            break;
        }
        if (s.out_of_time)
            break;
    }
    net->cancel = NULL;
    if (res->best_epoch > 0)
        amlp_nn_net_restore(net, t.best);
    trainer_free(&t);
    return train_error(rc, res, err);
}
