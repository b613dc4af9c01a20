/*
 * mg_data.c — the data magics: %import (CSV files and bundled data sets),
 * %datasets, %show and %schema.
 */
#include "mg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- %import ---- */

static const mg_option import_options[] = {
    {"target", MG_COLUMN, NULL, "the column to predict (used by %analyze and %train)"},
    {"sep", MG_STRING, NULL, "the delimiter: , ; | or tab (default: sniffed)"},
    {"header", MG_ENUM, "auto|yes|no", "whether the first row names the columns"},
    {"na", MG_LIST, NULL, "more tokens that mean missing, e.g. na=-,n.a."},
    {"types", MG_LIST, NULL, "force types: types=zip:categorical,when:datetime"},
    {"sample", MG_INT, NULL, "rows used to guess types (all rows are checked; default 10000)"},
    {"skip_errors", MG_FLAG, NULL, "skip malformed rows (and count them) instead of failing"},
    {"size", MG_STRING, NULL, "image sets: the working size WxH, e.g. size=32x32 (default: "
                              "chosen from the data)"},
    {0},
};

/* "data/bank-full.csv.gz" -> "bank-full" */
static void default_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!*base && base != path) {   /* "images/": the folder's own name */
        const char *end = base - 1, *start = end;
        while (start > path && start[-1] != '/')
            start--;
        snprintf(out, len, "%.*s", (int)(end - start), start);
    } else
        snprintf(out, len, "%s", base);
    static const char *const exts[] = {".gz", ".csv", ".tsv", ".txt", ".data", "-ubyte",
                                       "-idx3", "-idx1", "-images", "-labels"};
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
            size_t n = strlen(out), e = strlen(exts[i]);
            if (n > e && strcasecmp(out + n - e, exts[i]) == 0) {
                out[n - e] = 0;
                again = 1;
            }
        }
    }
    if (!out[0])
        snprintf(out, len, "data");
}

static int parse_sep(mg_ctx *ctx, const char *sep, char *out)
{
    if (!sep) {
        *out = 0;
        return 0;
    }
    if (strcmp(sep, "tab") == 0 || strcmp(sep, "\\t") == 0 || strcmp(sep, "\t") == 0)
        *out = '\t';
    else if (strlen(sep) == 1 && strchr(",;|", sep[0]))
        *out = sep[0];
    else if (strcmp(sep, "comma") == 0)
        *out = ',';
    else if (strcmp(sep, "semicolon") == 0)
        *out = ';';
    else if (strcmp(sep, "pipe") == 0)
        *out = '|';
    else
        return mg_fail(ctx, "UsageError", "sep='%s' is not a delimiter I read: use , ; | or tab",
                       sep);
    return 0;
}

static int read_error(mg_ctx *ctx, const char *what, const aml_error *e)
{
    char where[512] = "";
    if (e->line > 0 && e->column > 0 && e->source[0])
        snprintf(where, sizeof where, "line %ld, column %ld ('%s'): ", e->line, e->column,
                 e->source);
    else if (e->line > 0 && e->column > 0)
        snprintf(where, sizeof where, "line %ld, column %ld: ", e->line, e->column);
    else if (e->line > 0)
        snprintf(where, sizeof where, "line %ld: ", e->line);
    const char *hint = "";
    if (e->code == AML_EPARSE && e->line > 0)
        hint = " (skip_errors skips such rows)";
    return mg_fail(ctx, "DataError", "%s: %s%s%s", what, where, e->text[0] ? e->text :
                   aml_strerror(e->code), hint);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- image sets ---- */

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

static bool ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), e = strlen(end);
    return n >= e && strcasecmp(s + n - e, end) == 0;
}

/* A CSV whose first data rows name image files (a field ending in .png,
 * .jpg or .jpeg). */
static bool csv_names_images(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[4096];
    bool images = false;
    for (int row = 0; !images && row < 5 && fgets(line, sizeof line, f); row++) {
        const char *seps = ",;\t\r\n";
        for (char *tok = strtok(line, seps); tok && !images; tok = strtok(NULL, seps)) {
            size_t n = strlen(tok);
            while (n && (tok[n - 1] == '"' || tok[n - 1] == ' '))
                tok[--n] = 0;
            images = ends_with(tok, ".png") || ends_with(tok, ".jpg") || ends_with(tok, ".jpeg");
        }
    }
    fclose(f);
    return images;
}

