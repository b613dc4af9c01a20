/*
 * vision_enas.c — ENAS (Pham et al., "Efficient Neural Architecture Search
 * via Parameter Sharing", ICML 2018) on our macro space: every stage of the
 * default network picks one of six operations (plain, residual or
 * separable blocks, 3x3 or 5x5).  One network per operation holds the
 * shared weights of that operation at every stage (the stem and the head
 * are shared by all, from the first); a child is a view that borrows the
 * chosen stages' layers, so training a child trains the shared weights.
 *
 * The search alternates: the controller (the `rl` strategy's recurrent
 * policy over the stage decisions) samples a child, the child trains one
 * mini-batch with SGD and Nesterov momentum (one velocity per shared
 * tensor), and its accuracy on a validation mini-batch is the controller's
 * reward.  A few times during the search, the child with the best mean
 * reward is scored on the trial validation images and recorded as a trial;
 * the best recorded architecture is then trained from scratch by the final
 * phase (vision_run.c), as in the paper.
 */
#include "search/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ENAS_OPS 6
#define ENAS_BLOCKS 2
#define ENAS_RECORDS 8
#define ENAS_LR 0.05
#define ENAS_MOMENTUM 0.9
#define ENAS_DECAY 5e-4
#define MAX_CHILDREN 4096    /* 6^4 + room: every child's reward statistics */
#define LAYOUT (AMLP_NN_ARCH_MAX_STAGES + 3)

static const struct {
    amlp_nn_block block;
    size_t kernel;
} enas_ops[ENAS_OPS] = {
    {AMLP_NN_BLOCK_PLAIN, 3},     {AMLP_NN_BLOCK_PLAIN, 5},     {AMLP_NN_BLOCK_RESIDUAL, 3},
    {AMLP_NN_BLOCK_RESIDUAL, 5},  {AMLP_NN_BLOCK_SEPARABLE, 3}, {AMLP_NN_BLOCK_SEPARABLE, 5},
};

