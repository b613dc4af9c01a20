/*
 * mg.h — the magics layer: the kernel's language.  The cell parser
 * (mg_parse.c), the registry of magics with typed options (mg_registry.c), the
 * session state (mg_session.c), the interpreter that kn_run() drives
 * (mg_interp.c) and one file per magic family.
 */
#ifndef MG_H
#define MG_H

#include "kn.h"
#include "aml.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- parsed cells (mg_parse.c) ---- */

typedef struct mg_arg {
    char *key;      /* option name, or NULL for a positional word */
    char *value;    /* value; NULL for a bare flag (--name) */
    int line, column;  /* 1-based, of the argument's first character */
} mg_arg;

typedef struct mg_line {
    char *name;        /* magic name without % */
    bool cell;         /* %%name: the rest of the cell is `body` */
    bool help;         /* %name? */
    mg_arg *args;
    size_t n_args;
    char *rest;        /* raw text after the name (for magics taking free text) */
    char *body;        /* cell magic body, or NULL */
    int line, column;  /* of the '%' */
} mg_line;

typedef struct mg_cell {
    mg_line *lines;
    size_t n;
} mg_cell;

typedef struct mg_syntax_error {
    int line, column;
    char message[256];
    char word[64];  /* the offending word, for "did you mean" suggestions */
} mg_syntax_error;

/* Parses a cell (docs/architecture.md, "The cell language").  Returns 0, or -1 with `err` filled (out is then
 * empty).  `out` must be freed with mg_cell_free. */
int mg_parse(const char *code, mg_cell *out, mg_syntax_error *err);
void mg_cell_free(mg_cell *c);

/* "complete", "incomplete" (dangling \ or open quote) or "invalid" (a line
 * that is not a magic or a comment). */
const char *mg_completeness(const char *code);

/* Splits text into words the way the parser does (quotes, key=value).  For
 * completion.  Returns the number of words; `starts` gets byte offsets. */
size_t mg_split_words(const char *text, size_t *starts, size_t max);

/* ---- registry (mg_registry.c) ---- */

typedef enum mg_opt_type {
    MG_STRING,    /* any text */
    MG_INT,       /* integer */
    MG_NUMBER,    /* real number */
    MG_DURATION,  /* 90s, 5m, 1h, 1.5 (seconds) */
    MG_ENUM,      /* one of `values` ("a|b|c") */
    MG_FLAG,      /* present or not: --name or a bare `name` */
    MG_LIST,      /* comma-separated words */
    MG_COLUMN,    /* a column name of the data set (completed from it) */
    MG_SIZE,      /* bytes: 512M, 4G, 1.5GB, 800000 */
} mg_opt_type;

typedef struct mg_option {
    const char *name;
    mg_opt_type type;
    const char *values;  /* MG_ENUM: "a|b|c" */
    const char *help;
} mg_option;

typedef struct mg_ctx mg_ctx;
typedef struct mg_call mg_call;

/* What a magic's first positional word names (for completion). */
typedef enum mg_arg_kind { MG_ARG_NONE = 0, MG_ARG_DATASET, MG_ARG_PATH } mg_arg_kind;

typedef struct mg_magic {
    const char *name;
    const char *synopsis;   /* "%sleep SECONDS" */
    const char *summary;    /* one line, for %help */
    const char *help;       /* the full text (paragraphs, examples) */
    const mg_option *options;  /* terminated by {0} */
    int min_args, max_args;    /* positional words (max -1: any) */
    bool free_text;            /* the words are free text (%echo) */
    bool takes_as;             /* accepts `as NAME` */
    bool cell_body;            /* may be a cell magic (%%name): the rest of the cell is
                                  call->line->body */
    bool any_options;          /* key=value pairs not in `options` go to call->extra */
    mg_arg_kind first_arg;     /* what the first positional word names */
    int (*run)(mg_ctx *ctx, const mg_call *call);
    /* Magics that answer with a value (%version) set `value` instead of
     * `run`: it returns a new mime bundle, shown as the execute_result and
     * usable as a user expression; NULL after mg_fail(). */
    json_t *(*value)(mg_ctx *ctx, const mg_call *call);
} mg_magic;

/* All magics, in %help order.  NULL-terminated. */
extern const mg_magic *const mg_magics[];

