/* mg_session.c — the session state: named data sets (most recent last) and
 * models, and what the notebook extension is told of them. */
#include "mg.h"

#include <stdlib.h>
#include <string.h>

struct mg_session {
    mg_dataset **datasets;  /* most recent last */
    size_t n_datasets;
    mg_trained **models;    /* most recent last */
    size_t n_models;
    unsigned next_model;    /* for default names model1, model2, ... */
};

mg_session *mg_session_new(void)
{
    mg_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    return s;
}

static void dataset_free(mg_dataset *d)
{
    if (!d)
        return;
    aml_frame_free(d->frame);
    aml_images_free(d->images);
    aml_images_report_free(d->images_report);
    free(d->name);
    free(d->source);
    free(d->target);
    free(d);
}

static void trained_free(mg_trained *t)
{
    if (!t)
        return;
    aml_run_free(t->run);
    aml_model_free(t->loaded);
    free(t->name);
    free(t->dataset);
    free(t->source);
    free(t);
}

void mg_session_free(mg_session *s)
{
    if (!s)
        return;
    mg_deploy_stop_all();   /* the REST servers of %deploy */
    for (size_t i = 0; i < s->n_datasets; i++)
        dataset_free(s->datasets[i]);
    free(s->datasets);
    for (size_t i = 0; i < s->n_models; i++)
        trained_free(s->models[i]);
    free(s->models);
    free(s);
}

/* A new entry for data set `name` (its contents still to be set), or NULL
 * when out of memory; room for it is made in s->datasets. */
static mg_dataset *dataset_new(mg_session *s, const char *name, const char *source,
                               const char *target)
{
    mg_dataset *d = calloc(1, sizeof *d);
    mg_dataset **v = realloc(s->datasets, (s->n_datasets + 1) * sizeof *v);
    if (v)
        s->datasets = v;
    if (!d || !v) {
        free(d);
        return NULL;
    }
    d->name = strdup(name);
    d->source = strdup(source ? source : "");
    d->target = target ? strdup(target) : NULL;
    if (!d->name || !d->source || (target && !d->target)) {
        dataset_free(d);
        return NULL;
    }
    return d;
}

/* Adds `d` (filled) under its name, replacing a data set of that name. */
static void dataset_insert(mg_session *s, mg_dataset *d)
{
    const char *name = d->name;
    /* a new data set under an existing name replaces it and becomes the most recent */
    for (size_t i = 0; i < s->n_datasets; i++) {
        if (strcmp(s->datasets[i]->name, name) == 0) {
            dataset_free(s->datasets[i]);
            memmove(&s->datasets[i], &s->datasets[i + 1],
                    (s->n_datasets - i - 1) * sizeof *s->datasets);
            s->n_datasets--;
            break;
        }
    }
    s->datasets[s->n_datasets++] = d;
}

int mg_session_put_dataset(mg_session *s, const char *name, aml_frame *frame,
                           const char *source, const char *target)
{
    mg_dataset *d = dataset_new(s, name, source, target);
    if (!d)
        return -1;
    d->frame = frame;
    dataset_insert(s, d);
    return 0;
}

int mg_session_put_images(mg_session *s, const char *name, aml_images *images,
                          aml_images_report *report, const char *source)
{
    mg_dataset *d = dataset_new(s, name, source, NULL);
    if (!d)
        return -1;
    d->images = images;
    d->images_report = report;
    dataset_insert(s, d);
    return 0;
}

int mg_table_or_fail(mg_ctx *ctx, const char *name, const char *magic, mg_dataset **out)
{
    if (mg_dataset_or_fail(ctx, name, out))
        return -1;
    if ((*out)->frame)
        return 0;
    return mg_fail(ctx, "DataError", "data set '%s' holds images; %s works on tables",
                   (*out)->name, magic);
}

mg_dataset *mg_session_dataset(const mg_session *s, const char *name)
{
    if (!name)
        return s->n_datasets ? s->datasets[s->n_datasets - 1] : NULL;
    for (size_t i = 0; i < s->n_datasets; i++)
        if (strcmp(s->datasets[i]->name, name) == 0)
            return s->datasets[i];
    return NULL;
}

size_t mg_session_dataset_count(const mg_session *s)
{
    return s->n_datasets;
}

mg_dataset *mg_session_dataset_at(const mg_session *s, size_t i)
{
    return i < s->n_datasets ? s->datasets[i] : NULL;
}

/* Adds entry `t` (owned from here on) under its name, replacing a model of
 * the same name; the new one becomes the most recent. */
