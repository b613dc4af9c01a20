/* mg_images_view.c — the import display of an image set: images read and
 * skipped (the first few paths with reasons), classes with counts (table and
 * bar chart), the size distribution and the working size with its reason,
 * memory, the split when the data fixes it, and one PNG grid of samples per
 * class (up to 8 classes x 6 images, upscaled by nearest neighbour). */
#include "mg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRID_CLASSES 8
#define GRID_SAMPLES 6

void mg_fmt_image_shape(const aml_images *im, char buf[48])
{
    snprintf(buf, 48, "%d×%d×%d", aml_images_width(im), aml_images_height(im),
             aml_images_channels(im));
}

void mg_buf_add_png(mg_buf *html, const aml_plot_image *img, const char *alt)
{
    char *b64 = mg_base64(img->png, img->png_size);
    if (!b64)
        return;
    mg_buf_addf(html, "<img width=\"%d\" src=\"data:image/png;base64,%s\" alt=\"", img->width,
                b64);
    mg_buf_add_html(html, alt);
    mg_buf_add(html, "\">");
    free(b64);
}

/* The first GRID_SAMPLES images of each of the first GRID_CLASSES classes. */
static aml_plot_image *sample_grid(const aml_images *im)
{
    size_t k = aml_images_class_count(im), rows = k < GRID_CLASSES ? k : GRID_CLASSES;
    const uint8_t *tiles[GRID_CLASSES * GRID_SAMPLES] = {0};
    const char *labels[GRID_CLASSES];
    size_t have[GRID_CLASSES] = {0};
    for (size_t r = 0; r < rows; r++)
        labels[r] = aml_images_class_name(im, r);
    for (size_t i = 0, done = 0; i < aml_images_count(im) && done < rows; i++) {
        uint32_t c = aml_images_label(im, i);
        if (c < rows && have[c] < GRID_SAMPLES) {
            tiles[c * GRID_SAMPLES + have[c]++] = aml_images_image(im, i);
            done += have[c] == GRID_SAMPLES;
        }
    }
    aml_plot_tiles_data d = {.tiles = tiles, .rows = rows, .cols = GRID_SAMPLES,
                             .channels = aml_images_channels(im), .width = aml_images_width(im),
                             .height = aml_images_height(im), .row_labels = labels};
    aml_plot_image *img = NULL;
    aml_plot_opts o = aml_plot_opts_default();
    o.title = k > rows ? "Samples of the first 8 classes" : "Samples per class";
    aml_plot_tiles(&o, &d, &img, NULL);
    return img;
}

static aml_plot_image *class_bars(const aml_images *im, const aml_images_report *rep)
{
    size_t k = aml_images_class_count(im);
    if (k < 2 || k > 40)
        return NULL;
    const char **labels = calloc(k, sizeof *labels);
    double *v = calloc(k, sizeof *v);
    aml_plot_image *img = NULL;
    for (size_t c = 0; labels && v && c < k; c++) {
        labels[c] = aml_images_class_name(im, c);
        v[c] = (double)aml_images_report_class_images(rep, c);
    }
    if (labels && v) {
        aml_plot_bar_data b = aml_plot_bar_data_default();
        b.labels = labels, b.values = v, b.n = k, b.horizontal = true, b.value_labels = true;
        aml_plot_opts o = aml_plot_opts_default();
        o.width = 480, o.height = 80 + 22 * (int)k, o.title = "Images per class";
        aml_plot_bar(&o, &b, &img, NULL);
    }
    free(labels);
    free(v);
    return img;
}

/* Notes: skipped files, working size, split, memory. */
static void images_notes(const mg_dataset *d, mg_buf *text, mg_buf *html)
{
    const aml_images *im = d->images;
    const aml_images_report *rep = d->images_report;
    mg_buf notes[4] = {{0}};
    size_t n = 0;
    size_t skipped = aml_images_report_skipped(rep);
    if (skipped) {
        char c[32];
        mg_fmt_count(skipped, c);
        mg_buf_addf(&notes[n], "skipped %s file%s: ", c, skipped == 1 ? "" : "s");
        for (size_t i = 0; i < aml_images_report_skip_count(rep) && i < 5; i++)
            mg_buf_addf(&notes[n], "%s%s (%s)", i ? ", " : "", aml_images_report_skip_path(rep, i),
                        aml_images_report_skip_reason(rep, i));
        if (skipped > 5)
            mg_buf_add(&notes[n], ", …");
        n++;
    }
    if (rep) {
        char shape[48];
        mg_fmt_image_shape(im, shape);
        mg_buf_addf(&notes[n++], "working size %s: %s", shape,
                    aml_images_report_size_reason(rep));
    }
    size_t split[4] = {0};
    for (size_t i = 0; i < aml_images_count(im); i++)
        split[aml_images_split(im, i) & 3]++;
    if (split[1] + split[2] + split[3]) {
        mg_buf_add(&notes[n], "split fixed by the data:");
        const char *sep = " ";
        for (int s = 1; s <= 4; s++) {   /* train, validation, test, then unassigned */
            char c[32];
            mg_fmt_count(split[s & 3], c);
            if (!split[s & 3])
                continue;
            mg_buf_addf(&notes[n], "%s%s %s", sep, aml_image_split_name((aml_image_split)(s & 3)),
                        c);
            sep = " · ";
        }
        n++;
    }
    char bytes[32];
    mg_fmt_bytes(aml_images_memory_size(im), bytes);
    mg_buf_addf(&notes[n++], "memory: %s (one byte per pixel and channel)", bytes);
    mg_buf_add(html, "<ul class=\"automl-notes\">");
    for (size_t i = 0; i < n; i++) {
        mg_buf_addf(text, "  note: %s\n", notes[i].data);
        mg_buf_add(html, "<li>");
        mg_buf_add_html(html, notes[i].data);
        mg_buf_add(html, "</li>");
        mg_buf_free(&notes[i]);
    }
    mg_buf_add(html, "</ul>");
}

