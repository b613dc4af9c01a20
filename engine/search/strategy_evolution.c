/*
 * strategy_evolution.c — regularised ("aging") evolution, after Real,
 * Aggarwal, Huang and Le, "Regularized Evolution for Image Classifier
 * Architecture Search" (AAAI 2019).
 *
 * A population of the EVO_P most recently evaluated configurations (a FIFO:
 * every told result joins it and the oldest leaves, whatever its loss).
 * Until the population is full, asks are random.  Then each ask samples
 * EVO_S members uniformly (with replacement), takes the one with the lowest
 * loss as the parent and mutates it: with probability EVO_KIND_SWITCH (and
 * more than one kind) a random configuration of another kind; otherwise one
 * or two active dimensions are perturbed — numeric ones by a normal step of
 * EVO_SIGMA on the unit (log) scale, reflected into range (an integer moves
 * at least by one), choices to another choice.  Failed fits (INFINITY) join
 * the population and lose every tournament.  Already-proposed
 * configurations are re-mutated (up to 32 tries), then sampled at random.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

#define EVO_P 20
#define EVO_S 5
#define EVO_KIND_SWITCH 0.1
#define EVO_SIGMA 0.15
#define EVO_TRIES 32

typedef struct evo_member {
    amlp_point p;
    double loss;
} evo_member;

typedef struct evo_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    evo_member pop[EVO_P];
    size_t n, head;   /* members; index of the oldest */
} evo_state;

static int evo_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    evo_state *s = amlp_calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "evolution", "out of memory");
    s->space = space;
    s->rng = seed ^ 0x45564F4C55540000ull;
    *state = s;
    return 0;
}

static double reflect(double u)
{
    for (int i = 0; i < 4 && (u < 0 || u > 1); i++)
        u = u < 0 ? -u : 2 - u;
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

static void mutate_dim(evo_state *s, amlp_point *p, size_t j)
{
    const aml_param_spec *spec = &s->space->specs[p->kind][j];
    if (spec->type == AML_PARAM_CHOICE) {
        size_t n = amlp_spec_n_choices(spec);
        if (n > 1) {
            size_t c = amlp_split_index(&s->rng, n - 1);
            p->v[j] = (double)(c >= (size_t)p->v[j] ? c + 1 : c);
        }
        return;
    }
    double old = p->v[j];
    double u = reflect(amlp_spec_to_unit(spec, old) + EVO_SIGMA * amlp_split_normal(&s->rng));
    double v = amlp_spec_from_unit(spec, u);
    if (spec->type == AML_PARAM_INT && v == old) {
        double step = amlp_rng_unit(&s->rng) < 0.5 ? -1 : 1;
        v = amlp_space_clamp(spec, old + step);
        if (v == old)
            v = amlp_space_clamp(spec, old - step);
    }
    p->v[j] = v;
}

static void mutate(evo_state *s, const amlp_point *parent, amlp_point *child)
{
    const amlp_space *sp = s->space;
    if (sp->n_kinds > 1 && amlp_rng_unit(&s->rng) < EVO_KIND_SWITCH) {
        size_t k = amlp_split_index(&s->rng, sp->n_kinds - 1);
        amlp_point_sample(sp, k >= parent->kind ? k + 1 : k, &s->rng, child);
        return;
    }
    *child = *parent;
    size_t active[AML_PARAMS_MAX], na = 0, dims = amlp_space_dims(sp, parent->kind);
    for (size_t j = 0; j < dims; j++)
        if (amlp_point_active(sp, parent, j))
            active[na++] = j;
    if (!na) {
        amlp_point_sample(sp, amlp_split_index(&s->rng, sp->n_kinds), &s->rng, child);
        return;
    }
    size_t m = na > 1 && amlp_rng_unit(&s->rng) < 0.5 ? 2 : 1;
    for (size_t i = 0; i < m; i++) {
        /* distinct dimensions: swap the chosen one out of the candidates */
        size_t a = i + amlp_split_index(&s->rng, na - i);
        size_t t = active[i];
        active[i] = active[a];
        active[a] = t;
        mutate_dim(s, child, active[i]);
    }
}

static int evo_ask(void *state, amlp_config *out)
{
    evo_state *s = state;
    const amlp_space *sp = s->space;
    amlp_point p;
    bool fresh = false;
    if (s->n >= EVO_P) {
        for (int t = 0; t < EVO_TRIES && !fresh; t++) {
            size_t best = amlp_split_index(&s->rng, s->n);
            for (int i = 1; i < EVO_S; i++) {
                size_t c = amlp_split_index(&s->rng, s->n);
                if (amlp_loss_key(s->pop[c].loss) < amlp_loss_key(s->pop[best].loss))
                    best = c;
            }
            mutate(s, &s->pop[best].p, &p);
            fresh = !amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p));
        }
    }
    for (int t = 0; t < EVO_TRIES && !fresh; t++) {
        amlp_point_sample(sp, amlp_split_index(&s->rng, sp->n_kinds), &s->rng, &p);
        fresh = !amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p));
    }
    if (amlp_hashset_add(&s->seen, amlp_point_hash(sp, &p)) < 0)
        return AML_ENOMEM;
    amlp_point_to_config(sp, &p, 1.0, out);
    return 0;
}

static void evo_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    evo_state *s = state;
    amlp_point p;
    if (amlp_point_from_config(s->space, cfg, &p) != 0)
        return;
    evo_member m = {p, amlp_loss_key(loss)};
    if (s->n < EVO_P) {
        s->pop[(s->head + s->n++) % EVO_P] = m;
    } else {
        s->pop[s->head] = m;   /* the oldest dies, the newest takes its slot */
        s->head = (s->head + 1) % EVO_P;
    }
}

static void evo_destroy(void *state)
{
    evo_state *s = state;
    if (!s)
        return;
    amlp_hashset_free(&s->seen);
    amlp_free(s);
}

const amlp_strategy_ops amlp_strategy_evolution = {
    .name = "evolution",
    .create = evo_create,
    .ask = evo_ask,
    .tell = evo_tell,
    .destroy = evo_destroy,
};
