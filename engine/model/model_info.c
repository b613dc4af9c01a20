/*
 * model_info.c — a model's training info: one JSON object kept as text in the
 * bundle and saved with it (format version 3): setting it, reading it, and
 * merging keys into it.  The search fills it at the end of a run
 * (search/search_info.c); %save adds the data set's name and source.
 */
#include "model/model_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parses `json` as an object.  OUT: *obj (new reference). */
static int parse_object(const char *json, json_t **obj, aml_error *err)
{
    json_error_t je;
    json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return aml_error_set(err, AML_EPARSE, je.line, je.column, "info",
                             "training info is not JSON: %s", je.text);
    if (!json_is_object(o)) {
        json_decref(o);
        return aml_error_set(err, AML_EINVAL, 0, 0, "info", "training info must be a JSON object");
    }
    *obj = o;
    return 0;
}

/* Compact text of `o` in amlp_ memory (NULL when out of memory). */
static char *dump(const json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return NULL;
    char *c = amlp_strdup(s);
    free(s);
    return c;
}

int aml_model_set_info(aml_model *m, const char *json, aml_error *err)
{
    if (!m)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no model");
    char *text = NULL;
    if (json && *json) {
        json_t *o;
        int rc = parse_object(json, &o, err);
        if (rc)
            return rc;
        text = dump(o);
        json_decref(o);
        if (!text)
            return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    amlp_free(m->info);
    m->info = text;
    return 0;
}

const char *aml_model_info(const aml_model *m)
{
    return m && m->info ? m->info : "{}";
}

int amlp_model_info_merged(const aml_model *m, const char *extra, char **out, aml_error *err)
{
    *out = NULL;
    if (!extra || !*extra) {
        *out = amlp_strdup(aml_model_info(m));
        return *out ? 0 : aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    json_t *base, *add;
    int rc = parse_object(aml_model_info(m), &base, err);
    if (rc)
        return rc;
    rc = parse_object(extra, &add, err);
    if (rc) {
        json_decref(base);
        return rc;
    }
    if (json_object_update(base, add) == 0)
        *out = dump(base);
    json_decref(base);
    json_decref(add);
    return *out ? 0 : aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
}
