/*
 * srv_model.c — a deployed model: the server's own copy of an aml_model
 * (saved to bytes and loaded back), its input schema, a lock around
 * predictions (engine models are used by one thread at a time: the MLP
 * keeps activations in the net) and a reference count, so replacing or
 * undeploying a model never frees it under a request in flight.  Turns
 * request bodies into response documents: table rows for a table model,
 * base64 PNG or JPEG instances for an image model (AutoML Vision's
 * displayNames / confidences, best first).
 */
#include "srv.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct srv_model {
    atomic_int refs;
    aml_model *model;       /* owned copy */
    srv_schema *schema;
    json_t *metrics;        /* object; owned */
    pthread_mutex_t lock;   /* serialises aml_model_predict */
};

int srv_schema_from_model(const aml_model *model, srv_schema **out)
{
    size_t n = aml_model_n_inputs(model);
    const char **names = calloc(n ? n : 1, sizeof *names);
    aml_type *types = calloc(n ? n : 1, sizeof *types);
    int rc = names && types ? 0 : AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        names[i] = aml_model_input_name(model, i);
        types[i] = aml_model_input_type(model, i);
    }
    if (rc == 0)
        rc = srv_schema_new(names, types, n, aml_model_target(model), out);
    free(names);
    free(types);
    return rc;
}

