/*
 * mg_frame_view.c — how a data set looks in a notebook: the schema table
 * (column, type, missing, distinct, examples, flags), the preview of the first
 * rows, and the application/vnd.automl.frame+json document for the notebook
 * extension.  Shared by %import, %show and %schema.
 */
#include "mg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mg_fmt_count(size_t n, char buf[32])
{
    char raw[32];
    snprintf(raw, sizeof raw, "%zu", n);
    size_t len = strlen(raw), o = 0;
    for (size_t i = 0; i < len; i++) {
        buf[o++] = raw[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len)
            buf[o++] = ',';
    }
    buf[o] = 0;
}

void mg_fmt_bytes(size_t n, char buf[32])
{
    if (n < 1024)
        snprintf(buf, 32, "%zu B", n);
    else if (n < 1024 * 1024)
        snprintf(buf, 32, "%.1f KB", n / 1024.0);
    else if (n < 1024ull * 1024 * 1024)
        snprintf(buf, 32, "%.1f MB", n / (1024.0 * 1024));
    else
        snprintf(buf, 32, "%.2f GB", n / (1024.0 * 1024 * 1024));
}

/* Names of the AML_COL_* flags set in `flags`, comma-separated. */
static void flag_text(unsigned flags, char *buf, size_t len)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {AML_COL_ID, "ID-like"},
        {AML_COL_CONSTANT, "constant"},
        {AML_COL_HIGH_CARDINALITY, "high cardinality"},
        {AML_COL_DEMOTED, "type changed by a late value"},
        {AML_COL_FORCED, "type set by you"},
    };
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (flags & names[i].bit) {
            size_t n = strlen(buf);
            snprintf(buf + n, len - n, "%s%s", n ? ", " : "", names[i].name);
        }
}

static json_t *flag_list(unsigned flags)
{
    json_t *a = json_array();
    if (flags & AML_COL_ID)
        json_array_append_new(a, json_string("id"));
    if (flags & AML_COL_CONSTANT)
        json_array_append_new(a, json_string("constant"));
    if (flags & AML_COL_HIGH_CARDINALITY)
        json_array_append_new(a, json_string("high_cardinality"));
    if (flags & AML_COL_DEMOTED)
        json_array_append_new(a, json_string("demoted"));
    if (flags & AML_COL_FORCED)
        json_array_append_new(a, json_string("forced"));
    return a;
}

/* Up to three distinct example values of a column, comma-separated, from
 * about 2000 rows spread over the whole file (files are often sorted). */
static void examples(const aml_frame *f, size_t col, char *buf, size_t len)
{
    char seen[3][64];
    size_t n_seen = 0, rows = aml_frame_nrows(f), step = rows / 2000 + 1;
    buf[0] = 0;
    for (size_t r = 0; r < rows && n_seen < 3; r += step) {
        if (!aml_frame_is_valid(f, col, r))
            continue;
        char v[64];
        aml_frame_cell_str(f, col, r, v, sizeof v);
        bool dup = false;
        for (size_t k = 0; k < n_seen && !dup; k++)
            dup = strcmp(seen[k], v) == 0;
        if (dup)
            continue;
        snprintf(seen[n_seen++], sizeof seen[0], "%s", v);
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s", l ? ", " : "", v);
    }
}

void mg_view_schema(const mg_dataset *d, const aml_analysis *a, mg_buf *text, mg_buf *html,
                    json_t *columns_json)
{
    const aml_frame *f = d->frame;
    const char *head[] = {"column", "type", "missing", "distinct", "examples", "notes"};
    mg_table *t = mg_table_new(6, head);
    if (!t)
        abort();
    mg_table_numeric(t, 2);
    mg_table_numeric(t, 3);
    for (size_t c = 0; c < aml_frame_ncols(f); c++) {
        const aml_analyze_column *ac = a ? aml_analyze_column_at(a, c) : NULL;
        size_t rows = aml_frame_nrows(f);
        size_t missing = aml_frame_col_missing(f, c), invalid = aml_frame_col_invalid(f, c);
        char miss[48], dist[32] = "", ex[160], flags[200], name[300];
        snprintf(miss, sizeof miss, "%.1f%%", rows ? 100.0 * (double)missing / (double)rows : 0.0);
        if (ac)
            mg_fmt_count(ac->distinct, dist);
        examples(f, c, ex, sizeof ex);
        flag_text(aml_frame_col_flags(f, c), flags, sizeof flags);
        if (invalid) {
            char cnt[32];
            mg_fmt_count(invalid, cnt);
            size_t l = strlen(flags);
            snprintf(flags + l, sizeof flags - l, "%s%s invalid", l ? ", " : "", cnt);
        }
        snprintf(name, sizeof name, "%s%s", aml_frame_col_name(f, c),
                 d->target && strcmp(d->target, aml_frame_col_name(f, c)) == 0 ? " (target)"
                                                                                : "");
        const char *row[] = {name, aml_type_name(aml_frame_col_type(f, c)), miss, dist, ex, flags};
        mg_table_row(t, row);
        if (columns_json) {
            json_t *cj = json_pack("{s:s, s:s, s:I, s:I, s:o}", "name", aml_frame_col_name(f, c),
                                   "type", aml_type_name(aml_frame_col_type(f, c)), "missing",
                                   (json_int_t)missing, "invalid", (json_int_t)invalid, "flags",
                                   flag_list(aml_frame_col_flags(f, c)));
            if (ac)
                json_object_set_new(cj, "distinct", json_integer((json_int_t)ac->distinct));
            json_object_set_new(cj, "examples", json_string(ex));
            json_array_append_new(columns_json, cj);
        }
    }
    mg_table_render(t, text, html);
    mg_table_free(t);
}