static const aml_param_spec enas_specs[AMLP_NN_ARCH_MAX_STAGES] = {
#define OP_SPEC(k)                                                                          \
    {"s" #k "_op", AML_PARAM_CHOICE, 0, 0, false,                                          \
     "plain3|plain5|residual3|residual5|separable3|separable5", 2, 2, NULL,                \
     "operation of stage " #k}
    OP_SPEC(1), OP_SPEC(2), OP_SPEC(3), OP_SPEC(4),
#undef OP_SPEC
};

typedef struct velocity {
    const float *w;
    float *v;
} velocity;

typedef struct enas {
    amlp_vision *v;
    amlp_nn_arch base;
    amlp_nn_net *op_net[ENAS_OPS];
    size_t layout[ENAS_OPS][LAYOUT];
    amlp_nn_net *child;                 /* a view: its layers are borrowed */
    velocity *vel;
    size_t n_vel, cap_vel;
    /* the controller */
    const char *kinds[1];
    const aml_param_spec *specs[1];
    size_t n_specs[1];
    amlp_space space;
    const amlp_strategy_ops *ops;
    void *st;
    double reward_sum[MAX_CHILDREN];
    unsigned reward_n[MAX_CHILDREN];
    /* batches */
    float *x, *y, *dout;
    size_t *order, pos;
    amlp_nn_images train_src, val_src;
    amlp_rng rng;
} enas;

static size_t child_code(const enas *e, const size_t *op)
{
    size_t code = 0;
    for (size_t s = 0; s < e->base.n_stages; s++)
        code = code * ENAS_OPS + op[s];
    return code;
}

static void ops_of(const enas *e, const amlp_config *cfg, size_t *op)
{
    for (size_t s = 0; s < e->base.n_stages; s++)
        op[s] = (size_t)aml_params_get(&cfg->params, enas_specs[s].name, 2) % ENAS_OPS;
}

/* Points the child view at the stem and head of op_net[0] and, per stage,
 * the layers of the chosen operation's network. */
static int compose(enas *e, const size_t *op)
{
    amlp_nn_net *c = e->child;
    size_t n = 0, stages = e->base.n_stages;
    const size_t *l0 = e->layout[0];
    for (size_t i = l0[0]; i < l0[1]; i++)
        c->layers[n++] = e->op_net[0]->layers[i];
    for (size_t s = 0; s < stages; s++) {
        const size_t *lo = e->layout[op[s]];
        for (size_t i = lo[1 + s]; i < lo[2 + s]; i++)
            c->layers[n++] = e->op_net[op[s]]->layers[i];
    }
    for (size_t i = l0[1 + stages]; i < l0[2 + stages]; i++)
        c->layers[n++] = e->op_net[0]->layers[i];
    c->n_layers = n;
    c->batch_cap = 0;   /* the activations are regrown for these layers */
    return 0;
}

static float *velocity_of(enas *e, const amlp_nn_param *p)
{
    for (size_t i = 0; i < e->n_vel; i++)
        if (e->vel[i].w == p->w)
            return e->vel[i].v;
    if (e->n_vel == e->cap_vel) {
        size_t cap = e->cap_vel ? 2 * e->cap_vel : 64;
        velocity *nv = amlp_realloc(e->vel, cap * sizeof *nv);
        if (!nv)
            return NULL;
        e->vel = nv;
        e->cap_vel = cap;
    }
    float *v = amlp_calloc(p->n, sizeof *v);
    if (v)
        e->vel[e->n_vel++] = (velocity){p->w, v};
    return v;
}

/* SGD with Nesterov momentum on the child's (shared) tensors. */
static int sgd_step(enas *e, double lr)
{
    size_t n = amlp_nn_net_n_params(e->child);
    for (size_t i = 0; i < n; i++) {
        amlp_nn_param *p = amlp_nn_net_param(e->child, i);
        float *vel = velocity_of(e, p);
        if (!vel)
            return AML_ENOMEM;
        for (size_t j = 0; j < p->n; j++) {
            float g = p->g[j] + (p->decay ? (float)ENAS_DECAY * p->w[j] : 0);
            vel[j] = (float)ENAS_MOMENTUM * vel[j] + g;
            p->w[j] -= (float)lr * (g + (float)ENAS_MOMENTUM * vel[j]);
        }
    }
    return 0;
}

/* The default network's stem, width, downsampling and dropout, with
 * ENAS_BLOCKS blocks of operation `op` in every stage. */
static amlp_nn_arch arch_of(const enas *e, const size_t *op)
{
    amlp_nn_arch a = e->base;
    for (size_t s = 0; s < a.n_stages; s++) {
        a.stage[s].block = enas_ops[op[s]].block;
        a.stage[s].kernel = enas_ops[op[s]].kernel;
        a.stage[s].blocks = ENAS_BLOCKS;
    }
    return a;
}

/* The same architecture as a configuration of the image space (for the
 * run record and the final training). */
static void cnn_config_of(const enas *e, const size_t *op, amlp_config *cfg)
{
    const amlp_space *sp = &e->v->space;
    amlp_point p;
    amlp_point_default(sp, 0, &p);
    char name[32];
    for (size_t j = 0; j < amlp_space_dims(sp, 0); j++) {
        const char *dim = sp->specs[0][j].name;
        for (size_t s = 0; s < e->base.n_stages; s++) {
            snprintf(name, sizeof name, "s%zu_blocks", s + 1);
            if (strcmp(dim, name) == 0)
                p.v[j] = ENAS_BLOCKS;
            snprintf(name, sizeof name, "s%zu_block", s + 1);
            if (strcmp(dim, name) == 0)
                p.v[j] = (double)enas_ops[op[s]].block;
            snprintf(name, sizeof name, "s%zu_kernel", s + 1);
            if (strcmp(dim, name) == 0)
                p.v[j] = enas_ops[op[s]].kernel == 5;
        }
    }
    amlp_point_to_config(sp, &p, 1, cfg);
}

static int build_supernet(enas *e, aml_error *err)
{
    amlp_vision *v = e->v;
    amlp_config cfg;
    amlp_vision_default(v, &cfg);
    amlp_cnn_recipe r;
    amlp_cnn_recipe_from(&cfg.params, v->h, v->w, &r);
    e->base = r.arch;
    size_t most = 0;
    for (size_t o = 0; o < ENAS_OPS; o++) {
        size_t op[AMLP_NN_ARCH_MAX_STAGES] = {o, o, o, o};
        amlp_nn_arch a = arch_of(e, op);
        int rc = amlp_nn_arch_build_parts(&a, v->ch, v->h, v->w, v->k, v->c.o.seed + o,
                                          &e->op_net[o], e->layout[o], err);
        if (rc)
            return rc;
        most = e->op_net[o]->n_layers > most ? e->op_net[o]->n_layers : most;
    }
    /* the view: room for the longest child, layers borrowed */
    int rc = amlp_nn_net_new(v->ch * v->h * v->w, &e->child);
    e->child->layers = rc ? NULL : amlp_calloc(most, sizeof *e->child->layers);
    e->child->act = e->child->layers ? amlp_calloc(most + 1, sizeof *e->child->act) : NULL;
    if (rc || !e->child->act)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "enas", "out of memory");
    e->child->cap_layers = most;
    e->child->cancel = &v->c.fit_cancel;
    return 0;
}

