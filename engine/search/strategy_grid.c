/*
 * strategy_grid.c — grid search, coarse to fine (a pattern search in the
 * spirit of Hooke and Jeeves 1961 over a grid, as in the "coarse grid, then
 * finer grids around the best" practice of Hsu, Chang and Lin, "A Practical
 * Guide to Support Vector Classification", 2003).
 *
 * Coarse grid, per kind: 3 levels per numeric dimension (the ends and the
 * middle of its unit (log) scale), every choice; a conditional dimension
 * only counts where its condition holds (points differing only in an
 * inactive dimension are the same point and asked once; integer levels
 * that round together likewise).  The grid is enumerated lazily: kinds take
 * turns, and within a kind the points come in a seeded shuffled order (an
 * affine permutation of the mixed-radix index).
 *
 * Refinement: the best result not yet refined (failed fits never), with
 * step h on the unit scale (0.5 for coarse points), gets a local grid of
 * step h/2 around it — 3 levels per active numeric dimension, its choices
 * kept — up to GRID_LOCAL_MAX of its points (a seeded subset beyond that);
 * those points carry step h/2.  Refinement starts when the coarse grid is
 * exhausted, or alternates with it once GRID_COARSE_FIRST points per kind
 * have been asked (large spaces).  A point whose step would fall below
 * GRID_MIN_STEP is not refined; when nothing is left to refine and the
 * coarse grid is done, ask returns AML_EEMPTY.  Always at full fidelity.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

#define GRID_LOCAL_MAX 80
#define GRID_COARSE_FIRST 8
#define GRID_MIN_STEP (1.0 / 1024)
#define GRID_MAX_POINTS 1e7   /* keeps i * mult exact in a double */

typedef struct grid_rec {
    amlp_point p;
    uint64_t hash;
    double step, loss;
    bool told, refined;
} grid_rec;

typedef struct grid_kind {
    double total;          /* coarse points (mixed-radix size) */
    double mult, add;      /* the affine permutation */
    double pos;            /* coarse points visited */
    size_t radix[AML_PARAMS_MAX];
} grid_kind;

typedef struct grid_state {
    const amlp_space *space;
    uint64_t rng;
    amlp_hashset seen;
    grid_kind *kinds;
    size_t turn, coarse_asked, asks;
    grid_rec *rec;         /* asked points */
    size_t n_rec, cap_rec;
    amlp_point *queue;     /* refinement points waiting */
    double *queue_step;
    size_t q_head, q_n, q_cap;
} grid_state;

static double gcd(double a, double b)
{
    while (b > 0) {
        double t = fmod(a, b);
        a = b;
        b = t;
    }
    return a;
}

static int grid_create(const amlp_space *space, uint64_t seed, void **state, aml_error *err)
{
    *state = NULL;
    int rc = amlp_space_check(space, err);
    if (rc)
        return rc;
    grid_state *s = amlp_calloc(1, sizeof *s);
    if (s)
        s->kinds = amlp_calloc(space->n_kinds, sizeof *s->kinds);
    if (!s || !s->kinds) {
        amlp_free(s);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "grid", "out of memory");
    }
    s->space = space;
    s->rng = seed ^ 0x4752494400000000ull;
    for (size_t k = 0; k < space->n_kinds; k++) {
        grid_kind *g = &s->kinds[k];
        g->total = 1;
        for (size_t j = 0; j < amlp_space_dims(space, k); j++) {
            const aml_param_spec *spec = &space->specs[k][j];
            g->radix[j] = spec->type == AML_PARAM_CHOICE ? amlp_spec_n_choices(spec) : 3;
            if (g->total * (double)g->radix[j] <= GRID_MAX_POINTS)
                g->total *= (double)g->radix[j];
        }
        /* a multiplier coprime with the size, and an offset */
        g->mult = 1;
        if (g->total > 2)
            for (int t = 0; t < 64; t++) {
                double m = 1 + floor(amlp_rng_unit(&s->rng) * (g->total - 1));
                if (gcd(g->total, m) == 1) {
                    g->mult = m;
                    break;
                }
            }
        g->add = floor(amlp_rng_unit(&s->rng) * g->total);
    }
    s->turn = amlp_split_index(&s->rng, space->n_kinds);
    *state = s;
    return 0;
}