const mg_magic *mg_find(const char *name);
/* Closest magic name to `word` (edit distance), or NULL if none is close. */
const char *mg_closest_magic(const char *word);
/* Closest of the `|`-separated or option names of `m` to `word`, or NULL. */
const char *mg_closest_option(const mg_magic *m, const char *word);
/* The candidate closest to `word` (edit distance scaled to its length, or a
 * prefix match), or NULL if none is close. */
const char *mg_closest_name(const char *word, const char *const *cands, size_t n);

/* A validated invocation. */
struct mg_call {
    const mg_magic *magic;
    const mg_line *line;
    const char **pos;      /* positional words */
    size_t n_pos;
    const char *text;      /* free text (free_text magics) */
    const char *as_name;   /* NAME of `as NAME`, or NULL */
    const mg_arg **extra;  /* any_options magics: the other key=value pairs */
    size_t n_extra;
    const char *values[32];  /* by option index; NULL when absent ("" for flags) */
};

/* Checks a parsed line against its magic: unknown options (with a
 * suggestion), wrong types, enumerations, counts.  Returns 0, or -1 with a
 * one-line reason in `why`. */
int mg_call_bind(const mg_magic *m, const mg_line *line, mg_call *call, char *why, size_t len);
void mg_call_clear(mg_call *call);

const char *mg_opt(const mg_call *c, const char *name);   /* NULL when absent */
bool mg_flag(const mg_call *c, const char *name);
/* Parses durations ("90s", "5m", "1h", "2.5") into seconds; -1 if invalid. */
double mg_parse_duration(const char *s);
/* Parses sizes ("512M", "4G", "1.5GB", "300k", "1000") into bytes (powers of
 * 1024); -1 if invalid. */
double mg_parse_size(const char *s);

/* ---- running magics ---- */

struct mg_ctx {
    kn_request *req;
    struct mg_session *session;
    double started;   /* aml_now() when the running line's work began (the cell's start
                         for its first line), for the times a magic shows */
};

/* Reports a failure of the running magic (ename, printf-style evalue) and
 * returns -1, so handlers can `return mg_fail(...)`. */
