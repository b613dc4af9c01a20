/*
 * frame_internal.h — internals shared by the frame, CSV reader, inference and
 * analysis files: the column layout, string pools, string dictionaries, the
 * column builder and the value parsers.  Never installed.
 */
#ifndef FRAME_INTERNAL_H
#define FRAME_INTERNAL_H

#include "aml.h"
#include "amlp.h"

/* A pool of NUL-terminated strings: string i is buf + off[i]. */
typedef struct amlp_strpool {
    char *buf;
    size_t len, cap;
    uint64_t *off;
    size_t n, ncap;
} amlp_strpool;

void amlp_strpool_free(amlp_strpool *p);
/* Paging hint for a large buffer (frame_mem.c): transparent huge pages for
 * its aligned interior.  Harmless to call on any block the caller owns. */
void amlp_mem_hint_large(void *p, size_t bytes);
/* Grow a buffer to `bytes`, keeping its first `used` bytes (realloc for small
 * sizes; a fresh hinted block for large ones).  NULL on failure, `old` kept. */
void *amlp_mem_grow(void *old, size_t used, size_t bytes);
/* Append a string of `len` bytes (need not be NUL-terminated).  0 or AML_ENOMEM. */
int amlp_strpool_push(amlp_strpool *p, const char *s, size_t len);
static inline const char *amlp_strpool_get(const amlp_strpool *p, size_t i)
{
    return p->buf + p->off[i];
}
static inline size_t amlp_strpool_len(const amlp_strpool *p, size_t i)
{
    size_t end = (i + 1 < p->n) ? p->off[i + 1] : p->len;
    return end - p->off[i] - 1;
}
/* Make room for `bytes` bytes of text and `n` strings in all.  0 or AML_ENOMEM. */
int amlp_strpool_reserve(amlp_strpool *p, size_t bytes, size_t n);
/* Append all strings of `src` to `dst`. */
int amlp_strpool_append(amlp_strpool *dst, const amlp_strpool *src);

/* A dictionary of distinct strings with codes 0..n-1 (order of insertion). */
typedef struct amlp_dict_key amlp_dict_key;  /* frame_strings.c */
typedef struct amlp_dict {
    amlp_strpool pool;
    amlp_dict_key *key; /* hash (and short strings' bytes) of each entry */
    uint32_t *slots;    /* open addressing: code + 1, 0 = empty */
    size_t nslots;
} amlp_dict;

void amlp_dict_free(amlp_dict *d);
/* Bytes a pool / a dictionary holds (what is allocated, not what is used). */
size_t amlp_strpool_memory(const amlp_strpool *p);
size_t amlp_dict_memory(const amlp_dict *d);
uint32_t amlp_hash(const char *s, size_t len);
/* Code of the string, inserting it if new.  OUT: *code.  0 or AML_ENOMEM. */
int amlp_dict_intern(amlp_dict *d, const char *s, size_t len, uint32_t *code);
/* Code of the string, or -1. */
long amlp_dict_find(const amlp_dict *d, const char *s, size_t len);
static inline size_t amlp_dict_count(const amlp_dict *d) { return d->pool.n; }

/* One column; also the builder used while reading (cap > 0). */
typedef struct amlp_col {
    char *name;
    aml_type type;
    unsigned flags;
    bool has_time;
    size_t n, cap;          /* rows, allocated rows */
    uint64_t *valid;        /* bitmap of VALID cells */
    void *data;             /* double / int64_t / uint8_t / uint32_t; NULL for text */
    amlp_strpool text;      /* TEXT: one string per row ("" when not valid) */
    amlp_dict dict;         /* CATEGORICAL levels */
    size_t n_missing;
    size_t n_invalid;
    size_t *inv_rows;       /* rows of INVALID cells, increasing */
    size_t inv_cap;
    amlp_strpool inv_text;  /* their original text */
    /* Inference feedback while building: INVALID values that would parse as a
     * number, and the first INVALID value's row. */
    size_t fail_num;
    size_t first_fail_row;
} amlp_col;

struct aml_frame {
    size_t nrows, ncols, capcols;
    amlp_col *cols;
};

size_t amlp_type_width(aml_type t);
void amlp_col_clear(amlp_col *c);                /* free contents, keep nothing */
void amlp_col_init(amlp_col *c, aml_type type);  /* empty builder */
int amlp_col_reserve(amlp_col *c, size_t rows);
int amlp_col_push_missing(amlp_col *c);
/* Parse `s` (len bytes) as the column's type and append it; a failure is
 * stored as INVALID with its text.  0 or AML_ENOMEM. */
int amlp_col_push(amlp_col *c, const char *s, size_t len);
/* Append rows [row0, row0+n) of src (same type) to dst; categorical levels
 * are re-coded into dst's dictionary. */
int amlp_col_append(amlp_col *dst, const amlp_col *src, size_t row0, size_t n);
/* Append the rows of the categorical column `src` to `dst` (any type) as
 * amlp_col_push of each row's text would (missing rows stay missing), parsing
 * each level once.  OUT: *first_invalid, the row of dst's first new INVALID
 * cell or SIZE_MAX.  0 or AML_ENOMEM. */
int amlp_col_push_codes(amlp_col *dst, const amlp_col *src, size_t *first_invalid);
/* Shrink allocations to fit. */
void amlp_col_shrink(amlp_col *c);
static inline bool amlp_bit(const uint64_t *bm, size_t i)
{
    return (bm[i >> 6] >> (i & 63)) & 1u;
}
/* Text of a cell into buf (as aml_frame_cell_str). */
size_t amlp_col_cell_str(const amlp_col *c, size_t row, char *buf, size_t cap);
const char *amlp_col_invalid_text(const amlp_col *c, size_t row);
/* Add a finished column to a frame (takes ownership of *c on success). */
int amlp_frame_push_col(aml_frame *f, amlp_col *c);

/* ---- value parsers (infer_value.c) ---- */

/* The built-in missing tokens: "", NA, N/A, NaN, null, None, ? (case-insensitive). */
bool amlp_is_missing_token(const char *s, size_t len);
bool amlp_parse_int(const char *s, size_t len, int64_t *out);
bool amlp_parse_double(const char *s, size_t len, double *out);
/* Strict: true/false only (inference).  Loose: also yes/no, y/n, t/f, 1/0. */
bool amlp_parse_bool_strict(const char *s, size_t len, uint8_t *out);
bool amlp_parse_bool(const char *s, size_t len, uint8_t *out);
/* ISO 8601 date or date-time: YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|(+|-)HH[:]MM].
 * OUT: *secs since the epoch, *has_time. */
bool amlp_parse_datetime(const char *s, size_t len, int64_t *secs, bool *has_time);
size_t amlp_format_number(double v, char *buf, size_t cap);
size_t amlp_format_datetime(int64_t secs, bool with_time, char *buf, size_t cap);
/* Trim ASCII spaces and tabs. */
void amlp_trim(const char **s, size_t *len);

/* ---- inference rules (infer.c) ---- */

/* Guess a type from a sample column built as CATEGORICAL.  OUT: *type. */
void amlp_infer_guess(const amlp_col *sample, aml_type *type);
/* After all rows were read as `c->type`: the type the column should have
 * (may equal c->type).  Uses c->n_invalid, c->fail_num, c->n_missing. */
aml_type amlp_infer_verify(const amlp_col *c);
/* For a finished categorical column: should it be text instead? */
bool amlp_infer_is_text(const amlp_col *c);
/* Set AML_COL_ID / CONSTANT / HIGH_CARDINALITY.  0 or AML_ENOMEM. */
int amlp_infer_flags(amlp_col *c);

#endif
