/*
 * mg_explain_view.c — the displays of %explain, for people who do not
 * build models.  A sentence in words first, then permutation importance
 * (chart + table), SHAP values of the tree members (chart + table), partial
 * dependence of the three most important columns, and, with row=N, one
 * row's contributions as a waterfall.  Every display carries text/plain,
 * the rich form (text/html or image/png) and
 * application/vnd.automl.explanation+json with its numbers (the first, the
 * summary, carries all of them); and the live progress display.
 */
#include "mg_explain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BARS 20       /* bars in the importance and SHAP charts */
#define MAX_STEPS 12      /* waterfall steps; the rest are summed into one */

/* ---- live progress ---- */

json_t *mg_explain_progress_bundle(const char *model, double fraction, const char *what)
{
    char text[512], html[1024];
    snprintf(text, sizeof text, "Explaining %s: %s — %.0f %%", model, what, 100 * fraction);
    mg_buf h = {0};
    mg_buf_add(&h, "<div class=\"automl-progress\">Explaining <b>");
    mg_buf_add_html(&h, model);
    mg_buf_add(&h, "</b>: ");
    mg_buf_add_html(&h, what);
    snprintf(html, sizeof html, " <progress max=\"100\" value=\"%.0f\"></progress> %.0f %%</div>",
             100 * fraction, 100 * fraction);
    mg_buf_add(&h, html);
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:s, s:f, s:s}}", "text/plain", text,
                          "text/html", h.data ? h.data : "", MG_EXPLAIN_MIME, "section", "progress",
                          "model", model, "fraction", fraction, "what", what);
    mg_buf_free(&h);
    return b;
}

json_t *mg_explain_progress_done(const char *model, bool finished, double secs)
{
    char done[200];
    snprintf(done, sizeof done, finished ? "Explained %s in %.1f s." : "Explaining %s stopped "
             "after %.1f s.", model, secs);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:f, s:s}}", "text/plain", done, "text/html", done,
                     MG_EXPLAIN_MIME, "section", "progress", "model", model, "fraction",
                     finished ? 1.0 : 0.0, "what", done);
}

/* ---- words ---- */

static const char *metric_words(aml_metric m)
{
    switch (m) {
    case AML_METRIC_AUC: return "AUC";
    case AML_METRIC_LOGLOSS: return "log loss";
    case AML_METRIC_ACCURACY: return "accuracy";
    case AML_METRIC_BALANCED_ACCURACY: return "balanced accuracy";
    case AML_METRIC_F1: return "F1";
    case AML_METRIC_RMSE: return "RMSE";
    case AML_METRIC_MAE: return "MAE";
    case AML_METRIC_R2: return "R²";
    default: return aml_metric_name(m);
    }
}

/* The columns that matter: used, positive, at least a tenth of the top one. */
static size_t key_columns(const aml_explain_importance *imp, size_t n, size_t max)
{
    size_t k = 0;
    while (k < n && k < max && imp[k].used && imp[k].mean > 0 && imp[k].mean >= 0.1 * imp[0].mean)
        k++;
    return k;
}

static void sentence(const aml_explanation *e, char *buf, size_t cap)
{
    size_t n;
    const aml_explain_importance *imp = aml_explanation_importance(e, &n);
    size_t k = key_columns(imp, n, 4);
    aml_metric m = aml_explanation_metric(e);
    if (k == 0) {
        snprintf(buf, cap, "No single column matters much to the model: shuffling any one of "
                           "them barely changes its %s.", metric_words(m));
        return;
    }
    if (k == 1) {
        snprintf(buf, cap, "The model relies most on %s; no other column comes close.",
                 imp[0].column);
        return;
    }
    size_t len = (size_t)snprintf(buf, cap, "The model relies most on %s, then ", imp[0].column);
    for (size_t i = 1; i < k && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", imp[i].column,
                                i + 2 < k ? ", " : i + 2 == k ? " and " : ".");
}

