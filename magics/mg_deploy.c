/*
 * mg_deploy.c — %deploy and %undeploy: serve session models over REST
 * (serve/, libsrv).  The deployments live in this module, not in the
 * session: one server per (host, port) serves any number of models, each
 * with its own copy of the model (retraining or replacing the session's
 * model never touches it) and optional bearer token.  mg_deploy_stop_all()
 * stops every server when the session ends.
 */
#include "mg.h"
#include "srv.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct server_slot {
    srv_server *server;
    char host[256];
    bool any_port;      /* started with port=0: later port=0 deploys on this host share it */
} server_slot;

typedef struct deployment {
    char *name;         /* the model's name, also its URL name */
    server_slot *slot;
} deployment;

static server_slot **slots;
static size_t n_slots;
static deployment *deps;   /* most recent last */
static size_t n_deps;

static long find_deployment(const char *name)
{
    for (size_t i = 0; i < n_deps; i++)
        if (strcmp(deps[i].name, name) == 0)
            return (long)i;
    return -1;
}

static size_t slot_models(const server_slot *sl)
{
    size_t n = 0;
    for (size_t i = 0; i < n_deps; i++)
        n += deps[i].slot == sl;
    return n;
}

/* Stops and frees slot `sl` when no deployment uses it.  Returns true then. */
static bool release_slot(server_slot *sl)
{
    if (slot_models(sl))
        return false;
    for (size_t i = 0; i < n_slots; i++)
        if (slots[i] == sl) {
            slots[i] = slots[--n_slots];
            break;
        }
    srv_server_free(sl->server);
    free(sl);
    return true;
}

/* Removes deployment i (and its server when nothing is left on it).
 * Returns true when the server stopped. */
static bool remove_deployment(size_t i)
{
    deployment d = deps[i];
    srv_server_undeploy(d.slot->server, d.name);
    memmove(deps + i, deps + i + 1, (n_deps - i - 1) * sizeof *deps);
    n_deps--;
    free(d.name);
    return release_slot(d.slot);
}

const char *mg_deploy_url(void)
{
    return n_deps ? srv_server_url(deps[n_deps - 1].slot->server) : NULL;
}

void mg_deploy_stop_all(void)
{
    while (n_deps)
        remove_deployment(n_deps - 1);
    while (n_slots)
        release_slot(slots[n_slots - 1]);
    free(deps);
    free(slots);
    deps = NULL;
    slots = NULL;
}

/* ---- the example request ---- */

/* The data set holding the model's inputs: the one it was trained on, or
 * else the most recent one that has them all; NULL when none does. */
static const aml_frame *example_frame(mg_ctx *ctx, const mg_trained *t, const aml_model *m)
{
    const mg_dataset *cands[2] = {
        t->dataset && *t->dataset ? mg_session_dataset(ctx->session, t->dataset) : NULL,
        mg_session_dataset(ctx->session, NULL),
    };
    for (size_t k = 0; k < 2; k++) {
        if (!cands[k] || aml_frame_nrows(cands[k]->frame) == 0)
            continue;
        bool all = true;
        for (size_t i = 0; all && i < aml_model_n_inputs(m); i++) {
            long c = aml_frame_col_index(cands[k]->frame, aml_model_input_name(m, i));
            all = c >= 0 && aml_frame_col_type(cands[k]->frame, (size_t)c) ==
                                aml_model_input_type(m, i);
        }
        if (all)
            return cands[k]->frame;
    }
    return NULL;
}

/* c planes of h x w bytes (NCHW) as a PNG, base64-encoded (malloc'd), or NULL. */
static char *png_base64(const uint8_t *planes, int c, int h, int w)
{
    size_t n = (size_t)h * (size_t)w;
    uint8_t *px = malloc(n * (size_t)c);
    if (!px)
        return NULL;
    for (size_t i = 0; i < n; i++)      /* planes to interleaved pixels */
        for (int k = 0; k < c; k++)
            px[i * (size_t)c + (size_t)k] = planes[(size_t)k * n + i];
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = c == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    char *b64 = NULL;
    if (png_image_write_to_memory(&img, NULL, &size, 0, px, 0, NULL)) {
        unsigned char *buf = malloc(size);
        if (buf && png_image_write_to_memory(&img, buf, &size, 0, px, 0, NULL))
            b64 = mg_base64(buf, size);
        free(buf);
    }
    png_image_free(&img);
    free(px);
    return b64;
}

/* An image model's instance: the first image of the data set it was trained
 * on (when the session still holds it at the model's shape), else a grey
 * gradient of the model's shape, as a base64 PNG. */
