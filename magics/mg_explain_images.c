/*
 * mg_explain_images.c — %explain for image models: which part of each image
 * the network relies on.  A few test images per class (or of the on= image
 * set) get an occlusion saliency map (aml_explain_occlusion: a grey patch
 * slides over the image and the drop of the true class's probability is
 * recorded); one PNG grid shows each image next to its heat map, one row per
 * class, captioned with the model's probability of the true class and what
 * it predicted.
 */
#include "mg_explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 8          /* classes shown */
#define MAX_SAMPLES 48      /* n= at most */

/* Options that only mean something for table models. */
static const char *const table_only[] = {"row", "max_rows", "repeats"};

/* The images explained: an image set and the indices of its images. */
typedef struct img_pick {
    const aml_images *images;
    const size_t *rows;     /* NULL: every image */
    size_t n;
    char source[300];
} img_pick;

static int pick_images(mg_ctx *ctx, const mg_trained *t, const char *on, img_pick *p)
{
    memset(p, 0, sizeof *p);
    if (on && strcmp(on, "test") != 0) {
        mg_dataset *d;
        if (mg_dataset_or_fail(ctx, on, &d))
            return -1;
        if (!d->images)
            return mg_fail(ctx, "DataError", "on=%s: data set '%s' is a table; model '%s' "
                           "classifies images", on, d->name, t->name);
        p->images = d->images;
        p->n = aml_images_count(d->images);
        snprintf(p->source, sizeof p->source, "image set '%s'", d->name);
        return 0;
    }
    if (!t->run)
        return mg_fail(ctx, "UsageError", "model '%s' was loaded from a file and has no test "
                       "split: say which images to explain with on=IMAGESET", t->name);
    mg_dataset *d = mg_session_dataset(ctx->session, t->dataset);
    if (!d || !t->dataset || !*t->dataset || !d->images)
        return mg_fail(ctx, "UsageError", "the image set '%s' that model '%s' was trained on "
                       "is gone: import it again, or use on=IMAGESET",
                       t->dataset ? t->dataset : "", t->name);
    p->images = d->images;
    p->rows = aml_run_test_rows(t->run, &p->n);
    if (!p->rows || p->n == 0)
        return mg_fail(ctx, "UsageError", "model '%s' has no held-out test images: use "
                       "on=IMAGESET", t->name);
    if (p->rows[p->n - 1] >= aml_images_count(d->images))
        return mg_fail(ctx, "UsageError", "the image set '%s' changed since model '%s' was "
                       "trained (fewer images): use on=IMAGESET", d->name, t->name);
    snprintf(p->source, sizeof p->source, "the held-out test images of '%s'", d->name);
    return 0;
}

/* One explained image. */
typedef struct sample {
    size_t image;           /* index in the set */
    uint32_t klass;
    size_t predicted;
    double prob;            /* the model's probability of the true class */
    uint8_t *rgb;           /* the image as RGB planes */
    uint8_t *heat;          /* its overlay */
} sample;

/* Up to `per_class` images of each of the first MAX_ROWS classes (in the
 * pick's order), as samples[class * per_class + j]; returns how many. */
static size_t choose(const img_pick *p, size_t n_classes, size_t per_class, sample *s,
                     size_t *have)
{
    size_t total = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t idx = p->rows ? p->rows[i] : i;
        uint32_t k = aml_images_label(p->images, idx);
        if (k >= n_classes || k >= MAX_ROWS || have[k] >= per_class)
            continue;
        sample *x = &s[k * per_class + have[k]++];
        x->image = idx;
        x->klass = k;
        total++;
    }
    return total;
}

