/*
 * strategy_hyperband.c — Hyperband, after Li, Jamieson, DeSalvo,
 * Rostamizadeh and Talwalkar, "Hyperband: A Novel Bandit-Based Approach to
 * Hyperparameter Optimization" (JMLR 2017): brackets of successive halving
 * over the configuration's `fidelity`.
 *
 * With R = HB_R (the maximum over the minimum fidelity: fidelities go down
 * to 1/27) and eta = HB_ETA, s_max = log_eta(R) = 3.  Bracket s (s_max down
 * to 0, then again from s_max, forever) starts n = ceil((s_max + 1) /
 * (s + 1) * eta^s) random configurations at fidelity eta^-s; rung i has
 * floor(n eta^-i) configurations at fidelity eta^(i - s).  A rung is
 * promoted when all its results are in (synchronous successive halving):
 * its best floor(n_i / eta) by loss at that rung (failed fits last, ties by
 * ask order) go on to the next rung.  Brackets s = 3, 2, 1, 0 hold 27-9-3-1,
 * 12-4-1, 6-2 and 4 configurations.
 *
 * ask() hands out the next waiting configuration of the oldest bracket that
 * has one; when every open bracket waits for results, a new bracket opens
 * (so a parallel driver never stalls).  tell() matches the configuration
 * and fidelity to an asked entry of a bracket's current rung; other
 * results are ignored.  The driver maps fidelity to boosting rounds, epochs
 * or rows.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HB_R 27
#define HB_ETA 3
#define HB_SMAX 3
#define HB_TRIES 32

enum { HB_WAITING = 0, HB_ASKED, HB_TOLD };

typedef struct hb_entry {
    amlp_point p;
    uint64_t hash;
    double loss;
    size_t order;
    int state;
} hb_entry;

typedef struct hb_bracket {
    int s;                           /* HB_SMAX..0 */
    size_t rung;                     /* current rung 0..s */
    size_t n_rung[HB_SMAX + 1];      /* configurations per rung */
    hb_entry *e;                     /* the current rung's entries */
} hb_bracket;

typedef struct hb_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    hb_bracket **open;
    size_t n_open, cap_open;
    int next_s;
    size_t asked;
} hb_state;

static int hb_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    hb_state *s = amlp_calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "hyperband", "out of memory");
    s->space = space;
    s->rng = seed ^ 0x4859504552420000ull;
    s->next_s = HB_SMAX;
    *state = s;
    return 0;
}

static double ipow(double b, int e)
{
    double r = 1;
    for (int i = 0; i < (e < 0 ? -e : e); i++)
        r *= b;
    return e < 0 ? 1 / r : r;
}

static double rung_fidelity(const hb_bracket *b)
{
    return ipow(HB_ETA, (int)b->rung - b->s);
}

static void bracket_free(hb_bracket *b)
{
    if (b) {
        amlp_free(b->e);
        amlp_free(b);
    }
}

static hb_bracket *bracket_new(hb_state *s)
{
    const amlp_space *sp = s->space;
    hb_bracket *b = amlp_calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->s = s->next_s;
    s->next_s = s->next_s > 0 ? s->next_s - 1 : HB_SMAX;
    double n = ceil((double)(HB_SMAX + 1) / (double)(b->s + 1) * ipow(HB_ETA, b->s) - 1e-9);
    for (int i = 0; i <= b->s; i++) {
        double ni = floor(n * ipow(HB_ETA, -i) + 1e-9);
        b->n_rung[i] = ni < 1 ? 1 : (size_t)ni;
    }
    b->e = amlp_calloc(b->n_rung[0], sizeof *b->e);
    if (!b->e) {
        amlp_free(b);
        return NULL;
    }
    for (size_t i = 0; i < b->n_rung[0]; i++) {
        hb_entry *e = &b->e[i];
        for (int t = 0; t < HB_TRIES; t++) {
            amlp_point_sample(sp, amlp_split_index(&s->rng, sp->n_kinds), &s->rng, &e->p);
            e->hash = amlp_point_hash(sp, &e->p);
            if (!amlp_hashset_has(&s->seen, e->hash))
                break;
        }
        if (amlp_hashset_add(&s->seen, e->hash) < 0) {
            bracket_free(b);
            return NULL;
        }
    }
    return b;
}

static int hb_ask(void *state, amlp_config *out)
{
    hb_state *s = state;
    for (size_t i = 0; i < s->n_open; i++) {
        hb_bracket *b = s->open[i];
        for (size_t j = 0; j < b->n_rung[b->rung]; j++)
            if (b->e[j].state == HB_WAITING) {
                b->e[j].state = HB_ASKED;
                b->e[j].order = s->asked++;
                amlp_point_to_config(s->space, &b->e[j].p, rung_fidelity(b), out);
                return 0;
            }
    }
    if (s->n_open == s->cap_open) {
        size_t cap = s->cap_open ? s->cap_open * 2 : 8;
        hb_bracket **o = amlp_realloc(s->open, cap * sizeof *o);
        if (!o)
            return AML_ENOMEM;
        s->open = o;
        s->cap_open = cap;
    }
    hb_bracket *b = bracket_new(s);
    if (!b)
        return AML_ENOMEM;
    s->open[s->n_open++] = b;
    b->e[0].state = HB_ASKED;
    b->e[0].order = s->asked++;
    amlp_point_to_config(s->space, &b->e[0].p, rung_fidelity(b), out);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const hb_entry *x = a, *y = b;
    if (x->loss != y->loss)
        return x->loss < y->loss ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* All results of the current rung are in: promote its best, or close the
 * bracket (returns true when it is done). */
static bool promote(hb_bracket *b)
{
    size_t n = b->n_rung[b->rung];
    if ((int)b->rung == b->s)
        return true;
    qsort(b->e, n, sizeof *b->e, cmp_entry);
    b->rung++;
    for (size_t i = 0; i < b->n_rung[b->rung]; i++) {
        b->e[i].state = HB_WAITING;
        b->e[i].loss = 0;
    }
    return false;
}

static void hb_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    hb_state *s = state;
    amlp_point p;
    if (amlp_point_from_config(s->space, cfg, &p) != 0)
        return;
    uint64_t h = amlp_point_hash(s->space, &p);
    for (size_t i = 0; i < s->n_open; i++) {
        hb_bracket *b = s->open[i];
        if (fabs(rung_fidelity(b) - cfg->fidelity) > 1e-9 * rung_fidelity(b))
            continue;
        size_t n = b->n_rung[b->rung], told = 0;
        hb_entry *hit = NULL;
        for (size_t j = 0; j < n; j++) {
            if (!hit && b->e[j].state == HB_ASKED && b->e[j].hash == h)
                hit = &b->e[j];
            told += b->e[j].state == HB_TOLD;
        }
        if (!hit)
            continue;
        hit->loss = amlp_loss_key(loss);
        hit->state = HB_TOLD;
        if (told + 1 == n && promote(b)) {
            bracket_free(b);
            memmove(&s->open[i], &s->open[i + 1], (s->n_open - i - 1) * sizeof *s->open);
            s->n_open--;
        }
        return;
    }
}

static void hb_destroy(void *state)
{
    hb_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_open; i++)
        bracket_free(s->open[i]);
    amlp_free(s->open);
    amlp_hashset_free(&s->seen);
    amlp_free(s);
}

const amlp_strategy_ops amlp_strategy_hyperband = {
    .name = "hyperband",
    .create = hb_create,
    .ask = hb_ask,
    .tell = hb_tell,
    .destroy = hb_destroy,
};
