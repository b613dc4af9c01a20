/*
 * explain.c — %explain's engine: the driver (aml_explain_run), the frames of
 * rows it predicts on, permutation importance, and the explanation's
 * accessors.  SHAP is in explain_shap.c, partial dependence and the
 * model-agnostic row fallback in explain_pdp.c.
 *
 * The rows explained are copied into a frame E of their own (the model's
 * inputs in model order, then the target), so a column can be swapped for a
 * shuffled or constant copy, predicted, and swapped back without touching
 * the caller's frame.
 */
#include "explain/explain_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREDICT_CHUNK 256   /* rows per prediction call: the cancel flag is checked between */

aml_explain_options aml_explain_options_default(void)
{
    aml_explain_options o;
    memset(&o, 0, sizeof o);
    o.max_rows = 2000;
    o.repeats = 5;
    o.pdp_features = 3;
    o.pdp_grid = 20;
    o.pdp_rows = 500;
    o.budget_seconds = 30;
    o.shap_rows = 1000;
    o.shap = true;
    o.row = -1;
    o.seed = 42;
    return o;
}

/* ---- small helpers ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Fisher-Yates shuffle of v[0..n) from a seeded generator. */
static void shuffle(size_t *v, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&s) % i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

size_t *amlp_ex_shuffled(const amlp_ex *c, size_t n, uint64_t salt)
{
    size_t *v = amlp_malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = i;
    shuffle(v, n, c->o->seed ^ salt);
    return v;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int amlp_ex_note(aml_explanation *x, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **n = amlp_realloc(x->notes, (x->n_notes + 1) * sizeof *n);
    if (!n)
        return AML_ENOMEM;
    x->notes = n;
    n[x->n_notes] = amlp_strdup(buf);
    if (!n[x->n_notes])
        return AML_ENOMEM;
    x->n_notes++;
    return 0;
}

int amlp_ex_tick(amlp_ex *c, double work)
{
    c->work_done += work;
    if (c->o->cancel && *c->o->cancel)
        return aml_error_set(c->err, AML_ECANCELED, 0, 0, "explain", "interrupted");
    if (c->o->progress) {
        double f = c->work_total > 0 ? c->work_done / c->work_total : 0;
        c->o->progress(f < 1 ? f : 1, c->what ? c->what : "", c->o->user);
    }
    return 0;
}

size_t amlp_ex_class_of(const amlp_ex *c, const float *p)
{
    if (c->x->task == AML_TASK_BINARY)
        return 1;
    if (c->x->task == AML_TASK_REGRESSION)
        return 0;
    size_t b = 0;
    for (size_t k = 1; k < c->x->width; k++)
        if (p[k] > p[b])
            b = k;
    return b;
}

/* Chunks take about 0.05 to 0.2 s: big enough that the per-call cost
 * (preparation, XGBoost's matrix) does not dominate, small enough for the
 * cancel flag.  Predictions do not depend on the chunking. */
int amlp_ex_predict(amlp_ex *c, const aml_frame *f, size_t n, float *out)
{
    if (c->chunk == 0)
        c->chunk = PREDICT_CHUNK;
    for (size_t r0 = 0; r0 < n;) {
        size_t m = n - r0 < c->chunk ? n - r0 : c->chunk;
        double t0 = aml_now();
        int rc = amlp_ex_tick(c, 0);
        rc = rc ? rc : aml_model_predict(c->m, f, c->iota + r0, m, out + r0 * c->x->width, c->err);
        rc = rc ? rc : amlp_ex_tick(c, (double)m);
        if (rc)
            return rc;
        double dt = aml_now() - t0;
        if (m == c->chunk && dt < 0.05 && c->chunk < 8192)
            c->chunk *= 2;
        else if (dt > 0.2 && c->chunk > 32)
            c->chunk /= 2;
        r0 += m;
    }
    return 0;
}

/* ---- frames of rows ---- */

static void set_valid(amlp_col *c, size_t i)
{
    c->valid[i >> 6] |= (uint64_t)1 << (i & 63);
}

int amlp_ex_push_cell(amlp_col *dst, const amlp_col *src, size_t row)
{
    if (row == SIZE_MAX || row >= src->n || !amlp_bit(src->valid, row))
        return amlp_col_push_missing(dst);
    size_t i = dst->n;
    if (dst->type == AML_TYPE_CATEGORICAL) {
        uint32_t code = ((const uint32_t *)src->data)[row], nc;
        const char *s = amlp_strpool_get(&src->dict.pool, code);
        if (amlp_col_reserve(dst, i + 1) ||
            amlp_dict_intern(&dst->dict, s, amlp_strpool_len(&src->dict.pool, code), &nc))
            return AML_ENOMEM;
        ((uint32_t *)dst->data)[i] = nc;
    } else if (dst->type == AML_TYPE_TEXT) {
        if (amlp_col_reserve(dst, i + 1) ||
            amlp_strpool_push(&dst->text, amlp_strpool_get(&src->text, row),
                              amlp_strpool_len(&src->text, row)))
            return AML_ENOMEM;
    } else {
        size_t w = amlp_type_width(dst->type);
        if (amlp_col_reserve(dst, i + 1))
            return AML_ENOMEM;
        memcpy((char *)dst->data + i * w, (const char *)src->data + row * w, w);
    }
    set_valid(dst, i);
    dst->n++;
    return 0;
}

int amlp_ex_take_col(const amlp_col *src, const size_t *idx, size_t n, amlp_col *dst)
{
    amlp_col_init(dst, src->type);
    dst->has_time = src->has_time;
    dst->flags = src->flags;
    if (amlp_col_reserve(dst, n ? n : 1))
        return AML_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (amlp_ex_push_cell(dst, src, idx[i])) {
            amlp_col_clear(dst);
            return AML_ENOMEM;
        }
    return 0;
}

int amlp_ex_take_frame(const aml_frame *f, const size_t *cols, size_t ncols, const size_t *rows,
                       size_t n, aml_frame **out)
{
    *out = NULL;
    aml_frame *g = NULL;
    int rc = aml_frame_new(&g);
    for (size_t j = 0; rc == 0 && j < ncols; j++) {
        const amlp_col *s = &f->cols[cols ? cols[j] : j];
        amlp_col c;
        rc = amlp_ex_take_col(s, rows, n, &c);
        if (rc)
            break;
        c.name = amlp_strdup(s->name);
        rc = c.name ? amlp_frame_push_col(g, &c) : AML_ENOMEM;
        if (rc)
            amlp_col_clear(&c);
    }
    if (rc) {
        aml_frame_free(g);
        return rc;
    }
    g->nrows = n;
    *out = g;
    return 0;
}

size_t amlp_ex_feature_input(const amlp_ex *c, const aml_prep *prep, size_t j)
{
    size_t s = aml_prep_feature_source(prep, j);
    for (size_t k = 0; k < aml_prep_n_inputs(prep); k++) {
        if (aml_prep_input_source(prep, k) != s)
            continue;
        for (size_t i = 0; i < c->n_in; i++)
            if (strcmp(aml_model_input_name(c->m, i), aml_prep_input_name(prep, k)) == 0)
                return i;
        break;
    }
    return SIZE_MAX;
}

/* ---- permutation importance ---- */

static double drop_of(aml_metric metric, double base, double score)
{
    return aml_metric_higher_is_better(metric) ? base - score : score - base;
}

static int importance(amlp_ex *c)
{
    aml_explanation *x = c->x;
    size_t n = c->n, R = c->repeats;
    x->imp = amlp_calloc(c->n_in ? c->n_in : 1, sizeof *x->imp);
    float *pred = amlp_malloc(n * x->width * sizeof *pred);
    size_t *perm = amlp_malloc(n * sizeof *perm);
    double *drops = amlp_malloc(R * sizeof *drops);
    int rc = x->imp && pred && perm && drops ? 0 : AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < c->n_in; i++) {
        aml_explain_importance *e = &x->imp[i];
        e->column = amlp_strdup(aml_model_input_name(c->m, i));
        if (!e->column) {
            rc = AML_ENOMEM;
            break;
        }
        e->type = aml_model_input_type(c->m, i);
        e->used = c->used[i];
        x->n_imp++;
        if (!e->used)
            continue;
        char what[200];
        snprintf(what, sizeof what, "permutation importance: %s", e->column);
        c->what = what;
        amlp_col *col = &c->E->cols[i];
        for (size_t r = 0; rc == 0 && r < R; r++) {
            for (size_t k = 0; k < n; k++)
                perm[k] = k;
            shuffle(perm, n, c->o->seed * 0x100000001b3ull + i * 1000003u + r + 1);
            amlp_col sh;
            rc = amlp_ex_take_col(col, perm, n, &sh);
            if (rc)
                break;
            amlp_col keep = *col;
            sh.name = keep.name;
            *col = sh;
            rc = amlp_ex_predict(c, c->E, n, pred);
            sh = *col;
            *col = keep;
            sh.name = NULL;
            amlp_col_clear(&sh);
            double s = NAN;
            rc = rc ? rc
                    : aml_metric_score(x->metric, x->task, x->n_classes, c->y, pred, NULL, n, &s,
                                       c->err);
            drops[r] = rc ? 0 : drop_of(x->metric, x->score, s);
        }
        if (rc)
            break;
        double mean = 0, var = 0;
        for (size_t r = 0; r < R; r++)
            mean += drops[r] / (double)R;
        for (size_t r = 0; r < R; r++)
            var += (drops[r] - mean) * (drops[r] - mean);
        e->mean = mean;
        e->std = R > 1 ? sqrt(var / (double)(R - 1)) : 0;
        c->what = NULL;
    }
    c->what = NULL;
    amlp_free(pred);
    amlp_free(perm);
    amlp_free(drops);
    if (rc)
        return rc == AML_ENOMEM ? aml_error_set(c->err, rc, 0, 0, "explain", "out of memory") : rc;
    /* the ranking (stable: ties keep the input order) */
    for (size_t i = 0; i < c->n_in; i++)
        c->rank[i] = i;
    for (size_t i = 1; i < c->n_in; i++)
        for (size_t j = i; j > 0; j--) {
            const aml_explain_importance *a = &x->imp[c->rank[j - 1]], *b = &x->imp[c->rank[j]];
            bool swap = (b->used && !a->used) || (a->used == b->used && b->mean > a->mean);
            if (!swap)
                break;
            size_t t = c->rank[j - 1];
            c->rank[j - 1] = c->rank[j];
            c->rank[j] = t;
        }
    aml_explain_importance *sorted = amlp_malloc((c->n_in ? c->n_in : 1) * sizeof *sorted);
    if (!sorted)
        return aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    for (size_t i = 0; i < c->n_in; i++)
        sorted[i] = x->imp[c->rank[i]];
    amlp_free(x->imp);
    x->imp = sorted;
    return 0;
}

