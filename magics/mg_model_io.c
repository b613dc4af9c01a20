/*
 * mg_model_io.c — model files: %save [MODEL] PATH writes a model (with its
 * data set's name and source added to the training info) atomically;
 * %load PATH [as NAME] reads one into the session and shows what the file
 * says: task, target, inputs, members (an image model: its image shape and
 * architecture), metrics and training info.
 */
#include "mg.h"
#include "mg_file.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_EXT ".amlm"
#define MODEL_MAX_BYTES ((size_t)4 << 30)   /* a larger file is not a model of ours */

/* PATH, with .amlm added when it names no extension. */
static char *model_path(const char *arg)
{
    const char *base = strrchr(arg, '/');
    base = base ? base + 1 : arg;
    bool ext = strchr(base, '.') != NULL;
    size_t n = strlen(arg);
    char *p = malloc(n + sizeof MODEL_EXT);
    if (p)
        snprintf(p, n + sizeof MODEL_EXT, "%s%s", arg, ext ? "" : MODEL_EXT);
    return p;
}

/* ---- %save ---- */

typedef struct save_job {
    const unsigned char *bytes;
    size_t len;
} save_job;

static int write_bytes(FILE *f, void *user, char *why, size_t len)
{
    (void)why;
    (void)len;
    const save_job *j = user;
    return fwrite(j->bytes, 1, j->len, f) == j->len ? 0 : -1;
}

static int run_save(mg_ctx *ctx, const mg_call *call)
{
    const char *name = call->n_pos == 2 ? call->pos[0] : NULL;
    const char *arg = call->pos[call->n_pos - 1];
    mg_trained *t;
    if (mg_model_or_fail(ctx, name, &t))
        return -1;
    const aml_model *m = mg_trained_model(t);
    if (!m)
        return mg_fail(ctx, "UsageError", "model '%s' has no fitted model to save (the run "
                       "stopped before any trial finished)", t->name);
    /* the data set the model was trained on: the search does not know its name */
    json_t *extra = json_object();
    if (t->run) {
        mg_dataset *d = mg_session_dataset(ctx->session, t->dataset);
        json_object_set_new(extra, "dataset", json_string(t->dataset));
        if (d && d->source && *d->source)
            json_object_set_new(extra, "source", json_string(d->source));
    }
    json_object_set_new(extra, "model_name", json_string(t->name));
    char *extra_s = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    unsigned char *bytes = NULL;
    size_t len = 0;
    aml_error err = {0};
    int rc = aml_model_save_ex(m, extra_s, &bytes, &len, &err);
    free(extra_s);
    if (rc)
        return mg_fail(ctx, "ModelFileError", "saving model '%s': %s", t->name, err.text);
    char *path = model_path(arg);
    char why[512];
    save_job job = {bytes, len};
    rc = path ? mg_write_atomic(path, write_bytes, &job, NULL, why, sizeof why) : -1;
    aml_free(bytes);
    if (rc) {
        rc = mg_fail(ctx, "ModelFileError", "%%save: %s", path ? why : "out of memory");
        free(path);
        return rc;
    }
    char size[32], text[1200];
    mg_fmt_bytes(len, size);
    snprintf(text, sizeof text, "Saved model '%s' to %s (%s, model format %u). Read it back "
             "with %%load %s\n", t->name, path, size, aml_model_format_version(), path);
    kn_stream(ctx->req, "stdout", text);
    free(path);
    return 0;
}

const mg_magic mg_magic_save = {
    .name = "save",
    .synopsis = "%save [MODEL] PATH",
    .summary = "Write a model to a file (preparation, learners, schema, metrics, training info).",
    .help = "Writes one file in the documented model format (docs/model-format.md): the data "
            "preparation, the learners and ensemble weights, the input schema, the class names, "
            "the metrics and the training info.  The file is written atomically: a failure "
            "leaves an existing file at PATH as it was.  A PATH without an extension gets "
            ".amlm.\n\n"
            "Examples:\n  %save churn.amlm\n  %save m1 models/bank\n",
    .min_args = 1,
    .max_args = 2,
    .first_arg = MG_ARG_PATH,
    .run = run_save,
};

