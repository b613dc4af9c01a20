/*
 * explain_pdp.c — partial dependence of the most important columns, and the
 * model-agnostic contributions of one row (the replacement method) for
 * models with members that have no SHAP values.
 *
 * Grid values and "typical" values are always cells of the rows explained
 * (a quantile is the value of the row at that rank, a level the cell of a
 * row holding it), so every value put into a column is one of its own
 * cells, whatever its type.
 */
#include "explain/explain_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A numeric grid spans these quantiles (the tails are thin: a line drawn to
 * the maximum mostly shows a few extreme rows). */
#define PDP_QLO 0.05
#define PDP_QHI 0.95

typedef struct vrow {
    double v;
    size_t row;
} vrow;

static int cmp_vrow(const void *a, const void *b)
{
    const vrow *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static bool numeric(aml_type t)
{
    return t == AML_TYPE_NUMBER || t == AML_TYPE_INTEGER || t == AML_TYPE_DATETIME;
}

/* Valid cells of column `col` of E as (value, row), sorted by value;
 * categorical cells as their code.  OUT: *n.  NULL when out of memory. */
static vrow *sorted_cells(const amlp_ex *c, size_t col, size_t *n)
{
    vrow *v = amlp_malloc((c->n + 1) * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t r = 0; r < c->n; r++)
        if (aml_frame_is_valid(c->E, col, r)) {
            v[*n].v = aml_frame_get_number(c->E, col, r);
            v[(*n)++].row = r;
        }
    qsort(v, *n, sizeof *v, cmp_vrow);
    return v;
}

typedef struct level {
    double v;
    size_t count, row;
} level;

static int cmp_level(const void *a, const void *b)
{
    const level *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->v > y->v) - (x->v < y->v);
}

/* Distinct values of a sorted cell list with their counts and first row.
 * OUT: *n.  NULL when out of memory. */
static level *levels_of(const vrow *v, size_t nv, size_t *n)
{
    level *l = amlp_malloc((nv + 1) * sizeof *l);
    *n = 0;
    if (!l)
        return NULL;
    for (size_t i = 0; i < nv; i++) {
        if (*n && l[*n - 1].v == v[i].v) {
            l[*n - 1].count++;
            continue;
        }
        l[*n].v = v[i].v;
        l[*n].count = 1;
        l[(*n)++].row = v[i].row;
    }
    return l;
}

/* The rows of E whose cell of `col` gives each grid value.  OUT: rows (cap
 * grid entries), *n.  Numbers: every distinct value when there are at most
 * `grid`, else `grid` quantiles from the 5th to the 95th percentile (ranks
 * spread evenly), repeats dropped;
 * levels: the `grid` most frequent (booleans in order). */
static int grid_rows(const amlp_ex *c, size_t col, size_t grid, size_t *rows, size_t *n,
                     bool *percentiles)
{
    *percentiles = false;
    size_t nv = 0, nl = 0;
    *n = 0;
    vrow *v = sorted_cells(c, col, &nv);
    level *l = v ? levels_of(v, nv, &nl) : NULL;
    if (!v || !l) {
        amlp_free(v);
        amlp_free(l);
        return AML_ENOMEM;
    }
    aml_type t = aml_frame_col_type(c->E, col);
    if (numeric(t) && nl > grid) {
        *percentiles = true;
        for (size_t g = 0; g < grid; g++) {
            double q = PDP_QLO + (PDP_QHI - PDP_QLO) * (double)g / (double)(grid - 1);
            size_t pos = (size_t)llround(q * (double)(nv - 1));
            if (*n && aml_frame_get_number(c->E, col, rows[*n - 1]) == v[pos].v)
                continue;
            rows[(*n)++] = v[pos].row;
        }
    } else {
        if (!numeric(t) && t != AML_TYPE_BOOLEAN)
            qsort(l, nl, sizeof *l, cmp_level);
        for (size_t i = 0; i < nl && *n < grid; i++)
            rows[(*n)++] = l[i].row;
    }
    amlp_free(v);
    amlp_free(l);
    return 0;
}

