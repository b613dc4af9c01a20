/*
 * mg_train_view.c — how a search looks in a notebook: the live progress
 * display (updated in place), the leaderboard table, and the final report
 * (leaderboard, pipeline in words, test score, best-score-over-time chart).
 * Shared by %train, %leaderboard and %compare.  Image runs (their trials are
 * networks with a size) show each trial's architecture and weights, the
 * chosen network in words, and on %leaderboard the score-against-size chart
 * with its Pareto front.
 */
#include "mg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_score(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "—");
    else
        snprintf(buf, len, "%.4f", v);
}

static void fmt_seconds(double s, char *buf, size_t len)
{
    if (s < 60)
        snprintf(buf, len, "%.1f s", s);
    else
        snprintf(buf, len, "%dm %02ds", (int)(s / 60), (int)fmod(s, 60));
}

/* Columns of a leaderboard row: rank, model, hyper-parameters (images: the
 * architecture, then its weights), score, fit time, predict time. */
#define MAX_COLS 7

static void fmt_weights(double size, char *buf, size_t len)
{
    if (!(size > 0))
        snprintf(buf, len, "—");
    else if (size >= 1e6)
        snprintf(buf, len, "%.2fM", size / 1e6);
    else if (size >= 1e4)
        snprintf(buf, len, "%.1fk", size / 1e3);
    else
        snprintf(buf, len, "%.0f", size);
}

static size_t trial_row(const aml_trial_info *t, size_t rank, bool images, const char **cells,
                        char (*buf)[256])
{
    size_t c = 0;
    snprintf(buf[c++], 256, "%zu", rank);
    snprintf(buf[c++], 256, "%s", t->kind);
    snprintf(buf[c++], 256, "%s", t->params ? t->params : "");
    if (images)
        fmt_weights(t->size, buf[c++], 256);
    if (isnan(t->score))
        snprintf(buf[c++], 256, "—");
    else if (t->score_std > 0)
        snprintf(buf[c++], 256, "%.4f ± %.4f", t->score, t->score_std);
    else
        snprintf(buf[c++], 256, "%.4f", t->score);
    fmt_seconds(t->fit_seconds, buf[c++], 256);
    snprintf(buf[c++], 256, "%.0f ms", t->predict_seconds * 1000);
    for (size_t i = 0; i < c; i++)
        cells[i] = buf[i];
    return c;
}

/* True when the trials are networks (they carry a size in weights). */
static bool trials_are_networks(const aml_trial_info *const *trials, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (trials[i]->size > 0)
            return true;
    return false;
}

/* The leaderboard (or a top-n list) as a table appended to text and html;
 * networks get their architecture and weights. */
static void leaderboard_table(const aml_trial_info *const *trials, size_t n, aml_metric metric,
                              mg_buf *text, mg_buf *html)
{
    bool images = trials_are_networks(trials, n);
    char score_head[64];
    snprintf(score_head, sizeof score_head, "validation %s", aml_metric_name(metric));
    const char *head[MAX_COLS] = {"rank", "model", "hyper-parameters", score_head, "fit time",
                                  "predict time"};
    const char *image_head[MAX_COLS] = {"rank", "model", "architecture", "weights", score_head,
                                        "fit time", "predict time"};
    size_t ncols = images ? 7 : 6;
    mg_table *t = mg_table_new(ncols, images ? image_head : head);
    if (!t)
        return;
    for (size_t c = 0; c < ncols; c++)
        if (c != 1 && c != 2)
            mg_table_numeric(t, c);
    char buf[MAX_COLS][256];
    const char *cells[MAX_COLS];
    for (size_t i = 0; i < n; i++) {
        trial_row(trials[i], i + 1, images, cells, buf);
        mg_table_row(t, cells);
    }
    mg_table_render(t, text, html);
    mg_table_free(t);
}

