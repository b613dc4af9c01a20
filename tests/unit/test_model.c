/* test_model.c — Criterion suite for the model file (engine/model/model_io.c), the
 * training info (model_info.c) and prediction from raw frames (model.c).
 *
 * Fixtures: the committed seed corpus of the model fuzzer
 * (the .amlm files in tests/fuzz/corpus/model/, `make fuzz-model-corpus`): small valid
 * files of each kind.  Model files are untrusted input, so the bad cases are
 * systematic: every byte flipped one at a time (with and without the
 * checksum repaired, so the section parsers see the damage too), every
 * truncation, forged counts and lengths (no allocation beyond what the bytes
 * allow), foreign, empty and newer-version files. */
#include <criterion/criterion.h>

#include "aml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CORPUS "tests/fuzz/corpus/model/"

static const char *const kinds[] = {"binary-linear", "binary-nb", "binary-knn", "binary-mlp",
                                    "binary-xgb", "binary-rf", "multiclass-linear", "regression-knn",
                                    "ensemble", "text-dates-linear"};
#define N_KINDS (sizeof kinds / sizeof *kinds)

static unsigned char *read_fixture(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, CORPUS "%s.amlm", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "missing fixture %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Repairs the header length and the CRC after an edit (payload = len - 20). */
static void fix_crc(unsigned char *b, size_t len)
{
    size_t plen = len - 20;
    put_le(b + 8, plen, 8);
    put_le(b + 16 + plen, (uint32_t)crc32(0L, b + 16, (uInt)plen), 4);
}

/* A frame of n rows with the columns a (number), b (number), c (categorical)
 * of the fixtures, with some missing values and an unseen category. */
static aml_frame *tiny_frame(size_t n)
{
    aml_frame *f;
    cr_assert_eq(aml_frame_new(&f), 0);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    const char **c = malloc(n * sizeof *c);
    static const char *lv[5] = {"red", "green", "blue", "purple", NULL};
    for (size_t i = 0; i < n; i++) {
        a[i] = i % 5 == 4 ? NAN : (double)i / (double)n * 4 - 2;
        b[i] = 1.5 - (double)(i % 7) * 0.5;
        c[i] = lv[i % 5];
    }
    cr_assert_eq(aml_frame_add_numbers(f, "a", a, n, NULL), 0);
    cr_assert_eq(aml_frame_add_numbers(f, "b", b, n, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, c, n, NULL, NULL), 0);
    free(a);
    free(b);
    free(c);
    return f;
}

static aml_model *load_ok(const unsigned char *b, size_t len)
{
    aml_model *m = NULL;
    aml_error err;
    memset(&err, 0, sizeof err);
    cr_assert_eq(aml_model_load(b, len, &m, &err), 0, "%s", err.text);
    cr_assert_not_null(m);
    return m;
}

/* The load fails cleanly: a code, no model, one line of reason. */
static void assert_refused(const unsigned char *b, size_t len, const char *why_part)
{
    aml_model *m = (aml_model *)1;
    aml_error err;
    memset(&err, 0, sizeof err);
    int rc = aml_model_load(b, len, &m, &err);
    cr_assert(rc == AML_EPARSE || rc == AML_EUNSUPPORTED, "rc %d for len %zu", rc, len);
    cr_assert_null(m);
    cr_assert_eq(err.code, rc);
    cr_assert(err.text[0] && !strchr(err.text, '\n'), "'%s'", err.text);
    if (why_part)
        cr_assert(strstr(err.text, why_part), "'%s' lacks '%s'", err.text, why_part);
}

/* Load either fails cleanly or gives a model that predicts or refuses to. */
static void load_any(const unsigned char *b, size_t len, const aml_frame *f)
{
    aml_model *m = NULL;
    aml_error err;
    memset(&err, 0, sizeof err);
    int rc = aml_model_load(b, len, &m, &err);
    if (rc) {
        cr_assert_null(m);
        cr_assert(err.text[0] && !strchr(err.text, '\n'));
        return;
    }
    size_t n = aml_frame_nrows(f), w = aml_model_pred_width(m);
    float *p = malloc(n * w * sizeof *p);
    memset(&err, 0, sizeof err);
    if (aml_model_predict(m, f, NULL, n, p, &err))
        cr_assert(err.text[0]);
    free(p);
    aml_model_free(m);
}

Test(model, every_kind_loads_resaves_and_predicts_identically)
{
    aml_frame *f = tiny_frame(40);
    for (size_t k = 0; k < N_KINDS; k++) {
        if (strcmp(kinds[k], "text-dates-linear") == 0)
            continue;   /* needs more columns: below */
        size_t len;
        unsigned char *b = read_fixture(kinds[k], &len);
        aml_model *m = load_ok(b, len);
        unsigned char *b2;
        size_t len2;
        aml_error err;
        cr_assert_eq(aml_model_save(m, &b2, &len2, &err), 0, "%s", err.text);
        /* a version-3 fixture re-saves as version 4: the same payload, then
         * the image section's flag (0: a table model) */
        size_t want_len = len + (b[4] == 3 ? 8 : 0);
        unsigned char *want = calloc(1, want_len);
        memcpy(want, b, len - 4);
        put_le(want + 4, aml_model_format_version(), 4);
        fix_crc(want, want_len);
        cr_assert_eq(len2, want_len, "%s: re-saved %zu bytes of %zu", kinds[k], len2, want_len);
        cr_assert_eq(memcmp(want, b2, want_len), 0, "%s: re-saved bytes differ", kinds[k]);
        free(want);
        aml_model *m2 = load_ok(b2, len2);
        size_t w = aml_model_pred_width(m);
        float *p1 = malloc(40 * w * sizeof *p1), *p2 = malloc(40 * w * sizeof *p2);
        cr_assert_eq(aml_model_predict(m, f, NULL, 40, p1, &err), 0, "%s: %s", kinds[k], err.text);
        cr_assert_eq(aml_model_predict(m2, f, NULL, 40, p2, &err), 0, "%s", err.text);
        cr_assert_eq(memcmp(p1, p2, 40 * w * sizeof *p1), 0, "%s", kinds[k]);
        for (size_t i = 0; i < 40 * w; i++)
            cr_assert(isfinite(p1[i]), "%s: row %zu not finite", kinds[k], i / w);
        free(p1);
        free(p2);
        aml_free(b2);
        aml_model_free(m);
        aml_model_free(m2);
        free(b);
    }
    aml_frame_free(f);
}

/* Inputs the fuzzer found (tests/fuzz/corpus/model/regress-*.amlm): each
 * must fail cleanly or load and predict. */
static const char *const regressions[] = {"regress-knn-classes", "regress-xgb-tree-id",
                                          "regress-newline-name", "regress-mlp-layer-size"};

/* A loaded model holds at least what its file says (trees, weights, stored
 * rows), and the ensemble more than any one of its members' files. */
Test(model, memory_size_follows_the_model)
{
    cr_assert_eq(aml_model_memory_size(NULL), 0);
    size_t sizes[N_KINDS];
    for (size_t i = 0; i < N_KINDS; i++) {
        size_t len;
        unsigned char *b = read_fixture(kinds[i], &len);
        aml_model *m = load_ok(b, len);
        sizes[i] = aml_model_memory_size(m);
        cr_assert_geq(sizes[i], len - 64, "%s: %zu bytes for a %zu-byte file", kinds[i],
                      sizes[i], len);
        cr_assert_lt(sizes[i], 4 * len + 4096, "%s: %zu bytes", kinds[i], sizes[i]);
        aml_model_free(m);
        free(b);
    }
    /* kNN keeps its training rows, naive Bayes a few statistics per class */
    cr_assert_gt(sizes[2], sizes[1], "knn %zu, nb %zu", sizes[2], sizes[1]);
}

Test(model, fuzzer_regressions)
{
    aml_frame *f = tiny_frame(6);
    for (size_t i = 0; i < sizeof regressions / sizeof *regressions; i++) {
        size_t len;
        unsigned char *b = read_fixture(regressions[i], &len);
        load_any(b, len, f);
        /* and with its checksum repaired, as the fuzzer also tries */
        if (len >= 20) {
            fix_crc(b, len);
            load_any(b, len, f);
        }
        free(b);
    }
    aml_frame_free(f);
}

Test(model, training_info)
{
    size_t len;
    unsigned char *b = read_fixture("ensemble", &len);
    aml_model *m = load_ok(b, len);
    const char *info = aml_model_info(m);
    static const char *keys[] = {"\"metric\":\"auc\"", "\"validation_score\":", "\"validation_std\":",
                                 "\"test_score\":", "\"target\":\"y\"", "\"task\":\"binary\"",
                                 "\"rows\":60", "\"strategy\":\"auto\"", "\"budget_seconds\":",
                                 "\"trials\":", "\"stop_reason\":", "\"seed\":42", "\"created\":\"",
                                 "\"engine_version\":\"", "\"dataset\":\"synthetic\""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cr_assert(strstr(info, keys[i]), "%s lacks %s", info, keys[i]);
    aml_error err;
    cr_assert_eq(aml_model_set_info(m, "[1,2]", &err), AML_EINVAL);
    cr_assert_eq(aml_model_set_info(m, "{\"a\":", &err), AML_EPARSE);
    cr_assert(strstr(info, "\"rows\":60"), "a refused info leaves the old one");
    cr_assert_eq(aml_model_set_info(m, "{\"a\": 1, \"b\": \"x\"}", &err), 0, "%s", err.text);
    cr_assert_str_eq(aml_model_info(m), "{\"a\":1,\"b\":\"x\"}");
    /* save_ex adds keys to the saved bytes only */
    unsigned char *b2;
    size_t len2;
    cr_assert_eq(aml_model_save_ex(m, "{\"b\":\"y\",\"c\":null}", &b2, &len2, &err), 0, "%s",
                 err.text);
    cr_assert_str_eq(aml_model_info(m), "{\"a\":1,\"b\":\"x\"}");
    aml_model *m2 = load_ok(b2, len2);
    cr_assert_str_eq(aml_model_info(m2), "{\"a\":1,\"b\":\"y\",\"c\":null}");
    aml_free(b2);
    cr_assert_eq(aml_model_save_ex(m, "not json", &b2, &len2, &err), AML_EPARSE);
    cr_assert_eq(aml_model_set_info(m, NULL, &err), 0);
    cr_assert_str_eq(aml_model_info(m), "{}");
    aml_model_free(m2);
    aml_model_free(m);
    free(b);
}

Test(model, refuses_empty_foreign_and_newer_files)
{
    assert_refused(NULL, 0, "empty file");
    assert_refused((const unsigned char *)"", 0, "empty file");
    static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10";
    assert_refused(png, sizeof png - 1, "PNG image");
    static const char csv[] = "age,job,y\n30,admin,no\n41,technician,yes\n";
    assert_refused((const unsigned char *)csv, sizeof csv - 1, "CSV");
    assert_refused((const unsigned char *)"\x1f\x8b\x08\0\0\0\0\0", 8, "gzip");
    assert_refused((const unsigned char *)"PK\3\4garbage-garbage-garbage", 28, "ZIP");
    assert_refused((const unsigned char *)"\x01\x02\x03\x04\x05", 5, "does not start with AMLM");
    assert_refused((const unsigned char *)"AML", 3, "truncated");
    size_t len;
    unsigned char *b = read_fixture("binary-linear", &len);
    put_le(b + 4, aml_model_format_version() + 1, 4);
    assert_refused(b, len, "newer than this engine reads");
    put_le(b + 4, 0, 4);
    assert_refused(b, len, "version 0");
    free(b);
}

Test(model, truncated_at_every_length)
{
    size_t len;
    unsigned char *b = read_fixture("binary-nb", &len);
    for (size_t n = 0; n < len; n++) {
        unsigned char *c = malloc(n ? n : 1);   /* exact size: ASan sees any over-read */
        memcpy(c, b, n);
        assert_refused(c, n, NULL);
        free(c);
    }
    /* with the header and checksum repaired, the parsers see the cut */
    aml_frame *f = tiny_frame(8);
    for (size_t n = 20; n < len; n++) {
        unsigned char *c = malloc(n);
        memcpy(c, b, n - 4);
        fix_crc(c, n);
        aml_model *m = (aml_model *)1;
        aml_error err;
        int rc = aml_model_load(c, n, &m, &err);
        cr_assert_eq(rc, AML_EPARSE, "a model cut at %zu of %zu bytes loaded", n, len);
        cr_assert_null(m);
        free(c);
    }
    aml_frame_free(f);
    /* trailing bytes */
    unsigned char *c = malloc(len + 3);
    memcpy(c, b, len);
    memcpy(c + len, "xyz", 3);
    assert_refused(c, len + 3, "unexpected bytes");
    free(c);
    free(b);
}

/* Flips each byte (every `stride`-th) of fixture `name`: with the checksum
 * as it is, every flip is refused; with it repaired, the load fails cleanly
 * or the model predicts (or refuses to) — never a crash. */
static void flip_every_byte(const char *name, size_t stride)
{
    size_t len;
    unsigned char *b = read_fixture(name, &len);
    unsigned char *c = malloc(len);
    aml_frame *f = tiny_frame(6);
    size_t refused = 0, loaded = 0;
    for (size_t i = 0; i < len; i += stride) {
        memcpy(c, b, len);
        c[i] ^= 0xff;
        assert_refused(c, len, NULL);
        if (i >= 16 && i < len - 4) {
            fix_crc(c, len);
            aml_model *m = NULL;
            aml_error err;
            if (aml_model_load(c, len, &m, &err) == 0) {
                loaded++;
                aml_model_free(m);
            } else {
                refused++;
            }
            load_any(c, len, f);
        }
    }
    cr_assert(refused > 0);
    (void)loaded;   /* flips in text and weights load: the checksum is what rejects them */
    aml_frame_free(f);
    free(c);
    free(b);
}

Test(model, every_byte_flipped_linear) { flip_every_byte("binary-linear", 1); }
Test(model, every_byte_flipped_nb) { flip_every_byte("binary-nb", 1); }
Test(model, every_byte_flipped_knn) { flip_every_byte("binary-knn", 1); }
Test(model, every_byte_flipped_mlp) { flip_every_byte("binary-mlp", 1); }
Test(model, every_byte_flipped_multiclass) { flip_every_byte("multiclass-linear", 1); }
Test(model, every_byte_flipped_regression) { flip_every_byte("regression-knn", 1); }
Test(model, every_byte_flipped_ensemble) { flip_every_byte("ensemble", 1); }
/* XGBoost parses each booster slowly: every 11th byte here, every byte in the fuzzer */
Test(model, every_byte_flipped_xgb, .timeout = 600) { flip_every_byte("binary-xgb", 11); }
Test(model, every_byte_flipped_rf, .timeout = 600) { flip_every_byte("binary-rf", 11); }

/* ---- forged lengths: no allocation beyond what the bytes allow ---- */

static size_t biggest;
static void *count_malloc(size_t n, void *u)
{
    (void)u;
    biggest = n > biggest ? n : biggest;
    return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *u)
{
    (void)u;
    biggest = n > biggest ? n : biggest;
    return realloc(p, n);
}
static void count_free(void *p, void *u)
{
    (void)u;
    free(p);
}

Test(model, forged_counts_and_lengths_allocate_little)
{
    size_t len;
    unsigned char *b = read_fixture("binary-linear", &len);
    unsigned char *c = malloc(len);
    aml_allocator a = {count_malloc, count_realloc, count_free, NULL};
    aml_allocator_set(&a);
    static const uint64_t forged[] = {UINT64_MAX, UINT64_MAX / 2, (uint64_t)1 << 40,
                                      (uint64_t)1 << 31, 1000000};
    /* every 8-byte window of the payload set to a huge value: counts, string
     * lengths, blob lengths wherever they are */
    for (size_t i = 16; i + 8 <= len - 4; i++) {
        for (size_t k = 0; k < sizeof forged / sizeof *forged; k++) {
            memcpy(c, b, len);
            put_le(c + i, forged[k], 8);
            fix_crc(c, len);
            biggest = 0;
            aml_model *m = NULL;
            if (aml_model_load(c, len, &m, NULL) == 0)
                aml_model_free(m);
            cr_assert(biggest <= 16 * len + 4096, "a forged value at byte %zu allocated %zu bytes "
                      "from a %zu-byte file", i, biggest, len);
        }
    }
    aml_allocator_set(NULL);
    free(c);
    free(b);
}

/* ---- compatibility: a version-2 file (no training info) ---- */

Test(model, reads_version_2)
{
    size_t len;
    unsigned char *b = read_fixture("binary-nb", &len);
    aml_model *m = load_ok(b, len);
    size_t ilen = strlen(aml_model_info(m));
    /* version 2 = version 3 without the last section (the info string) */
    size_t len2 = len - 8 - ilen;
    unsigned char *c = malloc(len2);
    memcpy(c, b, len2 - 4);
    put_le(c + 4, 2, 4);
    fix_crc(c, len2);
    aml_model *m2 = load_ok(c, len2);
    cr_assert_str_eq(aml_model_info(m2), "{}");
    aml_frame *f = tiny_frame(20);
    float p1[20], p2[20];
    cr_assert_eq(aml_model_predict(m, f, NULL, 20, p1, NULL), 0);
    cr_assert_eq(aml_model_predict(m2, f, NULL, 20, p2, NULL), 0);
    cr_assert_eq(memcmp(p1, p2, sizeof p1), 0);
    aml_frame_free(f);
    aml_model_free(m);
    aml_model_free(m2);
    free(c);
    free(b);
}

/* ---- prediction from frames read differently ---- */

Test(model, predict_columns_by_name_types_and_errors)
{
    size_t len;
    unsigned char *b = read_fixture("binary-linear", &len);
    aml_model *m = load_ok(b, len);
    const char **req;
    size_t nreq;
    cr_assert_eq(aml_model_required_columns(m, &req, &nreq), 0);
    cr_assert_eq(nreq, 3);
    aml_free(req);
    aml_frame *f = tiny_frame(30);
    float ref[30], p[30];
    aml_error err;
    cr_assert_eq(aml_model_predict(m, f, NULL, 30, ref, &err), 0, "%s", err.text);
    /* other column order, an extra column, the target absent: the same */
    aml_frame *g;
    cr_assert_eq(aml_frame_new(&g), 0);
    const char *extra[30], *cs[30], *as[30], *bs[30];
    char abuf[30][32], bbuf[30][32];
    for (size_t i = 0; i < 30; i++) {
        extra[i] = "zzz";
        cs[i] = aml_frame_get_string(f, 2, i);
        aml_frame_cell_str(f, 0, i, abuf[i], sizeof abuf[i]);
        aml_frame_cell_str(f, 1, i, bbuf[i], sizeof bbuf[i]);
        as[i] = abuf[i];
        bs[i] = bbuf[i];
    }
    cr_assert_eq(aml_frame_add_strings(g, "extra", AML_TYPE_TEXT, extra, 30, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(g, "c", AML_TYPE_TEXT, cs, 30, NULL, NULL), 0);
    /* a: numbers read as text; b: as categories */
    cr_assert_eq(aml_frame_add_strings(g, "a", AML_TYPE_TEXT, as, 30, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(g, "b", AML_TYPE_CATEGORICAL, bs, 30, NULL, NULL), 0);
    cr_assert_eq(aml_model_predict(m, g, NULL, 30, p, &err), 0, "%s", err.text);
    for (size_t i = 0; i < 30; i++)
        cr_assert_float_eq(p[i], ref[i], 1e-6, "row %zu: %g vs %g", i, p[i], ref[i]);
    aml_frame *copy = NULL;
    cr_assert_eq(aml_model_conform(m, g, &copy, &err), 0);
    cr_assert_not_null(copy, "the retyped columns need a copy");
    cr_assert_eq(aml_frame_col_type(copy, (size_t)aml_frame_col_index(copy, "a")), AML_TYPE_NUMBER);
    aml_frame_free(copy);
    cr_assert_eq(aml_model_conform(m, f, &copy, &err), 0);
    cr_assert_null(copy, "a frame that fits is used as it is");
    /* a missing column: named */
    aml_frame *h;
    size_t cols[2] = {0, 2};
    cr_assert_eq(aml_frame_select(f, cols, 2, &h), 0);
    cr_assert_eq(aml_model_predict(m, h, NULL, 30, p, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "'b'"), "%s", err.text);
    cr_assert_str_eq(err.source, "b");
    aml_frame_free(h);
    aml_frame_free(g);
    aml_frame_free(f);
    aml_model_free(m);
    free(b);
}

Test(model, text_and_dates_model)
{
    size_t len;
    unsigned char *b = read_fixture("text-dates-linear", &len);
    aml_model *m = load_ok(b, len);
    aml_frame *f = tiny_frame(10);
    float p[10];
    aml_error err;
    cr_assert_eq(aml_model_predict(m, f, NULL, 10, p, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "'note'") || strstr(err.text, "'day'"), "%s", err.text);
    const char *note[10], *day[10];
    for (size_t i = 0; i < 10; i++) {
        note[i] = i % 2 ? "good value" : "never seen words";
        day[i] = i % 3 ? "2024-05-06" : NULL;
    }
    cr_assert_eq(aml_frame_add_strings(f, "note", AML_TYPE_TEXT, note, 10, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "day", AML_TYPE_TEXT, day, 10, NULL, NULL), 0);
    cr_assert_eq(aml_model_predict(m, f, NULL, 10, p, &err), 0, "%s", err.text);
    for (size_t i = 0; i < 10; i++)
        cr_assert(p[i] >= 0 && p[i] <= 1);
    aml_frame_free(f);
    aml_model_free(m);
    free(b);
}
