/*
 * search_auto.c — the "auto" strategy, the default of %train: the strongest
 * per second of compute we know.
 *   1. portfolio: proven configurations, cheap first (XGBoost with cheap then
 *      default and tuned parameters, linear, naive Bayes, forests, k-NN, MLP);
 *   2. successive halving: new random configurations of the kinds that did
 *      well are tried at a third of the effort, and only those in the best
 *      quarter of their rung are promoted to the full effort;
 *   3. refinement: perturbations around the best configurations, alternating
 *      with the Bayesian strategy's proposals when it is built in.
 * Deterministic for a seed and a sequence of results.
 */
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

#define HIST_MAX 4096

typedef struct hist {
    amlp_config cfg;
    double loss;
} hist;

typedef struct auto_state {
    const amlp_space *space;
    uint64_t rng;
    size_t next_portfolio;
    hist *h;
    size_t n_h;
    amlp_config promote[64];
    size_t n_promote;
    uint64_t asked[HIST_MAX];
    size_t n_asked;
    size_t n_refine;
    const amlp_strategy_ops *bayes;
    void *bayes_state;
    const char *phase;
} auto_state;

static uint64_t rnext(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double runit(uint64_t *s) { return (double)(rnext(s) >> 11) * 0x1.0p-53; }
static double rnormal(uint64_t *s)
{
    double u = runit(s) + 1e-12, v = runit(s);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static size_t n_choices(const aml_param_spec *sp)
{
    size_t n = 1;
    for (const char *c = sp->choices; c && *c; c++)
        n += *c == '|';
    return n;
}

static double clampv(const aml_param_spec *sp, double v)
{
    if (sp->type == AML_PARAM_CHOICE) {
        double hi = (double)n_choices(sp) - 1;
        v = v == v ? round(v) : 0;
        return v < 0 ? 0 : v > hi ? hi : v;
    }
    if (v != v)
        v = sp->dflt;
    if (sp->type == AML_PARAM_INT)
        v = round(v);
    return v < sp->lo ? sp->lo : v > sp->hi ? sp->hi : v;
}

static bool use_log(const aml_param_spec *sp) { return sp->log && sp->lo > 0; }
static double to_unit(const aml_param_spec *sp, double v)
{
    if (sp->hi <= sp->lo)
        return 0;
    return use_log(sp) ? (log(v) - log(sp->lo)) / (log(sp->hi) - log(sp->lo))
                       : (v - sp->lo) / (sp->hi - sp->lo);
}
static double from_unit(const aml_param_spec *sp, double u)
{
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    double v = use_log(sp) ? exp(log(sp->lo) + u * (log(sp->hi) - log(sp->lo)))
                           : sp->lo + u * (sp->hi - sp->lo);
    return clampv(sp, v);
}

static size_t kind_index(const amlp_space *s, const char *kind)
{
    for (size_t k = 0; k < s->n_kinds; k++)
        if (strcmp(s->kinds[k], kind) == 0)
            return k;
    return SIZE_MAX;
}

/* A configuration of kind k: each spec at its default, `cheap` values when
 * asked, then the overrides "name=value" pairs. */
static void make_config(const amlp_space *s, size_t k, bool cheap, const char *const *names,
                        const double *values, size_t n, amlp_config *out)
{
    memset(out, 0, sizeof *out);
    out->kind = s->kinds[k];
    out->fidelity = 1;
    for (size_t j = 0; j < s->n_specs[k] && j < AML_PARAMS_MAX; j++) {
        const aml_param_spec *sp = &s->specs[k][j];
        double v = cheap ? sp->cheap : sp->dflt;
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], sp->name) == 0)
                v = values[i];
        aml_params_set(&out->params, sp->name, clampv(sp, v));
    }
}

/* ---- the portfolio ---- */

typedef struct pf_entry {
    const char *kind;
    bool cheap;
    size_t n;
    const char *names[6];
    double values[6];
} pf_entry;

