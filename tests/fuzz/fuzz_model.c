/* fuzz_model.c — libFuzzer target for the model file reader
 * (aml_model_load): every input must either load or fail with an error code
 * and a one-line reason — no crash, no leak, no huge allocation.
 *
 * The CRC32 would stop almost every mutation at the checksum, so each input
 * is also tried with its header length and checksum repaired: that drives
 * the mutations into the section parsers (preparation, learners, feature
 * steps, training info).  A model that loads is asked for its info and
 * schema and predicts two rows of a tiny frame built from its own schema
 * (one plausible row, one of missing values).
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