static json_t *example_image(mg_ctx *ctx, const mg_trained *t, const aml_model *m)
{
    int c, h, w;
    aml_model_image_shape(m, &c, &h, &w);
    const mg_dataset *d = t->dataset && *t->dataset ? mg_session_dataset(ctx->session,
                                                                         t->dataset) : NULL;
    const aml_images *im = d ? d->images : NULL;
    char *b64 = NULL;
    if (im && aml_images_count(im) && aml_images_channels(im) == c &&
        aml_images_height(im) == h && aml_images_width(im) == w) {
        b64 = png_base64(aml_images_image(im, 0), c, h, w);
    } else {
        size_t n = (size_t)c * (size_t)h * (size_t)w;
        uint8_t *grad = malloc(n ? n : 1);
        for (size_t i = 0; grad && i < n; i++)
            grad[i] = (uint8_t)(i % (size_t)w * 255 / (size_t)(w > 1 ? w - 1 : 1));
        b64 = grad ? png_base64(grad, c, h, w) : NULL;
        free(grad);
    }
    json_t *o = json_pack("{s:s}", "content", b64 ? b64 : "");
    free(b64);
    return o;
}

/* One instance: the first row of the model's data set (missing cells left
 * out), or placeholders by type when the session has no such rows. */
static json_t *example_instance(mg_ctx *ctx, const mg_trained *t, const aml_model *m)
{
    if (aml_model_is_image(m))
        return example_image(ctx, t, m);
    const aml_frame *f = example_frame(ctx, t, m);
    json_t *o = json_object();
    for (size_t i = 0; o && i < aml_model_n_inputs(m); i++) {
        const char *name = aml_model_input_name(m, i);
        aml_type type = aml_model_input_type(m, i);
        json_t *v = NULL;
        if (f) {
            size_t c = (size_t)aml_frame_col_index(f, name);
            if (!aml_frame_is_valid(f, c, 0))
                continue;
            char buf[256];
            switch (type) {
            case AML_TYPE_NUMBER: v = json_real(aml_frame_get_number(f, c, 0)); break;
            case AML_TYPE_INTEGER: v = json_integer((json_int_t)aml_frame_get_number(f, c, 0)); break;
            case AML_TYPE_BOOLEAN: v = json_boolean(aml_frame_get_number(f, c, 0) != 0); break;
            default:
                aml_frame_cell_str(f, c, 0, buf, sizeof buf);
                v = json_string(buf);
            }
        } else {
            switch (type) {
            case AML_TYPE_NUMBER:
            case AML_TYPE_INTEGER: v = json_integer(0); break;
            case AML_TYPE_BOOLEAN: v = json_false(); break;
            case AML_TYPE_DATETIME: v = json_string("2024-01-31"); break;
            default: v = json_string("...");
            }
        }
        json_object_set_new(o, name, v);
    }
    return o;
}

/* `s` inside single quotes for a POSIX shell. */
static void add_shell_quoted(mg_buf *b, const char *s)
{
    mg_buf_add(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            mg_buf_add(b, "'\\''");
        else
            mg_buf_addf(b, "%c", *p);
    }
    mg_buf_add(b, "'");
}

static bool loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "::1") == 0 || strncmp(host, "127.", 4) == 0;
}

/* ---- %deploy ---- */

static const mg_option deploy_options[] = {
    {"port", MG_INT, NULL, "TCP port (default 8080); 0 picks a free one"},
    {"host", MG_STRING, NULL, "address to bind (default 127.0.0.1: this machine only)"},
    {"token", MG_STRING, NULL, "require \"Authorization: Bearer TOKEN\" on every request"},
    {0},
};

static json_t *metrics_of(const mg_trained *t)
{
    if (!t->run)
        return json_pack("{s:s}", "source", t->source ? t->source : "");
    json_t *o = json_pack("{s:s, s:I, s:s}", "metric", aml_metric_name(aml_run_metric(t->run)),
                          "trials", (json_int_t)aml_run_trials_done(t->run), "dataset",
                          t->dataset ? t->dataset : "");
    double val = aml_run_validation_score(t->run), test = aml_run_test_score(t->run);
    if (o && isfinite(val))   /* NaN (no test split) is left out: JSON has no NaN */
        json_object_set_new(o, "validation", json_real(val));
    if (o && isfinite(test))
        json_object_set_new(o, "test", json_real(test));
    return o;
}