/* The saliency map, prediction and tiles of one sample. */
static int explain_one(mg_ctx *ctx, const aml_model *m, const aml_images *im, sample *s,
                       float *map, volatile int *cancel)
{
    int c = aml_images_channels(im), h = aml_images_height(im), w = aml_images_width(im);
    size_t plane = (size_t)h * (size_t)w;
    aml_error err = {0};
    size_t k = aml_model_n_classes(m);
    float *pred = malloc(aml_model_pred_width(m) * sizeof *pred);
    if (!pred)
        return mg_fail(ctx, "MemoryError", "out of memory");
    int rc = aml_model_predict_images(m, im, &s->image, 1, pred, &err);
    rc = rc ? rc : aml_explain_occlusion(m, im, s->image, 0, 0, map, &s->prob, cancel, &err);
    s->predicted = k == 2 && pred[0] >= 0.5f;
    for (size_t j = 1; rc == 0 && k > 2 && j < k; j++)
        s->predicted = pred[j] > pred[s->predicted] ? j : s->predicted;
    free(pred);
    if (rc == AML_ECANCELED)
        return mg_fail(ctx, "KeyboardInterrupt", "%%explain interrupted");
    if (rc)
        return mg_fail(ctx, "ExplainError", "%s", err.text[0] ? err.text : aml_strerror(rc));
    s->rgb = malloc(3 * plane);
    s->heat = malloc(3 * plane);
    if (!s->rgb || !s->heat)
        return mg_fail(ctx, "MemoryError", "out of memory");
    const uint8_t *px = aml_images_image(im, s->image);
    for (int ch = 0; ch < 3; ch++)
        memcpy(s->rgb + (size_t)ch * plane, px + (size_t)(c == 3 ? ch : 0) * plane, plane);
    aml_explain_saliency_overlay(px, c, h, w, map, 0, s->heat);
    return 0;
}

/* The grid: one row per class, each image then its heat map. */
static int show_grid(mg_ctx *ctx, const aml_model *m, const aml_images *im, const sample *s,
                     size_t rows, size_t per_class, const char *title)
{
    size_t cols = 2 * per_class, cells = rows * cols;
    const uint8_t **tiles = calloc(cells, sizeof *tiles);
    const char **captions = calloc(cells, sizeof *captions);
    char (*text)[40] = calloc(cells, sizeof *text);
    const char *labels[MAX_ROWS];
    int rc = 0;
    if (!tiles || !captions || !text) {
        rc = mg_fail(ctx, "MemoryError", "out of memory");
        goto done;
    }
    for (size_t r = 0; r < rows; r++) {
        labels[r] = aml_model_class_name(m, r);
        for (size_t j = 0; j < per_class; j++) {
            const sample *x = &s[r * per_class + j];
            size_t cell = r * cols + 2 * j;
            if (!x->heat)
                continue;
            tiles[cell] = x->rgb;
            tiles[cell + 1] = x->heat;
            snprintf(text[cell], sizeof text[cell], "p=%.2f", x->prob);
            snprintf(text[cell + 1], sizeof text[cell + 1], "%s%s",
                     x->predicted == x->klass ? "" : "as ",
                     x->predicted == x->klass ? "right" : aml_model_class_name(m, x->predicted));
            captions[cell] = text[cell];
            captions[cell + 1] = text[cell + 1];
        }
    }
    aml_plot_tiles_data d = {.tiles = tiles, .rows = rows, .cols = cols, .channels = 3,
                             .width = aml_images_width(im), .height = aml_images_height(im),
                             .row_labels = labels, .captions = captions};
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    aml_plot_image *img = NULL;
    aml_error err = {0};
    char alt[400];
    snprintf(alt, sizeof alt, "%s: each image, then its saliency map (red to yellow: hiding "
             "it lowers the probability of the true class most), under them the model's "
             "probability of the true class and whether it predicted right", title);
    rc = aml_plot_tiles(&o, &d, &img, &err) ? mg_fail(ctx, "PlotError", "%s", err.text)
                                            : mg_display_png(ctx, img, alt);
    aml_plot_image_free(img);
done:
    free(tiles);
    free(captions);
    free(text);
    return rc;
}

