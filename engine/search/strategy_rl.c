/*
 * strategy_rl.c — a reinforcement-learning controller in the style of Zoph
 * and Le, "Neural Architecture Search with Reinforcement Learning" (ICLR
 * 2017): a policy over the discrete choices trained with REINFORCE
 * (Williams 1992).  Unlike the paper's recurrent controller, the policy is
 * a set of independent softmax distributions (a recurrent controller is not
 * needed for spaces this small): one over the kinds and, per kind, one per
 * dimension — a choice over its choices, a numeric dimension over RL_BINS
 * equal bins of its unit (log) scale (the value is uniform within the
 * drawn bin).
 *
 * Each ask samples from the policy (resampling up to RL_TRIES times a
 * configuration already proposed).  Each tell updates the logits of the
 * decisions the configuration made (its kind and its active dimensions):
 * reward = -loss (a failed fit counts as the worst loss seen so far),
 * advantage = (reward - baseline) / spread, where baseline and spread are
 * exponential moving averages (decay RL_DECAY) of the reward and of its
 * squared deviation, clipped to [-3, 3]; logits += RL_LR * (advantage *
 * grad log p(action) + RL_ENTROPY * grad entropy).  Always at full
 * fidelity.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

#define RL_BINS 5
#define RL_LR 0.1
#define RL_ENTROPY 0.01
#define RL_DECAY 0.9
#define RL_TRIES 16

typedef struct rl_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    double *logits;          /* all decisions, flat */
    size_t *offset;          /* kinds first: offset[0] = 0 (n_kinds logits);
                                then per kind k and dimension j:
                                offset[1 + k * AML_PARAMS_MAX + j] */
    double baseline, spread, worst;
    bool started, have_worst;
} rl_state;

static size_t n_actions(const aml_param_spec *spec)
{
    return spec->type == AML_PARAM_CHOICE ? amlp_spec_n_choices(spec) : RL_BINS;
}

static int rl_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    rl_state *s = amlp_calloc(1, sizeof *s);
    size_t n_off = 1 + space->n_kinds * AML_PARAMS_MAX;
    if (s)
        s->offset = amlp_calloc(n_off, sizeof *s->offset);
    size_t total = space->n_kinds;
    for (size_t k = 0; s && s->offset && k < space->n_kinds; k++)
        for (size_t j = 0; j < amlp_space_dims(space, k); j++) {
            s->offset[1 + k * AML_PARAMS_MAX + j] = total;
            total += n_actions(&space->specs[k][j]);
        }
    if (s && s->offset)
        s->logits = amlp_calloc(total, sizeof *s->logits);
    if (!s || !s->offset || !s->logits) {
        if (s)
            amlp_free(s->offset);
        amlp_free(s);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "rl", "out of memory");
    }
    s->space = space;
    s->rng = seed ^ 0x524C000000000000ull;
    *state = s;
    return 0;
}

static void softmax(const double *z, size_t n, double *p)
{
    double m = z[0], sum = 0;
    for (size_t i = 1; i < n; i++)
        m = z[i] > m ? z[i] : m;
    for (size_t i = 0; i < n; i++)
        sum += p[i] = exp(z[i] - m);
    for (size_t i = 0; i < n; i++)
        p[i] /= sum;
}

static size_t draw(rl_state *s, const double *z, size_t n)
{
    double p[64];
    if (n > 64)
        return amlp_split_index(&s->rng, n);
    softmax(z, n, p);
    double u = amlp_rng_unit(&s->rng);
    for (size_t i = 0; i + 1 < n; i++) {
        if (u < p[i])
            return i;
        u -= p[i];
    }
    return n - 1;
}

static double *dim_logits(rl_state *s, size_t k, size_t j)
{
    return s->logits + s->offset[1 + k * AML_PARAMS_MAX + j];
}

