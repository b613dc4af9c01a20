/* test_model_image.c — image models (engine/model/model_image.c, the image
 * section of model_io.c) and aml_image_decode_to (engine/data/
 * image_bytes.c): a tiny CNN built by hand predicts generated images
 * (probabilities, the normalisation, determinism), survives save -> load
 * bit for bit, refuses truncated and forged image sections with AML_EPARSE,
 * predicts an encoded PNG as it predicts the same pixels, and refuses
 * images of the wrong shape and table rows with AML_EINVAL. */

#include "testutil.h"
#include "data/data_internal.h"
#include "aml_nn.h"

#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <string.h>
#include <zlib.h>

#define ARCH "conv3x3x4 relu maxpool2 gap dense"

static const float MEAN[3] = {120.0f, 110.0f, 100.0f};
static const float STD[3] = {60.0f, 55.0f, 50.0f};

/* conv 3x3 (c -> 4, pad 1) -> relu -> maxpool 2 -> global average -> dense 4 -> k. */
static amlp_nn_net *tiny_net(int c, int h, int w, size_t k, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    amlp_nn_net *net = NULL;
    cr_assert_eq(amlp_nn_net_new((size_t)(c * h * w), &net), 0);
    amlp_nn_conv2d_cfg cfg = {.in_c = (size_t)c, .h = (size_t)h, .w = (size_t)w, .out_c = 4,
                              .kh = 3, .kw = 3, .stride = 1, .pad = 1, .groups = 1,
                              .bias = true};
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_conv2d_new(&cfg, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_relu_new(4 * (size_t)(h * w), &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_pool_new(AMLP_NN_MAXPOOL, 4, (size_t)h, (size_t)w, 2, 2, 0, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_global_avgpool_new(4, (size_t)h / 2, (size_t)w / 2, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_dense_new(4, k, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    return net;
}

static aml_model *tiny_model(int c, int h, int w, size_t k)
{
    aml_model *m = amlp_model_new(k == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS, k,
                                  AML_METRIC_ACCURACY, "label");
    cr_assert(m);
    cr_assert_eq(amlp_model_set_image_net(m, tiny_net(c, h, w, k, 42), c, h, w, MEAN, STD,
                                          ARCH), 0);
    static const char *names[4] = {"circle", "square", "stripes", "dots"};
    cr_assert_eq(amlp_model_set_class_names(m, names, k), 0);
    return m;
}

/* n generated images: a bright square whose place and size vary, on noise. */
static aml_images *make_images(size_t n, int c, int h, int w, uint64_t seed)
{
    aml_images *im = amlp_images_new();
    cr_assert(im);
    im->channels = c;
    im->height = h;
    im->width = w;
    cr_assert_eq(amlp_images_alloc(im, n), 0);
    tu_seed(seed);
    size_t plane = (size_t)h * (size_t)w;
    for (size_t i = 0; i < n; i++) {
        int x0 = (int)(tu_uni() * w / 2), y0 = (int)(tu_uni() * h / 2), s = 2 + (int)(i % 3);
        for (int k = 0; k < c; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    bool in = x >= x0 && x < x0 + s && y >= y0 && y < y0 + s;
                    double v = in ? 200 + 40 * tu_uni() : 60 * tu_uni() + 20 * k;
                    im->pixels[(i * (size_t)c + (size_t)k) * plane + (size_t)(y * w + x)] =
                        (uint8_t)v;
                }
        im->labels[i] = (uint32_t)(i % 3);
    }
    return im;
}

/* A PNG (grey or RGB, 8-bit) of planar pixels, in memory.  OUT: *len. */
static unsigned char *png_of(const uint8_t *planar, int c, int h, int w, size_t *len)
{
    size_t plane = (size_t)h * (size_t)w;
    uint8_t *inter = malloc(plane * (size_t)c);
    for (size_t i = 0; i < plane; i++)
        for (int k = 0; k < c; k++)
            inter[i * (size_t)c + (size_t)k] = planar[(size_t)k * plane + i];
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)w;
    pi.height = (png_uint_32)h;
    pi.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    cr_assert(png_image_write_to_memory(&pi, NULL, &size, 0, inter, 0, NULL));
    unsigned char *buf = malloc(size);
    cr_assert(png_image_write_to_memory(&pi, buf, &size, 0, inter, 0, NULL), "%s", pi.message);
    free(inter);
    *len = size;
    return buf;
}

/* A JPEG (grey or RGB, quality 95) of planar pixels, in memory (free()).
 * OUT: *len. */
static unsigned char *jpeg_of(const uint8_t *planar, int c, int h, int w, size_t *len)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    unsigned char *buf = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&ci, &buf, &size);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = c;
    ci.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 95, TRUE);
    jpeg_start_compress(&ci, TRUE);
    size_t plane = (size_t)h * (size_t)w;
    unsigned char row[3 * 256];
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++)
                row[x * c + k] = planar[(size_t)k * plane + (size_t)(y * w + x)];
        JSAMPROW r = row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    *len = size;
    return buf;
}

