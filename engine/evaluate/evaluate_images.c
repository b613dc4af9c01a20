/*
 * evaluate_images.c — %evaluate for image models: the true class of images
 * as the model numbers its classes (matched by name), the most confident
 * mistakes, and their gallery (a grid of the images captioned
 * "true → predicted (p)").  The metrics themselves come from aml_evaluate,
 * as for tables.
 */
#include "evaluate/evaluate_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GALLERY_MAX 16
#define GALLERY_COLS 4
#define TILE_TARGET 176   /* logical px a tile is upscaled towards, room for its caption */

/* Model class index of each of the set's classes (by name; -1: unseen). */
static void class_map(const aml_model *model, const aml_images *images, long *map)
{
    size_t kset = aml_images_class_count(images), km = aml_model_n_classes(model);
    for (size_t s = 0; s < kset; s++) {
        const char *name = aml_images_class_name(images, s);
        map[s] = -1;
        for (size_t c = 0; name && c < km; c++)
            if (strcmp(name, aml_model_class_name(model, c)) == 0)
                map[s] = (long)c;
    }
}

int aml_evaluate_images_truth(const aml_model *model, const aml_images *images,
                              const size_t *rows, size_t n, float *truth, unsigned char *state,
                              aml_error *err)
{
    if (!model || !images || (n && (!truth || !state)))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model, images and outputs are required");
    if (!aml_model_is_image(model))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the model classifies table rows, not "
                             "images");
    int c, h, w;
    aml_model_image_shape(model, &c, &h, &w);
    if (c != aml_images_channels(images) || h != aml_images_height(images) ||
        w != aml_images_width(images))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the images are %dx%dx%d but the model "
                             "takes %dx%dx%d (width x height x channels)",
                             aml_images_width(images), aml_images_height(images),
                             aml_images_channels(images), w, h, c);
    size_t count = aml_images_count(images);
    if (!rows)
        n = count;
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= count)
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "image %zu is past the end (%zu "
                                 "images)", rows[i], count);
    size_t kset = aml_images_class_count(images);
    long *map = amlp_malloc((kset ? kset : 1) * sizeof *map);
    if (!map)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory evaluating images");
    class_map(model, images, map);
    for (size_t i = 0; i < n; i++) {
        uint32_t label = aml_images_label(images, AMLP_ROW(rows, i));
        long k = label < kset ? map[label] : -1;
        state[i] = k >= 0 ? AML_EVAL_ROW_OK : AML_EVAL_ROW_UNSEEN;
        truth[i] = k >= 0 ? (float)k : NAN;
    }
    amlp_free(map);
    return 0;
}

/* Probability of row i's decision. */
static double decided_p(const aml_evaluation *ev, size_t i)
{
    return amlp_eval_score(ev, i, ev->predicted[i]);
}

size_t aml_eval_mistakes(const aml_evaluation *ev, size_t *idx, size_t max)
{
    if (!ev || !idx || ev->task == AML_TASK_REGRESSION || !ev->predicted)
        return 0;
    size_t m = 0;
    for (size_t i = 0; i < ev->n; i++) {
        if ((size_t)ev->truth[i] == ev->predicted[i])
            continue;
        double p = decided_p(ev, i);
        /* insertion into the kept list, best first */
        size_t at = m;
        while (at > 0 && decided_p(ev, idx[at - 1]) < p)
            at--;
        if (at >= max)
            continue;
        size_t last = m < max ? m : max - 1;
        memmove(idx + at + 1, idx + at, (last - at) * sizeof *idx);
        idx[at] = i;
        if (m < max)
            m++;
    }
    return m;
}

/* Image `src` (c planes of h x w) upscaled f times by nearest neighbour. */
static void upscale(const uint8_t *src, int c, int h, int w, int f, uint8_t *dst)
{
    int W = w * f, H = h * f;
    for (int p = 0; p < c; p++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                dst[((size_t)p * H + y) * W + x] = src[((size_t)p * h + y / f) * w + x / f];
}

static const char *class_label(const char *const *names, size_t k, char *buf, size_t len)
{
    if (names && names[k])
        return names[k];
    snprintf(buf, len, "%zu", k);
    return buf;
}

typedef struct gallery {
    size_t idx[GALLERY_MAX];
    const uint8_t *tiles[GALLERY_MAX];
    char captions[GALLERY_MAX][160];
    const char *cap_p[GALLERY_MAX];
    uint8_t *pixels;
} gallery;

/* Fills the tiles (upscaled into g->pixels) and the captions of m mistakes. */
static int gallery_fill(gallery *g, size_t m, const aml_evaluation *ev,
                        const aml_images *images, const size_t *rows,
                        const char *const *names, int f)
{
    int c = aml_images_channels(images), h = aml_images_height(images),
        w = aml_images_width(images);
    size_t tile = (size_t)c * (size_t)(h * f) * (size_t)(w * f);
    g->pixels = amlp_malloc(m * tile);
    if (!g->pixels)
        return AML_ENOMEM;
    for (size_t j = 0; j < m; j++) {
        size_t i = g->idx[j];
        upscale(aml_images_image(images, rows[i]), c, h, w, f, g->pixels + j * tile);
        g->tiles[j] = g->pixels + j * tile;
        char a[32], b[32];
        snprintf(g->captions[j], sizeof g->captions[j], "%s \xe2\x86\x92 %s (%.2f)",
                 class_label(names, (size_t)ev->truth[i], a, sizeof a),
                 class_label(names, ev->predicted[i], b, sizeof b), decided_p(ev, i));
        g->cap_p[j] = g->captions[j];
    }
    return 0;
}

int aml_eval_plot_mistakes(const aml_plot_opts *opts, const aml_evaluation *ev,
                           const aml_images *images, const size_t *rows,
                           const char *const *class_names, size_t max, aml_plot_image **out,
                           aml_error *err)
{
    if (out)
        *out = NULL;
    if (!ev || !images || !rows || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "evaluation, images, rows and out are "
                             "required");
    if (ev->task == AML_TASK_REGRESSION)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "a gallery of mistakes needs a "
                             "classification");
    gallery g;
    memset(&g, 0, sizeof g);
    size_t m = aml_eval_mistakes(ev, g.idx, max < GALLERY_MAX ? max : GALLERY_MAX);
    if (m == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "", "no mistakes to show");
    for (size_t j = 0; j < m; j++)
        if (rows[g.idx[j]] >= aml_images_count(images))
            return aml_error_set(err, AML_EINVAL, 0, 0, "rows", "image %zu is past the end",
                                 rows[g.idx[j]]);
    int w = aml_images_width(images), h = aml_images_height(images);
    int side = w > h ? w : h;
    int f = side >= TILE_TARGET || side <= 0 ? 1 : (TILE_TARGET + side - 1) / side;
    if (gallery_fill(&g, m, ev, images, rows, class_names, f))
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory drawing the gallery");
    aml_plot_tiles_data d = {
        .tiles = g.tiles,
        .rows = (m + GALLERY_COLS - 1) / GALLERY_COLS,
        .cols = m < GALLERY_COLS ? m : GALLERY_COLS,
        .channels = aml_images_channels(images),
        .width = w * f,
        .height = h * f,
        .captions = g.cap_p,
    };
    /* empty cells of the last row: NULL tiles with empty captions */
    for (size_t j = m; j < d.rows * d.cols; j++)
        g.cap_p[j] = "";
    int rc = aml_plot_tiles(opts, &d, out, err);
    amlp_free(g.pixels);
    return rc;
}
