/*
 * strategy_rl.c — a reinforcement-learning controller after Zoph and Le,
 * "Neural Architecture Search with Reinforcement Learning" (ICLR 2017): a
 * recurrent policy (strategy_rl_lstm.c, an LSTM of RL_HIDDEN units) that
 * emits a configuration as a sequence of decisions — the kind first, then
 * each dimension of that kind in spec order, skipping those whose condition
 * does not hold on the values decided so far (the rest at their default).
 * Each decision has its own softmax head over its actions: a choice's
 * choices, or RL_BINS equal bins of a numeric dimension's unit (log) scale
 * (the value is uniform within the drawn bin); its input is the embedding of
 * the previous decision.
 *
 * Each ask samples from the policy (resampling up to RL_TRIES times a
 * configuration already proposed).  Each tell replays the decisions of the
 * told configuration and takes one REINFORCE (Williams 1992) step:
 * reward = -loss (a failed fit counts as the worst loss seen so far),
 * advantage = (reward - baseline) / spread, where baseline and spread are
 * exponential moving averages (decay RL_DECAY) of the reward and of its
 * squared deviation, clipped to [-3, 3]; the gradient of advantage *
 * sum log p(decision) + RL_ENTROPY * sum entropy, backpropagated through
 * time, feeds Adam (learning rate RL_LR).  Always at full fidelity.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

#define RL_BINS 5
#define RL_HIDDEN 32
#define RL_LR 0.01
#define RL_ENTROPY 0.01
#define RL_DECAY 0.9
#define RL_TRIES 16
#define RL_STEPS (1 + AML_PARAMS_MAX)

typedef struct rl_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    amlp_lstm *ctl;
    size_t *offset;          /* the heads: the kinds' at 0 (n_kinds units);
                                then per kind k and dimension j:
                                offset[k * AML_PARAMS_MAX + j] */
    double baseline, spread, worst;
    bool started, have_worst;
} rl_state;

static size_t n_actions(const aml_param_spec *spec)
{
    return spec->type == AML_PARAM_CHOICE ? amlp_spec_n_choices(spec) : RL_BINS;
}

/* The heads' offsets; OUT the output units and the most actions of one. */
static void lay_out_heads(rl_state *s, size_t *n_out, size_t *most)
{
    const amlp_space *sp = s->space;
    size_t total = sp->n_kinds, top = sp->n_kinds;
    for (size_t k = 0; k < sp->n_kinds; k++)
        for (size_t j = 0; j < amlp_space_dims(sp, k); j++) {
            size_t n = n_actions(&sp->specs[k][j]);
            s->offset[k * AML_PARAMS_MAX + j] = total;
            total += n;
            top = n > top ? n : top;
        }
    *n_out = total;
    *most = top;
}

static void rl_destroy(void *state)
{
    rl_state *s = state;
    if (!s)
        return;
    amlp_hashset_free(&s->seen);
    amlp_lstm_free(s->ctl);
    amlp_free(s->offset);
    amlp_free(s);
}

static int rl_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    rl_state *s = amlp_calloc(1, sizeof *s);
    if (s)
        s->offset = amlp_calloc(space->n_kinds * AML_PARAMS_MAX, sizeof *s->offset);
    if (!s || !s->offset) {
        rl_destroy(s);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "rl", "out of memory");
    }
    s->space = space;
    s->rng = seed ^ 0x524C000000000000ull;
    size_t n_out, most;
    lay_out_heads(s, &n_out, &most);
    rc = amlp_lstm_new(n_out, most, RL_STEPS, RL_HIDDEN, amlp_split_next(&s->rng), &s->ctl);
    if (rc) {
        rl_destroy(s);
        return aml_error_set(err, rc, 0, 0, "rl", "cannot create the controller (%zu outputs)",
                             n_out);
    }
    *state = s;
    return 0;
}

static size_t draw(rl_state *s, const double *p, size_t n)
{
    double u = amlp_rng_unit(&s->rng);
    for (size_t i = 0; i + 1 < n; i++) {
        if (u < p[i])
            return i;
        u -= p[i];
    }
    return n - 1;
}

/* The bin of a numeric value. */
static size_t bin_of(const aml_param_spec *spec, double v)
{
    size_t a = (size_t)(amlp_spec_to_unit(spec, v) * RL_BINS);
    return a < RL_BINS ? a : RL_BINS - 1;
}

