/*
 * aml_data.h — the data subsystem: columnar frames, the CSV reader, type
 * inference, learning tasks, prepared-feature matrices and labelled image
 * data sets.
 *
 * A frame is a table of named, typed columns stored column by column:
 *   AML_TYPE_NUMBER       double
 *   AML_TYPE_INTEGER      int64_t
 *   AML_TYPE_BOOLEAN      uint8_t (0/1)
 *   AML_TYPE_CATEGORICAL  uint32_t codes into a per-column dictionary of levels
 *   AML_TYPE_TEXT         UTF-8 strings
 *   AML_TYPE_DATETIME     int64_t seconds since 1970-01-01T00:00:00Z
 * Every column has a validity bitmap: a cell is VALID, MISSING (an empty or
 * missing token such as NA) or INVALID (a token that did not parse as the
 * column's type, e.g. "prefer not to say" in a number column).  INVALID cells
 * carry no value, like MISSING ones, but the column keeps their original text
 * so previews can show it and a later change of type can re-parse it.
 *
 * Common rules:
 *  - Strings are UTF-8, NUL-terminated.  Returned `const char *` point into the
 *    frame (or report) and stay valid until it is freed or modified.
 *  - Functions taking `aml_error *err` (may be NULL) fill it on failure.
 *  - Thread safety: a frame may be read from many threads at once; functions
 *    that modify a frame need exclusive access.  Different frames are
 *    independent.
 */
#ifndef AML_DATA_H
#define AML_DATA_H
#include "aml_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- column types ---- */

typedef enum aml_type {
    AML_TYPE_NUMBER = 0,
    AML_TYPE_INTEGER,
    AML_TYPE_BOOLEAN,
    AML_TYPE_CATEGORICAL,
    AML_TYPE_TEXT,
    AML_TYPE_DATETIME,
    AML_TYPE_COUNT_
} aml_type;

/* Lower-case name of a type ("number", "integer", ...); "?" for others. */
const char *aml_type_name(aml_type type);
/* Parse a type name (case-insensitive; also accepts "float", "double",
 * "int", "bool", "category", "string", "date").
 * OUT: *type.  Returns 0, or AML_EINVAL for an unknown name. */
int aml_type_parse(const char *name, aml_type *type);

/* Column flags set by the CSV reader (aml_frame_col_flags). */
enum {
    AML_COL_ID = 1u << 0,               /* a distinct value on every row */
    AML_COL_CONSTANT = 1u << 1,         /* at most one distinct non-missing value */
    AML_COL_HIGH_CARDINALITY = 1u << 2, /* categorical/text with very many levels */
    AML_COL_DEMOTED = 1u << 3,          /* the full file changed the sampled type */
    AML_COL_FORCED = 1u << 4            /* type given by the caller (types=) */
};

/* State of one cell. */
typedef enum aml_cell_state { AML_CELL_VALID = 0, AML_CELL_MISSING, AML_CELL_INVALID } aml_cell_state;

/* ---- frames ---- */

typedef struct aml_frame aml_frame;

/* Create an empty frame (no columns, no rows).  OUT: *out, owned by the
 * caller (aml_frame_free).  Returns 0 or AML_ENOMEM / AML_EINVAL. */
int aml_frame_new(aml_frame **out);
/* Free a frame and everything it owns.  Accepts NULL. */
void aml_frame_free(aml_frame *frame);

/* Bytes the frame holds in memory: its columns' values, validity bitmaps,
 * text, category dictionaries and invalid cells' text, as allocated.  0 for
 * NULL.  Thread-safe on a frame no one changes. */
size_t aml_frame_memory_size(const aml_frame *frame);

size_t aml_frame_nrows(const aml_frame *frame);
size_t aml_frame_ncols(const aml_frame *frame);

