/* frame.c — the public frame API: creation, columns from strings or
 * numbers, metadata and cell access. */

#include "aml_data.h"
#include <math.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[AML_TYPE_COUNT_] = {
    "number", "integer", "boolean", "categorical", "text", "datetime"};

const char *aml_type_name(aml_type type)
{
    return (unsigned)type < AML_TYPE_COUNT_ ? type_names[type] : "?";
}

int aml_type_parse(const char *name, aml_type *type)
{
    static const struct { const char *name; aml_type t; } alias[] = {
        {"number", AML_TYPE_NUMBER}, {"numeric", AML_TYPE_NUMBER}, {"float", AML_TYPE_NUMBER},
        {"double", AML_TYPE_NUMBER}, {"integer", AML_TYPE_INTEGER}, {"int", AML_TYPE_INTEGER},
        {"boolean", AML_TYPE_BOOLEAN}, {"bool", AML_TYPE_BOOLEAN},
        {"categorical", AML_TYPE_CATEGORICAL}, {"category", AML_TYPE_CATEGORICAL},
        {"cat", AML_TYPE_CATEGORICAL}, {"text", AML_TYPE_TEXT}, {"string", AML_TYPE_TEXT},
        {"datetime", AML_TYPE_DATETIME}, {"date", AML_TYPE_DATETIME},
        {"timestamp", AML_TYPE_DATETIME}};
    if (!name || !type)
        return AML_EINVAL;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcasecmp(name, alias[i].name) == 0) {
            *type = alias[i].t;
            return 0;
        }
    return AML_EINVAL;
}

int aml_frame_new(aml_frame **out)
{
    if (!out)
        return AML_EINVAL;
    *out = amlp_calloc(1, sizeof **out);
    return *out ? 0 : AML_ENOMEM;
}

void aml_frame_free(aml_frame *frame)
{
    if (!frame)
        return;
    for (size_t i = 0; i < frame->ncols; i++)
        amlp_col_clear(&frame->cols[i]);
    amlp_free(frame->cols);
    amlp_free(frame);
}

size_t aml_frame_memory_size(const aml_frame *frame)
{
    if (!frame)
        return 0;
    size_t bytes = sizeof *frame + frame->capcols * sizeof *frame->cols;
    for (size_t i = 0; i < frame->ncols; i++) {
        const amlp_col *c = &frame->cols[i];
        size_t rows = c->cap > c->n ? c->cap : c->n;
        bytes += (c->name ? strlen(c->name) + 1 : 0) + (rows + 63) / 64 * sizeof *c->valid;
        bytes += c->data ? rows * amlp_type_width(c->type) : 0;
        bytes += amlp_strpool_memory(&c->text) + amlp_dict_memory(&c->dict);
        bytes += c->inv_cap * sizeof *c->inv_rows + amlp_strpool_memory(&c->inv_text);
    }
    return bytes;
}

size_t aml_frame_nrows(const aml_frame *frame) { return frame ? frame->nrows : 0; }
size_t aml_frame_ncols(const aml_frame *frame) { return frame ? frame->ncols : 0; }

int amlp_frame_push_col(aml_frame *f, amlp_col *c)
{
    if (f->ncols == f->capcols) {
        size_t nc = f->capcols ? f->capcols * 2 : 8;
        amlp_col *ncols = amlp_realloc(f->cols, nc * sizeof *ncols);
        if (!ncols)
            return AML_ENOMEM;
        f->cols = ncols;
        f->capcols = nc;
    }
    if (f->ncols == 0)
        f->nrows = c->n;
    f->cols[f->ncols++] = *c;
    amlp_col_init(c, c->type);
    return 0;
}

static int check_new_col(aml_frame *f, const char *name, size_t n, aml_error *err)
{
    if (!f || !name || !*name)
        return aml_error_set(err, AML_EINVAL, 0, 0, name ? name : "", "a column needs a name");
    if (aml_frame_col_index(f, name) >= 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, name, "duplicate column name '%s'", name);
    if (f->ncols && n != f->nrows)
        return aml_error_set(err, AML_EINVAL, 0, 0, name, "column has %zu rows, frame has %zu",
                             n, f->nrows);
    return 0;
}

static int finish_col(aml_frame *f, amlp_col *c, const char *name, aml_error *err)
{
    c->name = amlp_strdup(name);
    int rc = c->name ? amlp_frame_push_col(f, c) : AML_ENOMEM;
    if (rc) {
        amlp_col_clear(c);
        return aml_error_set(err, rc, 0, 0, name, "out of memory");
    }
    return 0;
}

int aml_frame_add_strings(aml_frame *frame, const char *name, aml_type type,
                          const char *const *values, size_t n, size_t *n_invalid,
                          aml_error *err)
{
    int rc = check_new_col(frame, name, n, err);
    if (rc)
        return rc;
    if ((unsigned)type >= AML_TYPE_COUNT_ || (n && !values))
        return aml_error_set(err, AML_EINVAL, 0, 0, name, "bad type or values");
    amlp_col c;
    amlp_col_init(&c, type);
    rc = amlp_col_reserve(&c, n + 1);
    for (size_t i = 0; i < n && !rc; i++) {
        const char *v = values[i];
        size_t len = v ? strlen(v) : 0;
        if (!v || amlp_is_missing_token(v, len))
            rc = amlp_col_push_missing(&c);
        else
            rc = amlp_col_push(&c, v, len);
    }
    if (rc) {
        amlp_col_clear(&c);
        return aml_error_set(err, rc, 0, 0, name, "%s", aml_strerror(rc));
    }
    if (n_invalid)
        *n_invalid = c.n_invalid;
    return finish_col(frame, &c, name, err);
}

