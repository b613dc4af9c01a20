/*
 * mg_analyze.c — %analyze: the ANALYZE view of a data set, as in AutoML
 * Tables.  Per column: type, missing and invalid values, distinct values, a
 * statistical summary (or the top categories, or text length and
 * vocabulary), the association with the target and mutual information, and a
 * small histogram; then the target's distribution with a class-imbalance note
 * and a chart of which columns tell most about the target.
 */
#include "mg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mg_option analyze_options[] = {
    {"target", MG_COLUMN, NULL, "the column to predict (default: the data set's target)"},
    {0},
};

/* Short form of a number for tables: 3 significant digits, thousands kept. */
static void num(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "—");
    else if (fabs(v) >= 1e6 || (fabs(v) < 1e-3 && v != 0))
        snprintf(buf, len, "%.3g", v);
    else if (fabs(v - round(v)) < 1e-9)
        snprintf(buf, len, "%.0f", v);
    else if (fabs(v) >= 100)
        snprintf(buf, len, "%.1f", v);
    else
        snprintf(buf, len, "%.3g", v);
}

static void summary_of(const aml_analyze_column *c, char *buf, size_t len)
{
    buf[0] = 0;
    if (c->type == AML_TYPE_TEXT) {
        char v[32];
        mg_fmt_count(c->vocabulary, v);
        snprintf(buf, len, "%.0f characters on average, vocabulary %s words", c->avg_length, v);
    } else if (c->numeric && c->type != AML_TYPE_BOOLEAN) {
        char mean[32], sd[32], mn[32], q1[32], md[32], q3[32], mx[32];
        num(c->mean, mean, sizeof mean);
        num(c->std, sd, sizeof sd);
        num(c->min, mn, sizeof mn);
        num(c->q1, q1, sizeof q1);
        num(c->median, md, sizeof md);
        num(c->q3, q3, sizeof q3);
        num(c->max, mx, sizeof mx);
        if (c->type == AML_TYPE_DATETIME)
            snprintf(buf, len, "from %s to %s (seconds since 1970)", mn, mx);
        else
            snprintf(buf, len, "mean %s ± %s; min %s, quartiles %s / %s / %s, max %s", mean, sd,
                     mn, q1, md, q3, mx);
    } else {
        size_t total = c->rows - c->missing - c->invalid;
        for (size_t i = 0; i < c->n_top && i < 3; i++) {
            size_t l = strlen(buf);
            snprintf(buf + l, len - l, "%s%s %.1f%%", i ? ", " : "", c->top_values[i],
                     total ? 100.0 * (double)c->top_counts[i] / (double)total : 0.0);
        }
        if (c->distinct > 3) {
            size_t l = strlen(buf);
            snprintf(buf + l, len - l, ", …");
        }
    }
}

static void assoc_of(const aml_analyze_column *c, char *buf, size_t len)
{
    buf[0] = 0;
    if (c->is_target)
        snprintf(buf, len, "(target)");
    else if (c->assoc_kind == AML_ASSOC_PEARSON && !isnan(c->assoc))
        snprintf(buf, len, "r = %+.3f", c->assoc);
    else if (c->assoc_kind == AML_ASSOC_CORRELATION_RATIO && !isnan(c->assoc))
        snprintf(buf, len, "η = %.3f", c->assoc);
    else if (c->assoc_kind == AML_ASSOC_CRAMERS_V && !isnan(c->assoc))
        snprintf(buf, len, "V = %.3f", c->assoc);
}

/* ▁▂▃▄▅▆▇█ sparkline of the histogram, for text/plain. */
static void spark_text(const aml_analyze_column *c, char *buf, size_t len)
{
    static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    size_t max = 0;
    buf[0] = 0;
    for (size_t i = 0; i < c->n_bins; i++)
        if (c->bin_counts[i] > max)
            max = c->bin_counts[i];
    for (size_t i = 0; max && i < c->n_bins; i++) {
        size_t k = (size_t)((double)c->bin_counts[i] * 7.0 / (double)max + 0.5);
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s", blocks[k > 7 ? 7 : k]);
    }
}

/* The same histogram as a small inline SVG, for text/html. */
static void spark_svg(mg_buf *h, const aml_analyze_column *c)
{
    size_t max = 0;
    for (size_t i = 0; i < c->n_bins; i++)
        if (c->bin_counts[i] > max)
            max = c->bin_counts[i];
    if (!max || !c->n_bins)
        return;
    double w = 96.0 / (double)c->n_bins;
    mg_buf_add(h, "<svg width=\"96\" height=\"24\" viewBox=\"0 0 96 24\" role=\"img\">");
    for (size_t i = 0; i < c->n_bins; i++) {
        double bh = 22.0 * (double)c->bin_counts[i] / (double)max;
        if (c->bin_counts[i] && bh < 1)
            bh = 1;
        mg_buf_addf(h, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                       "fill=\"#0072B2\"/>", (double)i * w, 24 - bh, w > 1.5 ? w - 0.5 : w, bh);
    }
    mg_buf_add(h, "</svg>");
}

