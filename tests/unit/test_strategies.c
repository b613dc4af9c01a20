/* test_strategies.c — Criterion suite for the search strategies
 * (engine/strategy_*.c): the space helpers (splitmix64, sampling, clamping),
 * then for each strategy: only valid configurations (ranges, types,
 * conditions, kinds) over 500 asks with random tells, on a hand-made space
 * and on the real learner spaces; determinism for a seed and a sequence of
 * tells; and the search quality on a synthetic objective (a quadratic bowl
 * in log space): bayes and evolution beat random's median best after 60
 * trials, grid gets within a tolerance of the optimum, hyperband promotes the
 * better configurations, rl's policy concentrates on the better kind. */
#include <criterion/criterion.h>

#include "aml.h"
#include "search/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- spaces ---- */

static const aml_param_spec spec_a[] = {
    {"x", AML_PARAM_REAL, 1e-3, 1e3, true, NULL, 1, 1, NULL, ""},
    {"y", AML_PARAM_REAL, 0, 1, false, NULL, 0.5, 0.5, NULL, ""},
    {"n", AML_PARAM_INT, 1, 100, true, NULL, 10, 10, NULL, ""},
    {"c", AML_PARAM_CHOICE, 0, 0, false, "p|q|r", 0, 0, NULL, ""},
    {"z", AML_PARAM_REAL, 1e-6, 1e-1, true, NULL, 1e-3, 1e-3, "c=q", ""},
    {"flag", AML_PARAM_INT, 0, 1, false, NULL, 0, 0, NULL, ""},
    {"m", AML_PARAM_INT, 0, 3, false, NULL, 1, 1, "flag=1", ""},
};
static const aml_param_spec spec_b[] = {
    {"k", AML_PARAM_INT, 1, 10, false, NULL, 5, 5, NULL, ""},
    {"w", AML_PARAM_CHOICE, 0, 0, false, "u|d", 0, 0, NULL, ""},
};
/* A network-like space: per-stage dimensions active when "stages>=s", one
 * chained behind a choice of the third stage. */
static const aml_param_spec spec_net[] = {
    {"width", AML_PARAM_INT, 8, 64, true, NULL, 16, 16, NULL, ""},
    {"stages", AML_PARAM_INT, 1, 4, false, NULL, 2, 2, NULL, ""},
    {"s1_blocks", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, NULL, ""},
    {"s1_kernel", AML_PARAM_CHOICE, 0, 0, false, "3|5", 0, 0, NULL, ""},
    {"s3_blocks", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "stages>=3", ""},
    {"s3_block", AML_PARAM_CHOICE, 0, 0, false, "plain|residual", 0, 0, "stages>=3", ""},
    {"s3_se", AML_PARAM_INT, 0, 1, false, NULL, 0, 0, "s3_block=residual", ""},
    {"s4_blocks", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "stages>=4", ""},
    {"lr", AML_PARAM_REAL, 1e-4, 1e-1, true, NULL, 1e-2, 1e-2, NULL, ""},
};
static const char *const kinds_net[] = {"cnn", "b"};
static const aml_param_spec *const specs_net[] = {spec_net, spec_b};
static const size_t n_net[] = {sizeof spec_net / sizeof *spec_net, 2};
static const amlp_space space_net = {2, kinds_net, specs_net, n_net};

static const char *const kinds_ab[] = {"a", "b"};
static const aml_param_spec *const specs_ab[] = {spec_a, spec_b};
static const size_t n_ab[] = {sizeof spec_a / sizeof *spec_a, sizeof spec_b / sizeof *spec_b};
static const amlp_space space_ab = {2, kinds_ab, specs_ab, n_ab};

/* The bowl: two log-scale parameters and a distracting choice. */
static const aml_param_spec spec_bowl[] = {
    {"x", AML_PARAM_REAL, 1e-4, 1e2, true, NULL, 1, 1, NULL, ""},
    {"y", AML_PARAM_REAL, 1e-3, 10, true, NULL, 1, 1, NULL, ""},
};
static const char *const kinds_bowl[] = {"bowl"};
static const aml_param_spec *const specs_bowl[] = {spec_bowl};
static const size_t n_bowl[] = {2};
static const amlp_space space_bowl = {1, kinds_bowl, specs_bowl, n_bowl};