int aml_frame_add_numbers(aml_frame *frame, const char *name, const double *values,
                          size_t n, aml_error *err)
{
    int rc = check_new_col(frame, name, n, err);
    if (rc)
        return rc;
    if (n && !values)
        return aml_error_set(err, AML_EINVAL, 0, 0, name, "no values");
    amlp_col c;
    amlp_col_init(&c, AML_TYPE_NUMBER);
    if (amlp_col_reserve(&c, n + 1)) {
        amlp_col_clear(&c);
        return aml_error_set(err, AML_ENOMEM, 0, 0, name, "out of memory");
    }
    double *d = c.data;
    for (size_t i = 0; i < n; i++) {
        if (isnan(values[i])) {
            d[i] = 0;
            c.n_missing++;
        } else {
            d[i] = values[i];
            c.valid[i >> 6] |= (uint64_t)1 << (i & 63);
        }
    }
    c.n = n;
    return finish_col(frame, &c, name, err);
}

static const amlp_col *col_at(const aml_frame *f, size_t col)
{
    return (f && col < f->ncols) ? &f->cols[col] : NULL;
}

const char *aml_frame_col_name(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c ? c->name : NULL;
}

aml_type aml_frame_col_type(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c ? c->type : AML_TYPE_COUNT_;
}

long aml_frame_col_index(const aml_frame *frame, const char *name)
{
    if (!frame || !name)
        return -1;
    for (size_t i = 0; i < frame->ncols; i++)
        if (strcmp(frame->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

size_t aml_frame_col_missing(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c ? c->n_missing : 0;
}

size_t aml_frame_col_invalid(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c ? c->n_invalid : 0;
}

unsigned aml_frame_col_flags(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c ? c->flags : 0;
}

bool aml_frame_col_has_time(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c && c->type == AML_TYPE_DATETIME && c->has_time;
}

aml_cell_state aml_frame_cell_state(const aml_frame *frame, size_t col, size_t row)
{
    const amlp_col *c = col_at(frame, col);
    if (!c || row >= c->n)
        return AML_CELL_MISSING;
    if (amlp_bit(c->valid, row))
        return AML_CELL_VALID;
    return amlp_col_invalid_text(c, row) ? AML_CELL_INVALID : AML_CELL_MISSING;
}

bool aml_frame_is_valid(const aml_frame *frame, size_t col, size_t row)
{
    const amlp_col *c = col_at(frame, col);
    return c && row < c->n && amlp_bit(c->valid, row);
}

double aml_frame_get_number(const aml_frame *frame, size_t col, size_t row)
{
    const amlp_col *c = col_at(frame, col);
    if (!c || row >= c->n || !amlp_bit(c->valid, row))
        return NAN;
    switch (c->type) {
    case AML_TYPE_NUMBER: return ((const double *)c->data)[row];
    case AML_TYPE_INTEGER:
    case AML_TYPE_DATETIME: return (double)((const int64_t *)c->data)[row];
    case AML_TYPE_BOOLEAN: return ((const uint8_t *)c->data)[row];
    case AML_TYPE_CATEGORICAL: return ((const uint32_t *)c->data)[row];
    default: return NAN;
    }
}

const char *aml_frame_get_string(const aml_frame *frame, size_t col, size_t row)
{
    const amlp_col *c = col_at(frame, col);
    if (!c || row >= c->n || !amlp_bit(c->valid, row))
        return NULL;
    if (c->type == AML_TYPE_TEXT)
        return amlp_strpool_get(&c->text, row);
    if (c->type == AML_TYPE_CATEGORICAL)
        return amlp_strpool_get(&c->dict.pool, ((const uint32_t *)c->data)[row]);
    return NULL;
}

const char *aml_frame_get_invalid_text(const aml_frame *frame, size_t col, size_t row)
{
    const amlp_col *c = col_at(frame, col);
    return (c && row < c->n) ? amlp_col_invalid_text(c, row) : NULL;
}

size_t aml_frame_cell_str(const aml_frame *frame, size_t col, size_t row, char *buf, size_t cap)
{
    const amlp_col *c = col_at(frame, col);
    if (!c) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    return amlp_col_cell_str(c, row, buf, cap);
}

static const void *typed(const aml_frame *f, size_t col, aml_type t1, aml_type t2)
{
    const amlp_col *c = col_at(f, col);
    return (c && (c->type == t1 || c->type == t2)) ? c->data : NULL;
}

const double *aml_frame_col_numbers(const aml_frame *frame, size_t col)
{
    return typed(frame, col, AML_TYPE_NUMBER, AML_TYPE_NUMBER);
}
const int64_t *aml_frame_col_integers(const aml_frame *frame, size_t col)
{
    return typed(frame, col, AML_TYPE_INTEGER, AML_TYPE_DATETIME);
}
const uint8_t *aml_frame_col_booleans(const aml_frame *frame, size_t col)
{
    return typed(frame, col, AML_TYPE_BOOLEAN, AML_TYPE_BOOLEAN);
}
const uint32_t *aml_frame_col_codes(const aml_frame *frame, size_t col)
{
    return typed(frame, col, AML_TYPE_CATEGORICAL, AML_TYPE_CATEGORICAL);
}
const uint64_t *aml_frame_col_validity(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return c ? c->valid : NULL;
}

size_t aml_frame_cat_count(const aml_frame *frame, size_t col)
{
    const amlp_col *c = col_at(frame, col);
    return (c && c->type == AML_TYPE_CATEGORICAL) ? amlp_dict_count(&c->dict) : 0;
}

const char *aml_frame_cat_level(const aml_frame *frame, size_t col, size_t code)
{
    const amlp_col *c = col_at(frame, col);
    if (!c || c->type != AML_TYPE_CATEGORICAL || code >= amlp_dict_count(&c->dict))
        return NULL;
    return amlp_strpool_get(&c->dict.pool, code);
}
