/*
 * features_group.c — frequency encodings and group statistics of
 * categorical groups: one-hot columns of one frame column (learnt from the
 * preparation's feature names and sources) or integral code columns; per
 * group the share of training rows in each category and the smoothed
 * per-category mean of the top numeric columns.
 */
#include "features/features_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SMOOTH 10.0

void amlp_feat_group_free(amlp_feat_group *g)
{
    amlp_free(g->name);
    amlp_free(g->members);
    amlp_free(g->levels);
    amlp_free(g->freq);
    amlp_free(g->num);
    amlp_free(g->mean);
}

size_t amlp_feat_group_n_out(const aml_features *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_groups; i++)
        n += 1 + 2 * f->groups[i].n_num;
    return n;
}

static size_t level_of(const amlp_feat_group *g, const float *b)
{
    if (g->onehot) {
        for (size_t i = 0; i < g->n_members; i++)
            if (b[g->members[i]] > 0.5f)
                return i;
        return g->n_members;
    }
    float v = b[g->members[0]];
    size_t lo = 0, hi = g->n_levels - 1;
    while (!isnan(v) && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->levels[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return !isnan(v) && lo < g->n_levels - 1 && g->levels[lo] == v ? lo : g->n_levels - 1;
}

/* Candidate groups before ranking. */
typedef struct cand {
    float imp;
    uint32_t first;           /* lowest member */
    bool onehot;
    size_t n;
    uint32_t *members;
} cand;

static int by_group_importance(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->imp != y->imp)
        return x->imp > y->imp ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static float imp_of(const amlp_feat_fit *fit, size_t j)
{
    return isnan(fit->imp[j]) ? 0 : fit->imp[j];
}

/* One-hot groups: 0/1 base columns named "<col>=<level>" from one frame
 * column (needs the prep); code groups: the other CODE columns.  OUT: *cands
 * (amlp_ memory; members too), *n. */
static int candidates(const amlp_feat_fit *fit, const unsigned char *kind, cand **cands,
                      size_t *n)
{
    size_t cols = fit->cols;
    cand *c = amlp_calloc(cols + 1, sizeof *c);
    bool *used = amlp_calloc(cols + 1, sizeof(bool));
    int rc = c && used ? 0 : AML_ENOMEM;
    size_t nc = 0;
    for (size_t j = 0; rc == 0 && fit->prep && j < cols; j++) {
        const char *nm = aml_prep_feature_name(fit->prep, fit->base[j]);
        if (used[j] || kind[j] != AMLP_FEAT_BINARY || !nm || !strchr(nm, '='))
            continue;
        size_t src = aml_prep_feature_source(fit->prep, fit->base[j]);
        cand g = {imp_of(fit, j), (uint32_t)j, true, 0, amlp_malloc(cols * sizeof(uint32_t))};
        if (!g.members) {
            rc = AML_ENOMEM;
            break;
        }
        for (size_t k = j; k < cols; k++) {
            const char *nk = aml_prep_feature_name(fit->prep, fit->base[k]);
            if (used[k] || kind[k] != AMLP_FEAT_BINARY || !nk || !strchr(nk, '=') ||
                aml_prep_feature_source(fit->prep, fit->base[k]) != src)
                continue;
            used[k] = true;
            g.members[g.n++] = (uint32_t)k;
            g.imp = imp_of(fit, k) > g.imp ? imp_of(fit, k) : g.imp;
        }
        if (g.n >= 2)
            c[nc++] = g;
        else
            amlp_free(g.members);
    }
    for (size_t j = 0; rc == 0 && j < cols; j++) {
        if (used[j] || kind[j] != AMLP_FEAT_CODE)
            continue;
        cand g = {imp_of(fit, j), (uint32_t)j, false, 1, amlp_malloc(sizeof(uint32_t))};
        if (!g.members) {
            rc = AML_ENOMEM;
            break;
        }
        g.members[0] = (uint32_t)j;
        used[j] = true;
        c[nc++] = g;
    }
    amlp_free(used);
    if (rc) {
        for (size_t i = 0; c && i < nc; i++)
            amlp_free(c[i].members);
        amlp_free(c);
        return rc;
    }
    qsort(c, nc, sizeof *c, by_group_importance);
    *cands = c;
    *n = nc;
    return 0;
}

static int by_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static int code_levels(amlp_feat_group *g, const amlp_feat_fit *fit)
{
    float *v = amlp_malloc(fit->rows * sizeof(float) + 1);
    if (!v)
        return AML_ENOMEM;
    size_t n = 0;
    for (size_t r = 0; r < fit->rows; r++) {
        float x = fit->B[r * fit->cols + g->members[0]];
        if (!isnan(x))
            v[n++] = x;
    }
    qsort(v, n, sizeof *v, by_float);
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (d == 0 || v[i] != v[d - 1])
            v[d++] = v[i];
    g->levels = v;
    g->n_levels = d + 1;
    return 0;
}

static char *group_name(const amlp_feat_fit *fit, const cand *c)
{
    const char *nm = fit->names[c->members[0]];
    if (!c->onehot)
        return amlp_strdup(nm);
    const char *eq = strchr(nm, '=');
    return amlp_feat_printf("%.*s", (int)(eq - nm), nm);
}

/* Fits level frequencies and smoothed means of group g on the training rows. */
static int group_stats(amlp_feat_group *g, const amlp_feat_fit *fit)
{
    size_t L = g->n_levels, cols = fit->cols;
    double *cnt = amlp_calloc(L * (1 + 2 * g->n_num) + 2 * g->n_num + 1, sizeof(double));
    g->freq = amlp_malloc(L * sizeof(float));
    g->mean = amlp_malloc(L * g->n_num * sizeof(float) + 1);
    if (!cnt || !g->freq || !g->mean) {
        amlp_free(cnt);
        return AML_ENOMEM;
    }
    double *sum = cnt + L, *num = sum + L * g->n_num, *gs = num + L * g->n_num,
           *gn = gs + g->n_num;
    for (size_t r = 0; r < fit->rows; r++) {
        const float *b = fit->B + r * cols;
        size_t l = level_of(g, b);
        cnt[l] += 1;
        for (size_t t = 0; t < g->n_num; t++) {
            float x = b[g->num[t]];
            if (isnan(x))
                continue;
            sum[t * L + l] += x;
            num[t * L + l] += 1;
            gs[t] += x;
            gn[t] += 1;
        }
    }
    for (size_t l = 0; l < L; l++)
        g->freq[l] = (float)(cnt[l] / (double)fit->rows);
    for (size_t t = 0; t < g->n_num; t++) {
        double gm = gn[t] > 0 ? gs[t] / gn[t] : 0;
        for (size_t l = 0; l < L; l++)
            g->mean[t * L + l] =
                (float)((sum[t * L + l] + SMOOTH * gm) / (num[t * L + l] + SMOOTH));
    }
    amlp_free(cnt);
    return 0;
}

int amlp_feat_group_fit(aml_features *f, const amlp_feat_fit *fit, const unsigned char *kind)
{
    const aml_features_options *o = fit->opts;
    cand *c = NULL;
    size_t nc = 0;
    int rc = candidates(fit, kind, &c, &nc);
    if (rc)
        return rc;
    size_t ng = nc < o->group_max ? nc : o->group_max;
    /* numeric columns by importance */
    float *imp = amlp_malloc(fit->cols * sizeof(float) + 1);
    uint32_t *order = amlp_malloc(fit->cols * sizeof(uint32_t) + 1);
    f->groups = amlp_calloc(ng + 1, sizeof *f->groups);
    rc = imp && order && f->groups ? 0 : AML_ENOMEM;
    size_t n_numeric = 0;
    for (size_t j = 0; rc == 0 && j < fit->cols; j++) {
        bool numeric = kind[j] == AMLP_FEAT_NUMERIC || kind[j] == AMLP_FEAT_CODE;
        imp[j] = numeric ? imp_of(fit, j) + 1 : 0;
        n_numeric += numeric;
    }
    if (rc == 0)
        rc = amlp_feat_top(imp, fit->cols, n_numeric, false, order);
    for (size_t i = 0; rc == 0 && i < ng; i++) {
        amlp_feat_group *g = &f->groups[f->n_groups++];
        g->onehot = c[i].onehot;
        g->n_members = c[i].n;
        g->name = group_name(fit, &c[i]);
        g->members = c[i].members;
        c[i].members = NULL;
        g->num = amlp_malloc(o->group_numeric * sizeof(uint32_t) + 1);
        rc = g->name && g->num ? 0 : AML_ENOMEM;
        for (size_t k = 0; rc == 0 && k < n_numeric && g->n_num < o->group_numeric; k++) {
            bool member = false;
            for (size_t m = 0; m < g->n_members; m++)
                member |= g->members[m] == order[k];
            if (!member)
                g->num[g->n_num++] = order[k];
        }
        if (rc == 0 && g->onehot)
            g->n_levels = g->n_members + 1;
        else if (rc == 0)
            rc = code_levels(g, fit);
        rc = rc ? rc : group_stats(g, fit);
        rc = rc ? rc : amlp_feat_add_name(f, amlp_feat_printf("freq(%s)", g->name));
        for (size_t t = 0; rc == 0 && t < g->n_num; t++) {
            const char *x = fit->names[g->num[t]];
            rc = amlp_feat_add_name(f, amlp_feat_printf("mean(%s | %s)", x, g->name));
            rc = rc ? rc : amlp_feat_add_name(f, amlp_feat_printf("%s - mean(%s | %s)", x, x,
                                                                  g->name));
        }
    }
    for (size_t i = 0; i < nc; i++)
        amlp_free(c[i].members);
    amlp_free(c);
    amlp_free(imp);
    amlp_free(order);
    if (rc == 0 && f->n_groups)
        f->steps |= AML_FEATURES_GROUP;
    else if (rc == 0)
        rc = amlp_feat_note(f, "Added no frequency encodings or group statistics: no "
                            "categorical feature (one-hot group or code with 3 to %zu values).",
                            o->group_max_levels);
    return rc;
}

void amlp_feat_group_apply(const aml_features *f, const float *b, float *out)
{
    size_t o = 0;
    for (size_t i = 0; i < f->n_groups; i++) {
        const amlp_feat_group *g = &f->groups[i];
        size_t l = level_of(g, b);
        out[o++] = g->freq[l];
        for (size_t t = 0; t < g->n_num; t++) {
            float m = g->mean[t * g->n_levels + l], x = b[g->num[t]];
            out[o++] = m;
            out[o++] = isnan(x) ? NAN : x - m;
        }
    }
}