static void sample(rl_state *s, amlp_point *p)
{
    const amlp_space *sp = s->space;
    size_t k = draw(s, s->logits, sp->n_kinds);
    amlp_point_default(sp, k, p);
    for (size_t j = 0; j < amlp_space_dims(sp, k); j++) {
        const aml_param_spec *spec = &sp->specs[k][j];
        size_t a = draw(s, dim_logits(s, k, j), n_actions(spec));
        if (spec->type == AML_PARAM_CHOICE)
            p->v[j] = (double)a;
        else
            p->v[j] = amlp_spec_from_unit(spec, ((double)a + amlp_rng_unit(&s->rng)) / RL_BINS);
    }
}

static int rl_ask(void *state, amlp_config *out)
{
    rl_state *s = state;
    amlp_point p;
    for (int t = 0; t < RL_TRIES; t++) {
        sample(s, &p);
        if (!amlp_hashset_has(&s->seen, amlp_point_hash(s->space, &p)))
            break;
    }
    if (amlp_hashset_add(&s->seen, amlp_point_hash(s->space, &p)) < 0)
        return AML_ENOMEM;
    amlp_point_to_config(s->space, &p, 1.0, out);
    return 0;
}

/* One REINFORCE step on a softmax decision that took action a. */
static void reinforce(double *z, size_t n, size_t a, double adv)
{
    double p[64], h = 0;
    if (n > 64 || a >= n)
        return;
    softmax(z, n, p);
    for (size_t i = 0; i < n; i++)
        h -= p[i] > 0 ? p[i] * log(p[i]) : 0;
    for (size_t i = 0; i < n; i++) {
        double glog = (i == a) - p[i];
        double gent = p[i] > 0 ? -p[i] * (log(p[i]) + h) : 0;
        z[i] += RL_LR * (adv * glog + RL_ENTROPY * gent);
        z[i] = z[i] > 30 ? 30 : z[i] < -30 ? -30 : z[i];
    }
}

static void rl_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    rl_state *s = state;
    const amlp_space *sp = s->space;
    amlp_point p;
    if (amlp_point_from_config(sp, cfg, &p) != 0)
        return;
    loss = amlp_loss_key(loss);
    if (loss < INFINITY) {
        if (!s->have_worst || loss > s->worst)
            s->worst = loss;
        s->have_worst = true;
    } else if (s->have_worst) {
        loss = s->worst;
    } else {
        return;   /* nothing to compare a failure with yet */
    }
    double r = -loss;
    if (!s->started) {
        s->baseline = r;
        s->spread = 0;
        s->started = true;
        return;
    }
    double dev = r - s->baseline;
    double scale = sqrt(s->spread);
    double adv = scale > 1e-12 ? dev / scale : (dev > 0 ? 1 : dev < 0 ? -1 : 0);
    adv = adv > 3 ? 3 : adv < -3 ? -3 : adv;
    s->baseline = RL_DECAY * s->baseline + (1 - RL_DECAY) * r;
    s->spread = RL_DECAY * s->spread + (1 - RL_DECAY) * dev * dev;

    reinforce(s->logits, sp->n_kinds, p.kind, adv);
    for (size_t j = 0; j < amlp_space_dims(sp, p.kind); j++) {
        if (!amlp_point_active(sp, &p, j))
            continue;
        const aml_param_spec *spec = &sp->specs[p.kind][j];
        size_t a;
        if (spec->type == AML_PARAM_CHOICE) {
            a = (size_t)p.v[j];
        } else {
            a = (size_t)(amlp_spec_to_unit(spec, p.v[j]) * RL_BINS);
            a = a < RL_BINS ? a : RL_BINS - 1;
        }
        reinforce(dim_logits(s, p.kind, j), n_actions(spec), a, adv);
    }
}

static void rl_destroy(void *state)
{
    rl_state *s = state;
    if (!s)
        return;
    amlp_hashset_free(&s->seen);
    amlp_free(s->logits);
    amlp_free(s->offset);
    amlp_free(s);
}

const amlp_strategy_ops amlp_strategy_rl = {
    .name = "rl",
    .create = rl_create,
    .ask = rl_ask,
    .tell = rl_tell,
    .destroy = rl_destroy,
};