static float *predict_all(const aml_model *m, const aml_images *im)
{
    size_t n = aml_images_count(im), wd = aml_model_pred_width(m);
    float *out = malloc(n * wd * sizeof *out);
    aml_error e = {0};
    cr_assert_eq(aml_model_predict_images(m, im, NULL, 0, out, &e), 0, "%s", e.text);
    return out;
}

Test(model_image, predicts_probabilities_deterministically)
{
    aml_model *m = tiny_model(1, 8, 8, 3);
    cr_assert(aml_model_is_image(m));
    int c, h, w;
    aml_model_image_shape(m, &c, &h, &w);
    cr_assert(c == 1 && h == 8 && w == 8);
    cr_assert_eq(aml_model_n_inputs(m), 0);
    cr_assert_eq(aml_model_pred_width(m), 3);
    cr_assert_str_eq(aml_model_class_name(m, 2), "stripes");
    cr_assert(strncmp(aml_model_describe(m), "CNN: " ARCH " (", 5 + strlen(ARCH) + 2) == 0,
              "%s", aml_model_describe(m));
    cr_assert(strstr(aml_model_describe(m), " weights)"));
    aml_images *im = make_images(10, 1, 8, 8, 1);
    float *a = predict_all(m, im), *b = predict_all(m, im);
    cr_assert_eq(memcmp(a, b, 30 * sizeof *a), 0, "two predictions of the same bytes differ");
    bool differ = false;
    for (size_t i = 0; i < 10; i++) {
        double s = 0;
        for (size_t k = 0; k < 3; k++) {
            cr_assert(a[i * 3 + k] >= 0 && a[i * 3 + k] <= 1);
            s += a[i * 3 + k];
            differ |= fabsf(a[i * 3 + k] - a[k]) > 1e-6f;
        }
        cr_assert_float_eq(s, 1.0, 1e-5, "row %zu sums to %g", i, s);
    }
    cr_assert(differ, "every image got the same prediction");
    size_t rows[2] = {7, 3};
    float two[6];
    cr_assert_eq(aml_model_predict_images(m, im, rows, 2, two, NULL), 0);
    for (size_t k = 0; k < 3; k++) {
        cr_assert_float_eq(two[k], a[21 + k], 1e-6);
        cr_assert_float_eq(two[3 + k], a[9 + k], 1e-6);
    }
    /* one image alone gives the bits it gets in a batch */
    for (size_t i = 0; i < 10; i++) {
        float one[3];
        cr_assert_eq(aml_model_predict_images(m, im, &i, 1, one, NULL), 0);
        cr_assert_eq(memcmp(one, a + 3 * i, sizeof one), 0, "image %zu: alone %.9g, in a "
                     "batch %.9g", i, one[0], a[3 * i]);
    }
    free(a);
    free(b);
    aml_images_free(im);
    aml_model_free(m);
}

