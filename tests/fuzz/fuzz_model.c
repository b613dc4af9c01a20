/* fuzz_model.c — libFuzzer target for the model file reader
 * (aml_model_load): every input must either load or fail with an error code
 * and a one-line reason — no crash, no leak, no huge allocation.
 *
 * The CRC32 would stop almost every mutation at the checksum, so each input
 * is also tried with its header length and checksum repaired: that drives
 * the mutations into the section parsers (preparation, learners, feature
 * steps, training info).  A model that loads is asked for its info and
 * schema and predicts two rows of a tiny frame built from its own schema
 * (one plausible row, one of missing values); an image model also predicts
 * a tiny PNG (decoded, converted to its channels, resized to its size) when
 * its images are small enough (a forged shape may legitimately ask for a
 * net larger than the fuzzer's memory limit).
 *
 * Seeds: tests/fuzz/corpus/model/ (make fuzz-model-corpus).  Run: make fuzz-model. */
#include "aml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void predict_tiny(const aml_model *m)
{
    aml_frame *f = NULL;
    if (aml_frame_new(&f))
        return;
    size_t n = aml_model_n_inputs(m);
    for (size_t i = 0; i < n; i++) {
        const char *v[2] = {NULL, NULL};
        switch (aml_model_input_type(m, i)) {
        case AML_TYPE_NUMBER:
        case AML_TYPE_INTEGER: v[0] = "1"; break;
        case AML_TYPE_BOOLEAN: v[0] = "true"; break;
        case AML_TYPE_DATETIME: v[0] = "2024-02-03"; break;
        default: v[0] = "red"; break;
        }
        /* duplicate names in a forged schema are refused by the frame */
        if (aml_frame_add_strings(f, aml_model_input_name(m, i), aml_model_input_type(m, i), v,
                                  2, NULL, NULL))
            break;
    }
    size_t w = aml_model_pred_width(m);
    float *out = malloc(2 * w * sizeof *out);
    size_t labels[2];
    aml_error e;
    memset(&e, 0, sizeof e);
    int rc = out ? aml_model_predict(m, f, NULL, 2, out, &e) : AML_ENOMEM;
    if (rc == 0 && aml_model_task(m) != AML_TASK_REGRESSION)
        aml_model_predict_labels(m, out, 2, labels, NULL);
    else if (rc && rc != AML_ENOMEM && !e.text[0]) {
        fprintf(stderr, "predict failed (%s) without a reason\n", aml_err_name(rc));
        abort();   /* a failure must say why */
    }
    free(out);
    aml_frame_free(f);
}

/* A 3 x 2 RGB PNG. */
static const unsigned char tiny_png[80] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12,
    0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00, 0x17, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xe0,
    0x12, 0x91, 0x3b, 0x91, 0x62, 0x14, 0x15, 0x15, 0xc5, 0xf0, 0x9f, 0x81, 0x01, 0x82, 0x01,
    0x34, 0xe9, 0x05, 0xa6, 0xac, 0x1b, 0x00, 0x54, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82};

static void predict_image(const aml_model *m)
{
    int c, h, w;
    aml_model_image_shape(m, &c, &h, &w);
    if ((size_t)c * (size_t)h * (size_t)w > 65536)
        return;
    float *out = malloc(aml_model_pred_width(m) * sizeof *out);
    aml_error e;
    memset(&e, 0, sizeof e);
    int rc = out ? aml_model_predict_encoded(m, tiny_png, sizeof tiny_png, out, &e) : AML_ENOMEM;
    if (rc && rc != AML_ENOMEM && !e.text[0]) {
        fprintf(stderr, "image predict failed (%s) without a reason\n", aml_err_name(rc));
        abort();
    }
    free(out);
}

static void try_load(const uint8_t *data, size_t size)
{
    aml_model *m = NULL;
    aml_error e;
    memset(&e, 0, sizeof e);
    int rc = aml_model_load(data, size, &m, &e);
    if (rc) {
        if (m || e.code != rc || !e.text[0] || strchr(e.text, '\n'))
            abort();
        return;
    }
    if (!m)
        abort();
    const char *info = aml_model_info(m);
    if (!info || info[0] != '{')
        abort();
    for (size_t i = 0; i < aml_model_n_members(m); i++)
        if (!aml_model_member_kind(m, i) || !aml_model_member_learner(m, i))
            abort();
    for (size_t k = 0; k < aml_model_n_classes(m); k++)
        if (!aml_model_class_name(m, k))
            abort();
    predict_tiny(m);
    if (aml_model_is_image(m))
        predict_image(m);
    /* a model that loads saves again */
    unsigned char *b = NULL;
    size_t len = 0;
    if (aml_model_save(m, &b, &len, NULL) == 0)
        aml_free(b);
    aml_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size >= 20 && memcmp(data, "AMLM", 4) == 0) {
        uint8_t *fixed = malloc(size);
        if (!fixed)
            return 0;
        memcpy(fixed, data, size);
        size_t plen = size - 20;
        put_le(fixed + 8, plen, 8);
        put_le(fixed + 16 + plen, (uint32_t)crc32(0L, fixed + 16, (uInt)plen), 4);
        try_load(fixed, size);
        free(fixed);
    }
    return 0;
}
