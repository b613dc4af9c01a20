/*
 * journal.c — the search journal: <dir>/run.json (the fingerprint of the data
 * and of the options that change results, written atomically), and
 * <dir>/journal.jsonl (one JSON line per finished trial, flushed and synced),
 * plus <dir>/oof/<id>.f32 (a trial's out-of-fold predictions, written
 * atomically).  On resume, run.json is compared with the new fingerprint and
 * every complete line is read back; a torn last line (a crash mid-write) is
 * dropped and cut from the file.
 */
#include "search/search_internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct amlp_journal {
    FILE *f;
    char dir[1024];
};

static int write_atomic(const char *path, const void *data, size_t len, aml_error *err)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot write %s: %s", tmp, strerror(errno));
    bool ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot write %s", path);
    }
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = amlp_malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = amlp_realloc(buf, 2 * cap + 1);
        if (!nb) {
            amlp_free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

static void val_text(const json_t *v, char *buf, size_t cap)
{
    if (!v) {
        snprintf(buf, cap, "absent");
        return;
    }
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, cap, "%s", s ? s : "?");
    free(s);
}

/* Compares the stored fingerprint with the new one; a difference is
 * AML_EINVAL naming what differs. */
static int compare_fp(const char *dir, const json_t *old, const json_t *now, aml_error *err)
{
    const json_t *od = json_object_get(old, "data"), *nd = json_object_get(now, "data");
    const json_t *oo = json_object_get(old, "options"), *no = json_object_get(now, "options");
    if (!json_is_object(od) || !json_is_object(oo))
        return aml_error_set(err, AML_EINVAL, 0, 0, dir, "the journal in %s has an unreadable run.json",
                             dir);
    json_int_t orows = json_integer_value(json_object_get(od, "rows"));
    json_int_t nrows = json_integer_value(json_object_get(nd, "rows"));
    if (orows != nrows)
        return aml_error_set(err, AML_EINVAL, 0, 0, dir,
                             "the journal in %s was made on other data (%lld rows, now %lld)", dir,
                             (long long)orows, (long long)nrows);
    const json_t *oc = json_object_get(od, "columns"), *nc = json_object_get(nd, "columns");
    if (json_array_size(oc) != json_array_size(nc))
        return aml_error_set(err, AML_EINVAL, 0, 0, dir,
                             "the journal in %s was made on other data (%zu columns, now %zu)", dir,
                             json_array_size(oc), json_array_size(nc));
    for (size_t i = 0; i < json_array_size(oc); i++) {
        const json_t *a = json_array_get(oc, i), *b = json_array_get(nc, i);
        if (!json_equal((json_t *)a, (json_t *)b)) {
            const char *an = json_string_value(json_object_get(a, "name"));
            const char *at = json_string_value(json_object_get(a, "type"));
            const char *bn = json_string_value(json_object_get(b, "name"));
            const char *bt = json_string_value(json_object_get(b, "type"));
            return aml_error_set(err, AML_EINVAL, 0, 0, dir,
                                 "the journal in %s was made on other data (column %zu was '%s' %s, "
                                 "now '%s' %s)",
                                 dir, i + 1, an ? an : "?", at ? at : "?", bn ? bn : "?",
                                 bt ? bt : "?");
        }
    }
    if (!json_equal(json_object_get(od, "target_hash"), json_object_get(nd, "target_hash")))
        return aml_error_set(err, AML_EINVAL, 0, 0, dir,
                             "the journal in %s was made on other data (the target column's values "
                             "differ)",
                             dir);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)no, key, v) {
        json_t *ov = json_object_get(oo, key);
        if (!ov || !json_equal(ov, v)) {
            char a[200], b[200];
            val_text(ov, a, sizeof a);
            val_text(v, b, sizeof b);
            return aml_error_set(err, AML_EINVAL, 0, 0, dir,
                                 "the journal in %s was made with other options (%s was %s, now %s)",
                                 dir, key, a, b);
        }
    }
    json_object_foreach((json_t *)oo, key, v) {
        if (!json_object_get(no, key))
            return aml_error_set(err, AML_EINVAL, 0, 0, dir,
                                 "the journal in %s was made with other options (%s is no longer set)",
                                 dir, key);
    }
    return 0;
}

static double num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static int status_of(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "ok") == 0)
        return AML_TRIAL_OK;
    if (strcmp(s, "failed") == 0)
        return AML_TRIAL_FAILED;
    if (strcmp(s, "canceled") == 0)
        return AML_TRIAL_CANCELED;
    return -1;
}

static void trial_clear(amlp_journal_trial *t)
{
    amlp_free(t->kind);
    amlp_free(t->error);
    for (size_t i = 0; i < t->params.n; i++)
        amlp_free((char *)t->params.name[i]);
    memset(t, 0, sizeof *t);
}

void amlp_journal_trials_free(amlp_journal_trial *t, size_t n)
{
    if (!t)
        return;
    for (size_t i = 0; i < n; i++)
        trial_clear(&t[i]);
    amlp_free(t);
}