static int start_controller(enas *e, aml_error *err)
{
    e->kinds[0] = "enas";
    e->specs[0] = enas_specs;
    e->n_specs[0] = e->base.n_stages;
    e->space = (amlp_space){1, e->kinds, e->specs, e->n_specs};
    e->ops = amlp_strategy_find("rl");
    return e->ops->create(&e->space, e->v->c.o.seed, &e->st, err);
}

static int alloc_batches(enas *e, aml_error *err)
{
    amlp_vision *v = e->v;
    size_t in = v->ch * v->h * v->w, bs = 128;
    e->x = amlp_malloc(bs * in * sizeof *e->x);
    e->y = amlp_malloc(bs * sizeof *e->y);
    e->dout = amlp_malloc(bs * v->k * sizeof *e->dout);
    e->order = amlp_malloc(v->subset * sizeof *e->order);
    if (!e->x || !e->y || !e->dout || !e->order)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "enas", "out of memory");
    for (size_t i = 0; i < v->subset; i++)
        e->order[i] = v->fit[i];
    amlp_rng_seed(&e->rng, v->c.o.seed ^ 0xE4A5ull);
    memset(&e->train_src, 0, sizeof e->train_src);
    e->train_src.pixels = aml_images_pixels(v->im);
    e->train_src.c = v->ch, e->train_src.h = v->h, e->train_src.w = v->w;
    memcpy(e->train_src.mean, v->mean, sizeof v->mean);
    memcpy(e->train_src.std, v->std, sizeof v->std);
    e->val_src = e->train_src;
    e->train_src.augment = true;
    e->train_src.aug.crop_pad = v->h >= 16 ? v->h / 8 : 1;
    e->train_src.aug.flip = v->flip_ok;
    amlp_rng_seed(&e->train_src.rng, v->c.o.seed ^ 0xA06ull);
    return 0;
}

static void enas_free(enas *e)
{
    if (e->child) {
        e->child->n_layers = 0;   /* borrowed: the op networks free them */
        for (size_t i = 0; i < e->child->cap_layers; i++)
            amlp_free(e->child->act[i + 1]);
        amlp_free(e->child->act);
        e->child->act = NULL;
        amlp_nn_net_free(e->child);
    }
    for (size_t o = 0; o < ENAS_OPS; o++)
        amlp_nn_net_free(e->op_net[o]);
    for (size_t i = 0; i < e->n_vel; i++)
        amlp_free(e->vel[i].v);
    amlp_free(e->vel);
    if (e->st)
        e->ops->destroy(e->st);
    amlp_free(e->x);
    amlp_free(e->y);
    amlp_free(e->dout);
    amlp_free(e->order);
}

/* One mini-batch of the child: forward, loss, backward, shared update. */
static int train_step(enas *e, double lr)
{
    amlp_vision *v = e->v;
    size_t bs = v->subset < 128 ? v->subset : 128;
    if (e->pos + bs > v->subset) {
        amlp_rng_shuffle(&e->rng, e->order, v->subset);
        e->pos = 0;
    }
    const size_t *rows = e->order + e->pos;
    e->pos += bs;
    e->train_src.index = NULL;
    amlp_nn_images_rows(&e->train_src, rows, bs, e->x);
    for (size_t i = 0; i < bs; i++)
        e->y[i] = v->label[rows[i]];
    const float *out;
    int rc = amlp_nn_net_forward(e->child, e->x, bs, true, &out);
    if (rc)
        return rc;
    amlp_nn_loss_eval_smoothed(AMLP_NN_LOSS_SOFTMAX_XENT, 0.1, out, bs, v->k, e->y, NULL, NULL,
                               e->dout);
    amlp_nn_net_zero_grad(e->child);
    rc = amlp_nn_net_backward(e->child, e->dout, bs);
    return rc ? rc : sgd_step(e, lr);
}