/* ---- %load ---- */

/* A default model name from the file name: its base without the extension,
 * letters, digits and _ kept. */
static void name_from_path(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t k = 0;
    for (const char *c = base; *c && *c != '.' && k + 1 < cap; c++)
        buf[k++] = isalnum((unsigned char)*c) || *c == '_' || *c == '-' ? *c : '_';
    buf[k] = 0;
    if (!k)
        snprintf(buf, cap, "model");
}

static void fmt_json_value(const json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v))
        snprintf(buf, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, cap, "%.4g", json_real_value(v));
    else if (json_is_null(v))
        snprintf(buf, cap, "—");
    else if (json_is_true(v) || json_is_false(v))
        snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
    else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, cap, "%s", s ? s : "?");
        free(s);
    }
}

static void row2(mg_table *t, const char *k, const char *v)
{
    const char *r[] = {k, v};
    mg_table_row(t, r);
}

/* A table model's inputs (name and type) and ensemble members. */
static void table_rows(mg_table *t, const aml_model *m)
{
    char buf[1024];
    mg_buf b = {0};
    for (size_t i = 0; i < aml_model_n_inputs(m); i++)
        mg_buf_addf(&b, "%s%s (%s)", i ? ", " : "", aml_model_input_name(m, i),
                    aml_type_name(aml_model_input_type(m, i)));
    snprintf(buf, sizeof buf, "%zu: %s", aml_model_n_inputs(m), b.data ? b.data : "");
    row2(t, "inputs", buf);
    mg_buf_free(&b);
    for (size_t i = 0; i < aml_model_n_members(m); i++)
        mg_buf_addf(&b, "%s%s (weight %.2f)", i ? "; " : "", aml_model_member_kind(m, i),
                    aml_model_member_weight(m, i));
    row2(t, "members", b.data ? b.data : "");
    mg_buf_free(&b);
}

/* An image model's input shape and architecture. */
static void image_rows(mg_table *t, const aml_model *m)
{
    int c, h, w;
    char buf[64];
    aml_model_image_shape(m, &c, &h, &w);
    snprintf(buf, sizeof buf, "%d×%d×%d (width × height × channels)", w, h, c);
    row2(t, "images", buf);
    row2(t, "architecture", aml_model_describe(m));
}

