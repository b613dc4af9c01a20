/*
 * mg_plot.c — %plot: the teaching magic that shows data before any model
 * does.  Turns columns of a data set into a chart from engine/plot: histogram,
 * scatter, bar, box or line, optionally split by a category.
 */
#include "mg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BY_LEVELS 8     /* colours that stay distinguishable */
#define MAX_BAR_LEVELS 30
#define MAX_BOX_LEVELS 12
#define MAX_INT_LEVELS 50   /* an integer column with at most this many values is a category */
#define MAX_SCATTER 200000  /* points drawn; more are thinned evenly */

static const mg_option plot_options[] = {
    {"x", MG_COLUMN, NULL, "the column along the horizontal axis (or the one to count)"},
    {"y", MG_COLUMN, NULL, "the column along the vertical axis"},
    {"kind", MG_ENUM, "hist|scatter|bar|box|line|heatmap|roc|pr",
     "the chart (default: chosen from the types)"},
    {"by", MG_COLUMN, NULL, "split by this category: one colour per value"},
    {"title", MG_STRING, NULL, "the chart's title"},
    {"bins", MG_INT, NULL, "histogram bins (default: Freedman–Diaconis)"},
    {"log", MG_ENUM, "x|y|xy", "logarithmic axes"},
    {"width", MG_INT, NULL, "width in pixels (default 640)"},
    {"height", MG_INT, NULL, "height in pixels (default 400)"},
    {"positive", MG_STRING, NULL, "roc/pr: the value of y that counts as positive"},
    {0},
};

/* A column seen as categories: per-row codes (-1 outside the kept levels). */
typedef struct levels {
    int *code;          /* nrows */
    char **names;       /* n */
    size_t n;
    size_t dropped;     /* distinct values left out (rarer ones) */
} levels;

static void levels_free(levels *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->code);
    memset(l, 0, sizeof *l);
}

static bool numeric_type(aml_type t)
{
    return t == AML_TYPE_NUMBER || t == AML_TYPE_INTEGER || t == AML_TYPE_BOOLEAN ||
           t == AML_TYPE_DATETIME;
}

typedef struct value_count {
    double value;
    size_t count;
    int code;
} value_count;

static int by_count_desc(const void *a, const void *b)
{
    const value_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (x->value > y->value) - (x->value < y->value);
}

static int by_value(const void *a, const void *b)
{
    const value_count *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}

/* Distinct values of a numeric column with their counts (sorted by value);
 * NULL when there are more than `max`. */
static value_count *distinct_numbers(const aml_frame *f, size_t col, size_t max, size_t *n_out)
{
    size_t rows = aml_frame_nrows(f), n = 0;
    double *v = malloc((rows + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t r = 0; r < rows; r++)
        if (aml_frame_is_valid(f, col, r))
            v[n++] = aml_frame_get_number(f, col, r);
    value_count *out = calloc(max + 1, sizeof *out);
    size_t k = 0;
    if (out) {
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < k && out[j].value != v[i])
                j++;
            if (j == k) {
                if (k == max) {
                    free(out);
                    out = NULL;
                    break;
                }
                out[k].value = v[i];
                k++;
            }
            out[j].count++;
        }
    }
    free(v);
    if (out)
        qsort(out, k, sizeof *out, by_value);
    *n_out = k;
    return out;
}

/* Sees column `col` as categories, keeping the `max` most frequent (for
 * categorical columns) or, for booleans and integers with few values, every
 * value in numeric order.  Returns 0 or fails with a reason. */
