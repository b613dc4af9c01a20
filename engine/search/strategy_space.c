/*
 * strategy_space.c — the search space helpers every strategy uses: the
 * splitmix64 generator (Steele, Lea and Flood 2014), sampling and clamping a
 * hyper-parameter spec, the unit scale, spec conditions ("other=value" or
 * "other>=number"), points of the joint space and a set of configuration
 * hashes.
 */
#include "aml_base.h"
#include "search/search_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ---- */

/* splitmix64.  strategy.h declares it as amlp_rng_next, a name the
 * network code (nn_rng.c, xoshiro256**) already defines with another
 * signature; the strategies use it under this name. */
uint64_t amlp_split_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double amlp_rng_unit(uint64_t *state)
{
    return (double)(amlp_split_next(state) >> 11) * 0x1.0p-53;
}

double amlp_split_normal(uint64_t *rng)
{
    /* Box-Muller, one value per call (deterministic consumption). */
    double u1 = amlp_rng_unit(rng), u2 = amlp_rng_unit(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

size_t amlp_split_index(uint64_t *rng, size_t n)
{
    if (n <= 1)
        return 0;
    size_t i = (size_t)(amlp_rng_unit(rng) * (double)n);
    return i < n ? i : n - 1;
}

/* ---- specs ---- */

size_t amlp_spec_n_choices(const aml_param_spec *spec)
{
    if (!spec->choices || !*spec->choices)
        return 1;
    size_t n = 1;
    for (const char *c = spec->choices; *c; c++)
        n += *c == '|';
    return n;
}

void amlp_spec_choice_name(const aml_param_spec *spec, size_t i, char *buf, size_t cap)
{
    if (!cap)
        return;
    buf[0] = 0;
    const char *c = spec->choices ? spec->choices : "";
    while (i > 0 && *c) {
        if (*c++ == '|')
            i--;
    }
    if (i > 0)
        return;
    size_t n = 0;
    while (c[n] && c[n] != '|')
        n++;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, c, n);
    buf[n] = 0;
}

bool amlp_spec_is_numeric(const aml_param_spec *spec)
{
    return spec->type != AML_PARAM_CHOICE;
}

static bool uses_log(const aml_param_spec *spec)
{
    return spec->log && spec->lo > 0 && spec->hi > spec->lo;
}

double amlp_space_clamp(const aml_param_spec *spec, double v)
{
    double lo, hi;
    if (spec->type == AML_PARAM_CHOICE) {
        lo = 0;
        hi = (double)amlp_spec_n_choices(spec) - 1;
    } else {
        lo = spec->lo;
        hi = spec->hi > spec->lo ? spec->hi : spec->lo;
    }
    if (v != v)
        v = spec->type == AML_PARAM_CHOICE ? 0 : lo;
    if (spec->type != AML_PARAM_REAL) {
        v = nearbyint(v);
        /* integer bounds of a non-integer range */
        if (v < lo)
            v = ceil(lo);
        if (v > hi)
            v = floor(hi);
        if (v < lo)   /* empty integer range: the low end */
            v = lo;
        return v;
    }
    return v < lo ? lo : v > hi ? hi : v;
}

double amlp_space_sample(const aml_param_spec *spec, uint64_t *rng)
{
    double u = amlp_rng_unit(rng);
    switch (spec->type) {
    case AML_PARAM_CHOICE:
    {
        size_t n = amlp_spec_n_choices(spec), i = (size_t)(u * (double)n);
        return (double)(i < n ? i : n - 1);
    }
    case AML_PARAM_INT: {
        /* every integer equally likely on the chosen scale: widen by half a
         * step each side, then round */
        double lo = ceil(spec->lo), hi = floor(spec->hi);
        if (hi <= lo)
            return amlp_space_clamp(spec, lo);
        if (uses_log(spec)) {
            double a = log(lo - 0.5 > 0 ? lo - 0.5 : lo), b = log(hi + 0.5);
            return amlp_space_clamp(spec, exp(a + u * (b - a)));
        }
        return amlp_space_clamp(spec, floor(lo + u * (hi - lo + 1)));
    }
    case AML_PARAM_REAL:
    default:
        if (uses_log(spec))
            return amlp_space_clamp(spec, exp(log(spec->lo) + u * (log(spec->hi) - log(spec->lo))));
        return amlp_space_clamp(spec, spec->lo + u * (spec->hi - spec->lo));
    }
}

double amlp_spec_to_unit(const aml_param_spec *spec, double v)
{
    double u;
    if (spec->type == AML_PARAM_CHOICE) {
        size_t n = amlp_spec_n_choices(spec);
        u = n > 1 ? v / (double)(n - 1) : 0.5;
    } else if (!(spec->hi > spec->lo)) {
        u = 0.5;
    } else if (uses_log(spec)) {
        u = (log(v > spec->lo ? v : spec->lo) - log(spec->lo)) / (log(spec->hi) - log(spec->lo));
    } else {
        u = (v - spec->lo) / (spec->hi - spec->lo);
    }
    return u != u ? 0.5 : u < 0 ? 0 : u > 1 ? 1 : u;
}

double amlp_spec_from_unit(const aml_param_spec *spec, double u)
{
    if (u != u)
        u = 0.5;
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    if (spec->type == AML_PARAM_CHOICE) {
        size_t n = amlp_spec_n_choices(spec);
        return amlp_space_clamp(spec, u * (double)(n - 1));
    }
    if (!(spec->hi > spec->lo))
        return amlp_space_clamp(spec, spec->lo);
    if (uses_log(spec))
        return amlp_space_clamp(spec, exp(log(spec->lo) + u * (log(spec->hi) - log(spec->lo))));
    return amlp_space_clamp(spec, spec->lo + u * (spec->hi - spec->lo));
}

/* ---- points ---- */

int amlp_space_check(const amlp_space *space, aml_error *err)
{
    if (!space || !space->n_kinds || !space->kinds || !space->specs || !space->n_specs)
        return aml_error_set(err, AML_EINVAL, 0, 0, "search", "an empty search space");
    for (size_t k = 0; k < space->n_kinds; k++)
        if (!space->kinds[k] || (space->n_specs[k] && !space->specs[k]))
            return aml_error_set(err, AML_EINVAL, 0, 0, "search",
                                 "search space kind %zu has no name or no specs", k);
    return 0;
}

size_t amlp_space_dims(const amlp_space *space, size_t kind)
{
    size_t n = space->n_specs[kind];
    return n < AML_PARAMS_MAX ? n : AML_PARAMS_MAX;
}

size_t amlp_space_kind_index(const amlp_space *space, const char *kind)
{
    if (!kind)
        return SIZE_MAX;
    for (size_t k = 0; k < space->n_kinds; k++)
        if (space->kinds[k] == kind)
            return k;
    for (size_t k = 0; k < space->n_kinds; k++)
        if (strcmp(space->kinds[k], kind) == 0)
            return k;
    return SIZE_MAX;
}

/* Does dimension o's value in p meet "want" under the condition's operator?
 * "=": a choice's name or the number itself; ">=": the value (a choice's
 * index) at least the number. */
static bool condition_value_holds(const aml_param_spec *other, double v, bool at_least,
                                  const char *want)
{
    char *end = NULL;
    double x = strtod(want, &end);
    bool number = end != want && *end == 0;
    if (at_least)
        return number && v >= x;
    if (other->type == AML_PARAM_CHOICE) {
        char name[128];
        amlp_spec_choice_name(other, (size_t)v, name, sizeof name);
        if (strcmp(name, want) == 0)
            return true;
    }
    return number && x == v;
}

static bool active_depth(const amlp_space *space, const amlp_point *p, size_t j, int depth)
{
    const aml_param_spec *spec = &space->specs[p->kind][j];
    const char *cond = spec->condition;
    if (!cond || !*cond)
        return true;
    if (depth > 8)
        return false;
    const char *eq = strchr(cond, '=');
    if (!eq)
        return false;
    bool at_least = eq > cond && eq[-1] == '>';
    size_t nlen = (size_t)(eq - cond) - (at_least ? 1 : 0), dims = amlp_space_dims(space, p->kind);
    for (size_t o = 0; o < dims; o++) {
        const aml_param_spec *other = &space->specs[p->kind][o];
        if (o == j || strlen(other->name) != nlen || strncmp(other->name, cond, nlen) != 0)
            continue;
        if (!active_depth(space, p, o, depth + 1))
            return false;
        return condition_value_holds(other, p->v[o], at_least, eq + 1);
    }
    return false;
}

bool amlp_point_active(const amlp_space *space, const amlp_point *p, size_t j)
{
    return active_depth(space, p, j, 0);
}

void amlp_point_sample(const amlp_space *space, size_t kind, uint64_t *rng, amlp_point *p)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    size_t dims = amlp_space_dims(space, kind);
    for (size_t j = 0; j < dims; j++)
        p->v[j] = amlp_space_sample(&space->specs[kind][j], rng);
}