Test(model_image, binary_is_the_softmax_of_normalised_pixels)
{
    aml_model *m = tiny_model(3, 8, 8, 2);
    cr_assert_eq(aml_model_pred_width(m), 1);
    aml_images *im = make_images(4, 3, 8, 8, 2);
    float *p = predict_all(m, im);
    /* the same by hand: (x - mean) / std per channel, forward, softmax */
    amlp_nn_net *ref = tiny_net(3, 8, 8, 2, 42);
    for (size_t i = 0; i < 4; i++) {
        float x[192];
        const uint8_t *px = aml_images_image(im, i);
        for (size_t j = 0; j < 192; j++)
            x[j] = ((float)px[j] - MEAN[j / 64]) / STD[j / 64];
        const float *y = NULL;
        cr_assert_eq(amlp_nn_net_forward(ref, x, 1, false, &y), 0);
        double want = 1.0 / (1.0 + exp((double)(y[0] - y[1])));
        cr_assert_float_eq(p[i], want, 1e-5, "image %zu: %g, by hand %g", i, p[i], want);
    }
    amlp_nn_net_free(ref);
    free(p);
    aml_images_free(im);
    aml_model_free(m);
}

static unsigned char *save(const aml_model *m, size_t *len)
{
    unsigned char *b = NULL;
    aml_error e = {0};
    cr_assert_eq(aml_model_save(m, &b, len, &e), 0, "%s", e.text);
    return b;
}

Test(model_image, save_load_predicts_bit_identically)
{
    aml_model *m = tiny_model(1, 8, 8, 3);
    aml_images *im = make_images(10, 1, 8, 8, 3);
    size_t len = 0;
    unsigned char *b = save(m, &len);
    cr_assert_eq(aml_model_format_version(), 4);
    cr_assert_eq(b[4], 4, "the file says version %u", b[4]);
    aml_model *back = NULL;
    aml_error e = {0};
    cr_assert_eq(aml_model_load(b, len, &back, &e), 0, "%s", e.text);
    cr_assert(aml_model_is_image(back));
    cr_assert_str_eq(aml_model_describe(back), aml_model_describe(m));
    cr_assert_str_eq(aml_model_class_name(back, 1), "square");
    float *p = predict_all(m, im), *q = predict_all(back, im);
    cr_assert_eq(memcmp(p, q, 30 * sizeof *p), 0, "the loaded model predicts other bits");
    size_t net_floats = amlp_nn_net_snapshot_size(m->image->net);
    cr_assert_geq(aml_model_memory_size(m), net_floats * sizeof(float));
    free(p);
    free(q);
    aml_free(b);
    aml_model_free(back);
    aml_images_free(im);
    aml_model_free(m);
}

/* Loads bytes that must fail with AML_EPARSE and a one-line reason. */
static void expect_parse_error(const unsigned char *b, size_t len, const char *what)
{
    aml_model *m = NULL;
    aml_error e = {0};
    int rc = aml_model_load(b, len, &m, &e);
    cr_assert_eq(rc, AML_EPARSE, "%s: %s (%s)", what, aml_err_name(rc), e.text);
    cr_assert_null(m);
    cr_assert(e.text[0] && !strchr(e.text, '\n'), "%s: no one-line reason", what);
}