/* Append a column parsed from strings: values[i] NULL, "" or a missing token
 * (NA, N/A, NaN, null, None, ?; case-insensitive) is MISSING; a value that
 * does not parse as `type` is INVALID.  The first column sets the row count;
 * later ones must have the same `n`.  The frame copies everything.
 * OUT: *n_invalid (may be NULL).  Returns 0, AML_EINVAL (bad n, duplicate or
 * empty name), AML_ENOMEM. */
int aml_frame_add_strings(aml_frame *frame, const char *name, aml_type type,
                          const char *const *values, size_t n, size_t *n_invalid,
                          aml_error *err);
/* Append a number column; NaN is MISSING.  Same rules as above. */
int aml_frame_add_numbers(aml_frame *frame, const char *name, const double *values,
                          size_t n, aml_error *err);

/* Column metadata.  `col` is 0-based; out-of-range gives NULL / 0 / -1. */
const char *aml_frame_col_name(const aml_frame *frame, size_t col);
aml_type aml_frame_col_type(const aml_frame *frame, size_t col);
/* Index of the column called `name` (exact match), or -1. */
long aml_frame_col_index(const aml_frame *frame, const char *name);
size_t aml_frame_col_missing(const aml_frame *frame, size_t col);  /* MISSING cells */
size_t aml_frame_col_invalid(const aml_frame *frame, size_t col);  /* INVALID cells */
unsigned aml_frame_col_flags(const aml_frame *frame, size_t col);  /* AML_COL_* */
/* For a datetime column: true if some value has a time of day. */
bool aml_frame_col_has_time(const aml_frame *frame, size_t col);

/* Cell access.  Out-of-range indexes behave like a MISSING cell. */
aml_cell_state aml_frame_cell_state(const aml_frame *frame, size_t col, size_t row);
bool aml_frame_is_valid(const aml_frame *frame, size_t col, size_t row);
/* The cell as a double: number, integer, boolean (0/1), datetime (seconds),
 * categorical (the code).  NaN for MISSING/INVALID cells and text columns. */
double aml_frame_get_number(const aml_frame *frame, size_t col, size_t row);
/* The cell as a string for a categorical or text column; NULL if the cell is
 * not VALID or the column is of another type. */
const char *aml_frame_get_string(const aml_frame *frame, size_t col, size_t row);
/* The original text of an INVALID cell, else NULL. */
const char *aml_frame_get_invalid_text(const aml_frame *frame, size_t col, size_t row);
/* Format any cell for display into buf (snprintf semantics: always
 * NUL-terminated when cap > 0; returns the full length).  MISSING is "",
 * INVALID gives its original text, numbers use the shortest form that reads
 * back exactly, datetimes "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS". */
size_t aml_frame_cell_str(const aml_frame *frame, size_t col, size_t row, char *buf, size_t cap);

/* Raw column arrays (length nrows) for fast loops, or NULL when the column
 * is of another type.  Entries of non-VALID cells are 0. */
const double *aml_frame_col_numbers(const aml_frame *frame, size_t col);    /* NUMBER */
const int64_t *aml_frame_col_integers(const aml_frame *frame, size_t col);  /* INTEGER, DATETIME */
const uint8_t *aml_frame_col_booleans(const aml_frame *frame, size_t col);  /* BOOLEAN */
const uint32_t *aml_frame_col_codes(const aml_frame *frame, size_t col);    /* CATEGORICAL */
/* Validity bitmap: bit (row % 64) of word [row / 64] is 1 for VALID cells. */
const uint64_t *aml_frame_col_validity(const aml_frame *frame, size_t col);

/* Categorical dictionary: number of levels, and level `code` (NULL if out of
 * range).  Codes are in order of first appearance. */
size_t aml_frame_cat_count(const aml_frame *frame, size_t col);
const char *aml_frame_cat_level(const aml_frame *frame, size_t col, size_t code);

/* Change a column's type (%schema NAME col=type).  Each cell is turned into
 * its text (the original text for INVALID cells, the display form for
 * others) and re-parsed as `type`; values that do not parse become INVALID.
 * OUT: *n_invalid (may be NULL): INVALID cells after the change.
 * Returns 0, AML_EINVAL (bad column/type), AML_ENOMEM (the frame is then
 * unchanged). */
