/* test_strategy_pareto.c — Criterion suite for the two-objective search
 * (engine/search/strategy_pareto.c, the NSGA-II selection of
 * strategy_evolution.c): the non-dominated front of a hand-made set (ties,
 * failed fits, NAN sizes), and evolution told sizes on ZDT1 (Zitzler, Deb
 * and Thiele 2000) against random search over the same 200 trials and
 * seeds: its front holds at least 4 points and a larger hypervolume;
 * NSGA-II selection is deterministic for a seed and only configurations of
 * the space come out. */
#include <criterion/criterion.h>

#include "aml.h"
#include "search/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- the front ---- */

Test(pareto, front_of_a_hand_made_set)
{
    static const double loss[] = {1, 2, 3, 2, 3, 1, 4, 0.5, NAN, INFINITY, 5, 0.5};
    static const double size[] = {5, 3, 1, 4, 3, 5, 1, 10, 0, 0, NAN, 10};
    /* (1,5) twice: ties, both on; (2,4) under (2,3); (3,3) under (2,3);
     * (4,1) under (3,1); failures never on (nor do they push (3,1) off);
     * (5,NAN) a NAN size counts as infinite: under (0.5,10) */
    static const bool want[] = {1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1};
    enum { N = sizeof loss / sizeof *loss };
    bool on[N];
    amlp_pareto_front(loss, size, N, on);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(on[i], want[i], "point %zu (%g, %g): %s", i, loss[i], size[i],
                     on[i] ? "on the front" : "off the front");
    cr_assert(amlp_pareto_dominates(1, 1, 1, 2));
    cr_assert(amlp_pareto_dominates(1, 1, 2, 1));
    cr_assert_not(amlp_pareto_dominates(1, 1, 1, 1));
    cr_assert_not(amlp_pareto_dominates(1, 2, 2, 1));
    cr_assert_not(amlp_pareto_dominates(INFINITY, 0, 1, 1));
    cr_assert_not(amlp_pareto_dominates(NAN, 0, 1, 1));
    cr_assert(amlp_pareto_dominates(1, 1, NAN, 2));
    cr_assert_not(amlp_pareto_dominates(1, 1, NAN, 0));   /* smaller, if failed */
    bool one;
    amlp_pareto_front((const double[]){INFINITY}, (const double[]){1}, 1, &one);
    cr_assert_not(one);
    amlp_pareto_front((const double[]){7}, (const double[]){NAN}, 1, &one);
    cr_assert(one);
}

/* ---- NSGA-II on ZDT1 ---- */

static const aml_param_spec spec_zdt[] = {
    {"x1", AML_PARAM_REAL, 0, 1, false, NULL, 0.5, 0.5, NULL, ""},
    {"x2", AML_PARAM_REAL, 0, 1, false, NULL, 0.5, 0.5, NULL, ""},
    {"x3", AML_PARAM_REAL, 0, 1, false, NULL, 0.5, 0.5, NULL, ""},
    {"x4", AML_PARAM_REAL, 0, 1, false, NULL, 0.5, 0.5, NULL, ""},
    {"x5", AML_PARAM_REAL, 0, 1, false, NULL, 0.5, 0.5, NULL, ""},
};
static const char *const kinds_zdt[] = {"zdt1"};
static const aml_param_spec *const specs_zdt[] = {spec_zdt};
static const size_t n_zdt[] = {5};
static const amlp_space space_zdt = {1, kinds_zdt, specs_zdt, n_zdt};

/* ZDT1: loss x1, size g (1 - sqrt(x1 / g)), g = 1 + 9 mean(x2..x5); the
 * front is g = 1, size = 1 - sqrt(loss). */
static void zdt1(const amlp_config *c, double *loss, double *size)
{
    double x1 = aml_params_get(&c->params, "x1", 0.5), g = 0;
    for (int i = 2; i <= 5; i++) {
        char name[4] = {'x', (char)('0' + i), 0, 0};
        g += aml_params_get(&c->params, name, 0.5);
    }
    g = 1 + 9 * g / 4;
    *loss = x1;
    *size = g * (1 - sqrt(x1 / g));
}

