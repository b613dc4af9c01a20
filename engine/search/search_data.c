/*
 * search_data.c — the data side of the search: the held-out test split and
 * the cross-validation folds (stratified for classification), the leak
 * check, and the cache of prepared fold matrices shared by every trial with
 * the same preparation.
 */
#include "search/search_internal.h"

#include <math.h>
#include <stdio.h>
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
    /* trees split one feature at a time: a quarter of the hashed text
     * dimensions serve them as well and cost a quarter of the time */
    if (variant == 0)
        po.text_features = 256;
    return po;
}

/* Trees and naive Bayes see unscaled features (scaling changes nothing for
 * trees, and multinomial naive Bayes needs the non-negative counts that
 * standard scaling would destroy); the others standard-scaled ones. */
int amlp_kind_variant(const char *kind)
{
    return strcmp(kind, "xgb") == 0 || strcmp(kind, "rf") == 0 || strcmp(kind, "nb") == 0 ? 0 : 1;
}

bool amlp_config_applies(amlp_ctx *c, const amlp_config *cfg)
{
    if (strcmp(cfg->kind, "nb") != 0 || aml_params_get(&cfg->params, "variant", 0) != 1)
        return true;
    /* multinomial naive Bayes: only on non-negative features (fold 0 tells) */
    int v = amlp_kind_variant(cfg->kind);
    if (c->nonneg[v] == 0) {
        const amlp_foldmat *m;
        c->nonneg[v] = -1;
        if (amlp_fold_get(c, v, 0, &m, NULL) == 0) {
            const aml_matrix *X = m->Xtr;
            size_t n = X->dense ? X->rows * X->cols : X->indptr[X->rows];
            const float *val = X->dense ? X->dense : X->values;
            size_t i = 0;
            while (i < n && !(val[i] < 0))
                i++;
            c->nonneg[v] = i == n ? 1 : -1;
        }
    }
    return c->nonneg[v] > 0;
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

/* ---- the memory plan ---- */

static void fmt_bytes(double b, char out[32])
{
    if (b >= 1024.0 * 1024 * 1024)
        snprintf(out, 32, "%.1f GB", b / (1024.0 * 1024 * 1024));
    else
        snprintf(out, 32, "%.0f MB", ceil(b / (1024.0 * 1024)));
}

/* Peak bytes of a search with `folds` cached folds per preparation variant:
 * the folds (each holds every training row once, split in train and
 * validation), a learner's own copy and working set (about three more),
 * the engineered features (up to ~80 dense columns, fitted and applied), the
 * kept out-of-fold vectors, and the libraries' fixed cost. */
static double need_bytes(const amlp_ctx *c, size_t n, double row_bytes, size_t folds, int variants)
{
    double w = c->task == AML_TASK_MULTICLASS ? (double)c->k : 1;
    return (double)variants * (double)folds * (double)n * row_bytes + 3.0 * (double)n * row_bytes +
           (c->o.features ? 2.0 * (double)n * 80 * 4 : 0) + AMLP_KEEP_OOF * (double)n * w * 4 +
           64.0 * 1024 * 1024;
}

int amlp_memory_plan(amlp_ctx *c, size_t n, double row_bytes, size_t width, aml_error *err)
{
    double limit = c->o.max_memory ? (double)c->o.max_memory : 0.9 * amlp_mem_available();
    if (!(limit > 0))
        return 0;
    int variants = 2;
    if (c->o.models) {
        bool v[2] = {false, false};
        for (size_t i = 0; i < c->o.n_models; i++)
            v[amlp_kind_variant(c->o.models[i])] = true;
        variants = v[0] + v[1];
    }
    double need = need_bytes(c, n, row_bytes, c->n_folds, variants);
    char a[32], b[32];
    if (need > limit && c->o.cv_folds == 0 && c->n_folds > 1) {
        fmt_bytes(need, a);
        fmt_bytes(limit, b);
        c->n_folds = 1;
        amlp_ctx_note(c, "cross-validation would need about %s of memory, more than the %s "
                         "allowed: a holdout is used instead", a, b);
        need = need_bytes(c, n, row_bytes, 1, variants);
    }
    if (need <= limit)
        return 0;
    fmt_bytes(need, a);
    fmt_bytes(limit, b);
    return aml_error_set(err, AML_ENOMEM, 0, 0, "",
                         "the search needs about %s of memory (%zu training rows x %zu prepared "
                         "features) but %s %s: use fewer rows or columns%s", a, n, width,
                         c->o.max_memory ? "the limit is" : "only", b,
                         c->o.max_memory ? ", or raise the limit" : " are free");
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

typedef struct svi {
    double s;
    size_t i;
} svi;

static int cmp_svi(const void *a, const void *b)
{
    double x = ((const svi *)a)->s, y = ((const svi *)b)->s;
    return (x > y) - (x < y);
}

/* The column's values on the training rows as groups: a categorical
 * column's levels, or a numeric column's quantile bins (at most 64, at least
 * 20 rows each on average, so small data is not fitted by chance; missing
 * values a group of their own).  OUT: group per row (amlp_free).  NULL when not
 * applicable (text, too many levels for the rows). */
static size_t *column_groups(const amlp_ctx *c, size_t col, size_t *n_groups)
{
    aml_type t = aml_frame_col_type(c->frame, col);
    size_t n = c->n_train;
    if (t == AML_TYPE_TEXT || n == 0)
        return NULL;
    size_t *g = amlp_malloc(n * sizeof *g);
    if (!g)
        return NULL;
    if (t == AML_TYPE_CATEGORICAL) {
        size_t nl = aml_frame_cat_count(c->frame, col);
        if (nl == 0 || nl * 20 > n) {
            amlp_free(g);
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            double v = aml_frame_get_number(c->frame, col, c->train[i]);
            g[i] = v == v && (size_t)v < nl ? (size_t)v : nl;
        }
        *n_groups = nl + 1;
        return g;
    }
    svi *a = amlp_malloc(n * sizeof *a);
    if (!a) {
        amlp_free(g);
        return NULL;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = aml_frame_get_number(c->frame, col, c->train[i]);
        if (v == v) {
            a[m].s = v;
            a[m++].i = i;
        }
    }
    size_t nb = n / 20 < 2 ? 2 : n / 20 > 64 ? 64 : n / 20;
    for (size_t i = 0; i < n; i++)
        g[i] = nb;   /* missing, until a value says otherwise */
    qsort(a, m, sizeof *a, cmp_svi);
    /* bins of equal counts; equal values share a bin */
    for (size_t i = 0, b = 0; i < m; i++) {
        if (i > 0 && a[i].s != a[i - 1].s)
            b = i * nb / m;
        g[a[i].i] = b;
    }
    amlp_free(a);
    *n_groups = nb + 1;
    return g;
}

/* Multiclass: balanced accuracy of predicting each group's majority class.
 * Regression: the share of the target's variance the group means explain
 * (correlation ratio squared).  NAN when not applicable. */
static double column_fit(const amlp_ctx *c, size_t col, const float *y)
{
    size_t ng = 0, n = c->n_train;
    size_t *g = column_groups(c, col, &ng);
    if (!g)
        return NAN;
    double r = NAN;
    if (c->task == AML_TASK_REGRESSION) {
        double *sum = amlp_calloc(ng, sizeof *sum), *cnt = amlp_calloc(ng, sizeof *cnt);
        double mean = 0, tot = 0, between = 0;
        if (sum && cnt) {
            for (size_t i = 0; i < n; i++) {
                sum[g[i]] += y[i];
                cnt[g[i]]++;
                mean += y[i];
            }
            mean /= (double)n;
            for (size_t i = 0; i < n; i++)
                tot += (y[i] - mean) * (y[i] - mean);
            for (size_t b = 0; b < ng; b++)
                if (cnt[b] > 0)
                    between += cnt[b] * (sum[b] / cnt[b] - mean) * (sum[b] / cnt[b] - mean);
            r = tot > 0 ? between / tot : NAN;
        }
        amlp_free(sum);
        amlp_free(cnt);
    } else {
        size_t k = c->k;
        double *cnt = amlp_calloc(ng * k, sizeof *cnt), *cls = amlp_calloc(k, sizeof *cls);
        double *hit = amlp_calloc(k, sizeof *hit);
        if (cnt && cls && hit) {
            for (size_t i = 0; i < n; i++)
                if ((size_t)y[i] < k) {
                    cnt[g[i] * k + (size_t)y[i]]++;
                    cls[(size_t)y[i]]++;
                }
            for (size_t b = 0; b < ng; b++) {
                size_t best = 0;
                for (size_t j = 1; j < k; j++)
                    best = cnt[b * k + j] > cnt[b * k + best] ? j : best;
                hit[best] += cnt[b * k + best];
            }
            double ba = 0, present = 0;
            for (size_t j = 0; j < k; j++)
                if (cls[j] > 0) {
                    ba += hit[j] / cls[j];
                    present++;
                }
            r = present > 1 ? ba / present : NAN;
        }
        amlp_free(cnt);
        amlp_free(cls);
        amlp_free(hit);
    }
    amlp_free(g);
    return r;
}

int amlp_leak_check(amlp_ctx *c, const float *y_train, aml_error *err)
{
    size_t ncol = aml_frame_ncols(c->frame);
    for (size_t col = 0; col < ncol; col++) {
        const char *name = aml_frame_col_name(c->frame, col);
        bool skip = strcmp(name, c->o.target) == 0 || (c->o.weight && strcmp(name, c->o.weight) == 0);
        for (size_t e = 0; e < c->n_exclude && !skip; e++)
            skip = strcmp(c->exclude[e], name) == 0;
        if (skip || (aml_frame_col_flags(c->frame, col) & (AML_COL_ID | AML_COL_CONSTANT)))
            continue;
        /* binary: the column's AUC; multiclass: balanced accuracy of its
         * groups' majority class; regression: R² of its group means */
        double v = c->task == AML_TASK_BINARY ? column_auc(c, col, y_train)
                                              : column_fit(c, col, y_train);
        if (!(v == v && v > 0.99))
            continue;
        int rc = amlp_ctx_exclude(c, name);
        if (rc)
            return aml_error_set(err, rc, 0, 0, "", "out of memory");
        const char *what = c->task == AML_TASK_BINARY       ? "AUC"
                           : c->task == AML_TASK_MULTICLASS ? "balanced accuracy"
                                                            : "R²";
        rc = amlp_ctx_note(c, "column '%s' alone predicts the target (%s %.3f): left out as a leak",
                           name, what, v);
        if (rc)
            return aml_error_set(err, rc, 0, 0, "", "out of memory");
    }
    return 0;
}