void mg_view_preview(const aml_frame *f, size_t nrows, mg_buf *text, mg_buf *html,
                     json_t *preview_json)
{
    size_t ncols = aml_frame_ncols(f), rows = aml_frame_nrows(f);
    if (nrows > rows)
        nrows = rows;
    const char **head = calloc(ncols + 1, sizeof *head);
    const char **cells = calloc(ncols + 1, sizeof *cells);
    char (*vals)[128] = calloc(ncols + 1, sizeof *vals);
    if (!head || !cells || !vals)
        abort();
    head[0] = "#";
    for (size_t c = 0; c < ncols; c++)
        head[c + 1] = aml_frame_col_name(f, c);
    mg_table *t = mg_table_new(ncols + 1, head);
    if (!t)
        abort();
    mg_table_numeric(t, 0);
    for (size_t c = 0; c < ncols; c++) {
        aml_type ty = aml_frame_col_type(f, c);
        if (ty == AML_TYPE_NUMBER || ty == AML_TYPE_INTEGER)
            mg_table_numeric(t, c + 1);
    }
    for (size_t r = 0; r < nrows; r++) {
        json_t *jrow = preview_json ? json_array() : NULL;
        snprintf(vals[ncols], sizeof vals[ncols], "%zu", r + 1);
        cells[0] = vals[ncols];
        for (size_t c = 0; c < ncols; c++) {
            aml_cell_state st = aml_frame_cell_state(f, c, r);
            aml_frame_cell_str(f, c, r, vals[c], sizeof vals[c]);
            cells[c + 1] = st == AML_CELL_MISSING ? "—" : vals[c];
            if (jrow)
                json_array_append_new(jrow, st == AML_CELL_MISSING ? json_null()
                                                                   : json_string(vals[c]));
        }
        mg_table_row(t, cells);
        if (jrow)
            json_array_append_new(preview_json, jrow);
    }
    mg_table_render(t, text, html);
    mg_table_free(t);
    free(head);
    free(cells);
    free(vals);
}

/* The summary line and notes: text/plain and the opening of the HTML. */
static void view_header(const char *summary, const char *const *notes, size_t n_notes,
                        mg_buf *text, mg_buf *html)
{
    mg_buf_addf(text, "%s\n", summary);
    mg_buf_add(html, "<div class=\"automl-frame\"><p><b>");
    mg_buf_add_html(html, summary);
    mg_buf_add(html, "</b></p>");
    if (n_notes) {
        mg_buf_add(html, "<ul class=\"automl-notes\">");
        for (size_t i = 0; i < n_notes; i++) {
            mg_buf_addf(text, "  note: %s\n", notes[i]);
            mg_buf_add(html, "<li>");
            mg_buf_add_html(html, notes[i]);
            mg_buf_add(html, "</li>");
        }
        mg_buf_add(html, "</ul>");
    }
}

/* Schema (with distinct counts) and preview: text/plain, HTML, and the
 * columns and preview documents.  0, or -1 after mg_fail(). */
static int view_body(mg_ctx *ctx, const mg_dataset *d, size_t preview_rows, bool with_schema,
                     mg_buf *text, mg_buf *html, json_t *columns, json_t *preview)
{
    if (with_schema) {
        aml_analysis *a = NULL;
        aml_error err = {0};
        aml_analyze_options o = aml_analyze_options_default();
        o.distinct_only = true;
        if (aml_analyze(d->frame, &o, &a, &err) != 0 && err.code != AML_EEMPTY)
            return mg_fail(ctx, "DataError", "analysing '%s': %s", d->name, err.text);
        mg_buf_add(text, "\n");
        mg_buf_add(html, "<details open><summary>Schema</summary><div style=\"overflow-x:auto\">");
        mg_view_schema(d, a, text, html, columns);
        mg_buf_add(html, "</div></details>");
        aml_analyze_free(a);
    } else {
        for (size_t c = 0; c < aml_frame_ncols(d->frame); c++)
            json_array_append_new(columns,
                                  json_pack("{s:s, s:s}", "name", aml_frame_col_name(d->frame, c),
                                            "type", aml_type_name(aml_frame_col_type(d->frame, c))));
    }
    if (preview_rows) {
        char shown[32];
        mg_fmt_count(preview_rows < aml_frame_nrows(d->frame) ? preview_rows
                                                              : aml_frame_nrows(d->frame),
                     shown);
        mg_buf_addf(text, "\nFirst %s rows:\n", shown);
        mg_buf_addf(html, "<details open><summary>First %s rows</summary>"
                          "<div style=\"overflow-x:auto\">", shown);
        mg_view_preview(d->frame, preview_rows, text, html, preview);
        mg_buf_add(html, "</div></details>");
    }
    mg_buf_add(html, "</div>");
    return 0;
}