/* The header's length and the CRC set again after a change to the payload. */
static void refit(unsigned char *b, size_t len)
{
    uint64_t plen = len - 20;
    for (int i = 0; i < 8; i++)
        b[8 + i] = (unsigned char)(plen >> (8 * i));
    uint32_t crc = (uint32_t)crc32(0L, b + 16, (uInt)plen);
    for (int i = 0; i < 4; i++)
        b[16 + plen + i] = (unsigned char)(crc >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

Test(model_image, truncated_and_forged_image_sections_are_parse_errors)
{
    aml_model *m = tiny_model(1, 8, 8, 3);
    size_t len = 0;
    unsigned char *good = save(m, &len);
    unsigned char *b = malloc(len);
    for (size_t cut = 0; cut < len; cut += 7) {   /* truncated anywhere */
        memcpy(b, good, cut);
        expect_parse_error(b, cut, "truncated");
        if (cut >= 20) {   /* and with a repaired header: the section parsers see it */
            refit(b, cut);
            expect_parse_error(b, cut, "truncated, refitted");
        }
    }
    /* the architecture's last occurrence (the description quotes it first) */
    unsigned char *arch = NULL;
    for (unsigned char *at = good; (at = memmem(at, len - (size_t)(at - good), ARCH,
                                                strlen(ARCH))) != NULL; at++)
        arch = at;
    cr_assert(arch);
    size_t sec = (size_t)(arch - good) - 88;   /* flag, c, h, w, mean[3], std[3], arch length */
    struct {
        size_t at;
        uint64_t v;
        const char *what;
    } forged[] = {
        {sec, 2, "image flag 2"},
        {sec, 0, "no image and no members"},
        {sec + 8, 2, "2 channels"},
        {sec + 8, 3, "3 channels for a 1-channel net"},
        {sec + 16, 0, "height 0"},
        {sec + 16, (uint64_t)1 << 40, "a huge height"},
        {sec + 24, 16, "a width the net does not read"},
        {sec + 56, 0, "std 0"},
        {sec + 32, 0x7ff8000000000000ull, "mean NaN"},
        {sec + 80, (uint64_t)1 << 50, "an architecture past the end"},
        {sec + 88 + strlen(ARCH), (uint64_t)1 << 50, "a net blob past the end"},
        {sec + 96 + strlen(ARCH), 12345, "a net with a wrong magic"},
        {sec + 104 + strlen(ARCH), 7, "a net reading 7 inputs"},
    };
    for (size_t i = 0; i < sizeof forged / sizeof *forged; i++) {
        memcpy(b, good, len);
        put64(b + forged[i].at, forged[i].v);
        refit(b, len);
        expect_parse_error(b, len, forged[i].what);
    }
    /* a byte flipped anywhere in the net: loads a net that fits, or fails cleanly */
    size_t net_at = sec + 96 + strlen(ARCH);
    for (size_t at = net_at; at < len - 4; at += 13) {
        memcpy(b, good, len);
        b[at] ^= 0x5a;
        refit(b, len);
        aml_model *x = NULL;
        int rc = aml_model_load(b, len, &x, NULL);
        cr_assert(rc == 0 || rc == AML_EPARSE, "byte %zu: %s", at, aml_err_name(rc));
        aml_model_free(x);
    }
    free(b);
    aml_free(good);
    aml_model_free(m);
}

Test(model_image, an_encoded_png_predicts_as_its_pixels)
{
    for (int c = 1; c <= 3; c += 2) {
        aml_model *m = tiny_model(c, 8, 8, 3);
        aml_images *im = make_images(3, c, 8, 8, 4);
        for (size_t i = 0; i < 3; i++) {
            size_t len = 0;
            unsigned char *png = png_of(aml_images_image(im, i), c, 8, 8, &len);
            float want[3], got[3];
            aml_error e = {0};
            cr_assert_eq(aml_model_predict_images(m, im, &i, 1, want, &e), 0, "%s", e.text);
            cr_assert_eq(aml_model_predict_encoded(m, png, len, got, &e), 0, "%s", e.text);
            cr_assert_eq(memcmp(want, got, sizeof want), 0,
                         "%d channels, image %zu: %g %g %g, from its PNG %g %g %g", c, i,
                         want[0], want[1], want[2], got[0], got[1], got[2]);
            free(png);
        }
        aml_images_free(im);
        aml_model_free(m);
    }
}

Test(model_image, encoded_images_of_other_sizes_and_colours_are_converted)
{
    aml_model *m = tiny_model(3, 8, 8, 3);
    aml_images *grey = make_images(1, 1, 8, 8, 5);
    size_t len = 0;
    unsigned char *png = png_of(aml_images_image(grey, 0), 1, 8, 8, &len);
    /* a grey PNG into an RGB model: the grey plane copied to R, G and B */
    aml_images *rgb = make_images(1, 3, 8, 8, 5);
    for (int k = 0; k < 3; k++)
        memcpy(rgb->pixels + k * 64, grey->pixels, 64);
    float want[3], got[3];
    cr_assert_eq(aml_model_predict_images(m, rgb, NULL, 0, want, NULL), 0);
    cr_assert_eq(aml_model_predict_encoded(m, png, len, got, NULL), 0);
    cr_assert_eq(memcmp(want, got, sizeof want), 0);
    free(png);
    /* a larger RGB PNG is resized; an RGB PNG into a grey image is luma */
    aml_images *big = make_images(1, 3, 32, 24, 6);
    png = png_of(aml_images_image(big, 0), 3, 32, 24, &len);
    cr_assert_eq(aml_model_predict_encoded(m, png, len, got, NULL), 0);
    cr_assert_float_eq(got[0] + got[1] + got[2], 1.0, 1e-5);
    uint8_t g[32 * 24];
    cr_assert_eq(aml_image_decode_to(png, len, 1, 32, 24, g, NULL), 0);
    for (size_t i = 0; i < 32 * 24; i += 37) {
        const uint8_t *p = big->pixels;
        unsigned luma = (299u * p[i] + 587u * p[768 + i] + 114u * p[1536 + i] + 500u) / 1000u;
        cr_assert_eq(g[i], luma, "pixel %zu: %u, luma %u", i, g[i], luma);
    }
    free(png);
    aml_images_free(big);
    aml_images_free(rgb);
    aml_images_free(grey);
    aml_model_free(m);
}

Test(model_image, an_encoded_jpeg_predicts_as_its_decoded_pixels)
{
    aml_model *m = tiny_model(3, 8, 8, 3);
    aml_images *im = make_images(1, 3, 16, 16, 10);
    size_t len = 0;
    unsigned char *jpg = jpeg_of(aml_images_image(im, 0), 3, 16, 16, &len);
    /* what the model sees: the JPEG decoded and resized to 8 x 8 */
    aml_images *seen = make_images(1, 3, 8, 8, 10);
    aml_error e = {0};
    cr_assert_eq(aml_image_decode_to(jpg, len, 3, 8, 8, seen->pixels, &e), 0, "%s", e.text);
    int far = 0;   /* lossy, but close to the 16 x 16 original averaged 2 x 2 */
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                const uint8_t *o = aml_images_image(im, 0) + k * 256;
                int avg = (o[32 * y + 2 * x] + o[32 * y + 2 * x + 1] + o[32 * y + 16 + 2 * x] +
                           o[32 * y + 16 + 2 * x + 1] + 2) / 4;
                far += abs(avg - seen->pixels[k * 64 + y * 8 + x]) > 40;
            }
    cr_assert_leq(far, 12, "%d of 192 pixels far from the original", far);
    float want[3], got[3];
    cr_assert_eq(aml_model_predict_images(m, seen, NULL, 0, want, NULL), 0);
    cr_assert_eq(aml_model_predict_encoded(m, jpg, len, got, &e), 0, "%s", e.text);
    cr_assert_eq(memcmp(want, got, sizeof want), 0);
    memset(&e, 0, sizeof e);
    cr_assert_eq(aml_model_predict_encoded(m, jpg, len / 3, got, &e), AML_EPARSE);
    cr_assert(strstr(e.text, "JPEG"), "%s", e.text);
    free(jpg);
    aml_images_free(seen);
    aml_images_free(im);
    aml_model_free(m);
}

Test(model_image, bytes_that_are_not_an_image_are_parse_errors)
{
    aml_model *m = tiny_model(1, 8, 8, 3);
    float out[3];
    aml_error e = {0};
    const char *text = "hello, this is not a picture";
    cr_assert_eq(aml_model_predict_encoded(m, (const unsigned char *)text, strlen(text), out, &e),
                 AML_EPARSE);
    cr_assert_str_eq(e.text, "not a PNG or JPEG image");
    aml_images *im = make_images(1, 1, 8, 8, 7);
    size_t len = 0;
    unsigned char *png = png_of(aml_images_image(im, 0), 1, 8, 8, &len);
    memset(&e, 0, sizeof e);
    cr_assert_eq(aml_model_predict_encoded(m, png, len / 2, out, &e), AML_EPARSE);
    cr_assert(strstr(e.text, "PNG"), "%s", e.text);
    cr_assert_eq(aml_model_predict_encoded(m, png, 0, out, NULL), AML_EPARSE);
    uint8_t px[64];
    cr_assert_eq(aml_image_decode_to(png, len, 2, 8, 8, px, NULL), AML_EINVAL);
    free(png);
    aml_images_free(im);
    aml_model_free(m);
}

Test(model_image, wrong_shapes_and_table_rows_are_invalid)
{
    aml_model *m = tiny_model(1, 8, 8, 3);
    float out[30];
    aml_error e = {0};
    aml_images *im = make_images(2, 1, 10, 12, 8);
    cr_assert_eq(aml_model_predict_images(m, im, NULL, 0, out, &e), AML_EINVAL);
    cr_assert(strstr(e.text, "12x10") && strstr(e.text, "8x8"), "%s", e.text);
    aml_images *rgb = make_images(2, 3, 8, 8, 8);
    memset(&e, 0, sizeof e);
    cr_assert_eq(aml_model_predict_images(m, rgb, NULL, 0, out, &e), AML_EINVAL);
    cr_assert(strstr(e.text, "3 channels") && strstr(e.text, "1 channel"), "%s", e.text);
    size_t past = 2;
    cr_assert_eq(aml_model_predict_images(m, rgb, &past, 1, out, NULL), AML_EINVAL);
    aml_frame *f = NULL;
    cr_assert_eq(aml_frame_new(&f), 0);
    double v[1] = {1};
    cr_assert_eq(aml_frame_add_numbers(f, "x", v, 1, NULL), 0);
    memset(&e, 0, sizeof e);
    cr_assert_eq(aml_model_predict(m, f, NULL, 0, out, &e), AML_EINVAL);
    cr_assert(strstr(e.text, "classifies images"), "%s", e.text);
    /* a net that does not fit the shape or the classes is refused (and freed) */
    aml_model *x = amlp_model_new(AML_TASK_MULTICLASS, 3, AML_METRIC_AUTO, "y");
    cr_assert_eq(amlp_model_set_image_net(x, tiny_net(1, 8, 8, 3, 1), 1, 8, 6, MEAN, STD, "a"),
                 AML_EINVAL);
    cr_assert_eq(amlp_model_set_image_net(x, tiny_net(1, 8, 8, 4, 1), 1, 8, 8, MEAN, STD, "a"),
                 AML_EINVAL);
    float zero[3] = {0, 0, 0};
    cr_assert_eq(amlp_model_set_image_net(x, tiny_net(1, 8, 8, 3, 1), 1, 8, 8, MEAN, zero, "a"),
                 AML_EINVAL);
    cr_assert_not(aml_model_is_image(x));
    const char *two[2] = {"a", "b"};
    cr_assert_eq(amlp_model_set_class_names(x, two, 2), AML_EINVAL);
    aml_model_free(x);
    aml_frame_free(f);
    aml_images_free(rgb);
    aml_images_free(im);
    aml_model_free(m);
}

/* The model fuzzer's image seeds (tests/fuzz/corpus/model/image-*.amlm,
 * make fuzz-model-corpus): they load, re-save byte for byte, and predict. */
Test(model_image, the_corpus_image_seeds_load_and_resave_identically)
{
    static const char *const seeds[] = {"image-cnn-grey", "image-cnn-rgb-binary"};
    for (size_t s = 0; s < 2; s++) {
        char path[256];
        snprintf(path, sizeof path, "tests/fuzz/corpus/model/%s.amlm", seeds[s]);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "missing fixture %s (run from the repository root)", path);
        unsigned char buf[8192];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        aml_model *m = NULL;
        aml_error e = {0};
        cr_assert_eq(aml_model_load(buf, len, &m, &e), 0, "%s: %s", path, e.text);
        cr_assert(aml_model_is_image(m));
        size_t len2 = 0;
        unsigned char *b2 = save(m, &len2);
        cr_assert(len2 == len && memcmp(buf, b2, len) == 0, "%s re-saves differently", path);
        int c, h, w;
        aml_model_image_shape(m, &c, &h, &w);
        aml_images *im = make_images(2, c, h, w, 9);
        float *p = predict_all(m, im);
        cr_assert(p[0] >= 0 && p[0] <= 1);
        free(p);
        aml_images_free(im);
        aml_free(b2);
        aml_model_free(m);
    }
}