void amlp_point_default(const amlp_space *space, size_t kind, amlp_point *p)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    size_t dims = amlp_space_dims(space, kind);
    for (size_t j = 0; j < dims; j++)
        p->v[j] = amlp_space_clamp(&space->specs[kind][j], space->specs[kind][j].dflt);
}

void amlp_point_to_config(const amlp_space *space, const amlp_point *p, double fidelity,
                          amlp_config *out)
{
    memset(out, 0, sizeof *out);
    out->kind = space->kinds[p->kind];
    out->fidelity = fidelity;
    size_t dims = amlp_space_dims(space, p->kind);
    for (size_t j = 0; j < dims; j++) {
        if (!amlp_point_active(space, p, j))
            continue;
        const aml_param_spec *spec = &space->specs[p->kind][j];
        out->params.name[out->params.n] = spec->name;
        out->params.value[out->params.n++] = amlp_space_clamp(spec, p->v[j]);
    }
}

int amlp_point_from_config(const amlp_space *space, const amlp_config *cfg, amlp_point *p)
{
    size_t k = amlp_space_kind_index(space, cfg->kind);
    if (k == SIZE_MAX)
        return AML_EINVAL;
    amlp_point_default(space, k, p);
    size_t dims = amlp_space_dims(space, k);
    for (size_t i = 0; i < cfg->params.n && i < AML_PARAMS_MAX; i++) {
        const char *name = cfg->params.name[i];
        if (!name)
            continue;
        for (size_t j = 0; j < dims; j++)
            if (strcmp(space->specs[k][j].name, name) == 0) {
                p->v[j] = amlp_space_clamp(&space->specs[k][j], cfg->params.value[i]);
                break;
            }
    }
    return 0;
}