/* Two kinds with the same dimensions: "good" always beats "bad". */
static const aml_param_spec spec_gb[] = {
    {"x", AML_PARAM_REAL, 1e-3, 1e3, true, NULL, 1, 1, NULL, ""},
    {"c", AML_PARAM_CHOICE, 0, 0, false, "p|q|r", 0, 0, NULL, ""},
};
static const char *const kinds_gb[] = {"bad", "good"};
static const aml_param_spec *const specs_gb[] = {spec_gb, spec_gb};
static const size_t n_gb[] = {2, 2};
static const amlp_space space_gb = {2, kinds_gb, specs_gb, n_gb};

static double bowl_loss(const amlp_config *c)
{
    double x = aml_params_get(&c->params, "x", 1), y = aml_params_get(&c->params, "y", 1);
    double dx = log10(x) - log10(0.03), dy = log10(y) - log10(0.5);
    return dx * dx + dy * dy;
}

/* ---- validity, checked independently of the engine's helpers ---- */

static size_t n_choices(const char *c)
{
    size_t n = 1;
    for (; *c; c++)
        n += *c == '|';
    return n;
}

static const aml_param_spec *find_spec(const aml_param_spec *s, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0)
            return &s[i];
    return NULL;
}

static bool has_param(const aml_params *p, const char *name, double *v)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) {
            *v = p->value[i];
            return true;
        }
    return false;
}

/* Does the spec's condition ("other=value" or "other>=number") hold for the
 * configuration's values? */
static bool condition_holds(const aml_param_spec *specs, size_t n, const aml_params *p,
                            const char *cond)
{
    char name[64];
    const char *eq = strchr(cond, '=');
    cr_assert(eq && (size_t)(eq - cond) < sizeof name);
    bool at_least = eq > cond && eq[-1] == '>';
    size_t len_name = (size_t)(eq - cond) - at_least;
    memcpy(name, cond, len_name);
    name[len_name] = 0;
    const aml_param_spec *o = find_spec(specs, n, name);
    double v;
    if (!o || !has_param(p, name, &v))
        return false;
    if (at_least)
        return v >= atof(eq + 1);
    if (o->type == AML_PARAM_CHOICE) {
        const char *c = o->choices;
        for (size_t i = 0; i < (size_t)v; i++)
            c = strchr(c, '|') + 1;
        size_t len = strcspn(c, "|");
        return strlen(eq + 1) == len && strncmp(c, eq + 1, len) == 0;
    }
    return atof(eq + 1) == v;
}

static void check_valid(const amlp_space *sp, const amlp_config *c)
{
    size_t k = 0;
    while (k < sp->n_kinds && strcmp(sp->kinds[k], c->kind) != 0)
        k++;
    cr_assert_lt(k, sp->n_kinds, "kind %s not in the space", c->kind);
    cr_assert(c->fidelity > 0 && c->fidelity <= 1, "fidelity %g", c->fidelity);
    const aml_param_spec *specs = sp->specs[k];
    size_t n = sp->n_specs[k];
    for (size_t i = 0; i < c->params.n; i++) {
        const aml_param_spec *s = find_spec(specs, n, c->params.name[i]);
        cr_assert(s, "%s: unknown parameter %s", c->kind, c->params.name[i]);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(c->params.name[j], c->params.name[i]);
        double v = c->params.value[i];
        cr_assert(isfinite(v));
        if (s->type == AML_PARAM_CHOICE) {
            cr_assert(v >= 0 && v < (double)n_choices(s->choices) && v == floor(v),
                      "%s=%g", s->name, v);
        } else {
            cr_assert(v >= s->lo && v <= s->hi, "%s=%g outside %g..%g", s->name, v, s->lo, s->hi);
            if (s->type == AML_PARAM_INT)
                cr_assert_eq(v, floor(v), "%s=%g not an integer", s->name, v);
        }
    }
    for (size_t j = 0; j < n; j++) {
        double v;
        bool present = has_param(&c->params, specs[j].name, &v);
        bool want = !specs[j].condition || condition_holds(specs, n, &c->params, specs[j].condition);
        cr_assert_eq(present, want, "%s: %s %s (condition %s)", c->kind, specs[j].name,
                     present ? "present" : "absent",
                     specs[j].condition ? specs[j].condition : "none");
    }
}

