/*
 * strategy_bayes.c — Bayesian optimisation with the tree-structured Parzen
 * estimator (TPE), after Bergstra, Bardenet, Bengio and Kégl, "Algorithms
 * for Hyper-Parameter Optimization" (NeurIPS 2011), with hyperopt's
 * adaptive Parzen bandwidths.
 *
 * - The first TPE_STARTUP asks are random (uniform kind, uniform dimensions).
 * - Then the kind, by a bandit over kinds: with probability TPE_EXPLOIT the
 *   kind of the best result so far, otherwise a kind drawn in proportion to
 *   1 + its number of results in the best gamma quantile over all kinds.
 * - Within the kind, its results (failed fits last) are split into good
 *   (the best ceil(gamma n), gamma = 0.25, at most 25) and bad.  Per active
 *   dimension, l(x) from the good and g(x) from the bad results:
 *   numeric — a mixture of Gaussians on the unit (log) scale, one per
 *   observation plus a prior N(0.5, 1), each truncated to [0, 1], the
 *   bandwidth of a component the larger gap to its sorted neighbours
 *   clipped to [1 / min(100, n + 1), 1]; choice — frequencies with add-one
 *   smoothing.  A conditional dimension uses only the results where it was
 *   active.
 * - TPE_CANDIDATES candidates are drawn from l (dimension by dimension);
 *   the one with the largest sum over active dimensions of
 *   log l(x) - log g(x) that was not proposed before wins (else random).
 * Kinds with fewer than 2 results are sampled at random.  Always at full
 * fidelity.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TPE_STARTUP 10
#define TPE_CANDIDATES 24
#define TPE_GAMMA 0.25
#define TPE_GOOD_MAX 25
#define TPE_EXPLOIT 0.5
#define TPE_TRIES 32

typedef struct tpe_obs {
    amlp_point p;
    double loss;
    size_t order;   /* tell order, for ties */
} tpe_obs;

typedef struct tpe_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    tpe_obs *obs;
    size_t n, cap;
} tpe_state;

/* A Parzen density of one numeric dimension (unit scale). */
typedef struct parzen {
    size_t n;
    double *mu, *sigma, *z;   /* z: mass of the component inside [0, 1] */
} parzen;

static int tpe_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    tpe_state *s = amlp_calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "bayes", "out of memory");
    s->space = space;
    s->rng = seed ^ 0x5450455450450000ull;
    *state = s;
    return 0;
}