/* ---- the driver ---- */

/* Fewer repeats, rows and partial-dependence rows when a prediction pass
 * over the n rows takes `per_pass` seconds and the importance would exceed
 * the budget.  Shrinks E, y and pred (rows spread evenly). */
static int fit_budget(amlp_ex *c, size_t n_used, double per_pass)
{
    /* the importance gets half the budget, partial dependence and SHAP a
     * quarter each */
    double B = c->o->budget_seconds / 2;
    if (!(B > 0) || n_used == 0 || !(per_pass > 0) || c->n == 0)
        return 0;
    aml_explanation *x = c->x;
    double per_row = per_pass / (double)c->n;
    double pdp_cost = (double)c->o->pdp_features * (double)c->o->pdp_grid * per_row;
    if (pdp_cost * (double)c->pdp_rows > B / 2) {
        double k = B / 2 / pdp_cost;
        c->pdp_rows = k < 50 ? 50 : (size_t)k;
    }
    size_t R = c->repeats;
    if (per_pass * (double)n_used * (double)R <= B)
        return 0;
    double r2 = B / (per_pass * (double)n_used);
    size_t R2 = r2 < 2 ? (R < 2 ? R : 2) : (size_t)r2;
    c->repeats = R2 < R ? R2 : R;
    size_t n2 = c->n;
    if (per_pass * (double)n_used * (double)c->repeats > B) {
        double k = (double)c->n * B / (per_pass * (double)n_used * (double)c->repeats);
        n2 = k < 200 ? 200 : (size_t)k;
    }
    int rc = 0;
    if (n2 < c->n) {
        size_t *idx = amlp_malloc(n2 * sizeof *idx);
        aml_frame *E2 = NULL;
        rc = idx ? 0 : AML_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n2; i++)
            idx[i] = (size_t)((double)i * (double)c->n / (double)n2);
        rc = rc ? rc : amlp_ex_take_frame(c->E, NULL, c->n_ecols, idx, n2, &E2);
        if (rc == 0) {
            for (size_t i = 0; i < n2; i++) {
                c->y[i] = c->y[idx[i]];
                memmove(c->pred + i * x->width, c->pred + idx[i] * x->width,
                        x->width * sizeof *c->pred);
            }
            aml_frame_free(c->E);
            c->E = E2;
            c->n = n2;
            x->rows_used = n2;
        }
        amlp_free(idx);
        if (rc)
            return aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    }
    return amlp_ex_note(x, "The model predicts slowly (%.2f s per 1,000 rows): to stay within "
                           "about %.0f s, the importance used %zu shuffle%s per column on %zu "
                           "rows.", per_row * 1000, c->o->budget_seconds, c->repeats,
                        c->repeats == 1 ? "" : "s", c->n);
}

