/*
 * model.c — the fitted model bundle (aml_model): preparation pipelines,
 * learners with ensemble weights, class names, task, metric and the input
 * schema; prediction from raw frame rows; saving to versioned bytes with a
 * CRC32 and loading them back.
 */
#include "search_internal.h"
#include "learn_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define MODEL_MAGIC "AMLM"
#define MODEL_VERSION 2u   /* 2: a features step per member */

aml_model *amlp_model_new(aml_task task, size_t n_classes, aml_metric metric, const char *target)
{
    aml_model *m = amlp_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->task = task;
    m->n_classes = task == AML_TASK_REGRESSION ? 0 : n_classes;
    m->metric = metric;
    m->target = amlp_strdup(target ? target : "");
    if (!m->target) {
        amlp_free(m);
        return NULL;
    }
    return m;
}

void aml_model_free(aml_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_classes && m->class_names; i++)
        amlp_free(m->class_names[i]);
    amlp_free(m->class_names);
    for (size_t i = 0; i < m->n_inputs; i++)
        amlp_free(m->input_names[i]);
    amlp_free(m->input_names);
    amlp_free(m->input_types);
    for (size_t i = 0; i < m->n_preps; i++)
        aml_prep_free(m->preps[i]);
    amlp_free(m->preps);
    for (size_t i = 0; i < m->n_members; i++) {
        amlp_free(m->members[i].kind);
        amlp_free(m->members[i].params);
        aml_learner_free(m->members[i].learner);
        aml_features_free(m->members[i].features);
    }
    amlp_free(m->members);
    amlp_free(m->target);
    amlp_free(m->describe);
    amlp_free(m);
}

int amlp_model_add_prep(aml_model *m, aml_prep *prep)
{
    aml_prep **p = amlp_realloc(m->preps, (m->n_preps + 1) * sizeof *p);
    if (!p) {
        aml_prep_free(prep);
        return AML_ENOMEM;
    }
    m->preps = p;
    p[m->n_preps] = prep;
    return (int)m->n_preps++;
}

int amlp_model_add_member(aml_model *m, const char *kind, const char *params, double weight,
                          size_t prep, aml_learner *learner)
{
    amlp_member *p = amlp_realloc(m->members, (m->n_members + 1) * sizeof *p);
    if (!p) {
        aml_learner_free(learner);
        return AML_ENOMEM;
    }
    m->members = p;
    amlp_member *e = &p[m->n_members];
    e->kind = amlp_strdup(kind);
    e->params = amlp_strdup(params ? params : "");
    e->weight = weight;
    e->prep = prep;
    e->learner = learner;
    e->features = NULL;
    m->n_members++;
    if (!e->kind || !e->params)
        return AML_ENOMEM;
    return (int)m->n_members - 1;
}

int amlp_model_set_features(aml_model *m, size_t i, aml_features *f)
{
    if (i >= m->n_members) {
        aml_features_free(f);
        return AML_EINVAL;
    }
    aml_features_free(m->members[i].features);
    m->members[i].features = f;
    return 0;
}

int amlp_model_set_classes(aml_model *m, const aml_prep *prep)
{
    if (m->task == AML_TASK_REGRESSION)
        return 0;
    m->class_names = amlp_calloc(m->n_classes, sizeof *m->class_names);
    if (!m->class_names)
        return AML_ENOMEM;
    for (size_t k = 0; k < m->n_classes; k++) {
        const char *c = aml_prep_class_name(prep, k);
        m->class_names[k] = amlp_strdup(c ? c : "");
        if (!m->class_names[k])
            return AML_ENOMEM;
    }
    return 0;
}

int amlp_model_set_inputs(aml_model *m, const aml_frame *frame, const char *const *cols, size_t n)
{
    m->input_names = amlp_calloc(n ? n : 1, sizeof *m->input_names);
    m->input_types = amlp_calloc(n ? n : 1, sizeof *m->input_types);
    if (!m->input_names || !m->input_types)
        return AML_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        m->input_names[i] = amlp_strdup(cols[i]);
        if (!m->input_names[i])
            return AML_ENOMEM;
        m->input_types[i] = aml_frame_col_type(frame, (size_t)aml_frame_col_index(frame, cols[i]));
        m->n_inputs++;
    }
    return 0;
}

