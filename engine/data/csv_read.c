/* csv_read.c — aml_csv_read: sniff, header, sample-based type guess (the
 * sample's rows are kept, typed, as the first rows), then a multi-threaded
 * chunked parse straight into pre-sized typed columns, streaming through a
 * mapped file, verification of the guessed types over all rows (re-parsing
 * demoted columns), merge into a frame, notes. */
#include "data/data_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIN_CHUNK (1u << 20)
#define MAX_THREADS 64

typedef struct ctx {
    const amlp_input *in;   /* the text's storage (for streaming a mapped file) */
    const char *buf;
    size_t len;
    char delim;
    size_t ncols;
    const aml_type *types;
    const bool *active;     /* NULL: all columns */
    char **extra;           /* extra missing tokens */
    size_t n_extra;
    size_t extra_max;       /* length of the longest */
    bool skip_errors;
    double row_bytes;       /* mean record size in the sample (0: unknown) */
    const double *text_len; /* mean text length per column in the sample, or NULL */
} ctx;

typedef struct chunk {
    const ctx *cx;
    size_t begin, limit, end;
    size_t reserve_bytes;   /* pre-size the columns for this many bytes of records */
    size_t resume;          /* if not 0: rows before this were filled in already */
    size_t max_rows;
    size_t rows;
    amlp_col *cols;
    size_t *fail_pos;
    int err;
    size_t err_pos, err_field;
    char err_text[160];
    size_t skipped, first_skip_pos;
    char *scratch;
    size_t scap;
    amlp_rec rec;
} chunk;

static inline bool is_missing(const ctx *cx, const char *s, size_t len)
{
    /* Most fields are not padded and are longer than every token or do not
     * start like one (the built-in tokens start with ?, n or N). */
    if (len && (len > cx->extra_max || !cx->n_extra)) {
        unsigned char a = (unsigned char)s[0], z = (unsigned char)s[len - 1];
        if (a != ' ' && a != '\t' && z != ' ' && z != '\t' &&
            (len > 4 || (a != '?' && (a | 0x20) != 'n')))
            return false;
    }
    if (amlp_is_missing_token(s, len))
        return true;
    for (size_t i = 0; i < cx->n_extra; i++)
        if (strlen(cx->extra[i]) == len && memcmp(cx->extra[i], s, len) == 0)
            return true;
    return false;
}

static void chunk_free_cols(chunk *ch)
{
    if (!ch->cols)
        return;
    for (size_t j = 0; j < ch->cx->ncols; j++)
        amlp_col_clear(&ch->cols[j]);
}

static int chunk_init(chunk *ch, const ctx *cx)
{
    memset(ch, 0, sizeof *ch);
    ch->cx = cx;
    ch->first_skip_pos = SIZE_MAX;
    ch->cols = amlp_calloc(cx->ncols ? cx->ncols : 1, sizeof *ch->cols);
    ch->fail_pos = amlp_malloc((cx->ncols ? cx->ncols : 1) * sizeof *ch->fail_pos);
    if (!ch->cols || !ch->fail_pos)
        return AML_ENOMEM;
    for (size_t j = 0; j < cx->ncols; j++) {
        amlp_col_init(&ch->cols[j], cx->types[j]);
        ch->fail_pos[j] = SIZE_MAX;
    }
    return 0;
}

static void chunk_destroy(chunk *ch)
{
    if (ch->cx)
        chunk_free_cols(ch);
    amlp_free(ch->cols);
    amlp_free(ch->fail_pos);
    amlp_free(ch->scratch);
    amlp_free(ch->rec.f);
    memset(ch, 0, sizeof *ch);
}

/* Forget parsed rows of the active columns (types from ctx) before a re-run. */
static void chunk_reset(chunk *ch)
{
    const ctx *cx = ch->cx;
    for (size_t j = 0; j < cx->ncols; j++) {
        if (cx->active && !cx->active[j])
            continue;
        amlp_col_clear(&ch->cols[j]);
        amlp_col_init(&ch->cols[j], cx->types[j]);
        ch->fail_pos[j] = SIZE_MAX;
    }
    ch->rows = 0;
    ch->resume = 0;
    ch->err = 0;
    ch->skipped = 0;
    ch->first_skip_pos = SIZE_MAX;
}

static void chunk_skip(chunk *ch, size_t pos)
{
    if (ch->first_skip_pos == SIZE_MAX)
        ch->first_skip_pos = pos;
    ch->skipped++;
}

/* Rows to expect in `bytes` bytes of records: from the sample's mean record
 * size with a margin, never more than a record of empty fields per `ncols`
 * bytes.  Untouched capacity costs address space, not memory. */
