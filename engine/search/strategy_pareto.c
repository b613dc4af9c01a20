/*
 * strategy_pareto.c — two-objective helpers of the search strategies
 * (loss and size, both lower better): Pareto dominance and the
 * non-dominated front of a set of results, for NSGA-II selection
 * (strategy_evolution.c) and for reporting the trade-off.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>

static double size_key(double size)
{
    return size == size ? size : INFINITY;
}

bool amlp_pareto_dominates(double la, double sa, double lb, double sb)
{
    la = amlp_loss_key(la);
    lb = amlp_loss_key(lb);
    sa = size_key(sa);
    sb = size_key(sb);
    if (!isfinite(la))
        return false;
    return la <= lb && sa <= sb && (la < lb || sa < sb);
}

void amlp_pareto_front(const double *loss, const double *size, size_t n, bool *on_front)
{
    for (size_t i = 0; i < n; i++) {
        bool front = isfinite(amlp_loss_key(loss[i]));
        for (size_t j = 0; j < n && front; j++)
            if (j != i && amlp_pareto_dominates(loss[j], size[j], loss[i], size[i]))
                front = false;
        on_front[i] = front;
    }
}
