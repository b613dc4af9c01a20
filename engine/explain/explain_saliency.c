/*
 * explain_saliency.c — what an image model looks at, by occlusion: a grey
 * patch (the model's channel means) slides over one image, the network
 * predicts every occluded copy (in batches, inference mode), and the drop of
 * the true class's probability is spread over the pixels each patch hid.
 * Also the overlay of a saliency map on its image (grey under a dark-red to
 * yellow colour map) for %explain's grid.  The network is the model's own
 * (aml_model.h's image section); the pixels are normalised as the model
 * normalises them, so a patch at the channel mean is 0.
 */
#include "explain/explain_internal.h"
#include "aml_nn.h"

#include <math.h>
#include <string.h>

#define MAX_BATCH 64                      /* occluded copies per forward pass */
#define MAX_BATCH_FLOATS ((size_t)1 << 22)

void aml_explain_occlusion_defaults(int h, int w, int *patch, int *stride)
{
    int side = h > w ? h : w;
    int p = (side + 3) / 6;
    if (p < 1)
        p = 1;
    int s = (p + 1) / 2;
    if (patch)
        *patch = p;
    if (stride)
        *stride = s < 1 ? 1 : s;
}

/* Patch origins along a side: 0, stride, ... while the patch fits, plus the
 * last place (side - patch) so every pixel is covered.  Returns the count. */
static size_t patch_origins(int side, int patch, int stride, int *at)
{
    size_t n = 0;
    int last = side - patch;
    for (int o = 0; o <= last; o += stride)
        at[n++] = o;
    if (at[n - 1] != last)
        at[n++] = last;
    return n;
}

/* The image's pixels normalised as the model does: (x - mean) / std. */
static void normalise_image(const amlp_image_net *in, const uint8_t *px, float *x)
{
    size_t plane = (size_t)in->h * (size_t)in->w;
    for (int k = 0; k < in->c; k++) {
        float mu = in->mean[k], inv = 1.0f / in->std[k];
        for (size_t i = 0; i < plane; i++)
            x[(size_t)k * plane + i] = ((float)px[(size_t)k * plane + i] - mu) * inv;
    }
}

/* Softmax probability of class k from a row of logits. */
static double class_probability(const float *logits, size_t n_classes, size_t k)
{
    float mx = logits[0];
    for (size_t c = 1; c < n_classes; c++)
        mx = logits[c] > mx ? logits[c] : mx;
    double sum = 0;
    for (size_t c = 0; c < n_classes; c++)
        sum += exp((double)(logits[c] - mx));
    return exp((double)(logits[k] - mx)) / sum;
}

/* Sets the patch at (y0, x0) of every channel to 0 (the channel mean). */
static void occlude(float *x, const amlp_image_net *in, int y0, int x0, int patch)
{
    size_t plane = (size_t)in->h * (size_t)in->w;
    for (int k = 0; k < in->c; k++)
        for (int y = y0; y < y0 + patch; y++)
            memset(x + (size_t)k * plane + (size_t)y * (size_t)in->w + (size_t)x0, 0,
                   (size_t)patch * sizeof(float));
}

static int check_occlusion(const aml_model *m, const aml_images *images, size_t index,
                           int patch, aml_error *err)
{
    if (!m || !images)
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion", "a model and images are needed");
    if (!aml_model_is_image(m))
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion",
                             "the model predicts table rows (target '%s'), not images",
                             aml_model_target(m));
    const amlp_image_net *in = m->image;
    int c = aml_images_channels(images), h = aml_images_height(images),
        w = aml_images_width(images);
    if (c != in->c || h != in->h || w != in->w)
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion",
                             "the images are %dx%d with %d channel%s; the model takes %dx%d "
                             "with %d channel%s", w, h, c, c == 1 ? "" : "s", in->w, in->h,
                             in->c, in->c == 1 ? "" : "s");
    if (index >= aml_images_count(images))
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion",
                             "image %zu is past the %zu images of the set", index,
                             aml_images_count(images));
    if (aml_images_label(images, index) >= aml_model_n_classes(m))
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion",
                             "image %zu is of class %u; the model knows %zu classes", index,
                             (unsigned)aml_images_label(images, index), aml_model_n_classes(m));
    if (patch < 1 || patch > h || patch > w)
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion",
                             "a patch of %d pixels does not fit images of %dx%d", patch, w, h);
    return 0;
}

/* The occlusion state: the clean image, the batch buffer, the sums. */
typedef struct occ_run {
    const amlp_image_net *in;
    size_t klass, n_classes, pixels;
    const float *clean;
    float *batch;
    double *sum;
    int *count;
    int patch;
} occ_run;

/* Predicts the occluded copies for places [first, first + b) and adds their
 * drops to the sums. */
static int occlusion_batch(occ_run *r, const int *ys, const int *xs, size_t nx, size_t first,
                           size_t b, double base)
{
    for (size_t i = 0; i < b; i++) {
        size_t p = first + i;
        memcpy(r->batch + i * r->pixels, r->clean, r->pixels * sizeof(float));
        occlude(r->batch + i * r->pixels, r->in, ys[p / nx], xs[p % nx], r->patch);
    }
    const float *y = NULL;
    int rc = amlp_nn_net_forward(r->in->net, r->batch, b, false, &y);
    if (rc)
        return rc;
    int w = r->in->w;
    for (size_t i = 0; i < b; i++) {
        size_t p = first + i;
        double drop = base - class_probability(y + i * r->n_classes, r->n_classes, r->klass);
        for (int yy = ys[p / nx]; yy < ys[p / nx] + r->patch; yy++)
            for (int xx = xs[p % nx]; xx < xs[p % nx] + r->patch; xx++) {
                r->sum[yy * w + xx] += drop;
                r->count[yy * w + xx]++;
            }
    }
    return 0;
}

