/*
 * vision_run.c — the image search's worker: trials of the strategy's
 * architectures at low fidelity (a subset of the training images for a few
 * epochs) until the search's share of the budget is spent, then the best
 * one trained on every non-test image until the budget ends, scored once on
 * the test split and wrapped as an image model.
 *
 * Time plan: a short calibration measures the machine's training speed
 * (image multiply-adds per second); the search gets SEARCH_SHARE of the
 * budget, less on large data so that the final training keeps time for
 * FINAL_EPOCHS epochs; trials are sized so that up to TRIALS_PLANNED of at
 * least MIN_STEPS mini-batches fit in it; the final training runs on a
 * time-based schedule until the budget ends, less what the test
 * predictions will take.
 */
#include <cblas.h>

#include "search/search_internal.h"
#include "aml_base.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SEARCH_SHARE 0.45
#define SEARCH_SHARE_MIN 0.2
#define FINAL_EPOCHS 10       /* epochs the final training should get on all the images */
#define SEARCH_SHARE_MAX_TRIALS 0.8   /* with a trial limit, the trials may take more */
#define TRIALS_PLANNED 8
#define TRIAL_CAP 2.5    /* a trial stops at this many times its planned time */
#define MIN_STEPS 40     /* mini-batches a trial needs to tell architectures apart */
#define BATCH 128
#define VAL_TRIAL_MAX 2000
#define MAX_FINAL_EPOCHS 200

static void say(amlp_vision *v, const char *fmt, double deadline, ...)
    __attribute__((format(printf, 2, 4)));

/* Sets the phase text the display shows (and the deadline of its fits). */
static void say(amlp_vision *v, const char *fmt, double deadline, ...)
{
    va_list ap;
    va_start(ap, deadline);
    pthread_mutex_lock(&v->c.mu);
    vsnprintf(v->phase, sizeof v->phase, fmt, ap);
    v->c.phase = v->phase;
    v->c.phase_deadline = deadline;
    if (!v->c.interrupted && aml_now() < deadline)
        v->c.fit_cancel = 0;
    pthread_mutex_unlock(&v->c.mu);
    va_end(ap);
}

static amlp_nn_images source(const amlp_vision *v, const size_t *idx, bool augment,
                             const amlp_nn_augment *aug, uint64_t seed)
{
    amlp_nn_images s;
    memset(&s, 0, sizeof s);
    s.pixels = aml_images_pixels(v->im);
    s.c = v->ch, s.h = v->h, s.w = v->w;
    s.index = idx;
    memcpy(s.mean, v->mean, sizeof s.mean);
    memcpy(s.std, v->std, sizeof s.std);
    if (aug)
        s.aug = *aug;
    s.augment = augment;
    amlp_rng_seed(&s.rng, seed);
    return s;
}

static float *labels_of(const amlp_vision *v, const size_t *idx, size_t n)
{
    float *y = amlp_malloc(n * sizeof *y + 1);
    for (size_t i = 0; y && i < n; i++)
        y[i] = v->label[idx[i]];
    return y;
}

int amlp_vision_score(amlp_vision *v, amlp_nn_net *net, const size_t *idx, size_t n,
                      double *score, float *pred)
{
    size_t k = v->k, width = k == 2 ? 1 : k;
    amlp_nn_images src = source(v, idx, false, NULL, 0);
    amlp_nn_data d = {.n = n, .rows = amlp_nn_images_rows, .user = &src};
    float *raw = amlp_malloc(n * k * sizeof *raw + 1), *y = labels_of(v, idx, n);
    float *p = pred ? pred : amlp_malloc(n * width * sizeof *p + 1);
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.cancel = &v->c.fit_cancel;
    int rc = raw && y && p ? amlp_nn_predict_raw(net, &d, &ctl, raw) : AML_ENOMEM;
    if (rc == 0) {
        amlp_nn_loss_link(AMLP_NN_LOSS_SOFTMAX_XENT, raw, n, k);
        for (size_t i = 0; i < n; i++) {
            if (k == 2)
                p[i] = raw[i * 2 + 1];
            else
                memcpy(p + i * k, raw + i * k, k * sizeof *p);
        }
        rc = aml_metric_score(v->c.metric, v->c.task, k, y, p, NULL, n, score, NULL);
    }
    if (!pred)
        amlp_free(p);
    amlp_free(raw);
    amlp_free(y);
    return rc;
}

