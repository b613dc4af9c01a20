/*
 * mg_predict_images.c — %predict with an image model: on= a folder of image
 * files (with or without class subfolders), a CSV listing image paths (the
 * first column, or the second after an AutoML Vision set column; relative to
 * the CSV's folder), one image file, or an imported image set.  Each file is
 * decoded and resized to the model's shape as %import does; a file that
 * cannot be read or decoded is skipped and named, never fatal.  The CSV
 * written (atomically) has `path` (`index` for an image set), `prediction`
 * and one `p_<class>` column per class.
 */
#include "mg_predict.h"
#include "mg_file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PREVIEW_ROWS 10
#define MAX_IMAGE_BYTES ((size_t)64 << 20)
#define MAX_NAMED_SKIPS 10

typedef struct img_list {
    char **paths;
    size_t n, cap;
} img_list;

typedef struct img_job {
    const aml_model *model;
    const char **ids;       /* per kept image: its path, or NULL (image set: index) */
    size_t *index;          /* image set: the image's index */
    float *pred;            /* n * width */
    size_t n, width, k;
    mg_buf skipped;         /* "path: reason" lines */
    size_t n_skipped;
} img_job;

static void list_free(img_list *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->paths[i]);
    free(L->paths);
}

static int list_add(img_list *L, const char *dir, const char *name)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 64;
        char **v = realloc(L->paths, cap * sizeof *v);
        if (!v)
            return -1;
        L->paths = v;
        L->cap = cap;
    }
    size_t len = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
    char *p = malloc(len);
    if (!p)
        return -1;
    if (dir && *dir)
        snprintf(p, len, "%s/%s", dir, name);
    else
        snprintf(p, len, "%s", name);
    L->paths[L->n++] = p;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of `dir` (sorted; hidden ones left out) and, one level down, of its
 * subfolders (class folders). */
static int list_folder(const char *dir, img_list *L, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    img_list names = {0};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)))
        if (e->d_name[0] != '.')
            rc = list_add(&names, NULL, e->d_name);
    closedir(d);
    if (names.n)
        qsort(names.paths, names.n, sizeof *names.paths, by_name);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        size_t len = strlen(dir) + strlen(names.paths[i]) + 2;
        char *p = malloc(len);
        struct stat st;
        if (!p) {
            rc = -1;
            break;
        }
        snprintf(p, len, "%s/%s", dir, names.paths[i]);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc = depth == 0 ? list_folder(p, L, 1) : 0;
        else if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            rc = list_add(L, NULL, p);
        free(p);
    }
    list_free(&names);
    return rc;
}

static bool is_set_word(const char *s)
{
    return strcasecmp(s, "TRAIN") == 0 || strcasecmp(s, "VALIDATION") == 0 ||
           strcasecmp(s, "TEST") == 0 || strcasecmp(s, "UNASSIGNED") == 0;
}

/* The path field of one CSV line (cut in place), or NULL for a blank line. */
static char *csv_path_field(char *line)
{
    line[strcspn(line, "\r\n")] = 0;
    char *f = line, *comma = strchr(f, ',');
    if (comma && (*comma = 0, is_set_word(f))) {
        f = comma + 1;
        comma = strchr(f, ',');
        if (comma)
            *comma = 0;
    }
    size_t n = strlen(f);
    if (n >= 2 && f[0] == '"' && f[n - 1] == '"') {
        f[n - 1] = 0;
        f++;
    }
    return *f ? f : NULL;
}

/* Image paths of a CSV listing, relative to its folder; a header skipped. */
static int list_csv(const char *csv, img_list *L)
{
    FILE *f = fopen(csv, "r");
    if (!f)
        return -1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", csv);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    char line[8192];
    int rc = 0;
    for (long no = 0; rc == 0 && fgets(line, sizeof line, f); no++) {
        char *p = csv_path_field(line);
        if (!p || (no == 0 && (strcasecmp(p, "path") == 0 || strcasecmp(p, "image") == 0 ||
                               strcasecmp(p, "file") == 0)))
            continue;
        rc = list_add(L, p[0] == '/' ? NULL : dir, p);
    }
    fclose(f);
    return rc;
}

/* Predicts one file into job->pred at slot job->n; a failure is a skip. */
static int predict_file(img_job *j, const char *path)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char why[600];
    aml_error err = {0};
    int rc = mg_read_file(path, MAX_IMAGE_BYTES, &data, &len, why, sizeof why);
    if (rc == 0 &&
        aml_model_predict_encoded(j->model, data, len, j->pred + j->n * j->width, &err)) {
        snprintf(why, sizeof why, "%s", err.text[0] ? err.text : "not an image");
        rc = -1;
    }
    free(data);
    if (rc) {
        if (err.code == AML_ENOMEM)
            return -1;
        if (j->n_skipped < MAX_NAMED_SKIPS)
            mg_buf_addf(&j->skipped, "  %s: %s\n", path, why);
        j->n_skipped++;
        return 0;
    }
    j->ids[j->n++] = path;
    return 0;
}