int aml_explain_occlusion(const aml_model *model, const aml_images *images, size_t index,
                          int patch, int stride, float *map_out, double *prob_out,
                          const volatile int *cancel, aml_error *err)
{
    int h = aml_images_height(images), w = aml_images_width(images), dp, ds;
    aml_explain_occlusion_defaults(h, w, &dp, &ds);
    patch = patch > 0 ? patch : dp;
    stride = stride > 0 ? stride : ds;
    int rc = check_occlusion(model, images, index, patch, err);
    if (rc)
        return rc;
    if (!map_out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "occlusion", "map_out is NULL");
    occ_run r = {.in = model->image, .klass = aml_images_label(images, index),
                 .n_classes = aml_model_n_classes(model), .patch = patch};
    r.pixels = (size_t)r.in->c * (size_t)h * (size_t)w;
    size_t batch = MAX_BATCH_FLOATS / r.pixels;
    batch = batch < 1 ? 1 : batch > MAX_BATCH ? MAX_BATCH : batch;
    int *ys = amlp_malloc(((size_t)h + 1) * sizeof *ys), *xs = amlp_malloc(((size_t)w + 1) * sizeof *xs);
    float *clean = amlp_malloc(r.pixels * sizeof *clean);
    r.batch = amlp_malloc(batch * r.pixels * sizeof *r.batch);
    r.sum = amlp_calloc((size_t)h * (size_t)w, sizeof *r.sum);
    r.count = amlp_calloc((size_t)h * (size_t)w, sizeof *r.count);
    if (!ys || !xs || !clean || !r.batch || !r.sum || !r.count) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "occlusion", "out of memory");
        goto done;
    }
    r.clean = clean;
    normalise_image(r.in, aml_images_image(images, index), clean);
    const float *y = NULL;
    if ((rc = amlp_nn_net_forward(r.in->net, clean, 1, false, &y))) {
        aml_error_set(err, rc, 0, 0, "occlusion", "the image network failed: %s",
                      aml_strerror(rc));
        goto done;
    }
    double base = class_probability(y, r.n_classes, r.klass);
    size_t ny = patch_origins(h, patch, stride, ys), nx = patch_origins(w, patch, stride, xs);
    for (size_t first = 0; first < nx * ny; first += batch) {
        if (cancel && *cancel) {
            rc = aml_error_set(err, AML_ECANCELED, 0, 0, "occlusion", "interrupted");
            goto done;
        }
        size_t b = nx * ny - first < batch ? nx * ny - first : batch;
        if ((rc = occlusion_batch(&r, ys, xs, nx, first, b, base))) {
            aml_error_set(err, rc, 0, 0, "occlusion", "the image network failed: %s",
                          aml_strerror(rc));
            goto done;
        }
    }
    for (size_t i = 0; i < (size_t)h * (size_t)w; i++)
        map_out[i] = r.count[i] ? (float)(r.sum[i] / r.count[i]) : 0.0f;
    if (prob_out)
        *prob_out = base;
done:
    amlp_free(ys);
    amlp_free(xs);
    amlp_free(clean);
    amlp_free(r.batch);
    amlp_free(r.sum);
    amlp_free(r.count);
    return rc;
}

/* ---- the overlay ---- */

/* Dark red -> red -> orange -> yellow for t in [0, 1]. */
static void heat_colour(double t, double rgb[3])
{
    static const double stops[4][4] = {{0.0, 0.45, 0.0, 0.05},
                                       {0.4, 0.85, 0.1, 0.05},
                                       {0.75, 1.0, 0.55, 0.0},
                                       {1.0, 1.0, 0.95, 0.35}};
    int i = 0;
    while (i < 2 && t > stops[i + 1][0])
        i++;
    double u = (t - stops[i][0]) / (stops[i + 1][0] - stops[i][0]);
    u = u < 0 ? 0 : u > 1 ? 1 : u;
    for (int k = 0; k < 3; k++)
        rgb[k] = stops[i][k + 1] + u * (stops[i + 1][k + 1] - stops[i][k + 1]);
}

void aml_explain_saliency_overlay(const uint8_t *image, int c, int h, int w, const float *map,
                                  double scale, uint8_t *rgb_out)
{
    size_t plane = (size_t)h * (size_t)w;
    if (scale <= 0) {
        scale = 0;
        for (size_t i = 0; i < plane; i++)
            scale = map[i] > scale ? map[i] : scale;
    }
    for (size_t i = 0; i < plane; i++) {
        double grey = c == 3 ? 0.299 * image[i] + 0.587 * image[plane + i] +
                                   0.114 * image[2 * plane + i]
                             : image[i];
        double t = scale > 0 && map[i] > 0 ? map[i] / scale : 0;
        t = t > 1 ? 1 : t;
        double a = 0.8 * t, rgb[3];
        heat_colour(t, rgb);
        for (int k = 0; k < 3; k++)
            rgb_out[(size_t)k * plane + i] =
                (uint8_t)lround((1 - a) * grey * 0.85 + a * 255.0 * rgb[k]);
    }
}