/* "Shuffling duration lowers the AUC from 0.93 to 0.81." */
static void top_effect(const aml_explanation *e, char *buf, size_t cap)
{
    size_t n;
    const aml_explain_importance *imp = aml_explanation_importance(e, &n);
    buf[0] = 0;
    if (n == 0 || !imp[0].used || !(imp[0].mean > 0))
        return;
    aml_metric m = aml_explanation_metric(e);
    double s = aml_explanation_score(e);
    bool higher = aml_metric_higher_is_better(m);
    double after = higher ? s - imp[0].mean : s + imp[0].mean;
    snprintf(buf, cap, "Shuffling %s %s the %s from %.3f to %.3f.", imp[0].column,
             higher ? "lowers" : "raises", metric_words(m), s, after);
}

static void fmt_num(double v, char *buf, size_t cap)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(buf, cap, "—");
    else if (a >= 1e6)
        snprintf(buf, cap, "%.3g", v);
    else if (a >= 1000)
        snprintf(buf, cap, "%.0f", v);
    else if (a >= 100)
        snprintf(buf, cap, "%.1f", v);
    else if (a >= 10)
        snprintf(buf, cap, "%.2f", v);
    else
        snprintf(buf, cap, "%.4f", a < 5e-5 ? 0.0 : v);
}

/* ---- displays ---- */

/* A display: text/plain, optional html and png, and the section's numbers. */
static void show(mg_ctx *ctx, const char *text, const char *html, const aml_plot_image *img,
                 json_t *section)
{
    json_t *data = json_pack("{s:s}", "text/plain", text ? text : "");
    json_t *meta = NULL;
    if (data && html)
        json_object_set_new(data, "text/html", json_string(html));
    if (data && img) {
        char *b64 = mg_base64(img->png, img->png_size);
        if (b64)
            json_object_set_new(data, "image/png", json_string(b64));
        free(b64);
        meta = json_pack("{s:{s:i, s:i}}", "image/png", "width", img->width, "height",
                         img->height);
    }
    if (data && section)
        json_object_set(data, MG_EXPLAIN_MIME, section);
    if (data)
        kn_display(ctx->req, data, meta, NULL);
    json_decref(data);
    json_decref(meta);
}

/* A table display after what text and html already hold (a caption); frees
 * the table and both buffers. */
static void show_table(mg_ctx *ctx, mg_table *t, mg_buf *text, mg_buf *html, json_t *section)
{
    mg_table_render(t, text, html);
    show(ctx, text->data, html->data, NULL, section);
    mg_buf_free(text);
    mg_buf_free(html);
    mg_table_free(t);
}

/* A chart of nb horizontal bars with their values (palette colour
 * `color`), alt its text; frees alt.  No bars, no image: the text alone. */
static void show_bars(mg_ctx *ctx, const aml_plot_opts *o, const char **labels,
                      const double *values, size_t nb, int color, mg_buf *alt, json_t *section)
{
    aml_plot_bar_data d = aml_plot_bar_data_default();
    d.labels = labels;
    d.values = values;
    d.n = nb;
    d.horizontal = true;
    d.value_labels = true;
    d.color = color;
    aml_plot_image *img = NULL;
    if (nb)
        aml_plot_bar(o, &d, &img, NULL);
    show(ctx, alt->data, NULL, img, section);
    aml_plot_image_free(img);
    mg_buf_free(alt);
}

static json_t *section_of(const char *kind, const char *model, const char *key, json_t *value)
{
    json_t *s = json_pack("{s:s, s:s}", "section", kind, "model", model);
    if (s && key && value)
        json_object_set(s, key, value);
    return s;
}

static int chart_height(size_t bars)
{
    int h = 70 + 26 * (int)bars;
    return h < 220 ? 220 : h > 700 ? 700 : h;
}

static json_t *importance_json(const aml_explanation *e)
{
    size_t n;
    const aml_explain_importance *imp = aml_explanation_importance(e, &n);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:f, s:b}", "column", imp[i].column,
                                           "type", aml_type_name(imp[i].type), "mean",
                                           imp[i].mean, "std", imp[i].std, "used", imp[i].used));
    return a;
}