static const pf_entry portfolio[] = {
    /* the linear model first: it is the cheapest on every kind of data (wide
     * sparse text makes even a small boosted model take many seconds), so a
     * short budget always ends with a model */
    {"linear", false, 0, {NULL}, {0}},
    {"xgb", true, 0, {NULL}, {0}},
    {"nb", false, 0, {NULL}, {0}},
    {"xgb", false, 0, {NULL}, {0}},
    {"rf", true, 0, {NULL}, {0}},
    {"xgb", false, 6, {"learning_rate", "max_depth", "subsample", "colsample_bytree", "n_estimators", "min_child_weight"},
     {0.05, 8, 0.8, 0.8, 1000, 1}},
    {"knn", false, 0, {NULL}, {0}},
    {"mlp", true, 0, {NULL}, {0}},
    {"xgb", false, 5, {"learning_rate", "max_depth", "subsample", "colsample_bytree", "n_estimators"},
     {0.05, 4, 0.8, 0.6, 1000}},
    {"linear", false, 1, {"C"}, {0.1}},
    {"rf", false, 0, {NULL}, {0}},
    {"xgb", false, 6, {"learning_rate", "max_depth", "subsample", "colsample_bytree", "n_estimators", "min_child_weight"},
     {0.03, 10, 0.7, 0.5, 2000, 3}},
    {"mlp", false, 0, {NULL}, {0}},
    {"xgb", false, 5, {"learning_rate", "max_depth", "subsample", "colsample_bytree", "n_estimators"},
     {0.1, 3, 0.9, 0.9, 1000}},
};
#define N_PORTFOLIO (sizeof portfolio / sizeof portfolio[0])

static uint64_t cfg_key(const amlp_config *c) { return amlp_config_hash(c); }

static bool was_asked(const auto_state *st, uint64_t h)
{
    for (size_t i = 0; i < st->n_asked; i++)
        if (st->asked[i] == h)
            return true;
    return false;
}

static void remember(auto_state *st, const amlp_config *c)
{
    if (st->n_asked < HIST_MAX)
        st->asked[st->n_asked++] = cfg_key(c);
}

static int auto_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    auto_state *st = amlp_calloc(1, sizeof *st);
    if (st)
        st->h = amlp_calloc(HIST_MAX, sizeof *st->h);
    if (!st || !st->h) {
        amlp_free(st);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    st->space = space;
    st->rng = seed ^ 0x5eedau;
    st->phase = "portfolio";
    st->bayes = amlp_strategy_find("bayes");
    if (st->bayes && st->bayes->create(space, seed + 1, &st->bayes_state, NULL) != 0) {
        st->bayes = NULL;
        st->bayes_state = NULL;
    }
    *state = st;
    return 0;
}

static void auto_destroy(void *state)
{
    auto_state *st = state;
    if (!st)
        return;
    if (st->bayes && st->bayes_state)
        st->bayes->destroy(st->bayes_state);
    amlp_free(st->h);
    amlp_free(st);
}

/* Indexes of the history sorted by loss (best first), at most `cap`, full
 * fidelity only when `full`. */
static size_t ranked(const auto_state *st, size_t *idx, size_t cap, bool full)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_h; i++) {
        if (!isfinite(st->h[i].loss) || (full && st->h[i].cfg.fidelity < 1))
            continue;
        size_t j = n < cap ? n++ : cap;
        if (j == cap && st->h[i].loss >= st->h[idx[cap - 1]].loss)
            continue;
        if (j == cap)
            j = cap - 1;
        while (j > 0 && st->h[idx[j - 1]].loss > st->h[i].loss) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    return n;
}

static bool multi_fidelity(const char *kind)
{
    return strcmp(kind, "xgb") == 0 || strcmp(kind, "rf") == 0 || strcmp(kind, "mlp") == 0;
}

static void perturb(auto_state *st, const amlp_config *base, amlp_config *out)
{
    const amlp_space *s = st->space;
    size_t k = kind_index(s, base->kind);
    *out = *base;
    out->fidelity = 1;
    bool changed = false;
    for (int tries = 0; !changed && tries < 8; tries++)
        for (size_t j = 0; j < s->n_specs[k] && j < AML_PARAMS_MAX; j++) {
            const aml_param_spec *sp = &s->specs[k][j];
            if (runit(&st->rng) < 0.5)
                continue;
            double v = aml_params_get(&out->params, sp->name, sp->dflt), nv;
            if (sp->type == AML_PARAM_CHOICE)
                nv = runit(&st->rng) < 0.3 ? clampv(sp, floor(runit(&st->rng) * (double)n_choices(sp))) : v;
            else
                nv = from_unit(sp, to_unit(sp, v) + 0.15 * rnormal(&st->rng));
            if (nv != v) {
                aml_params_set(&out->params, sp->name, nv);
                changed = true;
            }
        }
}