/* The i-th coarse point of kind k (in the shuffled order). */
static void coarse_point(grid_state *s, size_t k, double i, amlp_point *p)
{
    const amlp_space *sp = s->space;
    grid_kind *g = &s->kinds[k];
    double idx = fmod(fmod(i * g->mult, g->total) + g->add, g->total);
    amlp_point_default(sp, k, p);
    for (size_t j = 0; j < amlp_space_dims(sp, k); j++) {
        double r = (double)g->radix[j];
        double d = fmod(idx, r);
        idx = floor(idx / r);
        const aml_param_spec *spec = &sp->specs[k][j];
        p->v[j] = spec->type == AML_PARAM_CHOICE ? d : amlp_spec_from_unit(spec, d / 2);
    }
}

/* The next fresh coarse point, or false when the coarse grid is done. */
static bool next_coarse(grid_state *s, amlp_point *p)
{
    const amlp_space *sp = s->space;
    for (size_t tried = 0; tried < sp->n_kinds;) {
        size_t k = s->turn;
        grid_kind *g = &s->kinds[k];
        if (g->pos >= g->total) {
            s->turn = (s->turn + 1) % sp->n_kinds;
            tried++;
            continue;
        }
        coarse_point(s, k, g->pos, p);
        g->pos += 1;
        if (!amlp_hashset_has(&s->seen, amlp_point_hash(sp, p))) {
            s->turn = (s->turn + 1) % sp->n_kinds;
            return true;
        }
    }
    return false;
}

static int queue_push(grid_state *s, const amlp_point *p, double step)
{
    if (s->q_head + s->q_n == s->q_cap) {
        if (s->q_head > 0) {
            memmove(s->queue, s->queue + s->q_head, s->q_n * sizeof *s->queue);
            memmove(s->queue_step, s->queue_step + s->q_head, s->q_n * sizeof *s->queue_step);
            s->q_head = 0;
        }
        if (s->q_n == s->q_cap) {
            size_t cap = s->q_cap ? s->q_cap * 2 : 128;
            amlp_point *q = amlp_realloc(s->queue, cap * sizeof *q);
            if (!q)
                return AML_ENOMEM;
            s->queue = q;
            double *qs = amlp_realloc(s->queue_step, cap * sizeof *qs);
            if (!qs)
                return AML_ENOMEM;
            s->queue_step = qs;
            s->q_cap = cap;
        }
    }
    s->queue[s->q_head + s->q_n] = *p;
    s->queue_step[s->q_head + s->q_n] = step;
    s->q_n++;
    return 0;
}

/* Refine the best unrefined result.  Returns 1 when it queued points, 0
 * when nothing is left to refine, or AML_ENOMEM. */
