/*
 * model_io.c — the model file format (docs/model-format.md): a model bundle
 * to bytes and back.  A header (magic "AMLM", format version, payload
 * length), the payload (task, classes, metric, target, input schema,
 * preparation pipelines, members with their learners and feature steps, the
 * description, the training info as JSON) and a CRC32 of the payload.
 *
 * Model files are untrusted input: every length and count is bounded by the
 * bytes that remain before anything is allocated, every index is checked,
 * and the members must agree with the model (task, output width) before a
 * loaded model is handed out.  Loading never crashes; it fails with one line
 * that says why.  Version 4 adds the image section: a flag, then for an
 * image model its shape, normalisation, architecture text and net.
 */
#include "model/model_internal.h"
#include "aml_nn.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define MODEL_MAGIC "AMLM"
/* 1: first; 2: a features step per member; 3: the training info (JSON);
 * 4: the image network section (an image model). */
#define MODEL_VERSION 4u
#define MODEL_MIN_VERSION 1u
#define HEADER_LEN 16u   /* magic 4, version 4, payload length 8 */
#define TRAILER_LEN 4u   /* CRC32 of the payload */

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int put_str(amlp_bytes *b, const char *s)
{
    size_t n = strlen(s);
    int rc = amlp_bytes_put_u64(b, n);
    return rc ? rc : amlp_bytes_put(b, s, n);
}

static int put_blob(amlp_bytes *b, const unsigned char *d, size_t n)
{
    int rc = amlp_bytes_put_u64(b, n);
    return rc ? rc : amlp_bytes_put(b, d, n);
}

/* The image section: 0, or 1 then c, h, w, mean[3], std[3], the
 * architecture text and the net (amlp_nn_net_save bytes) as a blob. */
static int put_image(amlp_bytes *b, const amlp_image_net *in)
{
    int rc = amlp_bytes_put_u64(b, in != NULL);
    if (rc || !in)
        return rc;
    rc = amlp_bytes_put_u64(b, (uint64_t)in->c);
    rc = rc ? rc : amlp_bytes_put_u64(b, (uint64_t)in->h);
    rc = rc ? rc : amlp_bytes_put_u64(b, (uint64_t)in->w);
    for (int k = 0; rc == 0 && k < 3; k++)
        rc = amlp_bytes_put_f64(b, in->mean[k]);
    for (int k = 0; rc == 0 && k < 3; k++)
        rc = amlp_bytes_put_f64(b, in->std[k]);
    rc = rc ? rc : put_str(b, in->arch);
    amlp_bytes net = {0};
    rc = rc ? rc : amlp_nn_net_save(in->net, &net);
    rc = rc ? rc : put_blob(b, net.data, net.len);
    amlp_free(net.data);
    return rc;
}

uint32_t aml_model_format_version(void)
{
    return MODEL_VERSION;
}