/* Which inputs some weighted member reads. */
static int find_used(amlp_ex *c)
{
    for (size_t mi = 0; mi < aml_model_n_members(c->m); mi++) {
        if (!(aml_model_member_weight(c->m, mi) > 0))
            continue;
        const aml_prep *p = aml_model_member_prep(c->m, mi);
        for (size_t j = 0; j < aml_prep_n_features(p); j++) {
            size_t i = amlp_ex_feature_input(c, p, j);
            if (i < c->n_in)
                c->used[i] = true;
        }
    }
    return 0;
}

/* E: the sampled, labelled rows; y their targets; the model's score. */
static int build_rows(amlp_ex *c, const aml_frame *frame, const size_t *rows, size_t n_given)
{
    const aml_model *m = c->m;
    aml_explanation *x = c->x;
    c->scol = amlp_malloc((c->n_in + 1) * sizeof *c->scol);
    if (!c->scol)
        return aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    for (size_t i = 0; i < c->n_in; i++) {
        const char *name = aml_model_input_name(m, i);
        long j = aml_frame_col_index(frame, name);
        if (j < 0)
            return aml_error_set(c->err, AML_EINVAL, 0, 0, name,
                                 "the data has no column '%s', which the model reads", name);
        c->scol[i] = (size_t)j;
    }
    long t = aml_frame_col_index(frame, aml_model_target(m));
    if (t < 0)
        return aml_error_set(c->err, AML_EINVAL, 0, 0, aml_model_target(m),
                             "the data has no target column '%s': importance is measured "
                             "against the true values", aml_model_target(m));
    c->scol[c->n_in] = (size_t)t;
    c->n_ecols = c->n_in + 1;

    size_t nf = aml_frame_nrows(frame);
    size_t *pick = amlp_malloc((n_given ? n_given : 1) * sizeof *pick);
    if (!pick)
        return aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    for (size_t i = 0; i < n_given; i++) {
        pick[i] = rows ? rows[i] : i;
        if (pick[i] >= nf) {
            amlp_free(pick);
            return aml_error_set(c->err, AML_EINVAL, 0, 0, "explain",
                                 "row %zu is out of range (the data has %zu rows)", rows[i], nf);
        }
    }
    size_t n = n_given;
    if (c->o->max_rows && n > c->o->max_rows) {
        shuffle(pick, n, c->o->seed);
        n = c->o->max_rows;
        qsort(pick, n, sizeof *pick, cmp_size);
    }
    aml_frame *S = NULL;
    int rc = amlp_ex_take_frame(frame, c->scol, c->n_ecols, pick, n, &S);
    amlp_free(pick);
    if (rc)
        return aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    /* targets through the first member's preparation (class indexes as the
     * model knows them); unlabelled rows are left out */
    aml_matrix *X = NULL;
    float *y = NULL;
    rc = aml_prep_transform(aml_model_member_prep(m, 0), S, NULL, n, &X, &y, c->err);
    aml_matrix_free(X);
    if (rc) {
        aml_frame_free(S);
        return rc;
    }
    size_t *keep = amlp_malloc((n ? n : 1) * sizeof *keep), nk = 0;
    if (!keep || !y) {
        amlp_free(keep);
        aml_free(y);
        aml_frame_free(S);
        return aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i]))
            keep[nk++] = i;
    if (nk == n) {
        c->E = S;
    } else {
        rc = amlp_ex_take_frame(S, NULL, c->n_ecols, keep, nk, &c->E);
        aml_frame_free(S);
        for (size_t i = 0; i < nk; i++)
            y[i] = y[keep[i]];
    }
    amlp_free(keep);
    c->y = amlp_malloc((nk ? nk : 1) * sizeof *c->y);
    if (rc || !c->y) {
        aml_free(y);
        return aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    }
    memcpy(c->y, y, nk * sizeof *y);
    aml_free(y);
    c->n = nk;
    x->rows_used = nk;
    if (nk < 10)
        return aml_error_set(c->err, AML_EINVAL, 0, 0, "explain",
                             "only %zu of the rows have a known target; explaining needs at "
                             "least 10", nk);
    if (nk < n)
        rc = amlp_ex_note(x, "%zu rows with a missing or unknown target were left out.", n - nk);
    if (n < n_given)
        rc = rc ? rc : amlp_ex_note(x, "Explained on %zu of the %zu rows (a sample drawn with "
                                   "seed %llu), for speed.", n, n_given,
                                   (unsigned long long)c->o->seed);
    return rc;
}