static void show_importance(mg_ctx *ctx, const char *model, const aml_explanation *e,
                            json_t *doc)
{
    size_t n;
    const aml_explain_importance *imp = aml_explanation_importance(e, &n);
    aml_metric m = aml_explanation_metric(e);
    json_t *sec = section_of("importance", model, "importance", json_object_get(doc, "importance"));
    json_object_set_new(sec, "metric", json_string(aml_metric_name(m)));
    json_object_set_new(sec, "score", json_real(aml_explanation_score(e)));
    /* chart: the used columns, largest first */
    size_t nb = 0;
    const char *labels[MAX_BARS];
    double values[MAX_BARS];
    mg_buf alt = {0};
    mg_buf_addf(&alt, "Permutation importance (drop in %s when a column is shuffled):\n",
                metric_words(m));
    for (size_t i = 0; i < n && nb < MAX_BARS; i++) {
        if (!imp[i].used)
            continue;
        labels[nb] = imp[i].column;
        /* a tiny negative drop is noise: drawn as 0 (the table has the number) */
        values[nb++] = imp[i].mean < 0 && -imp[i].mean < 0.02 * fabs(imp[0].mean) ? 0
                                                                                   : imp[i].mean;
        char v[32], s[32];
        fmt_num(imp[i].mean, v, sizeof v);
        fmt_num(imp[i].std, s, sizeof s);
        if (nb <= 10)
            mg_buf_addf(&alt, "  %s: %s ± %s\n", imp[i].column, v, s);
    }
    char title[160], xt[120];
    snprintf(title, sizeof title, "Permutation importance (%s)", metric_words(m));
    snprintf(xt, sizeof xt, "drop in %s when the column is shuffled", metric_words(m));
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.x_title = xt;
    o.height = chart_height(nb);
    o.legend = AML_PLOT_LEGEND_NONE;
    show_bars(ctx, &o, labels, values, nb, 0, &alt, sec);

    /* table: every input */
    char head3[80];
    snprintf(head3, sizeof head3, "drop in %s (mean ± std)", metric_words(m));
    const char *head[] = {"rank", "column", "type", head3};
    mg_table *t = mg_table_new(4, head);
    if (t) {
        mg_table_numeric(t, 0);
        mg_table_numeric(t, 3);
        for (size_t i = 0; i < n; i++) {
            char rank[24], val[80], v[32], s[32];
            snprintf(rank, sizeof rank, "%zu", i + 1);
            fmt_num(imp[i].mean, v, sizeof v);
            fmt_num(imp[i].std, s, sizeof s);
            if (imp[i].used)
                snprintf(val, sizeof val, "%s ± %s", v, s);
            else
                snprintf(val, sizeof val, "not used by the model");
            const char *cells[] = {rank, imp[i].column, aml_type_name(imp[i].type), val};
            mg_table_row(t, cells);
        }
        mg_buf text = {0}, html = {0};
        show_table(ctx, t, &text, &html, sec);
    }
    json_decref(sec);
}

static json_t *shap_json(const aml_explanation *e, const aml_model *m)
{
    size_t n, trees, members;
    double w;
    const char *units;
    const aml_explain_shap *s = aml_explanation_shap(e, &n);
    aml_explanation_shap_cover(e, &trees, &members, &w, &units);
    json_t *vals = json_array();
    size_t k = aml_model_n_classes(m);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_pack("{s:s, s:f}", "column", s[i].column, "mean_abs", s[i].mean_abs);
        if (s[i].per_class) {
            json_t *pc = json_array();
            for (size_t c = 0; c < k; c++)
                json_array_append_new(pc, json_real(s[i].per_class[c]));
            json_object_set_new(v, "per_class", pc);
        }
        json_array_append_new(vals, v);
    }
    return json_pack("{s:b, s:s, s:i, s:i, s:f, s:o}", "available", n > 0, "units", units,
                     "tree_members", (int)trees, "members", (int)members, "tree_weight", w,
                     "values", vals);
}