int aml_model_save_ex(const aml_model *m, const char *extra_info, unsigned char **bytes,
                      size_t *len, aml_error *err)
{
    if (!m || !bytes || !len)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model and outputs are required");
    *bytes = NULL;
    *len = 0;
    char *info = NULL;
    int rc = amlp_model_info_merged(m, extra_info, &info, err);
    if (rc)
        return rc;
    amlp_bytes b = {0};
    unsigned char head[HEADER_LEN];
    memcpy(head, MODEL_MAGIC, 4);
    put_le(head + 4, MODEL_VERSION, 4);
    put_le(head + 8, 0, 8);   /* payload length, patched below */
    rc = amlp_bytes_put(&b, head, sizeof head);
    size_t start = b.len;
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)m->task);
    rc = rc ? rc : amlp_bytes_put_u64(&b, m->n_classes);
    for (size_t k = 0; rc == 0 && k < m->n_classes; k++)
        rc = put_str(&b, m->class_names && m->class_names[k] ? m->class_names[k] : "");
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)m->metric);
    rc = rc ? rc : put_str(&b, m->target);
    rc = rc ? rc : amlp_bytes_put_u64(&b, m->n_inputs);
    for (size_t i = 0; rc == 0 && i < m->n_inputs; i++) {
        rc = put_str(&b, m->input_names[i]);
        rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)m->input_types[i]);
    }
    rc = rc ? rc : amlp_bytes_put_u64(&b, m->n_preps);
    for (size_t i = 0; rc == 0 && i < m->n_preps; i++) {
        unsigned char *d = NULL;
        size_t n = 0;
        rc = aml_prep_save(m->preps[i], &d, &n, err);
        rc = rc ? rc : put_blob(&b, d, n);
        aml_free(d);
    }
    rc = rc ? rc : amlp_bytes_put_u64(&b, m->n_members);
    for (size_t i = 0; rc == 0 && i < m->n_members; i++) {
        const amlp_member *e = &m->members[i];
        rc = put_str(&b, e->kind);
        rc = rc ? rc : put_str(&b, e->params);
        rc = rc ? rc : amlp_bytes_put_f64(&b, e->weight);
        rc = rc ? rc : amlp_bytes_put_u64(&b, e->prep);
        unsigned char *d = NULL;
        size_t n = 0;
        rc = rc ? rc : aml_learner_save(e->learner, &d, &n, err);
        rc = rc ? rc : put_blob(&b, d, n);
        aml_free(d);
        d = NULL;
        n = 0;
        rc = rc ? rc : amlp_bytes_put_u64(&b, e->features != NULL);
        if (rc == 0 && e->features) {
            rc = aml_features_save(e->features, &d, &n, err);
            rc = rc ? rc : put_blob(&b, d, n);
            aml_free(d);
        }
    }
    rc = rc ? rc : put_str(&b, m->describe ? m->describe : "");
    rc = rc ? rc : put_str(&b, info);
    rc = rc ? rc : put_image(&b, m->image);
    amlp_free(info);
    if (rc == 0 && b.len - start > 0xffffffffu)   /* crc32() takes a 32-bit length */
        rc = aml_error_set(err, AML_ERANGE, 0, 0, "", "the model is too large to save (%zu bytes)",
                           b.len - start);
    if (rc == 0) {
        uint64_t plen = b.len - start;
        put_le(b.data + 8, plen, 8);
        unsigned char crc[TRAILER_LEN];
        put_le(crc, (uint32_t)crc32(0L, b.data + start, (uInt)plen), 4);
        rc = amlp_bytes_put(&b, crc, sizeof crc);
    }
    if (rc) {
        amlp_free(b.data);
        if (err && err->code == 0)
            aml_error_set(err, rc, 0, 0, "", "saving the model: %s", aml_strerror(rc));
        return rc;
    }
    *bytes = b.data;
    *len = b.len;
    return 0;
}

int aml_model_save(const aml_model *m, unsigned char **bytes, size_t *len, aml_error *err)
{
    return aml_model_save_ex(m, NULL, bytes, len, err);
}

/* ---- loading ---- */

/* Why a load failed, for the one-line message. */
typedef struct why {
    char text[200];
} why;

