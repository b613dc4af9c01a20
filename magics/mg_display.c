/*
 * mg_display.c — building display bundles: tables rendered both as aligned
 * text (for jupyter console) and HTML, PNG charts with their logical size in
 * the metadata (sharp on HiDPI screens), and base64.
 */
#include "mg.h"

#include <stdlib.h>
#include <string.h>

#define MG_CELL_MAX 64  /* characters shown per text cell before an ellipsis */

struct mg_table {
    size_t ncols, nrows, cap;
    char **header;      /* ncols */
    char **cells;       /* nrows * ncols */
    bool *numeric;      /* per column: right-aligned */
};

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();  /* tables are display-sized */
    return d;
}

mg_table *mg_table_new(size_t ncols, const char *const *headers)
{
    mg_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->numeric = calloc(ncols, sizeof *t->numeric);
    t->header = calloc(ncols, sizeof *t->header);
    if (!t->numeric || !t->header) {
        mg_table_free(t);
        return NULL;
    }
    for (size_t c = 0; c < ncols; c++)
        t->header[c] = dup_or_empty(headers[c]);
    return t;
}

void mg_table_free(mg_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (size_t c = 0; t->header && c < t->ncols; c++)
        free(t->header[c]);
    free(t->cells);
    free(t->header);
    free(t->numeric);
    free(t);
}

void mg_table_numeric(mg_table *t, size_t col)
{
    if (col < t->ncols)
        t->numeric[col] = true;
}

void mg_table_row(mg_table *t, const char *const *cells)
{
    size_t need = (t->nrows + 1) * t->ncols;
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16 * t->ncols;
        while (cap < need)
            cap *= 2;
        char **v = realloc(t->cells, cap * sizeof *v);
        if (!v)
            abort();
        t->cells = v;
        t->cap = cap;
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = dup_or_empty(cells[c]);
    t->nrows++;
}

size_t mg_utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Writes `s` cut to `max` characters (with an ellipsis) and without line
 * breaks into `out`, padded to `width` (left or right aligned). */
static void text_cell(mg_buf *out, const char *s, size_t width, bool right, size_t max)
{
    mg_buf cell = {0};
    mg_buf_add(&cell, "");
    size_t chars = 0;
    for (const char *p = s; *p; p++) {
        bool lead = ((unsigned char)*p & 0xC0) != 0x80;
        if (lead && chars == max - 1 && mg_utf8_width(p) > 1) {
            mg_buf_add(&cell, "…");
            chars++;
            break;
        }
        if (lead)
            chars++;
        char c[2] = {*p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p, 0};
        mg_buf_add(&cell, c);
    }
    size_t pad = width > chars ? width - chars : 0;
    if (right)
        mg_buf_addf(out, "%*s", (int)pad, "");
    mg_buf_add(out, cell.data);
    if (!right)
        mg_buf_addf(out, "%*s", (int)pad, "");
    mg_buf_free(&cell);
}

void mg_table_render(const mg_table *t, mg_buf *text, mg_buf *html)
{
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        abort();
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = mg_utf8_width(t->header[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = mg_utf8_width(t->cells[r * t->ncols + c]);
            if (cw > MG_CELL_MAX)
                cw = MG_CELL_MAX;
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        text_cell(text, t->header[c], w[c], t->numeric[c], MG_CELL_MAX);
        mg_buf_add(text, c + 1 < t->ncols ? "  " : "\n");
    }
    for (size_t c = 0; c < t->ncols; c++) {
        for (size_t k = 0; k < w[c]; k++)
            mg_buf_add(text, "-");
        mg_buf_add(text, c + 1 < t->ncols ? "  " : "\n");
    }
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            text_cell(text, t->cells[r * t->ncols + c], w[c], t->numeric[c], MG_CELL_MAX);
            mg_buf_add(text, c + 1 < t->ncols ? "  " : "\n");
        }
    free(w);
    if (!html)
        return;
    mg_buf_add(html, "<table class=\"automl-table\"><thead><tr>");
    for (size_t c = 0; c < t->ncols; c++) {
        mg_buf_add(html, t->numeric[c] ? "<th style=\"text-align:right\">" : "<th style=\"text-align:left\">");
        mg_buf_add_html(html, t->header[c]);
        mg_buf_add(html, "</th>");
    }
    mg_buf_add(html, "</tr></thead><tbody>");
    for (size_t r = 0; r < t->nrows; r++) {
        mg_buf_add(html, "<tr>");
        for (size_t c = 0; c < t->ncols; c++) {
            mg_buf_add(html, t->numeric[c] ? "<td style=\"text-align:right\">"
                                           : "<td style=\"text-align:left\">");
            mg_buf_add_html(html, t->cells[r * t->ncols + c]);
            mg_buf_add(html, "</td>");
        }
        mg_buf_add(html, "</tr>");
    }
    mg_buf_add(html, "</tbody></table>");
}

char *mg_base64(const unsigned char *data, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < n)
            v |= data[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
    return out;
}

int mg_display_png(mg_ctx *ctx, const aml_plot_image *img, const char *alt)
{
    char *b64 = mg_base64(img->png, img->png_size);
    if (!b64)
        return mg_fail(ctx, "MemoryError", "out of memory encoding a chart");
    json_t *data = json_pack("{s:s, s:s}", "image/png", b64, "text/plain", alt);
    json_t *meta = json_pack("{s:{s:i, s:i}}", "image/png", "width", img->width, "height",
                             img->height);
    kn_display(ctx->req, data, meta, NULL);
    json_decref(data);
    json_decref(meta);
    free(b64);
    return 0;
}

int mg_display_table(mg_ctx *ctx, const mg_table *t, const char *mime, const char *key,
                     json_t *doc)
{
    mg_buf text = {0}, html = {0};
    mg_table_render(t, &text, &html);
    json_t *b = json_pack("{s:s, s:s}", "text/plain", text.data, "text/html", html.data);
    if (b && mime)
        json_object_set_new(b, mime, json_pack("{s:O}", key, doc));
    kn_display(ctx->req, b, NULL, NULL);
    json_decref(b);
    json_decref(doc);
    mg_buf_free(&text);
    mg_buf_free(&html);
    return 0;
}