/* When a training run ends: `at` (an aml_now() time), and whether its
 * schedule runs on that time (the final training) or on its epochs (a
 * trial, which `at` only cuts short). */
typedef struct train_end {
    double at;
    bool on_time;
} train_end;

/* Trains `net` with recipe r on images idx[0..n) for `epochs` or until
 * `end`.  Returns 0 or a code. */
static int train_net(amlp_vision *v, amlp_nn_net *net, const amlp_cnn_recipe *r,
                     const size_t *idx, size_t n, size_t epochs, uint64_t seed, train_end end,
                     amlp_nn_train_result *res, aml_error *err)
{
    float *y = labels_of(v, idx, n);
    if (!y)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    amlp_nn_images src = source(v, idx, true, &r->aug, seed);
    amlp_nn_data d = {.n = n, .rows = amlp_nn_images_rows, .user = &src, .y = y};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.cancel = &v->c.fit_cancel;
    ctl.threads = v->c.o.threads;
    amlp_nn_train_opts o = {
        .loss = AMLP_NN_LOSS_SOFTMAX_XENT,
        .label_smoothing = r->label_smoothing,
        .optimizer = r->optimizer,
        .batch_size = BATCH,
        .epochs = epochs,
        .patience = epochs,
        .lr = r->lr,
        .weight_decay = r->weight_decay,
        .warmup_frac = r->warmup_frac,
        .seed = seed,
        .ctl = &ctl,
        .mixup = r->mixup,
        .prefetch = true,
        .deadline = end.on_time ? end.at : 0,
        .stop_at = end.on_time ? 0 : end.at,
    };
    int rc = amlp_nn_train(net, &o, &d, NULL, res, err);
    amlp_free(y);
    return rc;
}

void amlp_vision_default(const amlp_vision *v, amlp_config *cfg)
{
    amlp_point p;
    amlp_point_default(&v->space, 0, &p);
    amlp_point_to_config(&v->space, &p, 1, cfg);
}

static double config_macs(const amlp_vision *v, const amlp_config *cfg, amlp_cnn_recipe *r)
{
    amlp_cnn_recipe_from(&cfg->params, v->h, v->w, r);
    return amlp_nn_arch_macs(&r->arch, v->ch, v->h, v->w, v->k);
}

/* Measures the training speed on the default architecture: one
 * mini-batch to warm up (first-use costs: allocations, oneDNN's kernels),
 * then two timed ones. */
static int calibrate(amlp_vision *v, aml_error *err)
{
    amlp_config cfg;
    amlp_cnn_recipe r;
    amlp_vision_default(v, &cfg);
    double macs = config_macs(v, &cfg, &r);
    amlp_nn_net *net = NULL;
    int rc = amlp_nn_arch_build(&r.arch, v->ch, v->h, v->w, v->k, v->c.o.seed, &net, err);
    size_t warm = v->n_fit < BATCH ? v->n_fit : BATCH;
    size_t n = v->n_fit < 2 * BATCH ? v->n_fit : 2 * BATCH;
    amlp_nn_train_result res;
    rc = rc ? rc : train_net(v, net, &r, v->fit, warm, 1, v->c.o.seed, (train_end){0}, &res, err);
    if (rc == AML_ERANGE)
        rc = 0;
    double t1 = aml_now();
    rc = rc ? rc : train_net(v, net, &r, v->fit, n, 1, v->c.o.seed, (train_end){0}, &res, err);
    double sec = aml_now() - t1;
    amlp_nn_net_free(net);
    if (rc == AML_ECANCELED || rc == AML_ERANGE)
        rc = 0;
    v->rate = sec > 0 ? (double)n * macs / sec : 1e9;
    return rc;
}

/* Sizes the trials from the speed measured on the default architecture:
 * as many as TRIALS_PLANNED (or the trial limit) of at least MIN_STEPS
 * mini-batches each fit in the search's share of the budget; a subset of
 * the training images trained for about three epochs.  A budget too short
 * for two such trials runs the default architecture alone. */