/* Whether %import reads `path` as an image set: a folder (class subfolders
 * or IDX files), an IDX file, or a CSV naming image files. */
static bool is_image_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    if (S_ISDIR(st.st_mode))
        return true;
    if (ends_with(path, "-ubyte") || ends_with(path, "-ubyte.gz"))
        return true;
    return !ends_with(path, ".gz") && csv_names_images(path);
}

/* size=WxH (or W×H) into opts. */
static int parse_image_size(mg_ctx *ctx, const char *v, aml_images_options *o)
{
    if (!v)
        return 0;
    char *end;
    long w = strtol(v, &end, 10), h = 0;
    if (*end == 'x' || *end == 'X')
        h = strtol(end + 1, &end, 10);
    else if (strncmp(end, "\u00d7", 2) == 0)
        h = strtol(end + 2, &end, 10);
    if (*end || w < 1 || h < 1 || w > 1024 || h > 1024)
        return mg_fail(ctx, "UsageError", "size=%s: give the working size as WxH, e.g. "
                       "size=32x32 (1 to 1024 pixels a side)", v);
    o->width = (int)w;
    o->height = (int)h;
    return 0;
}

/* Reads image set `path` as data set `label` (or `as NAME`) and shows it. */
static int import_images(mg_ctx *ctx, const mg_call *call, const char *path, const char *label)
{
    aml_images_options o = aml_images_options_default();
    if (parse_image_size(ctx, mg_opt(call, "size"), &o))
        return -1;
    aml_images *im = NULL;
    aml_images_report *rep = NULL;
    aml_error err = {0};
    if (aml_images_read(path, &o, &im, &rep, &err))
        return mg_fail(ctx, "DataError", "%s: %s", label,
                       err.text[0] ? err.text : aml_strerror(err.code));
    char name[256];
    if (call->as_name)
        snprintf(name, sizeof name, "%s", call->as_name);
    else
        default_name(label, name, sizeof name);
    if (mg_session_put_images(ctx->session, name, im, rep, path)) {
        aml_images_free(im);
        aml_images_report_free(rep);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    return mg_view_images(ctx, mg_session_dataset(ctx->session, name), ctx->started);
}

static int import_fashion_mnist(mg_ctx *ctx, const mg_call *call)
{
    struct stat st;
    if (stat(FASHION_MNIST_DIR, &st) != 0 || !S_ISDIR(st.st_mode))
        return mg_fail(ctx, "FileNotFoundError", "fashion-mnist is not installed; `apt-get "
                       "install dataset-fashion-mnist` adds it");
    return import_images(ctx, call, FASHION_MNIST_DIR, "fashion-mnist");
}

static int run_import(mg_ctx *ctx, const mg_call *call)
{
    const char *src = call->pos[0];
    if (!is_file(src) && strcmp(src, "fashion-mnist") == 0)
        return import_fashion_mnist(ctx, call);
    if (is_image_path(src))
        return import_images(ctx, call, src, src);
    aml_csv_options o = aml_csv_options_default();
    if (parse_sep(ctx, mg_opt(call, "sep"), &o.delimiter))
        return -1;
    const char *header = mg_opt(call, "header");
    if (header)
        o.header = strcmp(header, "yes") == 0  ? AML_CSV_HEADER_YES
                   : strcmp(header, "no") == 0 ? AML_CSV_HEADER_NO
                                               : AML_CSV_HEADER_AUTO;
    o.missing = mg_opt(call, "na");
    o.types = mg_opt(call, "types");
    if (mg_opt(call, "sample"))
        o.sample = (size_t)strtoul(mg_opt(call, "sample"), NULL, 10);
    o.skip_errors = mg_flag(call, "skip_errors");

    const mg_bundled *b = is_file(src) ? NULL : mg_bundled_find(src);
    aml_frame *frame = NULL;
    aml_csv_report *rep = NULL;
    aml_error err = {0};
    int rc;
    if (b) {
        size_t len;
        const unsigned char *bytes = mg_bundled_bytes(b, &len);
        rc = aml_csv_read_buffer(bytes, len, b->file, &o, &frame, &rep, &err);
    } else {
        if (!is_file(src)) {
            const char *s = NULL;
            for (size_t i = 0; mg_bundled_at(i); i++)
                if (aml_edit_distance(src, mg_bundled_at(i)->name) <= 3)
                    s = mg_bundled_at(i)->name;
            if (s)
                return mg_fail(ctx, "FileNotFoundError", "no file '%s' — did you mean the "
                               "bundled data set '%s'?", src, s);
            return mg_fail(ctx, "FileNotFoundError", "no file '%s' (relative paths start in "
                           "the notebook's folder; bundled data sets: bank-marketing, "
                           "happydb, fashion-mnist)", src);
        }
        rc = aml_csv_read(src, &o, &frame, &rep, &err);
    }
    if (rc)
        return read_error(ctx, src, &err);

    char name[256];
    if (call->as_name)
        snprintf(name, sizeof name, "%s", call->as_name);
    else
        default_name(b ? b->name : src, name, sizeof name);
    const char *target = mg_opt(call, "target");
    if (!target && b)
        target = b->target;
    mg_dataset probe = {.name = name, .frame = frame};
    size_t tcol;
    if (target && mg_column_or_fail(ctx, &probe, target, "target", &tcol)) {
        aml_frame_free(frame);
        aml_csv_report_free(rep);
        return -1;
    }
    if (mg_session_put_dataset(ctx->session, name, frame, b ? b->name : src, target)) {
        aml_frame_free(frame);
        aml_csv_report_free(rep);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    mg_dataset *d = mg_session_dataset(ctx->session, name);

    char rows[32], cols[32], size[32], summary[512];
    mg_fmt_count(aml_frame_nrows(frame), rows);
    mg_fmt_count(aml_frame_ncols(frame), cols);
    mg_fmt_bytes(aml_csv_report_bytes(rep), size);
    const char *delim = aml_csv_report_delimiter(rep) == '\t' ? "tab"
                        : aml_csv_report_delimiter(rep) == ',' ? "comma"
                        : aml_csv_report_delimiter(rep) == ';' ? "semicolon"
                        : aml_csv_report_delimiter(rep) == '|' ? "pipe" : "?";
    snprintf(summary, sizeof summary, "%s: %s rows × %s columns from %s (%s, %s-separated)%s%s",
             name, rows, cols, b ? b->file : src, size, delim, target ? " — target: " : "",
             target ? target : "");
    size_t n_notes = aml_csv_report_note_count(rep);
    const char **notes = calloc(n_notes + 3, sizeof *notes);
    size_t k = 0;
    char skipped[128];
    if (b)
        notes[k++] = b->about;
    if (aml_csv_report_rows_skipped(rep)) {
        char c[32];
        mg_fmt_count(aml_csv_report_rows_skipped(rep), c);
        snprintf(skipped, sizeof skipped, "%s malformed rows were skipped (skip_errors)", c);
        notes[k++] = skipped;
    }
    for (size_t i = 0; i < n_notes; i++)
        notes[k++] = aml_csv_report_note(rep, i);
    rc = mg_view_dataset(ctx, d, summary, notes, k, 5, true, ctx->started);
    free(notes);
    aml_csv_report_free(rep);
    return rc;
}

int mg_frame_arg(mg_ctx *ctx, const char *arg, const char *option, const aml_frame **frame,
                 aml_frame **owned)
{
    *frame = NULL;
    *owned = NULL;
    mg_dataset *d = mg_session_dataset(ctx->session, arg);
    if (d && !d->frame)
        return mg_fail(ctx, "DataError", "%s=%s: data set '%s' holds images; %s= takes a table",
                       option, arg, d->name, option);
    if (d) {
        *frame = d->frame;
        return 0;
    }
    if (!is_file(arg)) {
        size_t n = mg_session_dataset_count(ctx->session);
        const char **names = calloc(n + 1, sizeof *names);
        for (size_t i = 0; names && i < n; i++)
            names[i] = mg_session_dataset_at(ctx->session, i)->name;
        const char *best = names ? mg_closest_name(arg, names, n) : NULL;
        free(names);
        if (best)
            return mg_fail(ctx, "FileNotFoundError", "%s=%s: no data set or file of that name — "
                           "did you mean the data set '%s'?", option, arg, best);
        return mg_fail(ctx, "FileNotFoundError", "%s=%s: no data set or file of that name "
                       "(%%datasets lists the data sets; relative paths start in the notebook's "
                       "folder)", option, arg);
    }
    aml_csv_options o = aml_csv_options_default();
    aml_error err = {0};
    if (aml_csv_read(arg, &o, owned, NULL, &err))
        return read_error(ctx, arg, &err);
    *frame = *owned;
    return 0;
}

const mg_magic mg_magic_import = {
    .name = "import",
    .synopsis = "%import PATH|NAME [as NAME] [target=COL] [sep=] [header=] [na=] [types=] "
                "[sample=N] [skip_errors] [size=WxH]",
    .summary = "Read a CSV file, an image set (or a bundled data set) and show what it holds.",
    .help = "Reads .csv, .tsv and .csv.gz files: the delimiter, the header and each column's "
            "type (number, integer, boolean, categorical, text, datetime) are recognised.\n"
            "Image sets: a folder with one subfolder of PNG/JPEG files per class, a CSV of "
            "path,label[,set] rows naming image files (paths relative to the CSV; set is "
            "TRAIN/VALIDATION/TEST), or IDX files (*-idx3-ubyte[.gz]).  Images are kept as "
            "bytes at one working size (size=WxH, else chosen from the data); unreadable "
            "files are skipped and named.\n"
            "A bare NAME loads a bundled data set: bank-marketing, happydb; fashion-mnist "
            "when the dataset-fashion-mnist package is installed.\n\n"
            "Examples:\n  %import bank-marketing\n  %import data/sales.csv as sales target=revenue\n"
            "  %import survey.csv na=-,n.a. types=zip:categorical skip_errors\n"
            "  %import xrays/ size=64x64\n  %import fashion-mnist",
    .options = import_options,
    .min_args = 1,
    .max_args = 1,
    .takes_as = true,
    .first_arg = MG_ARG_PATH,
    .run = run_import,
};

/* ---- %datasets ---- */

static int run_datasets(mg_ctx *ctx, const mg_call *call)
{
    (void)call;
    size_t n = mg_session_dataset_count(ctx->session);
    if (n == 0) {
        kn_stream(ctx->req, "stdout", "No data sets yet. Start with %import FILE.csv, or "
                                      "%import bank-marketing for the bundled example.\n");
        return 0;
    }
    const char *head[] = {"name", "rows", "columns", "target", "source", "size"};
    mg_table *t = mg_table_new(6, head);
    mg_table_numeric(t, 1);
    mg_table_numeric(t, 2);
    mg_table_numeric(t, 5);
    json_t *list = json_array();
    size_t total = 0;
    for (size_t i = n; i-- > 0;) {
        mg_dataset *d = mg_session_dataset_at(ctx->session, i);
        char rows[32], cols[64], name[300], size[32], shape[48];
        size_t bytes = d->images ? aml_images_memory_size(d->images)
                                 : aml_frame_memory_size(d->frame);
        size_t nrows = d->images ? aml_images_count(d->images) : aml_frame_nrows(d->frame);
        total += bytes;
        mg_fmt_count(nrows, rows);
        mg_fmt_count(aml_frame_ncols(d->frame), cols);
        if (d->images) {
            mg_fmt_image_shape(d->images, shape);
            snprintf(cols, sizeof cols, "images %s", shape);
        }
        mg_fmt_bytes(bytes, size);
        snprintf(name, sizeof name, "%s%s", d->name, i == n - 1 ? " (current)" : "");
        const char *row[] = {name, rows, cols, d->target ? d->target : "", d->source, size};
        mg_table_row(t, row);
        json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:s?, s:s, s:I}", "name", d->name,
                                              "rows", (json_int_t)nrows,
                                              "columns", (json_int_t)aml_frame_ncols(d->frame),
                                              "target", d->target, "source", d->source,
                                              "bytes", (json_int_t)bytes));
    }
    if (n > 1) {
        char size[32];
        mg_fmt_bytes(total, size);
        const char *row[] = {"total in memory", "", "", "", "", size};
        mg_table_row(t, row);
    }
    mg_display_table(ctx, t, "application/vnd.automl.datasets+json", "datasets", list);
    mg_table_free(t);
    return 0;
}