static int make_levels(mg_ctx *ctx, const aml_frame *f, size_t col, size_t max, levels *out)
{
    memset(out, 0, sizeof *out);
    size_t rows = aml_frame_nrows(f);
    aml_type t = aml_frame_col_type(f, col);
    const char *name = aml_frame_col_name(f, col);
    value_count *vc = NULL;
    size_t k = 0;
    if (t == AML_TYPE_CATEGORICAL) {
        k = aml_frame_cat_count(f, col);
        vc = calloc(k + 1, sizeof *vc);
        const uint32_t *codes = aml_frame_col_codes(f, col);
        for (size_t i = 0; vc && i < k; i++) {
            vc[i].code = (int)i;
            vc[i].value = (double)i;
        }
        for (size_t r = 0; vc && r < rows; r++)
            if (aml_frame_is_valid(f, col, r))
                vc[codes[r]].count++;
        if (vc)
            qsort(vc, k, sizeof *vc, by_count_desc);
    } else if (t == AML_TYPE_BOOLEAN || t == AML_TYPE_INTEGER) {
        vc = distinct_numbers(f, col, MAX_INT_LEVELS, &k);
        if (!vc)
            return mg_fail(ctx, "UsageError", "column '%s' has more than %d distinct values: "
                           "it is not a category (try kind=hist or kind=scatter)", name,
                           MAX_INT_LEVELS);
        if (k > max)
            qsort(vc, k, sizeof *vc, by_count_desc);
    } else {
        return mg_fail(ctx, "UsageError", "column '%s' is %s: it cannot be used as a category "
                       "(use a categorical, boolean or small integer column)", name,
                       aml_type_name(t));
    }
    if (!vc)
        return mg_fail(ctx, "MemoryError", "out of memory");
    size_t keep = k < max ? k : max;
    if (k > max && t != AML_TYPE_CATEGORICAL)
        qsort(vc, keep, sizeof *vc, by_value);
    out->n = keep;
    out->dropped = k - keep;
    out->names = calloc(keep + 1, sizeof *out->names);
    out->code = malloc((rows + 1) * sizeof *out->code);
    if (!out->names || !out->code) {
        free(vc);
        levels_free(out);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    for (size_t i = 0; i < keep; i++) {
        char buf[128];
        if (t == AML_TYPE_CATEGORICAL)
            snprintf(buf, sizeof buf, "%s", aml_frame_cat_level(f, col, (size_t)vc[i].code));
        else if (t == AML_TYPE_BOOLEAN)
            snprintf(buf, sizeof buf, "%s", vc[i].value != 0 ? "true" : "false");
        else
            snprintf(buf, sizeof buf, "%.0f", vc[i].value);
        out->names[i] = strdup(buf);
    }
    const uint32_t *codes = t == AML_TYPE_CATEGORICAL ? aml_frame_col_codes(f, col) : NULL;
    for (size_t r = 0; r < rows; r++) {
        out->code[r] = -1;
        if (!aml_frame_is_valid(f, col, r))
            continue;
        double v = codes ? (double)codes[r] : aml_frame_get_number(f, col, r);
        for (size_t i = 0; i < keep; i++)
            if ((codes ? (double)vc[i].code : vc[i].value) == v) {
                out->code[r] = (int)i;
                break;
            }
    }
    free(vc);
    return 0;
}

static bool is_category(const aml_frame *f, size_t col)
{
    aml_type t = aml_frame_col_type(f, col);
    if (t == AML_TYPE_CATEGORICAL || t == AML_TYPE_BOOLEAN)
        return true;
    if (t != AML_TYPE_INTEGER)
        return false;
    size_t k = 0;
    value_count *vc = distinct_numbers(f, col, 12, &k);
    free(vc);
    return vc != NULL;
}

typedef struct plot_req {
    mg_ctx *ctx;
    const mg_dataset *d;
    const aml_frame *f;
    long x, y, by;          /* column indexes, -1 when absent */
    levels by_levels;
    aml_plot_opts opts;
    char title[1400];  /* room for three column names and words */
    long bins;
} plot_req;

static int need_numeric(plot_req *p, long col, const char *role)
{
    aml_type t = aml_frame_col_type(p->f, (size_t)col);
    if (numeric_type(t))
        return 0;
    return mg_fail(p->ctx, "UsageError", "%s='%s' is %s, but this chart needs numbers there%s",
                   role, aml_frame_col_name(p->f, (size_t)col), aml_type_name(t),
                   t == AML_TYPE_CATEGORICAL ? " (kind=bar counts categories)" : "");
}

/* Rows where every used column is valid (and the by-category is kept); on a
 * log axis, rows with values <= 0 are left out, as matplotlib masks them. */
static bool row_ok(const plot_req *p, size_t r)
{
    if (p->x >= 0 && !aml_frame_is_valid(p->f, (size_t)p->x, r))
        return false;
    if (p->y >= 0 && !aml_frame_is_valid(p->f, (size_t)p->y, r))
        return false;
    if (p->opts.x_scale == AML_PLOT_LOG && p->x >= 0 &&
        !(aml_frame_get_number(p->f, (size_t)p->x, r) > 0))
        return false;
    if (p->opts.y_scale == AML_PLOT_LOG && p->y >= 0 &&
        !(aml_frame_get_number(p->f, (size_t)p->y, r) > 0))
        return false;
    if (p->by >= 0 && p->by_levels.code[r] < 0)
        return false;
    return true;
}

/* Axis titles from the columns, unless the chart set its own. */
static void axis_titles(plot_req *p, long xcol, long ycol)
{
    if (!p->opts.x_title && xcol >= 0)
        p->opts.x_title = aml_frame_col_name(p->f, (size_t)xcol);
    if (!p->opts.y_title && ycol >= 0)
        p->opts.y_title = aml_frame_col_name(p->f, (size_t)ycol);
}

static int finish(plot_req *p, int rc, aml_plot_image *img, const aml_error *err)
{
    if (rc)
        return mg_fail(p->ctx, "PlotError", "%s", err->text[0] ? err->text : aml_strerror(rc));
    char alt[1600];
    snprintf(alt, sizeof alt, "%s (chart, %d×%d)", p->title, img->width, img->height);
    rc = mg_display_png(p->ctx, img, alt);
    aml_plot_image_free(img);
    return rc;
}

static int plot_hist(plot_req *p)
{
    if (need_numeric(p, p->x, "x"))
        return -1;
    size_t rows = aml_frame_nrows(p->f), n = 0;
    double *v = malloc((rows + 1) * sizeof *v);
    int *cat = malloc((rows + 1) * sizeof *cat);
    if (!v || !cat) {
        free(v);
        free(cat);
        return mg_fail(p->ctx, "MemoryError", "out of memory");
    }
    for (size_t r = 0; r < rows; r++)
        if (row_ok(p, r)) {
            v[n] = aml_frame_get_number(p->f, (size_t)p->x, r);
            cat[n++] = p->by >= 0 ? p->by_levels.code[r] : 0;
        }
    aml_plot_hist_data h = aml_plot_hist_data_default();
    h.values = v;
    h.n = n;
    if (p->by >= 0) {
        h.category = cat;
        h.category_names = (const char *const *)p->by_levels.names;
        h.n_categories = p->by_levels.n;
        h.density = true;  /* classes of different sizes compare by shape */
    }
    h.bins = p->bins > 0 ? (size_t)p->bins : 0;
    axis_titles(p, p->x, -1);
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = aml_plot_hist(&p->opts, &h, &img, &err);
    free(v);
    free(cat);
    return finish(p, rc, img, &err);
}

static int plot_scatter(plot_req *p)
{
    if (need_numeric(p, p->x, "x") || need_numeric(p, p->y, "y"))
        return -1;
    size_t rows = aml_frame_nrows(p->f), valid = 0, n = 0;
    for (size_t r = 0; r < rows; r++)
        valid += row_ok(p, r);
    size_t stride = valid > MAX_SCATTER ? (valid + MAX_SCATTER - 1) / MAX_SCATTER : 1;
    double *x = malloc((valid + 1) * sizeof *x), *y = malloc((valid + 1) * sizeof *y);
    int *cat = malloc((valid + 1) * sizeof *cat);
    if (!x || !y || !cat) {
        free(x);
        free(y);
        free(cat);
        return mg_fail(p->ctx, "MemoryError", "out of memory");
    }
    for (size_t r = 0, seen = 0; r < rows; r++) {
        if (!row_ok(p, r) || seen++ % stride)
            continue;
        x[n] = aml_frame_get_number(p->f, (size_t)p->x, r);
        y[n] = aml_frame_get_number(p->f, (size_t)p->y, r);
        cat[n++] = p->by >= 0 ? p->by_levels.code[r] : 0;
    }
    aml_plot_scatter_data s = aml_plot_scatter_data_default();
    s.x = x;
    s.y = y;
    s.n = n;
    if (p->by >= 0) {
        s.category = cat;
        s.category_names = (const char *const *)p->by_levels.names;
        s.n_categories = p->by_levels.n;
    }
    axis_titles(p, p->x, p->y);
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = aml_plot_scatter(&p->opts, &s, &img, &err);
    free(x);
    free(y);
    free(cat);
    return finish(p, rc, img, &err);
}

static int plot_bar(plot_req *p)
{
    if (p->y >= 0 && need_numeric(p, p->y, "y"))
        return -1;
    levels lv;
    if (make_levels(p->ctx, p->f, (size_t)p->x, MAX_BAR_LEVELS, &lv))
        return -1;
    double *sum = calloc(lv.n + 1, sizeof *sum), *cnt = calloc(lv.n + 1, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum);
        free(cnt);
        levels_free(&lv);
        return mg_fail(p->ctx, "MemoryError", "out of memory");
    }
    size_t rows = aml_frame_nrows(p->f);
    for (size_t r = 0; r < rows; r++) {
        if (!row_ok(p, r) || lv.code[r] < 0)
            continue;
        cnt[lv.code[r]] += 1;
        if (p->y >= 0)
            sum[lv.code[r]] += aml_frame_get_number(p->f, (size_t)p->y, r);
    }
    size_t longest = 0;
    for (size_t i = 0; i < lv.n; i++) {
        if (p->y >= 0)
            sum[i] = cnt[i] > 0 ? sum[i] / cnt[i] : 0;
        if (mg_utf8_width(lv.names[i]) > longest)
            longest = mg_utf8_width(lv.names[i]);
    }
    aml_plot_bar_data b = aml_plot_bar_data_default();
    b.labels = (const char *const *)lv.names;
    b.values = p->y >= 0 ? sum : cnt;
    b.n = lv.n;
    b.horizontal = lv.n > 8 || longest > 10;
    b.sort = aml_frame_col_type(p->f, (size_t)p->x) == AML_TYPE_CATEGORICAL ? AML_PLOT_SORT_DESC
                                                                           : AML_PLOT_SORT_NONE;
    b.value_labels = lv.n <= 20;
    char vt[300];
    if (p->y >= 0)
        snprintf(vt, sizeof vt, "mean of %s", aml_frame_col_name(p->f, (size_t)p->y));
    else
        snprintf(vt, sizeof vt, "rows");
    if (b.horizontal) {
        if (!p->opts.x_title)
            p->opts.x_title = vt;
        if (b.n > 8 && p->opts.height == 400)
            p->opts.height = (int)(90 + 24 * b.n);
    } else if (!p->opts.y_title) {
        p->opts.y_title = vt;
    }
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = aml_plot_bar(&p->opts, &b, &img, &err);
    free(sum);
    free(cnt);
    levels_free(&lv);
    return finish(p, rc, img, &err);
}