static void plan_trials(amlp_vision *v)
{
    amlp_config cfg;
    amlp_cnn_recipe r;
    amlp_vision_default(v, &cfg);
    double macs = config_macs(v, &cfg, &r);
    /* on large data the final training needs the time more than the search:
     * the search gives way until FINAL_EPOCHS of the default network fit */
    double final_s = FINAL_EPOCHS * (double)v->n_all * macs / fmax(v->rate, 1);
    double share = fmin(SEARCH_SHARE, fmax(SEARCH_SHARE_MIN, 1 - final_s / v->c.o.budget_seconds));
    if (v->c.o.max_trials)
        share = SEARCH_SHARE_MAX_TRIALS;
    double now = aml_now(), end = v->c.t0 + share * v->c.o.budget_seconds;
    v->search_end = end;
    double images = fmax(end - now, 0.2) * v->rate / macs;   /* trained in the search */
    double least = fmin(MIN_STEPS * BATCH, 10.0 * (double)v->n_fit);
    size_t planned = v->c.o.max_trials ? v->c.o.max_trials : (size_t)(images / least);
    planned = planned < 1 ? 1 : planned > TRIALS_PLANNED ? TRIALS_PLANNED : planned;
    if (planned == 1 && !v->c.o.max_trials)
        amlp_ctx_note(&v->c, "this budget trains one network, the default architecture; a "
                      "longer budget lets the search compare architectures");
    v->single = planned == 1 && !v->c.o.max_trials;
    double per_trial = images / (double)planned;
    v->trial_cap = fmax(1, TRIAL_CAP * (end - now) / (double)planned);
    size_t floor_n = v->n_fit < 2 * BATCH ? v->n_fit : 2 * BATCH;
    double subset = per_trial / 3;
    v->subset = subset < (double)floor_n ? floor_n
                : subset > (double)v->n_fit ? v->n_fit
                                            : (size_t)subset;
    double epochs = round(per_trial / (double)v->subset);
    v->trial_epochs = epochs < 1 ? 1 : epochs > 30 ? 30 : (size_t)epochs;
    v->val_trial = v->n_val < VAL_TRIAL_MAX ? v->n_val : VAL_TRIAL_MAX;
    amlp_ctx_note(&v->c,
                  "trials train on %zu of %zu training images for up to %zu epoch%s and are "
                  "scored on %zu validation images",
                  v->subset, v->n_fit, v->trial_epochs, v->trial_epochs == 1 ? "" : "s",
                  v->val_trial);
}

static double trial_loss(const amlp_vision *v, const amlp_trial *t)
{
    if (t->info.status != AML_TRIAL_OK)
        return INFINITY;
    return aml_metric_higher_is_better(v->c.metric) ? -t->info.score : t->info.score;
}

void amlp_vision_record(amlp_vision *v, amlp_trial *slot, amlp_trial *t, amlp_nn_net **net,
                         double macs)
{
    aml_run *r = v->c.run;
    pthread_mutex_lock(&v->c.mu);
    *slot = *t;
    r->n_trials++;
    if (slot->info.status == AML_TRIAL_OK &&
        (v->best == SIZE_MAX || amlp_better(&v->c, slot->info.score, r->trials[v->best].info.score))) {
        v->best = r->n_trials - 1;
        amlp_nn_net_free(v->best_net);
        v->best_net = *net;
        v->best_macs = macs;
        *net = NULL;
        amlp_run_add_curve(r, slot->info.finished_at, slot->info.score);
    }
    pthread_mutex_unlock(&v->c.mu);
}

