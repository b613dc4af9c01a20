/*
 * model_image.c — image models: a model bundle that holds one image network
 * (a CNN from the nn library) instead of table learners.  Setting the net,
 * shape, normalisation and class names; predicting image sets (in chunks,
 * inference mode, softmax over the class logits) and single encoded images
 * (decoded and resized by the data layer as %import does).  The file
 * section is in model_io.c.
 */
#include "model/model_internal.h"
#include "aml_nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Images per forward pass, and the most input floats one pass may hold. */
#define PREDICT_CHUNK 256
#define PREDICT_MAX_FLOATS ((size_t)1 << 22)

void amlp_image_net_free(amlp_image_net *in)
{
    if (!in)
        return;
    amlp_nn_net_free(in->net);
    amlp_free(in->arch);
    amlp_free(in);
}

bool aml_model_is_image(const aml_model *m)
{
    return m && m->image;
}

void aml_model_image_shape(const aml_model *m, int *c, int *h, int *w)
{
    const amlp_image_net *in = m ? m->image : NULL;
    if (c)
        *c = in ? in->c : 0;
    if (h)
        *h = in ? in->h : 0;
    if (w)
        *w = in ? in->w : 0;
}

/* Trainable weights of a net (every parameter tensor's length). */
static size_t net_weights(amlp_nn_net *net)
{
    size_t n = 0, np = amlp_nn_net_n_params(net);
    for (size_t i = 0; i < np; i++)
        n += amlp_nn_net_param(net, i)->n;
    return n;
}

int amlp_model_check_image_net(const aml_model *m, const amlp_nn_net *net, int c, int h, int w,
                               const float mean[3], const float std[3], char *why, size_t cap)
{
    if (m->task == AML_TASK_REGRESSION || m->n_classes < 2) {
        snprintf(why, cap, "an image model classifies: a %s task with %zu classes",
                 aml_task_name(m->task), m->n_classes);
        return AML_EINVAL;
    }
    if ((c != 1 && c != 3) || h < 1 || w < 1 || h > AMLP_MODEL_MAX_IMAGE_SIDE ||
        w > AMLP_MODEL_MAX_IMAGE_SIDE) {
        snprintf(why, cap, "image shape %dx%dx%d (channels 1 or 3, sides 1..%d)", c, h, w,
                 AMLP_MODEL_MAX_IMAGE_SIDE);
        return AML_EINVAL;
    }
    for (int k = 0; k < c; k++)
        if (!isfinite(mean[k]) || !isfinite(std[k]) || !(std[k] > 0)) {
            snprintf(why, cap, "channel %d: normalisation mean %g, std %g", k, (double)mean[k],
                     (double)std[k]);
            return AML_EINVAL;
        }
    size_t pixels = (size_t)c * (size_t)h * (size_t)w;
    if (!net || net->in != pixels || amlp_nn_net_out(net) != m->n_classes) {
        snprintf(why, cap, "the net reads %zu inputs and gives %zu outputs; images of "
                 "%dx%dx%d into %zu classes need %zu and %zu", net ? net->in : 0,
                 net ? amlp_nn_net_out(net) : 0, c, h, w, m->n_classes, pixels, m->n_classes);
        return AML_EINVAL;
    }
    return 0;
}

/* "CNN: <arch> (N weights)". */
static int image_describe(aml_model *m)
{
    const char *arch = m->image->arch;
    size_t cap = strlen(arch) + 64;
    char *d = amlp_malloc(cap);
    if (!d)
        return AML_ENOMEM;
    snprintf(d, cap, "CNN: %s (%zu weights)", arch, net_weights(m->image->net));
    amlp_free(m->describe);
    m->describe = d;
    return 0;
}

int amlp_model_set_image_net(aml_model *m, struct amlp_nn_net *net, int c, int h, int w,
                             const float mean[3], const float std[3], const char *arch)
{
    char why[200];
    int rc = amlp_model_check_image_net(m, net, c, h, w, mean, std, why, sizeof why);
    amlp_image_net *in = rc ? NULL : amlp_calloc(1, sizeof *in);
    if (rc || !in) {
        amlp_nn_net_free(net);
        return rc ? rc : AML_ENOMEM;
    }
    in->net = net;
    in->c = c;
    in->h = h;
    in->w = w;
    for (int k = 0; k < 3; k++) {
        in->mean[k] = k < c ? mean[k] : 0.0f;
        in->std[k] = k < c ? std[k] : 1.0f;
    }
    in->arch = amlp_strdup(arch ? arch : "");
    if (!in->arch) {
        amlp_image_net_free(in);
        return AML_ENOMEM;
    }
    amlp_image_net_free(m->image);
    m->image = in;
    return image_describe(m);
}

int amlp_model_set_class_names(aml_model *m, const char *const *names, size_t n)
{
    if (n != m->n_classes)
        return AML_EINVAL;
    char **v = amlp_calloc(n ? n : 1, sizeof *v);
    if (!v)
        return AML_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        v[k] = amlp_strdup(names[k] ? names[k] : "");
        if (!v[k]) {
            for (size_t j = 0; j < k; j++)
                amlp_free(v[j]);
            amlp_free(v);
            return AML_ENOMEM;
        }
    }
    for (size_t k = 0; k < m->n_classes && m->class_names; k++)
        amlp_free(m->class_names[k]);
    amlp_free(m->class_names);
    m->class_names = v;
    return 0;
}