static int cmp_obs(const void *a, const void *b)
{
    const tpe_obs *x = *(const tpe_obs *const *)a, *y = *(const tpe_obs *const *)b;
    if (x->loss != y->loss)
        return x->loss < y->loss ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* Build from n values (unit scale), adding the prior N(0.5, 1).  The
 * arrays of `pz` have room for n + 1. */
static void parzen_build(parzen *pz, const double *vals, size_t n)
{
    double *mu = pz->mu;
    memcpy(mu, vals, n * sizeof *mu);
    mu[n] = 0.5;
    size_t m = n + 1;
    qsort(mu, m, sizeof *mu, cmp_double);
    double minsig = 1.0 / (double)(m < 100 ? m : 100);
    bool prior_done = false;
    for (size_t i = 0; i < m; i++) {
        double left = i > 0 ? mu[i] - mu[i - 1] : mu[i];
        double right = i + 1 < m ? mu[i + 1] - mu[i] : 1 - mu[i];
        double sg = left > right ? left : right;
        if (!prior_done && mu[i] == 0.5) {
            sg = 1;   /* the prior keeps its width */
            prior_done = true;
        }
        pz->sigma[i] = sg < minsig ? minsig : sg > 1 ? 1 : sg;
        pz->z[i] = phi((1 - mu[i]) / pz->sigma[i]) - phi((0 - mu[i]) / pz->sigma[i]);
        if (pz->z[i] < 1e-12)
            pz->z[i] = 1e-12;
    }
    pz->n = m;
}

static double parzen_logpdf(const parzen *pz, double x)
{
    double sum = 0;
    for (size_t i = 0; i < pz->n; i++) {
        double d = (x - pz->mu[i]) / pz->sigma[i];
        sum += exp(-0.5 * d * d) / (pz->sigma[i] * pz->z[i]);
    }
    sum /= (double)pz->n * sqrt(2 * M_PI);
    return log(sum > 1e-300 ? sum : 1e-300);
}

static double parzen_sample(const parzen *pz, uint64_t *rng)
{
    size_t i = amlp_split_index(rng, pz->n);
    for (int t = 0; t < 16; t++) {
        double x = pz->mu[i] + pz->sigma[i] * amlp_split_normal(rng);
        if (x >= 0 && x <= 1)
            return x;
    }
    return amlp_rng_unit(rng);
}

/* The kind for the next model-based ask. */
static size_t choose_kind(tpe_state *s, tpe_obs **sorted)
{
    const amlp_space *sp = s->space;
    if (sp->n_kinds == 1)
        return 0;
    if (sorted[0]->loss < INFINITY && amlp_rng_unit(&s->rng) < TPE_EXPLOIT)
        return sorted[0]->p.kind;
    size_t n_good = (size_t)ceil(TPE_GAMMA * (double)s->n);
    double total = 0, w[64];
    size_t nk = sp->n_kinds < 64 ? sp->n_kinds : 64;
    for (size_t k = 0; k < nk; k++)
        w[k] = 1;
    for (size_t i = 0; i < n_good && i < s->n; i++)
        if (sorted[i]->loss < INFINITY && sorted[i]->p.kind < nk)
            w[sorted[i]->p.kind] += 1;
    for (size_t k = 0; k < nk; k++)
        total += w[k];
    double u = amlp_rng_unit(&s->rng) * total;
    for (size_t k = 0; k < nk; k++) {
        if (u < w[k])
            return k;
        u -= w[k];
    }
    return nk - 1;
}

/* One TPE proposal within `kind` from its sorted results kobs[0..nk).
 * Returns 0 and fills *best, 1 when no fresh candidate came up, or
 * AML_ENOMEM. */
static int tpe_propose(tpe_state *s, size_t kind, tpe_obs **kobs, size_t nk, amlp_point *best)
{
    const amlp_space *sp = s->space;
    size_t dims = amlp_space_dims(sp, kind);
    size_t n_good = (size_t)ceil(TPE_GAMMA * (double)nk);
    if (n_good > TPE_GOOD_MAX)
        n_good = TPE_GOOD_MAX;
    if (n_good < 1)
        n_good = 1;
    size_t n_fin = 0;
    while (n_fin < nk && kobs[n_fin]->loss < INFINITY)
        n_fin++;
    if (n_good > n_fin)
        n_good = n_fin;
    if (!n_good)
        return 1;

    /* per dimension: l and g (numeric), or choice probabilities */
    size_t cap = nk + 1;
    for (size_t j = 0; j < dims; j++)
        if (sp->specs[kind][j].type == AML_PARAM_CHOICE &&
            amlp_spec_n_choices(&sp->specs[kind][j]) > cap)
            cap = amlp_spec_n_choices(&sp->specs[kind][j]);
    double *buf = amlp_malloc((size_t)dims * 6 * cap * sizeof *buf + cap * sizeof *buf + 1);
    if (!buf)
        return AML_ENOMEM;
    parzen l[AML_PARAMS_MAX], g[AML_PARAMS_MAX];
    double *vals = buf + (size_t)dims * 6 * cap;
    for (size_t j = 0; j < dims; j++) {
        double *b = buf + j * 6 * cap;
        l[j] = (parzen){0, b, b + cap, b + 2 * cap};
        g[j] = (parzen){0, b + 3 * cap, b + 4 * cap, b + 5 * cap};
        const aml_param_spec *spec = &sp->specs[kind][j];
        /* good then bad values of the results where j was active; a choice
         * keeps smoothed frequencies in mu[0..n_choices) */
        for (int part = 0; part < 2; part++) {
            size_t from = part ? n_good : 0, to = part ? nk : n_good, nv = 0;
            for (size_t i = from; i < to; i++)
                if (amlp_point_active(sp, &kobs[i]->p, j))
                    vals[nv++] = spec->type == AML_PARAM_CHOICE
                                     ? kobs[i]->p.v[j]
                                     : amlp_spec_to_unit(spec, kobs[i]->p.v[j]);
            parzen *pz = part ? &g[j] : &l[j];
            if (spec->type == AML_PARAM_CHOICE) {
                size_t nc = amlp_spec_n_choices(spec);
                for (size_t c = 0; c < nc; c++)
                    pz->mu[c] = 1;
                for (size_t i = 0; i < nv; i++)
                    if ((size_t)vals[i] < nc)
                        pz->mu[(size_t)vals[i]] += 1;
                for (size_t c = 0; c < nc; c++)
                    pz->mu[c] /= (double)(nv + nc);
                pz->n = nc;
            } else {
                parzen_build(pz, vals, nv);
            }
        }
    }

    double best_score = -INFINITY;
    int found = 1;
    for (int c = 0; c < TPE_CANDIDATES; c++) {
        amlp_point p;
        amlp_point_default(sp, kind, &p);
        for (size_t j = 0; j < dims; j++) {
            const aml_param_spec *spec = &sp->specs[kind][j];
            if (spec->type == AML_PARAM_CHOICE) {
                double u = amlp_rng_unit(&s->rng);
                size_t k = 0;
                while (k + 1 < l[j].n && u >= l[j].mu[k]) {
                    u -= l[j].mu[k];
                    k++;
                }
                p.v[j] = (double)k;
            } else {
                p.v[j] = amlp_spec_from_unit(spec, parzen_sample(&l[j], &s->rng));
            }
        }
        double score = 0;
        for (size_t j = 0; j < dims; j++) {
            if (!amlp_point_active(sp, &p, j))
                continue;
            const aml_param_spec *spec = &sp->specs[kind][j];
            if (spec->type == AML_PARAM_CHOICE) {
                size_t k = (size_t)p.v[j];
                if (k < l[j].n && k < g[j].n)
                    score += log(l[j].mu[k]) - log(g[j].mu[k]);
            } else {
                double x = amlp_spec_to_unit(spec, p.v[j]);
                score += parzen_logpdf(&l[j], x) - parzen_logpdf(&g[j], x);
            }
        }
        if (score > best_score && !amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p))) {
            best_score = score;
            *best = p;
            found = 0;
        }
    }
    amlp_free(buf);
    return found;
}