/* Trains and scores one configuration.  True when the search must stop. */
static bool run_trial(amlp_vision *v, const amlp_config *cfg)
{
    aml_run *r = v->c.run;
    amlp_trial *slot, t;
    if ((v->c.rc = amlp_trial_slot(&v->c, &slot)) != 0)
        return true;
    memset(&t, 0, sizeof t);
    t.cfg = *cfg;
    t.hash = amlp_config_hash(cfg);
    t.info.id = r->n_trials + 1;
    t.info.kind = cfg->kind;
    t.info.fidelity = cfg->fidelity;
    amlp_cnn_recipe rec;
    double macs = config_macs(v, cfg, &rec);
    char text[512];
    amlp_cnn_recipe_text(&rec, text, sizeof text);
    t.params_s = amlp_strdup(text);
    t.info.params = t.params_s ? t.params_s : "";
    t.info.size = (double)amlp_nn_arch_params(&rec.arch, v->ch, v->h, v->w, v->k);
    double e = round(cfg->fidelity * (double)v->trial_epochs);
    size_t epochs = e < 1 ? 1 : (size_t)e;
    double grace = fmax(1, 0.1 * v->c.o.budget_seconds);
    double stop = fmin(v->search_end + grace, aml_now() + v->trial_cap);
    /* training stops itself at `stop`, scored on what it learned; the
     * watcher's cancel a little later only catches a mini-batch that hangs */
    double batch_s = BATCH * macs / fmax(v->rate, 1);
    say(v, "trial %zu: %s, %zu epoch%s on %zu images", stop + fmax(0.5, 3 * batch_s),
        t.info.id, t.info.params, epochs, epochs == 1 ? "" : "s", v->subset);
    aml_error err = {0};
    amlp_nn_net *net = NULL;
    uint64_t seed = v->c.o.seed + t.info.id;
    double t1 = aml_now();
    /* an architecture that would need more than the trial's time for its
     * epochs is not trained: it would only show that it is too slow for
     * this budget (the strategy learns that as a failure).  The first trial
     * always trains: the calibration is a rough guess, and its measured
     * speed corrects the guess for the others */
    double need = (double)(v->subset * epochs) * macs / fmax(v->rate, 1);
    int rc = need > v->trial_cap && t.info.id > 1
                 ? aml_error_set(&err, AML_ERANGE, 0, 0, "", "too slow for this budget: its %zu "
                                 "epochs would take about %.1f s of the trial's %.1f s",
                                 epochs, need, v->trial_cap)
                 : amlp_nn_arch_build(&rec.arch, v->ch, v->h, v->w, v->k, seed, &net, &err);
    amlp_nn_train_result res = {0};
    rc = rc ? rc : train_net(v, net, &rec, v->fit, v->subset, epochs, seed,
                             (train_end){.at = stop}, &res, &err);
    /* a trial whose time ran out is scored on what it learned */
    bool cut = rc == 0 && aml_now() >= stop;
    if (cut)
        say(v, "trial %zu: scoring after %zu of %zu epochs (its time is up)",
            fmax(v->search_end, aml_now()) + grace, t.info.id, res.epochs_run, epochs);
    /* the watcher canceled a mini-batch that ran far past the trial's time:
     * scored on its finished epochs (past the search's time too while no
     * trial has a score) */
    bool timed_out = rc == AML_ECANCELED && !v->c.interrupted &&
                     (aml_now() < v->search_end || v->best == SIZE_MAX);
    if (timed_out && res.epochs_run > 0) {
        rc = 0;
        cut = true;
    } else if (timed_out) {
        rc = aml_error_set(&err, AML_ERANGE, 0, 0, "", "too slow for this budget: no epoch "
                           "ended within the trial's %.1f s", v->trial_cap);
    }
    double trained = aml_now() - t1, ips = 0;
    if (rc == 0 && !cut && trained > 0) {   /* a cut epoch would overstate the speed */
        ips = (double)(v->subset * res.epochs_run) / trained;
        v->rate = 0.5 * v->rate + 0.5 * ips * macs;
    }
    if (rc == 0)
        rc = amlp_vision_score(v, net, v->val, v->val_trial, &t.info.score, NULL);
    t.info.fit_seconds = aml_now() - t1;
    t.info.n_iterations = res.epochs_run;
    t.info.status = rc == 0 ? AML_TRIAL_OK : rc == AML_ECANCELED ? AML_TRIAL_CANCELED
                                                                 : AML_TRIAL_FAILED;
    if (rc) {
        t.info.score = NAN;
        t.error_s = amlp_strdup(rc == AML_ECANCELED ? "stopped" : err.text);
    }
    t.info.error = t.error_s ? t.error_s : "";
    t.info.finished_at = aml_now() - v->c.t0;
    amlp_vision_record(v, slot, &t, &net, macs);
    if (v->best == r->n_trials - 1)
        v->best_ips = ips;
    amlp_nn_net_free(net);
    amlp_trial_journal(&v->c, slot, 0);
    if (v->ops->tell_size)   /* NSGA-II: error against the network's size */
        v->ops->tell_size(v->st, cfg, trial_loss(v, slot), t.info.size, t.info.fit_seconds);
    else
        v->ops->tell(v->st, cfg, trial_loss(v, slot), t.info.fit_seconds);
    if (rc == AML_ENOMEM) {
        v->c.rc = aml_error_set(&v->c.err, rc, 0, 0, "", "%s", err.text);
        return true;
    }
    return rc == AML_ECANCELED;
}

#define WARM_START_SEEDS 3

/* The best architectures of the run journaled in o.warm_start, as
 * configurations of this space (at most WARM_START_SEEDS, best first). */
