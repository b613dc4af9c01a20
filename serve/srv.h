/*
 * srv.h — the serving layer (libsrv): an embedded REST server (libmicrohttpd)
 * that answers predictions of deployed models with JSON, and the request
 * body parser it uses (JSON instances -> a frame validated against the
 * model's input schema).  Depends on the engine (libaml) only; the magics
 * (%deploy) and the standalone binary automl-serve use it.
 *
 * Endpoints (JSON in and out):
 *   POST /v1/models/NAME:predict  {"instances": [{col: value, ...}, ...]}
 *        -> {"predictions": [{"label": L, "scores": {class: p, ...}} | {"value": v}, ...]}
 *   POST /v1/models/NAME:predict  an image model (AutoML Vision's online prediction):
 *        {"instances": [{"content": "<base64 PNG or JPEG>"}, ...],
 *         "parameters": {"maxPredictions": 5, "confidenceThreshold": 0.1}}
 *        -> {"predictions": [{"displayNames": [...], "confidences": [...]}, ...]}
 *        (classes by confidence, highest first; all of them by default)
 *   GET  /v1/models/NAME          the schema (inputs with types, target, task,
 *                                 classes), metrics and the pipeline in words
 *   GET  /v1/models               the deployed model names
 *   GET  /healthz                 {"status": "ok"}
 * Errors are JSON too: {"error": "...", "field": F, "instance": I} (field and
 * instance when they apply); unknown path or model 404, wrong method 405
 * (with Allow), bad body 400, body over the limit 413, missing or wrong
 * bearer token 401.  A body over the limit is never buffered: announced
 * with "Expect: 100-continue" or far over the limit it is refused on its
 * Content-Length; otherwise it is read and dropped and then answered 413
 * (clients that send before reading see the 413, not a broken pipe).
 * Connections are kept alive across requests, errors included.
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill the
 * caller's error record (may be NULL).  The library never prints.
 */
#ifndef SRV_H
#define SRV_H

#include "aml.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the input schema and the body parser (srv_body.c) ---- */

/* The columns a model reads, by name and type, and its target (which a
 * request may carry; it is ignored). */
typedef struct srv_schema srv_schema;

/* A schema from parallel arrays (copied).  `target` may be NULL.
 * OUT: *out (srv_schema_free).  Returns 0, AML_EINVAL (empty or duplicate
 * name), AML_ENOMEM. */
int srv_schema_new(const char *const *names, const aml_type *types, size_t n,
                   const char *target, srv_schema **out);
/* The schema of a model.  Same returns. */
int srv_schema_from_model(const aml_model *model, srv_schema **out);
void srv_schema_free(srv_schema *schema);   /* accepts NULL */
size_t srv_schema_size(const srv_schema *schema);
const char *srv_schema_name(const srv_schema *schema, size_t i);
aml_type srv_schema_type(const srv_schema *schema, size_t i);

/* Where and why a request failed: an HTTP status, and the instance index
 * (-1: none) and field name ("" : none) the reason is about. */
typedef struct srv_error {
    int code;          /* AML_E* */
    int status;        /* HTTP status: 400, 413, ... */
    long instance;     /* 0-based index into "instances", or -1 */
    char field[128];   /* the field (column) name, or "" */
    char text[256];    /* one line, names the field and instance */
} srv_error;

/* Limits of one request. */
typedef struct srv_limits {
    size_t max_instances;   /* rows per request (default 10000) */
} srv_limits;
srv_limits srv_limits_default(void);

/* Parses a request body {"instances": [{col: value, ...}, ...]} into a frame
 * with one row per instance and one column per schema input, typed as the
 * schema says.  A field absent from an instance, or null, is a missing
 * value; numbers, strings and booleans convert by the rules of the CSV
 * reader (the string "3.5" is a number, 3 is the level "3" of a categorical
 * column).  The target field is accepted and ignored.
 * `limits` may be NULL (defaults).  OUT: *out (aml_frame_free), *n_rows.
 * Errors (err->status says which HTTP status fits):
 *   AML_EPARSE  400  not JSON, or not an object with "instances"
 *   AML_EINVAL  400  an unknown field, a value of the wrong type or one that
 *                    does not convert (err names field and instance), an
 *                    empty list, an unknown top-level key
 *   AML_ERANGE  413  more instances than limits->max_instances
 *   AML_ENOMEM  500
 * Thread-safe (the schema is only read). */
int srv_parse_body(const srv_schema *schema, const char *body, size_t len,
                   const srv_limits *limits, aml_frame **out, size_t *n_rows, srv_error *err);

/* ---- image instances (srv_body.c) ---- */

/* An image model's request: the decoded content of each instance (malloc'd)
 * and the parameters. */
typedef struct srv_image_request {
    size_t n;
    unsigned char **bytes;        /* n encoded images (PNG or JPEG, unchecked) */
    size_t *lens;
    size_t max_predictions;       /* classes per prediction; 0: all */
    double confidence_threshold;  /* classes below it are left out; 0: none */
} srv_image_request;

/* Parses {"instances": [{"content": BASE64}, ...], "parameters": {...}}
 * (parameters optional: maxPredictions, an integer >= 1, and
 * confidenceThreshold, a number in [0, 1]).  OUT: *out (cleared first;
 * srv_image_request_clear).  Errors as srv_parse_body (400 naming the
 * instance: "instances[0].content: not base64 (bad character at byte 17)",
 * a missing or non-string content, an unknown field or parameter). */