int amlp_ex_pdp(amlp_ex *c)
{
    aml_explanation *x = c->x;
    size_t want = c->o->pdp_features, grid = c->o->pdp_grid < 2 ? 2 : c->o->pdp_grid;
    if (want == 0)
        return 0;
    x->pdp = amlp_calloc(want, sizeof *x->pdp);
    size_t ns = c->n < c->pdp_rows ? c->n : c->pdp_rows;
    size_t *sub = amlp_malloc((ns + 1) * sizeof *sub);
    size_t *gr = amlp_malloc(grid * sizeof *gr);
    size_t *same = amlp_malloc((ns + 1) * sizeof *same);
    float *pred = amlp_malloc((ns + 1) * x->width * sizeof *pred);
    aml_frame *P = NULL;
    int rc = x->pdp && sub && gr && same && pred ? 0 : AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < ns; i++)
        sub[i] = (size_t)((double)i * (double)c->n / (double)ns);
    rc = rc ? rc : amlp_ex_take_frame(c->E, NULL, c->n_ecols, sub, ns, &P);
    if (rc)
        rc = aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    for (size_t ri = 0; rc == 0 && ri < c->n_in && x->n_pdp < want; ri++) {
        size_t col = c->rank[ri];
        aml_type t = aml_frame_col_type(c->E, col);
        if (!c->used[col] || t == AML_TYPE_TEXT)
            continue;
        size_t ng = 0;
        bool pct = false;
        if ((rc = grid_rows(c, col, grid, gr, &ng, &pct))) {
            rc = aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
            break;
        }
        if (ng == 0)
            continue;
        aml_explain_pdp *d = &x->pdp[x->n_pdp++];
        d->column = amlp_strdup(aml_frame_col_name(c->E, col));
        d->type = t;
        d->categorical = !numeric(t);
        d->percentiles = pct;
        d->width = x->width;
        d->n = ng;
        double *xs = amlp_malloc(ng * sizeof *xs);
        double *ys = amlp_calloc(ng * x->width, sizeof *ys);
        char **labels = amlp_calloc(ng, sizeof *labels);
        d->x = xs;
        d->y = ys;
        d->labels = (const char *const *)labels;
        if (!d->column || !xs || !ys || !labels) {
            d->n = labels ? ng : 0;
            rc = aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
            break;
        }
        char what[200];
        snprintf(what, sizeof what, "partial dependence: %s", d->column);
        c->what = what;
        for (size_t g = 0; rc == 0 && g < ng; g++) {
            char buf[256];
            aml_frame_cell_str(c->E, col, gr[g], buf, sizeof buf);
            labels[g] = amlp_strdup(buf);
            xs[g] = d->categorical ? (double)g : aml_frame_get_number(c->E, col, gr[g]);
            for (size_t i = 0; i < ns; i++)
                same[i] = gr[g];
            amlp_col cst;
            rc = labels[g] ? amlp_ex_take_col(&c->E->cols[col], same, ns, &cst) : AML_ENOMEM;
            if (rc) {
                rc = aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
                break;
            }
            amlp_col keep = P->cols[col];
            cst.name = keep.name;
            P->cols[col] = cst;
            rc = amlp_ex_predict(c, P, ns, pred);
            cst = P->cols[col];
            P->cols[col] = keep;
            cst.name = NULL;
            amlp_col_clear(&cst);
            for (size_t i = 0; rc == 0 && i < ns; i++)
                for (size_t k = 0; k < x->width; k++)
                    ys[g * x->width + k] += pred[i * x->width + k] / (double)ns;
        }
        c->what = NULL;
    }
    aml_frame_free(P);
    amlp_free(sub);
    amlp_free(gr);
    amlp_free(same);
    amlp_free(pred);
    if (rc == AML_ENOMEM)
        return aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    return rc;
}

/* ---- one row, model-agnostic ---- */

/* A row of E holding column col's typical value: the lower median (numbers,
 * dates), the most frequent value (categories, booleans); SIZE_MAX (missing)
 * for text and all-missing columns. */
static int typical_row(const amlp_ex *c, size_t col, size_t *row)
{
    *row = SIZE_MAX;
    aml_type t = aml_frame_col_type(c->E, col);
    if (t == AML_TYPE_TEXT)
        return 0;
    size_t nv = 0, nl = 0;
    vrow *v = sorted_cells(c, col, &nv);
    if (!v)
        return AML_ENOMEM;
    if (nv && numeric(t)) {
        *row = v[(nv - 1) / 2].row;
    } else if (nv) {
        level *l = levels_of(v, nv, &nl);
        if (!l) {
            amlp_free(v);
            return AML_ENOMEM;
        }
        qsort(l, nl, sizeof *l, cmp_level);
        *row = l[0].row;
        amlp_free(l);
    }
    amlp_free(v);
    return 0;
}

