/*
 * mg_registry.c — the table of magics, binding parsed lines to a magic's typed
 * options (with "did you mean" suggestions), and value parsing (durations).
 */
#include "mg.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defined in the family files (one line a family, so adding one is one line). */
extern const mg_magic mg_magic_import, mg_magic_datasets, mg_magic_show, mg_magic_schema;
extern const mg_magic mg_magic_analyze, mg_magic_plot;
extern const mg_magic mg_magic_train, mg_magic_leaderboard, mg_magic_models, mg_magic_compare;
extern const mg_magic mg_magic_evaluate, mg_magic_explain;
extern const mg_magic mg_magic_predict, mg_magic_save, mg_magic_load;
extern const mg_magic mg_magic_deploy, mg_magic_undeploy;
extern const mg_magic mg_magic_http;
extern const mg_magic mg_magic_help, mg_magic_version, mg_magic_echo, mg_magic_clear;
extern const mg_magic mg_magic_sleep, mg_magic_input, mg_magic_exit;

/* In %help order: the workflow first, then the utilities. */
const mg_magic *const mg_magics[] = {
    &mg_magic_import, &mg_magic_datasets, &mg_magic_show, &mg_magic_schema,
    &mg_magic_analyze, &mg_magic_plot,
    &mg_magic_train, &mg_magic_leaderboard, &mg_magic_models, &mg_magic_compare,
    &mg_magic_evaluate, &mg_magic_explain,
    &mg_magic_predict, &mg_magic_save, &mg_magic_load,
    &mg_magic_deploy, &mg_magic_undeploy,
    &mg_magic_http,
    &mg_magic_help, &mg_magic_version, &mg_magic_echo, &mg_magic_clear,
    &mg_magic_sleep, &mg_magic_input, &mg_magic_exit,
    NULL,
};

const mg_magic *mg_find(const char *name)
{
    for (size_t i = 0; mg_magics[i]; i++)
        if (strcmp(mg_magics[i]->name, name) == 0)
            return mg_magics[i];
    return NULL;
}

/* Closest candidate within a distance that scales with the word's length; a
 * candidate that starts with the word also counts. */
const char *mg_closest_name(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t wl = strlen(word);
    size_t limit = wl <= 3 ? 1 : wl <= 6 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = aml_edit_distance(word, cands[i]);
        if (wl >= 2 && strncasecmp(cands[i], word, wl) == 0)
            d = d < 1 ? d : 1;
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

const char *mg_closest_magic(const char *word)
{
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; mg_magics[i] && n < 64; i++)
        names[n++] = mg_magics[i]->name;
    while (*word == '%')
        word++;
    return mg_closest_name(word, names, n);
}

const char *mg_closest_option(const mg_magic *m, const char *word)
{
    const char *names[32];
    size_t n = 0;
    for (const mg_option *o = m->options; o && o->name && n < 32; o++)
        names[n++] = o->name;
    return mg_closest_name(word, names, n);
}

double mg_parse_duration(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -1;
    double unit = 1;
    if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
        unit = 1;
    else if (strcmp(end, "ms") == 0)
        unit = 0.001;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        unit = 60;
    else if (strcmp(end, "h") == 0)
        unit = 3600;
    else
        return -1;
    return v * unit;
}

double mg_parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -1;
    static const char units[] = "kmgt";
    double scale = 1;
    if (*end) {
        const char *u = strchr(units, tolower((unsigned char)*end));
        if (!u)
            return -1;
        scale = pow(1024, (double)(u - units + 1));
        end++;
        if (*end == 'B' || *end == 'b')
            end++;
    }
    return *end ? -1 : v * scale;
}

static const mg_option *find_option(const mg_magic *m, const char *name, size_t *index)
{
    size_t i = 0;
    for (const mg_option *o = m->options; o && o->name; o++, i++)
        if (strcmp(o->name, name) == 0) {
            *index = i;
            return o;
        }
    return NULL;
}

static bool in_enum(const char *values, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = values; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

static int check_value(const mg_magic *m, const mg_option *o, const mg_arg *a, char *why,
                       size_t len)
{
    const char *v = a->value;
    char *end;
    switch (o->type) {
    case MG_FLAG:
        if (v && strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "yes") && strcmp(v, "no")) {
            snprintf(why, len, "option '%s' of %%%s is a flag: write %s or --%s", o->name,
                     m->name, o->name, o->name);
            return -1;
        }
        return 0;
    case MG_INT:
        if (!v || !*v || (strtol(v, &end, 10), *end)) {
            snprintf(why, len, "option '%s' of %%%s needs a whole number (got '%s')", o->name,
                     m->name, v ? v : "");
            return -1;
        }
        return 0;
    case MG_NUMBER:
        if (!v || !*v || (strtod(v, &end), *end)) {
            snprintf(why, len, "option '%s' of %%%s needs a number (got '%s')", o->name,
                     m->name, v ? v : "");
            return -1;
        }
        return 0;
    case MG_DURATION:
        if (!v || mg_parse_duration(v) < 0) {
            snprintf(why, len, "option '%s' of %%%s needs a duration such as 90s, 5m or 1h "
                     "(got '%s')", o->name, m->name, v ? v : "");
            return -1;
        }
        return 0;
    case MG_SIZE:
        if (!v || mg_parse_size(v) < 0) {
            snprintf(why, len, "option '%s' of %%%s needs a size such as 512M or 4G (got '%s')",
                     o->name, m->name, v ? v : "");
            return -1;
        }
        return 0;
    case MG_ENUM:
        if (!v || !in_enum(o->values, v)) {
            snprintf(why, len, "option '%s' of %%%s must be one of %s (got '%s')", o->name,
                     m->name, o->values, v ? v : "");
            return -1;
        }
        return 0;
    case MG_STRING:
    case MG_LIST:
    case MG_COLUMN:
        if (!v) {
            snprintf(why, len, "option '%s' of %%%s needs a value: %s=...", o->name, m->name,
                     o->name);
            return -1;
        }
        return 0;
    }
    return 0;
}