static int wrap(aml_model *copy, const char *metrics_json, srv_model **out, aml_error *err)
{
    srv_model *m = calloc(1, sizeof *m);
    if (!m) {
        aml_model_free(copy);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    m->model = copy;
    atomic_init(&m->refs, 1);
    pthread_mutex_init(&m->lock, NULL);
    int rc = srv_schema_from_model(copy, &m->schema);
    if (rc) {
        srv_model_unref(m);
        return aml_error_set(err, rc, 0, 0, "", "the model's input schema: %s", aml_strerror(rc));
    }
    if (metrics_json && *metrics_json) {
        json_error_t jerr;
        m->metrics = json_loads(metrics_json, 0, &jerr);
        if (!json_is_object(m->metrics)) {
            srv_model_unref(m);
            return aml_error_set(err, AML_EINVAL, 0, 0, "metrics",
                                 "the metrics are not a JSON object");
        }
    } else {
        m->metrics = json_object();
    }
    if (!m->metrics) {
        srv_model_unref(m);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    *out = m;
    return 0;
}

int srv_model_from_bytes(const unsigned char *bytes, size_t len, const char *metrics_json,
                         srv_model **out, aml_error *err)
{
    *out = NULL;
    aml_model *copy = NULL;
    int rc = aml_model_load(bytes, len, &copy, err);
    if (rc)
        return rc;
    return wrap(copy, metrics_json, out, err);
}

int srv_model_new(const aml_model *model, const char *metrics_json, srv_model **out,
                  aml_error *err)
{
    *out = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    int rc = aml_model_save(model, &bytes, &len, err);
    if (rc)
        return rc;
    rc = srv_model_from_bytes(bytes, len, metrics_json, out, err);
    aml_free(bytes);
    return rc;
}

srv_model *srv_model_ref(srv_model *m)
{
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

void srv_model_unref(srv_model *m)
{
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    aml_model_free(m->model);
    srv_schema_free(m->schema);
    json_decref(m->metrics);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

const aml_model *srv_model_get(const srv_model *m) { return m->model; }
const srv_schema *srv_model_schema(const srv_model *m) { return m->schema; }

/* ---- documents ---- */

static int dump(json_t *doc, char **json, size_t *len)
{
    *json = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(7)) : NULL;
    json_decref(doc);
    if (!*json)
        return AML_ENOMEM;
    if (len)
        *len = strlen(*json);
    return 0;
}

static json_t *predictions_doc(const aml_model *model, const float *pred, const size_t *labels,
                               size_t n)
{
    json_t *list = json_array();
    aml_task task = aml_model_task(model);
    size_t k = aml_model_n_classes(model);
    for (size_t r = 0; list && r < n; r++) {
        json_t *p;
        if (task == AML_TASK_REGRESSION) {
            p = json_pack("{s:f}", "value", (double)pred[r]);
        } else {
            json_t *scores = json_object();
            for (size_t c = 0; scores && c < k; c++) {
                double v = task == AML_TASK_BINARY ? (c == 1 ? pred[r] : 1.0 - (double)pred[r])
                                                   : (double)pred[r * k + c];
                json_object_set_new(scores, aml_model_class_name(model, c), json_real(v));
            }
            p = scores ? json_pack("{s:s, s:o}", "label", aml_model_class_name(model, labels[r]),
                                   "scores", scores)
                       : NULL;
        }
        if (!p || json_array_append_new(list, p)) {
            json_decref(list);
            return NULL;
        }
    }
    return list ? json_pack("{s:o}", "predictions", list) : NULL;
}

/* Class indices by probability, highest first (ties: lower index first). */
static void rank_classes(const double *p, size_t k, size_t *order)
{
    for (size_t i = 0; i < k; i++)
        order[i] = i;
    for (size_t i = 1; i < k; i++) {   /* insertion sort: k is small, and stable */
        size_t v = order[i], j = i;
        for (; j > 0 && p[order[j - 1]] < p[v]; j--)
            order[j] = order[j - 1];
        order[j] = v;
    }
}

/* One image prediction: the top classes as displayNames and confidences. */
static json_t *image_prediction(const aml_model *model, const float *pred,
                                const srv_image_request *rq, double *p, size_t *order)
{
    size_t k = aml_model_n_classes(model);
    for (size_t c = 0; c < k; c++)
        p[c] = aml_model_task(model) == AML_TASK_BINARY
                   ? (c == 1 ? (double)pred[0] : 1.0 - (double)pred[0])
                   : (double)pred[c];
    rank_classes(p, k, order);
    size_t top = rq->max_predictions && rq->max_predictions < k ? rq->max_predictions : k;
    json_t *names = json_array(), *conf = json_array();
    for (size_t i = 0; names && conf && i < top; i++) {
        if (p[order[i]] < rq->confidence_threshold)
            break;
        json_array_append_new(names, json_string(aml_model_class_name(model, order[i])));
        json_array_append_new(conf, json_real(p[order[i]]));
    }
    if (!names || !conf) {
        json_decref(names);
        json_decref(conf);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "displayNames", names, "confidences", conf);
}

__attribute__((format(printf, 5, 6))) static int image_fail(srv_error *err, int code,
                                                           int status, long instance,
                                                           const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->status = status;
    err->instance = instance;
    snprintf(err->field, sizeof err->field, "%s", instance >= 0 ? "content" : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    for (char *c = err->text; *c; c++)   /* one line */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return code;
}

/* Predicts each decoded instance; a content that is not an image is a 400. */
static int predict_images_json(srv_model *m, const srv_image_request *rq, char **json,
                               size_t *json_len, srv_error *err)
{
    size_t k = aml_model_n_classes(m->model), w = aml_model_pred_width(m->model);
    float *pred = malloc(w * sizeof *pred);
    double *p = malloc(k * sizeof *p);
    size_t *order = malloc(k * sizeof *order);
    json_t *list = json_array();
    int rc = pred && p && order && list ? 0 : image_fail(err, AML_ENOMEM, 500, -1, "out of memory");
    for (size_t i = 0; rc == 0 && i < rq->n; i++) {
        aml_error aerr = {0};
        pthread_mutex_lock(&m->lock);
        rc = aml_model_predict_encoded(m->model, rq->bytes[i], rq->lens[i], pred, &aerr);
        pthread_mutex_unlock(&m->lock);
        if (rc == AML_EPARSE || rc == AML_EUNSUPPORTED || rc == AML_EINVAL)
            rc = image_fail(err, rc, 400, (long)i, "instances[%zu].content: %.200s", i,
                            aerr.text);
        else if (rc)
            rc = image_fail(err, rc, 500, (long)i, "prediction failed: %.200s",
                            aerr.text[0] ? aerr.text : aml_strerror(rc));
        json_t *one = rc ? NULL : image_prediction(m->model, pred, rq, p, order);
        if (rc == 0 && (!one || json_array_append_new(list, one)))
            rc = image_fail(err, AML_ENOMEM, 500, -1, "out of memory");
    }
    free(pred);
    free(p);
    free(order);
    if (rc) {
        json_decref(list);
        return rc;
    }
    rc = dump(json_pack("{s:o}", "predictions", list), json, json_len);
    return rc ? image_fail(err, rc, 500, -1, "out of memory") : 0;
}

int srv_model_predict_json(srv_model *m, const char *body, size_t len, const srv_limits *limits,
                           char **json, size_t *json_len, srv_error *err)
{
    *json = NULL;
    if (aml_model_is_image(m->model)) {
        srv_image_request rq;
        int irc = srv_parse_image_body(body, len, limits, &rq, err);
        if (irc == 0)
            irc = predict_images_json(m, &rq, json, json_len, err);
        srv_image_request_clear(&rq);
        return irc;
    }
    aml_frame *f = NULL;
    size_t n = 0;
    int rc = srv_parse_body(m->schema, body, len, limits, &f, &n, err);
    if (rc)
        return rc;
    size_t w = aml_model_pred_width(m->model);
    float *pred = malloc((n * w + 1) * sizeof *pred);
    size_t *labels = malloc((n + 1) * sizeof *labels);
    aml_error aerr = {0};
    if (!pred || !labels) {
        rc = AML_ENOMEM;
    } else {
        pthread_mutex_lock(&m->lock);
        rc = aml_model_predict(m->model, f, NULL, n, pred, &aerr);
        pthread_mutex_unlock(&m->lock);
        if (rc == 0 && aml_model_task(m->model) != AML_TASK_REGRESSION)
            rc = aml_model_predict_labels(m->model, pred, n, labels, &aerr);
    }
    if (rc == 0)
        rc = dump(predictions_doc(m->model, pred, labels, n), json, json_len);
    if (rc && err) {
        err->code = rc;
        err->status = 500;
        err->instance = -1;
        snprintf(err->field, sizeof err->field, "%.120s", aerr.source);
        snprintf(err->text, sizeof err->text, "prediction failed: %.200s",
                 aerr.text[0] ? aerr.text : aml_strerror(rc));
    }
    free(pred);
    free(labels);
    aml_frame_free(f);
    return rc;
}

int srv_model_describe_json(const srv_model *m, const char *name, char **json)
{
    const aml_model *model = m->model;
    json_t *inputs = json_array(), *classes = json_array();
    for (size_t i = 0; inputs && i < aml_model_n_inputs(model); i++)
        json_array_append_new(inputs, json_pack("{s:s, s:s}", "name",
                                                aml_model_input_name(model, i), "type",
                                                aml_type_name(aml_model_input_type(model, i))));
    for (size_t k = 0; classes && k < aml_model_n_classes(model); k++)
        json_array_append_new(classes, json_string(aml_model_class_name(model, k)));
    json_t *members = json_array();
    for (size_t i = 0; members && i < aml_model_n_members(model); i++)
        json_array_append_new(members, json_pack("{s:s, s:s, s:f}", "kind",
                                                 aml_model_member_kind(model, i), "params",
                                                 aml_model_member_params(model, i), "weight",
                                                 aml_model_member_weight(model, i)));
    char usage[400];
    if (aml_model_is_image(model))
        snprintf(usage, sizeof usage,
                 "POST /v1/models/%.200s:predict {\"instances\": [{\"content\": \"<base64 "
                 "PNG or JPEG>\"}], \"parameters\": {\"maxPredictions\": 5}}", name);
    else
        snprintf(usage, sizeof usage,
                 "POST /v1/models/%.200s:predict {\"instances\": [{column: value, ...}]}", name);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:O, s:o, s:s, s:s}", "name", name,
                            "task", aml_task_name(aml_model_task(model)), "target",
                            aml_model_target(model), "classes", classes, "inputs", inputs,
                            "metric", aml_metric_name(aml_model_metric(model)), "metrics",
                            m->metrics, "members", members, "pipeline",
                            aml_model_describe(model), "predict", usage);
    /* MODEL-INFO: when the engine's aml_model_info() (a JSON text of metrics and
     * training metadata) lands, merge it here:
     *     json_t *info = json_loads(aml_model_info(model), 0, NULL);
     *     json_object_update_missing(json_object_get(doc, "metrics"), ...);
     * until then "metrics" holds what the deployer passed (srv_model_new). */
    if (doc && aml_model_is_image(model)) {
        int c, h, w;
        aml_model_image_shape(model, &c, &h, &w);
        json_object_set_new(doc, "image",
                            json_pack("{s:i, s:i, s:i}", "channels", c, "height", h, "width", w));
    }
    if (doc && json_is_null(json_object_get(doc, "classes")))
        json_object_del(doc, "classes");
    return dump(doc, json, NULL);
}