/* Accuracy of the child on n validation images (from `first` on, wrapping). */
static double val_accuracy(enas *e, size_t first, size_t n)
{
    amlp_vision *v = e->v;
    size_t right = 0, done = 0;
    while (done < n) {
        size_t m = n - done < 128 ? n - done : 128, rows[128];
        for (size_t i = 0; i < m; i++)
            rows[i] = v->val[(first + done + i) % v->val_trial];
        amlp_nn_images_rows(&e->val_src, rows, m, e->x);
        const float *out;
        if (amlp_nn_net_forward(e->child, e->x, m, false, &out))
            return NAN;
        for (size_t i = 0; i < m; i++) {
            size_t best = 0;
            for (size_t c = 1; c < v->k; c++)
                best = out[i * v->k + c] > out[i * v->k + best] ? c : best;
            right += best == (size_t)v->label[rows[i]];
        }
        done += m;
    }
    return (double)right / (double)n;
}

/* A standalone copy of the child (its own weights), through the bytes. */
static amlp_nn_net *clone_child(const enas *e)
{
    amlp_bytes b = {0};
    amlp_nn_net *copy = NULL;
    if (amlp_nn_net_save(e->child, &b) == 0) {
        amlp_reader r = {b.data, b.len, 0};
        if (amlp_nn_net_load(&r, &copy) != 0)
            copy = NULL;
    }
    amlp_free(b.data);
    return copy;
}

/* The child with the best mean reward (sampled twice or more, if any). */
static bool best_child(const enas *e, size_t *op)
{
    size_t n = 1, best = SIZE_MAX;
    for (size_t s = 0; s < e->base.n_stages; s++)
        n *= ENAS_OPS;
    double best_mean = -INFINITY;
    for (unsigned need = 2; best == SIZE_MAX && need >= 1; need--)
        for (size_t c = 0; c < n && c < MAX_CHILDREN; c++)
            if (e->reward_n[c] >= need && e->reward_sum[c] / e->reward_n[c] > best_mean) {
                best_mean = e->reward_sum[c] / e->reward_n[c];
                best = c;
            }
    if (best == SIZE_MAX)
        return false;
    for (size_t s = e->base.n_stages; s-- > 0;) {
        op[s] = best % ENAS_OPS;
        best /= ENAS_OPS;
    }
    return true;
}

/* Scores the best child so far on the trial validation images with the
 * shared weights and records it as a trial of the image space. */
static void record(enas *e, double started)
{
    amlp_vision *v = e->v;
    size_t op[AMLP_NN_ARCH_MAX_STAGES];
    if (!best_child(e, op) || compose(e, op))
        return;
    amlp_config cfg;
    cnn_config_of(e, op, &cfg);
    amlp_trial *slot, t;
    if ((v->c.rc = amlp_trial_slot(&v->c, &slot)) != 0)
        return;
    memset(&t, 0, sizeof t);
    t.cfg = cfg;
    t.hash = amlp_config_hash(&cfg);
    t.info.id = v->c.run->n_trials + 1;
    t.info.kind = cfg.kind;
    t.info.fidelity = cfg.fidelity;
    amlp_cnn_recipe rec;
    amlp_cnn_recipe_from(&cfg.params, v->h, v->w, &rec);
    char text[512];
    amlp_cnn_recipe_text(&rec, text, sizeof text);
    t.params_s = amlp_strdup(text);
    t.info.params = t.params_s ? t.params_s : "";
    amlp_nn_arch a = arch_of(e, op);
    t.info.size = (double)amlp_nn_arch_params(&a, v->ch, v->h, v->w, v->k);
    t.info.score = val_accuracy(e, 0, v->val_trial);
    t.info.status = isfinite(t.info.score) ? AML_TRIAL_OK : AML_TRIAL_CANCELED;
    t.info.error = t.info.status == AML_TRIAL_OK ? "" : "stopped";
    t.info.fit_seconds = aml_now() - started;
    t.info.finished_at = aml_now() - v->c.t0;
    amlp_nn_net *net = t.info.status == AML_TRIAL_OK ? clone_child(e) : NULL;
    amlp_vision_record(v, slot, &t, &net, amlp_nn_arch_macs(&a, v->ch, v->h, v->w, v->k));
    amlp_nn_net_free(net);
    amlp_trial_journal(&v->c, slot, 0);
}