/* One line into *t.  Returns 0, 1 (not a trial line), or AML_ENOMEM. */
static int parse_line(const char *s, size_t len, amlp_journal_trial *t)
{
    memset(t, 0, sizeof *t);
    json_t *o = json_loadb(s, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return 1;
    }
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const json_t *params = json_object_get(o, "params");
    const json_t *folds = json_object_get(o, "fold_scores");
    int st = status_of(json_string_value(json_object_get(o, "status")));
    if (!kind || !json_is_object(params) || !json_is_array(folds) || st < 0 ||
        json_object_size(params) > AML_PARAMS_MAX || json_array_size(folds) > 16) {
        json_decref(o);
        return 1;
    }
    int rc = 0;
    t->kind = amlp_strdup(kind);
    const char *err = json_string_value(json_object_get(o, "error"));
    t->error = amlp_strdup(err ? err : "");
    rc = t->kind && t->error ? 0 : AML_ENOMEM;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)params, key, v) {
        if (rc)
            break;
        char *name = amlp_strdup(key);
        if (!name) {
            rc = AML_ENOMEM;
            break;
        }
        t->params.name[t->params.n] = name;
        t->params.value[t->params.n++] = json_is_number(v) ? json_number_value(v) : 0;
    }
    t->fidelity = num(o, "fidelity");
    t->status = st;
    t->score = num(o, "score");
    t->score_std = num(o, "score_std");
    t->fit_seconds = num(o, "fit_seconds");
    t->predict_seconds = num(o, "predict_seconds");
    t->finished_at = num(o, "finished_at");
    double it = num(o, "n_iterations");
    t->n_iterations = it == it && it > 0 ? (size_t)it : 0;
    double fs = num(o, "features");   /* absent before feature steps were journaled */
    t->features = fs == fs && fs > 0 && fs < 65536 ? (unsigned)fs : 0;
    double id = num(o, "id");
    t->id = id == id && id > 0 ? (size_t)id : 0;
    t->n_folds = json_array_size(folds);
    for (size_t i = 0; i < t->n_folds; i++)
        t->fold_scores[i] = json_is_number(json_array_get(folds, i))
                                ? json_number_value(json_array_get(folds, i)) : NAN;
    if (!(t->fidelity > 0 && t->fidelity <= 1) && rc == 0) {
        trial_clear(t);
        rc = 1;
    }
    if (t->score_std != t->score_std)
        t->score_std = 0;
    if (t->fit_seconds != t->fit_seconds)
        t->fit_seconds = 0;
    if (t->predict_seconds != t->predict_seconds)
        t->predict_seconds = 0;
    if (t->finished_at != t->finished_at)
        t->finished_at = 0;
    json_decref(o);
    if (rc == AML_ENOMEM)
        trial_clear(t);
    return rc;
}

static int read_trials(const char *dir, const char *path, bool repair,
                       amlp_journal_trial **trials, size_t *n, aml_error *err)
{
    size_t len = 0;
    char *buf = read_all(path, &len);
    if (!buf) {
        if (errno == ENOENT)
            return 0;
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot read %s", path);
    }
    size_t cap = 0, good_end = 0, line_no = 0;
    int rc = 0;
    for (size_t pos = 0; rc == 0 && pos < len;) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        line_no++;
        bool last = !nl || end + 1 >= len;
        if (end == pos) {   /* an empty line */
            pos = end + 1;
            good_end = pos;
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            amlp_journal_trial *p = amlp_realloc(*trials, cap * sizeof *p);
            if (!p) {
                rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
                break;
            }
            *trials = p;
        }
        int prc = nl ? parse_line(buf + pos, end - pos, &(*trials)[*n]) : 1;
        if (prc == AML_ENOMEM) {
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        } else if (prc) {
            if (!last)
                rc = aml_error_set(err, AML_EIO, (long)line_no, 0, path,
                                   "the journal in %s is damaged at line %zu", dir, line_no);
            break;   /* a torn last line: dropped */
        } else {
            (*n)++;
            good_end = end + 1;
        }
        pos = end + 1;
    }
    amlp_free(buf);
    if (rc == 0 && repair && good_end < len && truncate(path, (off_t)good_end) != 0)
        rc = aml_error_set(err, AML_EIO, 0, 0, path, "cannot cut the torn last line of %s", path);
    return rc;
}

