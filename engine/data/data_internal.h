/*
 * data_internal.h — internals of the CSV reader shared by csv_*.c (the record
 * tokenizer, input loading and decoding, the report) and of the image reader
 * shared by image_*.c (decoding, resizing, the image set and its report).
 * Never installed.
 */
#ifndef AML_DATA_INTERNAL_H
#define AML_DATA_INTERNAL_H

#include "aml_data.h"

/* One field of a record: bytes [start, start+len) of the buffer.  `raw`
 * fields still hold their quotes and "" escapes (amlp_csv_unescape). */
typedef struct amlp_field {
    size_t start;
    size_t len;
    bool quoted;
    bool raw;
} amlp_field;

typedef struct amlp_rec {
    amlp_field *f;
    size_t n, cap;
} amlp_rec;

enum { AMLP_REC_OK = 0, AMLP_REC_BLANK = 1, AMLP_REC_UNTERMINATED = 2 };

/* Tokenize the record at `pos`.  OUT: r (fields), *next (start of the next
 * record).  Returns AMLP_REC_OK, AMLP_REC_BLANK (empty line, *next set),
 * AMLP_REC_UNTERMINATED (*next = len, r->f[r->n-1] is the open field, its
 * start is the quote), or AML_ENOMEM. */
int amlp_csv_record(const char *buf, size_t len, size_t pos, char delim, amlp_rec *r,
                    size_t *next);
/* Unescape a raw field into *scratch (grown as needed).  OUT: *out, *olen. */
int amlp_csv_unescape(const char *buf, const amlp_field *f, char **scratch, size_t *scap,
                      const char **out, size_t *olen);
/* 1-based line of byte `pos` (LF, CRLF and lone CR end lines). */
long amlp_csv_line_of(const char *buf, size_t pos);
/* Start of the first line beginning at or after pos (len if none). */
size_t amlp_csv_line_start(const char *buf, size_t len, size_t pos);
/* Choose the delimiter among , ; TAB | from the first records. */
char amlp_csv_sniff(const char *buf, size_t len);

/* Input: the whole file in memory, decoded to UTF-8. */
typedef struct amlp_input {
    char *owned;          /* buffer we allocated (or NULL) */
    void *map;            /* read-only mapping of a plain file (or NULL) */
    size_t map_len;
    const char *buf;      /* text (after the BOM) */
    size_t len;
    size_t total;         /* uncompressed bytes as read */
    size_t nul_pos;       /* first NUL byte, or SIZE_MAX */
    size_t converted;     /* bytes decoded as Windows-1252 */
    size_t first_converted;
} amlp_input;

/* `limit`: the bytes the import may hold (0 = no limit): a plain file's frame
 * needs about its size, a gzip file's text and frame twice what it inflates to. */
int amlp_csv_load_file(const char *path, double limit, amlp_input *in, aml_error *err);
/* Streaming over a mapped input, so that the whole file is never resident at
 * once (no-ops for text held in memory): map the text from `pos` on ahead of
 * a reader, and give back the pages wholly inside [from, to) it has read.
 * Released pages read back the same bytes if touched again. */
#define AMLP_CSV_WINDOW ((size_t)1 << 18)
void amlp_csv_prefetch(const amlp_input *in, size_t pos);
void amlp_csv_release(const amlp_input *in, size_t from, size_t to);
void amlp_csv_set_buffer(amlp_input *in, const void *data, size_t len);
/* True if the bytes start with the gzip magic number. */
bool amlp_csv_is_gzip(const void *data, size_t len);
/* Inflates gzip bytes held in memory (e.g. a data set embedded in a program)
 * into an owned buffer.  `name` is for messages. */
int amlp_csv_load_gzip_buffer(const void *data, size_t len, const char *name, amlp_input *in,
                              aml_error *err);
/* Strip the BOM, find NULs, decode non-UTF-8 bytes as Windows-1252. */
int amlp_csv_decode(amlp_input *in, aml_error *err);
void amlp_csv_input_free(amlp_input *in);