/* The 2-D hypervolume of the front of (loss, size) below the reference
 * point (rl, rs). */
static double hypervolume(const double *loss, const double *size, size_t n, double rl,
                          double rs)
{
    bool on[256];
    cr_assert_leq(n, 256);
    amlp_pareto_front(loss, size, n, on);
    /* sweep the front by increasing loss (sizes then decrease) */
    double hv = 0, last_size = rs;
    for (;;) {
        size_t at = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (on[i] && loss[i] < rl && size[i] < last_size &&
                (at == SIZE_MAX || loss[i] < loss[at]))
                at = i;
        if (at == SIZE_MAX)
            return hv;
        hv += (rl - loss[at]) * (last_size - size[at]);
        last_size = size[at];
        on[at] = false;
    }
}

/* n trials of ops (tell_size when it has it); OUT the results. */
static void run_zdt(const amlp_strategy_ops *ops, uint64_t seed, size_t n, double *loss,
                    double *size, uint64_t *hashes)
{
    void *st = NULL;
    aml_error err = {0};
    cr_assert_eq(ops->create(&space_zdt, seed, &st, &err), 0, "%s", err.text);
    for (size_t i = 0; i < n; i++) {
        amlp_config c;
        cr_assert_eq(ops->ask(st, &c), 0);
        cr_assert_eq(c.params.n, 5);
        zdt1(&c, &loss[i], &size[i]);
        if (hashes)
            hashes[i] = amlp_config_hash(&c);
        if (ops->tell_size)
            ops->tell_size(st, &c, i % 29 == 7 ? INFINITY : loss[i], size[i], 0.01);
        else
            ops->tell(st, &c, loss[i], 0.01);
        if (i % 29 == 7)
            loss[i] = INFINITY;   /* a failed fit now and then */
    }
    ops->destroy(st);
}

static size_t front_size(const double *loss, const double *size, size_t n)
{
    bool on[256];
    amlp_pareto_front(loss, size, n, on);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += on[i];
    return k;
}

Test(nsga2, spreads_over_the_front_and_beats_random)
{
    enum { N = 200 };
    cr_assert_not_null(amlp_strategy_evolution.tell_size);
    cr_assert_null(amlp_strategy_random.tell_size);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        double le[N], se[N], lr[N], sr[N];
        run_zdt(&amlp_strategy_evolution, seed * 31, N, le, se, NULL);
        run_zdt(&amlp_strategy_random, seed * 31, N, lr, sr, NULL);
        double he = hypervolume(le, se, N, 1.1, 11), hr = hypervolume(lr, sr, N, 1.1, 11);
        double te = hypervolume(le, se, N, 1.1, 1.1), tr = hypervolume(lr, sr, N, 1.1, 1.1);
        size_t fe = front_size(le, se, N), fr = front_size(lr, sr, N);
        fprintf(stderr,
                "[nsga2] seed %d: front %zu points, hypervolume %.3f (near the front %.3f); "
                "random %zu points, %.3f (%.3f)\n",
                (int)seed, fe, he, te, fr, hr, tr);
        cr_assert_geq(fe, 4, "seed %d: %zu points on the front", (int)seed, fe);
        cr_assert_gt(he, hr, "seed %d: hypervolume %g vs random %g", (int)seed, he, hr);
    }
}

Test(nsga2, deterministic_for_a_seed)
{
    enum { N = 120 };
    double l[N], s[N];
    uint64_t a[N], b[N], c[N];
    run_zdt(&amlp_strategy_evolution, 5, N, l, s, a);
    run_zdt(&amlp_strategy_evolution, 5, N, l, s, b);
    run_zdt(&amlp_strategy_evolution, 6, N, l, s, c);
    int same = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(a[i], b[i], "ask %d differs for the same seed", i);
        same += a[i] == c[i];
    }
    cr_assert_lt(same, N / 2);
}