int aml_frame_set_type(aml_frame *frame, size_t col, aml_type type, size_t *n_invalid,
                       aml_error *err);

/* New frame with the listed columns (in that order; repeats are an error),
 * or rows [row0, row0 + nrows) clipped to the frame.  OUT: *out, owned by the
 * caller.  Returns 0, AML_EINVAL, AML_ENOMEM. */
int aml_frame_select(const aml_frame *frame, const size_t *cols, size_t ncols, aml_frame **out);
int aml_frame_slice(const aml_frame *frame, size_t row0, size_t nrows, aml_frame **out);

/* ---- CSV reader ---- */

typedef enum aml_csv_header { AML_CSV_HEADER_AUTO = 0, AML_CSV_HEADER_YES, AML_CSV_HEADER_NO } aml_csv_header;

typedef struct aml_csv_options {
    char delimiter;          /* 0: sniff among , ; TAB | (default 0) */
    aml_csv_header header;   /* AUTO (default): a first row of distinct names
                                that does not look like data is a header */
    const char *missing;     /* extra missing tokens, comma-separated, exact match
                                (e.g. "-,n.a."); NULL for none */
    const char *types;       /* forced types "col:type,col:type" (names or
                                1-based numbers); NULL for none */
    size_t sample;           /* rows used to guess types (default 10000;
                                0 = default); all rows are verified */
    bool skip_errors;        /* ragged / unterminated rows are skipped and
                                counted instead of failing (default false) */
    int threads;             /* parser threads; 0 = all online CPUs */
    size_t max_memory;       /* bytes the import may hold (0 = 90 % of the memory
                                available when it starts): a file that would not
                                fit is refused before it is read (AML_ENOMEM) */
} aml_csv_options;

/* The defaults above.  Thread-safe. */
aml_csv_options aml_csv_options_default(void);

/* What the reader noticed: notes for the user and parse facts. */
typedef struct aml_csv_report aml_csv_report;

/* Read a CSV file (".gz" suffix or gzip magic: through zlib) into a frame.
 * Accepts RFC 4180 (quotes, "" escapes, newlines in quotes, CRLF), a UTF-8
 * BOM, LF / CRLF / CR line ends (mixed too); blank lines are skipped.
 * Text that is not UTF-8 is decoded as Windows-1252 with a note.  Duplicate
 * or empty header names are renamed ("x" -> "x_2", "" -> "column_N") with a
 * note.  Types are guessed from the first `sample` rows and verified on all
 * rows (see aml_frame.h / infer rules in the README of the engine).
 * `opts` may be NULL (defaults).  OUT: *out the frame (caller owns),
 * *report (may be NULL; caller owns, aml_csv_report_free) — the report is
 * filled on success only.
 * Errors (err gets line, column = 1-based field number, source = column
 * name, text = reason): AML_EIO / AML_ENOENT file, AML_EEMPTY empty file or
 * no data rows, AML_EPARSE ragged row / unterminated quote / bad option,
 * AML_EENCODING NUL byte or binary data, AML_ENOMEM.
 * Thread safety: reentrant; uses opts->threads worker threads internally. */
int aml_csv_read(const char *path, const aml_csv_options *opts, aml_frame **out,
                 aml_csv_report **report, aml_error *err);
/* The same on bytes in memory (not modified, not kept). `name` is used in
 * messages only (may be NULL). */
int aml_csv_read_buffer(const void *data, size_t len, const char *name,
                        const aml_csv_options *opts, aml_frame **out,
                        aml_csv_report **report, aml_error *err);