int srv_parse_image_body(const char *body, size_t len, const srv_limits *limits,
                         srv_image_request *out, srv_error *err);
void srv_image_request_clear(srv_image_request *rq);
/* Standard base64 (RFC 4648; '=' padding optional, whitespace skipped).
 * OUT: *out (malloc'd), *out_len.  Returns 0, AML_EPARSE with *bad_at the
 * 0-based offset of the first character that is not base64 (or `len` when
 * the text stops mid-byte), AML_ENOMEM. */
int srv_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len,
                      size_t *bad_at);

/* ---- a deployed model (srv_model.c) ---- */

/* A server's own copy of a model (saved to bytes and loaded back, so the
 * caller's model may be freed or retrained at once), with its schema, a lock
 * that serialises predictions (the engine's models are one thread at a time)
 * and a reference count (a request in flight keeps a replaced model alive). */
typedef struct srv_model srv_model;

/* Copies `model`.  `metrics_json` (may be NULL): a JSON object text shown by
 * GET /v1/models/NAME under "metrics".  OUT: *out (srv_model_unref).
 * Returns 0, AML_EPARSE/AML_EUNSUPPORTED (the model does not round-trip),
 * AML_EINVAL (bad metrics JSON), AML_ENOMEM. */
int srv_model_new(const aml_model *model, const char *metrics_json, srv_model **out,
                  aml_error *err);
/* Takes the model read from bytes (a model file).  Same returns. */
int srv_model_from_bytes(const unsigned char *bytes, size_t len, const char *metrics_json,
                         srv_model **out, aml_error *err);
srv_model *srv_model_ref(srv_model *m);
void srv_model_unref(srv_model *m);   /* accepts NULL; frees at zero */
const aml_model *srv_model_get(const srv_model *m);
const srv_schema *srv_model_schema(const srv_model *m);

/* Predicts a request body and writes the response document (an image model
 * takes image instances, srv_parse_image_body; a content that is not an
 * image is a 400 naming the instance).  OUT: *json
 * (malloc'd, NUL-terminated; free()), *len.  Returns 0 or the errors of
 * srv_parse_body, AML_EINVAL/AML_ENOMEM from the model (err->status 500 for
 * a model failure).  Thread-safe. */
int srv_model_predict_json(srv_model *m, const char *body, size_t len,
                           const srv_limits *limits, char **json, size_t *json_len,
                           srv_error *err);
/* The document of GET /v1/models/NAME.  OUT: *json (free()).  Returns 0 or
 * AML_ENOMEM. */
int srv_model_describe_json(const srv_model *m, const char *name, char **json);

/* ---- the server (srv_server.c) ---- */

typedef struct srv_options {
    const char *host;          /* address or host name to bind (default "127.0.0.1") */
    int port;                  /* 0: a free port (default 8080) */
    size_t max_body;           /* bytes per request body (default 1 MiB) */
    size_t max_instances;      /* instances per request (default 10000) */
    unsigned threads;          /* worker threads (default 2) */
    unsigned max_connections;  /* open connections (default 64) */
    unsigned timeout_seconds;  /* idle connection timeout (default 30) */
} srv_options;
srv_options srv_options_default(void);

typedef struct srv_server srv_server;

/* Binds host:port and starts serving (no models yet) on its own threads.
 * `opts` may be NULL (defaults).  OUT: *out (srv_server_free).
 * Returns 0, AML_EINVAL (a host that does not resolve or is not an address
 * of this machine, a bad port), AML_EIO (the port is in use, or another
 * socket error; err->text says which), AML_ENOMEM. */
int srv_server_start(const srv_options *opts, srv_server **out, aml_error *err);
/* Stops serving (waits for requests in flight; closes connections) and frees
 * the server and its models.  Accepts NULL. */
void srv_server_free(srv_server *s);
/* The bound port (the one picked when opts->port was 0) and host. */
int srv_server_port(const srv_server *s);
const char *srv_server_host(const srv_server *s);
/* "http://127.0.0.1:8080" (brackets around IPv6 addresses). */
const char *srv_server_url(const srv_server *s);

/* Serves `model` as NAME (letters, digits, '_', '-', '.'), replacing a model
 * of that name; takes a reference of its own.  `token` (may be NULL or ""):
 * requests for this model then need "Authorization: Bearer TOKEN".
 * Returns 0, AML_EINVAL (bad name), AML_ENOMEM.  Thread-safe. */
int srv_server_deploy(srv_server *s, const char *name, srv_model *model, const char *token,
                      aml_error *err);
/* Stops serving NAME (requests in flight finish).  Returns 0 or AML_ENOENT. */
int srv_server_undeploy(srv_server *s, const char *name);
size_t srv_server_model_count(const srv_server *s);

/* Checks a model name for a URL path.  Returns true when usable. */
bool srv_name_ok(const char *name);
/* "Bearer TOKEN" == header, in time that does not depend on where they
 * differ.  `header` may be NULL (false). */
bool srv_token_ok(const char *header, const char *token);

#ifdef __cplusplus
}
#endif

#endif