static void show_shap(mg_ctx *ctx, const char *model, const aml_explanation *e,
                      const aml_model *m, json_t *doc)
{
    size_t n;
    const aml_explain_shap *s = aml_explanation_shap(e, &n);
    if (n == 0)
        return;
    const char *units;
    aml_explanation_shap_cover(e, NULL, NULL, NULL, &units);
    json_t *sec = section_of("shap", model, "shap", json_object_get(doc, "shap"));
    size_t nb = n < MAX_BARS ? n : MAX_BARS;
    const char *labels[MAX_BARS];
    double values[MAX_BARS];
    mg_buf alt = {0};
    mg_buf_addf(&alt, "SHAP values, mean |contribution| (%s):\n", units);
    for (size_t i = 0; i < nb; i++) {
        labels[i] = s[i].column;
        values[i] = s[i].mean_abs;
        char v[32];
        fmt_num(s[i].mean_abs, v, sizeof v);
        if (i < 10)
            mg_buf_addf(&alt, "  %s: %s\n", s[i].column, v);
    }
    char xt[160];
    snprintf(xt, sizeof xt, "mean |SHAP value| (%s)", units);
    aml_plot_opts o = aml_plot_opts_default();
    o.title = aml_model_task(m) == AML_TASK_MULTICLASS
                  ? "SHAP summary (toward each row's predicted class)"
                  : "SHAP summary";
    o.x_title = xt;
    o.height = chart_height(nb);
    show_bars(ctx, &o, labels, values, nb, 2, &alt, sec);

    /* table: mean |SHAP| (and per class for multiclass) */
    size_t k = aml_model_task(m) == AML_TASK_MULTICLASS ? aml_model_n_classes(m) : 0;
    size_t nc = 2 + (k > 8 ? 8 : k);
    const char *head[10];
    char heads[10][96];
    head[0] = "column";
    snprintf(heads[1], sizeof heads[1], "%s", k ? "mean |SHAP| (predicted class)"
                                                     : "mean |SHAP|");
    head[1] = heads[1];
    for (size_t c = 0; c + 2 < nc; c++) {
        snprintf(heads[c + 2], sizeof heads[c + 2], "%s", aml_model_class_name(m, c));
        head[c + 2] = heads[c + 2];
    }
    mg_table *t = mg_table_new(nc, head);
    if (t) {
        for (size_t c = 1; c < nc; c++)
            mg_table_numeric(t, c);
        for (size_t i = 0; i < n; i++) {
            char cellbuf[10][32];
            const char *cells[10];
            cells[0] = s[i].column;
            fmt_num(s[i].mean_abs, cellbuf[1], sizeof cellbuf[1]);
            cells[1] = cellbuf[1];
            for (size_t c = 0; c + 2 < nc; c++) {
                fmt_num(s[i].per_class ? s[i].per_class[c] : NAN, cellbuf[c + 2], 32);
                cells[c + 2] = cellbuf[c + 2];
            }
            mg_table_row(t, cells);
        }
        char cap[300];
        snprintf(cap, sizeof cap, "SHAP values of the tree members, in %s%s.", units,
                 k ? "; the class columns: mean |SHAP| toward each class" : "");
        mg_buf text = {0}, html = {0};
        mg_buf_addf(&text, "%s\n", cap);
        mg_buf_add(&html, "<p>");
        mg_buf_add_html(&html, cap);
        mg_buf_add(&html, "</p>");
        show_table(ctx, t, &text, &html, sec);
    }
    json_decref(sec);
}