static int bad(why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(why *w, const char *fmt, ...)
{
    if (!w->text[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->text, sizeof w->text, fmt, ap);
        va_end(ap);
    }
    return AML_EPARSE;
}

static size_t left(const amlp_reader *r)
{
    return r->len - r->pos;
}

static int get_str(amlp_reader *r, char **out, why *w, const char *what)
{
    uint64_t n;
    if (amlp_read_u64(r, &n) || n > left(r))
        return bad(w, "%s: length past the end of the data", what);
    char *s = amlp_malloc((size_t)n + 1);
    if (!s)
        return AML_ENOMEM;
    memcpy(s, r->data + r->pos, (size_t)n);
    s[n] = 0;
    if (memchr(s, 0, (size_t)n)) {
        amlp_free(s);
        return bad(w, "%s: a NUL byte inside a string", what);
    }
    r->pos += (size_t)n;
    *out = s;
    return 0;
}

static int get_blob(amlp_reader *r, const unsigned char **d, size_t *n, why *w, const char *what)
{
    uint64_t len;
    if (amlp_read_u64(r, &len) || len > left(r))
        return bad(w, "%s: length past the end of the data", what);
    *d = r->data + r->pos;
    *n = (size_t)len;
    r->pos += (size_t)len;
    return 0;
}

/* A count of entries of at least `min_entry` bytes each: bounded by the
 * bytes remaining, so a forged count cannot ask for a huge allocation. */
static int get_count(amlp_reader *r, size_t min_entry, uint64_t *n, why *w, const char *what)
{
    if (amlp_read_u64(r, n))
        return bad(w, "%s: count past the end of the data", what);
    if (*n > left(r) / min_entry)
        return bad(w, "%s: count %llu is larger than the data can hold", what,
                   (unsigned long long)*n);
    return 0;
}

/* The learner's output must fit the model's prediction width. */
static int check_member(const aml_model *m, const aml_learner *l, double w, why *e, size_t i)
{
    if (!isfinite(w) || w < 0 || w > 1e6)
        return bad(e, "member %zu: weight %g is not a weight", i + 1, w);
    const char *kind = aml_learner_kind(l);
    if (aml_learner_task(l) != m->task)
        return bad(e, "member %zu (%s) is a %s learner in a %s model", i + 1, kind,
                   aml_task_name(aml_learner_task(l)), aml_task_name(m->task));
    if (m->task == AML_TASK_MULTICLASS && aml_learner_n_classes(l) != m->n_classes)
        return bad(e, "member %zu (%s) predicts %zu classes, the model has %zu", i + 1,
                   kind, aml_learner_n_classes(l), m->n_classes);
    return 0;
}

/* The image section's net, read from its blob: every byte used. */
static int get_image_net(amlp_reader *r, amlp_nn_net **net, why *w)
{
    const unsigned char *d = NULL;
    size_t len = 0;
    if (get_blob(r, &d, &len, w, "image network"))
        return AML_EPARSE;
    amlp_reader nr = {d, len, 0};
    int rc = amlp_nn_net_load(&nr, net);
    if (rc == AML_ENOMEM)
        return rc;
    if (rc == 0 && nr.pos != nr.len) {
        amlp_nn_net_free(*net);
        *net = NULL;
        return bad(w, "image network: %zu unexpected bytes after its last layer",
                   nr.len - nr.pos);
    }
    return rc ? bad(w, "image network: malformed layers (%s)", aml_strerror(rc)) : 0;
}

/* The image section (version 4): a flag, then shape, normalisation,
 * architecture and net, each checked before the model takes them. */
static int get_image(amlp_reader *r, aml_model *m, why *w)
{
    uint64_t has = 0, shape[3] = {0, 0, 0};
    if (amlp_read_u64(r, &has) || has > 1)
        return bad(w, "bad image-section flag");
    if (!has)
        return 0;
    double mean[3], sd[3];
    for (int k = 0; k < 3; k++)
        if (amlp_read_u64(r, &shape[k]))
            return bad(w, "image shape: past the end of the data");
    for (int k = 0; k < 6; k++)
        if (amlp_read_f64(r, k < 3 ? &mean[k] : &sd[k - 3]))
            return bad(w, "image normalisation: past the end of the data");
    if ((shape[0] != 1 && shape[0] != 3) || shape[1] < 1 || shape[2] < 1 ||
        shape[1] > AMLP_MODEL_MAX_IMAGE_SIDE || shape[2] > AMLP_MODEL_MAX_IMAGE_SIDE)
        return bad(w, "image shape %llux%llux%llu is not an image shape",
                   (unsigned long long)shape[0], (unsigned long long)shape[1],
                   (unsigned long long)shape[2]);
    float fm[3], fs[3];
    for (int k = 0; k < 3; k++) {
        bool fits = fabs(mean[k]) < 1e6 && sd[k] > 1e-9 && sd[k] < 1e6;
        if (!fits)
            return bad(w, "image normalisation of channel %d: mean %g, std %g", k, mean[k],
                       sd[k]);
        fm[k] = (float)mean[k];
        fs[k] = (float)sd[k];
    }
    char *arch = NULL;
    amlp_nn_net *net = NULL;
    int rc = get_str(r, &arch, w, "image architecture");
    rc = rc ? rc : get_image_net(r, &net, w);
    char reason[200];
    if (rc == 0 && amlp_model_check_image_net(m, net, (int)shape[0], (int)shape[1],
                                              (int)shape[2], fm, fs, reason, sizeof reason)) {
        rc = bad(w, "image network: %s", reason);
    }
    if (rc == 0) {
        rc = amlp_model_set_image_net(m, net, (int)shape[0], (int)shape[1], (int)shape[2], fm,
                                      fs, arch);
        net = NULL;
    }
    amlp_nn_net_free(net);
    amlp_free(arch);
    return rc;
}

static int parse_body(amlp_reader *r, uint32_t ver, aml_model **out, why *w, aml_error *err)
{
    uint64_t task, nc, metric, n;
    if (amlp_read_u64(r, &task) || task > AML_TASK_REGRESSION)
        return bad(w, "unknown task");
    if (get_count(r, 8, &nc, w, "classes"))
        return AML_EPARSE;
    if ((task == AML_TASK_BINARY && nc != 2) || (task == AML_TASK_MULTICLASS && nc < 2) ||
        (task == AML_TASK_REGRESSION && nc != 0))
        return bad(w, "%llu classes for a %s task", (unsigned long long)nc,
                   aml_task_name((aml_task)task));
    aml_model *m = amlp_model_new((aml_task)task, (size_t)nc, AML_METRIC_AUTO, "");
    if (!m)
        return AML_ENOMEM;
    int rc = 0;
    if (nc) {
        m->class_names = amlp_calloc((size_t)nc, sizeof *m->class_names);
        rc = m->class_names ? 0 : AML_ENOMEM;
    }
    for (size_t k = 0; rc == 0 && k < nc; k++)
        rc = get_str(r, &m->class_names[k], w, "class name");
    if (rc == 0 && (amlp_read_u64(r, &metric) || metric >= AML_METRIC_COUNT_))
        rc = bad(w, "unknown metric");
    if (rc == 0)
        m->metric = (aml_metric)metric;
    if (rc == 0) {
        amlp_free(m->target);
        m->target = NULL;
        rc = get_str(r, &m->target, w, "target");
    }
    rc = rc ? rc : get_count(r, 16, &n, w, "inputs");
    if (rc == 0) {
        m->input_names = amlp_calloc(n ? (size_t)n : 1, sizeof *m->input_names);
        m->input_types = amlp_calloc(n ? (size_t)n : 1, sizeof *m->input_types);
        rc = m->input_names && m->input_types ? 0 : AML_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t t;
        rc = get_str(r, &m->input_names[i], w, "input name");
        m->n_inputs += rc == 0;
        if (rc == 0 && (amlp_read_u64(r, &t) || t >= AML_TYPE_COUNT_))
            rc = bad(w, "input '%s': unknown column type", m->input_names[i]);
        if (rc == 0)
            m->input_types[i] = (aml_type)t;
    }
    rc = rc ? rc : get_count(r, 8, &n, w, "preparations");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const unsigned char *d = NULL;
        size_t len = 0;
        aml_prep *p = NULL;
        rc = get_blob(r, &d, &len, w, "preparation");
        if (rc == 0 && (rc = aml_prep_load(d, len, &p, err)) != 0 && rc != AML_ENOMEM)
            rc = bad(w, "preparation %zu: %s", i + 1, err && err->text[0] ? err->text
                                                                           : aml_strerror(rc));
        if (rc == 0) {
            int idx = amlp_model_add_prep(m, p);
            rc = idx < 0 ? idx : 0;
        }
    }
    rc = rc ? rc : get_count(r, 40, &n, w, "members");
    if (rc == 0 && n == 0 && ver < 4)   /* from 4 an image model has none */
        rc = bad(w, "the model has no members");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *kind = NULL, *params = NULL;
        double wt = 0;
        uint64_t prep = 0, has_f = 0;
        const unsigned char *d = NULL;
        size_t len = 0;
        aml_learner *l = NULL;
        aml_features *fe = NULL;
        rc = get_str(r, &kind, w, "member kind");
        rc = rc ? rc : get_str(r, &params, w, "member parameters");
        if (rc == 0 && (amlp_read_f64(r, &wt) || amlp_read_u64(r, &prep)))
            rc = bad(w, "member %zu: past the end of the data", i + 1);
        if (rc == 0 && prep >= m->n_preps)
            rc = bad(w, "member %zu: preparation %llu of %zu", i + 1, (unsigned long long)prep,
                     m->n_preps);
        rc = rc ? rc : get_blob(r, &d, &len, w, "learner");
        if (rc == 0) {
            char xwhy[160];
            int xrc = amlp_model_check_learner(d, len, m->task, m->n_classes, xwhy,
                                               sizeof xwhy);
            if (xrc)
                rc = xrc == AML_ENOMEM ? xrc : bad(w, "member %zu (%s): %s", i + 1, kind, xwhy);
        }
        if (rc == 0 && (rc = aml_learner_load(d, len, &l, err)) != 0 && rc != AML_ENOMEM)
            rc = bad(w, "member %zu (%s): %s", i + 1, kind,
                     err && err->text[0] ? err->text : aml_strerror(rc));
        rc = rc ? rc : check_member(m, l, wt, w, i);
        if (rc == 0 && ver >= 2) {
            if (amlp_read_u64(r, &has_f) || has_f > 1)
                rc = bad(w, "member %zu: bad feature-step flag", i + 1);
            if (rc == 0 && has_f) {
                const unsigned char *fd = NULL;
                size_t flen = 0;
                rc = get_blob(r, &fd, &flen, w, "feature step");
                if (rc == 0 && (rc = aml_features_load(fd, flen, &fe, err)) != 0 &&
                    rc != AML_ENOMEM)
                    rc = bad(w, "member %zu: feature step: %s", i + 1,
                             err && err->text[0] ? err->text : aml_strerror(rc));
            }
        }
        if (rc == 0) {
            size_t want = fe ? aml_features_n_out(fe) : aml_prep_n_features(m->preps[prep]);
            if (aml_learner_n_features(l) != want)
                rc = bad(w, "member %zu (%s) reads %zu features, its preparation gives %zu",
                         i + 1, kind, aml_learner_n_features(l), want);
        }
        if (rc == 0) {
            int idx = amlp_model_add_member(m, kind, params, wt, (size_t)prep, l);
            l = NULL;
            rc = idx < 0 ? idx : amlp_model_set_features(m, (size_t)idx, fe);
            fe = NULL;
        }
        aml_learner_free(l);
        aml_features_free(fe);
        amlp_free(kind);
        amlp_free(params);
    }
    rc = rc ? rc : get_str(r, &m->describe, w, "description");
    if (rc == 0 && ver >= 3) {
        char *info = NULL;
        rc = get_str(r, &info, w, "training info");
        if (rc == 0) {
            aml_error ie;
            memset(&ie, 0, sizeof ie);
            rc = aml_model_set_info(m, info, &ie);
            if (rc && rc != AML_ENOMEM)
                rc = bad(w, "training info: %s", ie.text);
        }
        amlp_free(info);
    }
    if (rc == 0 && ver >= 4)
        rc = get_image(r, m, w);
    if (rc == 0 && !m->image && m->n_members == 0)
        rc = bad(w, "the model has no members");
    if (rc == 0 && m->image && (m->n_members || m->n_preps || m->n_inputs))
        rc = bad(w, "an image model with table members, preparations or inputs");
    if (rc == 0 && r->pos != r->len)
        rc = bad(w, "%zu unexpected bytes after the last section", left(r));
    if (rc) {
        aml_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* What a foreign file looks like, for the message. */
static const char *sniff(const unsigned char *b, size_t len)
{
    static const struct {
        const char *magic;
        size_t n;
        const char *what;
    } known[] = {
        {"\x89PNG", 4, "a PNG image"},       {"\xff\xd8\xff", 3, "a JPEG image"},
        {"\x1f\x8b", 2, "a gzip file"},       {"PK\x03\x04", 4, "a ZIP archive"},
        {"%PDF", 4, "a PDF document"},        {"\x7f" "ELF", 4, "a program (ELF)"},
        {"BZh", 3, "a bzip2 file"},           {"\xfd" "7zXZ", 5, "an xz file"},
        {"\x80\x04\x95", 3, "a Python pickle"}, {"{", 1, "a JSON document"},
        {"[", 1, "a JSON document"},
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (len >= known[i].n && memcmp(b, known[i].magic, known[i].n) == 0)
            return known[i].what;
    size_t n = len < 512 ? len : 512, text = 0;
    bool comma = false;
    for (size_t i = 0; i < n; i++) {
        text += b[i] >= 0x20 || b[i] == '\n' || b[i] == '\r' || b[i] == '\t' || b[i] >= 0x80;
        comma |= b[i] == ',' || b[i] == ';' || b[i] == '\t';
    }
    if (n && text == n)
        return comma ? "text (a CSV file?)" : "text";
    return NULL;
}

int aml_model_load(const unsigned char *bytes, size_t len, aml_model **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no output pointer");
    *out = NULL;
    if (!bytes || len == 0)
        return aml_error_set(err, AML_EPARSE, 0, 0, "", "empty file: not an AutoML model");
    if (len < 4 || memcmp(bytes, MODEL_MAGIC, 4) != 0) {
        if (len < 4 && memcmp(bytes, MODEL_MAGIC, len) == 0)
            return aml_error_set(err, AML_EPARSE, 0, 0, "",
                                 "truncated model file (%zu bytes, the header alone is %u)",
                                 len, HEADER_LEN);
        const char *what = sniff(bytes, len);
        if (what)
            return aml_error_set(err, AML_EPARSE, 0, 0, "",
                                 "not an AutoML model file: it looks like %s", what);
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "not an AutoML model file (it does not start with AMLM)");
    }
    if (len < HEADER_LEN + TRAILER_LEN && len < 8)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "truncated model file (%zu bytes, the header alone is %u)", len,
                             HEADER_LEN);
    uint32_t ver = (uint32_t)get_le(bytes + 4, 4);
    if (ver > MODEL_VERSION)
        return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, "",
                             "model file format version %u is newer than this engine reads "
                             "(up to %u): load it with a newer AutoML kernel",
                             ver, MODEL_VERSION);
    if (ver < MODEL_MIN_VERSION)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "damaged model file (format version %u does not exist)", ver);
    if (len < HEADER_LEN + TRAILER_LEN)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "truncated model file (%zu bytes, the header alone is %u)", len,
                             HEADER_LEN);
    uint64_t plen = get_le(bytes + 8, 8);
    size_t have = len - HEADER_LEN - TRAILER_LEN;
    if (plen > have)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "truncated model file (%zu bytes, the header says %llu)", len,
                             (unsigned long long)plen + HEADER_LEN + TRAILER_LEN);
    if (plen < have)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "damaged model file (%zu unexpected bytes after its end)",
                             (size_t)(have - plen));
    if (plen > 0xffffffffu)
        return aml_error_set(err, AML_EPARSE, 0, 0, "", "damaged model file (payload too large)");
    uint32_t crc = (uint32_t)get_le(bytes + HEADER_LEN + plen, 4);
    if ((uint32_t)crc32(0L, bytes + HEADER_LEN, (uInt)plen) != crc)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "damaged model file (checksum mismatch: the file was changed or "
                             "corrupted)");
    amlp_reader r = {bytes + HEADER_LEN, (size_t)plen, 0};
    aml_error e2;
    memset(&e2, 0, sizeof e2);
    why w;
    w.text[0] = 0;
    int rc = parse_body(&r, ver, out, &w, &e2);
    if (rc == AML_ENOMEM)
        return aml_error_set(err, rc, 0, 0, "", "out of memory loading the model");
    if (rc) {
        /* the reason may quote names from the file: one line, printable */
        char *t = w.text[0] ? w.text : e2.text;
        for (char *c = t; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        return aml_error_set(err, AML_EPARSE, 0, 0, "", "damaged model file: %s",
                             t[0] ? t : aml_strerror(rc));
    }
    return 0;
}
