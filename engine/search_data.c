/*
 * search_data.c — the data side of the search: the held-out test split and
 * the cross-validation folds (stratified for classification), the leak
 * check, and the cache of prepared fold matrices shared by every trial with
 * the same preparation.
 */
#include "search_ctx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rnext(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rnext(rng) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Groups of positions by class (classification) or one group; each shuffled. */
int amlp_split(amlp_ctx *c, const float *y_all, size_t n, aml_error *err)
{
    size_t ngroups = c->task == AML_TASK_REGRESSION ? 1 : c->k;
    size_t *order = amlp_malloc((n ? n : 1) * sizeof *order);
    size_t *gstart = amlp_calloc(ngroups + 1, sizeof *gstart);
    bool *is_test = amlp_calloc(n ? n : 1, sizeof *is_test);
    c->run->test_rows = amlp_malloc((n ? n : 1) * sizeof(size_t));
    c->train = amlp_malloc((n ? n : 1) * sizeof *c->train);
    c->fold = amlp_malloc((n ? n : 1) * sizeof *c->fold);
    if (!order || !gstart || !is_test || !c->run->test_rows || !c->train || !c->fold) {
        amlp_free(order);
        amlp_free(gstart);
        amlp_free(is_test);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory splitting");
    }
    uint64_t rng = c->o.seed * 0x9e3779b97f4a7c15ull + 7;
    /* counting sort by group, then shuffle inside groups */
    for (size_t i = 0; i < n; i++)
        gstart[(ngroups == 1 ? 0 : (size_t)y_all[i]) + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        gstart[g + 1] += gstart[g];
    size_t *fill = amlp_malloc(ngroups * sizeof *fill);
    if (!fill) {
        amlp_free(order);
        amlp_free(gstart);
        amlp_free(is_test);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory splitting");
    }
    memcpy(fill, gstart, ngroups * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        order[fill[ngroups == 1 ? 0 : (size_t)y_all[i]]++] = i;
    amlp_free(fill);
    for (size_t g = 0; g < ngroups; g++) {
        size_t a = gstart[g], cnt = gstart[g + 1] - a;
        shuffle(order + a, cnt, &rng);
        size_t nt = (size_t)floor(c->o.test_fraction * (double)cnt + 0.5);
        if (nt >= cnt && cnt > 0)
            nt = cnt - 1;
        for (size_t i = 0; i < nt; i++)
            is_test[order[a + i]] = true;
    }
    c->run->n_test = 0;
    c->n_train = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_test[i])
            c->run->test_rows[c->run->n_test++] = c->rows[i];
    }
    qsort(c->run->test_rows, c->run->n_test, sizeof(size_t), cmp_size);
    /* folds: round-robin over the shuffled groups, so each fold is stratified */
    size_t *pos_of = amlp_malloc((n ? n : 1) * sizeof *pos_of);
    if (!pos_of) {
        amlp_free(order);
        amlp_free(gstart);
        amlp_free(is_test);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory splitting");
    }
    for (size_t i = 0; i < n; i++)
        if (!is_test[i]) {
            pos_of[i] = c->n_train;
            c->train[c->n_train++] = c->rows[i];
        }
    size_t slot = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = order[i];
        if (is_test[r])
            continue;
        if (c->n_folds > 1)
            c->fold[pos_of[r]] = (uint8_t)(slot++ % c->n_folds);
        else   /* holdout: a `holdout` share of each group is fold 0 (validation) */
            c->fold[pos_of[r]] = 0;
    }
    if (c->n_folds == 1) {
        size_t every = (size_t)floor(1.0 / c->o.holdout + 0.5);
        if (every < 2)
            every = 2;
        slot = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = order[i];
            if (!is_test[r])
                c->fold[pos_of[r]] = (uint8_t)(slot++ % every == 0 ? 0 : 1);
        }
    }
    amlp_free(pos_of);
    amlp_free(order);
    amlp_free(gstart);
    amlp_free(is_test);
    return 0;
}

void amlp_cache_free(amlp_ctx *c)
{
    for (size_t v = 0; v < 2; v++) {
        for (size_t f = 0; c->cache[v] && f < c->n_folds; f++) {
            amlp_foldmat *m = &c->cache[v][f];
            aml_matrix_free(m->Xtr);
            aml_matrix_free(m->Xva);
            aml_free(m->ytr);
            aml_free(m->yva);
            amlp_free(m->wtr);
            amlp_free(m->va_pos);
            amlp_free(m->tr_pos);
            aml_prep_free(m->prep);
        }
        amlp_free(c->cache[v]);
        c->cache[v] = NULL;
    }
}

aml_prep_options amlp_prep_variant(const amlp_ctx *c, int variant)
{
    aml_prep_options po = aml_prep_options_default();
    po.target = c->o.target;
    po.exclude = (const char *const *)c->exclude;
    po.n_exclude = c->n_exclude;
    po.seed = c->o.seed;
    po.scaling = variant ? AML_SCALE_STANDARD : AML_SCALE_NONE;
    return po;
}

int amlp_kind_variant(const char *kind)
{
    return strcmp(kind, "xgb") == 0 || strcmp(kind, "rf") == 0 ? 0 : 1;
}