static size_t warm_start_seeds(amlp_vision *v, amlp_config *cfg)
{
    if (!v->c.o.warm_start)
        return 0;
    aml_error err = {0};
    if (amlp_journal_read(v->c.o.warm_start, &v->c.jt, &v->c.n_jt, &err) != 0) {
        amlp_ctx_note(&v->c, "warm_start: %s; the search starts cold", err.text);
        return 0;
    }
    /* the best first, by insertion; fidelity carries the score while sorting */
    bool higher = aml_metric_higher_is_better(v->c.metric);
    size_t n = 0;
    for (size_t i = 0; i < v->c.n_jt; i++) {
        const amlp_journal_trial *t = &v->c.jt[i];
        if (t->status != AML_TRIAL_OK || strcmp(t->kind, "cnn") != 0 || !isfinite(t->score))
            continue;
        double score = higher ? t->score : -t->score;
        if (n == WARM_START_SEEDS && score <= cfg[n - 1].fidelity)
            continue;
        size_t j = n < WARM_START_SEEDS ? n++ : n - 1;
        while (j > 0 && score > cfg[j - 1].fidelity) {
            cfg[j] = cfg[j - 1];
            j--;
        }
        cfg[j] = (amlp_config){.kind = "cnn", .params = t->params, .fidelity = score};
    }
    for (size_t i = 0; i < n; i++) {
        amlp_point p;
        amlp_point_from_config(&v->space, &cfg[i], &p);
        amlp_point_to_config(&v->space, &p, 1, &cfg[i]);
    }
    amlp_ctx_note(&v->c, "warm start: the search begins with the %zu best architectures of %s",
                  n, v->c.o.warm_start);
    return n;
}

/* Asks and runs trials until the search time, the trial limit, the
 * strategy or an interrupt ends them.  The default configuration goes
 * first: a sound architecture whatever the strategy. */
static void trial_loop(amlp_vision *v)
{
    aml_run *r = v->c.run;
    amlp_config cfg;
    amlp_config seeds[WARM_START_SEEDS + 1];
    amlp_vision_default(v, &seeds[0]);
    size_t n_seeds = 1 + warm_start_seeds(v, seeds + 1), next = 0;
    for (;;) {
        if (v->c.interrupted) {
            r->stop = AML_STOP_INTERRUPTED;
            return;
        }
        if (v->c.o.max_trials && r->n_trials >= v->c.o.max_trials) {
            r->stop = AML_STOP_MAX_TRIALS;
            return;
        }
        if ((v->single || aml_now() >= v->search_end) && r->n_trials > 0) {
            r->stop = AML_STOP_BUDGET;
            return;
        }
        if (next < n_seeds)
            cfg = seeds[next++];
        else if (v->ops->ask(v->st, &cfg) != 0) {
            r->stop = AML_STOP_CONVERGED;
            return;
        }
        if (run_trial(v, &cfg)) {
            r->stop = v->c.interrupted ? AML_STOP_INTERRUPTED : AML_STOP_BUDGET;
            return;
        }
    }
}

/* Seconds the test predictions and the model will take after training. */
static double finish_reserve(const amlp_vision *v)
{
    double infer = (double)v->c.run->n_test * v->best_macs / fmax(3 * v->rate, 1);
    return 0.3 + 1.5 * infer;
}

/* Trains the best configuration afresh on every non-test image until the
 * budget ends (the schedule runs on time, so it has annealed by then);
 * keeps the trial's network when not even one epoch fits or the training
 * fails. */
static void final_training(amlp_vision *v)
{
    aml_run *r = v->c.run;
    amlp_cnn_recipe rec;
    config_macs(v, &r->trials[v->best].cfg, &rec);
    double end = v->c.t0 + v->c.o.budget_seconds - finish_reserve(v);
    double ips = v->best_ips > 0 ? v->best_ips : v->rate / fmax(v->best_macs, 1);
    double epochs = (end - aml_now()) * ips / (double)v->n_all;
    if (epochs < 1) {
        amlp_ctx_note(&v->c, "no time was left to retrain the best network on all %zu "
                      "images: it keeps the weights of its trial", v->n_all);
        return;
    }
    say(v, "training the chosen network on %zu images until the budget ends (about %.0f "
        "epochs)", end + 1, v->n_all, epochs);
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    amlp_nn_train_result res = {0};
    uint64_t seed = v->c.o.seed ^ 0xF1A1ull;
    int rc = amlp_nn_arch_build(&rec.arch, v->ch, v->h, v->w, v->k, seed, &net, &err);
    rc = rc ? rc : train_net(v, net, &rec, v->all, v->n_all, MAX_FINAL_EPOCHS, seed,
                             (train_end){.at = end, .on_time = true}, &res, &err);
    if ((rc == 0 || rc == AML_ECANCELED) && res.epochs_run > 0) {
        amlp_nn_net_free(v->best_net);
        v->best_net = net;
        amlp_ctx_note(&v->c, "the chosen network trained on %zu images for %zu epochs%s",
                      v->n_all, res.epochs_run, rc ? " (interrupted)" : "");
        return;
    }
    amlp_nn_net_free(net);
    amlp_ctx_note(&v->c, "retraining on all images stopped (%s): the model keeps the weights "
                  "of its trial", rc == AML_ECANCELED ? "interrupted" : err.text);
}