static size_t estimate_rows(const ctx *cx, size_t bytes)
{
    size_t most = bytes / (cx->ncols ? cx->ncols : 1) + 64;
    if (cx->row_bytes <= 0)
        return bytes / (cx->ncols * 4 + 1) + 64;
    double est = (double)bytes / cx->row_bytes * 1.1 + 64;
    return est < (double)most ? (size_t)est : most;
}

/* Pre-size the active columns for ch->reserve_bytes of records, so that they
 * are filled without being moved. */
static int chunk_presize(chunk *ch)
{
    const ctx *cx = ch->cx;
    size_t rows = estimate_rows(cx, ch->reserve_bytes);
    for (size_t j = 0; j < cx->ncols; j++) {
        if (cx->active && !cx->active[j])
            continue;
        amlp_col *c = &ch->cols[j];
        if (amlp_col_reserve(c, rows))
            return AML_ENOMEM;
        if (c->type == AML_TYPE_TEXT && cx->text_len) {
            double bytes = (cx->text_len[j] + 1) * 1.1 * (double)rows;
            if (bytes > (double)ch->reserve_bytes + (double)rows)
                bytes = (double)ch->reserve_bytes + (double)rows;
            if (amlp_strpool_reserve(&c->text, (size_t)bytes, rows))
                return AML_ENOMEM;
        }
    }
    return 0;
}

static void chunk_run(chunk *ch)
{
    const ctx *cx = ch->cx;
    const char *buf = cx->buf;
    size_t pos = ch->resume ? ch->resume : ch->begin;
    if (ch->rows == 0 && ch->max_rows == 0 && chunk_presize(ch)) {
        ch->err = AML_ENOMEM;
        return;
    }
    /* A full pass streams through a mapped file; a sample stays mapped. */
    bool stream = ch->max_rows == 0;
    size_t mark = ch->begin;
    if (stream)
        amlp_csv_prefetch(cx->in, pos);
    while (pos < cx->len && pos < ch->limit && (!ch->max_rows || ch->rows < ch->max_rows)) {
        size_t next;
        if (stream && pos - mark >= AMLP_CSV_WINDOW) {
            amlp_csv_release(cx->in, mark, pos);
            amlp_csv_prefetch(cx->in, pos);
            mark = pos;
        }
        int rc = amlp_csv_record(buf, cx->len, pos, cx->delim, &ch->rec, &next);
        if (rc < 0) {
            ch->err = rc;
            break;
        }
        if (rc == AMLP_REC_BLANK) {
            pos = next;
            continue;
        }
        if (rc == AMLP_REC_UNTERMINATED) {
            if (cx->skip_errors) {
                chunk_skip(ch, pos);
                pos = next;
                continue;
            }
            ch->err = AML_EPARSE;
            ch->err_pos = ch->rec.f[ch->rec.n - 1].start;
            ch->err_field = ch->rec.n;
            snprintf(ch->err_text, sizeof ch->err_text,
                     "unterminated quoted field (the quote opened here is never closed)");
            break;
        }
        if (ch->rec.n != cx->ncols) {
            if (cx->skip_errors) {
                chunk_skip(ch, pos);
                pos = next;
                continue;
            }
            ch->err = AML_EPARSE;
            ch->err_pos = pos;
            ch->err_field = ch->rec.n > cx->ncols ? cx->ncols + 1 : ch->rec.n + 1;
            snprintf(ch->err_text, sizeof ch->err_text, "expected %zu fields, found %zu",
                     cx->ncols, ch->rec.n);
            break;
        }
        const amlp_field *fl = ch->rec.f;
        for (size_t j = 0; j < cx->ncols; j++) {
            if (cx->active && !cx->active[j])
                continue;
            const char *s = buf + fl[j].start;
            size_t len = fl[j].len;
            amlp_col *c = &ch->cols[j];
            if (fl[j].raw &&
                amlp_csv_unescape(buf, &fl[j], &ch->scratch, &ch->scap, &s, &len)) {
                ch->err = AML_ENOMEM;
                goto out;
            }
            if (c->type == AML_TYPE_CATEGORICAL && c->n < c->cap && !is_missing(cx, s, len)) {
                /* amlp_col_push for the commonest case, inline. */
                if ((rc = amlp_dict_intern(&c->dict, s, len, (uint32_t *)c->data + c->n))) {
                    ch->err = rc;
                    goto out;
                }
                c->valid[c->n >> 6] |= (uint64_t)1 << (c->n & 63);
                c->n++;
                continue;
            }
            size_t before = c->n_invalid;
            rc = is_missing(cx, s, len) ? amlp_col_push_missing(c) : amlp_col_push(c, s, len);
            if (rc) {
                ch->err = rc;
                goto out;
            }
            if (c->n_invalid != before && ch->fail_pos[j] == SIZE_MAX)
                ch->fail_pos[j] = pos;
        }
        ch->rows++;
        pos = next;
    }
out:
    ch->end = pos;
    if (stream)
        amlp_csv_release(cx->in, mark, pos);
}