/* The summary of a loaded model: one table of what the file holds. */
static int show_model(mg_ctx *ctx, const char *name, const char *path, const aml_model *m)
{
    json_error_t je;
    json_t *info = json_loads(aml_model_info(m), 0, &je);
    if (!info)
        info = json_object();
    const char *head[] = {"", "model"};
    mg_table *t = mg_table_new(2, head);
    char buf[1024];
    row2(t, "name", name);
    row2(t, "file", path);
    row2(t, "task", aml_task_name(aml_model_task(m)));
    row2(t, "target", aml_model_target(m));
    mg_buf b = {0};
    for (size_t k = 0; k < aml_model_n_classes(m); k++)
        mg_buf_addf(&b, "%s%s", k ? ", " : "", aml_model_class_name(m, k));
    if (b.len)
        row2(t, "classes", b.data);
    mg_buf_free(&b);
    if (aml_model_is_image(m))
        image_rows(t, m);
    else
        table_rows(t, m);
    const json_t *v, *s;
    const char *metric = aml_metric_name(aml_model_metric(m));
    if ((v = json_object_get(info, "validation_score")) && json_is_number(v)) {
        s = json_object_get(info, "validation_std");
        if (s && json_is_number(s))
            snprintf(buf, sizeof buf, "%.4f ± %.4f %s", json_number_value(v),
                     json_number_value(s), metric);
        else
            snprintf(buf, sizeof buf, "%.4f %s", json_number_value(v), metric);
        row2(t, "validation", buf);
    }
    if ((v = json_object_get(info, "test_score")) && json_is_number(v)) {
        snprintf(buf, sizeof buf, "%.4f %s (held-out test split)", json_number_value(v), metric);
        row2(t, "test", buf);
    }
    static const struct {
        const char *key, *label;
    } shown[] = {
        {"dataset", "data set"}, {"source", "source"},   {"rows", "rows"},
        {"strategy", "strategy"}, {"budget_seconds", "budget (s)"}, {"trials", "trials"},
        {"stop_reason", "stopped"}, {"seed", "seed"},    {"created", "created (UTC)"},
        {"engine_version", "engine"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof *shown; i++)
        if ((v = json_object_get(info, shown[i].key))) {
            fmt_json_value(v, buf, sizeof buf);
            row2(t, shown[i].label, buf);
        }
    if (json_object_size(info) == 0)
        row2(t, "training info", "none (a model file from an older version)");
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", name, "file", path, "task",
                            aml_task_name(aml_model_task(m)), "target", aml_model_target(m),
                            "info", info);
    if (doc && aml_model_is_image(m)) {
        int c, h, w;
        aml_model_image_shape(m, &c, &h, &w);
        json_object_set_new(doc, "image", json_pack("{s:i, s:i, s:i}", "channels", c, "height",
                                                    h, "width", w));
        json_object_set_new(doc, "architecture", json_string(aml_model_describe(m)));
    }
    int rc = mg_display_table(ctx, t, "application/vnd.automl.model+json", "model", doc);
    mg_table_free(t);
    return rc;
}

static int run_load(mg_ctx *ctx, const mg_call *call)
{
    const char *path = call->pos[0];
    unsigned char *data = NULL;
    size_t n = 0;
    char why[600];
    char *alt = NULL;
    if (mg_read_file(path, MODEL_MAX_BYTES, &data, &n, why, sizeof why)) {
        /* `%load churn` finds churn.amlm */
        char why2[600];
        alt = model_path(path);
        if (!alt || strcmp(alt, path) == 0 ||
            mg_read_file(alt, MODEL_MAX_BYTES, &data, &n, why2, sizeof why2)) {
            free(alt);
            return mg_fail(ctx, "FileNotFoundError", "%%load: %s", why);
        }
        path = alt;
    }
    aml_model *m = NULL;
    aml_error err = {0};
    int rc = aml_model_load(data, n, &m, &err);
    free(data);
    if (rc) {
        rc = mg_fail(ctx, "ModelFileError", "%%load %s: %s", path, err.text);
        free(alt);
        return rc;
    }
    char name[128];
    if (call->as_name)
        snprintf(name, sizeof name, "%s", call->as_name);
    else
        name_from_path(path, name, sizeof name);
    rc = mg_session_put_loaded(ctx->session, name, m, path);
    free(alt);
    path = NULL;
    if (rc) {
        aml_model_free(m);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    mg_trained *t = mg_session_model(ctx->session, name);
    char text[600];
    snprintf(text, sizeof text, "Loaded model '%s' from %s. Predict with %%predict %s "
             "on=DATA out=predictions.csv\n", name, t->source, name);
    kn_stream(ctx->req, "stdout", text);
    return show_model(ctx, name, t->source, mg_trained_model(t));
}

const mg_magic mg_magic_load = {
    .name = "load",
    .synopsis = "%load PATH [as NAME]",
    .summary = "Read a model file into the session; show what it holds.",
    .help = "Reads a file written by %save (any older model format too) and shows its task, "
            "target, inputs, members, metrics and training info.  The model is named after the "
            "file unless `as NAME` says otherwise.  A damaged, truncated or foreign file, or one "
            "written by a newer version, is refused with the reason.\n\n"
            "Examples:\n  %load churn.amlm\n  %load models/bank.amlm as bank_model\n",
    .min_args = 1,
    .max_args = 1,
    .takes_as = true,
    .first_arg = MG_ARG_PATH,
    .run = run_load,
};