static int build_model(amlp_vision *v, aml_error *err)
{
    aml_run *r = v->c.run;
    const amlp_trial *best = &r->trials[v->best];
    aml_model *m = amlp_model_new(v->c.task, v->k, v->c.metric, "label");
    const char **names = amlp_malloc(v->k * sizeof *names);
    if (!m || !names) {
        aml_model_free(m);
        amlp_free(names);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    for (size_t c = 0; c < v->k; c++)
        names[c] = aml_images_class_name(v->im, c);
    int rc = amlp_model_set_class_names(m, names, v->k);
    amlp_free(names);
    int c = (int)v->ch, h = (int)v->h, w = (int)v->w;
    rc = rc ? rc : amlp_model_set_image_net(m, v->best_net, c, h, w, v->mean, v->std,
                                            best->info.params);
    v->best_net = NULL;
    r->pipeline = amlp_strdup(best->info.params);
    if (rc || !r->pipeline) {
        aml_model_free(m);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    r->best = m;
    r->valid_score = best->info.score;
    return 0;
}

static void test_score(amlp_vision *v)
{
    aml_run *r = v->c.run;
    if (!r->n_test || !r->best)
        return;
    say(v, "scoring on %zu test images", v->c.t0 + 2 * v->c.o.budget_seconds, r->n_test);
    size_t width = v->k == 2 ? 1 : v->k;
    float *pred = amlp_malloc(r->n_test * width * sizeof *pred);
    double s = NAN;
    if (pred && aml_model_predict_images(r->best, v->im, r->test_rows, r->n_test, pred, NULL) == 0) {
        float *y = labels_of(v, r->test_rows, r->n_test);
        if (y && aml_metric_score(v->c.metric, v->c.task, v->k, y, pred, NULL, r->n_test, &s,
                                  NULL) == 0)
            r->test_score = s;
        amlp_free(y);
    }
    amlp_free(pred);
}

void amlp_vision_search(amlp_vision *v)
{
    aml_error *err = &v->c.err;
    int rc = amlp_dl_blas(err);
    int threads = v->c.o.threads > 0 ? v->c.o.threads : amlp_threads(NULL);
    if (rc == 0)
        openblas_set_num_threads(threads);
    amlp_nn_set_threads(threads);   /* the image layers' own split (and oneDNN's) */
    say(v, "measuring this machine's speed", v->c.t0 + v->c.o.budget_seconds);
    rc = rc ? rc : calibrate(v, err);
    if (rc) {
        v->c.rc = rc;
        return;
    }
    plan_trials(v);
    if (v->ops)
        trial_loop(v);
    else
        amlp_vision_enas(v);
    if (v->c.rc)
        return;
    if (v->c.interrupted)
        v->c.run->stop = AML_STOP_INTERRUPTED;
    if (v->best == SIZE_MAX) {
        v->c.rc = v->c.interrupted
                      ? aml_error_set(err, AML_ECANCELED, 0, 0, "", "interrupted before any "
                                      "trial finished")
                      : aml_error_set(err, AML_EINVAL, 0, 0, "", "no architecture could be "
                                      "trained: %s", v->c.run->n_trials
                                                         ? v->c.run->trials[0].info.error
                                                         : "no trial ran");
        return;
    }
    if (!v->c.interrupted)
        final_training(v);
    if ((v->c.rc = amlp_run_rank(&v->c)) != 0)
        return;
    if ((v->c.rc = build_model(v, err)) != 0)
        return;
    test_score(v);
    amlp_model_attach_run_info(v->c.run, &v->c.o, aml_images_count(v->im),
                               aml_now() - v->c.t0);
}