static server_slot *find_slot(const char *host, int port)
{
    for (size_t i = n_slots; i-- > 0;) {
        server_slot *sl = slots[i];
        if (strcmp(sl->host, host) != 0)
            continue;
        if (port == 0 ? sl->any_port : srv_server_port(sl->server) == port)
            return sl;
    }
    return NULL;
}

static int start_slot(mg_ctx *ctx, const char *host, int port, server_slot **out)
{
    server_slot *sl = calloc(1, sizeof *sl);
    server_slot **v = realloc(slots, (n_slots + 1) * sizeof *v);
    if (v)
        slots = v;
    if (!sl || !v) {
        free(sl);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    srv_options o = srv_options_default();
    o.host = host;
    o.port = port;
    aml_error err = {0};
    if (srv_server_start(&o, &sl->server, &err)) {
        free(sl);
        return mg_fail(ctx, "DeployError", "%s", err.text);
    }
    snprintf(sl->host, sizeof sl->host, "%s", host);
    sl->any_port = port == 0;
    slots[n_slots++] = sl;
    *out = sl;
    return 0;
}

static void show(mg_ctx *ctx, const mg_trained *t, const aml_model *m, const server_slot *sl,
                 const char *token, bool moved)
{
    const char *url = srv_server_url(sl->server);
    char predict[600], schema[600];
    snprintf(predict, sizeof predict, "%s/v1/models/%s:predict", url, t->name);
    snprintf(schema, sizeof schema, "%s/v1/models/%s", url, t->name);
    json_t *inst = example_instance(ctx, t, m);
    json_t *body = json_pack("{s:[O]}", "instances", inst);
    char *body_text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    mg_buf curl = {0};
    mg_buf_add(&curl, "curl -s -X POST ");
    mg_buf_add(&curl, predict);
    mg_buf_add(&curl, " \\\n  -H 'Content-Type: application/json'");
    if (token) {
        mg_buf hdr = {0};
        mg_buf_addf(&hdr, "Authorization: Bearer %s", token);
        mg_buf_add(&curl, " -H ");
        add_shell_quoted(&curl, hdr.data);
        mg_buf_free(&hdr);
    }
    mg_buf_add(&curl, " \\\n  -d ");
    if (aml_model_is_image(m))   /* any PNG or JPEG file, base64-encoded by the shell */
        mg_buf_add(&curl, "'{\"instances\":[{\"content\":\"'\"$(base64 -w0 image.png)\"'\"}]}'");
    else
        add_shell_quoted(&curl, body_text ? body_text : "{}");
    char note[400];
    if (token)
        snprintf(note, sizeof note, "Token: every request to '%s' needs the header "
                 "\"Authorization: Bearer <token>\" (else 401).", t->name);
    else if (loopback(sl->host))
        snprintf(note, sizeof note, "No token: any program on this machine can call it; "
                 "add token=SECRET to require one.");
    else
        snprintf(note, sizeof note, "Warning: no token and host=%s — anyone who can reach "
                 "this machine can call it; add token=SECRET.", sl->host);
    mg_buf text = {0}, html = {0};
    if (aml_model_is_image(m)) {
        int c, h, w;
        aml_model_image_shape(m, &c, &h, &w);
        mg_buf_addf(&text, "%s image model '%s' (%s, %zu classes, images resized to "
                    "%d×%d×%d) at %s\n", moved ? "Now serving" : "Serving", t->name,
                    aml_task_name(aml_model_task(m)), aml_model_n_classes(m), w, h, c, predict);
    } else {
        mg_buf_addf(&text, "%s model '%s' (%s, target '%s') at %s\n", moved ? "Now serving"
                                                                            : "Serving",
                    t->name, aml_task_name(aml_model_task(m)), aml_model_target(m), predict);
    }
    mg_buf_addf(&text, "Schema: GET %s   Health: GET %s/healthz   Stop: %%undeploy %s\n",
                schema, url, t->name);
    mg_buf_add(&text, aml_model_is_image(m)
                          ? "Try it (image.png: any PNG or JPEG; \"parameters\": "
                            "{\"maxPredictions\": 5} keeps the top classes):\n"
                          : "Try it:\n");
    mg_buf_add(&text, curl.data);
    mg_buf_addf(&text, "\nOr from this notebook (a path alone goes to this server):\n"
                "%%%%http POST /v1/models/%s:predict%s%s\n%s\n", t->name, token ? " token=" : "",
                token ? token : "", body_text ? body_text : "{}");
    mg_buf_addf(&text, "%s\n", note);
    mg_buf_add(&html, "<div class=\"automl-deploy\"><p>Serving model <b>");
    mg_buf_add_html(&html, t->name);
    mg_buf_add(&html, "</b> at <code>");
    mg_buf_add_html(&html, predict);
    mg_buf_add(&html, "</code> &middot; schema <code>GET ");
    mg_buf_add_html(&html, schema);
    mg_buf_add(&html, "</code></p><pre>");
    mg_buf_add_html(&html, curl.data);
    mg_buf_add(&html, "</pre><p>Or from this notebook:</p><pre>");
    mg_buf_addf(&html, "%%%%http POST /v1/models/");
    mg_buf_add_html(&html, t->name);
    mg_buf_add(&html, ":predict");
    if (token) {
        mg_buf_add(&html, " token=");
        mg_buf_add_html(&html, token);
    }
    mg_buf_add(&html, "\n");
    mg_buf_add_html(&html, body_text ? body_text : "{}");
    mg_buf_add(&html, "</pre><p>");
    mg_buf_add_html(&html, note);
    mg_buf_add(&html, "</p></div>");
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:o}", "model", t->name, "url",
                            url, "predict", predict, "schema", schema, "host", sl->host, "port",
                            srv_server_port(sl->server), "token", token != NULL, "example",
                            body ? body : json_object());
    json_t *b = json_pack("{s:s, s:s, s:o}", "text/plain", text.data, "text/html", html.data,
                          "application/vnd.automl.deploy+json", doc);
    kn_display(ctx->req, b, NULL, NULL);
    json_decref(b);
    json_decref(inst);
    free(body_text);
    mg_buf_free(&curl);
    mg_buf_free(&text);
    mg_buf_free(&html);
}