int aml_explain_run(const aml_model *m, const aml_frame *frame, const size_t *rows, size_t n_rows,
                    const aml_explain_options *opts, aml_explanation **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "explain", "out is NULL");
    *out = NULL;
    if (!m || !frame)
        return aml_error_set(err, AML_EINVAL, 0, 0, "explain", "a model and a frame are required");
    if (aml_model_n_members(m) == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "explain", "the model has no members");
    aml_explain_options def = aml_explain_options_default();
    const aml_explain_options *o = opts ? opts : &def;
    if (!rows)
        n_rows = aml_frame_nrows(frame);
    if (o->row >= 0 && (size_t)o->row >= aml_frame_nrows(frame))
        return aml_error_set(err, AML_EINVAL, 0, 0, "explain",
                             "row %ld is out of range (the data has %zu rows)", o->row,
                             aml_frame_nrows(frame));
    amlp_ex c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.o = o;
    c.err = err;
    c.src = frame;
    c.n_in = aml_model_n_inputs(m);
    aml_explanation *x = amlp_calloc(1, sizeof *x);
    c.x = x;
    c.used = amlp_calloc(c.n_in + 1, sizeof *c.used);
    c.rank = amlp_calloc(c.n_in + 1, sizeof *c.rank);
    size_t cap = n_rows > o->pdp_rows ? n_rows : o->pdp_rows;
    cap = cap > c.n_in + 2 ? cap : c.n_in + 2;
    c.iota = amlp_malloc(cap * sizeof *c.iota);
    int rc = 0;
    if (!x || !c.used || !c.rank || !c.iota) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "explain", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cap; i++)
        c.iota[i] = i;
    x->task = aml_model_task(m);
    x->metric = aml_metric_resolve(aml_model_metric(m), x->task);
    x->n_classes = aml_model_n_classes(m);
    x->width = aml_model_pred_width(m);
    x->rows_given = n_rows;
    x->members = aml_model_n_members(m);
    if ((rc = build_rows(&c, frame, rows, n_rows)) || (rc = find_used(&c)))
        goto done;

    size_t n_used = 0;
    for (size_t i = 0; i < c.n_in; i++)
        n_used += c.used[i];
    c.repeats = o->repeats ? o->repeats : 1;
    c.pdp_rows = o->pdp_rows;
    c.shap_rows = o->shap_rows ? o->shap_rows : c.n;
    c.rows_before_budget = c.n;
    c.work_total = (double)c.n * (1 + (double)n_used * (double)c.repeats) +
                   (double)o->pdp_features * (double)o->pdp_grid *
                       (double)(c.n < c.pdp_rows ? c.n : c.pdp_rows) +
                   (o->shap ? AMLP_SHAP_WORK * (double)(c.n < c.shap_rows ? c.n : c.shap_rows) : 0) +
                   (o->row >= 0 ? (double)c.n_in + 2 : 0);

    c.pred = amlp_malloc(c.n * x->width * sizeof *c.pred);
    if (!c.pred) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "explain", "out of memory");
        goto done;
    }
    c.what = "predicting";
    double t0 = aml_now();
    if ((rc = amlp_ex_predict(&c, c.E, c.n, c.pred)) ||
        (rc = fit_budget(&c, n_used, aml_now() - t0)))
        goto done;
    /* the work left, after the budget */
    c.work_total = c.work_done + (double)c.n * (double)n_used * (double)c.repeats +
                   (double)o->pdp_features * (double)o->pdp_grid *
                       (double)(c.n < c.pdp_rows ? c.n : c.pdp_rows) +
                   (o->shap ? AMLP_SHAP_WORK * (double)(c.n < c.shap_rows ? c.n : c.shap_rows) : 0) +
                   (o->row >= 0 ? (double)c.n_in + 2 : 0);
    rc = aml_metric_score(x->metric, x->task, x->n_classes, c.y, c.pred, NULL, c.n, &x->score, err);
    if (rc) {
        char why[AML_ERROR_TEXT_LEN];
        snprintf(why, sizeof why, "%s", err ? err->text : "");
        rc = aml_error_set(err, rc, 0, 0, "explain", "cannot score the model on these rows: %s",
                           why);
        goto done;
    }
    if ((rc = importance(&c)))
        goto done;
    if (o->shap && (rc = amlp_ex_shap_summary(&c)))
        goto done;
    if ((rc = amlp_ex_pdp(&c)))
        goto done;
    if (o->row >= 0) {
        aml_frame *r1 = NULL;
        size_t fr = (size_t)o->row;
        rc = amlp_ex_take_frame(frame, c.scol, c.n_ecols, &fr, 1, &r1);
        if (rc) {
            rc = aml_error_set(err, rc, 0, 0, "explain", "out of memory");
            goto done;
        }
        c.what = "the row";
        rc = amlp_ex_all_trees(&c) && o->shap ? amlp_ex_shap_row(&c, r1, fr)
                                              : amlp_ex_replace_row(&c, r1, fr);
        rc = rc ? rc : amlp_ex_row_finish(&c, r1, fr);
        aml_frame_free(r1);
        if (rc)
            goto done;
    }