static double prob(const img_job *j, size_t i, size_t c)
{
    const float *p = j->pred + i * j->width;
    if (aml_model_task(j->model) == AML_TASK_BINARY)
        return c == 1 ? p[0] : 1.0 - p[0];
    return p[c];
}

static size_t decided(const img_job *j, size_t i)
{
    size_t best = 0;
    for (size_t c = 1; c < j->k; c++)
        if (prob(j, i, c) > prob(j, i, best))
            best = c;
    return best;
}

static int write_rows(FILE *f, void *user, char *why, size_t len)
{
    (void)why;
    (void)len;
    const img_job *j = user;
    fputs(j->index ? "index,prediction" : "path,prediction", f);
    for (size_t c = 0; c < j->k; c++) {
        char name[512];
        snprintf(name, sizeof name, "p_%s", aml_model_class_name(j->model, c));
        fputc(',', f);
        mg_csv_field(f, name);
    }
    fputc('\n', f);
    for (size_t i = 0; i < j->n; i++) {
        if (j->index)
            fprintf(f, "%zu,", j->index[i]);
        else {
            mg_csv_field(f, j->ids[i]);
            fputc(',', f);
        }
        mg_csv_field(f, aml_model_class_name(j->model, decided(j, i)));
        for (size_t c = 0; c < j->k; c++)
            fprintf(f, ",%.9g", (double)(float)prob(j, i, c));
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/* The preview table: the first rows. */
static mg_table *preview(const img_job *j)
{
    size_t nc = 2 + j->k;
    const char **head = calloc(nc, sizeof *head);
    char (*names)[200] = calloc(j->k + 1, sizeof *names);
    char (*cells)[200] = calloc(nc, sizeof *cells);
    const char **row = calloc(nc, sizeof *row);
    mg_table *t = NULL;
    if (head && names && cells && row) {
        head[0] = j->index ? "index" : "path";
        head[1] = "prediction";
        for (size_t c = 0; c < j->k; c++) {
            snprintf(names[c], sizeof names[c], "p_%s", aml_model_class_name(j->model, c));
            head[2 + c] = names[c];
        }
        t = mg_table_new(nc, head);
        for (size_t c = 2; t && c < nc; c++)
            mg_table_numeric(t, c);
        for (size_t i = 0; t && i < j->n && i < PREVIEW_ROWS; i++) {
            if (j->index)
                snprintf(cells[0], sizeof cells[0], "%zu", j->index[i]);
            else
                snprintf(cells[0], sizeof cells[0], "%s", j->ids[i]);
            snprintf(cells[1], sizeof cells[1], "%s",
                     aml_model_class_name(j->model, decided(j, i)));
            for (size_t c = 0; c < j->k; c++)
                snprintf(cells[2 + c], sizeof cells[0], "%.4f", prob(j, i, c));
            for (size_t c = 0; c < nc; c++)
                row[c] = cells[c];
            mg_table_row(t, row);
        }
    }
    free(head);
    free(names);
    free(cells);
    free(row);
    return t;
}

/* The image set `d`: every image, in chunks of the set. */
static int predict_set(mg_ctx *ctx, const mg_dataset *d, img_job *j)
{
    aml_error err = {0};
    for (size_t i = 0; i < j->n; i++)
        j->index[i] = i;
    if (aml_model_predict_images(j->model, d->images, NULL, j->n, j->pred, &err))
        return mg_fail(ctx, "PredictError", "on=%s: %s", d->name, err.text);
    return 0;
}

/* The files of a folder, CSV listing or single file. */
static int gather_files(mg_ctx *ctx, const char *on, img_list *L)
{
    struct stat st;
    if (stat(on, &st) != 0)
        return mg_fail(ctx, "FileNotFoundError", "on=%s: no such data set, folder or file", on);
    int rc;
    const char *dot = strrchr(on, '.');
    if (S_ISDIR(st.st_mode))
        rc = list_folder(on, L, 0);
    else if (dot && (strcasecmp(dot, ".csv") == 0 || strcasecmp(dot, ".txt") == 0))
        rc = list_csv(on, L);
    else
        rc = list_add(L, NULL, on);
    if (rc)
        return mg_fail(ctx, "PredictError", "on=%s: cannot read it (%s)", on, strerror(errno));
    if (L->n == 0)
        return mg_fail(ctx, "PredictError", "on=%s lists no image files", on);
    return 0;
}

static int predict_files(mg_ctx *ctx, const char *on, const img_list *L, img_job *j)
{
    for (size_t i = 0; i < L->n; i++) {
        if (kn_interrupted(ctx->req))
            return mg_fail(ctx, "KeyboardInterrupt", "%%predict interrupted after %zu of %zu "
                           "files; no file was written", i, L->n);
        if (predict_file(j, L->paths[i]))
            return mg_fail(ctx, "MemoryError", "out of memory");
    }
    if (j->n == 0)
        return mg_fail(ctx, "PredictError", "on=%s: none of its %zu files is a readable image "
                       "(first: %s)", on, L->n, j->skipped.data ? j->skipped.data + 2 : "?");
    return 0;
}

static int show_result(mg_ctx *ctx, const mg_trained *t, const char *on, const char *out,
                       const img_job *j, size_t bytes)
{
    mg_buf s = {0};
    char cnt[32];
    mg_fmt_count(j->n, cnt);
    mg_buf_addf(&s, "Predicted %s image%s of %s with model '%s' (%s, %zu classes).\n", cnt,
                j->n == 1 ? "" : "s", on, t->name, aml_task_name(aml_model_task(j->model)),
                j->k);
    size_t *counts = calloc(j->k + 1, sizeof *counts);
    for (size_t i = 0; counts && i < j->n; i++)
        counts[decided(j, i)]++;
    mg_buf_add(&s, "Predicted classes:");
    for (size_t c = 0; counts && c < j->k; c++)
        mg_buf_addf(&s, "%s %s %zu", c ? "," : "", aml_model_class_name(j->model, c), counts[c]);
    mg_buf_add(&s, ".\n");
    free(counts);
    if (j->n_skipped) {
        mg_buf_addf(&s, "Skipped %zu file%s that could not be read as an image%s:\n%s",
                    j->n_skipped, j->n_skipped == 1 ? "" : "s",
                    j->n_skipped > MAX_NAMED_SKIPS ? " (the first ones)" : "", j->skipped.data);
    }
    if (out) {
        char size[32];
        mg_fmt_bytes(bytes, size);
        mg_buf_addf(&s, "Written to %s (%s; columns: %s, prediction, p_<class> per class).\n",
                    out, size, j->index ? "index" : "path");
    } else {
        mg_buf_addf(&s, "Showing the first %d rows; add out=predictions.csv to save them all.\n",
                    PREVIEW_ROWS);
    }
    kn_stream(ctx->req, "stdout", s.data);
    mg_buf_free(&s);
    mg_table *tab = preview(j);
    if (!tab)
        return mg_fail(ctx, "MemoryError", "out of memory");
    json_t *doc = json_pack("{s:s, s:I, s:s?, s:I}", "model", t->name, "rows", (json_int_t)j->n,
                            "out", out, "skipped", (json_int_t)j->n_skipped);
    int rc = mg_display_table(ctx, tab, "application/vnd.automl.predictions+json", "predictions",
                              doc);
    mg_table_free(tab);
    return rc;
}

int mg_predict_images(mg_ctx *ctx, const mg_call *call, const mg_trained *t)
{
    const char *on = mg_opt(call, "on"), *out = mg_opt(call, "out");
    const aml_model *m = mg_trained_model(t);
    if (!on)
        return mg_fail(ctx, "UsageError", "%%predict needs on=FOLDER, on=FILE.csv or on=IMAGE_SET "
                       "(the images to predict)");
    if (mg_opt(call, "id"))
        return mg_fail(ctx, "UsageError", "id= is for tables: an image model writes each "
                       "image's path (or index) first");
    const mg_dataset *d = mg_session_dataset(ctx->session, on);
    if (d && !d->images)
        return mg_fail(ctx, "PredictError", "model '%s' classifies images, but data set '%s' is "
                       "a table: give a folder, a CSV of image paths or an image set", t->name,
                       on);
    img_job j = {.model = m, .width = aml_model_pred_width(m), .k = aml_model_n_classes(m)};
    img_list L = {0};
    size_t cap = d ? aml_images_count(d->images) : 0;
    int rc = d ? 0 : gather_files(ctx, on, &L);
    if (!d)
        cap = L.n;
    j.pred = rc ? NULL : malloc((cap ? cap : 1) * j.width * sizeof *j.pred);
    j.ids = rc ? NULL : calloc(cap + 1, sizeof *j.ids);
    j.index = d && rc == 0 ? malloc((cap ? cap : 1) * sizeof *j.index) : NULL;
    if (rc == 0 && (!j.pred || !j.ids || (d && !j.index)))
        rc = mg_fail(ctx, "MemoryError", "out of memory");
    else if (rc == 0 && d) {
        j.n = cap;
        rc = predict_set(ctx, d, &j);
    } else if (rc == 0)
        rc = predict_files(ctx, on, &L, &j);
    size_t bytes = 0;
    char why[600] = "";
    if (rc == 0 && out && mg_write_atomic(out, write_rows, &j, &bytes, why, sizeof why))
        rc = mg_fail(ctx, "PredictError", "%%predict: %s", why[0] ? why : "cannot write");
    if (rc == 0)
        rc = show_result(ctx, t, on, out, &j, bytes);
    free(j.pred);
    free(j.ids);
    free(j.index);
    mg_buf_free(&j.skipped);
    list_free(&L);
    return rc;
}