static int run_deploy(mg_ctx *ctx, const mg_call *call)
{
    mg_trained *t;
    if (mg_model_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &t))
        return -1;
    const aml_model *m = mg_trained_model(t);
    if (!m)
        return mg_fail(ctx, "UsageError", "model '%s' has no fitted model to serve (its search "
                       "stopped before any trial finished)", t->name);
    if (!srv_name_ok(t->name))
        return mg_fail(ctx, "UsageError", "model name '%s' cannot be a URL name: train it "
                       "again with `as NAME` (letters, digits, _ - .)", t->name);
    const char *v = mg_opt(call, "port");
    long port = v ? strtol(v, NULL, 10) : 8080;
    if (port < 0 || port > 65535)
        return mg_fail(ctx, "UsageError", "port=%s: use 1 to 65535, or 0 for a free port", v);
    const char *host = mg_opt(call, "host") ? mg_opt(call, "host") : "127.0.0.1";
    if (!*host || strlen(host) >= 256)
        return mg_fail(ctx, "UsageError", "host=: give an address such as 127.0.0.1 or 0.0.0.0");
    const char *token = mg_opt(call, "token");
    if (token && !*token)
        token = NULL;
    /* the server's own copy, so the session model may change at once */
    json_t *metrics = metrics_of(t);
    char *metrics_text = metrics ? json_dumps(metrics, JSON_COMPACT) : NULL;
    json_decref(metrics);
    srv_model *copy = NULL;
    aml_error err = {0};
    int rc = srv_model_new(m, metrics_text, &copy, &err);
    free(metrics_text);
    if (rc)
        return mg_fail(ctx, "DeployError", "%s: %s", t->name,
                       err.text[0] ? err.text : aml_strerror(rc));
    server_slot *sl = find_slot(host, (int)port);
    if (!sl && start_slot(ctx, host, (int)port, &sl)) {
        srv_model_unref(copy);
        return -1;
    }
    long old = find_deployment(t->name);
    deployment *v2 = old < 0 ? realloc(deps, (n_deps + 1) * sizeof *deps) : deps;
    char *name = old < 0 ? strdup(t->name) : NULL;
    if (v2)
        deps = v2;
    if (!v2 || (old < 0 && !name) ||
        srv_server_deploy(sl->server, t->name, copy, token, &err)) {
        free(name);
        srv_model_unref(copy);
        if (old < 0 || deps[old].slot != sl)
            release_slot(sl);
        return mg_fail(ctx, "DeployError", "%s", err.text[0] ? err.text : "out of memory");
    }
    srv_model_unref(copy);   /* the server holds its reference */
    bool moved = false;
    if (old >= 0 && deps[old].slot != sl) {
        /* deployed elsewhere before: move it (the old server stops when empty) */
        server_slot *prev = deps[old].slot;
        srv_server_undeploy(prev->server, t->name);
        deps[old].slot = sl;
        release_slot(prev);
        moved = true;
    } else if (old < 0) {
        deps[n_deps++] = (deployment){name, sl};
    }
    show(ctx, t, m, sl, token, moved);
    return 0;
}