/* Appends printf text to a growing string. */
__attribute__((format(printf, 2, 3))) static int sbuf_add(amlp_bytes *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return AML_EINTERNAL;
    return amlp_bytes_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

int amlp_model_finish(aml_model *m, const char *extra)
{
    amlp_bytes b = {0};
    int rc = 0;
    if (m->n_preps) {
        char *d = NULL;
        rc = aml_prep_describe(m->preps[0], &d);
        if (rc == 0 && d) {
            rc = amlp_bytes_put(&b, d, strlen(d));
            rc = rc ? rc : sbuf_add(&b, "\n");
        }
        aml_free(d);
    }
    for (size_t i = 0; rc == 0 && i < m->n_members; i++) {
        if (!m->members[i].features)
            continue;
        char *d = NULL;
        rc = aml_features_describe(m->members[i].features, &d);
        if (rc == 0)
            rc = sbuf_add(&b, "Feature engineering kept for %s: ", m->members[i].kind);
        if (rc == 0 && d)
            rc = amlp_bytes_put(&b, d, strlen(d));
        rc = rc ? rc : sbuf_add(&b, "\n");
        aml_free(d);
    }
    if (rc == 0 && extra && *extra) {
        rc = amlp_bytes_put(&b, extra, strlen(extra));
        rc = rc ? rc : sbuf_add(&b, "\n");
    }
    if (rc == 0 && m->n_members == 1)
        rc = sbuf_add(&b, "Model: %s (%s).", m->members[0].kind, m->members[0].params);
    else if (rc == 0) {
        rc = sbuf_add(&b, "Ensemble of %zu models (greedy selection over out-of-fold "
                          "predictions):", m->n_members);
        for (size_t i = 0; rc == 0 && i < m->n_members; i++)
            rc = sbuf_add(&b, "%s %s (%s) weight %.2f", i ? ";" : "", m->members[i].kind,
                          m->members[i].params, m->members[i].weight);
        rc = rc ? rc : sbuf_add(&b, ".");
    }
    rc = rc ? rc : amlp_bytes_put(&b, "", 1);
    if (rc) {
        amlp_free(b.data);
        return rc;
    }
    amlp_free(m->describe);
    m->describe = (char *)b.data;
    return 0;
}

/* ---- accessors ---- */

aml_task aml_model_task(const aml_model *m) { return m->task; }
size_t aml_model_n_classes(const aml_model *m) { return m->n_classes; }
const char *aml_model_class_name(const aml_model *m, size_t k)
{
    return k < m->n_classes && m->class_names ? m->class_names[k] : NULL;
}
aml_metric aml_model_metric(const aml_model *m) { return m->metric; }
const char *aml_model_target(const aml_model *m) { return m->target; }
size_t aml_model_pred_width(const aml_model *m)
{
    return m->task == AML_TASK_MULTICLASS ? m->n_classes : 1;
}
size_t aml_model_n_inputs(const aml_model *m) { return m->n_inputs; }
const char *aml_model_input_name(const aml_model *m, size_t i)
{
    return i < m->n_inputs ? m->input_names[i] : NULL;
}
aml_type aml_model_input_type(const aml_model *m, size_t i)
{
    return i < m->n_inputs ? m->input_types[i] : AML_TYPE_COUNT_;
}
size_t aml_model_n_members(const aml_model *m) { return m->n_members; }
const char *aml_model_member_kind(const aml_model *m, size_t i)
{
    return i < m->n_members ? m->members[i].kind : NULL;
}
const char *aml_model_member_params(const aml_model *m, size_t i)
{
    return i < m->n_members ? m->members[i].params : NULL;
}
double aml_model_member_weight(const aml_model *m, size_t i)
{
    return i < m->n_members ? m->members[i].weight : NAN;
}
const aml_learner *aml_model_member_learner(const aml_model *m, size_t i)
{
    return i < m->n_members ? m->members[i].learner : NULL;
}
const aml_prep *aml_model_member_prep(const aml_model *m, size_t i)
{
    return i < m->n_members ? m->preps[m->members[i].prep] : NULL;
}
const aml_features *aml_model_member_features(const aml_model *m, size_t i)
{
    return i < m->n_members ? m->members[i].features : NULL;
}
const char *aml_model_describe(const aml_model *m) { return m->describe ? m->describe : ""; }

/* ---- prediction ---- */

int aml_model_predict(const aml_model *m, const aml_frame *frame, const size_t *rows, size_t n,
                      float *out, aml_error *err)
{
    if (!m || !frame || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model, frame and output are required");
    if (!rows)
        n = aml_frame_nrows(frame);
    if (m->n_members == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the model has no members");
    size_t w = aml_model_pred_width(m);
    float *tmp = amlp_malloc((n ? n : 1) * w * sizeof *tmp);
    if (!tmp)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory predicting");
    memset(out, 0, n * w * sizeof *out);
    int rc = 0;
    double wsum = 0;
    for (size_t p = 0; rc == 0 && p < m->n_preps; p++) {
        bool used = false;
        for (size_t i = 0; i < m->n_members; i++)
            used |= m->members[i].prep == p;
        if (!used)
            continue;
        aml_matrix *X = NULL;
        rc = aml_prep_transform(m->preps[p], frame, rows, n, &X, NULL, err);
        for (size_t i = 0; rc == 0 && i < m->n_members; i++) {
            const amlp_member *e = &m->members[i];
            if (e->prep != p || e->weight <= 0)
                continue;
            aml_matrix *Xf = NULL;
            if (e->features)
                rc = aml_features_apply(e->features, X, &Xf, err);
            rc = rc ? rc : aml_learner_predict(e->learner, Xf ? Xf : X, tmp, err);
            aml_matrix_free(Xf);
            for (size_t j = 0; rc == 0 && j < n * w; j++)
                out[j] += (float)(e->weight * tmp[j]);
            wsum += e->weight;
        }
        aml_matrix_free(X);
    }
    amlp_free(tmp);
    if (rc == 0 && wsum > 0 && fabs(wsum - 1.0) > 1e-9)
        for (size_t j = 0; j < n * w; j++)
            out[j] = (float)(out[j] / wsum);
    return rc;
}

int aml_model_predict_labels(const aml_model *m, const float *pred, size_t n, size_t *labels,
                             aml_error *err)
{
    if (m->task == AML_TASK_REGRESSION)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "a regression model has no labels");
    size_t k = m->n_classes;
    for (size_t i = 0; i < n; i++) {
        if (m->task == AML_TASK_BINARY) {
            labels[i] = pred[i] >= 0.5f;
            continue;
        }
        size_t b = 0;
        for (size_t c = 1; c < k; c++)
            if (pred[i * k + c] > pred[i * k + b])
                b = c;
        labels[i] = b;
    }
    return 0;
}

/* ---- bytes ---- */

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

int aml_model_save(const aml_model *m, unsigned char **bytes, size_t *len, aml_error *err)
{
    amlp_bytes b = {0};
    int rc = amlp_bytes_put(&b, MODEL_MAGIC, 4);
    uint32_t ver = MODEL_VERSION;
    rc = rc ? rc : amlp_bytes_put(&b, &ver, 4);
    rc = rc ? rc : amlp_bytes_put_u64(&b, 0);   /* payload length, patched below */
    size_t start = b.len;
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)m->task);
    rc = rc ? rc : amlp_bytes_put_u64(&b, m->n_classes);
    for (size_t k = 0; rc == 0 && k < m->n_classes; k++)
        rc = put_str(&b, m->class_names[k]);
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
    if (rc == 0) {
        uint64_t plen = b.len - start;
        memcpy(b.data + 8, &plen, 8);
        uint32_t crc = (uint32_t)crc32(0L, b.data + start, (uInt)plen);
        rc = amlp_bytes_put(&b, &crc, 4);
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

static int get_str(amlp_reader *r, char **out)
{
    uint64_t n;
    if (amlp_read_u64(r, &n) || n > r->len - r->pos)
        return AML_EPARSE;
    char *s = amlp_malloc(n + 1);
    if (!s)
        return AML_ENOMEM;
    memcpy(s, r->data + r->pos, n);
    s[n] = 0;
    r->pos += n;
    *out = s;
    return 0;
}

static int get_blob(amlp_reader *r, const unsigned char **d, size_t *n)
{
    uint64_t len;
    if (amlp_read_u64(r, &len) || len > r->len - r->pos)
        return AML_EPARSE;
    *d = r->data + r->pos;
    *n = len;
    r->pos += len;
    return 0;
}

static int parse_body(amlp_reader *r, uint32_t ver, aml_model **out, aml_error *err)
{
    uint64_t task, nc, metric, n;
    if (amlp_read_u64(r, &task) || task > AML_TASK_REGRESSION || amlp_read_u64(r, &nc) ||
        nc > 1000000)
        return AML_EPARSE;
    aml_model *m = amlp_model_new((aml_task)task, nc, AML_METRIC_AUTO, "");
    if (!m)
        return AML_ENOMEM;
    int rc = 0;
    m->n_classes = nc;
    if (nc) {
        m->class_names = amlp_calloc(nc, sizeof *m->class_names);
        rc = m->class_names ? 0 : AML_ENOMEM;
    }
    for (size_t k = 0; rc == 0 && k < nc; k++)
        rc = get_str(r, &m->class_names[k]);
    rc = rc ? rc : amlp_read_u64(r, &metric);
    if (rc == 0 && metric >= AML_METRIC_COUNT_)
        rc = AML_EPARSE;
    m->metric = (aml_metric)metric;
    if (rc == 0) {
        amlp_free(m->target);
        m->target = NULL;
        rc = get_str(r, &m->target);
    }
    rc = rc ? rc : amlp_read_u64(r, &n);
    if (rc == 0 && n > r->len)
        rc = AML_EPARSE;
    if (rc == 0) {
        m->input_names = amlp_calloc(n ? n : 1, sizeof *m->input_names);
        m->input_types = amlp_calloc(n ? n : 1, sizeof *m->input_types);
        rc = m->input_names && m->input_types ? 0 : AML_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t t;
        rc = get_str(r, &m->input_names[i]);
        m->n_inputs += rc == 0;
        rc = rc ? rc : amlp_read_u64(r, &t);
        m->input_types[i] = (aml_type)t;
    }
    rc = rc ? rc : amlp_read_u64(r, &n);
    if (rc == 0 && n > r->len)
        rc = AML_EPARSE;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const unsigned char *d;
        size_t len;
        aml_prep *p = NULL;
        rc = get_blob(r, &d, &len);
        rc = rc ? rc : aml_prep_load(d, len, &p, err);
        if (rc == 0) {
            int idx = amlp_model_add_prep(m, p);
            rc = idx < 0 ? idx : 0;
        }
    }
    rc = rc ? rc : amlp_read_u64(r, &n);
    if (rc == 0 && n > r->len)
        rc = AML_EPARSE;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *kind = NULL, *params = NULL;
        double w;
        uint64_t prep;
        const unsigned char *d;
        size_t len;
        aml_learner *l = NULL;
        rc = get_str(r, &kind);
        rc = rc ? rc : get_str(r, &params);
        rc = rc ? rc : amlp_read_f64(r, &w);
        rc = rc ? rc : amlp_read_u64(r, &prep);
        if (rc == 0 && prep >= m->n_preps)
            rc = AML_EPARSE;
        rc = rc ? rc : get_blob(r, &d, &len);
        rc = rc ? rc : aml_learner_load(d, len, &l, err);
        aml_features *fe = NULL;
        uint64_t has_f = 0;
        if (rc == 0 && ver >= 2) {
            rc = amlp_read_u64(r, &has_f);
            if (rc == 0 && has_f > 1)
                rc = AML_EPARSE;
            if (rc == 0 && has_f) {
                const unsigned char *fd;
                size_t flen;
                rc = get_blob(r, &fd, &flen);
                rc = rc ? rc : aml_features_load(fd, flen, &fe, err);
            }
            if (rc)
                rc = rc == AML_ENOMEM ? rc : AML_EPARSE;
        }
        if (rc == 0) {
            int idx = amlp_model_add_member(m, kind, params, w, (size_t)prep, l);
            l = NULL;
            rc = idx < 0 ? idx : amlp_model_set_features(m, (size_t)idx, fe);
            fe = NULL;
        }
        aml_learner_free(l);
        aml_features_free(fe);
        amlp_free(kind);
        amlp_free(params);
    }
    rc = rc ? rc : get_str(r, &m->describe);
    if (rc) {
        aml_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int aml_model_load(const unsigned char *bytes, size_t len, aml_model **out, aml_error *err)
{
    *out = NULL;
    if (!bytes || len < 20 || memcmp(bytes, MODEL_MAGIC, 4) != 0)
        return aml_error_set(err, AML_EPARSE, 0, 0, "", "not an AutoML model file (bad magic)");
    uint32_t ver, crc;
    uint64_t plen;
    memcpy(&ver, bytes + 4, 4);
    memcpy(&plen, bytes + 8, 8);
    if (ver > MODEL_VERSION)
        return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, "",
                             "model format version %u is newer than this engine's (%u)", ver,
                             MODEL_VERSION);
    if (ver == 0 || plen != len - 20)
        return aml_error_set(err, AML_EPARSE, 0, 0, "",
                             "damaged model file (truncated or wrong length)");
    memcpy(&crc, bytes + 16 + plen, 4);
    if ((uint32_t)crc32(0L, bytes + 16, (uInt)plen) != crc)
        return aml_error_set(err, AML_EPARSE, 0, 0, "", "damaged model file (checksum mismatch)");
    amlp_reader r = {bytes + 16, (size_t)plen, 0};
    aml_error e2;
    memset(&e2, 0, sizeof e2);
    int rc = parse_body(&r, ver, out, &e2);
    if (rc == 0 && r.pos != r.len) {
        aml_model_free(*out);
        *out = NULL;
        rc = AML_EPARSE;
    }
    if (rc)
        return aml_error_set(err, rc, 0, 0, "", "damaged model file: %s",
                             e2.code ? e2.text : aml_strerror(rc));
    return 0;
}
