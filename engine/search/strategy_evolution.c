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
 *
 * With two objectives (tell_size: the loss and the configuration's size,
 * both lower better) the tournament is NSGA-II's (Deb, Pratap, Agarwal and
 * Meyarivan, IEEE TEC 2002) over the same ageing population: its members
 * are ranked by non-dominated sorting on (loss, size) and, within a front,
 * by crowding distance (the normalised gap between each member's neighbours
 * on each objective; the extremes infinitely far); a tournament's winner
 * has the lowest rank, then the largest distance.  Failed fits rank last.
 * Once one size has been told, selection stays NSGA-II (a result told
 * without a size counts as infinitely large); until then it is exactly the
 * single-objective tournament above.
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
    double loss, size;   /* size INFINITY when not told */
} evo_member;

typedef struct evo_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    evo_member pop[EVO_P];
    size_t n, head;   /* members; index of the oldest */
    bool sized;       /* a size was told: NSGA-II tournaments */
    size_t rank[EVO_P];    /* per member (sized): its front, 0 the best */
    double crowd[EVO_P];   /* per member (sized): its crowding distance */
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

/* Member i's objective: 0 its loss, 1 its size. */
static double objective_of(const evo_state *s, size_t i, int objective)
{
    return objective ? s->pop[i].size : s->pop[i].loss;
}

/* Members of front r (rank[i] == r) into idx, sorted by the objective;
 * returns how many. */
static size_t front_sorted(const evo_state *s, size_t r, int objective, size_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->rank[i] != r)
            continue;
        double v = objective_of(s, i, objective);
        size_t at = m++;
        for (; at > 0 && objective_of(s, idx[at - 1], objective) > v; at--)
            idx[at] = idx[at - 1];
        idx[at] = i;
    }
    return m;
}

/* Crowding distances of the members of front r: per objective, the gap
 * between each one's neighbours over the front's span; the ends infinite. */
static void crowd_front(evo_state *s, size_t r)
{
    size_t idx[EVO_P];
    for (int objective = 0; objective < 2; objective++) {
        size_t m = front_sorted(s, r, objective, idx);
        if (!m)
            return;
        double span = objective_of(s, idx[m - 1], objective) - objective_of(s, idx[0], objective);
        s->crowd[idx[0]] = s->crowd[idx[m - 1]] = INFINITY;
        if (!(span > 0) || !isfinite(span))
            continue;
        for (size_t i = 1; i + 1 < m; i++)
            s->crowd[idx[i]] += (objective_of(s, idx[i + 1], objective) -
                                 objective_of(s, idx[i - 1], objective)) / span;
    }
}

/* Non-dominated sorting of the population, then crowding per front. */
static void rank_population(evo_state *s)
{
    size_t left = 0, r = 0;
    for (size_t i = 0; i < s->n; i++) {
        bool failed = !isfinite(s->pop[i].loss);
        s->rank[i] = failed ? EVO_P : SIZE_MAX;   /* failed: last; SIZE_MAX: unranked */
        s->crowd[i] = 0;
        left += !failed;
    }
    for (; left > 0; r++) {
        bool front[EVO_P];
        for (size_t i = 0; i < s->n; i++) {
            front[i] = s->rank[i] == SIZE_MAX;
            for (size_t j = 0; j < s->n && front[i]; j++)
                if (s->rank[j] == SIZE_MAX &&
                    amlp_pareto_dominates(s->pop[j].loss, s->pop[j].size, s->pop[i].loss,
                                          s->pop[i].size))
                    front[i] = false;
        }
        size_t found = 0;
        for (size_t i = 0; i < s->n; i++)
            if (front[i]) {
                s->rank[i] = r;
                found++;
            }
        if (!found)
            break;   /* cannot happen (dominance is a strict order); a guard */
        left -= found;
        crowd_front(s, r);
    }
}

/* Does member c win a tournament against member best? */
static bool wins(const evo_state *s, size_t c, size_t best)
{
    if (!s->sized)
        return amlp_loss_key(s->pop[c].loss) < amlp_loss_key(s->pop[best].loss);
    if (s->rank[c] != s->rank[best])
        return s->rank[c] < s->rank[best];
    return s->crowd[c] > s->crowd[best];
}

static int evo_ask(void *state, amlp_config *out)
{
    evo_state *s = state;
    const amlp_space *sp = s->space;
    amlp_point p;
    bool fresh = false;
    if (s->n >= EVO_P) {
        if (s->sized)
            rank_population(s);
        for (int t = 0; t < EVO_TRIES && !fresh; t++) {
            size_t best = amlp_split_index(&s->rng, s->n);
            for (int i = 1; i < EVO_S; i++) {
                size_t c = amlp_split_index(&s->rng, s->n);
                if (wins(s, c, best))
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

static void join(evo_state *s, const amlp_config *cfg, double loss, double size)
{
    amlp_point p;
    if (amlp_point_from_config(s->space, cfg, &p) != 0)
        return;
    evo_member m = {p, amlp_loss_key(loss), size == size ? size : INFINITY};
    if (s->n < EVO_P) {
        s->pop[(s->head + s->n++) % EVO_P] = m;
    } else {
        s->pop[s->head] = m;   /* the oldest dies, the newest takes its slot */
        s->head = (s->head + 1) % EVO_P;
    }
}

static void evo_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    join(state, cfg, loss, INFINITY);
}

static void evo_tell_size(void *state, const amlp_config *cfg, double loss, double size,
                          double cost_seconds)
{
    (void)cost_seconds;
    evo_state *s = state;
    s->sized = true;
    join(s, cfg, loss, size);
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
    .tell_size = evo_tell_size,
};