static int plot_box(plot_req *p)
{
    /* numbers in y grouped by x (or by `by`); or one box of x */
    long val = p->y >= 0 ? p->y : p->x;
    long grp = p->y >= 0 ? p->x : p->by;
    if (need_numeric(p, val, p->y >= 0 ? "y" : "x"))
        return -1;
    levels lv = {0};
    if (grp >= 0 && make_levels(p->ctx, p->f, (size_t)grp, MAX_BOX_LEVELS, &lv))
        return -1;
    size_t ng = grp >= 0 ? lv.n : 1, rows = aml_frame_nrows(p->f);
    aml_plot_box_group *g = calloc(ng + 1, sizeof *g);
    double **vals = calloc(ng + 1, sizeof *vals);
    size_t *n = calloc(ng + 1, sizeof *n);
    int rc = 0;
    for (size_t i = 0; g && vals && n && i < ng; i++)
        if (!(vals[i] = malloc((rows + 1) * sizeof **vals)))
            rc = -1;
    if (!g || !vals || !n || rc) {
        rc = mg_fail(p->ctx, "MemoryError", "out of memory");
        goto out;
    }
    for (size_t r = 0; r < rows; r++) {
        if (!aml_frame_is_valid(p->f, (size_t)val, r))
            continue;
        int k = grp >= 0 ? lv.code[r] : 0;
        if (k < 0)
            continue;
        vals[k][n[k]++] = aml_frame_get_number(p->f, (size_t)val, r);
    }
    for (size_t i = 0; i < ng; i++) {
        g[i].values = vals[i];
        g[i].n = n[i];
        g[i].label = grp >= 0 ? lv.names[i] : aml_frame_col_name(p->f, (size_t)val);
    }
    axis_titles(p, grp, val);
    aml_plot_image *img = NULL;
    aml_error err = {0};
    rc = aml_plot_box(&p->opts, g, ng, &img, &err);
    rc = finish(p, rc, img, &err);
out:
    for (size_t i = 0; vals && i < ng; i++)
        free(vals[i]);
    free(vals);
    free(n);
    free(g);
    levels_free(&lv);
    return rc;
}

