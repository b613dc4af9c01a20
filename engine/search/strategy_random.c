/*
 * strategy_random.c — random search (Bergstra and Bengio 2012): a kind
 * uniformly, then every dimension of it uniformly (on the log scale where
 * spec->log), conditional dimensions only when their condition holds.
 * Configurations already proposed are resampled (up to 64 tries) so the
 * same one is not returned twice while the space has room.  Always at full
 * fidelity; tell() is ignored.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <string.h>

#define RANDOM_TRIES 64

typedef struct random_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
} random_state;

static int random_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    random_state *s = amlp_calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "random", "out of memory");
    s->space = space;
    s->rng = seed ^ 0x52414E444F4D0000ull;
    *state = s;
    return 0;
}

static int random_ask(void *state, amlp_config *out)
{
    random_state *s = state;
    amlp_point p;
    for (int t = 0; t < RANDOM_TRIES; t++) {
        size_t k = amlp_split_index(&s->rng, s->space->n_kinds);
        amlp_point_sample(s->space, k, &s->rng, &p);
        if (!amlp_hashset_has(&s->seen, amlp_point_hash(s->space, &p)))
            break;
    }
    if (amlp_hashset_add(&s->seen, amlp_point_hash(s->space, &p)) < 0)
        return AML_ENOMEM;
    amlp_point_to_config(s->space, &p, 1.0, out);
    return 0;
}

static void random_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)state;
    (void)cfg;
    (void)loss;
    (void)cost_seconds;
}

static void random_destroy(void *state)
{
    random_state *s = state;
    if (!s)
        return;
    amlp_hashset_free(&s->seen);
    amlp_free(s);
}

const amlp_strategy_ops amlp_strategy_random = {
    .name = "random",
    .create = random_create,
    .ask = random_ask,
    .tell = random_tell,
    .destroy = random_destroy,
};
