/*
 * kn_history.c — execution history, persisted across restarts.
 *
 * Stored as JSON lines ({"session","line","input","output"}) in
 * <dir>/history.jsonl, appended one line per execution.  Each kernel start is a
 * new session numbered after the highest one in the file.  Answers the three
 * access types of history_request: tail, range and search (glob).
 */
#include "kn_internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Entries kept in memory (and answerable); older ones stay in the file.
 * Bounded in count and in bytes, so a session of huge cells keeps a bounded
 * footprint. */
#define KN_HISTORY_KEEP 20000
#define KN_HISTORY_BYTES (1u << 20)

typedef struct entry {
    int session, line;
    char *input, *output;
} entry;

struct kn_history {
    entry *v;
    size_t n, cap;
    size_t bytes;   /* text held by the entries */
    int session;
    FILE *file;  /* NULL: memory only */
};

static size_t entry_bytes(const entry *e)
{
    return strlen(e->input) + (e->output ? strlen(e->output) : 0);
}

static void entry_free(entry *e)
{
    free(e->input);
    free(e->output);
}

static void drop_oldest(kn_history *h)
{
    h->bytes -= entry_bytes(&h->v[0]);
    entry_free(&h->v[0]);
    memmove(h->v, h->v + 1, (h->n - 1) * sizeof *h->v);
    h->n--;
}

static void push(kn_history *h, int session, int line, const char *input, const char *output)
{
    size_t add = strlen(input ? input : "") + (output ? strlen(output) : 0);
    while (h->n && (h->n == KN_HISTORY_KEEP || h->bytes + add > KN_HISTORY_BYTES))
        drop_oldest(h);
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        entry *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return;  /* history is best effort: never fail the execution for it */
        h->v = v;
        h->cap = cap;
    }
    entry *e = &h->v[h->n];
    e->session = session;
    e->line = line;
    e->input = strdup(input ? input : "");
    e->output = output ? strdup(output) : NULL;
    if (!e->input) {
        free(e->output);
        return;
    }
    h->bytes += entry_bytes(e);
    h->n++;
}

static int mkdirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(path, 0700) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(path, 0700) && errno != EEXIST ? -1 : 0;
}

static void load(kn_history *h, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_t *o = json_loadb(line, (size_t)len, 0, NULL);
        int s = (int)json_integer_value(json_object_get(o, "session"));
        int l = (int)json_integer_value(json_object_get(o, "line"));
        const char *in = json_string_value(json_object_get(o, "input"));
        if (in && s > 0) {  /* skip damaged lines, e.g. a torn last write */
            push(h, s, l, in, json_string_value(json_object_get(o, "output")));
            if (s > h->session)
                h->session = s;
        }
        json_decref(o);
    }
    free(line);
}

kn_history *kn_history_open(const char *dir)
{
    kn_history *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (dir && *dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/history.jsonl", dir);
        if (mkdirs(dir) == 0) {
            h->file = fopen(path, "a+");
            if (h->file) {
                rewind(h->file);
                load(h, h->file);
                fseek(h->file, 0, SEEK_END);
            }
        }
        if (!h->file)
            kn_log("history: cannot open %s (%s); keeping history in memory", path,
                   strerror(errno));
    }
    h->session++;
    return h;
}

void kn_history_free(kn_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        entry_free(&h->v[i]);
    free(h->v);
    if (h->file)
        fclose(h->file);
    free(h);
}

int kn_history_session(const kn_history *h)
{
    return h->session;
}

void kn_history_add(kn_history *h, int line, const char *input, const char *output)
{
    push(h, h->session, line, input, output);
    if (!h->file)
        return;
    json_t *o = json_pack("{s:i, s:i, s:s, s:s?}", "session", h->session, "line", line, "input",
                          input ? input : "", "output", output);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text) {
        /* one line per write: concurrent kernels append whole lines */
        fprintf(h->file, "%s\n", text);
        fflush(h->file);
    }
    free(text);
    json_decref(o);
}

static json_t *item(const entry *e, int session, bool output)
{
    if (output)
        return json_pack("[i, i, [s, s?]]", session, e->line, e->input, e->output);
    return json_pack("[i, i, s]", session, e->line, e->input);
}

static long get_int(json_t *req, const char *key, long dflt)
{
    json_t *v = json_object_get(req, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

json_t *kn_history_reply(const kn_history *h, json_t *req)
{
    /* strings holding a NUL character (kn_cstring) name no access type and
     * match no entry: the reply is an empty list */
    json_t *type_v = json_object_get(req, "hist_access_type");
    const char *type = json_is_string(type_v) ? kn_cstring(type_v) : "tail";
    bool output = json_is_true(json_object_get(req, "output"));
    json_t *list = json_array();
    if (!type)
        type = "";
    if (strcmp(type, "tail") == 0) {
        long n = get_int(req, "n", 10);
        size_t start = n >= 0 && (size_t)n < h->n ? h->n - (size_t)n : 0;
        for (size_t i = start; i < h->n; i++)
            json_array_append_new(list, item(&h->v[i], h->v[i].session, output));
    } else if (strcmp(type, "range") == 0) {
        /* session <= 0 counts back from the current one; entries echo the
         * session number as the request gave it */
        long asked = get_int(req, "session", 0);
        int session = (int)(asked <= 0 ? h->session + asked : asked);
        long start = get_int(req, "start", 1), stop = get_int(req, "stop", -1);
        for (size_t i = 0; i < h->n; i++) {
            const entry *e = &h->v[i];
            if (e->session == session && e->line >= start && (stop < 0 || e->line < stop))
                json_array_append_new(list, item(e, (int)asked, output));
        }
    } else if (strcmp(type, "search") == 0) {
        json_t *pattern_v = json_object_get(req, "pattern");
        const char *pattern = json_is_string(pattern_v) ? kn_cstring(pattern_v) : "*";
        long n = get_int(req, "n", -1);
        bool unique = json_is_true(json_object_get(req, "unique"));
        /* newest first while collecting, so n and unique keep the latest */
        json_t *rev = json_array();
        for (size_t i = h->n; pattern && i-- > 0 && (n < 0 || (long)json_array_size(rev) < n);) {
            const entry *e = &h->v[i];
            if (fnmatch(pattern, e->input, 0) != 0)
                continue;
            bool dup = false;
            for (size_t j = 0; unique && !dup && j < json_array_size(rev); j++) {
                json_t *prev = json_array_get(json_array_get(rev, j), 2);
                if (json_is_array(prev))
                    prev = json_array_get(prev, 0);
                dup = strcmp(json_string_value(prev), e->input) == 0;
            }
            if (!dup)
                json_array_append_new(rev, item(e, e->session, output));
        }
        for (size_t j = json_array_size(rev); j-- > 0;)
            json_array_append(list, json_array_get(rev, j));
        json_decref(rev);
    }
    return json_pack("{s:s, s:o}", "status", "ok", "history", list);
}