typedef struct xy {
    double x, y;
} xy;

static int by_x(const void *a, const void *b)
{
    const xy *u = a, *v = b;
    return (u->x > v->x) - (u->x < v->x);
}

/* Line: the mean of y at each distinct x, in x order; one line per `by`. */
static int plot_line(plot_req *p)
{
    if (need_numeric(p, p->x, "x") || need_numeric(p, p->y, "y"))
        return -1;
    size_t ns = p->by >= 0 ? p->by_levels.n : 1, rows = aml_frame_nrows(p->f);
    aml_plot_series *s = calloc(ns + 1, sizeof *s);
    xy **pts = calloc(ns + 1, sizeof *pts);
    double **xs = calloc(ns + 1, sizeof *xs), **ys = calloc(ns + 1, sizeof *ys);
    size_t *n = calloc(ns + 1, sizeof *n);
    int rc = 0;
    for (size_t i = 0; s && pts && xs && ys && n && i < ns; i++) {
        pts[i] = malloc((rows + 1) * sizeof **pts);
        xs[i] = malloc((rows + 1) * sizeof **xs);
        ys[i] = malloc((rows + 1) * sizeof **ys);
        if (!pts[i] || !xs[i] || !ys[i])
            rc = -1;
    }
    if (!s || !pts || !xs || !ys || !n || rc) {
        rc = mg_fail(p->ctx, "MemoryError", "out of memory");
        goto out;
    }
    for (size_t r = 0; r < rows; r++) {
        if (!row_ok(p, r))
            continue;
        int k = p->by >= 0 ? p->by_levels.code[r] : 0;
        pts[k][n[k]].x = aml_frame_get_number(p->f, (size_t)p->x, r);
        pts[k][n[k]++].y = aml_frame_get_number(p->f, (size_t)p->y, r);
    }
    size_t used = 0;
    for (size_t i = 0; i < ns; i++) {
        qsort(pts[i], n[i], sizeof **pts, by_x);
        size_t m = 0;
        for (size_t j = 0; j < n[i];) {
            size_t e = j;
            double sum = 0;
            while (e < n[i] && pts[i][e].x == pts[i][j].x)
                sum += pts[i][e++].y;
            xs[i][m] = pts[i][j].x;
            ys[i][m++] = sum / (double)(e - j);
            j = e;
        }
        if (m == 0)
            continue;
        s[used] = aml_plot_series_default();
        s[used].x = xs[i];
        s[used].y = ys[i];
        s[used].n = m;
        s[used].markers = m <= 60;
        s[used].label = p->by >= 0 ? p->by_levels.names[i] : NULL;
        used++;
    }
    char yt[300];
    snprintf(yt, sizeof yt, "mean of %s", aml_frame_col_name(p->f, (size_t)p->y));
    if (!p->opts.y_title)
        p->opts.y_title = yt;
    axis_titles(p, p->x, -1);
    aml_plot_image *img = NULL;
    aml_error err = {0};
    rc = aml_plot_line(&p->opts, s, used, &img, &err);
    rc = finish(p, rc, img, &err);
out:
    for (size_t i = 0; i < ns; i++) {
        if (pts)
            free(pts[i]);
        if (xs)
            free(xs[i]);
        if (ys)
            free(ys[i]);
    }
    free(pts);
    free(xs);
    free(ys);
    free(n);
    free(s);
    return rc;
}

