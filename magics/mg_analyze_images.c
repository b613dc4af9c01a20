/* mg_analyze_images.c — %analyze on an image set: the class balance (counts,
 * shares, an imbalance note), duplicate images by their pixels with the
 * ones that appear under two classes named, and the mean image per class
 * as one PNG grid. */
#include "mg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MEAN_PER_ROW 10

static void balance_table(const mg_dataset *d, const aml_images_analysis *a, mg_buf *text,
                          mg_buf *html)
{
    const char *head[] = {"class", "images", "share"};
    mg_table *t = mg_table_new(3, head);
    mg_table_numeric(t, 1);
    mg_table_numeric(t, 2);
    for (size_t k = 0; k < aml_images_analysis_classes(a); k++) {
        char count[32], share[32];
        mg_fmt_count(aml_images_analysis_class_images(a, k), count);
        snprintf(share, sizeof share, "%.1f %%", 100.0 * aml_images_analysis_class_share(a, k));
        const char *row[] = {aml_images_class_name(d->images, k), count, share};
        mg_table_row(t, row);
    }
    mg_table_render(t, text, html);
    mg_table_free(t);
}

/* "image 12 (cat), image 40 (dog)": the members of group g, at most 4. */
static void group_words(const mg_dataset *d, const aml_images_analysis *a, size_t g, mg_buf *b)
{
    size_t n;
    const size_t *idx = aml_images_analysis_group(a, g, &n);
    for (size_t j = 0; j < n && j < 4; j++)
        mg_buf_addf(b, "%simage %zu (%s)", j ? ", " : "", idx[j],
                    aml_images_class_name(d->images, aml_images_label(d->images, idx[j])));
    if (n > 4)
        mg_buf_addf(b, " and %zu more", n - 4);
}

/* Notes: imbalance and duplicates. */
static void analysis_notes(const mg_dataset *d, const aml_images_analysis *a, mg_buf *notes,
                           size_t *n)
{
    if (aml_images_analysis_imbalanced(a))
        mg_buf_addf(&notes[(*n)++], "imbalanced classes: the largest has %.1f× the images of "
                    "the smallest (below a fifth); weigh the classes or collect more of the "
                    "small ones", aml_images_analysis_imbalance_ratio(a));
    size_t groups = aml_images_analysis_dup_groups(a);
    if (!groups) {
        mg_buf_add(&notes[(*n)++], "duplicates: none (no two images have equal pixels)");
        return;
    }
    char c[32], g[32];
    mg_fmt_count(aml_images_analysis_dup_images(a), c);
    mg_fmt_count(groups, g);
    mg_buf_addf(&notes[*n], "duplicates: %s images repeat another (%s groups of equal pixels); "
                "first: ", c, g);
    group_words(d, a, 0, &notes[(*n)++]);
    size_t conflicts = aml_images_analysis_conflict_images(a);
    if (!conflicts)
        return;
    mg_fmt_count(conflicts, c);
    mg_buf_addf(&notes[*n], "%s images appear under two classes (equal pixels, different "
                "labels): ", c);
    for (size_t k = 0, shown = 0; k < groups && shown < 3; k++) {
        if (!aml_images_analysis_group_conflicts(a, k))
            continue;
        mg_buf_add(&notes[*n], shown++ ? "; " : "");
        group_words(d, a, k, &notes[*n]);
    }
    (*n)++;
}

/* The mean images, MEAN_PER_ROW to a row, each captioned with its class. */
static aml_plot_image *mean_grid(const mg_dataset *d, const aml_images_analysis *a)
{
    size_t k = aml_images_analysis_classes(a);
    size_t cols = k < MEAN_PER_ROW ? k : MEAN_PER_ROW, rows = (k + cols - 1) / cols;
    const uint8_t **tiles = calloc(rows * cols, sizeof *tiles);
    const char **captions = calloc(rows * cols, sizeof *captions);
    aml_plot_image *img = NULL;
    if (tiles && captions) {
        for (size_t c = 0; c < k; c++) {
            tiles[c] = aml_images_analysis_mean(a, c);
            captions[c] = aml_images_class_name(d->images, c);
        }
        aml_plot_tiles_data td = {.tiles = tiles, .rows = rows, .cols = cols,
                                  .channels = aml_images_channels(d->images),
                                  .width = aml_images_width(d->images),
                                  .height = aml_images_height(d->images), .captions = captions};
        aml_plot_opts o = aml_plot_opts_default();
        o.title = "Mean image per class";
        aml_plot_tiles(&o, &td, &img, NULL);
    }
    free(tiles);
    free(captions);
    return img;
}

static void send(mg_ctx *ctx, mg_buf *text, mg_buf *html, const aml_plot_image *img)
{
    json_t *bundle = json_pack("{s:s, s:s}", "text/plain", text->data, "text/html", html->data);
    json_t *meta = NULL;
    char *b64 = img ? mg_base64(img->png, img->png_size) : NULL;
    if (b64) {
        json_object_set_new(bundle, "image/png", json_string(b64));
        meta = json_pack("{s:{s:i, s:i}}", "image/png", "width", img->width, "height",
                         img->height);
    }
    kn_display(ctx->req, bundle, meta, NULL);
    json_decref(bundle);
    json_decref(meta);
    free(b64);
}

int mg_analyze_images(mg_ctx *ctx, const mg_dataset *d)
{
    double t0 = aml_now();
    aml_images_analysis *a = NULL;
    aml_error err = {0};
    if (aml_analyze_images(d->images, &a, &err))
        return mg_fail(ctx, "DataError", "analysing '%s': %s", d->name,
                       err.text[0] ? err.text : aml_strerror(err.code));
    mg_buf text = {0}, html = {0}, notes[3] = {{0}};
    size_t n_notes = 0;
    char count[32], shape[48];
    mg_fmt_count(aml_images_count(d->images), count);
    mg_fmt_image_shape(d->images, shape);
    analysis_notes(d, a, notes, &n_notes);
    aml_plot_image *img = mean_grid(d, a);
    mg_buf_addf(&text, "%s: %s images %s in %zu classes — analysed in %.2f s\n", d->name, count,
                shape, aml_images_analysis_classes(a), aml_now() - t0);
    mg_buf_add(&html, "<div class=\"automl-analysis\"><p><b>");
    mg_buf_add_html(&html, text.data);
    mg_buf_add(&html, "</b></p><ul class=\"automl-notes\">");
    for (size_t i = 0; i < n_notes; i++) {
        mg_buf_addf(&text, "  note: %s\n", notes[i].data);
        mg_buf_add(&html, "<li>");
        mg_buf_add_html(&html, notes[i].data);
        mg_buf_add(&html, "</li>");
        mg_buf_free(&notes[i]);
    }
    mg_buf_add(&html, "</ul>");
    mg_buf_add(&text, "\nClass balance:\n");
    balance_table(d, a, &text, &html);
    if (img) {
        mg_buf_add(&html, "<br>");
        mg_buf_add_png(&html, img, "mean image per class");
        mg_buf_add(&text, "(the mean image per class is in the image/png output)\n");
    }
    mg_buf_add(&html, "</div>");
    send(ctx, &text, &html, img);
    aml_plot_image_free(img);
    aml_images_analysis_free(a);
    mg_buf_free(&text);
    mg_buf_free(&html);
    return 0;
}
