/*
 * strategy.h — the interface every search strategy implements (internal to
 * the engine; the search driver in engine/search*.c uses it).
 *
 * A strategy proposes configurations (a learner kind, its hyper-parameters and
 * a fidelity) and learns from their results.  It never fits anything itself:
 * the driver evaluates each configuration it is asked for and tells the
 * strategy the loss (lower is better) and what it cost.  Strategies are
 * deterministic for a given seed and sequence of results.
 */
#ifndef AMLP_STRATEGY_H
#define AMLP_STRATEGY_H

#include "aml.h"

/* The joint search space: the learner kinds in play and their spaces (from
 * aml_learner_space). */
typedef struct amlp_space {
    size_t n_kinds;
    const char *const *kinds;
    const aml_param_spec *const *specs;   /* specs[k][0..n_specs[k]) */
    const size_t *n_specs;
} amlp_space;

/* One configuration.  `fidelity` in (0, 1]: the share of the full training
 * effort (boosting rounds, epochs or rows; the driver maps it per kind); 1 is
 * a full evaluation.  `kind` points into the space. */
typedef struct amlp_config {
    const char *kind;
    aml_params params;
    double fidelity;
} amlp_config;

typedef struct amlp_strategy_ops {
    const char *name;   /* "grid", "random", "bayes", "evolution", "hyperband", "rl" */
    /* New strategy state over `space` (borrowed; outlives the state). */
    int (*create)(const amlp_space *space, uint64_t seed, void **state, aml_error *err);
    /* The next configuration to evaluate.  Returns 0, or AML_EEMPTY when the
     * strategy has nothing left to try (an exhausted grid). */
    int (*ask)(void *state, amlp_config *out);
    /* The result of a configuration returned by ask: `loss` (lower is better;
     * INFINITY for a failed fit) and its cost in seconds. */
    void (*tell)(void *state, const amlp_config *cfg, double loss, double cost_seconds);
    void (*destroy)(void *state);
} amlp_strategy_ops;

/* The strategies (engine/strategy_*.c), found by name. */
const amlp_strategy_ops *amlp_strategy_find(const char *name);

/* Helpers every strategy uses (engine/search/strategy_space.c): sample a value of a
 * spec uniformly (on the log scale when spec->log), from a seeded generator
 * state; clamp/round a value into the spec's range and type; splitmix64. */
double amlp_space_sample(const aml_param_spec *spec, uint64_t *rng);
double amlp_space_clamp(const aml_param_spec *spec, double v);
uint64_t amlp_split_next(uint64_t *state);    /* splitmix64 */
double amlp_rng_unit(uint64_t *state);        /* uniform in [0, 1) */

#endif