void aml_csv_report_free(aml_csv_report *report);   /* accepts NULL */
size_t aml_csv_report_note_count(const aml_csv_report *report);
const char *aml_csv_report_note(const aml_csv_report *report, size_t i);
char aml_csv_report_delimiter(const aml_csv_report *report);
bool aml_csv_report_has_header(const aml_csv_report *report);
bool aml_csv_report_transcoded(const aml_csv_report *report); /* Windows-1252 used */
size_t aml_csv_report_rows_skipped(const aml_csv_report *report);
size_t aml_csv_report_bytes(const aml_csv_report *report);    /* uncompressed input */
double aml_csv_report_seconds(const aml_csv_report *report);  /* wall time of the read */

/* ---- tasks and prepared data ---- */

typedef enum aml_task {
    AML_TASK_BINARY = 0,     /* classes 0 and 1; predictions: P(class 1) per row */
    AML_TASK_MULTICLASS,     /* classes 0..k-1; predictions: k probabilities per row */
    AML_TASK_REGRESSION      /* predictions: one value per row */
} aml_task;

const char *aml_task_name(aml_task task);   /* "binary", "multiclass", "regression" */

/* A matrix of prepared features, row-major.  Either dense (`dense` != NULL,
 * rows * cols floats, NAN = missing) or CSR sparse (`indptr` rows + 1
 * offsets into `indices` / `values`; absent entries are 0).  The struct does
 * not own its arrays unless it came from aml_matrix_new / aml_prep_transform
 * (then free it with aml_matrix_free). */
typedef struct aml_matrix {
    size_t rows, cols;
    float *dense;
    size_t *indptr;
    uint32_t *indices;
    float *values;
    bool owned;
} aml_matrix;

/* A dense rows x cols matrix filled with 0.  OUT: *out.  Returns 0, AML_ENOMEM. */
int aml_matrix_new(size_t rows, size_t cols, aml_matrix **out);
void aml_matrix_free(aml_matrix *m);
/* Value at (r, c) for either layout (for tests and small loops). */
float aml_matrix_get(const aml_matrix *m, size_t r, size_t c);
/* The rows listed in `idx` (n of them), as a new owned matrix of the same
 * layout.  OUT: *out.  Returns 0, AML_EINVAL (index out of range), AML_ENOMEM. */
int aml_matrix_take_rows(const aml_matrix *m, const size_t *idx, size_t n, aml_matrix **out);


/* ---- image data sets ---- */

/* A labelled set of images held in memory as uint8 at one working size.
 * Pixels are NCHW: image i starts at i * channels * height * width, and
 * holds its channel planes one after the other (grey: 1 plane; RGB: R, G,
 * B), each `height` rows of `width` bytes.  Alpha is composited on white;
 * grey images stay 1 channel unless the set mixes grey and colour (then
 * every image is RGB). */
typedef struct aml_images aml_images;

/* The split an image belongs to (a CSV's set column, IDX's t10k files). */
typedef enum aml_image_split {
    AML_SPLIT_UNASSIGNED = 0,
    AML_SPLIT_TRAIN,
    AML_SPLIT_VALIDATION,
    AML_SPLIT_TEST
} aml_image_split;

/* "unassigned", "train", "validation", "test"; "?" for others. */
const char *aml_image_split_name(aml_image_split split);

typedef struct aml_images_options {
    int width, height;   /* working size (size=WxH); 0, 0: chosen from the data */
    int max_side;        /* chosen from the data: the median size, shrunk to fit
                            max_side x max_side (default 64) */
} aml_images_options;

aml_images_options aml_images_options_default(void);

/* What the reader did: images read and skipped (with the first few paths
 * and reasons), class counts, the size distribution and the working size. */
typedef struct aml_images_report aml_images_report;