static void sample_kind(auto_state *st, size_t k, amlp_config *out)
{
    const amlp_space *s = st->space;
    memset(out, 0, sizeof *out);
    out->kind = s->kinds[k];
    for (size_t j = 0; j < s->n_specs[k] && j < AML_PARAMS_MAX; j++) {
        const aml_param_spec *sp = &s->specs[k][j];
        double v = sp->type == AML_PARAM_CHOICE
                       ? clampv(sp, floor(runit(&st->rng) * (double)n_choices(sp)))
                       : from_unit(sp, runit(&st->rng));
        aml_params_set(&out->params, sp->name, v);
    }
    out->fidelity = multi_fidelity(out->kind) ? 1.0 / 3.0 : 1.0;
}

static int auto_ask(void *state, amlp_config *out)
{
    auto_state *st = state;
    const amlp_space *s = st->space;
    while (st->next_portfolio < N_PORTFOLIO) {
        const pf_entry *e = &portfolio[st->next_portfolio++];
        size_t k = kind_index(s, e->kind);
        if (k == SIZE_MAX)
            continue;
        make_config(s, k, e->cheap, e->names, e->values, e->n, out);
        if (was_asked(st, cfg_key(out)))
            continue;
        remember(st, out);
        st->phase = "portfolio";
        return 0;
    }
    if (st->n_promote) {
        *out = st->promote[0];
        memmove(st->promote, st->promote + 1, --st->n_promote * sizeof *st->promote);
        remember(st, out);
        st->phase = "successive halving";
        return 0;
    }
    for (int attempt = 0; attempt < 50; attempt++) {
        size_t top[8];
        size_t nt = ranked(st, top, 8, true);
        st->n_refine++;
        if (st->bayes && st->n_refine % 3 == 0 && st->bayes->ask(st->bayes_state, out) == 0 &&
            kind_index(s, out->kind) != SIZE_MAX) {
            st->phase = "refinement (Bayesian)";
        } else if (nt == 0 || runit(&st->rng) < 0.3) {
            /* a new random configuration of a kind weighted by its rank */
            size_t k;
            if (nt && runit(&st->rng) < 0.7)
                k = kind_index(s, st->h[top[(size_t)(runit(&st->rng) * (double)(nt < 3 ? nt : 3))]].cfg.kind);
            else
                k = (size_t)(runit(&st->rng) * (double)s->n_kinds);
            sample_kind(st, k, out);
            st->phase = "successive halving";
        } else {
            size_t r = (size_t)(runit(&st->rng) * runit(&st->rng) * (double)(nt < 5 ? nt : 5));
            perturb(st, &st->h[top[r]].cfg, out);
            st->phase = "refinement";
        }
        if (!was_asked(st, cfg_key(out))) {
            remember(st, out);
            return 0;
        }
    }
    return AML_EEMPTY;
}

static void auto_tell(void *state, const amlp_config *cfg, double loss, double cost)
{
    auto_state *st = state;
    if (st->bayes && st->bayes_state)
        st->bayes->tell(st->bayes_state, cfg, loss, cost);
    if (st->n_h < HIST_MAX) {
        st->h[st->n_h].cfg = *cfg;
        st->h[st->n_h++].loss = loss == loss ? loss : INFINITY;
    }
    if (cfg->fidelity >= 1 || !isfinite(loss) || st->n_promote == 64)
        return;
    /* promote when in the best quarter of its rung (of this kind) */
    size_t better = 0, total = 0;
    for (size_t i = 0; i < st->n_h; i++)
        if (st->h[i].cfg.fidelity == cfg->fidelity && strcmp(st->h[i].cfg.kind, cfg->kind) == 0 &&
            isfinite(st->h[i].loss)) {
            total++;
            better += st->h[i].loss < loss;
        }
    if (better * 4 <= total) {
        amlp_config p = *cfg;
        p.fidelity = 1;
        st->promote[st->n_promote++] = p;
    }
}

const char *amlp_auto_phase(const void *state)
{
    return state ? ((const auto_state *)state)->phase : "";
}

const amlp_strategy_ops amlp_strategy_auto = {
    .name = "auto",
    .create = auto_create,
    .ask = auto_ask,
    .tell = auto_tell,
    .destroy = auto_destroy,
};