int mg_view_dataset(mg_ctx *ctx, const mg_dataset *d, const char *summary,
                    const char *const *notes, size_t n_notes, size_t preview_rows,
                    bool with_schema, double started)
{
    mg_buf body_text = {0}, body_html = {0}, text = {0}, html = {0};
    json_t *columns = json_array(), *preview = json_array();
    if (view_body(ctx, d, preview_rows, with_schema, &body_text, &body_html, columns, preview)) {
        mg_buf_free(&body_text);
        mg_buf_free(&body_html);
        json_decref(columns);
        json_decref(preview);
        return -1;
    }
    /* The time shown is the whole work so far: reading, schema and preview. */
    mg_buf line = {0};
    mg_buf_add(&line, summary);
    if (started > 0)
        mg_buf_addf(&line, " — imported in %.2f s", aml_now() - started);
    view_header(line.data, notes, n_notes, &text, &html);
    mg_buf_add_n(&text, body_text.data ? body_text.data : "", body_text.len);
    mg_buf_add_n(&html, body_html.data, body_html.len);
    json_t *doc = json_pack("{s:s, s:I, s:o, s:o}", "name", d->name, "rows",
                            (json_int_t)aml_frame_nrows(d->frame), "columns", columns, "preview",
                            preview);
    if (d->target)
        json_object_set_new(doc, "target", json_string(d->target));
    /* the summary line and notes, for the extension that draws this instead of the HTML */
    json_object_set_new(doc, "summary", json_string(line.data));
    json_t *jnotes = json_array();
    for (size_t i = 0; i < n_notes; i++)
        json_array_append_new(jnotes, json_string(notes[i]));
    json_object_set_new(doc, "notes", jnotes);
    json_t *bundle = json_pack("{s:s, s:s, s:o}", "text/plain", text.data, "text/html", html.data,
                               "application/vnd.automl.frame+json", doc);
    kn_display(ctx->req, bundle, NULL, NULL);
    json_decref(bundle);
    mg_buf_free(&line);
    mg_buf_free(&body_text);
    mg_buf_free(&body_html);
    mg_buf_free(&text);
    mg_buf_free(&html);
    return 0;
}

const char *mg_closest_column(const aml_frame *f, const char *word)
{
    size_t n = aml_frame_ncols(f);
    const char **names = calloc(n + 1, sizeof *names);
    for (size_t c = 0; names && c < n; c++)
        names[c] = aml_frame_col_name(f, c);
    const char *best = names ? mg_closest_name(word, names, n) : NULL;
    free(names);
    return best;
}

int mg_column_or_fail(mg_ctx *ctx, const mg_dataset *d, const char *name, const char *option,
                      size_t *col)
{
    long c = aml_frame_col_index(d->frame, name);
    if (c >= 0) {
        *col = (size_t)c;
        return 0;
    }
    const char *s = mg_closest_column(d->frame, name);
    if (s)
        return mg_fail(ctx, "UsageError", "%s: data set '%s' has no column '%s' — did you mean "
                       "'%s'?", option, d->name, name, s);
    return mg_fail(ctx, "UsageError", "%s: data set '%s' has no column '%s' (see %%schema %s)",
                   option, d->name, name, d->name);
}

int mg_dataset_or_fail(mg_ctx *ctx, const char *name, mg_dataset **out)
{
    *out = mg_session_dataset(ctx->session, name);
    if (*out)
        return 0;
    if (!name)
        return mg_fail(ctx, "UsageError", "no data set yet — start with %%import FILE.csv "
                       "(or %%import bank-marketing for the bundled example)");
    size_t n = mg_session_dataset_count(ctx->session);
    const char **names = calloc(n + 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++)
        names[i] = mg_session_dataset_at(ctx->session, i)->name;
    const char *best = names ? mg_closest_name(name, names, n) : NULL;
    free(names);
    if (best)
        return mg_fail(ctx, "UsageError", "no data set named '%s' — did you mean '%s'?", name,
                       best);
    return mg_fail(ctx, "UsageError", "no data set named '%s' (%%datasets lists them)", name);
}