/* ---- drivers ---- */

static void *make(const amlp_strategy_ops *ops, const amlp_space *sp, uint64_t seed)
{
    void *st = NULL;
    aml_error err = {0};
    cr_assert_eq(ops->create(sp, seed, &st, &err), 0, "%s: %s", ops->name, err.text);
    cr_assert(st);
    return st;
}

/* 500 asks with random tells (some failures), every configuration valid. */
static void run_valid(const amlp_strategy_ops *ops, const amlp_space *sp, uint64_t seed)
{
    void *st = make(ops, sp, seed);
    uint64_t rng = seed * 7 + 1;
    for (int i = 0; i < 500; i++) {
        amlp_config c;
        int rc = ops->ask(st, &c);
        if (rc == AML_EEMPTY)
            break;
        cr_assert_eq(rc, 0, "%s ask %d: %d", ops->name, i, rc);
        check_valid(sp, &c);
        double u = amlp_rng_unit(&rng);
        ops->tell(st, &c, u < 0.05 ? INFINITY : u, u * 0.1);
    }
    ops->destroy(st);
}

static uint64_t config_hash(const amlp_config *c)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *k = c->kind; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    for (size_t i = 0; i < c->params.n; i++) {
        uint64_t b;
        memcpy(&b, &c->params.value[i], sizeof b);
        for (const char *k = c->params.name[i]; *k; k++)
            h = (h ^ (unsigned char)*k) * 1099511628211ull;
        h = (h ^ b) * 1099511628211ull;
    }
    uint64_t f;
    memcpy(&f, &c->fidelity, sizeof f);
    return (h ^ f) * 1099511628211ull;
}

/* A loss that depends only on the configuration (so equal sequences get
 * equal tells). */
static double hashed_loss(const amlp_config *c)
{
    uint64_t h = config_hash(c);
    if (h % 23 == 0)
        return INFINITY;
    return (double)(h >> 11) * 0x1.0p-53;
}

static void run_sequence(const amlp_strategy_ops *ops, const amlp_space *sp, uint64_t seed,
                         uint64_t *seq, int n)
{
    void *st = make(ops, sp, seed);
    for (int i = 0; i < n; i++) {
        amlp_config c;
        int rc = ops->ask(st, &c);
        if (rc == AML_EEMPTY) {
            seq[i] = 0;
            continue;
        }
        cr_assert_eq(rc, 0);
        seq[i] = config_hash(&c);
        ops->tell(st, &c, hashed_loss(&c), 0.01);
    }
    ops->destroy(st);
}