static int tpe_ask(void *state, amlp_config *out)
{
    tpe_state *s = state;
    const amlp_space *sp = s->space;
    amlp_point p;
    int rc = 1;
    if (s->n >= TPE_STARTUP) {
        tpe_obs **sorted = amlp_malloc(s->n * sizeof *sorted);
        if (!sorted)
            return AML_ENOMEM;
        for (size_t i = 0; i < s->n; i++)
            sorted[i] = &s->obs[i];
        qsort(sorted, s->n, sizeof *sorted, cmp_obs);
        size_t kind = choose_kind(s, sorted);
        /* the kind's results, still sorted */
        size_t nk = 0;
        for (size_t i = 0; i < s->n; i++)
            if (sorted[i]->p.kind == kind)
                sorted[nk++] = sorted[i];
        if (nk >= 2)
            rc = tpe_propose(s, kind, sorted, nk, &p);
        amlp_free(sorted);
        if (rc < 0)
            return rc;
        for (int t = 0; rc && t < TPE_TRIES; t++) {
            amlp_point_sample(sp, kind, &s->rng, &p);
            rc = amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p));
        }
    }
    for (int t = 0; rc && t < TPE_TRIES; t++) {
        amlp_point_sample(sp, amlp_split_index(&s->rng, sp->n_kinds), &s->rng, &p);
        rc = amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p));
    }
    if (amlp_hashset_add(&s->seen, amlp_point_hash(sp, &p)) < 0)
        return AML_ENOMEM;
    amlp_point_to_config(sp, &p, 1.0, out);
    return 0;
}

static void tpe_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    tpe_state *s = state;
    amlp_point p;
    if (amlp_point_from_config(s->space, cfg, &p) != 0)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        tpe_obs *o = amlp_realloc(s->obs, cap * sizeof *o);
        if (!o)
            return;   /* out of memory: this result is not learned from */
        s->obs = o;
        s->cap = cap;
    }
    s->obs[s->n] = (tpe_obs){p, amlp_loss_key(loss), s->n};
    s->n++;
}

static void tpe_destroy(void *state)
{
    tpe_state *s = state;
    if (!s)
        return;
    amlp_hashset_free(&s->seen);
    amlp_free(s->obs);
    amlp_free(s);
}

const amlp_strategy_ops amlp_strategy_bayes = {
    .name = "bayes",
    .create = tpe_create,
    .ask = tpe_ask,
    .tell = tpe_tell,
    .destroy = tpe_destroy,
};