const mg_magic mg_magic_datasets = {
    .name = "datasets",
    .synopsis = "%datasets",
    .summary = "List the data sets of this session (the most recent is the default) and "
               "the memory each holds.",
    .max_args = 0,
    .run = run_datasets,
};

/* ---- %show ---- */

static const mg_option show_options[] = {
    {"rows", MG_INT, NULL, "how many rows to show (default 10)"},
    {0},
};

static int run_show(mg_ctx *ctx, const mg_call *call)
{
    mg_dataset *d;
    if (mg_table_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, "%show", &d))
        return -1;
    long rows = mg_opt(call, "rows") ? strtol(mg_opt(call, "rows"), NULL, 10) : 10;
    if (rows < 1 || rows > 10000)
        return mg_fail(ctx, "UsageError", "rows=%ld: show between 1 and 10000 rows", rows);
    char nrows[32], ncols[32], summary[400];
    mg_fmt_count(aml_frame_nrows(d->frame), nrows);
    mg_fmt_count(aml_frame_ncols(d->frame), ncols);
    snprintf(summary, sizeof summary, "%s: %s rows × %s columns", d->name, nrows, ncols);
    return mg_view_dataset(ctx, d, summary, NULL, 0, (size_t)rows, false, 0);
}

const mg_magic mg_magic_show = {
    .name = "show",
    .synopsis = "%show [NAME] [rows=N]",
    .summary = "Show the first rows of a data set.",
    .help = "Examples:\n  %show\n  %show bank rows=20",
    .options = show_options,
    .max_args = 1,
    .first_arg = MG_ARG_DATASET,
    .run = run_show,
};