/* Heatmap of counts: rows are y's values, columns x's, coloured by row share. */
static int plot_heatmap(plot_req *p)
{
    if (p->y < 0)
        return mg_fail(p->ctx, "UsageError", "kind=heatmap needs x=COLUMN and y=COLUMN "
                       "(two categories)");
    levels lx, ly;
    if (make_levels(p->ctx, p->f, (size_t)p->x, MAX_BOX_LEVELS, &lx))
        return -1;
    if (make_levels(p->ctx, p->f, (size_t)p->y, MAX_BOX_LEVELS, &ly)) {
        levels_free(&lx);
        return -1;
    }
    double *v = calloc(lx.n * ly.n + 1, sizeof *v);
    if (!v) {
        levels_free(&lx);
        levels_free(&ly);
        return mg_fail(p->ctx, "MemoryError", "out of memory");
    }
    for (size_t r = 0; r < aml_frame_nrows(p->f); r++)
        if (lx.code[r] >= 0 && ly.code[r] >= 0)
            v[(size_t)ly.code[r] * lx.n + (size_t)lx.code[r]] += 1;
    aml_plot_heatmap_data h = aml_plot_heatmap_data_default();
    h.values = v;
    h.rows = ly.n;
    h.cols = lx.n;
    h.row_labels = (const char *const *)ly.names;
    h.col_labels = (const char *const *)lx.names;
    h.annot = lx.n <= 8 ? AML_PLOT_ANNOT_VALUE_ROW_PCT : AML_PLOT_ANNOT_VALUE;
    h.color_by_row = true;
    h.colorbar_title = "share of the row";
    axis_titles(p, p->x, p->y);
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = aml_plot_heatmap(&p->opts, &h, &img, &err);
    free(v);
    levels_free(&lx);
    levels_free(&ly);
    return finish(p, rc, img, &err);
}