static void *chunk_thread(void *arg)
{
    chunk_run(arg);
    return NULL;
}

/* Run chunks [0, k): chunk 0 on this thread, the others on new threads. */
static void run_all(chunk *ch, size_t k)
{
    pthread_t tid[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (size_t i = 1; i < k; i++)
        started[i] = pthread_create(&tid[i], NULL, chunk_thread, &ch[i]) == 0;
    chunk_run(&ch[0]);
    for (size_t i = 1; i < k; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            chunk_run(&ch[i]);
    }
}

static size_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

/* ---- reader state ---- */

typedef struct reader {
    const aml_csv_options *opt;
    const char *name;
    amlp_input in;
    ctx cx;
    aml_csv_report *rep;
    char **names;
    aml_type *types;
    bool *forced;
    bool *active;
    ctx scx;                /* the sample's context: all columns categorical */
    aml_type *cat_types;
    double *text_len;
    chunk *chunks;
    size_t nchunks;
    aml_frame *frame;
} reader;

static int err_at(reader *rd, aml_error *err, int code, size_t pos, size_t field,
                  const char *text)
{
    long line = amlp_csv_line_of(rd->in.buf, pos);
    const char *src = (field >= 1 && rd->names && field <= rd->cx.ncols) ? rd->names[field - 1] : "";
    return aml_error_set(err, code, line, (long)field, src, "%s", text);
}

static void reader_free(reader *rd)
{
    for (size_t i = 0; i < rd->nchunks; i++)
        chunk_destroy(&rd->chunks[i]);
    amlp_free(rd->chunks);
    if (rd->names)
        for (size_t j = 0; j < rd->cx.ncols; j++)
            amlp_free(rd->names[j]);
    amlp_free(rd->names);
    amlp_free(rd->types);
    amlp_free(rd->cat_types);
    amlp_free(rd->text_len);
    amlp_free(rd->forced);
    amlp_free(rd->active);
    for (size_t i = 0; i < rd->cx.n_extra; i++)
        amlp_free(rd->cx.extra[i]);
    amlp_free(rd->cx.extra);
    amlp_csv_input_free(&rd->in);
    aml_frame_free(rd->frame);
    aml_csv_report_free(rd->rep);
}

static int split_extra(reader *rd, const char *list)
{
    if (!list || !*list)
        return 0;
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    rd->cx.extra = amlp_calloc(n, sizeof *rd->cx.extra);
    if (!rd->cx.extra)
        return AML_ENOMEM;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l) {
            char *t = amlp_malloc(l + 1);
            if (!t)
                return AML_ENOMEM;
            memcpy(t, p, l);
            t[l] = '\0';
            rd->cx.extra[rd->cx.n_extra++] = t;
            if (l > rd->cx.extra_max)
                rd->cx.extra_max = l;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* Field j of the current record of `ch` as text. */
static int field_text(chunk *ch, size_t j, const char **s, size_t *len)
{
    return amlp_csv_unescape(ch->cx->buf, &ch->rec.f[j], &ch->scratch, &ch->scap, s, len);
}

static int make_names(reader *rd, chunk *first, bool header)
{
    size_t nc = rd->cx.ncols;
    rd->names = amlp_calloc(nc, sizeof *rd->names);
    if (!rd->names)
        return AML_ENOMEM;
    for (size_t j = 0; j < nc; j++) {
        char tmp[48];
        const char *s = tmp;
        size_t len;
        if (header) {
            if (field_text(first, j, &s, &len))
                return AML_ENOMEM;
            len = strnlen(s, len);
            amlp_trim(&s, &len);
        } else {
            len = 0;
        }
        bool renamed = false;
        if (!len) {
            len = (size_t)snprintf(tmp, sizeof tmp, "column_%zu", j + 1);
            s = tmp;
            renamed = header;
        }
        char *nm = amlp_malloc(len + 16);
        if (!nm)
            return AML_ENOMEM;
        memcpy(nm, s, len);
        nm[len] = '\0';
        /* Deduplicate: name, name_2, name_3, ... */
        for (unsigned k = 2;; k++) {
            bool dup = false;
            for (size_t i = 0; i < j && !dup; i++)
                dup = strcmp(rd->names[i], nm) == 0;
            if (!dup)
                break;
            if (k == 2 && amlp_csv_note(rd->rep, "duplicate column name '%.*s' (column %zu) renamed",
                                        (int)(len > 100 ? 100 : len), s, j + 1))
                return AML_ENOMEM;
            snprintf(nm + len, 16, "_%u", k);
        }
        if (renamed && amlp_csv_note(rd->rep, "column %zu has no name; called it '%s'", j + 1, nm))
            return AML_ENOMEM;
        rd->names[j] = nm;
    }
    return 0;
}

static int parse_types_option(reader *rd, aml_error *err)
{
    const char *p = rd->opt->types;
    if (!p || !*p)
        return 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char item[256];
        if (l >= sizeof item)
            return aml_error_set(err, AML_EINVAL, 0, 0, "types", "types=: entry too long");
        memcpy(item, p, l);
        item[l] = '\0';
        char *colon = strrchr(item, ':');
        if (!colon)
            return aml_error_set(err, AML_EINVAL, 0, 0, "types",
                                 "types=: '%s' is not col:type", item);
        *colon = '\0';
        aml_type t;
        if (aml_type_parse(colon + 1, &t))
            return aml_error_set(err, AML_EINVAL, 0, 0, item, "types=: unknown type '%s'",
                                 colon + 1);
        long idx = -1;
        for (size_t j = 0; j < rd->cx.ncols && idx < 0; j++)
            if (strcmp(rd->names[j], item) == 0)
                idx = (long)j;
        if (idx < 0) {
            char *end;
            long v = strtol(item, &end, 10);
            if (*item && !*end && v >= 1 && (size_t)v <= rd->cx.ncols)
                idx = v - 1;
        }
        if (idx < 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, item, "types=: no column '%s'", item);
        rd->types[idx] = t;
        rd->forced[idx] = true;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

/* Does the first record look like a header, given a sample of the rows after
 * it (parsed as categorical)? */
static bool looks_like_header(chunk *first, chunk *sample)
{
    size_t nc = first->cx->ncols;
    bool any_name = false;
    for (size_t j = 0; j < nc; j++) {
        const char *s;
        size_t len;
        if (field_text(first, j, &s, &len))
            return false;
        double d;
        int64_t secs;
        bool t;
        if (amlp_parse_double(s, len, &d) || amlp_parse_datetime(s, len, &secs, &t))
            return false;
        if (!amlp_is_missing_token(s, len))
            any_name = true;
    }
    if (!any_name)
        return false;
    if (sample->rows == 0)
        return true;
    for (size_t j = 0; j < nc; j++) {
        aml_type t;
        amlp_infer_guess(&sample->cols[j], &t);
        if (t != AML_TYPE_CATEGORICAL && t != AML_TYPE_TEXT)
            return true;
    }
    for (size_t j = 0; j < nc; j++) {
        const char *s;
        size_t len;
        if (field_text(first, j, &s, &len))
            return false;
        if (amlp_dict_find(&sample->cols[j].dict, s, len) >= 0)
            return false;
    }
    return true;
}

/* Record size and text lengths of the sample, to pre-size the columns. */
static int sample_sizes(reader *rd, const chunk *sample)
{
    size_t nc = rd->cx.ncols, recs = sample->rows + sample->skipped;
    if (!recs || sample->end <= sample->begin)
        return 0;
    rd->text_len = amlp_calloc(nc, sizeof *rd->text_len);
    if (!rd->text_len)
        return AML_ENOMEM;
    rd->cx.row_bytes = (double)(sample->end - sample->begin) / (double)recs;
    for (size_t j = 0; j < nc; j++) {
        const amlp_col *c = &sample->cols[j];
        const uint32_t *codes = c->data;
        double total = 0;
        for (size_t r = 0; r < c->n; r++)
            if (amlp_bit(c->valid, r))
                total += (double)amlp_strpool_len(&c->dict.pool, codes[r]);
        rd->text_len[j] = c->n ? total / (double)c->n : 0;
    }
    rd->cx.text_len = rd->text_len;
    return 0;
}

/* Parse up to `sample` records from `begin` as categorical columns. */
static int sample_rows(reader *rd, size_t begin, chunk *sample)
{
    chunk_destroy(sample);
    int rc = chunk_init(sample, &rd->scx);
    if (rc)
        return rc;
    sample->begin = begin;
    sample->limit = rd->in.len;
    sample->max_rows = rd->opt->sample ? rd->opt->sample : 10000;
    chunk_run(sample);
    return sample->err == AML_ENOMEM ? AML_ENOMEM : 0;
}

static int locate_nul(reader *rd, aml_error *err)
{
    size_t nul = rd->in.nul_pos;
    amlp_rec r = {0};
    size_t pos = 0, field = 1;
    while (pos < rd->in.len) {
        size_t next;
        int rc = amlp_csv_record(rd->in.buf, rd->in.len, pos, rd->cx.delim, &r, &next);
        if (rc < 0)
            break;
        if (nul < next || next >= rd->in.len) {
            for (size_t j = 0; j < r.n; j++)
                if (r.f[j].start <= nul)
                    field = j + 1;
            break;
        }
        pos = next;
    }
    amlp_free(r.f);
    long line = amlp_csv_line_of(rd->in.buf, nul);
    const char *src = (rd->names && field <= rd->cx.ncols) ? rd->names[field - 1] : "";
    return aml_error_set(err, AML_EENCODING, line, (long)field, src,
                         "NUL byte in the text (binary data, or UTF-16 text?)");
}

static int cat_to_text(amlp_col *c)
{
    amlp_strpool pool = {0};
    const uint32_t *codes = c->data;
    for (size_t r = 0; r < c->n; r++) {
        bool v = amlp_bit(c->valid, r);
        const char *s = v ? amlp_strpool_get(&c->dict.pool, codes[r]) : "";
        size_t len = v ? amlp_strpool_len(&c->dict.pool, codes[r]) : 0;
        if (amlp_strpool_push(&pool, s, len)) {
            amlp_strpool_free(&pool);
            return AML_ENOMEM;
        }
    }
    amlp_free(c->data);
    c->data = NULL;
    amlp_dict_free(&c->dict);
    c->text = pool;
    c->type = AML_TYPE_TEXT;
    return 0;
}

static void clip(const char *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s", s);
    if (strlen(s) >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

static int chunk_error(reader *rd, chunk *ch, aml_error *err)
{
    if (ch->err == AML_EPARSE)
        return err_at(rd, err, AML_EPARSE, ch->err_pos, ch->err_field, ch->err_text);
    return aml_error_set(err, ch->err, 0, 0, "", "%s", aml_strerror(ch->err));
}

/* First invalid value of column j over the chunks: text and line. */
static void first_invalid(reader *rd, size_t j, char *text, size_t cap, long *line)
{
    *line = 0;
    text[0] = '\0';
    for (size_t i = 0; i < rd->nchunks; i++) {
        chunk *ch = &rd->chunks[i];
        if (ch->cols[j].n_invalid && ch->fail_pos[j] != SIZE_MAX) {
            clip(amlp_strpool_get(&ch->cols[j].inv_text, 0), text, cap);
            *line = amlp_csv_line_of(rd->in.buf, ch->fail_pos[j]);
            return;
        }
    }
}

/* Start of row `row` of a sample read from `begin` without bad rows. */
static int sample_row_pos(reader *rd, size_t begin, size_t row, size_t *out)
{
    amlp_rec r = {0};
    size_t pos = begin, n = 0;
    int rc = 0;
    while (pos < rd->cx.len) {
        size_t next;
        int kind = amlp_csv_record(rd->cx.buf, rd->cx.len, pos, rd->cx.delim, &r, &next);
        if (kind < 0) {
            rc = kind;
            break;
        }
        if (kind == AMLP_REC_OK && n++ == row)
            break;
        pos = next;
    }
    amlp_free(r.f);
    *out = pos;
    return rc;
}

/* The sample's rows are the first rows of chunk 0 when it read them all
 * without a bad row: convert them to the guessed types (each distinct value
 * parsed once) instead of parsing them again. */
static bool sample_reusable(const chunk *sample, size_t data_start)
{
    return sample && sample->rows && !sample->skipped && !sample->err && sample->cols &&
           sample->end > data_start;
}

static int reuse_sample(reader *rd, chunk *ch, const chunk *sample, size_t data_start)
{
    if (!sample_reusable(sample, data_start) || sample->end > ch->limit || ch->begin != data_start)
        return 0;
    for (size_t j = 0; j < rd->cx.ncols; j++) {
        size_t bad;
        int rc = amlp_col_push_codes(&ch->cols[j], &sample->cols[j], &bad);
        if (!rc && bad != SIZE_MAX)
            rc = sample_row_pos(rd, sample->begin, bad, &ch->fail_pos[j]);
        if (rc)
            return rc;
    }
    ch->rows = sample->rows;
    ch->resume = sample->end;
    return chunk_presize(ch);
}

static int parse_all(reader *rd, size_t data_start, chunk *sample, aml_error *err,
                     size_t *total_rows)
{
    const char *buf = rd->in.buf;
    size_t len = rd->in.len, span = len - data_start;
    /* The rows after a reused sample are shared out evenly. */
    size_t from = sample_reusable(sample, data_start) ? sample->end : data_start;
    size_t rest = len - from;
    size_t k = rd->opt->threads > 0 ? (size_t)rd->opt->threads : online_cpus();
    if (k > MAX_THREADS)
        k = MAX_THREADS;
    size_t maxk = rest / MIN_CHUNK;
    if (k > maxk)
        k = maxk ? maxk : 1;
    rd->chunks = amlp_calloc(k, sizeof *rd->chunks);
    if (!rd->chunks)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    rd->nchunks = k;
    rd->cx.types = rd->types;
    for (size_t i = 0; i < k; i++) {
        chunk *ch = &rd->chunks[i];
        if (chunk_init(ch, &rd->cx))
            return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        size_t b = from + rest / k * i;
        ch->begin = i == 0 ? data_start : amlp_csv_line_start(buf, len, b);
        ch->limit = i + 1 < k ? from + rest / k * (i + 1) : SIZE_MAX;
        /* Chunk 0's columns become the frame's: room for every row. */
        size_t stop = ch->limit < len ? ch->limit : len;
        ch->reserve_bytes = i == 0 ? span : stop > ch->begin ? stop - ch->begin : 0;
    }
    int rc = reuse_sample(rd, &rd->chunks[0], sample, data_start);
    chunk_destroy(sample);
    if (rc)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    run_all(rd->chunks, k);
    size_t rows = 0;
    for (size_t i = 0; i < k; i++) {
        chunk *ch = &rd->chunks[i];
        if (i > 0 && ch->begin != rd->chunks[i - 1].end) {
            /* The guessed start was inside a quoted field: redo from the
             * true end of the previous chunk. */
            ch->begin = rd->chunks[i - 1].end;
            chunk_reset(ch);
            chunk_run(ch);
        }
        if (ch->err)
            return chunk_error(rd, ch, err);
        rows += ch->rows;
        rd->rep->skipped += ch->skipped;
        if (ch->skipped && rd->rep->skipped == ch->skipped)
            rd->rep->skipped_line = amlp_csv_line_of(buf, ch->first_skip_pos);
    }
    *total_rows = rows;
    return 0;
}

/* Verify the guessed types over all rows; re-parse columns whose type changes. */
static int verify_types(reader *rd, const aml_type *guess, aml_error *err)
{
    size_t nc = rd->cx.ncols;
    bool any = false;
    for (size_t j = 0; j < nc; j++) {
        rd->active[j] = false;
        if (rd->forced[j])
            continue;
        amlp_col agg;
        amlp_col_init(&agg, rd->types[j]);
        for (size_t i = 0; i < rd->nchunks; i++) {
            const amlp_col *c = &rd->chunks[i].cols[j];
            agg.n += c->n;
            agg.n_missing += c->n_missing;
            agg.n_invalid += c->n_invalid;
            agg.fail_num += c->fail_num;
        }
        aml_type nt = amlp_infer_verify(&agg);
        if (nt == rd->types[j])
            continue;
        char text[64];
        long line;
        first_invalid(rd, j, text, sizeof text, &line);
        if (amlp_csv_note(rd->rep, "column '%s': read as %s, not %s as the first rows suggested "
                          "('%s' on line %ld)", rd->names[j], aml_type_name(nt),
                          aml_type_name(guess[j]), text, line))
            return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        rd->types[j] = nt;
        rd->active[j] = true;
        any = true;
    }
    if (!any)
        return 0;
    rd->cx.active = rd->active;
    size_t rows[MAX_THREADS];
    for (size_t i = 0; i < rd->nchunks; i++) {
        chunk *ch = &rd->chunks[i];
        size_t skipped = ch->skipped;
        rows[i] = ch->rows;
        chunk_reset(ch);
        ch->limit = ch->end;
        ch->skipped = skipped;
    }
    run_all(rd->chunks, rd->nchunks);
    rd->cx.active = NULL;
    for (size_t i = 0; i < rd->nchunks; i++) {
        if (rd->chunks[i].err)
            return chunk_error(rd, &rd->chunks[i], err);
        /* A mapped file is read again here: it must not have changed. */
        if (rd->chunks[i].rows != rows[i])
            return aml_error_set(err, AML_EIO, 0, 0, rd->name, "the file changed while it was read");
    }
    return 0;
}

static int build_frame(reader *rd, const aml_type *guess, size_t rows, aml_error *err)
{
    int rc = aml_frame_new(&rd->frame);
    size_t all_missing = 0;
    for (size_t j = 0; j < rd->cx.ncols && !rc; j++) {
        char text[64];
        long line = 0;
        first_invalid(rd, j, text, sizeof text, &line);
        /* Chunk 0's column becomes the frame's; the others are appended. */
        amlp_col c = rd->chunks[0].cols[j];
        amlp_col_init(&rd->chunks[0].cols[j], rd->types[j]);
        c.name = amlp_strdup(rd->names[j]);
        rc = c.name ? amlp_col_reserve(&c, rows + 64) : AML_ENOMEM;
        for (size_t i = 1; i < rd->nchunks && !rc; i++) {
            amlp_col *src = &rd->chunks[i].cols[j];
            rc = amlp_col_append(&c, src, 0, src->n);
            amlp_col_clear(src);
        }
        if (!rc && !rd->forced[j] && amlp_infer_is_text(&c))
            rc = cat_to_text(&c);
        if (!rc)
            rc = amlp_infer_flags(&c);
        if (rc) {
            amlp_col_clear(&c);
            break;
        }
        if (rd->forced[j])
            c.flags |= AML_COL_FORCED;
        else if (c.type != guess[j])
            c.flags |= AML_COL_DEMOTED;
        if (c.n_invalid)
            rc = amlp_csv_note(rd->rep, "column '%s': %zu value%s not %s (e.g. '%s' on line %ld); "
                               "counted as invalid", c.name, c.n_invalid,
                               c.n_invalid == 1 ? " is" : "s are", aml_type_name(c.type), text, line);
        all_missing += c.n_missing == c.n;
        c.first_fail_row = SIZE_MAX;
        amlp_col_shrink(&c);
        if (!rc)
            rc = amlp_frame_push_col(rd->frame, &c);
        if (rc)
            amlp_col_clear(&c);
    }
    if (rc)
        return aml_error_set(err, rc, 0, 0, "", "%s", aml_strerror(rc));
    rd->frame->nrows = rows;
    if (all_missing == rd->cx.ncols)
        return aml_error_set(err, AML_EEMPTY, 1, 0, "", "no values: every field is empty");
    return 0;
}

static int read_impl(reader *rd, aml_error *err)
{
    int rc;
    rd->rep = amlp_calloc(1, sizeof *rd->rep);
    if (!rd->rep)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    size_t win = rd->in.len < 65536 ? rd->in.len : 65536, ctrl = 0;
    for (size_t i = 0; i < win; i++) {
        unsigned char ch = (unsigned char)rd->in.buf[i];
        ctrl += (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7F;
    }
    if (win >= 256 && ctrl * 10 > win)
        return aml_error_set(err, AML_EENCODING, 1, 0, "",
                             "binary data, not CSV text (%zu control bytes in the first %zu)",
                             ctrl, win);
    if ((rc = amlp_csv_decode(&rd->in, err)))
        return rc;
    const char *buf = rd->in.buf;
    size_t len = rd->in.len;
    rd->rep->bytes = rd->in.total;
    if (rd->in.converted) {
        rd->rep->transcoded = true;
        if (amlp_csv_note(rd->rep, "the file is not valid UTF-8: read %zu byte%s as Windows-1252 "
                          "(Latin-1), first on line %zu", rd->in.converted,
                          rd->in.converted == 1 ? "" : "s", rd->in.first_converted))
            return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    size_t p0 = 0;
    while (p0 < len && (buf[p0] == '\n' || buf[p0] == '\r'))
        p0++;
    if (p0 == len)
        return aml_error_set(err, AML_EEMPTY, 1, 0, "", "the file is empty");
    rd->cx.in = &rd->in;
    rd->cx.buf = buf;
    rd->cx.len = len;
    rd->cx.delim = rd->opt->delimiter ? rd->opt->delimiter : amlp_csv_sniff(buf + p0, len - p0);
    rd->cx.skip_errors = rd->opt->skip_errors;
    if (rd->cx.delim == '"' || rd->cx.delim == '\n' || rd->cx.delim == '\r')
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "bad delimiter");
    rd->rep->delimiter = rd->cx.delim;
    if (split_extra(rd, rd->opt->missing))
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");

    chunk first, sample;
    memset(&first, 0, sizeof first);
    memset(&sample, 0, sizeof sample);
    first.cx = &rd->cx;
    size_t after_first;
    rc = amlp_csv_record(buf, len, p0, rd->cx.delim, &first.rec, &after_first);
    if (rc < 0) {
        chunk_destroy(&first);
        return aml_error_set(err, rc, 0, 0, "", "out of memory");
    }
    size_t nc = first.rec.n;
    rd->cx.ncols = nc;
    rd->types = amlp_calloc(nc, sizeof *rd->types);
    rd->cat_types = amlp_calloc(nc, sizeof *rd->cat_types);
    rd->forced = amlp_calloc(nc, sizeof *rd->forced);
    rd->active = amlp_calloc(nc, sizeof *rd->active);
    aml_type *guess = amlp_calloc(nc, sizeof *guess);
    if (!rd->types || !rd->cat_types || !rd->forced || !rd->active || !guess) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        goto done;
    }
    if (rc == AMLP_REC_UNTERMINATED) {
        rc = err_at(rd, err, AML_EPARSE, first.rec.f[nc - 1].start, nc,
                    "unterminated quoted field (the quote opened here is never closed)");
        goto done;
    }
    for (size_t j = 0; j < nc; j++)
        rd->cat_types[j] = AML_TYPE_CATEGORICAL;
    rd->scx = rd->cx;
    rd->scx.types = rd->cat_types;
    rd->scx.skip_errors = true;
    bool header = rd->opt->header == AML_CSV_HEADER_YES;
    if (rd->opt->header == AML_CSV_HEADER_AUTO) {
        if ((rc = sample_rows(rd, after_first, &sample)))
            goto nomem;
        header = looks_like_header(&first, &sample);
    }
    rd->rep->header = header;
    /* The header check sampled the rows after the first record: that is
     * the sample again when the first record is the header. */
    bool sampled = rd->opt->header == AML_CSV_HEADER_AUTO && header;
    if ((!sampled && (rc = sample_rows(rd, header ? after_first : p0, &sample))) ||
        (rc = make_names(rd, &first, header)))
        goto nomem;
    if (rd->in.nul_pos != SIZE_MAX) {
        rc = locate_nul(rd, err);
        goto done;
    }
    if ((rc = parse_types_option(rd, err)))
        goto done;
    for (size_t j = 0; j < nc; j++) {
        if (!rd->forced[j])
            amlp_infer_guess(&sample.cols[j], &rd->types[j]);
        guess[j] = rd->types[j];
    }
    if ((rc = sample_sizes(rd, &sample)))
        goto nomem;
    size_t data_start = header ? after_first : p0;
    while (data_start < len && (buf[data_start] == '\n' || buf[data_start] == '\r'))
        data_start++;
    if (data_start >= len) {
        rc = aml_error_set(err, AML_EEMPTY, amlp_csv_line_of(buf, len) + (len && buf[len - 1] != '\n'),
                           0, "", "the header has no data rows");
        goto done;
    }
    size_t rows = 0;
    rc = parse_all(rd, data_start, &sample, err, &rows);
    chunk_destroy(&sample);
    if (rc)
        goto done;
    if (!rows) {
        rc = aml_error_set(err, AML_EEMPTY, 0, 0, "", "no data rows (%zu bad rows skipped)",
                           rd->rep->skipped);
        goto done;
    }
    if ((rc = verify_types(rd, guess, err)) || (rc = build_frame(rd, guess, rows, err)))
        goto done;
    if (rd->rep->skipped &&
        amlp_csv_note(rd->rep, "skipped %zu bad row%s (first on line %ld)", rd->rep->skipped,
                      rd->rep->skipped == 1 ? "" : "s", rd->rep->skipped_line)) {
        rc = AML_ENOMEM;
        goto nomem;
    }
    rc = 0;
    goto done;
nomem:
    rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
done:
    amlp_free(guess);
    chunk_destroy(&first);
    chunk_destroy(&sample);
    return rc;
}

aml_csv_options aml_csv_options_default(void)
{
    aml_csv_options o;
    memset(&o, 0, sizeof o);
    o.header = AML_CSV_HEADER_AUTO;
    o.sample = 10000;
    return o;
}

static int finish(reader *rd, int rc, double t0, aml_frame **out, aml_csv_report **report)
{
    if (!rc) {
        rd->rep->seconds = aml_now() - t0;
        *out = rd->frame;
        rd->frame = NULL;
        if (report) {
            *report = rd->rep;
            rd->rep = NULL;
        }
    }
    reader_free(rd);
    return rc;
}

int aml_csv_read(const char *path, const aml_csv_options *opts, aml_frame **out,
                 aml_csv_report **report, aml_error *err)
{
    if (report)
        *report = NULL;
    if (!out || !path)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no path or output");
    *out = NULL;
    double t0 = aml_now();
    aml_csv_options def = aml_csv_options_default();
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.opt = opts ? opts : &def;
    rd.name = path;
    double limit = rd.opt->max_memory ? (double)rd.opt->max_memory : 0.9 * amlp_mem_available();
    int rc = amlp_csv_load_file(path, limit, &rd.in, err);
    if (!rc)
        rc = read_impl(&rd, err);
    return finish(&rd, rc, t0, out, report);
}

int aml_csv_read_buffer(const void *data, size_t len, const char *name,
                        const aml_csv_options *opts, aml_frame **out,
                        aml_csv_report **report, aml_error *err)
{
    if (report)
        *report = NULL;
    if (!out || (!data && len))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no data or output");
    *out = NULL;
    double t0 = aml_now();
    aml_csv_options def = aml_csv_options_default();
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.opt = opts ? opts : &def;
    rd.name = name ? name : "";
    if (amlp_csv_is_gzip(data, len)) {
        int rc = amlp_csv_load_gzip_buffer(data, len, rd.name, &rd.in, err);
        if (rc)
            return rc;
    } else {
        amlp_csv_set_buffer(&rd.in, data, len);
    }
    return finish(&rd, read_impl(&rd, err), t0, out, report);
}