static int refine(grid_state *s)
{
    const amlp_space *sp = s->space;
    for (;;) {
        grid_rec *best = NULL;
        for (size_t i = 0; i < s->n_rec; i++) {
            grid_rec *r = &s->rec[i];
            if (r->told && !r->refined && r->loss < INFINITY && (!best || r->loss < best->loss))
                best = r;
        }
        if (!best)
            return 0;
        best->refined = true;
        double h = best->step / 2;
        if (h < GRID_MIN_STEP)
            continue;
        size_t num[AML_PARAMS_MAX], nn = 0;
        for (size_t j = 0; j < amlp_space_dims(sp, best->p.kind); j++)
            if (sp->specs[best->p.kind][j].type != AML_PARAM_CHOICE &&
                amlp_point_active(sp, &best->p, j))
                num[nn++] = j;
        double total = pow(3, (double)nn);
        bool all = total - 1 <= GRID_LOCAL_MAX;
        size_t count = all ? (size_t)total : GRID_LOCAL_MAX, queued = 0;
        for (size_t c = 0; c < count; c++) {
            amlp_point p = best->p;
            double idx = all ? (double)c : floor(amlp_rng_unit(&s->rng) * total);
            for (size_t d = 0; d < nn; d++) {
                const aml_param_spec *spec = &sp->specs[p.kind][num[d]];
                double level = fmod(idx, 3) - 1;
                idx = floor(idx / 3);
                p.v[num[d]] = amlp_spec_from_unit(spec, amlp_spec_to_unit(spec, p.v[num[d]]) + level * h);
            }
            if (amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p)))
                continue;
            if (queue_push(s, &p, h) < 0)
                return AML_ENOMEM;
            queued++;
        }
        if (queued)
            return 1;
    }
}

static int record(grid_state *s, const amlp_point *p, double step)
{
    if (s->n_rec == s->cap_rec) {
        size_t cap = s->cap_rec ? s->cap_rec * 2 : 64;
        grid_rec *r = amlp_realloc(s->rec, cap * sizeof *r);
        if (!r)
            return AML_ENOMEM;
        s->rec = r;
        s->cap_rec = cap;
    }
    uint64_t h = amlp_point_hash(s->space, p);
    if (amlp_hashset_add(&s->seen, h) < 0)
        return AML_ENOMEM;
    s->rec[s->n_rec++] = (grid_rec){*p, h, step, INFINITY, false, false};
    return 0;
}

static int grid_ask(void *state, amlp_config *out)
{
    grid_state *s = state;
    const amlp_space *sp = s->space;
    amlp_point p;
    bool coarse_first = s->coarse_asked < GRID_COARSE_FIRST * sp->n_kinds || s->asks % 2 == 0;
    s->asks++;
    for (int pass = 0; pass < 2; pass++, coarse_first = !coarse_first) {
        if (coarse_first) {
            if (next_coarse(s, &p)) {
                s->coarse_asked++;
                int rc = record(s, &p, 0.5);
                if (rc)
                    return rc;
                amlp_point_to_config(sp, &p, 1.0, out);
                return 0;
            }
            continue;
        }
        for (;;) {
            while (s->q_n) {
                p = s->queue[s->q_head];
                double step = s->queue_step[s->q_head];
                s->q_head++;
                s->q_n--;
                if (amlp_hashset_has(&s->seen, amlp_point_hash(sp, &p)))
                    continue;
                int rc = record(s, &p, step);
                if (rc)
                    return rc;
                amlp_point_to_config(sp, &p, 1.0, out);
                return 0;
            }
            int rc = refine(s);
            if (rc < 0)
                return rc;
            if (rc == 0)
                break;
        }
    }
    return AML_EEMPTY;
}

static void grid_tell(void *state, const amlp_config *cfg, double loss, double cost_seconds)
{
    (void)cost_seconds;
    grid_state *s = state;
    amlp_point p;
    if (amlp_point_from_config(s->space, cfg, &p) != 0)
        return;
    uint64_t h = amlp_point_hash(s->space, &p);
    for (size_t i = s->n_rec; i-- > 0;)
        if (s->rec[i].hash == h && !s->rec[i].told) {
            s->rec[i].loss = amlp_loss_key(loss);
            s->rec[i].told = true;
            return;
        }
}

static void grid_destroy(void *state)
{
    grid_state *s = state;
    if (!s)
        return;
    amlp_hashset_free(&s->seen);
    amlp_free(s->kinds);
    amlp_free(s->rec);
    amlp_free(s->queue);
    amlp_free(s->queue_step);
    amlp_free(s);
}

const amlp_strategy_ops amlp_strategy_grid = {
    .name = "grid",
    .create = grid_create,
    .ask = grid_ask,
    .tell = grid_tell,
    .destroy = grid_destroy,
};