done:
    aml_frame_free(c.E);
    amlp_free(c.y);
    amlp_free(c.pred);
    amlp_free(c.used);
    amlp_free(c.rank);
    amlp_free(c.iota);
    amlp_free(c.scol);
    if (rc) {
        aml_explanation_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

void aml_explanation_free(aml_explanation *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_notes; i++)
        amlp_free(x->notes[i]);
    amlp_free(x->notes);
    for (size_t i = 0; i < x->n_imp; i++)
        amlp_free((char *)x->imp[i].column);
    amlp_free(x->imp);
    amlp_free(x->shap);
    amlp_free(x->shap_per_class);
    for (size_t i = 0; i < x->n_pdp; i++) {
        aml_explain_pdp *p = &x->pdp[i];
        amlp_free((char *)p->column);
        for (size_t k = 0; p->labels && k < p->n; k++)
            amlp_free((char *)p->labels[k]);
        amlp_free((void *)p->labels);
        amlp_free((void *)p->x);
        amlp_free((void *)p->y);
    }
    amlp_free(x->pdp);
    if (x->row) {
        for (size_t i = 0; i < x->row->n; i++)
            amlp_free((char *)x->row->contribs[i].value);
        amlp_free((void *)x->row->contribs);
        amlp_free(x->row);
    }
    amlp_free(x);
}