static void run_determinism(const amlp_strategy_ops *ops)
{
    enum { N = 200 };
    uint64_t a[N], b[N], c[N];
    run_sequence(ops, &space_ab, 42, a, N);
    run_sequence(ops, &space_ab, 42, b, N);
    run_sequence(ops, &space_ab, 43, c, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(a[i], b[i], "%s: ask %d differs for the same seed", ops->name, i);
    int same = 0;
    for (int i = 0; i < N; i++)
        same += a[i] == c[i];
    cr_assert_lt(same, N / 2, "%s: another seed gives the same sequence", ops->name);
}

/* Best bowl loss after n full-fidelity evaluations. */
static double best_after(const amlp_strategy_ops *ops, uint64_t seed, int n)
{
    void *st = make(ops, &space_bowl, seed);
    double best = INFINITY;
    int done = 0;
    for (int guard = 0; done < n && guard < 100 * n; guard++) {
        amlp_config c;
        if (ops->ask(st, &c) != 0)
            break;
        double l = bowl_loss(&c);
        if (c.fidelity >= 1) {
            done++;
            if (l < best)
                best = l;
        }
        ops->tell(st, &c, l, c.fidelity);
    }
    ops->destroy(st);
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define SEEDS 15
static double median_best(const amlp_strategy_ops *ops, int n)
{
    double v[SEEDS];
    for (int s = 0; s < SEEDS; s++)
        v[s] = best_after(ops, 1000 + (uint64_t)s * 7919, n);
    qsort(v, SEEDS, sizeof *v, cmp_double);
    fprintf(stderr, "[strategies] %-10s median best after %d trials: %.5f\n", ops->name, n,
            v[SEEDS / 2]);
    return v[SEEDS / 2];
}

/* The real learner spaces. */
static void run_real(const amlp_strategy_ops *ops)
{
    const char *const *kinds = aml_learner_kinds();
    const char *names[16];
    const aml_param_spec *specs[16];
    size_t n[16], nk = 0;
    for (; kinds[nk] && nk < 16; nk++) {
        names[nk] = kinds[nk];
        specs[nk] = aml_learner_space(kinds[nk], &n[nk]);
        cr_assert(specs[nk]);
    }
    amlp_space sp = {nk, names, specs, n};
    run_valid(ops, &sp, 7);
    /* and every configuration is accepted by the learner itself */
    void *st = make(ops, &sp, 8);
    for (int i = 0; i < 100; i++) {
        amlp_config c;
        if (ops->ask(st, &c) == AML_EEMPTY)
            break;
        aml_learner *l = NULL;
        aml_error err = {0};
        cr_assert_eq(aml_learner_new(c.kind, &c.params, &l, &err), 0, "%s: %s", c.kind, err.text);
        aml_learner_free(l);
        ops->tell(st, &c, hashed_loss(&c), 0.1);
    }
    ops->destroy(st);
}

#define STRATEGY_TESTS(NAME)                                                                 \
    Test(NAME, valid_configurations) { run_valid(&amlp_strategy_##NAME, &space_ab, 1); }    \
    Test(NAME, valid_real_spaces) { run_real(&amlp_strategy_##NAME); }                      \
    Test(NAME, valid_staged_space) { run_valid(&amlp_strategy_##NAME, &space_net, 2); }     \
    Test(NAME, deterministic) { run_determinism(&amlp_strategy_##NAME); }                   \
    Test(NAME, empty_space_is_an_error)                                                      \
    {                                                                                        \
        amlp_space empty = {0, NULL, NULL, NULL};                                            \
        void *st = (void *)1;                                                                \
        aml_error err = {0};                                                                 \
        cr_assert_eq(amlp_strategy_##NAME.create(&empty, 1, &st, &err), AML_EINVAL);         \
        cr_assert_null(st);                                                                  \
        cr_assert_str_eq(amlp_strategy_##NAME.name, #NAME);                                  \
    }

/* ---- the helpers ---- */

Test(space, splitmix64_reference)
{
    /* splitmix64 from state 0: the published first outputs */
    uint64_t s = 0;
    cr_assert_eq(amlp_split_next(&s), 0xE220A8397B1DCDAFull);
    cr_assert_eq(amlp_split_next(&s), 0x6E789E6AA1B965F4ull);
    double u = amlp_rng_unit(&s);
    cr_assert(u >= 0 && u < 1);
}

Test(space, sample_and_clamp)
{
    uint64_t rng = 3;
    int low = 0;
    for (int i = 0; i < 4000; i++) {
        double x = amlp_space_sample(&spec_a[0], &rng);
        cr_assert(x >= 1e-3 && x <= 1e3);
        low += x < 1;   /* log scale: half below the geometric middle */
        double n = amlp_space_sample(&spec_a[2], &rng);
        cr_assert(n >= 1 && n <= 100 && n == floor(n));
        double c = amlp_space_sample(&spec_a[3], &rng);
        cr_assert(c == 0 || c == 1 || c == 2);
        double f = amlp_space_sample(&spec_a[5], &rng);
        cr_assert(f == 0 || f == 1);
    }
    cr_assert(low > 1800 && low < 2200, "%d", low);
    cr_assert_eq(amlp_space_clamp(&spec_a[0], 1e9), 1e3);
    cr_assert_eq(amlp_space_clamp(&spec_a[0], -1), 1e-3);
    cr_assert_eq(amlp_space_clamp(&spec_a[2], 7.6), 8);
    cr_assert_eq(amlp_space_clamp(&spec_a[2], 0), 1);
    cr_assert_eq(amlp_space_clamp(&spec_a[3], 5), 2);
    cr_assert_eq(amlp_space_clamp(&spec_a[3], -2), 0);
    cr_assert_eq(amlp_space_clamp(&spec_a[1], NAN), 0);
    cr_assert_float_eq(amlp_spec_from_unit(&spec_a[0], 0.5), 1, 1e-9);
    cr_assert_float_eq(amlp_spec_to_unit(&spec_a[0], 10), 4.0 / 6.0, 1e-9);
}

Test(space, conditions)
{
    amlp_point p;
    amlp_point_default(&space_ab, 0, &p);
    cr_assert_not(amlp_point_active(&space_ab, &p, 4));   /* c=p */
    p.v[3] = 1;
    cr_assert(amlp_point_active(&space_ab, &p, 4));       /* c=q */
    cr_assert_not(amlp_point_active(&space_ab, &p, 6));   /* flag=0 */
    p.v[5] = 1;
    cr_assert(amlp_point_active(&space_ab, &p, 6));
    amlp_config c;
    amlp_point_to_config(&space_ab, &p, 1, &c);
    cr_assert_eq(c.params.n, 7);
    amlp_point q;
    cr_assert_eq(amlp_point_from_config(&space_ab, &c, &q), 0);
    cr_assert_eq(amlp_point_hash(&space_ab, &p), amlp_point_hash(&space_ab, &q));
    /* an inactive dimension does not change the hash */
    p.v[5] = 0;
    q = p;
    q.v[6] = 3;
    cr_assert_eq(amlp_point_hash(&space_ab, &p), amlp_point_hash(&space_ab, &q));
}

Test(space, at_least_conditions)
{
    amlp_point p;
    amlp_point_default(&space_net, 0, &p);
    for (int stages = 1; stages <= 4; stages++) {
        p.v[1] = stages;
        cr_assert_eq(amlp_point_active(&space_net, &p, 4), stages >= 3, "stages=%d", stages);
        cr_assert_eq(amlp_point_active(&space_net, &p, 5), stages >= 3, "stages=%d", stages);
        cr_assert_eq(amlp_point_active(&space_net, &p, 7), stages >= 4, "stages=%d", stages);
        cr_assert(amlp_point_active(&space_net, &p, 2));
    }
    /* a chain: s3_se needs s3_block=residual, which needs stages>=3 */
    p.v[5] = 1;
    p.v[1] = 3;
    cr_assert(amlp_point_active(&space_net, &p, 6));
    p.v[1] = 2;
    cr_assert_not(amlp_point_active(&space_net, &p, 6));
    amlp_config c;
    amlp_point_to_config(&space_net, &p, 1, &c);
    cr_assert_eq(c.params.n, 5, "width stages s1_blocks s1_kernel lr: %zu", c.params.n);
    /* an inactive stage does not change the hash; an active one does */
    amlp_point q = p;
    q.v[4] = 3;
    cr_assert_eq(amlp_point_hash(&space_net, &p), amlp_point_hash(&space_net, &q));
    p.v[1] = q.v[1] = 3;
    cr_assert_neq(amlp_point_hash(&space_net, &p), amlp_point_hash(&space_net, &q));
    /* a malformed or non-numeric bound never holds */
    static const aml_param_spec bad[] = {
        {"stages", AML_PARAM_INT, 1, 4, false, NULL, 4, 4, NULL, ""},
        {"x", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "stages>=three", ""},
        {"y", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "stages>=", ""},
        {"z", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "nosuch>=1", ""},
        {"w", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "stages>=4", ""},
    };
    static const char *const kinds_bad[] = {"bad"};
    static const aml_param_spec *const specs_bad[] = {bad};
    static const size_t n_bad[] = {5};
    amlp_space sb = {1, kinds_bad, specs_bad, n_bad};
    amlp_point_default(&sb, 0, &p);
    cr_assert_not(amlp_point_active(&sb, &p, 1));
    cr_assert_not(amlp_point_active(&sb, &p, 2));
    cr_assert_not(amlp_point_active(&sb, &p, 3));
    cr_assert(amlp_point_active(&sb, &p, 4));
}

Test(space, hashset)
{
    amlp_hashset s = {0};
    for (uint64_t i = 0; i < 1000; i++)
        cr_assert_eq(amlp_hashset_add(&s, i * 0x9E3779B97F4A7C15ull), 1);
    for (uint64_t i = 0; i < 1000; i++) {
        cr_assert(amlp_hashset_has(&s, i * 0x9E3779B97F4A7C15ull));
        cr_assert_eq(amlp_hashset_add(&s, i * 0x9E3779B97F4A7C15ull), 0);
    }
    cr_assert_not(amlp_hashset_has(&s, 12345));
    amlp_hashset_free(&s);
}

/* ---- random ---- */

STRATEGY_TESTS(random)

Test(random, no_repeats)
{
    void *st = make(&amlp_strategy_random, &space_ab, 5);
    amlp_hashset seen = {0};
    for (int i = 0; i < 300; i++) {
        amlp_config c;
        cr_assert_eq(amlp_strategy_random.ask(st, &c), 0);
        cr_assert_eq(amlp_hashset_add(&seen, config_hash(&c)), 1, "repeat at %d", i);
    }
    amlp_hashset_free(&seen);
    amlp_strategy_random.destroy(st);
}

Test(random, bowl_baseline)
{
    double m = median_best(&amlp_strategy_random, 60);
    cr_assert(m > 0 && m < 1, "%g", m);
}

/* ---- evolution ---- */

STRATEGY_TESTS(evolution)

Test(evolution, valid_with_sizes)
{
    /* told sizes (NSGA-II selection), on the staged and the plain spaces */
    const amlp_space *spaces[] = {&space_net, &space_ab};
    for (int k = 0; k < 2; k++) {
        void *st = make(&amlp_strategy_evolution, spaces[k], 3);
        uint64_t rng = 17;
        for (int i = 0; i < 500; i++) {
            amlp_config c;
            cr_assert_eq(amlp_strategy_evolution.ask(st, &c), 0);
            check_valid(spaces[k], &c);
            double u = amlp_rng_unit(&rng), size = 1e3 * amlp_rng_unit(&rng);
            if (i % 7 == 3)
                amlp_strategy_evolution.tell(st, &c, u, 0.1);   /* a size unknown */
            else
                amlp_strategy_evolution.tell_size(st, &c, u < 0.05 ? INFINITY : u,
                                                  i % 11 == 0 ? NAN : size, 0.1);
        }
        amlp_strategy_evolution.destroy(st);
    }
}

Test(evolution, beats_random_on_the_bowl)
{
    double r = median_best(&amlp_strategy_random, 60);
    double e = median_best(&amlp_strategy_evolution, 60);
    cr_assert_lt(e, r, "evolution %g vs random %g", e, r);
}

/* ---- bayes ---- */

STRATEGY_TESTS(bayes)

Test(bayes, beats_random_on_the_bowl)
{
    double r = median_best(&amlp_strategy_random, 60);
    double b = median_best(&amlp_strategy_bayes, 60);
    cr_assert_lt(b, r, "bayes %g vs random %g", b, r);
}

Test(bayes, prefers_the_better_kind)
{
    /* kind "bad" always fails (INFINITY): the bandit moves to "good" */
    void *st = make(&amlp_strategy_bayes, &space_gb, 9);
    int late_b = 0;
    for (int i = 0; i < 120; i++) {
        amlp_config c;
        cr_assert_eq(amlp_strategy_bayes.ask(st, &c), 0);
        bool is_b = strcmp(c.kind, "good") == 0;
        double loss = is_b ? 0.1 + 0.01 * aml_params_get(&c.params, "c", 0) : INFINITY;
        if (i >= 60)
            late_b += is_b;
        amlp_strategy_bayes.tell(st, &c, loss, 0.1);
    }
    amlp_strategy_bayes.destroy(st);
    cr_assert_gt(late_b, 40, "%d of the last 60 asks on the kind that works", late_b);
}

/* ---- hyperband ---- */

STRATEGY_TESTS(hyperband)

Test(hyperband, promotes_the_best_of_each_rung)
{
    /* first bracket: 27 at 1/27, the best 9 at 1/9, best 3 at 1/3, best 1 at 1 */
    void *st = make(&amlp_strategy_hyperband, &space_bowl, 3);
    static const int n_rung[] = {27, 9, 3, 1};
    double prev_loss[27];
    int n_prev = 0;
    for (int r = 0; r < 4; r++) {
        double cur_loss[27];
        for (int i = 0; i < n_rung[r]; i++) {
            amlp_config c;
            cr_assert_eq(amlp_strategy_hyperband.ask(st, &c), 0);
            cr_assert_float_eq(c.fidelity, pow(3, r - 3), 1e-12, "rung %d fidelity %g", r,
                               c.fidelity);
            double l = bowl_loss(&c);
            cur_loss[i] = l;
            if (r > 0) {
                /* it is among the n_rung[r] best of the previous rung */
                int better = 0;
                for (int j = 0; j < n_prev; j++)
                    better += prev_loss[j] < l;
                cr_assert_lt(better, n_rung[r], "rung %d: promoted a config ranked %d", r, better);
            }
            amlp_strategy_hyperband.tell(st, &c, l + 0.01 * (1 - c.fidelity), c.fidelity);
        }
        memcpy(prev_loss, cur_loss, sizeof cur_loss);
        n_prev = n_rung[r];
    }
    /* next: bracket s=2 starts 12 configurations at 1/9 */
    for (int i = 0; i < 12; i++) {
        amlp_config c;
        cr_assert_eq(amlp_strategy_hyperband.ask(st, &c), 0);
        cr_assert_float_eq(c.fidelity, 1.0 / 9, 1e-12);
        amlp_strategy_hyperband.tell(st, &c, bowl_loss(&c), 0.1);
    }
    amlp_config c;
    cr_assert_eq(amlp_strategy_hyperband.ask(st, &c), 0);
    cr_assert_float_eq(c.fidelity, 1.0 / 3, 1e-12);
    amlp_strategy_hyperband.destroy(st);
}

Test(hyperband, more_fidelity_to_better_configs)
{
    /* over many brackets, the total fidelity a configuration received grows
     * with its quality: the top quarter by loss gets several times the mean
     * effort of the bottom quarter */
    void *st = make(&amlp_strategy_hyperband, &space_bowl, 11);
    enum { N = 400 };
    double loss[N], effort[N];
    uint64_t key[N];
    int n = 0;
    for (int i = 0; i < 600; i++) {
        amlp_config c;
        cr_assert_eq(amlp_strategy_hyperband.ask(st, &c), 0);
        double l = bowl_loss(&c);
        amlp_config k = c;
        k.fidelity = 1;
        uint64_t h = config_hash(&k);
        int j = 0;
        while (j < n && key[j] != h)
            j++;
        if (j == n && n < N) {
            key[n] = h;
            loss[n] = l;
            effort[n++] = 0;
        }
        if (j < N)
            effort[j] += c.fidelity;
        amlp_strategy_hyperband.tell(st, &c, l, c.fidelity);
    }
    amlp_strategy_hyperband.destroy(st);
    double sorted[N];
    memcpy(sorted, loss, (size_t)n * sizeof *loss);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    double q1 = sorted[n / 4], q3 = sorted[3 * n / 4];
    double top = 0, bottom = 0;
    int nt = 0, nb = 0;
    for (int i = 0; i < n; i++) {
        if (loss[i] <= q1) {
            top += effort[i];
            nt++;
        } else if (loss[i] >= q3) {
            bottom += effort[i];
            nb++;
        }
    }
    top /= nt;
    bottom /= nb;
    cr_assert_gt(top, 2 * bottom, "mean effort top quarter %g, bottom quarter %g", top, bottom);
}

/* ---- rl ---- */

STRATEGY_TESTS(rl)

Test(rl, policy_concentrates_on_the_better_kind)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        void *st = make(&amlp_strategy_rl, &space_gb, seed);
        uint64_t noise = seed;
        int late_good = 0;
        for (int i = 0; i < 300; i++) {
            amlp_config c;
            cr_assert_eq(amlp_strategy_rl.ask(st, &c), 0);
            bool good = strcmp(c.kind, "good") == 0;
            double loss = (good ? 0.2 : 0.5) + 0.1 * amlp_rng_unit(&noise);
            if (i >= 200)
                late_good += good;
            amlp_strategy_rl.tell(st, &c, i % 17 == 0 ? INFINITY : loss, 0.1);
        }
        amlp_strategy_rl.destroy(st);
        cr_assert_gt(late_good, 85, "seed %d: %d of the last 100 asks on the better kind",
                     (int)seed, late_good);
    }
}

Test(rl, bowl)
{
    double r = median_best(&amlp_strategy_random, 60);
    double l = median_best(&amlp_strategy_rl, 60);
    cr_assert(l < 10 * r, "rl %g vs random %g", l, r);
}

/* ---- grid ---- */

STRATEGY_TESTS(grid)

Test(grid, coarse_grid_then_refines_to_the_optimum)
{
    void *st = make(&amlp_strategy_grid, &space_bowl, 4);
    /* the coarse grid first: the 9 points of levels {0, 0.5, 1} */
    for (int i = 0; i < 9; i++) {
        amlp_config c;
        cr_assert_eq(amlp_strategy_grid.ask(st, &c), 0);
        for (size_t j = 0; j < 2; j++) {
            double u = amlp_spec_to_unit(&spec_bowl[j], c.params.value[j]);
            cr_assert(fabs(u) < 1e-9 || fabs(u - 0.5) < 1e-9 || fabs(u - 1) < 1e-9, "u=%g", u);
        }
        amlp_strategy_grid.tell(st, &c, bowl_loss(&c), 0.1);
    }
    amlp_strategy_grid.destroy(st);
    double m = median_best(&amlp_strategy_grid, 60);
    cr_assert_lt(m, 0.01, "grid median best %g", m);
    cr_assert_lt(best_after(&amlp_strategy_grid, 5, 150), 1e-3);
}

Test(grid, collapses_to_empty)
{
    /* a space of two integers 1..3 and a choice: 18 points, then nothing */
    static const aml_param_spec sp_small[] = {
        {"i", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, NULL, ""},
        {"c", AML_PARAM_CHOICE, 0, 0, false, "a|b", 0, 0, NULL, ""},
        {"j", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, NULL, ""},
    };
    static const char *const kinds[] = {"s"};
    static const aml_param_spec *const specs[] = {sp_small};
    static const size_t n[] = {3};
    amlp_space space = {1, kinds, specs, n};
    void *st = make(&amlp_strategy_grid, &space, 1);
    amlp_hashset seen = {0};
    int asked = 0;
    for (; asked < 100; asked++) {
        amlp_config c;
        int rc = amlp_strategy_grid.ask(st, &c);
        if (rc == AML_EEMPTY)
            break;
        cr_assert_eq(rc, 0);
        cr_assert_eq(amlp_hashset_add(&seen, config_hash(&c)), 1, "repeat at %d", asked);
        amlp_strategy_grid.tell(st, &c, (double)asked, 0.1);
    }
    cr_assert_eq(asked, 18);
    amlp_hashset_free(&seen);
    amlp_strategy_grid.destroy(st);
}