/* ---- prediction ---- */

/* Normalised floats of one image's bytes (c planes of h*w). */
static void normalise(const amlp_image_net *in, const uint8_t *px, float *x)
{
    size_t plane = (size_t)in->h * (size_t)in->w;
    for (int k = 0; k < in->c; k++) {
        float mu = in->mean[k], inv = 1.0f / in->std[k];
        const uint8_t *p = px + (size_t)k * plane;
        float *o = x + (size_t)k * plane;
        for (size_t i = 0; i < plane; i++)
            o[i] = ((float)p[i] - mu) * inv;
    }
}

/* Class logits of a forward pass to the model's predictions (softmax; binary
 * keeps P(class 1)). */
static void logits_to_pred(const aml_model *m, const float *y, size_t n, float *out)
{
    size_t k = m->n_classes;
    for (size_t r = 0; r < n; r++) {
        const float *row = y + r * k;
        float mx = row[0];
        for (size_t c = 1; c < k; c++)
            mx = row[c] > mx ? row[c] : mx;
        double sum = 0;
        for (size_t c = 0; c < k; c++)
            sum += exp((double)(row[c] - mx));
        if (m->task == AML_TASK_BINARY) {
            out[r] = (float)(exp((double)(row[1] - mx)) / sum);
            continue;
        }
        for (size_t c = 0; c < k; c++)
            out[r * k + c] = (float)(exp((double)(row[c] - mx)) / sum);
    }
}

/* Predicts n images whose bytes image(i) gives, in chunks. */
typedef const uint8_t *(*image_at_fn)(const void *src, size_t i);

static int predict_pixels(const aml_model *m, image_at_fn at, const void *src, size_t n,
                          float *out, aml_error *err)
{
    const amlp_image_net *in = m->image;
    size_t pixels = (size_t)in->c * (size_t)in->h * (size_t)in->w;
    size_t chunk = PREDICT_MAX_FLOATS / pixels;
    chunk = chunk < 1 ? 1 : chunk > PREDICT_CHUNK ? PREDICT_CHUNK : chunk;
    if (chunk > n)
        chunk = n ? n : 1;
    float *x = amlp_malloc(chunk * pixels * sizeof *x);
    if (!x)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory predicting images");
    size_t w = aml_model_pred_width(m);
    int rc = 0;
    for (size_t first = 0; rc == 0 && first < n; first += chunk) {
        size_t b = n - first < chunk ? n - first : chunk;
        for (size_t i = 0; i < b; i++)
            normalise(in, at(src, first + i), x + i * pixels);
        const float *y = NULL;
        rc = amlp_nn_net_forward(in->net, x, b, false, &y);
        if (rc)
            aml_error_set(err, rc, 0, 0, "", "the image network failed: %s", aml_strerror(rc));
        else
            logits_to_pred(m, y, b, out + first * w);
    }
    amlp_free(x);
    return rc;
}

typedef struct set_src {
    const aml_images *images;
    const size_t *rows;
} set_src;

static const uint8_t *set_image(const void *src, size_t i)
{
    const set_src *s = src;
    return aml_images_image(s->images, s->rows ? s->rows[i] : i);
}

static const uint8_t *one_image(const void *src, size_t i)
{
    (void)i;
    return src;
}

int aml_model_predict_images(const aml_model *m, const aml_images *images, const size_t *rows,
                             size_t n, float *out, aml_error *err)
{
    if (!m || !images || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model, images and output are required");
    if (!m->image)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "the model predicts table rows, not images (target '%s')",
                             m->target);
    const amlp_image_net *in = m->image;
    int c = aml_images_channels(images), h = aml_images_height(images),
        w = aml_images_width(images);
    if (c != in->c || h != in->h || w != in->w)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "the images are %dx%d with %d channel%s; the model takes %dx%d "
                             "with %d channel%s", w, h, c, c == 1 ? "" : "s", in->w, in->h,
                             in->c, in->c == 1 ? "" : "s");
    size_t count = aml_images_count(images);
    if (!rows)
        n = count;
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= count)
            return aml_error_set(err, AML_EINVAL, 0, 0, "",
                                 "row %zu is past the %zu images of the set", rows[i], count);
    set_src s = {images, rows};
    return predict_pixels(m, set_image, &s, n, out, err);
}

int aml_model_predict_encoded(const aml_model *m, const unsigned char *bytes, size_t len,
                              float *out, aml_error *err)
{
    if (!m || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model and output are required");
    if (!m->image)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "the model predicts table rows, not images (target '%s')",
                             m->target);
    const amlp_image_net *in = m->image;
    size_t pixels = (size_t)in->c * (size_t)in->h * (size_t)in->w;
    uint8_t *px = amlp_malloc(pixels);
    if (!px)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory predicting an image");
    int rc = aml_image_decode_to(bytes, len, in->c, in->h, in->w, px, err);
    rc = rc ? rc : predict_pixels(m, one_image, px, 1, out, err);
    amlp_free(px);
    return rc;
}