/* ---- %schema ---- */

static int run_schema(mg_ctx *ctx, const mg_call *call)
{
    mg_dataset *d;
    if (mg_table_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, "%schema", &d))
        return -1;
    size_t n = call->n_extra;
    size_t *cols = calloc(n + 1, sizeof *cols);
    aml_type *types = calloc(n + 1, sizeof *types);
    if (!cols || !types) {
        free(cols);
        free(types);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    /* check every change before making any */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const mg_arg *a = call->extra[i];
        if (mg_column_or_fail(ctx, d, a->key, "%schema", &cols[i]))
            rc = -1;
        else if (aml_type_parse(a->value, &types[i]) != 0)
            rc = mg_fail(ctx, "UsageError", "%s=%s: unknown type — use number, integer, "
                         "boolean, categorical, text or datetime", a->key, a->value);
    }
    mg_buf notes = {0};
    mg_buf_add(&notes, "");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t invalid = 0;
        aml_error err = {0};
        aml_type before = aml_frame_col_type(d->frame, cols[i]);
        if (aml_frame_set_type(d->frame, cols[i], types[i], &invalid, &err)) {
            rc = mg_fail(ctx, "DataError", "%s: %s", call->extra[i]->key, err.text);
            break;
        }
        char c[32];
        mg_fmt_count(invalid, c);
        mg_buf_addf(&notes, "%s%s: %s -> %s (%s invalid values)", i ? "; " : "",
                    call->extra[i]->key, aml_type_name(before), aml_type_name(types[i]), c);
    }
    if (rc == 0) {
        char nrows[32], ncols[32], summary[400];
        mg_fmt_count(aml_frame_nrows(d->frame), nrows);
        mg_fmt_count(aml_frame_ncols(d->frame), ncols);
        snprintf(summary, sizeof summary, "%s: %s rows × %s columns", d->name, nrows, ncols);
        const char *note = notes.data;
        rc = mg_view_dataset(ctx, d, summary, n ? &note : NULL, n ? 1 : 0, 0, true, 0);
    }
    mg_buf_free(&notes);
    free(cols);
    free(types);
    return rc;
}

const mg_magic mg_magic_schema = {
    .name = "schema",
    .synopsis = "%schema [NAME] [COLUMN=TYPE ...]",
    .summary = "Show the column types of a data set, or change them.",
    .help = "Types: number, integer, boolean, categorical, text, datetime.\n"
            "Values that do not fit the new type are counted as invalid (and treated as "
            "missing).\n\nExamples:\n  %schema\n  %schema bank day=categorical pdays=number",
    .max_args = 1,
    .any_options = true,
    .first_arg = MG_ARG_DATASET,
    .run = run_schema,
};