/* The report. */
struct aml_csv_report {
    char **notes;
    size_t n_notes, cap_notes;
    char delimiter;
    bool header;
    bool transcoded;
    size_t skipped;
    long skipped_line;
    size_t bytes;
    double seconds;
};
int amlp_csv_note(aml_csv_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- images (image_*.c) ---- */

struct aml_images {
    size_t n;
    int channels, height, width;
    uint8_t *pixels;      /* NCHW */
    uint32_t *labels;
    uint8_t *splits;      /* aml_image_split */
    char **class_names;
    size_t n_classes;
};

#define AMLP_IMAGE_SKIPS_KEPT 10
/* Largest image decoded: this many pixels (a bound before any allocation). */
#define AMLP_IMAGE_MAX_PIXELS ((size_t)1 << 26)

struct aml_images_report {
    const char *layout;
    size_t read, skipped;
    char *skip_path[AMLP_IMAGE_SKIPS_KEPT];
    char *skip_reason[AMLP_IMAGE_SKIPS_KEPT];
    size_t n_skips_kept;
    size_t *class_images;
    size_t n_classes;
    int w_min, w_med, w_max, h_min, h_med, h_max;
    int width, height;
    char size_reason[160];
    size_t bytes;
};

/* Count a skipped file, keeping the first few paths and reasons. */
int amlp_images_skip(aml_images_report *r, const char *path, const char *reason);
/* A new empty set / report.  NULL when out of memory. */
aml_images *amlp_images_new(void);
aml_images_report *amlp_images_report_new(const char *layout);
/* Allocate room for n images of the set's size and channels, and its
 * labels and splits.  0 or AML_ENOMEM. */
int amlp_images_alloc(aml_images *im, size_t n);
/* Keep the first n images (after skips), giving back the memory beyond
 * them at the set's current channels and size. */
void amlp_images_truncate(aml_images *im, size_t n);
/* Fill the report's class counts and bytes from the set. 0 or AML_ENOMEM. */
int amlp_images_report_finish(aml_images_report *r, const aml_images *im);
/* Median of n ints (sorts v). */
int amlp_images_median(int *v, size_t n);

/* A decoded image: h rows of w pixels of c interleaved channels (c: 1 or 3). */
typedef struct amlp_image {
    int w, h, c;
    uint8_t *px;
} amlp_image;

/* Size and colour of a PNG or JPEG from its header.  `why` gets a one-line
 * reason on failure.  Returns 0 or AML_EPARSE / AML_EUNSUPPORTED. */
int amlp_image_probe(const uint8_t *data, size_t len, int *w, int *h, bool *colour,
                     char *why, size_t cap);
/* Decode a PNG (8/16-bit, grey, grey+alpha, RGB, RGBA, palette) or a JPEG
 * (grey, colour); alpha is composited on white.  OUT: *img (px owned,
 * amlp_free).  Never prints, never aborts: errors fill `why`.
 * Returns 0, AML_EPARSE, AML_EUNSUPPORTED, AML_ENOMEM. */
int amlp_image_decode(const uint8_t *data, size_t len, amlp_image *img, char *why, size_t cap);
/* Read a whole file (at most 256 MB).  OUT: *data (amlp_free), *len. */
int amlp_image_file(const char *path, uint8_t **data, size_t *len, char *why, size_t cap);

/* Resize interleaved src (sw x sh x c) into planar dst (c planes of dw x dh):
 * area averaging along an axis that shrinks, bilinear along one that grows.
 * 0 or AML_ENOMEM. */
int amlp_image_resize(const uint8_t *src, int sw, int sh, int c, uint8_t *dst, int dw, int dh);

/* IDX files (image_idx.c): true when `path` is an IDX file or a folder
 * holding *-images-idx3-ubyte files. */
bool amlp_idx_detect(const char *path);
int amlp_idx_read(const char *path, const aml_images_options *opts, aml_images *im,
                  aml_images_report *r, aml_error *err);

/* Folder and CSV layouts (image_set.c). */
int amlp_images_read_listed(const char *path, bool csv, const aml_images_options *opts,
                            aml_images *im, aml_images_report *r, aml_error *err);

#endif