/* ---- forged sizes never allocate more than the file holds ---- */

static size_t biggest;

static void *count_malloc(size_t n, void *user)
{
    (void)user;
    biggest = n > biggest ? n : biggest;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n, void *user)
{
    (void)user;
    biggest = n > biggest ? n : biggest;
    return realloc(p, n);
}

static void count_free(void *p, void *user)
{
    (void)user;
    free(p);
}

/* Loads b (as it is, then with its header and CRC repaired): AML_EPARSE or a
 * model, never an allocation beyond 16 bytes per byte of the file. */
static void load_bounded(unsigned char *b, size_t len, const char *what)
{
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            refit(b, len);
        biggest = 0;
        aml_model *m = NULL;
        int rc = aml_model_load(b, len, &m, NULL);
        aml_model_free(m);
        cr_assert(rc == 0 || rc == AML_EPARSE, "%s: %s", what, aml_err_name(rc));
        cr_assert(biggest <= 16 * len + 4096, "%s allocated %zu bytes from a %zu-byte file",
                  what, biggest, len);
    }
}

Test(model_image, forged_sizes_allocate_no_more_than_the_file_holds)
{
    size_t len = 0;
    FILE *f = fopen("tests/fuzz/corpus/model/regress-image-dense-width.amlm", "rb");
    cr_assert_not_null(f, "missing fixture (run from the repository root)");
    unsigned char found[4096];
    len = fread(found, 1, sizeof found, f);
    fclose(f);
    aml_model *m = tiny_model(3, 8, 8, 2);
    size_t glen = 0;
    unsigned char *good = save(m, &glen);
    unsigned char *c = malloc(glen);
    aml_allocator a = {count_malloc, count_realloc, count_free, NULL};
    aml_allocator_set(&a);
    /* the fuzzer's find: a dense layer 2^16 wide in a 1.6 kB file */
    load_bounded(found, len, "regress-image-dense-width");
    static const uint64_t forged[] = {UINT64_MAX, (uint64_t)1 << 40, (uint64_t)1 << 24, 65536};
    for (size_t i = 16; i + 8 <= glen - 4; i++)
        for (size_t k = 0; k < sizeof forged / sizeof *forged; k++) {
            memcpy(c, good, glen);
            put64(c + i, forged[k]);
            char what[64];
            snprintf(what, sizeof what, "%llu at byte %zu", (unsigned long long)forged[k], i);
            load_bounded(c, glen, what);
        }
    aml_allocator_set(NULL);
    free(c);
    aml_free(good);
    aml_model_free(m);
}

Test(model_image, more_images_than_a_chunk_predict_as_one_by_one)
{
    aml_model *m = tiny_model(1, 8, 8, 3);
    aml_images *im = make_images(300, 1, 8, 8, 11);   /* two forward passes: 256 + 44 */
    float *all = predict_all(m, im);
    static const size_t probe[] = {0, 1, 255, 256, 257, 299};
    for (size_t j = 0; j < sizeof probe / sizeof *probe; j++) {
        float one[3];
        cr_assert_eq(aml_model_predict_images(m, im, &probe[j], 1, one, NULL), 0);
        cr_assert_eq(memcmp(one, all + 3 * probe[j], sizeof one), 0, "image %zu", probe[j]);
    }
    free(all);
    aml_images_free(im);
    aml_model_free(m);
}
