/*
 * evaluate_csv.c — the evaluated rows as a CSV file (truth, decision,
 * probabilities or residual per row), written atomically: a temporary file
 * in the same folder, fsync, rename, so a reader never sees half a file.
 */
#include "evaluate/evaluate_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A field `prefix` + `s`, quoted when it holds a comma, a quote, a line
 * break or leading / trailing spaces (RFC 4180). */
static void put_field_p(FILE *f, const char *prefix, const char *s)
{
    size_t len = strlen(s);
    bool quote = len && ((!*prefix && s[0] == ' ') || s[len - 1] == ' ');
    for (const char *c = s; *c && !quote; c++)
        quote = *c == ',' || *c == '"' || *c == '\n' || *c == '\r';
    if (!quote) {
        fputs(prefix, f);
        fputs(s, f);
        return;
    }
    fputc('"', f);
    fputs(prefix, f);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            fputc('"', f);
        fputc(*c, f);
    }
    fputc('"', f);
}

static void put_field(FILE *f, const char *s)
{
    put_field_p(f, "", s);
}

static void put_class(FILE *f, const char *const *names, size_t c)
{
    char num[32];
    if (names && names[c]) {
        put_field(f, names[c]);
        return;
    }
    snprintf(num, sizeof num, "%zu", c);
    fputs(num, f);
}

/* %.9g reads back as the same float32. */
static void put_float(FILE *f, double v)
{
    fprintf(f, "%.9g", v);
}

static void write_rows(FILE *f, const aml_evaluation *ev, const size_t *row_ids,
                       const char *const *names)
{
    size_t k = ev->n_classes;
    fputs("row,actual,predicted", f);
    if (ev->task == AML_TASK_REGRESSION) {
        fputs(",residual\n", f);
    } else {
        for (size_t c = 0; c < k; c++) {
            char num[32];
            const char *name = names && names[c] ? names[c] : NULL;
            if (!name) {
                snprintf(num, sizeof num, "%zu", c);
                name = num;
            }
            fputc(',', f);
            put_field_p(f, "p_", name);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < ev->n; i++) {
        fprintf(f, "%zu,", row_ids ? row_ids[i] : i);
        if (ev->task == AML_TASK_REGRESSION) {
            put_float(f, ev->truth[i]);
            fputc(',', f);
            put_float(f, ev->pred[i]);
            fputc(',', f);
            /* the residual of the float32 values, as a reader recomputes it */
            put_float(f, ev->residual[i]);
            fputc('\n', f);
            continue;
        }
        put_class(f, names, (size_t)ev->truth[i]);
        fputc(',', f);
        put_class(f, names, ev->predicted[i]);
        for (size_t c = 0; c < k; c++) {
            fputc(',', f);
            put_float(f, amlp_eval_score(ev, i, c));
        }
        fputc('\n', f);
    }
}

int aml_evaluation_write_csv(const aml_evaluation *ev, const char *path,
                             const size_t *row_ids, const char *const *class_names,
                             aml_error *err)
{
    if (!ev || !path || !*path)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "an evaluation and a path are required");
    size_t len = strlen(path);
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    /* <dir>/.<name>.XXXXXX in the same folder, so rename() is atomic */
    char *tmp = amlp_malloc(len + 16);
    if (!tmp)
        return aml_error_set(err, AML_ENOMEM, 0, 0, path, "out of memory");
    memcpy(tmp, path, dir_len);
    snprintf(tmp + dir_len, len + 16 - dir_len, ".%s.XXXXXX", path + dir_len);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        amlp_free(tmp);
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot write %s: %s", path,
                             strerror(e));
    }
    fchmod(fd, 0644);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        amlp_free(tmp);
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot write %s: %s", path,
                             strerror(e));
    }
    write_rows(f, ev, row_ids, class_names);
    int e = 0;
    if (fflush(f) != 0 || ferror(f) || fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        amlp_free(tmp);
        return aml_error_set(err, AML_EIO, 0, 0, path, "cannot write %s: %s", path,
                             strerror(e));
    }
    /* make the rename itself durable */
    char *dir = amlp_malloc(dir_len + 2);
    if (dir) {
        if (dir_len)
            memcpy(dir, path, dir_len);
        else
            dir[dir_len++] = '.';
        dir[dir_len] = 0;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        amlp_free(dir);
    }
    amlp_free(tmp);
    return 0;
}
