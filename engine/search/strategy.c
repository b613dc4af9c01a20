/*
 * strategy.c — the registry of search strategies, found by name.  (The
 * helpers declared in strategy.h live with the space code in
 * engine/search/strategy_space.c.)
 */
#include "search/search_internal.h"

#include <string.h>
#include <strings.h>

/* The registry: every strategy, found by name.  Each lives in its own file;
 * "auto" is the search's own (engine/search/search_auto.c).  Adding one is
 * one line in each list. */
extern const amlp_strategy_ops amlp_strategy_auto, amlp_strategy_grid, amlp_strategy_random,
    amlp_strategy_bayes, amlp_strategy_evolution, amlp_strategy_hyperband, amlp_strategy_rl;

static const amlp_strategy_ops *const all_strategies[] = {
    &amlp_strategy_auto, &amlp_strategy_grid, &amlp_strategy_random, &amlp_strategy_bayes,
    &amlp_strategy_evolution, &amlp_strategy_hyperband, &amlp_strategy_rl,
};

const amlp_strategy_ops *amlp_strategy_find(const char *name)
{
    size_t n = sizeof all_strategies / sizeof all_strategies[0];
    for (size_t i = 0; name && i < n; i++)
        if (strcasecmp(all_strategies[i]->name, name) == 0)
            return all_strategies[i];
    return NULL;
}
