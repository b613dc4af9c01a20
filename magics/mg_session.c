/* mg_session.c — the session state: named data sets and models (filled by the
 * data and training magics) and what the notebook extension is told of it. */
#include "mg.h"

#include <stdlib.h>

struct mg_session {
    json_t *datasets;  /* list of names, most recent last */
    json_t *models;
};

mg_session *mg_session_new(void)
{
    mg_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->datasets = json_array();
    s->models = json_array();
    return s;
}

void mg_session_free(mg_session *s)
{
    if (!s)
        return;
    json_decref(s->datasets);
    json_decref(s->models);
    free(s);
}

json_t *mg_session_state(const mg_session *s)
{
    json_t *magics = json_array();
    for (size_t i = 0; mg_magics[i]; i++)
        json_array_append_new(magics, json_string(mg_magics[i]->name));
    return json_pack("{s:o, s:O, s:O}", "magics", magics, "datasets", s->datasets, "models",
                     s->models);
}