/* The positive class of a two-valued label column: `positive=` if given,
 * else yes/true/1 when present, else the rarer value. */
static int positive_class(plot_req *p, const char *positive, levels *lv, int *pos)
{
    const char *name = aml_frame_col_name(p->f, (size_t)p->y);
    if (lv->n != 2 || lv->dropped)
        return mg_fail(p->ctx, "UsageError", "kind=roc/pr needs a label y with two values; "
                       "'%s' has %zu", name, lv->n + lv->dropped);
    *pos = -1;
    for (size_t i = 0; i < 2; i++) {
        if (positive && strcmp(lv->names[i], positive) == 0)
            *pos = (int)i;
        if (!positive && (strcasecmp(lv->names[i], "yes") == 0 ||
                          strcasecmp(lv->names[i], "true") == 0 || strcmp(lv->names[i], "1") == 0))
            *pos = (int)i;
    }
    if (positive && *pos < 0)
        return mg_fail(p->ctx, "UsageError", "positive=%s: '%s' takes the values '%s' and '%s'",
                       positive, name, lv->names[0], lv->names[1]);
    if (*pos < 0) {
        size_t c[2] = {0, 0};
        for (size_t r = 0; r < aml_frame_nrows(p->f); r++)
            if (lv->code[r] >= 0)
                c[lv->code[r]]++;
        *pos = c[1] <= c[0] ? 1 : 0;
    }
    return 0;
}

/* ROC or precision-recall curves: how well each score column (x, or a comma
 * list) alone ranks the positive rows of the label y first. */
static int plot_curves(plot_req *p, const char *xs, const char *positive, bool roc)
{
    if (p->y < 0)
        return mg_fail(p->ctx, "UsageError", "kind=%s needs y=LABEL (a column with two values)",
                       roc ? "roc" : "pr");
    levels lv;
    if (make_levels(p->ctx, p->f, (size_t)p->y, 3, &lv))
        return -1;
    int pos = 0, rc = positive_class(p, positive, &lv, &pos);
    char names[8][128];
    size_t nx = 0;
    for (const char *c = xs; rc == 0 && *c && nx < 8;) {
        size_t len = strcspn(c, ",");
        snprintf(names[nx], sizeof names[nx], "%.*s", (int)len, c);
        size_t col;
        if (mg_column_or_fail(p->ctx, p->d, names[nx], "x", &col) ||
            need_numeric(p, (long)col, "x"))
            rc = -1;
        nx++;
        c += len + (c[len] == ',');
    }
    size_t rows = aml_frame_nrows(p->f);
    aml_plot_scored curves[8];
    double *scores[8] = {0};
    int *labels[8] = {0};
    for (size_t i = 0; rc == 0 && i < nx; i++) {
        size_t col = (size_t)aml_frame_col_index(p->f, names[i]), n = 0;
        scores[i] = malloc((rows + 1) * sizeof **scores);
        labels[i] = malloc((rows + 1) * sizeof **labels);
        if (!scores[i] || !labels[i]) {
            rc = mg_fail(p->ctx, "MemoryError", "out of memory");
            break;
        }
        for (size_t r = 0; r < rows; r++)
            if (lv.code[r] >= 0 && aml_frame_is_valid(p->f, col, r)) {
                scores[i][n] = aml_frame_get_number(p->f, col, r);
                labels[i][n++] = lv.code[r] == pos;
            }
        curves[i] = (aml_plot_scored){scores[i], labels[i], n, names[i]};
    }
    if (rc == 0) {
        aml_plot_image *img = NULL;
        aml_error err = {0};
        rc = roc ? aml_plot_roc(&p->opts, curves, nx, &img, &err)
                 : aml_plot_pr(&p->opts, curves, nx, &img, &err);
        rc = finish(p, rc, img, &err);
    }
    for (size_t i = 0; i < nx; i++) {
        free(scores[i]);
        free(labels[i]);
    }
    levels_free(&lv);
    return rc;
}