static json_t *pdp_json(const aml_explanation *e, const aml_model *m)
{
    size_t n;
    const aml_explain_pdp *p = aml_explanation_pdp(e, &n);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *xs = json_array(), *ls = json_array(), *ys = json_array();
        for (size_t g = 0; g < p[i].n; g++) {
            json_array_append_new(xs, json_real(p[i].x[g]));
            json_array_append_new(ls, json_string(p[i].labels[g]));
            if (p[i].width == 1) {
                json_array_append_new(ys, json_real(p[i].y[g]));
                continue;
            }
            json_t *row = json_array();
            for (size_t k = 0; k < p[i].width; k++)
                json_array_append_new(row, json_real(p[i].y[g * p[i].width + k]));
            json_array_append_new(ys, row);
        }
        json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o}", "column", p[i].column,
                              "type", aml_type_name(p[i].type), "categorical", p[i].categorical,
                              "percentiles", p[i].percentiles, "x", xs,
                              "labels", ls, "y", ys);
        if (p[i].width > 1) {
            json_t *cls = json_array();
            for (size_t k = 0; k < p[i].width; k++)
                json_array_append_new(cls, json_string(aml_model_class_name(m, k)));
            json_object_set_new(o, "classes", cls);
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* The y axis of partial dependence in words. */
static void pdp_ytitle(const aml_model *m, char *buf, size_t cap)
{
    switch (aml_model_task(m)) {
    case AML_TASK_BINARY:
        snprintf(buf, cap, "mean P(%s = %s)", aml_model_target(m), aml_model_class_name(m, 1));
        break;
    case AML_TASK_MULTICLASS:
        snprintf(buf, cap, "mean probability of each class");
        break;
    default:
        snprintf(buf, cap, "mean predicted %s", aml_model_target(m));
    }
}

static void show_pdp(mg_ctx *ctx, const char *model, const aml_explanation *e,
                     const aml_model *m, json_t *doc)
{
    size_t n;
    const aml_explain_pdp *p = aml_explanation_pdp(e, &n);
    json_t *all = json_object_get(doc, "pdp");
    for (size_t i = 0; i < n; i++) {
        const aml_explain_pdp *d = &p[i];
        json_t *sec = section_of("pdp", model, "pdp", json_array_get(all, i));
        char title[200], yt[200];
        snprintf(title, sizeof title, "Partial dependence on %s", d->column);
        pdp_ytitle(m, yt, sizeof yt);
        mg_buf alt = {0};
        mg_buf_addf(&alt, "%s (%s):\n", title, yt);
        for (size_t g = 0; g < d->n; g++) {
            mg_buf_addf(&alt, "  %s:", d->labels[g]);
            for (size_t k = 0; k < d->width; k++) {
                char v[32];
                fmt_num(d->y[g * d->width + k], v, sizeof v);
                mg_buf_addf(&alt, " %s", v);
            }
            mg_buf_add(&alt, "\n");
        }
        aml_plot_opts o = aml_plot_opts_default();
        o.title = title;
        o.y_title = yt;
        char xt[300];
        bool spread = d->percentiles;
        snprintf(xt, sizeof xt, "%s%s", d->column, spread ? " (5th to 95th percentile)" : "");
        o.x_title = xt;
        aml_plot_image *img = NULL;
        double *col = malloc((d->n + 1) * d->width * sizeof *col);
        if (!col) {
            mg_buf_free(&alt);
            json_decref(sec);
            continue;
        }
        /* dates read best as labelled bars, in order */
        bool levels = d->categorical || d->type == AML_TYPE_DATETIME;
        if (levels && d->width == 1) {
            for (size_t g = 0; g < d->n; g++)
                col[g] = d->y[g];
            aml_plot_bar_data b = aml_plot_bar_data_default();
            b.labels = d->labels;
            b.values = col;
            b.n = d->n;
            b.horizontal = true;
            b.value_labels = true;
            b.color = 1;
            o.x_title = yt;
            o.y_title = d->column;
            o.height = chart_height(d->n);
            aml_plot_bar(&o, &b, &img, NULL);
        } else if (levels) {
            /* levels x classes as a heatmap */
            const char *cls[64];
            size_t w = d->width < 64 ? d->width : 64;
            for (size_t k = 0; k < w; k++)
                cls[k] = aml_model_class_name(m, k);
            for (size_t g = 0; g < d->n; g++)
                for (size_t k = 0; k < w; k++)
                    col[g * w + k] = d->y[g * d->width + k];
            aml_plot_heatmap_data h = aml_plot_heatmap_data_default();
            h.values = col;
            h.rows = d->n;
            h.cols = w;
            h.row_labels = d->labels;
            h.col_labels = cls;
            h.annot = AML_PLOT_ANNOT_VALUE;
            h.colorbar_title = "mean probability";
            o.x_title = "class";
            o.y_title = d->column;
            o.height = chart_height(d->n);
            o.width = 300 + 80 * (int)w;
            o.width = o.width > 900 ? 900 : o.width;
            aml_plot_heatmap(&o, &h, &img, NULL);
        } else {
            aml_plot_series s[16];
            size_t ns = d->width < 16 ? d->width : 16;
            for (size_t k = 0; k < ns; k++) {
                for (size_t g = 0; g < d->n; g++)
                    col[k * d->n + g] = d->y[g * d->width + k];
                s[k] = aml_plot_series_default();
                s[k].x = d->x;
                s[k].y = col + k * d->n;
                s[k].n = d->n;
                s[k].markers = true;
                s[k].label = d->width > 1 ? aml_model_class_name(m, k) : NULL;
            }
            o.legend = d->width > 1 ? AML_PLOT_LEGEND_AUTO : AML_PLOT_LEGEND_NONE;
            aml_plot_line(&o, s, ns, &img, NULL);
        }
        show(ctx, alt.data, NULL, img, sec);
        aml_plot_image_free(img);
        free(col);
        mg_buf_free(&alt);
        json_decref(sec);
    }
}

static json_t *row_json(const aml_explanation *e, const aml_model *m, long index)
{
    const aml_explain_row *r = aml_explanation_row(e);
    if (!r)
        return json_null();
    json_t *cs = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(cs, json_pack("{s:s, s:s, s:f}", "column", r->contribs[i].column,
                                            "value", r->contribs[i].value, "contribution",
                                            r->contribs[i].contribution));
    const char *cls = aml_model_task(m) == AML_TASK_REGRESSION ? NULL
                                                               : aml_model_class_name(m, r->klass);
    return json_pack("{s:i, s:i, s:s, s:s, s:s?, s:f, s:f, s:f, s:o}", "row", (int)index,
                     "data_row", (int)r->row, "method", r->shap ? "shap" : "replacement", "units",
                     r->units, "class", cls, "base", r->base, "prediction", r->prediction,
                     "model_prediction", r->model_prediction, "contributions", cs);
}

static void show_row(mg_ctx *ctx, const char *model, const aml_explanation *e,
                     const aml_model *m, long index, json_t *doc)
{
    const aml_explain_row *r = aml_explanation_row(e);
    if (!r)
        return;
    json_t *sec = section_of("row", model, "row", json_object_get(doc, "row"));
    /* the largest contributions, one step each; the rest (and any that
     * are ~0) summed into one */
    double top = r->n ? fabs(r->contribs[0].contribution) : 0;
    size_t steps = 0;
    while (steps < r->n && steps < MAX_STEPS - 1 && fabs(r->contribs[steps].contribution) > 1e-3 * top)
        steps++;
    if (steps + 1 == r->n && fabs(r->contribs[steps].contribution) > 1e-3 * top)
        steps++;
    if (steps == 0 && r->n)
        steps = 1;
    if (steps + 1 == r->n)   /* one left: show it rather than "1 other column" */
        steps = r->n;
    char lab[MAX_STEPS][160];
    const char *labels[MAX_STEPS];
    double deltas[MAX_STEPS];
    for (size_t i = 0; i < steps; i++) {
        const aml_explain_contrib *c = &r->contribs[i];
        char *end = NULL;
        double num = *c->value ? strtod(c->value, &end) : NAN;
        if (end && !*end && isfinite(num) && strlen(c->value) > 8)
            snprintf(lab[i], sizeof lab[i], "%s = %.4g", c->column, num);
        else
            snprintf(lab[i], sizeof lab[i], "%s = %s", c->column,
                     *c->value ? c->value : "(missing)");
        labels[i] = lab[i];
        deltas[i] = c->contribution;
    }
    if (steps < r->n) {
        double rest = 0;
        for (size_t i = steps; i < r->n; i++)
            rest += r->contribs[i].contribution;
        snprintf(lab[steps], sizeof lab[steps], "%zu other columns", r->n - steps);
        labels[steps] = lab[steps];
        deltas[steps++] = rest;
    }
    char what[160], title[300], xt[200];
    aml_task task = aml_model_task(m);
    if (task == AML_TASK_REGRESSION)
        snprintf(what, sizeof what, "predicted %s = %.4g", aml_model_target(m), r->model_prediction);
    else
        snprintf(what, sizeof what, "P(%s) = %.3f", aml_model_class_name(m, r->klass),
                 r->model_prediction);
    snprintf(title, sizeof title, "Row %ld (data set row %zu): %s", index, r->row, what);
    if (r->shap)
        snprintf(xt, sizeof xt, "SHAP: %s%s%s", r->units,
                 task == AML_TASK_MULTICLASS ? " of class " : "",
                 task == AML_TASK_MULTICLASS ? aml_model_class_name(m, r->klass) : "");
    else
        snprintf(xt, sizeof xt, "%s (replacement method)",
                 task == AML_TASK_REGRESSION ? "prediction" : "probability");
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.x_title = xt;
    o.height = chart_height(steps + 2);
    o.width = 720;
    aml_plot_waterfall_data d = aml_plot_waterfall_data_default();
    d.labels = labels;
    d.deltas = deltas;
    d.n = steps;
    d.base = r->base;
    d.base_label = r->shap ? "base value (average)" : "typical row";
    d.final_label = "this row";
    aml_plot_image *img = NULL;
    aml_plot_waterfall(&o, &d, &img, NULL);

    char b[32], p[32];
    fmt_num(r->base, b, sizeof b);
    fmt_num(r->prediction, p, sizeof p);
    mg_buf text = {0}, html = {0};
    mg_buf_addf(&text, "%s. %s, from %s (%s) to %s:\n", title,
                r->shap ? "SHAP contributions" : "Contributions by replacement", b,
                r->shap ? "the average" : "a typical row", p);
    const char *head[] = {"column", "value", "contribution"};
    mg_table *t = mg_table_new(3, head);
    if (t) {
        mg_table_numeric(t, 2);
        for (size_t i = 0; i < r->n; i++) {
            char v[32];
            fmt_num(r->contribs[i].contribution, v, sizeof v);
            const char *cells[] = {r->contribs[i].column, r->contribs[i].value, v};
            mg_table_row(t, cells);
        }
        mg_buf tt = {0};
        mg_table_render(t, &tt, &html);
        mg_buf_add(&text, tt.data ? tt.data : "");
        mg_buf_free(&tt);
        mg_table_free(t);
    }
    show(ctx, text.data, NULL, img, sec);
    show(ctx, text.data, html.data, NULL, sec);
    aml_plot_image_free(img);
    mg_buf_free(&text);
    mg_buf_free(&html);
    json_decref(sec);
}

static void show_summary(mg_ctx *ctx, const char *model, const aml_explanation *e,
                         const aml_model *m, const char *source, json_t *doc, double secs)
{
    char sent[600], eff[300];
    sentence(e, sent, sizeof sent);
    top_effect(e, eff, sizeof eff);
    json_object_set_new(doc, "sentence", json_string(sent));
    char rows[700];
    size_t used = aml_explanation_rows_used(e), given = aml_explanation_rows_given(e);
    if (used == given)
        snprintf(rows, sizeof rows, "%zu rows of %s", used, source);
    else
        snprintf(rows, sizeof rows, "%zu of the %zu rows of %s", used, given, source);
    char score[200];
    snprintf(score, sizeof score, "The model's %s on them is %.4f.",
             metric_words(aml_explanation_metric(e)), aml_explanation_score(e));
    mg_buf text = {0}, html = {0};
    mg_buf_addf(&text, "%s\n", sent);
    if (*eff)
        mg_buf_addf(&text, "%s\n", eff);
    mg_buf_addf(&text, "Model %s (%s, target %s) explained on %s in %.1f s. %s\n", model,
                aml_task_name(aml_model_task(m)), aml_model_target(m), rows, secs, score);
    mg_buf_add(&html, "<div class=\"automl-explain\"><p style=\"font-size:1.15em\"><b>");
    mg_buf_add_html(&html, sent);
    mg_buf_add(&html, "</b></p>");
    if (*eff) {
        mg_buf_add(&html, "<p>");
        mg_buf_add_html(&html, eff);
        mg_buf_add(&html, "</p>");
    }
    mg_buf_add(&html, "<p>Model <code>");
    mg_buf_add_html(&html, model);
    mg_buf_addf(&html, "</code> (%s, target <code>", aml_task_name(aml_model_task(m)));
    mg_buf_add_html(&html, aml_model_target(m));
    mg_buf_add(&html, "</code>) explained on ");
    mg_buf_add_html(&html, rows);
    mg_buf_addf(&html, " in %.1f s. ", secs);
    mg_buf_add_html(&html, score);
    mg_buf_add(&html, "</p>");
    size_t nn = aml_explanation_n_notes(e);
    if (nn)
        mg_buf_add(&html, "<ul>");
    for (size_t i = 0; i < nn; i++) {
        mg_buf_addf(&text, "  - %s\n", aml_explanation_note(e, i));
        mg_buf_add(&html, "<li>");
        mg_buf_add_html(&html, aml_explanation_note(e, i));
        mg_buf_add(&html, "</li>");
    }
    if (nn)
        mg_buf_add(&html, "</ul>");
    mg_buf_add(&html, "</div>");
    show(ctx, text.data, html.data, NULL, doc);
    mg_buf_free(&text);
    mg_buf_free(&html);
}

/* ---- all of it ---- */

/* The summary document: the explanation's numbers, every section's. */
static json_t *summary_doc(const mg_explain_view *v)
{
    const aml_explanation *e = v->e;
    const aml_model *m = v->model;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:{s:s, s:i, s:i}}", "section",
                            "summary", "model", v->model_name, "task",
                            aml_task_name(aml_model_task(m)), "target", aml_model_target(m),
                            "metric", aml_metric_name(aml_explanation_metric(e)), "score",
                            aml_explanation_score(e), "data", "source", v->source, "rows_given",
                            (int)aml_explanation_rows_given(e), "rows_used",
                            (int)aml_explanation_rows_used(e));
    json_t *notes = json_array();
    for (size_t i = 0; i < aml_explanation_n_notes(e); i++)
        json_array_append_new(notes, json_string(aml_explanation_note(e, i)));
    if (aml_model_task(m) != AML_TASK_REGRESSION) {
        json_t *cls = json_array();
        for (size_t k = 0; k < aml_model_n_classes(m); k++)
            json_array_append_new(cls, json_string(aml_model_class_name(m, k)));
        json_object_set_new(doc, "classes", cls);
    }
    json_object_set_new(doc, "notes", notes);
    json_object_set_new(doc, "pipeline", json_string(aml_model_describe(m)));
    json_object_set_new(doc, "importance", importance_json(e));
    json_object_set_new(doc, "shap", shap_json(e, m));
    json_object_set_new(doc, "pdp", pdp_json(e, m));
    json_object_set_new(doc, "row", row_json(e, m, v->row));
    return doc;
}

void mg_explain_show(mg_ctx *ctx, const mg_explain_view *v)
{
    const aml_explanation *e = v->e;
    const aml_model *m = v->model;
    json_t *doc = summary_doc(v);
    show_summary(ctx, v->model_name, e, m, v->source, doc, v->seconds);
    show_importance(ctx, v->model_name, e, doc);
    show_shap(ctx, v->model_name, e, m, doc);
    show_pdp(ctx, v->model_name, e, m, doc);
    show_row(ctx, v->model_name, e, m, v->row, doc);
    json_decref(doc);
}