/* ---- accessors ---- */

aml_task aml_explanation_task(const aml_explanation *x) { return x->task; }
aml_metric aml_explanation_metric(const aml_explanation *x) { return x->metric; }
double aml_explanation_score(const aml_explanation *x) { return x->score; }
size_t aml_explanation_rows_given(const aml_explanation *x) { return x->rows_given; }
size_t aml_explanation_rows_used(const aml_explanation *x) { return x->rows_used; }
size_t aml_explanation_n_notes(const aml_explanation *x) { return x->n_notes; }
const char *aml_explanation_note(const aml_explanation *x, size_t i)
{
    return i < x->n_notes ? x->notes[i] : NULL;
}

const aml_explain_importance *aml_explanation_importance(const aml_explanation *x, size_t *n)
{
    *n = x->n_imp;
    return x->imp;
}

const aml_explain_shap *aml_explanation_shap(const aml_explanation *x, size_t *n)
{
    *n = x->n_shap;
    return x->n_shap ? x->shap : NULL;
}

void aml_explanation_shap_cover(const aml_explanation *x, size_t *tree_members, size_t *members,
                                double *tree_weight, const char **units)
{
    if (tree_members)
        *tree_members = x->tree_members;
    if (members)
        *members = x->members;
    if (tree_weight)
        *tree_weight = x->tree_weight;
    if (units)
        *units = x->units ? x->units : "";
}

const aml_explain_pdp *aml_explanation_pdp(const aml_explanation *x, size_t *n)
{
    *n = x->n_pdp;
    return x->pdp;
}

const aml_explain_row *aml_explanation_row(const aml_explanation *x) { return x->row; }
