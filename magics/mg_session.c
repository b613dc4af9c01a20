/* mg_session.c — the session state: named data sets (most recent last) and
 * models, and what the notebook extension is told of them. */
#include "mg.h"

#include <stdlib.h>
#include <string.h>

struct mg_session {
    mg_dataset **datasets;  /* most recent last */
    size_t n_datasets;
    json_t *models;         /* names */
};

mg_session *mg_session_new(void)
{
    mg_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->models = json_array();
    return s;
}

static void dataset_free(mg_dataset *d)
{
    if (!d)
        return;
    aml_frame_free(d->frame);
    free(d->name);
    free(d->source);
    free(d->target);
    free(d);
}

void mg_session_free(mg_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_datasets; i++)
        dataset_free(s->datasets[i]);
    free(s->datasets);
    json_decref(s->models);
    free(s);
}

int mg_session_put_dataset(mg_session *s, const char *name, aml_frame *frame,
                           const char *source, const char *target)
{
    mg_dataset *d = calloc(1, sizeof *d);
    mg_dataset **v = realloc(s->datasets, (s->n_datasets + 1) * sizeof *v);
    if (v)
        s->datasets = v;
    if (!d || !v) {
        free(d);
        return -1;
    }
    d->name = strdup(name);
    d->source = strdup(source ? source : "");
    d->target = target ? strdup(target) : NULL;
    if (!d->name || !d->source || (target && !d->target)) {
        dataset_free(d);
        return -1;
    }
    d->frame = frame;
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
    return 0;
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

json_t *mg_session_state(const mg_session *s)
{
    json_t *magics = json_array(), *datasets = json_array();
    for (size_t i = 0; mg_magics[i]; i++)
        json_array_append_new(magics, json_string(mg_magics[i]->name));
    for (size_t i = 0; i < s->n_datasets; i++)
        json_array_append_new(datasets, json_string(s->datasets[i]->name));
    return json_pack("{s:o, s:o, s:O}", "magics", magics, "datasets", datasets, "models",
                     s->models);
}