static long column_opt(plot_req *p, const mg_call *call, const char *opt, int *rc)
{
    const char *name = mg_opt(call, opt);
    size_t col;
    if (!name)
        return -1;
    if (mg_column_or_fail(p->ctx, p->d, name, opt, &col)) {
        *rc = -1;
        return -1;
    }
    return (long)col;
}

static int run_plot(mg_ctx *ctx, const mg_call *call)
{
    plot_req p = {.ctx = ctx, .x = -1, .y = -1, .by = -1};
    mg_dataset *d;
    if (mg_table_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, "%plot", &d))
        return -1;
    p.d = d;
    p.f = d->frame;
    int rc = 0;
    const char *kind = mg_opt(call, "kind");
    bool curves = kind && (strcmp(kind, "roc") == 0 || strcmp(kind, "pr") == 0);
    /* roc/pr take a comma list of score columns, checked when drawing */
    if (!curves)
        p.x = column_opt(&p, call, "x", &rc);
    else if (mg_opt(call, "x"))
        p.x = 0;
    if (rc == 0)
        p.y = column_opt(&p, call, "y", &rc);
    if (rc == 0)
        p.by = column_opt(&p, call, "by", &rc);
    if (rc)
        return -1;
    if (p.x < 0)
        return mg_fail(ctx, "UsageError", "%%plot needs x=COLUMN — e.g. %%plot x=%s",
                       aml_frame_ncols(p.f) ? aml_frame_col_name(p.f, 0) : "age");
    if (!kind) {
        bool xcat = is_category(p.f, (size_t)p.x);
        if (p.y < 0)
            kind = xcat || !numeric_type(aml_frame_col_type(p.f, (size_t)p.x)) ? "bar" : "hist";
        else
            kind = xcat ? "box" : "scatter";
    }
    if ((strcmp(kind, "scatter") == 0 || strcmp(kind, "line") == 0) && p.y < 0)
        return mg_fail(ctx, "UsageError", "kind=%s needs y=COLUMN as well", kind);
    p.opts = aml_plot_opts_default();
    const char *w = mg_opt(call, "width"), *h = mg_opt(call, "height");
    if (w)
        p.opts.width = atoi(w);
    if (h)
        p.opts.height = atoi(h);
    if (p.opts.width < 200 || p.opts.width > 3000 || p.opts.height < 150 || p.opts.height > 3000)
        return mg_fail(ctx, "UsageError", "width and height are pixels: 200–3000 and 150–3000");
    const char *log = mg_opt(call, "log");
    if (log && strchr(log, 'x'))
        p.opts.x_scale = AML_PLOT_LOG;
    if (log && strchr(log, 'y'))
        p.opts.y_scale = AML_PLOT_LOG;
    p.bins = mg_opt(call, "bins") ? atol(mg_opt(call, "bins")) : 0;
    if (mg_opt(call, "bins") && (p.bins < 1 || p.bins > 500))
        return mg_fail(ctx, "UsageError", "bins=%ld: use 1 to 500 bins", p.bins);
    if (p.by >= 0 && strcmp(kind, "bar") != 0 && !curves &&
        make_levels(ctx, p.f, (size_t)p.by, MAX_BY_LEVELS, &p.by_levels))
        return -1;

    char xlist[300] = "";
    if (curves && mg_opt(call, "x"))  /* "a,b" reads "a, b" in a title */
        for (const char *c = mg_opt(call, "x"); *c && strlen(xlist) + 3 < sizeof xlist; c++)
            strncat(xlist, *c == ',' ? ", " : (char[2]){*c, 0}, sizeof xlist - strlen(xlist) - 1);
    const char *xn = curves ? xlist : aml_frame_col_name(p.f, (size_t)p.x);
    const char *yn = p.y >= 0 ? aml_frame_col_name(p.f, (size_t)p.y) : NULL;
    const char *bn = p.by >= 0 ? aml_frame_col_name(p.f, (size_t)p.by) : NULL;
    if (mg_opt(call, "title"))
        snprintf(p.title, sizeof p.title, "%s", mg_opt(call, "title"));
    else if (strcmp(kind, "hist") == 0)
        snprintf(p.title, sizeof p.title, "Distribution of %s%s%s", xn, bn ? " by " : "",
                 bn ? bn : "");
    else if (strcmp(kind, "scatter") == 0)
        snprintf(p.title, sizeof p.title, "%s against %s%s%s", yn, xn, bn ? " by " : "",
                 bn ? bn : "");
    else if (strcmp(kind, "bar") == 0 && yn)
        snprintf(p.title, sizeof p.title, "Mean %s per %s", yn, xn);
    else if (strcmp(kind, "bar") == 0)
        snprintf(p.title, sizeof p.title, "Rows per %s", xn);
    else if (strcmp(kind, "box") == 0)
        snprintf(p.title, sizeof p.title, "%s%s%s", yn ? yn : xn, yn || bn ? " by " : "",
                 yn ? xn : bn ? bn : "");
    else if (strcmp(kind, "heatmap") == 0)
        snprintf(p.title, sizeof p.title, "%s by %s (counts and row %%)", yn ? yn : "", xn);
    else if (curves)
        snprintf(p.title, sizeof p.title, "How well %s alone ranks %s (%s)", xn, yn ? yn : "",
                 strcmp(kind, "roc") == 0 ? "ROC" : "precision-recall");
    else
        snprintf(p.title, sizeof p.title, "Mean %s over %s%s%s", yn, xn, bn ? " by " : "",
                 bn ? bn : "");
    p.opts.title = p.title;
    if (p.by_levels.dropped) {
        size_t l = strlen(p.title);
        snprintf(p.title + l, sizeof p.title - l, " (top %zu of %s)", p.by_levels.n, bn);
    }

    if (strcmp(kind, "hist") == 0)
        rc = plot_hist(&p);
    else if (strcmp(kind, "scatter") == 0)
        rc = plot_scatter(&p);
    else if (strcmp(kind, "bar") == 0)
        rc = plot_bar(&p);
    else if (strcmp(kind, "box") == 0)
        rc = plot_box(&p);
    else if (strcmp(kind, "heatmap") == 0)
        rc = plot_heatmap(&p);
    else if (curves)
        rc = plot_curves(&p, mg_opt(call, "x"), mg_opt(call, "positive"),
                         strcmp(kind, "roc") == 0);
    else
        rc = plot_line(&p);
    levels_free(&p.by_levels);
    return rc;
}

const mg_magic mg_magic_plot = {
    .name = "plot",
    .synopsis = "%plot [NAME] x=COL [y=COL] [kind=hist|scatter|bar|box|line|heatmap|roc|pr] "
                "[by=COL]",
    .summary = "Draw a chart of columns: look at the data before any model does.",
    .help = "Without kind=, the chart follows the columns' types: one number -> histogram, "
            "one category -> bar chart of counts, two numbers -> scatter, a category and a "
            "number -> box plot.  by=COL colours by a category (the 8 most frequent values).\n"
            "kind=heatmap counts two categories against each other; kind=roc and kind=pr show "
            "how well a number alone (or a few: x=a,b) ranks the rows of a two-valued y.\n\n"
            "Examples:\n  %plot x=age\n  %plot x=age by=y\n  %plot x=job\n  %plot x=job y=balance\n"
            "  %plot x=age y=balance by=y\n  %plot x=day y=duration kind=line\n"
            "  %plot x=balance bins=60\n  %plot x=campaign kind=bar\n"
            "  %plot x=job y=y kind=heatmap\n  %plot x=duration,pdays y=y kind=roc",
    .options = plot_options,
    .max_args = 1,
    .first_arg = MG_ARG_DATASET,
    .run = run_plot,
};
