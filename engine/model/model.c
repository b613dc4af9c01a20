/*
 * model.c — the fitted model bundle (aml_model): preparation pipelines,
 * learners with ensemble weights, class names, task, metric and the input
 * schema; prediction from raw frame rows (columns found by name, retyped to
 * the training types when the data was read differently).  The file format
 * is in model_io.c, the training info in model_info.c.
 */
#include "aml_model.h"

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
    amlp_free(m->info);
    amlp_image_net_free(m->image);
    amlp_free(m);
}

size_t aml_model_memory_size(const aml_model *m)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (!m || aml_model_save(m, &bytes, &len, NULL) != 0)
        return 0;
    aml_free(bytes);
    for (size_t i = 0; i < m->n_preps; i++)
        len += aml_prep_memory_unsaved(m->preps[i]);
    return sizeof *m + m->n_members * sizeof *m->members + len;
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

/* True when the preparation reads a column of type `have` as it read `want`
 * at training: numbers as numbers, categories from categorical or text. */
static bool type_fits(aml_type want, aml_type have)
{
    if (want == have)
        return true;
    if ((want == AML_TYPE_NUMBER || want == AML_TYPE_INTEGER) &&
        (have == AML_TYPE_NUMBER || have == AML_TYPE_INTEGER))
        return true;
    return (want == AML_TYPE_CATEGORICAL || want == AML_TYPE_TEXT) &&
           (have == AML_TYPE_CATEGORICAL || have == AML_TYPE_TEXT);
}

static aml_type input_type(const aml_model *m, const char *name, bool *found)
{
    for (size_t i = 0; i < m->n_inputs; i++)
        if (strcmp(m->input_names[i], name) == 0) {
            *found = true;
            return m->input_types[i];
        }
    *found = false;
    return AML_TYPE_COUNT_;
}

int aml_model_required_columns(const aml_model *m, const char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t p = 0; p < m->n_preps; p++)
        cap += aml_prep_n_inputs(m->preps[p]);
    const char **v = amlp_malloc((cap + 1) * sizeof *v);
    if (!v)
        return AML_ENOMEM;
    size_t k = 0;
    for (size_t p = 0; p < m->n_preps; p++) {
        bool used = false;
        for (size_t i = 0; i < m->n_members; i++)
            used |= m->members[i].prep == p;
        for (size_t s = 0; used && s < aml_prep_n_inputs(m->preps[p]); s++) {
            const char *name = aml_prep_input_name(m->preps[p], s);
            bool dup = false;
            for (size_t j = 0; j < k && !dup; j++)
                dup = strcmp(v[j], name) == 0;
            if (!dup)
                v[k++] = name;
        }
    }
    *names = v;
    *n = k;
    return 0;
}

/* The frame to predict from: `f` itself when every column the model reads is
 * there with a type its preparation reads, else (*copy) a copy of those
 * columns retyped to the training types — a column of codes read as
 * integers, numbers read as text because of one stray value, an empty
 * column.  A missing column is AML_EINVAL naming it. */
int aml_model_conform(const aml_model *m, const aml_frame *f, aml_frame **copy, aml_error *err)
{
    *copy = NULL;
    const char **req;
    size_t n;
    if (aml_model_required_columns(m, &req, &n))
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    size_t *idx = amlp_malloc((n + 1) * sizeof *idx);
    int rc = idx ? 0 : aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    bool retype = false;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        long c = aml_frame_col_index(f, req[i]);
        if (c < 0) {
            rc = aml_error_set(err, AML_EINVAL, 0, 0, req[i],
                               "the data has no column '%s', which the model needs", req[i]);
            break;
        }
        idx[i] = (size_t)c;
        bool known;
        aml_type want = input_type(m, req[i], &known);
        retype |= known && !type_fits(want, aml_frame_col_type(f, idx[i]));
    }
    if (rc == 0 && retype) {
        rc = aml_frame_select(f, idx, n, copy);
        if (rc)
            aml_error_set(err, rc, 0, 0, "", "copying the columns to retype: %s",
                          aml_strerror(rc));
        for (size_t i = 0; rc == 0 && i < n; i++) {
            bool known;
            aml_type want = input_type(m, req[i], &known);
            if (known && !type_fits(want, aml_frame_col_type(*copy, i)))
                rc = aml_frame_set_type(*copy, i, want, NULL, err);
        }
        if (rc) {
            aml_frame_free(*copy);
            *copy = NULL;
        }
    }
    amlp_free(idx);
    amlp_free(req);
    return rc;
}

int aml_model_predict(const aml_model *m, const aml_frame *frame, const size_t *rows, size_t n,
                      float *out, aml_error *err)
{
    if (!m || !frame || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "model, frame and output are required");
    if (m->image)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "the model classifies images (%dx%d, %d channel%s); give it "
                             "images, not table rows", m->image->w, m->image->h, m->image->c,
                             m->image->c == 1 ? "" : "s");
    if (!rows)
        n = aml_frame_nrows(frame);
    if (m->n_members == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the model has no members");
    aml_frame *copy = NULL;
    int crc = aml_model_conform(m, frame, &copy, err);
    if (crc)
        return crc;
    if (copy)
        frame = copy;
    size_t w = aml_model_pred_width(m);
    float *tmp = amlp_malloc((n ? n : 1) * w * sizeof *tmp);
    if (!tmp) {
        aml_frame_free(copy);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory predicting");
    }
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
    aml_frame_free(copy);
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