int mg_fail(mg_ctx *ctx, const char *ename, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Help of one magic as a mime bundle (text/plain + text/html); new ref. */
json_t *mg_help_bundle(const mg_magic *m);

/* HTML-escapes `s` and appends to `out` (a growing buffer). */
typedef struct mg_buf {
    char *data;
    size_t len, cap;
} mg_buf;
void mg_buf_add(mg_buf *b, const char *s);
/* Appends `n` bytes (which may hold NULs); the buffer stays NUL-terminated. */
void mg_buf_add_n(mg_buf *b, const char *s, size_t n);
void mg_buf_addf(mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mg_buf_add_html(mg_buf *b, const char *s);
void mg_buf_free(mg_buf *b);

/* ---- displays (mg_display.c) ---- */

/* A table rendered as aligned text and as HTML. */
typedef struct mg_table mg_table;
mg_table *mg_table_new(size_t ncols, const char *const *headers);  /* NULL: no memory */
void mg_table_free(mg_table *t);
void mg_table_numeric(mg_table *t, size_t col);  /* right-align column `col` */
void mg_table_row(mg_table *t, const char *const *cells);  /* copies ncols cells */
/* Appends the table to `text` (aligned, long cells cut) and `html` (may be NULL). */
void mg_table_render(const mg_table *t, mg_buf *text, mg_buf *html);
/* Characters (code points) in UTF-8 `s`. */
size_t mg_utf8_width(const char *s);
/* Base64 of `n` bytes; malloc'd, NULL when out of memory. */
char *mg_base64(const unsigned char *data, size_t n);
/* Displays a table as text/plain + text/html, plus `mime` = {key: doc} when
 * mime is not NULL.  Takes `doc`'s reference (may be NULL).  Returns 0. */
int mg_display_table(mg_ctx *ctx, const mg_table *t, const char *mime, const char *key,
                     json_t *doc);
/* Displays a chart: image/png with its logical size in the metadata, and
 * `alt` as text/plain.  Returns 0 or mg_fail(). */
int mg_display_png(mg_ctx *ctx, const aml_plot_image *img, const char *alt);

/* ---- session (mg_session.c) ---- */
typedef struct mg_session mg_session;

/* A named data set of the session. */
typedef struct mg_dataset {
    char *name;
    aml_frame *frame;   /* owned */
    char *source;       /* file path or bundled name */
    char *target;       /* target column, or NULL */
    aml_images *images;   /* owned; an image set (frame is NULL then) */
    aml_images_report *images_report;   /* owned, may be NULL: what the import read */
} mg_dataset;

/* A trained model of the session: the search's result (which holds the
 * model, the leaderboard and the test split). */
typedef struct mg_trained {
    char *name;
    aml_run *run;       /* owned; NULL for a model loaded from a file */
    aml_model *loaded;  /* owned; the model read by %load (run is NULL) */
    char *dataset;      /* the data set it was trained on ("" when loaded) */
    char *source;       /* the file it was loaded from, or "" */
    uint64_t test_fingerprint;  /* mg_test_fingerprint of the data at training (0: none) */
} mg_trained;

/* A hash of the target values at the run's test rows of `frame` (0 when the
 * run has no test split or the frame lacks the rows or the target): the same
 * value later means the data set still holds the test split it was scored on. */
uint64_t mg_test_fingerprint(const aml_frame *frame, const aml_run *run);

/* The model a trained entry predicts with: the run's chosen model, or the
 * loaded one.  NULL when the run kept none (interrupted before any trial). */
const aml_model *mg_trained_model(const mg_trained *t);

mg_session *mg_session_new(void);
void mg_session_free(mg_session *s);
/* Adds (or replaces) model `name`; takes ownership of `run` on success.
 * Returns 0 or -1 (out of memory). */
int mg_session_put_model(mg_session *s, const char *name, aml_run *run, const char *dataset);
/* Model `name`, or the most recent when NULL; NULL when there is none. */
mg_trained *mg_session_model(const mg_session *s, const char *name);
/* Adds (or replaces) model `name` read from file `source`; takes ownership
 * of `model` on success.  Returns 0 or -1 (out of memory). */
int mg_session_put_loaded(mg_session *s, const char *name, aml_model *model, const char *source);
/* Finds model `name` (NULL: the most recent) or fails with a suggestion. */
int mg_model_or_fail(mg_ctx *ctx, const char *name, mg_trained **out);
size_t mg_session_model_count(const mg_session *s);
mg_trained *mg_session_model_at(const mg_session *s, size_t i);
/* A free default name: model1, model2, ... */
void mg_session_new_model_name(mg_session *s, char *buf, size_t len);
/* Adds (or replaces) data set `name`, which becomes the most recent; takes
 * ownership of `frame` on success.  Returns 0 or -1 (out of memory). */
int mg_session_put_dataset(mg_session *s, const char *name, aml_frame *frame,
                           const char *source, const char *target);
/* Adds (or replaces) image set `name`, which becomes the most recent; takes
 * ownership of `images` and `report` (may be NULL) on success.  Returns 0 or
 * -1 (out of memory). */
int mg_session_put_images(mg_session *s, const char *name, aml_images *images,
                          aml_images_report *report, const char *source);
/* mg_dataset_or_fail for magics that work on tables: an image set fails
 * with one line naming `magic` ("data set 'X' holds images; %schema works
 * on tables"). */
int mg_table_or_fail(mg_ctx *ctx, const char *name, const char *magic, mg_dataset **out);
/* The data set called `name`, or the most recent one when `name` is NULL;
 * NULL when there is none. */
mg_dataset *mg_session_dataset(const mg_session *s, const char *name);
size_t mg_session_dataset_count(const mg_session *s);
mg_dataset *mg_session_dataset_at(const mg_session *s, size_t i);
/* {"magics": [...], "datasets": [...], "models": [...]}; new ref. */
json_t *mg_session_state(const mg_session *s);

/* ---- bundled data sets (mg_bundled.c) ---- */

typedef struct mg_bundled {
    const char *name;     /* what %import takes: "bank-marketing" */
    const char *file;     /* the original file name */
    const char *target;   /* the usual target column */
    const char *about;    /* one paragraph: what, source, licence */
    const unsigned char *gz, *gz_end;  /* the embedded gzip-compressed CSV */
} mg_bundled;

const mg_bundled *mg_bundled_find(const char *name);   /* NULL if none */
const mg_bundled *mg_bundled_at(size_t i);             /* NULL past the end */
/* The embedded (gzip-compressed CSV) bytes. */
const unsigned char *mg_bundled_bytes(const mg_bundled *b, size_t *len);

/* ---- data set views (mg_frame_view.c) ---- */

void mg_fmt_count(size_t n, char buf[32]);   /* 45211 -> "45,211" */
void mg_fmt_bytes(size_t n, char buf[32]);   /* 4610348 -> "4.4 MB" */
/* Appends the schema table of `d` (with distinct counts from `a`, may be
 * NULL) to text/html, and a column document per column to `columns_json`
 * (may be NULL). */
void mg_view_schema(const mg_dataset *d, const aml_analysis *a, mg_buf *text, mg_buf *html,
                    json_t *columns_json);
/* Appends the first `nrows` rows of `f` as a table; rows as arrays of
 * strings (null for missing) to `preview_json` (may be NULL). */
void mg_view_preview(const aml_frame *f, size_t nrows, mg_buf *text, mg_buf *html,
                     json_t *preview_json);
/* Displays a data set: summary line, notes, schema (optional) and preview,
 * as text/plain, text/html and application/vnd.automl.frame+json.  When
 * `started` is not 0 (an aml_now() time), the summary ends with the seconds
 * since then, taken once the schema and preview are built ("imported in"). */
int mg_view_dataset(mg_ctx *ctx, const mg_dataset *d, const char *summary,
                    const char *const *notes, size_t n_notes, size_t preview_rows,
                    bool with_schema, double started);
/* The column name closest to `word`, or NULL. */
const char *mg_closest_column(const aml_frame *f, const char *word);
/* Finds column `name` of `d` or fails with a suggestion naming `option`. */
int mg_column_or_fail(mg_ctx *ctx, const mg_dataset *d, const char *name, const char *option,
                      size_t *col);
/* Finds data set `name` (NULL: the most recent) or fails with a suggestion. */
int mg_dataset_or_fail(mg_ctx *ctx, const char *name, mg_dataset **out);

/* The rows an `on=` / `data=` style option names (`option` is its name,
 * for messages): a session data set, or else a CSV file read with the
 * defaults.  OUT: *frame (borrowed from the session, or *owned, which the
 * caller frees with aml_frame_free).  Returns 0 or mg_fail(). */
int mg_frame_arg(mg_ctx *ctx, const char *arg, const char *option, const aml_frame **frame,
                 aml_frame **owned);

/* ---- image sets (mg_images_view.c, mg_analyze_images.c) ---- */
/* The import display of image set `d`: counts, skipped files, classes, sizes,
 * memory, split, and a grid of samples per class (PNG).  `started`: as in
 * mg_view_dataset. */
int mg_view_images(mg_ctx *ctx, const mg_dataset *d, double started);
/* %analyze on image set `d`: class balance, duplicates, mean image per class. */
int mg_analyze_images(mg_ctx *ctx, const mg_dataset *d);
/* An <img> of `img` for HTML (base64 data URL at its logical width). */
void mg_buf_add_png(mg_buf *html, const aml_plot_image *img, const char *alt);
/* "28×28×1" */
void mg_fmt_image_shape(const aml_images *im, char buf[48]);

/* ---- training views (mg_train_view.c) ---- */
/* The live progress display of a search event (text, HTML, progress+json). */
json_t *mg_progress_bundle(const aml_search_event *ev, const char *name);
/* The result of a search: summary, leaderboard (all rows with `full`, else
 * the top 10 and the best-score-over-time chart), pipeline, notes. */
int mg_show_run(mg_ctx *ctx, const char *name, const aml_run *run, bool full);

/* ---- completion (mg_complete.c) ---- */
/* complete_reply content (without status) for `code` with the cursor at
 * code point `cursor_pos`: magic names, option names, enumerated values,
 * column and data set names, file paths. */
json_t *mg_complete(mg_session *s, const char *code, long cursor_pos);

/* ---- deployments (mg_deploy.c) ---- */
/* Stops every REST server %deploy started (called when the session ends). */
void mg_deploy_stop_all(void);
/* The base URL (http://host:port) of the most recent deployment's server, or
 * NULL when nothing is deployed (for %http paths). */
const char *mg_deploy_url(void);

/* ---- memory (mg_memory.c) ---- */
/* Sets malloc up so that freed memory goes back to the system (large blocks
 * mapped on their own, fewer arenas).  Call once, first thing in main(). */
void mg_memory_setup(void);
/* Returns the free pages malloc still holds to the system (after a cell). */
void mg_memory_release(void);

/* ---- the interpreter (mg_interp.c) ---- */
/* Fills `interp` with the magics interpreter over `session` (borrowed). */
void mg_interpreter_init(kn_interpreter *interp, mg_session *session);
/* The comm targets the magics answer ("automl.session"). */
const kn_comm_target *mg_comm_targets(mg_session *session, size_t *n);

#endif
