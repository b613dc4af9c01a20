/*
 * mg_complete.c — tab completion: magic names, option names (name= or flag),
 * enumerated option values, column names of the data set in play, data set
 * names and file paths, and type names for %schema.
 */
#include "mg.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Code points <-> bytes, from the kernel layer's text helpers. */
size_t kn_utf8_offset(const char *s, long cp);
long kn_utf8_count(const char *s, size_t bytes);

#define MAX_MATCHES 200

static void add(json_t *matches, const char *prefix, const char *cand, const char *suffix)
{
    if (json_array_size(matches) >= MAX_MATCHES)
        return;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s%s", prefix, cand, suffix);
    for (size_t i = 0; i < json_array_size(matches); i++)
        if (strcmp(json_string_value(json_array_get(matches, i)), buf) == 0)
            return;
    json_array_append_new(matches, json_string(buf));
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void paths(json_t *matches, const char *word)
{
    char dir[1024] = ".", base[1024];
    const char *slash = strrchr(word, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - word + 1), word);
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        snprintf(base, sizeof base, "%s", word);
    }
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if ((e->d_name[0] == '.' && base[0] != '.') || !starts(e->d_name, base))
            continue;
        char full[2100];
        snprintf(full, sizeof full, "%s%s", slash ? dir : "", e->d_name);
        add(matches, "", full, e->d_type == DT_DIR ? "/" : "");
    }
    closedir(d);
}

static void columns(json_t *matches, const mg_dataset *d, const char *prefix, const char *typed,
                    const char *suffix)
{
    for (size_t c = 0; d && c < aml_frame_ncols(d->frame); c++)
        if (starts(aml_frame_col_name(d->frame, c), typed))
            add(matches, prefix, aml_frame_col_name(d->frame, c), suffix);
}

static void enum_values(json_t *matches, const char *values, const char *prefix,
                        const char *typed)
{
    for (const char *v = values; *v;) {
        const char *bar = strchr(v, '|');
        size_t vl = bar ? (size_t)(bar - v) : strlen(v);
        char one[128];
        snprintf(one, sizeof one, "%.*s", (int)vl, v);
        if (starts(one, typed))
            add(matches, prefix, one, "");
        if (!bar)
            break;
        v = bar + 1;
    }
}

static const mg_option *find_option(const mg_magic *m, const char *name, size_t len)
{
    for (const mg_option *o = m->options; o && o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

/* The words of the line before the cursor's word (positional ones only). */
static size_t positional_before(const char *line, size_t upto, char *first, size_t len)
{
    size_t starts_at[64];
    char text[2048];
    snprintf(text, sizeof text, "%.*s", (int)upto, line);
    size_t n = mg_split_words(text, starts_at, 64), count = 0;
    first[0] = 0;
    for (size_t i = 1; i < n && i < 64; i++) {  /* word 0 is the magic */
        const char *w = text + starts_at[i];
        size_t wl = strcspn(w, " \t");
        if (memchr(w, '=', wl) || (wl > 1 && w[0] == '-' && w[1] == '-'))
            continue;
        if (count++ == 0)
            snprintf(first, len, "%.*s", (int)wl, w);
    }
    return count;
}

json_t *mg_complete(mg_session *s, const char *code, long cursor_pos)
{
    size_t end = kn_utf8_offset(code, cursor_pos);
    size_t ls = end;
    while (ls > 0 && code[ls - 1] != '\n')
        ls--;
    while (ls < end && (code[ls] == ' ' || code[ls] == '\t'))
        ls++;
    size_t ws = end;
    while (ws > ls && !isspace((unsigned char)code[ws - 1]))
        ws--;
    char word[512];
    snprintf(word, sizeof word, "%.*s", (int)(end - ws), code + ws);
    json_t *matches = json_array();

    /* a word starting with % is a magic name: at the line's start, or an
     * argument such as `%help %ver` */
    if (word[0] == '%') {
        const char *pct = code[ls + 1] == '%' ? "%%" : "%";
        const char *typed = word + (strlen(word) >= strlen(pct) ? strlen(pct) : strlen(word));
        for (size_t i = 0; mg_magics[i]; i++)
            if (starts(mg_magics[i]->name, typed))
                add(matches, pct, mg_magics[i]->name, "");
    } else if (code[ls] == '%') {
        char name[64];
        size_t k = 0, p = ls + 1;
        while (code[p] == '%')
            p++;
        while (k + 1 < sizeof name &&
               (isalnum((unsigned char)code[p]) || code[p] == '_' || code[p] == '-'))
            name[k++] = code[p++];
        name[k] = 0;
        const mg_magic *m = mg_find(name);
        char first[256];
        size_t npos = m ? positional_before(code + ls, ws - ls, first, sizeof first) : 0;
        const mg_dataset *d = NULL;
        if (m && m->first_arg == MG_ARG_DATASET && npos)
            d = mg_session_dataset(s, first);
        if (!d)
            d = mg_session_dataset(s, NULL);
        const char *w = starts(word, "--") ? word + 2 : word;
        const char *dash = w == word ? "" : "--";
        const char *eq = strchr(w, '=');
        if (m && eq) {
            char prefix[300];
            snprintf(prefix, sizeof prefix, "%s%.*s=", dash, (int)(eq - w + 0), w);
            const mg_option *o = find_option(m, w, (size_t)(eq - w));
            if (o && o->type == MG_ENUM)
                enum_values(matches, o->values, prefix, eq + 1);
            else if (o && o->type == MG_COLUMN)
                columns(matches, d, prefix, eq + 1, "");
            else if (!o && m->any_options)
                enum_values(matches, "number|integer|boolean|categorical|text|datetime", prefix,
                            eq + 1);
        } else if (m) {
            for (const mg_option *o = m->options; o && o->name; o++)
                if (starts(o->name, w))
                    add(matches, dash, o->name, o->type == MG_FLAG ? "" : "=");
            if (m->any_options && !*dash)
                columns(matches, d, "", w, "=");
            if (npos == 0 && !*dash && m->first_arg == MG_ARG_DATASET)
                for (size_t i = 0; i < mg_session_dataset_count(s); i++)
                    if (starts(mg_session_dataset_at(s, i)->name, w))
                        add(matches, "", mg_session_dataset_at(s, i)->name, "");
            if (npos == 0 && !*dash && m->first_arg == MG_ARG_PATH) {
                for (size_t i = 0; mg_bundled_at(i); i++)
                    if (starts(mg_bundled_at(i)->name, w))
                        add(matches, "", mg_bundled_at(i)->name, "");
                paths(matches, w);
            }
        }
    }
    return json_pack("{s:o, s:i, s:i, s:{}}", "matches", matches, "cursor_start",
                     (int)kn_utf8_count(code, ws), "cursor_end", (int)cursor_pos, "metadata");
}