/* The prepared matrices of fold f for a preparation variant, built once. */
int amlp_fold_get(amlp_ctx *c, int v, size_t f, const amlp_foldmat **out, aml_error *err)
{
    if (!c->cache[v]) {
        c->cache[v] = amlp_calloc(c->n_folds, sizeof *c->cache[v]);
        if (!c->cache[v])
            return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    amlp_foldmat *m = &c->cache[v][f];
    if (m->Xtr) {
        *out = m;
        return 0;
    }
    size_t *tr = amlp_malloc(c->n_train * sizeof *tr), *trp = amlp_malloc(c->n_train * sizeof *trp);
    size_t *va = amlp_malloc(c->n_train * sizeof *va), *vap = amlp_malloc(c->n_train * sizeof *vap);
    if (!tr || !va || !trp || !vap) {
        amlp_free(tr);
        amlp_free(va);
        amlp_free(trp);
        amlp_free(vap);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    size_t ntr = 0, nva = 0;
    for (size_t i = 0; i < c->n_train; i++) {
        if (c->fold[i] == f) {
            vap[nva] = i;
            va[nva++] = c->train[i];
        } else {
            trp[ntr] = i;
            tr[ntr++] = c->train[i];
        }
    }
    aml_prep_options po = amlp_prep_variant(c, v);
    int rc = aml_prep_fit(c->frame, tr, ntr, &po, &m->prep, err);
    rc = rc ? rc : aml_prep_transform(m->prep, c->frame, tr, ntr, &m->Xtr, &m->ytr, err);
    rc = rc ? rc : aml_prep_transform(m->prep, c->frame, va, nva, &m->Xva, &m->yva, err);
    if (rc == 0 && c->w_train) {
        m->wtr = amlp_malloc((ntr ? ntr : 1) * sizeof *m->wtr);
        if (!m->wtr)
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        for (size_t i = 0; rc == 0 && i < ntr; i++)
            m->wtr[i] = c->w_train[trp[i]];
    }
    amlp_free(tr);
    amlp_free(va);
    m->va_pos = vap;
    m->tr_pos = trp;
    m->n_va = nva;
    m->n_tr = ntr;
    if (rc) {
        aml_matrix_free(m->Xtr);
        m->Xtr = NULL;
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- leak check ---- */

typedef struct sv {
    double s;
    float y;
} sv;

static int cmp_sv(const void *a, const void *b)
{
    double x = ((const sv *)a)->s, y = ((const sv *)b)->s;
    return (x > y) - (x < y);
}

/* AUC of one column's values (numbers, or a categorical level's mean target)
 * for a binary target, on the training rows; NAN when not applicable. */
static double column_auc(const amlp_ctx *c, size_t col, const float *y)
{
    aml_type t = aml_frame_col_type(c->frame, col);
    size_t n = c->n_train;
    if (t == AML_TYPE_TEXT)
        return NAN;
    double *lvl_sum = NULL, *lvl_cnt = NULL;
    size_t nl = 0;
    if (t == AML_TYPE_CATEGORICAL) {
        nl = aml_frame_cat_count(c->frame, col);
        if (nl == 0 || nl * 20 > n)
            return NAN;
        lvl_sum = amlp_calloc(nl, sizeof *lvl_sum);
        lvl_cnt = amlp_calloc(nl, sizeof *lvl_cnt);
        if (!lvl_sum || !lvl_cnt) {
            amlp_free(lvl_sum);
            amlp_free(lvl_cnt);
            return NAN;
        }
        for (size_t i = 0; i < n; i++) {
            double v = aml_frame_get_number(c->frame, col, c->train[i]);
            if (v == v && (size_t)v < nl) {
                lvl_sum[(size_t)v] += y[i];
                lvl_cnt[(size_t)v]++;
            }
        }
    }
    sv *a = amlp_malloc(n * sizeof *a);
    if (!a) {
        amlp_free(lvl_sum);
        amlp_free(lvl_cnt);
        return NAN;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = aml_frame_get_number(c->frame, col, c->train[i]);
        if (v != v)
            v = -1e300;   /* missing: its own lowest value */
        else if (lvl_sum)
            v = lvl_sum[(size_t)v] / lvl_cnt[(size_t)v];
        a[m].s = v;
        a[m++].y = y[i];
    }
    amlp_free(lvl_sum);
    amlp_free(lvl_cnt);
    qsort(a, m, sizeof *a, cmp_sv);
    double neg = 0, sum = 0, np = 0, nn = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        double tp = 0, tn = 0;
        while (j < m && a[j].s == a[i].s) {
            tp += a[j].y == 1;
            tn += a[j].y != 1;
            j++;
        }
        sum += tp * (neg + 0.5 * tn);
        neg += tn;
        np += tp;
        nn += tn;
        i = j;
    }
    amlp_free(a);
    if (np == 0 || nn == 0)
        return NAN;
    double auc = sum / (np * nn);
    return auc < 0.5 ? 1 - auc : auc;
}

int amlp_leak_check(amlp_ctx *c, const float *y_train, aml_error *err)
{
    if (c->task != AML_TASK_BINARY)
        return 0;
    size_t ncol = aml_frame_ncols(c->frame);
    for (size_t col = 0; col < ncol; col++) {
        const char *name = aml_frame_col_name(c->frame, col);
        bool skip = strcmp(name, c->o.target) == 0 || (c->o.weight && strcmp(name, c->o.weight) == 0);
        for (size_t e = 0; e < c->n_exclude && !skip; e++)
            skip = strcmp(c->exclude[e], name) == 0;
        if (skip || (aml_frame_col_flags(c->frame, col) & (AML_COL_ID | AML_COL_CONSTANT)))
            continue;
        double auc = column_auc(c, col, y_train);
        if (auc == auc && auc > 0.99) {
            int rc = amlp_ctx_exclude(c, name);
            if (rc)
                return aml_error_set(err, rc, 0, 0, "", "out of memory");
            rc = amlp_ctx_note(c, "column '%s' alone predicts the target (AUC %.3f): left out as "
                                  "a leak", name, auc);
            if (rc)
                return aml_error_set(err, rc, 0, 0, "", "out of memory");
        }
    }
    return 0;
}