static void unknown_option(const mg_magic *m, const char *name, const mg_arg *a, char *why,
                           size_t len)
{
    const char *s = mg_closest_option(m, name);
    int n = snprintf(why, len, "column %d: unknown option '%s' for %%%s", a->column, name,
                     m->name);
    if (n < 0 || (size_t)n >= len)
        return;
    if (s)
        snprintf(why + n, len - (size_t)n, " — did you mean '%s'?", s);
    else if (m->options && m->options[0].name)
        snprintf(why + n, len - (size_t)n, " (see %%%s?)", m->name);
    else
        snprintf(why + n, len - (size_t)n, " (it takes no options)");
}

int mg_call_bind(const mg_magic *m, const mg_line *line, mg_call *call, char *why, size_t len)
{
    memset(call, 0, sizeof *call);
    call->magic = m;
    call->line = line;
    call->pos = calloc(line->n_args + 1, sizeof *call->pos);
    call->extra = calloc(line->n_args + 1, sizeof *call->extra);
    if (!call->pos || !call->extra) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    if (m->free_text) {
        /* leading --flags are options; the rest of the line is the text */
        const char *t = line->rest;
        for (size_t i = 0; i < line->n_args && line->args[i].key; i++) {
            size_t idx;
            const mg_option *o = find_option(m, line->args[i].key, &idx);
            if (!o || strncmp(t, "--", 2) != 0)
                break;
            if (check_value(m, o, &line->args[i], why, len))
                return -1;
            call->values[idx] = line->args[i].value ? line->args[i].value : "";
            while (*t && *t != ' ' && *t != '\t')
                t++;
            while (*t == ' ' || *t == '\t')
                t++;
        }
        call->text = t;
        return 0;
    }
    for (size_t i = 0; i < line->n_args; i++) {
        const mg_arg *a = &line->args[i];
        size_t idx;
        if (!a->key && m->takes_as && strcmp(a->value, "as") == 0) {
            if (i + 1 >= line->n_args || line->args[i + 1].key) {
                snprintf(why, len, "column %d: 'as' needs a name after it — usage: %s",
                         a->column, m->synopsis);
                return -1;
            }
            call->as_name = line->args[++i].value;
            continue;
        }
        if (!a->key) {
            /* a bare word naming a flag option sets it (`skip_errors`) */
            const mg_option *o = find_option(m, a->value, &idx);
            if (o && o->type == MG_FLAG) {
                call->values[idx] = "";
                continue;
            }
            call->pos[call->n_pos++] = a->value;
            continue;
        }
        const mg_option *o = find_option(m, a->key, &idx);
        if (!o && m->any_options && a->value) {
            call->extra[call->n_extra++] = a;
            continue;
        }
        if (!o) {
            unknown_option(m, a->key, a, why, len);
            return -1;
        }
        if (call->values[idx]) {
            snprintf(why, len, "column %d: option '%s' of %%%s is given twice", a->column,
                     a->key, m->name);
            return -1;
        }
        if (check_value(m, o, a, why, len))
            return -1;
        call->values[idx] = a->value ? a->value : "";
    }
    if ((int)call->n_pos < m->min_args) {
        snprintf(why, len, "%%%s needs %s — usage: %s", m->name,
                 m->min_args == 1 ? "an argument" : "more arguments", m->synopsis);
        return -1;
    }
    if (m->max_args >= 0 && (int)call->n_pos > m->max_args) {
        if (m->max_args == 0)
            snprintf(why, len, "%%%s takes no arguments (got '%s') — usage: %s", m->name,
                     call->pos[0], m->synopsis);
        else
            snprintf(why, len, "too many arguments for %%%s (unexpected '%s') — usage: %s",
                     m->name, call->pos[m->max_args], m->synopsis);
        return -1;
    }
    return 0;
}

void mg_call_clear(mg_call *call)
{
    free(call->pos);
    free(call->extra);
    call->pos = NULL;
    call->extra = NULL;
}

const char *mg_opt(const mg_call *c, const char *name)
{
    size_t idx;
    if (!find_option(c->magic, name, &idx))
        return NULL;
    return c->values[idx];
}

bool mg_flag(const mg_call *c, const char *name)
{
    const char *v = mg_opt(c, name);
    return v && strcmp(v, "false") != 0 && strcmp(v, "no") != 0;
}