const mg_magic mg_magic_deploy = {
    .name = "deploy",
    .synopsis = "%deploy [MODEL] [port=8080] [host=127.0.0.1] [token=SECRET]",
    .summary = "Serve a model over REST (JSON predictions) from this kernel.",
    .help = "Starts an HTTP server in the kernel (or reuses the one on that host and port) "
            "and serves the model's own copy: retraining or replacing the session model "
            "does not change what is served until you deploy again.  Endpoints:\n"
            "  POST /v1/models/NAME:predict  {\"instances\": [{column: value, ...}]}\n"
            "       -> {\"predictions\": [{\"label\": ..., \"scores\": {...}} | {\"value\": ...}]}\n"
            "       image models: {\"instances\": [{\"content\": \"<base64 PNG or JPEG>\"}], "
            "\"parameters\": {\"maxPredictions\": 5}}\n"
            "       -> {\"predictions\": [{\"displayNames\": [...], \"confidences\": [...]}]}\n"
            "  GET  /v1/models/NAME   inputs with types, target, task, classes, metrics\n"
            "  GET  /healthz\n"
            "A field left out of an instance, or null, is a missing value; an unknown field or "
            "a value of the wrong type gets 400 naming it; bodies over 1 MiB get 413.  The "
            "server binds 127.0.0.1 (this machine only) unless host= says otherwise; set "
            "token= before binding another address.  port=0 picks a free port (later port=0 "
            "deploys on the same host share it).  Deploying a model again replaces its "
            "deployment; %undeploy stops it.  For production without Jupyter, save the model "
            "and run `automl-serve MODEL.aml`.\n\n"
            "Examples:\n  %deploy\n  %deploy m1 port=9000 token=s3cret\n"
            "  %deploy m1 host=0.0.0.0 port=8080 token=s3cret",
    .options = deploy_options,
    .max_args = 1,
    .run = run_deploy,
};

/* ---- %undeploy ---- */

static const mg_option undeploy_options[] = {
    {"all", MG_FLAG, NULL, "stop every deployment"},
    {0},
};

static int run_undeploy(mg_ctx *ctx, const mg_call *call)
{
    if (n_deps == 0)
        return mg_fail(ctx, "UsageError", "nothing is deployed (%%deploy MODEL serves one)");
    if (mg_flag(call, "all")) {
        size_t n = n_deps;
        mg_deploy_stop_all();
        char line[128];
        snprintf(line, sizeof line, "Stopped %zu deployment%s; no server is left.\n", n,
                 n == 1 ? "" : "s");
        kn_stream(ctx->req, "stdout", line);
        return 0;
    }
    const char *name = call->n_pos ? call->pos[0] : deps[n_deps - 1].name;
    long i = find_deployment(name);
    if (i < 0) {
        const char **names = calloc(n_deps + 1, sizeof *names);
        for (size_t k = 0; names && k < n_deps; k++)
            names[k] = deps[k].name;
        const char *best = names ? mg_closest_name(name, names, n_deps) : NULL;
        free(names);
        if (best)
            return mg_fail(ctx, "UsageError", "model '%s' is not deployed — did you mean '%s'?",
                           name, best);
        return mg_fail(ctx, "UsageError", "model '%s' is not deployed", name);
    }
    char url[300], nm[200];
    snprintf(url, sizeof url, "%s", srv_server_url(deps[i].slot->server));
    snprintf(nm, sizeof nm, "%s", deps[i].name);
    bool stopped = remove_deployment((size_t)i);
    char line[700];
    snprintf(line, sizeof line, "Stopped serving '%s' at %s%s\n", nm, url,
             stopped ? "; the server stopped (nothing left to serve)." : ".");
    kn_stream(ctx->req, "stdout", line);
    return 0;
}

const mg_magic mg_magic_undeploy = {
    .name = "undeploy",
    .synopsis = "%undeploy [MODEL] [all]",
    .summary = "Stop serving a deployed model (the most recent one by default).",
    .help = "Requests already running finish; new ones get 404, and when no model is left on "
            "a server it stops (its port is closed).\n\n"
            "Examples:\n  %undeploy\n  %undeploy m1\n  %undeploy all",
    .options = undeploy_options,
    .max_args = 1,
    .run = run_undeploy,
};
