/*
 * strategy_internal.h — helpers shared by the search strategies
 * (engine/strategy_*.c): points of the joint space, the unit scale, spec
 * conditions, a set of configuration hashes, and the strategies' ops tables.
 *
 * A point is a learner kind (its index in the space) and a value for every
 * dimension of that kind, in the spec's natural units (CHOICE: the index).
 * Dimensions whose condition does not hold are carried along but never
 * reach a configuration and never count in its hash.
 *
 * The unit scale maps a numeric dimension to [0, 1], linearly or on the log
 * scale (spec->log with lo > 0); models (TPE, mutation, grids, bins) work on
 * it.
 */
#ifndef AMLP_STRATEGY_INTERNAL_H
#define AMLP_STRATEGY_INTERNAL_H

#include "search/strategy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const amlp_strategy_ops amlp_strategy_grid;
extern const amlp_strategy_ops amlp_strategy_random;
extern const amlp_strategy_ops amlp_strategy_bayes;
extern const amlp_strategy_ops amlp_strategy_evolution;
extern const amlp_strategy_ops amlp_strategy_hyperband;
extern const amlp_strategy_ops amlp_strategy_rl;

typedef struct amlp_point {
    size_t kind;
    double v[AML_PARAMS_MAX];
} amlp_point;

/* ---- random numbers ---- */
/* splitmix64 (strategy.h's amlp_rng_next; that name is taken in the library
 * by nn_rng.c's xoshiro256** with an amlp_rng * argument). */
uint64_t amlp_split_next(uint64_t *state);
double amlp_split_normal(uint64_t *rng);                 /* standard normal */
size_t amlp_split_index(uint64_t *rng, size_t n);        /* uniform in [0, n), n > 0 */

/* ---- specs ---- */
size_t amlp_spec_n_choices(const aml_param_spec *spec);   /* CHOICE; 1 at least */
/* The i-th choice's name into buf (cap bytes, NUL-terminated). */
void amlp_spec_choice_name(const aml_param_spec *spec, size_t i, char *buf, size_t cap);
bool amlp_spec_is_numeric(const aml_param_spec *spec);    /* INT or REAL */
double amlp_spec_to_unit(const aml_param_spec *spec, double v);
double amlp_spec_from_unit(const aml_param_spec *spec, double u);  /* clamped */

/* ---- points ---- */
/* 0, or AML_EINVAL (filling err) for a space with no kinds or broken entries. */
int amlp_space_check(const amlp_space *space, aml_error *err);
size_t amlp_space_dims(const amlp_space *space, size_t kind);   /* min(n_specs, MAX) */
/* Index of a kind in the space (pointer or name match), or SIZE_MAX. */
size_t amlp_space_kind_index(const amlp_space *space, const char *kind);
/* True when dimension j of p's kind is active (its condition holds). */
bool amlp_point_active(const amlp_space *space, const amlp_point *p, size_t j);
/* Every dimension of `kind` sampled uniformly (log scale where spec->log). */
void amlp_point_sample(const amlp_space *space, size_t kind, uint64_t *rng, amlp_point *p);
/* Every dimension at its default. */
void amlp_point_default(const amlp_space *space, size_t kind, amlp_point *p);
/* The configuration of p: the active dimensions, in spec order. */
void amlp_point_to_config(const amlp_space *space, const amlp_point *p, double fidelity,
                          amlp_config *out);
/* Back from a configuration (absent dimensions take their default).
 * Returns 0, or AML_EINVAL when the kind is not in the space. */
int amlp_point_from_config(const amlp_space *space, const amlp_config *cfg, amlp_point *p);
/* Hash of the kind and the active values. */
uint64_t amlp_point_hash(const amlp_space *space, const amlp_point *p);

/* ---- a set of 64-bit hashes (open addressing) ---- */
typedef struct amlp_hashset {
    uint64_t *slot;
    size_t cap, n;
} amlp_hashset;

bool amlp_hashset_has(const amlp_hashset *s, uint64_t h);
/* 1 when added, 0 when already there, AML_ENOMEM. */
int amlp_hashset_add(amlp_hashset *s, uint64_t h);
void amlp_hashset_free(amlp_hashset *s);

/* A loss for ordering: INFINITY for a failed fit (NAN counts as failed). */
static inline double amlp_loss_key(double loss)
{
    return loss == loss ? loss : __builtin_inf();
}

#endif