/* One configuration from the controller: its decisions into d (OUT *T). */
static void sample(rl_state *s, amlp_point *p, amlp_decision *d, size_t *T)
{
    const amlp_space *sp = s->space;
    d[0] = (amlp_decision){0, sp->n_kinds, 0};
    const double *prob = amlp_lstm_step(s->ctl, d, 0);
    size_t k = d[0].action = prob ? draw(s, prob, sp->n_kinds) : 0;
    size_t t = 1;
    amlp_point_default(sp, k, p);
    for (size_t j = 0; j < amlp_space_dims(sp, k); j++) {
        if (!amlp_point_active(sp, p, j))
            continue;
        const aml_param_spec *spec = &sp->specs[k][j];
        d[t] = (amlp_decision){s->offset[k * AML_PARAMS_MAX + j], n_actions(spec), 0};
        prob = amlp_lstm_step(s->ctl, d, t);
        size_t a = d[t++].action = prob ? draw(s, prob, n_actions(spec)) : 0;
        if (spec->type == AML_PARAM_CHOICE)
            p->v[j] = (double)a;
        else
            p->v[j] = amlp_spec_from_unit(spec, ((double)a + amlp_rng_unit(&s->rng)) / RL_BINS);
    }
    *T = t;
}

/* The decisions that produce p (as sample would have taken them). */
static size_t decisions_of(const rl_state *s, const amlp_point *p, amlp_decision *d)
{
    const amlp_space *sp = s->space;
    amlp_point q;
    amlp_point_default(sp, p->kind, &q);
    d[0] = (amlp_decision){0, sp->n_kinds, p->kind};
    size_t t = 1;
    for (size_t j = 0; j < amlp_space_dims(sp, p->kind); j++) {
        if (!amlp_point_active(sp, &q, j))
            continue;
        const aml_param_spec *spec = &sp->specs[p->kind][j];
        q.v[j] = p->v[j];
        size_t a = spec->type == AML_PARAM_CHOICE ? (size_t)p->v[j] : bin_of(spec, p->v[j]);
        d[t++] = (amlp_decision){s->offset[p->kind * AML_PARAMS_MAX + j], n_actions(spec), a};
    }
    return t;
}

static int rl_ask(void *state, amlp_config *out)
{
    rl_state *s = state;
    amlp_point p;
    amlp_decision d[RL_STEPS];
    size_t T;
    for (int t = 0; t < RL_TRIES; t++) {
        sample(s, &p, d, &T);
        if (!amlp_hashset_has(&s->seen, amlp_point_hash(s->space, &p)))
            break;
    }
    if (amlp_hashset_add(&s->seen, amlp_point_hash(s->space, &p)) < 0)
        return AML_ENOMEM;
    amlp_point_to_config(s->space, &p, 1.0, out);
    return 0;
}

/* The normalised advantage of a loss, updating the baseline; false when
 * there is nothing to learn from it yet. */
static bool advantage(rl_state *s, double loss, double *adv)
{
    loss = amlp_loss_key(loss);
    if (loss < INFINITY) {
        if (!s->have_worst || loss > s->worst)
            s->worst = loss;
        s->have_worst = true;
    } else if (s->have_worst) {
        loss = s->worst;
    } else {
        return false;   /* nothing to compare a failure with yet */
    }
    double r = -loss;
    if (!s->started) {
        s->baseline = r;
        s->spread = 0;
        s->started = true;
        return false;
    }
    double dev = r - s->baseline;
    double scale = sqrt(s->spread);
    double a = scale > 1e-12 ? dev / scale : (dev > 0 ? 1 : dev < 0 ? -1 : 0);
    *adv = a > 3 ? 3 : a < -3 ? -3 : a;
    s->baseline = RL_DECAY * s->baseline + (1 - RL_DECAY) * r;
    s->spread = RL_DECAY * s->spread + (1 - RL_DECAY) * dev * dev;
    return true;
}

static void rl_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    rl_state *s = state;
    amlp_point p;
    double adv, logp, ent;
    if (amlp_point_from_config(s->space, cfg, &p) != 0 || !advantage(s, loss, &adv))
        return;
    amlp_decision d[RL_STEPS];
    size_t T = decisions_of(s, &p, d);
    if (amlp_lstm_forward(s->ctl, d, T, &logp, &ent) != 0)
        return;
    amlp_lstm_backward(s->ctl, d, T, adv, RL_ENTROPY);
    amlp_lstm_adam(s->ctl, RL_LR);
}

const amlp_strategy_ops amlp_strategy_rl = {
    .name = "rl",
    .create = rl_create,
    .ask = rl_ask,
    .tell = rl_tell,
    .destroy = rl_destroy,
};