static int cmp_mi(const void *a, const void *b)
{
    const aml_analyze_column *x = *(const aml_analyze_column *const *)a;
    const aml_analyze_column *y = *(const aml_analyze_column *const *)b;
    return (y->mutual_info > x->mutual_info) - (y->mutual_info < x->mutual_info);
}

/* Bar chart: mutual information of each column with the target. */
static int mi_chart(mg_ctx *ctx, const aml_analysis *a, const char *target)
{
    size_t n = aml_analyze_ncols(a), k = 0;
    const aml_analyze_column **cols = calloc(n + 1, sizeof *cols);
    const char **labels = calloc(n + 1, sizeof *labels);
    double *values = calloc(n + 1, sizeof *values);
    int rc = 0;
    if (!cols || !labels || !values) {
        rc = mg_fail(ctx, "MemoryError", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const aml_analyze_column *c = aml_analyze_column_at(a, i);
        if (!c->is_target && !isnan(c->mutual_info))
            cols[k++] = c;
    }
    if (k == 0)
        goto out;
    qsort(cols, k, sizeof *cols, cmp_mi);
    if (k > 25)
        k = 25;
    for (size_t i = 0; i < k; i++) {
        labels[i] = cols[i]->name;
        values[i] = cols[i]->mutual_info;
    }
    char title[300];
    snprintf(title, sizeof title, "What tells most about '%s' (mutual information)", target);
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.x_title = "mutual information with the target (nats)";
    o.height = (int)(90 + 22 * k);
    aml_plot_bar_data bd = aml_plot_bar_data_default();
    bd.labels = labels;
    bd.values = values;
    bd.n = k;
    bd.horizontal = true;
    bd.value_labels = true;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    if (aml_plot_bar(&o, &bd, &img, &err))
        rc = mg_fail(ctx, "PlotError", "mutual information chart: %s", err.text);
    else
        rc = mg_display_png(ctx, img, title);
    aml_plot_image_free(img);
out:
    free(cols);
    free(labels);
    free(values);
    return rc;
}

/* The target's distribution in a sentence, with the imbalance note. */
static void target_text(const aml_analysis *a, const char *target, mg_buf *text, mg_buf *html)
{
    const aml_analyze_target *t = aml_analyze_target_info(a);
    if (!t)
        return;
    const aml_analyze_column *tc = aml_analyze_column_at(a, t->column);
    if (!t->classification) {
        char mean[32], sd[32];
        num(tc->mean, mean, sizeof mean);
        num(tc->std, sd, sizeof sd);
        mg_buf_addf(text, "Target '%s' is numeric (mean %s ± %s): a regression problem.\n",
                    target, mean, sd);
        mg_buf_add(html, "<p>Target <b>");
        mg_buf_add_html(html, target);
        mg_buf_addf(html, "</b> is numeric (mean %s ± %s): a regression problem.</p>", mean, sd);
        return;
    }
    mg_buf line = {0};
    mg_buf_addf(&line, "Target '%s': %zu classes — ", target, t->n_classes);
    size_t total = 0;
    for (size_t i = 0; i < t->n_classes; i++)
        total += t->counts[i];
    for (size_t i = 0; i < t->n_classes && i < 8; i++) {
        char c[32];
        mg_fmt_count(t->counts[i], c);
        mg_buf_addf(&line, "%s%s %.1f%% (%s)", i ? ", " : "", t->classes[i],
                    total ? 100.0 * (double)t->counts[i] / (double)total : 0.0, c);
    }
    if (t->n_classes > 8)
        mg_buf_add(&line, ", …");
    mg_buf_add(&line, ".");
    if (t->imbalanced)
        mg_buf_addf(&line, " Imbalanced (%.1f : 1): accuracy would flatter a model that always "
                    "says '%s' — judge models by AUC ROC, log loss or per-class recall.",
                    t->imbalance_ratio, t->classes[0]);
    mg_buf_addf(text, "%s\n", line.data);
    mg_buf_add(html, "<p>");
    mg_buf_add_html(html, line.data);
    mg_buf_add(html, "</p>");
    mg_buf_free(&line);
}

/* Bar chart of the target's classes (classification targets only). */
static int target_chart(mg_ctx *ctx, const aml_analysis *a, const char *target)
{
    const aml_analyze_target *t = aml_analyze_target_info(a);
    if (!t || !t->classification)
        return 0;
    size_t k = t->n_classes < 30 ? t->n_classes : 30;
    double *values = calloc(k + 1, sizeof *values);
    if (!values)
        return mg_fail(ctx, "MemoryError", "out of memory");
    for (size_t i = 0; i < k; i++)
        values[i] = (double)t->counts[i];
    char title[300];
    snprintf(title, sizeof title, "Distribution of the target '%s'", target);
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.height = k > 6 ? (int)(90 + 22 * k) : 300;
    if (k > 6)
        o.x_title = "rows";
    else
        o.y_title = "rows";
    aml_plot_bar_data bd = aml_plot_bar_data_default();
    bd.labels = t->classes;
    bd.values = values;
    bd.n = k;
    bd.horizontal = k > 6;
    bd.value_labels = true;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = aml_plot_bar(&o, &bd, &img, &err) ? mg_fail(ctx, "PlotError", "target chart: %s",
                                                         err.text)
                                               : mg_display_png(ctx, img, title);
    aml_plot_image_free(img);
    free(values);
    return rc;
}

static void analysis_header(const mg_dataset *d, const aml_analysis *a, mg_buf *text,
                            mg_buf *html)
{
    char nrows[32];
    mg_fmt_count(aml_frame_nrows(d->frame), nrows);
    mg_buf_addf(text, "%s: %zu columns, %s rows, analysed in %.2f s\n", d->name,
                aml_analyze_ncols(a), nrows, aml_analyze_seconds(a));
    mg_buf_add(html, "<div class=\"automl-analysis\"><p><b>");
    mg_buf_add_html(html, d->name);
    mg_buf_addf(html, "</b>: %zu columns, %s rows, analysed in %.2f s</p>",
                aml_analyze_ncols(a), nrows, aml_analyze_seconds(a));
}

static json_t *column_json(const aml_analyze_column *c)
{
    json_t *cj = json_pack("{s:s, s:s, s:I, s:I, s:I}", "name", c->name, "type",
                           aml_type_name(c->type), "missing", (json_int_t)c->missing, "invalid",
                           (json_int_t)c->invalid, "distinct", (json_int_t)c->distinct);
    if (c->numeric) {
        const double v[7] = {c->mean, c->std, c->min, c->q1, c->median, c->q3, c->max};
        const char *const k[7] = {"mean", "std", "min", "q1", "median", "q3", "max"};
        for (int j = 0; j < 7; j++)
            if (!isnan(v[j]))
                json_object_set_new(cj, k[j], json_real(v[j]));
    }
    if (c->assoc_kind != AML_ASSOC_NONE && !isnan(c->assoc)) {
        json_object_set_new(cj, "association", json_real(c->assoc));
        json_object_set_new(cj, "association_kind",
                            json_string(aml_analyze_assoc_name(c->assoc_kind)));
    }
    if (!isnan(c->mutual_info))
        json_object_set_new(cj, "mutual_info", json_real(c->mutual_info));
    return cj;
}

/* One row of the HTML table (with an SVG histogram, which text cannot show). */
static void html_row(mg_buf *h, const aml_analyze_column *c, bool with_target,
                     const char *const *cells)
{
    /* notebook CSS right-aligns cells: say left for text */
    mg_buf_add(h, "<tr><td style=\"text-align:left\"><b>");
    mg_buf_add_html(h, cells[0]);
    mg_buf_add(h, "</b></td>");
    for (int i = 1; i <= 5; i++) {
        mg_buf_add(h, i >= 2 && i <= 4 ? "<td style=\"text-align:right\">"
                                       : "<td style=\"text-align:left\">");
        mg_buf_add_html(h, cells[i]);
        mg_buf_add(h, "</td>");
    }
    if (with_target) {
        mg_buf_add(h, "<td style=\"text-align:left\">");
        mg_buf_add_html(h, cells[6]);
        mg_buf_add(h, "</td><td style=\"text-align:right\">");
        mg_buf_add_html(h, cells[7]);
        mg_buf_add(h, "</td>");
    }
    mg_buf_add(h, "<td>");
    spark_svg(h, c);
    mg_buf_add(h, "</td></tr>");
}

static int run_analyze(mg_ctx *ctx, const mg_call *call)
{
    mg_dataset *d;
    if (mg_dataset_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &d))
        return -1;
    if (d->images)
        return mg_analyze_images(ctx, d);
    const char *target = mg_opt(call, "target") ? mg_opt(call, "target") : d->target;
    size_t tcol;
    if (target && mg_column_or_fail(ctx, d, target, "target", &tcol))
        return -1;
    aml_analyze_options o = aml_analyze_options_default();
    o.target = target;
    o.bins = 16;
    aml_analysis *a = NULL;
    aml_error err = {0};
    if (aml_analyze(d->frame, &o, &a, &err))
        return mg_fail(ctx, "DataError", "analysing '%s': %s", d->name,
                       err.text[0] ? err.text : aml_strerror(err.code));

    bool wt = target != NULL;
    const char *head[] = {"column", "type", "missing", "invalid", "distinct", "summary",
                          "with target", "MI", "histogram"};
    const char *head_nt[] = {"column", "type", "missing", "invalid", "distinct", "summary",
                             "histogram"};
    mg_table *t = mg_table_new(wt ? 9 : 7, wt ? head : head_nt);
    if (!t) {
        aml_analyze_free(a);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    for (size_t c = 2; c <= 4; c++)
        mg_table_numeric(t, c);
    mg_buf text = {0}, html = {0};
    json_t *cols = json_array();
    analysis_header(d, a, &text, &html);
    target_text(a, target, &text, &html);
    mg_buf_add(&html, "<div style=\"overflow-x:auto\"><table class=\"automl-table\"><thead><tr>");
    for (size_t i = 0; i < (wt ? 9u : 7u); i++)
        mg_buf_addf(&html, "<th style=\"text-align:%s\">%s</th>",
                    (i >= 2 && i <= 4) || (wt && i == 7) ? "right" : "left",
                    (wt ? head : head_nt)[i]);
    mg_buf_add(&html, "</tr></thead><tbody>");
    for (size_t i = 0; i < aml_analyze_ncols(a); i++) {
        const aml_analyze_column *c = aml_analyze_column_at(a, i);
        char miss[48], inv[32], dist[32], summ[400], assoc[48], mi[32] = "", spark[128];
        snprintf(miss, sizeof miss, "%zu (%.1f%%)", c->missing,
                 c->rows ? 100.0 * (double)c->missing / (double)c->rows : 0.0);
        mg_fmt_count(c->invalid, inv);
        mg_fmt_count(c->distinct, dist);
        summary_of(c, summ, sizeof summ);
        assoc_of(c, assoc, sizeof assoc);
        if (!isnan(c->mutual_info) && !c->is_target)
            snprintf(mi, sizeof mi, "%.3f", c->mutual_info);
        spark_text(c, spark, sizeof spark);
        const char *row9[] = {c->name, aml_type_name(c->type), miss, inv, dist, summ, assoc, mi,
                              spark};
        const char *row7[] = {c->name, aml_type_name(c->type), miss, inv, dist, summ, spark};
        mg_table_row(t, wt ? row9 : row7);
        html_row(&html, c, wt, row9);
        json_array_append_new(cols, column_json(c));
    }
    mg_buf_add(&html, "</tbody></table></div></div>");
    mg_buf_add(&text, "\n");
    mg_table_render(t, &text, NULL);
    mg_table_free(t);

    json_t *doc = json_pack("{s:s, s:o}", "name", d->name, "columns", cols);
    if (target)
        json_object_set_new(doc, "target", json_string(target));
    json_t *bundle = json_pack("{s:s, s:s, s:o}", "text/plain", text.data, "text/html",
                               html.data, "application/vnd.automl.analysis+json", doc);
    kn_display(ctx->req, bundle, NULL, NULL);
    json_decref(bundle);
    mg_buf_free(&text);
    mg_buf_free(&html);
    int rc = 0;
    if (target)
        rc = target_chart(ctx, a, target);
    if (target && rc == 0)
        rc = mi_chart(ctx, a, target);
    aml_analyze_free(a);
    return rc;
}

const mg_magic mg_magic_analyze = {
    .name = "analyze",
    .synopsis = "%analyze [NAME] [target=COL]",
    .summary = "Column statistics, missing and invalid values, and what relates to the target.",
    .help = "For each column: type, missing and invalid values, distinct values, a summary "
            "(mean, spread and quartiles; or the top categories; or text length and "
            "vocabulary), a small histogram, and — with a target — its association with the "
            "target (r: Pearson correlation, η: correlation ratio, V: Cramér's V; 0 means "
            "unrelated) and the mutual information.\n\n"
            "On an image set: the class balance, duplicate images (equal pixels; those "
            "under two classes are named) and the mean image of each class.\n\n"
            "Examples:\n  %analyze\n  %analyze bank target=y",
    .options = analyze_options,
    .max_args = 1,
    .first_arg = MG_ARG_DATASET,
    .run = run_analyze,
};
