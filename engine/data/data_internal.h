/*
 * data_internal.h — internals of the CSV reader shared by csv_*.c: the record
 * tokenizer, input loading and decoding, and the report.  Never installed.
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

#endif