int amlp_ex_replace_row(amlp_ex *c, const aml_frame *r1, size_t frame_row)
{
    aml_explanation *x = c->x;
    size_t m = 0;
    size_t *order = amlp_malloc((c->n_in + 1) * sizeof *order);
    size_t *pos = amlp_malloc((c->n_in + 1) * sizeof *pos);
    size_t *typ = amlp_malloc((c->n_in + 1) * sizeof *typ);
    x->row = amlp_calloc(1, sizeof *x->row);
    aml_explain_contrib *ct = amlp_calloc(c->n_in + 1, sizeof *ct);
    float *p = amlp_malloc((c->n_in + 2) * x->width * sizeof *p);
    aml_frame *R = NULL;
    int rc = order && pos && typ && x->row && ct && p ? 0 : AML_ENOMEM;
    if (x->row)
        x->row->contribs = ct;
    else
        amlp_free(ct);
    for (size_t i = 0; rc == 0 && i < c->n_in; i++) {
        size_t col = c->rank[i];
        pos[col] = SIZE_MAX;
        if (!c->used[col])
            continue;
        pos[col] = m;
        order[m++] = col;
        rc = typical_row(c, col, &typ[col]);
    }
    /* R: row t has the row's own values in the first t columns of the
     * order, typical values in the others */
    rc = rc ? rc : aml_frame_new(&R);
    for (size_t j = 0; rc == 0 && j < c->n_ecols; j++) {
        const amlp_col *own = &r1->cols[j];
        amlp_col col;
        amlp_col_init(&col, own->type);
        col.has_time = own->has_time;
        for (size_t t = 0; rc == 0 && t <= m; t++) {
            bool typical = j < c->n_in && pos[j] != SIZE_MAX && pos[j] >= t;
            rc = typical ? amlp_ex_push_cell(&col, &c->E->cols[j], typ[j])
                         : amlp_ex_push_cell(&col, own, 0);
        }
        col.name = rc ? NULL : amlp_strdup(own->name);
        rc = rc ? rc : col.name ? amlp_frame_push_col(R, &col) : AML_ENOMEM;
        if (rc)
            amlp_col_clear(&col);
    }
    if (rc)
        rc = aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    if (rc == 0)
        R->nrows = m + 1;
    rc = rc ? rc : amlp_ex_predict(c, R, m + 1, p);
    if (rc == 0) {
        size_t w = x->width, k = amlp_ex_class_of(c, p + m * w);
        size_t kk = x->task == AML_TASK_MULTICLASS ? k : 0;
        x->row->row = frame_row;
        x->row->shap = false;
        x->row->units = x->task == AML_TASK_REGRESSION ? "target units" : "probability";
        x->row->klass = k;
        x->row->base = p[kk];
        x->row->prediction = p[m * w + kk];
        x->row->model_prediction = p[m * w + kk];
        for (size_t t = 0; t < m && rc == 0; t++) {
            char buf[256] = "";
            aml_frame_cell_str(r1, order[t], 0, buf, sizeof buf);
            ct[t].column = aml_frame_col_name(r1, order[t]);
            ct[t].value = amlp_strdup(buf);
            ct[t].contribution = (double)p[(t + 1) * w + kk] - (double)p[t * w + kk];
            x->row->n = t + 1;
            if (!ct[t].value)
                rc = aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
        }
        if (rc == 0)
            rc = amlp_ex_note(x, "Row %zu is explained by replacement (the model has members "
                                 "without SHAP values): from a typical row (medians, most "
                                 "frequent levels) its own values are put in one column at a "
                                 "time, most important first; each change of the prediction "
                                 "is that column's contribution.", frame_row);
    } else if (rc == AML_ENOMEM) {
        rc = aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    }
    aml_frame_free(R);
    amlp_free(order);
    amlp_free(pos);
    amlp_free(typ);
    amlp_free(p);
    return rc;
}

int amlp_ex_row_finish(amlp_ex *c, const aml_frame *r1, size_t frame_row)
{
    (void)r1;
    aml_explain_row *row = c->x->row;
    row->row = frame_row;
    aml_explain_contrib *ct = (aml_explain_contrib *)row->contribs;
    /* column names owned by the explanation (the importance entries') */
    for (size_t i = 0; i < row->n; i++)
        for (size_t j = 0; j < c->x->n_imp && strcmp(ct[i].column, AMLP_ENGINEERED) != 0; j++)
            if (strcmp(c->x->imp[j].column, ct[i].column) == 0) {
                ct[i].column = c->x->imp[j].column;
                break;
            }
    for (size_t i = 1; i < row->n; i++)
        for (size_t j = i; j > 0 && fabs(ct[j].contribution) > fabs(ct[j - 1].contribution); j--) {
            aml_explain_contrib t = ct[j];
            ct[j] = ct[j - 1];
            ct[j - 1] = t;
        }
    return 0;
}