/* Read a labelled image data set.  `path` is one of:
 *  - a folder with one subfolder per class (class names: the subfolder names,
 *    sorted); every file in a class folder is tried as PNG or JPEG;
 *  - a CSV file of `path,label` rows with an optional `set` column
 *    (TRAIN / VALIDATION / TEST / UNASSIGNED, any case; third column, or the
 *    first as in AutoML Vision's files); paths are relative to the CSV's
 *    folder; a first row naming the columns is skipped;
 *  - IDX files (plain or gzip): a folder of `*-images-idx3-ubyte[.gz]` files
 *    and their `*-labels-idx1-ubyte[.gz]`, or one file of such a pair.  With
 *    both train-* and t10k-* pairs the official split is kept (t10k: TEST).
 * A file that cannot be read or decoded is skipped and named in the report;
 * the read fails only when nothing could be read.
 * `opts` may be NULL (defaults).  OUT: *out (caller owns, aml_images_free),
 * *report (may be NULL; caller owns, aml_images_report_free).
 * Errors: AML_ENOENT / AML_EIO path, AML_EEMPTY no image could be read,
 * AML_EPARSE a malformed IDX or CSV file, AML_EINVAL options, AML_ENOMEM. */
int aml_images_read(const char *path, const aml_images_options *opts, aml_images **out,
                    aml_images_report **report, aml_error *err);
void aml_images_free(aml_images *images);   /* accepts NULL */

size_t aml_images_count(const aml_images *images);
int aml_images_channels(const aml_images *images);
int aml_images_height(const aml_images *images);
int aml_images_width(const aml_images *images);
/* All pixels (NCHW, count * channels * height * width bytes), or one
 * image's (NULL when i is out of range). */
const uint8_t *aml_images_pixels(const aml_images *images);
const uint8_t *aml_images_image(const aml_images *images, size_t i);
/* Class index of image i (0 .. class_count - 1; 0 when out of range). */
uint32_t aml_images_label(const aml_images *images, size_t i);
aml_image_split aml_images_split(const aml_images *images, size_t i);
size_t aml_images_class_count(const aml_images *images);
const char *aml_images_class_name(const aml_images *images, size_t k);  /* NULL if out of range */
/* Bytes held: pixels, labels, splits and class names. */
size_t aml_images_memory_size(const aml_images *images);

void aml_images_report_free(aml_images_report *report);   /* accepts NULL */
/* "folder", "csv" or "idx". */
const char *aml_images_report_layout(const aml_images_report *report);
size_t aml_images_report_read(const aml_images_report *report);
size_t aml_images_report_skipped(const aml_images_report *report);
/* The first few skipped files (at most 10): path and one-line reason. */
size_t aml_images_report_skip_count(const aml_images_report *report);
const char *aml_images_report_skip_path(const aml_images_report *report, size_t i);
const char *aml_images_report_skip_reason(const aml_images_report *report, size_t i);
/* Images read per class (as aml_images_class_count classes). */
size_t aml_images_report_class_images(const aml_images_report *report, size_t k);
/* Sizes of the images read, before resizing. OUT: min, median, max. */
void aml_images_report_widths(const aml_images_report *report, int *min, int *median, int *max);
void aml_images_report_heights(const aml_images_report *report, int *min, int *median, int *max);
/* The working size and why it was chosen (one line). */
int aml_images_report_width(const aml_images_report *report);
int aml_images_report_height(const aml_images_report *report);
const char *aml_images_report_size_reason(const aml_images_report *report);
size_t aml_images_report_bytes(const aml_images_report *report);

/* Decodes one PNG or JPEG held in memory to c channels (1 grey or 3 RGB; alpha
 * composited on white, as aml_images_read does; colour to grey by luma
 * 0.299 R + 0.587 G + 0.114 B) resized to w x h as aml_images_read resizes,
 * into out (c*h*w bytes, NCHW).  Returns 0, AML_EPARSE "not a PNG or JPEG
 * image" / "corrupt PNG: ..." / "corrupt JPEG: ..." (the decoder's reason),
 * AML_EUNSUPPORTED (a CMYK JPEG), AML_EINVAL (c, h or w out of range),
 * AML_ENOMEM. */
int aml_image_decode_to(const unsigned char *bytes, size_t len, int c, int h, int w,
                        uint8_t *out, aml_error *err);


/* ---- engine-internal (amlp_): column storage, shared with the subsystems
 * that build or read frames column by column (analyze, prep, explain) ---- */

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


#ifdef __cplusplus
}
#endif


#endif