static uint64_t mix64(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 31)) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

uint64_t amlp_point_hash(const amlp_space *space, const amlp_point *p)
{
    uint64_t h = mix64(0x5EED, (uint64_t)p->kind + 1);
    size_t dims = amlp_space_dims(space, p->kind);
    for (size_t j = 0; j < dims; j++) {
        if (!amlp_point_active(space, p, j)) {
            h = mix64(h, 0xA11CE);
            continue;
        }
        double v = amlp_space_clamp(&space->specs[p->kind][j], p->v[j]);
        if (v == 0)
            v = 0;   /* -0 and 0 alike */
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        h = mix64(h, bits);
    }
    return h ? h : 1;
}

/* ---- hash set ---- */

bool amlp_hashset_has(const amlp_hashset *s, uint64_t h)
{
    if (!s->cap)
        return false;
    h = h ? h : 1;
    for (size_t i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == h)
            return true;
        if (!s->slot[i])
            return false;
    }
}

static void put(uint64_t *slot, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (slot[i] && slot[i] != h)
        i = (i + 1) & (cap - 1);
    slot[i] = h;
}

int amlp_hashset_add(amlp_hashset *s, uint64_t h)
{
    h = h ? h : 1;
    if (amlp_hashset_has(s, h))
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *slot = amlp_calloc(cap, sizeof *slot);
        if (!slot)
            return AML_ENOMEM;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                put(slot, cap, s->slot[i]);
        amlp_free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    put(s->slot, s->cap, h);
    s->n++;
    return 1;
}

void amlp_hashset_free(amlp_hashset *s)
{
    amlp_free(s->slot);
    memset(s, 0, sizeof *s);
}