static int put_trained(mg_session *s, mg_trained *t)
{
    mg_trained **v = realloc(s->models, (s->n_models + 1) * sizeof *v);
    if (v)
        s->models = v;
    if (!v || !t->name || !t->dataset || !t->source) {
        t->run = NULL;      /* the caller keeps what it passed on failure */
        t->loaded = NULL;
        trained_free(t);
        return -1;
    }
    for (size_t i = 0; i < s->n_models; i++) {
        if (strcmp(s->models[i]->name, t->name) == 0) {
            trained_free(s->models[i]);
            memmove(&s->models[i], &s->models[i + 1], (s->n_models - i - 1) * sizeof *v);
            s->n_models--;
            break;
        }
    }
    s->models[s->n_models++] = t;
    return 0;
}

uint64_t mg_test_fingerprint(const aml_frame *frame, const aml_run *run)
{
    size_t n = 0;
    const size_t *rows = run ? aml_run_test_rows(run, &n) : NULL;
    const aml_model *m = run ? aml_run_model(run) : NULL;
    long col = m ? aml_frame_col_index(frame, aml_model_target(m)) : -1;
    if (!rows || !n || col < 0 || rows[n - 1] >= aml_frame_nrows(frame))
        return 0;
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a over the cells' text, NUL-separated */
    char buf[256];
    for (size_t i = 0; i < n; i++) {
        size_t len = aml_frame_cell_str(frame, (size_t)col, rows[i], buf, sizeof buf);
        for (size_t j = 0; j <= len && j < sizeof buf; j++)
            h = (h ^ (unsigned char)buf[j]) * 0x100000001b3ull;
    }
    return h ? h : 1;
}

int mg_session_put_model(mg_session *s, const char *name, aml_run *run, const char *dataset)
{
    mg_trained *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    mg_dataset *d = dataset ? mg_session_dataset(s, dataset) : NULL;
    t->test_fingerprint = d ? mg_test_fingerprint(d->frame, run) : 0;
    t->name = strdup(name);
    t->dataset = strdup(dataset ? dataset : "");
    t->source = strdup("");
    t->run = run;
    return put_trained(s, t);
}

int mg_session_put_loaded(mg_session *s, const char *name, aml_model *model, const char *source)
{
    mg_trained *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->name = strdup(name);
    t->dataset = strdup("");
    t->source = strdup(source ? source : "");
    t->loaded = model;
    return put_trained(s, t);
}

const aml_model *mg_trained_model(const mg_trained *t)
{
    return t->run ? aml_run_model(t->run) : t->loaded;
}

int mg_model_or_fail(mg_ctx *ctx, const char *name, mg_trained **out)
{
    *out = mg_session_model(ctx->session, name);
    if (*out)
        return 0;
    if (!name)
        return mg_fail(ctx, "UsageError",
                       "no model yet — train one with %%train target=COLUMN or read one with %%load PATH");
    size_t n = mg_session_model_count(ctx->session);
    const char **names = calloc(n + 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++)
        names[i] = mg_session_model_at(ctx->session, i)->name;
    const char *best = names ? mg_closest_name(name, names, n) : NULL;
    free(names);
    if (best)
        return mg_fail(ctx, "UsageError", "no model named '%s' — did you mean '%s'?", name, best);
    return mg_fail(ctx, "UsageError", "no model named '%s' (%%models lists them)", name);
}

mg_trained *mg_session_model(const mg_session *s, const char *name)
{
    if (!name)
        return s->n_models ? s->models[s->n_models - 1] : NULL;
    for (size_t i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i]->name, name) == 0)
            return s->models[i];
    return NULL;
}

size_t mg_session_model_count(const mg_session *s)
{
    return s->n_models;
}

mg_trained *mg_session_model_at(const mg_session *s, size_t i)
{
    return i < s->n_models ? s->models[i] : NULL;
}

void mg_session_new_model_name(mg_session *s, char *buf, size_t len)
{
    do
        snprintf(buf, len, "model%u", ++s->next_model);
    while (mg_session_model(s, buf));
}

json_t *mg_session_state(const mg_session *s)
{
    json_t *magics = json_array(), *datasets = json_array(), *models = json_array();
    for (size_t i = 0; mg_magics[i]; i++)
        json_array_append_new(magics, json_string(mg_magics[i]->name));
    for (size_t i = 0; i < s->n_datasets; i++)
        json_array_append_new(datasets, json_string(s->datasets[i]->name));
    for (size_t i = 0; i < s->n_models; i++)
        json_array_append_new(models, json_string(s->models[i]->name));
    return json_pack("{s:o, s:o, s:o}", "magics", magics, "datasets", datasets, "models",
                     models);
}