json_t *mg_progress_bundle(const aml_search_event *ev, const char *name)
{
    double frac = ev->budget_seconds > 0 ? ev->elapsed_seconds / ev->budget_seconds : 0;
    if (frac > 1)
        frac = 1;
    char elapsed[32], left[32], best[32];
    fmt_seconds(ev->elapsed_seconds, elapsed, sizeof elapsed);
    fmt_seconds(ev->budget_seconds > ev->elapsed_seconds
                    ? ev->budget_seconds - ev->elapsed_seconds : 0, left, sizeof left);
    fmt_score(ev->best_score, best, sizeof best);
    mg_buf text = {0}, html = {0};
    char bar[32];
    int filled = (int)(frac * 24 + 0.5);
    for (int i = 0; i < 24; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[24] = 0;
    mg_buf_addf(&text, "training %s [%s] %s elapsed, %s left — %s; %zu trials (%zu failed); "
                "best %s %s\n", name, bar, elapsed, left, ev->phase ? ev->phase : "",
                ev->trials_done, ev->trials_failed, aml_metric_name(ev->metric), best);
    mg_buf_add(&html, "<div class=\"automl-progress\"><p><b>Training ");
    mg_buf_add_html(&html, name);
    mg_buf_addf(&html, "</b> <progress value=\"%.3f\" max=\"1\"></progress> %s elapsed, %s left"
                       " — <i>", frac, elapsed, left);
    mg_buf_add_html(&html, ev->phase ? ev->phase : "");
    mg_buf_addf(&html, "</i></p><p>%zu trials done (%zu failed); best %s so far: <b>%s</b></p>",
                ev->trials_done, ev->trials_failed, aml_metric_name(ev->metric), best);
    json_t *top = json_array();
    const aml_trial_info *tops[5];
    for (size_t i = 0; i < ev->n_top && i < 5; i++) {
        tops[i] = &ev->top[i];
        json_t *row = json_pack("{s:s, s:s, s:f}", "model", ev->top[i].kind, "params",
                                ev->top[i].params ? ev->top[i].params : "", "score",
                                isnan(ev->top[i].score) ? 0.0 : ev->top[i].score);
        if (row && ev->top[i].size > 0)
            json_object_set_new(row, "weights", json_real(ev->top[i].size));
        json_array_append_new(top, row);
    }
    if (ev->n_top) {
        mg_buf_add(&text, "\n");
        leaderboard_table(tops, ev->n_top < 5 ? ev->n_top : 5, ev->metric, &text, &html);
    }
    mg_buf_add(&html, "</div>");
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:f, s:f, s:I, s:I, s:s, s:s, s:o}}", "text/plain",
                          text.data, "text/html", html.data,
                          "application/vnd.automl.progress+json", "model", name, "elapsed",
                          ev->elapsed_seconds, "budget", ev->budget_seconds, "trials",
                          (json_int_t)ev->trials_done, "failed", (json_int_t)ev->trials_failed,
                          "metric", aml_metric_name(ev->metric), "phase",
                          ev->phase ? ev->phase : "", "top", top);
    if (b && !isnan(ev->best_score))
        json_object_set_new(json_object_get(b, "application/vnd.automl.progress+json"), "best",
                            json_real(ev->best_score));
    mg_buf_free(&text);
    mg_buf_free(&html);
    return b;
}