/* The sentence above the grid: what was done, and how sure the model was. */
static void show_summary(mg_ctx *ctx, const char *name, const aml_model *m, const img_pick *p,
                         const sample *s, size_t cells, size_t shown)
{
    int patch, stride;
    aml_explain_occlusion_defaults(aml_images_height(p->images), aml_images_width(p->images),
                                   &patch, &stride);
    size_t right = 0;
    double mean_p = 0;
    json_t *list = json_array();
    for (size_t i = 0; i < cells; i++) {
        if (!s[i].heat)
            continue;
        right += s[i].predicted == s[i].klass;
        mean_p += s[i].prob;
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:f}", "image",
                                              (json_int_t)s[i].image, "class",
                                              aml_model_class_name(m, s[i].klass), "predicted",
                                              aml_model_class_name(m, s[i].predicted),
                                              "probability", s[i].prob));
    }
    mg_buf text = {0};
    mg_buf_addf(&text, "Saliency of %s on %zu of %s, by occlusion: a grey %d×%d patch slid "
                "with a step of %d; the heat map is where hiding the image lowers the model's "
                "probability of the true class most. %zu of %zu predicted right; mean "
                "probability of the true class %.2f.", name, shown, p->source, patch, patch,
                stride, right, shown, shown ? mean_p / (double)shown : 0.0);
    mg_buf html = {0};
    mg_buf_add(&html, "<p>");
    mg_buf_add_html(&html, text.data);
    mg_buf_add(&html, "</p>");
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i, s:i, s:o}}", "text/plain",
                          text.data, "text/html", html.data, MG_EXPLAIN_MIME, "model", name,
                          "kind", "saliency", "source", p->source, "patch", patch, "stride",
                          stride, "samples", list);
    if (b)
        kn_display(ctx->req, b, NULL, NULL);
    json_decref(b);
    mg_buf_free(&text);
    mg_buf_free(&html);
}

static int check_options(mg_ctx *ctx, const mg_call *call, size_t *n)
{
    for (size_t i = 0; i < sizeof table_only / sizeof *table_only; i++)
        if (mg_opt(call, table_only[i]))
            return mg_fail(ctx, "UsageError", "%s= is for table models: an image model's "
                           "%%explain shows saliency maps of n= images", table_only[i]);
    const char *v = mg_opt(call, "n");
    long k = v ? atol(v) : 8;
    if (k < 1 || k > MAX_SAMPLES)
        return mg_fail(ctx, "UsageError", "n=%s: give 1 to %d images", v, MAX_SAMPLES);
    *n = (size_t)k;
    return 0;
}

int mg_explain_images(mg_ctx *ctx, const mg_call *call, const mg_trained *t, const aml_model *m)
{
    size_t n;
    img_pick p;
    if (check_options(ctx, call, &n) || pick_images(ctx, t, mg_opt(call, "on"), &p))
        return -1;
    size_t k = aml_model_n_classes(m), rows = k < MAX_ROWS ? k : MAX_ROWS;
    size_t per_class = (n + rows - 1) / rows, cells = rows * per_class;
    sample *s = calloc(cells, sizeof *s);
    size_t *have = calloc(rows, sizeof *have);
    float *map = malloc((size_t)aml_images_height(p.images) * (size_t)aml_images_width(p.images) *
                        sizeof *map);
    int rc = 0;
    if (!s || !have || !map) {
        rc = mg_fail(ctx, "MemoryError", "out of memory");
        goto done;
    }
    size_t shown = choose(&p, k, per_class, s, have);
    if (shown == 0) {
        rc = mg_fail(ctx, "UsageError", "%s holds no image of a class model '%s' knows",
                     p.source, t->name);
        goto done;
    }
    volatile int cancel = 0;
    for (size_t i = 0; rc == 0 && i < cells; i++) {
        if (kn_interrupted(ctx->req))
            cancel = 1;
        if (i % per_class < have[i / per_class])
            rc = explain_one(ctx, m, p.images, &s[i], map, &cancel);
    }
    if (rc == 0) {
        show_summary(ctx, t->name, m, &p, s, cells, shown);
        char title[200];
        snprintf(title, sizeof title, "Where %s looks (occlusion)", t->name);
        rc = show_grid(ctx, m, p.images, s, rows, per_class, title);
    }
done:
    for (size_t i = 0; s && i < cells; i++) {
        free(s[i].rgb);
        free(s[i].heat);
    }
    free(s);
    free(have);
    free(map);
    return rc;
}