int amlp_journal_open(const char *dir, const char *fingerprint_json, bool resume,
                      amlp_journal **out, amlp_journal_trial **trials, size_t *n, aml_error *err)
{
    *out = NULL;
    *trials = NULL;
    *n = 0;
    if (strlen(dir) > 900)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "journal directory name too long");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return aml_error_set(err, AML_EIO, 0, 0, dir, "cannot create %s: %s", dir, strerror(errno));
    char path[1100];
    json_t *now = json_loads(fingerprint_json, 0, NULL);
    if (!now)
        return aml_error_set(err, AML_EINTERNAL, 0, 0, "", "bad run fingerprint");
    int rc = 0;
    if (resume) {
        snprintf(path, sizeof path, "%s/run.json", dir);
        json_t *old = json_load_file(path, 0, NULL);
        if (!old)
            rc = aml_error_set(err, AML_EINVAL, 0, 0, dir,
                               "the journal in %s has no readable run.json: nothing to resume", dir);
        rc = rc ? rc : compare_fp(dir, old, now, err);
        json_decref(old);
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
        rc = rc ? rc : read_trials(dir, path, true, trials, n, err);
    } else {
        snprintf(path, sizeof path, "%s/run.json", dir);
        char *s = json_dumps(now, JSON_INDENT(1) | JSON_SORT_KEYS);
        rc = s ? write_atomic(path, s, strlen(s), err)
               : aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        free(s);
    }
    json_decref(now);
    amlp_journal *j = rc ? NULL : amlp_calloc(1, sizeof *j);
    if (rc == 0 && !j)
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    if (rc == 0) {
        snprintf(j->dir, sizeof j->dir, "%s", dir);
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
        j->f = fopen(path, resume ? "a" : "w");
        if (!j->f)
            rc = aml_error_set(err, AML_EIO, 0, 0, path, "cannot open %s: %s", path, strerror(errno));
    }
    if (rc) {
        amlp_free(j);
        amlp_journal_trials_free(*trials, *n);
        *trials = NULL;
        *n = 0;
        return rc;
    }
    *out = j;
    return 0;
}

int amlp_journal_read(const char *dir, amlp_journal_trial **trials, size_t *n, aml_error *err)
{
    *trials = NULL;
    *n = 0;
    char path[1100];
    if (strlen(dir) > 900)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "journal directory name too long");
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    if (access(path, R_OK) != 0)
        return aml_error_set(err, AML_ENOENT, 0, 0, dir, "no journal of a run in %s", dir);
    int rc = read_trials(dir, path, false, trials, n, err);
    if (rc) {
        amlp_journal_trials_free(*trials, *n);
        *trials = NULL;
        *n = 0;
    }
    return rc;
}

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int amlp_journal_append(amlp_journal *j, const amlp_journal_trial *t, aml_error *err)
{
    static const char *st[] = {"ok", "failed", "canceled"};
    json_t *o = json_object(), *p = json_object(), *fs = json_array();
    int bad = !o || !p || !fs;
    for (size_t i = 0; !bad && i < t->params.n; i++)
        bad |= json_object_set_new(p, t->params.name[i], real_or_null(t->params.value[i]));
    for (size_t i = 0; !bad && i < t->n_folds; i++)
        bad |= json_array_append_new(fs, real_or_null(t->fold_scores[i]));
    if (!bad) {
        bad |= json_object_set_new(o, "id", json_integer((json_int_t)t->id));
        bad |= json_object_set_new(o, "kind", json_string(t->kind));
        bad |= json_object_set(o, "params", p);
        bad |= json_object_set_new(o, "fidelity", json_real(t->fidelity));
        bad |= json_object_set_new(o, "status", json_string(st[t->status >= 0 && t->status <= 2 ? t->status : 1]));
        bad |= json_object_set_new(o, "error", json_string(t->error ? t->error : ""));
        bad |= json_object_set(o, "fold_scores", fs);
        bad |= json_object_set_new(o, "score", real_or_null(t->score));
        bad |= json_object_set_new(o, "score_std", real_or_null(t->score_std));
        bad |= json_object_set_new(o, "fit_seconds", real_or_null(t->fit_seconds));
        bad |= json_object_set_new(o, "predict_seconds", real_or_null(t->predict_seconds));
        bad |= json_object_set_new(o, "finished_at", real_or_null(t->finished_at));
        bad |= json_object_set_new(o, "n_iterations", json_integer((json_int_t)t->n_iterations));
        if (t->features)
            bad |= json_object_set_new(o, "features", json_integer((json_int_t)t->features));
    }
    char *s = bad ? NULL : json_dumps(o, JSON_COMPACT);
    json_decref(p);
    json_decref(fs);
    json_decref(o);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    bool ok = fprintf(j->f, "%s\n", s) > 0 && fflush(j->f) == 0 && fsync(fileno(j->f)) == 0;
    free(s);
    if (!ok)
        return aml_error_set(err, AML_EIO, 0, 0, j->dir, "cannot append to the journal in %s", j->dir);
    return 0;
}

int amlp_journal_put_oof(amlp_journal *j, size_t id, const float *v, size_t n, aml_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/oof", j->dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot create %s", path);
    snprintf(path, sizeof path, "%s/oof/%zu.f32", j->dir, id);
    return write_atomic(path, v, n * sizeof *v, err);
}

float *amlp_journal_get_oof(const amlp_journal *j, size_t id, size_t n)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/oof/%zu.f32", j->dir, id);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    float *v = amlp_malloc((n ? n : 1) * sizeof *v);
    char extra;
    if (v && (fread(v, sizeof *v, n, f) != n || fread(&extra, 1, 1, f) != 0)) {
        amlp_free(v);
        v = NULL;
    }
    fclose(f);
    return v;
}

void amlp_journal_close(amlp_journal *j)
{
    if (!j)
        return;
    if (j->f)
        fclose(j->f);
    amlp_free(j);
}