/* Best validation score over time, as a step chart. */
static int curve_chart(mg_ctx *ctx, const aml_run *run, const char *name)
{
    size_t n = aml_run_curve_size(run);
    if (n == 0)
        return 0;
    double *x = calloc(n + 1, sizeof *x), *y = calloc(n + 1, sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        aml_run_curve_point(run, i, &x[i], &y[i]);
    /* hold the last best until the end of the run */
    x[n] = aml_run_seconds(run) > x[n - 1] ? aml_run_seconds(run) : x[n - 1];
    y[n] = y[n - 1];
    char title[300], ytitle[64];
    snprintf(title, sizeof title, "Best validation %s of %s over time",
             aml_metric_name(aml_run_metric(run)), name);
    snprintf(ytitle, sizeof ytitle, "best %s", aml_metric_name(aml_run_metric(run)));
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.x_title = "seconds";
    o.y_title = ytitle;
    o.height = 320;
    aml_plot_series s = aml_plot_series_default();
    s.x = x;
    s.y = y;
    s.n = n + 1;
    s.steps = true;
    s.markers = n < 60;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    int rc = aml_plot_line(&o, &s, 1, &img, &err) ? mg_fail(ctx, "PlotError", "%s", err.text)
                                                  : mg_display_png(ctx, img, title);
    aml_plot_image_free(img);
    free(x);
    free(y);
    return rc;
}

/* True for a run of the image search (its trials are networks). */
static bool run_is_images(const aml_run *run)
{
    if (aml_model_is_image(aml_run_model(run)))
        return true;
    for (size_t i = 0; i < aml_run_n_trials(run); i++)
        if (aml_run_trial(run, i)->size > 0)
            return true;
    return false;
}

/* Every OK trial's validation score against its weights, with the Pareto
 * front of score and size (the NSGA-II view of an image search). */
static int pareto_chart(mg_ctx *ctx, const aml_run *run, const char *name)
{
    size_t n = aml_run_n_trials(run), m = 0;
    double *size = calloc(n + 1, sizeof *size), *score = calloc(n + 1, sizeof *score);
    if (!size || !score) {
        free(size);
        free(score);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const aml_trial_info *t = aml_run_trial(run, i);
        if (t->status == AML_TRIAL_OK && t->size > 0 && isfinite(t->score)) {
            size[m] = t->size;
            score[m++] = t->score;
        }
    }
    int rc = 0;
    if (m) {
        aml_metric metric = aml_run_metric(run);
        char title[300], ytitle[64], alt[500];
        snprintf(title, sizeof title, "%s: %s against network size", name,
                 aml_metric_name(metric));
        snprintf(alt, sizeof alt, "%s; every trial, the Pareto front (best %s for its size) "
                 "highlighted", title, aml_metric_name(metric));
        snprintf(ytitle, sizeof ytitle, "validation %s", aml_metric_name(metric));
        aml_plot_opts o = aml_plot_opts_default();
        o.title = title;
        o.x_title = "trainable weights (log scale)";
        o.y_title = ytitle;
        aml_plot_image *img = NULL;
        aml_error err = {0};
        rc = aml_explain_pareto_plot(&o, size, score, m, aml_metric_higher_is_better(metric),
                                     &img, &err)
                 ? mg_fail(ctx, "PlotError", "%s", err.text)
                 : mg_display_png(ctx, img, alt);
        aml_plot_image_free(img);
    }
    free(size);
    free(score);
    return rc;
}

/* The chosen pipeline in words; an image run's is its network and weights. */
static void pipeline_text(const aml_run *run, bool images, mg_buf *text, mg_buf *html)
{
    const aml_model *m = aml_run_model(run);
    const char *pipeline = images && m ? aml_model_describe(m) : aml_run_pipeline(run);
    if (!pipeline || !*pipeline)
        return;
    const char *what = images ? "The chosen network" : "The chosen pipeline";
    mg_buf_addf(text, "\n%s: %s\n", what, pipeline);
    mg_buf_addf(html, "<p><b>%s:</b> ", what);
    mg_buf_add_html(html, pipeline);
    mg_buf_add(html, "</p>");
}

int mg_show_run(mg_ctx *ctx, const char *name, const aml_run *run, bool full)
{
    bool images = run_is_images(run);
    mg_buf text = {0}, html = {0};
    aml_metric metric = aml_run_metric(run);
    char val[32], test[32], secs[32];
    fmt_score(aml_run_validation_score(run), val, sizeof val);
    fmt_score(aml_run_test_score(run), test, sizeof test);
    fmt_seconds(aml_run_seconds(run), secs, sizeof secs);
    mg_buf_addf(&text, "%s: %s, %zu trials in %s (%s). Validation %s %s; held-out test %s %s.\n",
                name, aml_task_name(aml_run_task(run)), aml_run_trials_done(run), secs,
                aml_stop_reason_name(aml_run_stop_reason(run)), aml_metric_name(metric), val,
                aml_metric_name(metric), test);
    mg_buf_add(&html, "<div class=\"automl-run\"><p><b>");
    mg_buf_add_html(&html, name);
    mg_buf_addf(&html, "</b>: %s, %zu trials in %s (%s). Validation %s <b>%s</b>; held-out "
                       "test %s <b>%s</b>.</p>", aml_task_name(aml_run_task(run)),
                aml_run_trials_done(run), secs, aml_stop_reason_name(aml_run_stop_reason(run)),
                aml_metric_name(metric), val, aml_metric_name(metric), test);
    size_t n = aml_run_leaderboard_size(run), shown = full ? n : (n < 10 ? n : 10);
    const aml_trial_info **rows = calloc(shown + 1, sizeof *rows);
    json_t *board = json_array();
    for (size_t i = 0; rows && i < shown; i++)
        rows[i] = aml_run_leaderboard(run, i);
    for (size_t i = 0; i < n; i++) {
        const aml_trial_info *t = aml_run_leaderboard(run, i);
        json_t *row = json_pack("{s:I, s:s, s:s, s:f, s:f, s:f, s:f}", "rank",
                                (json_int_t)(i + 1), "model", t->kind, "params",
                                t->params ? t->params : "", "score",
                                isnan(t->score) ? 0.0 : t->score, "std", t->score_std,
                                "fit_seconds", t->fit_seconds, "predict_seconds",
                                t->predict_seconds);
        if (row && t->size > 0)
            json_object_set_new(row, "weights", json_real(t->size));
        json_array_append_new(board, row);
    }
    mg_buf_add(&text, "\nLeaderboard:\n");
    mg_buf_add(&html, "<details open><summary>Leaderboard</summary><div style=\"overflow-x:auto\">");
    if (rows)
        leaderboard_table(rows, shown, metric, &text, &html);
    mg_buf_add(&html, "</div></details>");
    if (shown < n)
        mg_buf_addf(&text, "(%zu more: %%leaderboard %s)\n", n - shown, name);
    pipeline_text(run, images, &text, &html);
    const char *pipeline = aml_run_pipeline(run);
    if (aml_run_n_notes(run)) {
        mg_buf_add(&html, "<ul class=\"automl-notes\">");
        for (size_t i = 0; i < aml_run_n_notes(run); i++) {
            mg_buf_addf(&text, "  note: %s\n", aml_run_note(run, i));
            mg_buf_add(&html, "<li>");
            mg_buf_add_html(&html, aml_run_note(run, i));
            mg_buf_add(&html, "</li>");
        }
        mg_buf_add(&html, "</ul>");
    }
    mg_buf_add(&html, "</div>");
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "model", name, "task",
                            aml_task_name(aml_run_task(run)), "metric", aml_metric_name(metric),
                            "stop", aml_stop_reason_name(aml_run_stop_reason(run)), "trials",
                            (json_int_t)aml_run_trials_done(run), "leaderboard", board);
    if (!isnan(aml_run_test_score(run)))
        json_object_set_new(doc, "test_score", json_real(aml_run_test_score(run)));
    if (!isnan(aml_run_validation_score(run)))
        json_object_set_new(doc, "validation_score", json_real(aml_run_validation_score(run)));
    /* what the HTML says besides the table, for the extension that draws this instead */
    json_object_set_new(doc, "seconds", json_real(aml_run_seconds(run)));
    if (pipeline && *pipeline)
        json_object_set_new(doc, "pipeline", json_string(pipeline));
    if (images && aml_run_model(run)) {
        json_object_set_new(doc, "network", json_string(aml_model_describe(aml_run_model(run))));
        json_object_set_new(doc, "images", json_true());
    }
    json_t *jnotes = json_array();
    for (size_t i = 0; i < aml_run_n_notes(run); i++)
        json_array_append_new(jnotes, json_string(aml_run_note(run, i)));
    json_object_set_new(doc, "notes", jnotes);
    json_t *bundle = json_pack("{s:s, s:s, s:o}", "text/plain", text.data, "text/html", html.data,
                               "application/vnd.automl.leaderboard+json", doc);
    kn_display(ctx->req, bundle, NULL, NULL);
    json_decref(bundle);
    mg_buf_free(&text);
    mg_buf_free(&html);
    free(rows);
    if (full)
        return images ? pareto_chart(ctx, run, name) : 0;
    return curve_chart(ctx, run, name);
}