/* Shared-weight training and controller updates, alternating one child
 * per mini-batch, until the search time ends. */
static int enas_loop(enas *e)
{
    amlp_vision *v = e->v;
    double t0 = aml_now(), span = fmax(v->search_end - t0, 1e-3);
    double next_record = t0 + span / ENAS_RECORDS, started = t0;
    size_t val_pos = 0, steps = 0;
    while (!v->c.interrupted && aml_now() < v->search_end) {
        if (v->c.o.max_trials && v->c.run->n_trials >= v->c.o.max_trials)
            break;
        amlp_config cfg;
        size_t op[AMLP_NN_ARCH_MAX_STAGES];
        if (e->ops->ask(e->st, &cfg) != 0) {
            for (size_t s = 0; s < e->base.n_stages; s++)
                op[s] = amlp_rng_below(&e->rng, ENAS_OPS);
        } else {
            ops_of(e, &cfg, op);
        }
        double frac = (aml_now() - t0) / span;
        double lr = ENAS_LR * 0.5 * (1 + cos(M_PI * fmin(frac, 1)));
        int rc = compose(e, op);
        rc = rc ? rc : train_step(e, lr);
        if (rc == AML_ECANCELED)
            break;
        if (rc)
            return rc;
        double reward = val_accuracy(e, val_pos, 128 < v->val_trial ? 128 : v->val_trial);
        val_pos += 128;
        size_t code = child_code(e, op);
        if (isfinite(reward) && code < MAX_CHILDREN) {
            e->reward_sum[code] += reward;
            e->reward_n[code]++;
        }
        e->ops->tell(e->st, &cfg, isfinite(reward) ? -reward : INFINITY, 0);
        if (++steps % 8 == 0 && aml_now() >= next_record) {
            record(e, started);
            if (v->c.rc)
                return v->c.rc;   /* no slot for the record: out of memory */
            started = aml_now();
            next_record += span / ENAS_RECORDS;
        }
    }
    if (!v->c.interrupted && v->best == SIZE_MAX) {
        /* the last step may end past the phase's deadline: the only record
         * must still be scored, not canceled */
        amlp_set_phase(&v->c, "ENAS: scoring the best child", aml_now() + fmax(1, 0.1 * span));
        record(e, started);
    }
    return v->c.rc;
}

void amlp_vision_enas(amlp_vision *v)
{
    enas *e = amlp_calloc(1, sizeof *e);
    if (!e) {
        v->c.rc = aml_error_set(&v->c.err, AML_ENOMEM, 0, 0, "enas", "out of memory");
        return;
    }
    e->v = v;
    aml_error *err = &v->c.err;
    int rc = build_supernet(e, err);
    rc = rc ? rc : start_controller(e, err);
    rc = rc ? rc : alloc_batches(e, err);
    if (rc == 0) {
        amlp_ctx_note(&v->c, "ENAS: %zu stages choose among 6 operations; the children share "
                      "the weights of %d networks", e->base.n_stages, ENAS_OPS);
        amlp_set_phase(&v->c, "ENAS: training the shared weights, one child per mini-batch",
                       v->c.t0 + v->c.o.budget_seconds);
        rc = enas_loop(e);
        if (rc)
            rc = aml_error_set(err, rc, 0, 0, "enas", "shared-weight training failed: %s",
                               aml_strerror(rc));
    }
    if (rc && !v->c.rc)
        v->c.rc = rc;
    if (v->c.interrupted)
        v->c.run->stop = AML_STOP_INTERRUPTED;
    else if (v->c.o.max_trials && v->c.run->n_trials >= v->c.o.max_trials)
        v->c.run->stop = AML_STOP_MAX_TRIALS;
    else
        v->c.run->stop = AML_STOP_BUDGET;
    enas_free(e);
    amlp_free(e);
}