static void classes_table(const mg_dataset *d, mg_buf *text, mg_buf *html)
{
    const char *head[] = {"class", "images", "share"};
    mg_table *t = mg_table_new(3, head);
    mg_table_numeric(t, 1);
    mg_table_numeric(t, 2);
    size_t total = aml_images_count(d->images);
    for (size_t k = 0; k < aml_images_class_count(d->images); k++) {
        size_t c = d->images_report ? aml_images_report_class_images(d->images_report, k) : 0;
        char count[32], share[32];
        mg_fmt_count(c, count);
        snprintf(share, sizeof share, "%.1f %%", total ? 100.0 * (double)c / (double)total : 0);
        const char *row[] = {aml_images_class_name(d->images, k), count, share};
        mg_table_row(t, row);
    }
    mg_table_render(t, text, html);
    mg_table_free(t);
}

static void sizes_line(const aml_images_report *rep, mg_buf *text, mg_buf *html)
{
    int w[3], h[3];
    aml_images_report_widths(rep, &w[0], &w[1], &w[2]);
    aml_images_report_heights(rep, &h[0], &h[1], &h[2]);
    char line[200];
    snprintf(line, sizeof line, "Image sizes before resizing: width %d / %d / %d, height "
             "%d / %d / %d (min / median / max)", w[0], w[1], w[2], h[0], h[1], h[2]);
    mg_buf_addf(text, "\n%s\n", line);
    mg_buf_add(html, "<p>");
    mg_buf_add_html(html, line);
    mg_buf_add(html, "</p>");
}

int mg_view_images(mg_ctx *ctx, const mg_dataset *d, double started)
{
    const aml_images *im = d->images;
    char count[32], shape[48], classes[32];
    mg_fmt_count(aml_images_count(im), count);
    mg_fmt_count(aml_images_class_count(im), classes);
    mg_fmt_image_shape(im, shape);
    mg_buf text = {0}, html = {0}, line = {0};
    mg_buf_addf(&line, "%s: %s images %s in %s classes from %s (%s layout)", d->name, count,
                shape, classes, d->source, aml_images_report_layout(d->images_report));
    aml_plot_image *grid = sample_grid(im), *bars = class_bars(im, d->images_report);
    if (started > 0)
        mg_buf_addf(&line, " — imported in %.2f s", aml_now() - started);
    mg_buf_addf(&text, "%s\n", line.data);
    mg_buf_add(&html, "<div class=\"automl-images\"><p><b>");
    mg_buf_add_html(&html, line.data);
    mg_buf_add(&html, "</b></p>");
    images_notes(d, &text, &html);
    mg_buf_add(&text, "\nClasses:\n");
    classes_table(d, &text, &html);
    if (d->images_report)
        sizes_line(d->images_report, &text, &html);
    if (bars)
        mg_buf_add_png(&html, bars, "images per class");
    if (grid) {
        mg_buf_add(&html, "<br>");
        mg_buf_add_png(&html, grid, "samples per class");
        mg_buf_add(&text, "(a grid of samples per class is in the image/png output)\n");
    }
    mg_buf_add(&html, "</div>");
    json_t *bundle = json_pack("{s:s, s:s}", "text/plain", text.data, "text/html", html.data);
    json_t *meta = NULL;
    char *b64 = grid ? mg_base64(grid->png, grid->png_size) : NULL;
    if (b64) {
        json_object_set_new(bundle, "image/png", json_string(b64));
        meta = json_pack("{s:{s:i, s:i}}", "image/png", "width", grid->width, "height",
                         grid->height);
    }
    kn_display(ctx->req, bundle, meta, NULL);
    json_decref(bundle);
    json_decref(meta);
    free(b64);
    aml_plot_image_free(grid);
    aml_plot_image_free(bars);
    mg_buf_free(&line);
    mg_buf_free(&text);
    mg_buf_free(&html);
    return 0;
}
