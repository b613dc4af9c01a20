/*
 * mg.h — the magics layer: the kernel's language.  The cell parser
 * (mg_parse.c), the registry of magics with typed options (mg_registry.c), the
 * session state (mg_session.c), the interpreter that kn_run() drives
 * (mg_interp.c) and one file per magic family.
 */
#ifndef MG_H
#define MG_H

#include "kn.h"

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

/* Parses a cell (DESIGN §3).  Returns 0, or -1 with `err` filled (out is then
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
} mg_opt_type;

typedef struct mg_option {
    const char *name;
    mg_opt_type type;
    const char *values;  /* MG_ENUM: "a|b|c" */
    const char *help;
} mg_option;

typedef struct mg_ctx mg_ctx;
typedef struct mg_call mg_call;

typedef struct mg_magic {
    const char *name;
    const char *synopsis;   /* "%sleep SECONDS" */
    const char *summary;    /* one line, for %help */
    const char *help;       /* the full text (paragraphs, examples) */
    const mg_option *options;  /* terminated by {0} */
    int min_args, max_args;    /* positional words (max -1: any) */
    bool free_text;            /* the words are free text (%echo) */
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
/* Levenshtein distance (for suggestions). */
size_t mg_edit_distance(const char *a, const char *b);

/* A validated invocation. */
struct mg_call {
    const mg_magic *magic;
    const mg_line *line;
    const char **pos;      /* positional words */
    size_t n_pos;
    const char *text;      /* free text (free_text magics) */
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

/* ---- running magics ---- */

struct mg_ctx {
    kn_request *req;
    struct mg_session *session;
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
void mg_buf_addf(mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mg_buf_add_html(mg_buf *b, const char *s);
void mg_buf_free(mg_buf *b);

/* ---- session (mg_session.c) ---- */
typedef struct mg_session mg_session;
mg_session *mg_session_new(void);
void mg_session_free(mg_session *s);
/* {"magics": [...], "datasets": [...], "models": [...]}; new ref. */
json_t *mg_session_state(const mg_session *s);

/* ---- the interpreter (mg_interp.c) ---- */
/* Fills `interp` with the magics interpreter over `session` (borrowed). */
void mg_interpreter_init(kn_interpreter *interp, mg_session *session);
/* The comm targets the magics answer ("automl.session"). */
const kn_comm_target *mg_comm_targets(mg_session *session, size_t *n);

#endif
