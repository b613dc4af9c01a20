/* frame_col.c — one column: storage, the append-a-value builder used by the
 * CSV reader and aml_frame_add_strings, row-range copies and cell text. */

#include "aml_data.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

size_t amlp_type_width(aml_type t)
{
    switch (t) {
    case AML_TYPE_NUMBER: return sizeof(double);
    case AML_TYPE_INTEGER:
    case AML_TYPE_DATETIME: return sizeof(int64_t);
    case AML_TYPE_BOOLEAN: return 1;
    case AML_TYPE_CATEGORICAL: return sizeof(uint32_t);
    default: return 0;
    }
}

void amlp_col_init(amlp_col *c, aml_type type)
{
    memset(c, 0, sizeof *c);
    c->type = type;
    c->first_fail_row = SIZE_MAX;
}

void amlp_col_clear(amlp_col *c)
{
    amlp_free(c->name);
    amlp_free(c->valid);
    amlp_free(c->data);
    amlp_strpool_free(&c->text);
    amlp_dict_free(&c->dict);
    amlp_free(c->inv_rows);
    amlp_strpool_free(&c->inv_text);
    amlp_col_init(c, c->type);
}

int amlp_col_reserve(amlp_col *c, size_t rows)
{
    if (rows <= c->cap)
        return 0;
    size_t nc = c->cap ? c->cap : 64;
    while (nc < rows)
        nc = nc + nc / 2;
    nc = (nc + 63) & ~(size_t)63;
    size_t w = amlp_type_width(c->type);
    if (w) {
        void *nd = amlp_mem_grow(c->data, c->n * w, nc * w);
        if (!nd)
            return AML_ENOMEM;
        c->data = nd;
    }
    uint64_t *nv = amlp_realloc(c->valid, nc / 64 * sizeof *nv);
    if (!nv)
        return AML_ENOMEM;
    memset(nv + c->cap / 64, 0, (nc - c->cap) / 64 * sizeof *nv);
    c->valid = nv;
    c->cap = nc;
    return 0;
}

static int push_slot(amlp_col *c)
{
    if (c->n == c->cap && amlp_col_reserve(c, c->n + 1))
        return AML_ENOMEM;
    return 0;
}

static void zero_value(amlp_col *c)
{
    size_t w = amlp_type_width(c->type);
    if (w)
        memset((char *)c->data + c->n * w, 0, w);
}

int amlp_col_push_missing(amlp_col *c)
{
    if (push_slot(c))
        return AML_ENOMEM;
    if (c->type == AML_TYPE_TEXT && amlp_strpool_push(&c->text, "", 0))
        return AML_ENOMEM;
    zero_value(c);
    c->n_missing++;
    c->n++;
    return 0;
}

static int push_invalid(amlp_col *c, const char *s, size_t len)
{
    if (c->n_invalid == c->inv_cap) {
        size_t nc = c->inv_cap ? c->inv_cap * 2 : 16;
        size_t *nr = amlp_realloc(c->inv_rows, nc * sizeof *nr);
        if (!nr)
            return AML_ENOMEM;
        c->inv_rows = nr;
        c->inv_cap = nc;
    }
    if (amlp_strpool_push(&c->inv_text, s, len))
        return AML_ENOMEM;
    double d;
    if ((c->type == AML_TYPE_INTEGER || c->type == AML_TYPE_BOOLEAN) && amlp_parse_double(s, len, &d))
        c->fail_num++;
    if (c->first_fail_row == SIZE_MAX)
        c->first_fail_row = c->n;
    c->inv_rows[c->n_invalid++] = c->n;
    zero_value(c);
    c->n++;
    return 0;
}

int amlp_col_push(amlp_col *c, const char *s, size_t len)
{
    if (push_slot(c))
        return AML_ENOMEM;
    size_t i = c->n;
    bool ok = true;
    switch (c->type) {
    case AML_TYPE_NUMBER:
        ok = amlp_parse_double(s, len, (double *)c->data + i);
        break;
    case AML_TYPE_INTEGER:
        ok = amlp_parse_int(s, len, (int64_t *)c->data + i);
        break;
    case AML_TYPE_BOOLEAN:
        ok = amlp_parse_bool(s, len, (uint8_t *)c->data + i);
        break;
    case AML_TYPE_DATETIME: {
        bool t = false;
        ok = amlp_parse_datetime(s, len, (int64_t *)c->data + i, &t);
        c->has_time |= ok && t;
        break;
    }
    case AML_TYPE_CATEGORICAL: {
        int rc = amlp_dict_intern(&c->dict, s, len, (uint32_t *)c->data + i);
        if (rc)
            return rc;
        break;
    }
    case AML_TYPE_TEXT:
        if (amlp_strpool_push(&c->text, s, len))
            return AML_ENOMEM;
        break;
    default:
        return AML_EINVAL;
    }
    if (!ok)
        return push_invalid(c, s, len);
    c->valid[i >> 6] |= (uint64_t)1 << (i & 63);
    c->n++;
    return 0;
}

/* One level of a categorical column parsed as `type`. */
typedef struct level_value {
    unsigned char v[8];
    bool ok, has_time;
} level_value;

static bool parse_as(aml_type type, const char *s, size_t len, level_value *lv)
{
    lv->has_time = false;
    switch (type) {
    case AML_TYPE_NUMBER: {
        double d;
        if (!amlp_parse_double(s, len, &d))
            return false;
        memcpy(lv->v, &d, sizeof d);
        return true;
    }
    case AML_TYPE_INTEGER:
    case AML_TYPE_DATETIME: {
        int64_t x;
        if (type == AML_TYPE_INTEGER ? !amlp_parse_int(s, len, &x)
                                     : !amlp_parse_datetime(s, len, &x, &lv->has_time))
            return false;
        memcpy(lv->v, &x, sizeof x);
        return true;
    }
    case AML_TYPE_BOOLEAN:
        return amlp_parse_bool(s, len, lv->v);
    default:
        return false;
    }
}

int amlp_col_push_codes(amlp_col *dst, const amlp_col *src, size_t *first_invalid)
{
    *first_invalid = SIZE_MAX;
    if (dst->type == AML_TYPE_CATEGORICAL)
        return amlp_col_append(dst, src, 0, src->n);
    if (amlp_col_reserve(dst, dst->n + src->n))
        return AML_ENOMEM;
    const amlp_strpool *lv_text = &src->dict.pool;
    const uint32_t *codes = src->data;
    if (dst->type == AML_TYPE_TEXT) {
        for (size_t r = 0; r < src->n; r++) {
            int rc = amlp_bit(src->valid, r)
                         ? amlp_col_push(dst, amlp_strpool_get(lv_text, codes[r]),
                                         amlp_strpool_len(lv_text, codes[r]))
                         : amlp_col_push_missing(dst);
            if (rc)
                return rc;
        }
        return 0;
    }
    size_t w = amlp_type_width(dst->type), nl = amlp_dict_count(&src->dict);
    if (!w)
        return AML_EINVAL;
    level_value *lv = amlp_malloc((nl ? nl : 1) * sizeof *lv);
    if (!lv)
        return AML_ENOMEM;
    for (size_t l = 0; l < nl; l++)
        lv[l].ok = parse_as(dst->type, amlp_strpool_get(lv_text, l), amlp_strpool_len(lv_text, l),
                            &lv[l]);
    int rc = 0;
    for (size_t r = 0; r < src->n && !rc; r++) {
        size_t i = dst->n;
        if (!amlp_bit(src->valid, r)) {
            rc = amlp_col_push_missing(dst);
        } else if (lv[codes[r]].ok) {
            memcpy((char *)dst->data + i * w, lv[codes[r]].v, w);
            dst->has_time |= lv[codes[r]].has_time;
            dst->valid[i >> 6] |= (uint64_t)1 << (i & 63);
            dst->n++;
        } else {
            if (*first_invalid == SIZE_MAX)
                *first_invalid = i;
            rc = push_invalid(dst, amlp_strpool_get(lv_text, codes[r]),
                              amlp_strpool_len(lv_text, codes[r]));
        }
    }
    amlp_free(lv);
    return rc;
}

/* dst bits [doff, doff+n) |= src bits [soff, soff+n); dst bits there are 0. */
static void bits_or(uint64_t *dst, size_t doff, const uint64_t *src, size_t soff, size_t n)
{
    if ((doff & 63) == 0 && (soff & 63) == 0) {
        size_t words = n / 64;
        memcpy(dst + doff / 64, src + soff / 64, words * sizeof *dst);
        for (size_t i = words * 64; i < n; i++)
            if (amlp_bit(src, soff + i))
                dst[(doff + i) >> 6] |= (uint64_t)1 << ((doff + i) & 63);
        return;
    }
    if ((soff & 63) == 0) {
        unsigned sh = doff & 63;
        size_t i = 0;
        for (; i + 64 <= n; i += 64) {
            uint64_t w = src[(soff + i) >> 6];
            size_t d = (doff + i) >> 6;
            dst[d] |= w << sh;
            dst[d + 1] |= w >> (64 - sh);
        }
        for (; i < n; i++)
            if (amlp_bit(src, soff + i))
                dst[(doff + i) >> 6] |= (uint64_t)1 << ((doff + i) & 63);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (amlp_bit(src, soff + i))
            dst[(doff + i) >> 6] |= (uint64_t)1 << ((doff + i) & 63);
}

int amlp_col_append(amlp_col *dst, const amlp_col *src, size_t row0, size_t n)
{
    if (amlp_col_reserve(dst, dst->n + n + 64))
        return AML_ENOMEM;
    size_t base = dst->n;
    size_t w = amlp_type_width(src->type);
    if (src->type == AML_TYPE_CATEGORICAL) {
        size_t nl = amlp_dict_count(&src->dict);
        uint32_t *map = amlp_malloc((nl ? nl : 1) * sizeof *map);
        if (!map)
            return AML_ENOMEM;
        for (size_t l = 0; l < nl; l++) {
            int rc = amlp_dict_intern(&dst->dict, amlp_strpool_get(&src->dict.pool, l),
                                      amlp_strpool_len(&src->dict.pool, l), &map[l]);
            if (rc) {
                amlp_free(map);
                return rc;
            }
        }
        const uint32_t *sc = (const uint32_t *)src->data + row0;
        uint32_t *dc = (uint32_t *)dst->data + base;
        for (size_t i = 0; i < n; i++)
            dc[i] = amlp_bit(src->valid, row0 + i) ? map[sc[i]] : 0;
        amlp_free(map);
    } else if (src->type == AML_TYPE_TEXT && row0 == 0 && n == src->n) {
        if (amlp_strpool_append(&dst->text, &src->text))
            return AML_ENOMEM;
    } else if (src->type == AML_TYPE_TEXT) {
        for (size_t i = 0; i < n; i++)
            if (amlp_strpool_push(&dst->text, amlp_strpool_get(&src->text, row0 + i),
                                  amlp_strpool_len(&src->text, row0 + i)))
                return AML_ENOMEM;
    } else if (w) {
        memcpy((char *)dst->data + base * w, (const char *)src->data + row0 * w, n * w);
    }
    bits_or(dst->valid, base, src->valid, row0, n);
    for (size_t k = 0; k < src->n_invalid; k++) {
        size_t r = src->inv_rows[k];
        if (r < row0 || r >= row0 + n)
            continue;
        if (dst->n_invalid == dst->inv_cap) {
            size_t nc = dst->inv_cap ? dst->inv_cap * 2 : 16;
            size_t *nr = amlp_realloc(dst->inv_rows, nc * sizeof *nr);
            if (!nr)
                return AML_ENOMEM;
            dst->inv_rows = nr;
            dst->inv_cap = nc;
        }
        if (amlp_strpool_push(&dst->inv_text, amlp_strpool_get(&src->inv_text, k),
                              amlp_strpool_len(&src->inv_text, k)))
            return AML_ENOMEM;
        if (dst->first_fail_row == SIZE_MAX)
            dst->first_fail_row = base + r - row0;
        dst->inv_rows[dst->n_invalid++] = base + r - row0;
    }
    if (row0 == 0 && n == src->n) {
        dst->n_missing += src->n_missing;
        dst->fail_num += src->fail_num;
    } else {
        for (size_t i = 0; i < n; i++)
            if (!amlp_bit(src->valid, row0 + i) && !amlp_col_invalid_text(src, row0 + i))
                dst->n_missing++;
    }
    dst->has_time |= src->has_time;
    dst->n += n;
    return 0;
}

void amlp_col_shrink(amlp_col *c)
{
    size_t nc = (c->n + 63) & ~(size_t)63;
    if (!nc)
        nc = 64;
    if (nc >= c->cap)
        return;
    size_t w = amlp_type_width(c->type);
    if (w) {
        void *nd = amlp_realloc(c->data, nc * w);
        if (nd)
            c->data = nd;
        else
            return;
    }
    uint64_t *nv = amlp_realloc(c->valid, nc / 64 * sizeof *nv);
    if (nv)
        c->valid = nv;
    else
        return;
    c->cap = nc;
}

const char *amlp_col_invalid_text(const amlp_col *c, size_t row)
{
    size_t lo = 0, hi = c->n_invalid;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->inv_rows[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->n_invalid && c->inv_rows[lo] == row)
        return amlp_strpool_get(&c->inv_text, lo);
    return NULL;
}

static size_t copy_str(const char *s, char *buf, size_t cap)
{
    size_t n = strlen(s);
    if (cap) {
        size_t k = n < cap - 1 ? n : cap - 1;
        memcpy(buf, s, k);
        buf[k] = '\0';
    }
    return n;
}

size_t amlp_col_cell_str(const amlp_col *c, size_t row, char *buf, size_t cap)
{
    if (row >= c->n)
        return copy_str("", buf, cap);
    if (!amlp_bit(c->valid, row)) {
        const char *t = amlp_col_invalid_text(c, row);
        return copy_str(t ? t : "", buf, cap);
    }
    char tmp[48];
    switch (c->type) {
    case AML_TYPE_NUMBER:
        return amlp_format_number(((const double *)c->data)[row], buf, cap);
    case AML_TYPE_INTEGER:
        snprintf(tmp, sizeof tmp, "%" PRId64, ((const int64_t *)c->data)[row]);
        return copy_str(tmp, buf, cap);
    case AML_TYPE_BOOLEAN:
        return copy_str(((const uint8_t *)c->data)[row] ? "true" : "false", buf, cap);
    case AML_TYPE_DATETIME:
        amlp_format_datetime(((const int64_t *)c->data)[row], c->has_time, tmp, sizeof tmp);
        return copy_str(tmp, buf, cap);
    case AML_TYPE_CATEGORICAL:
        return copy_str(amlp_strpool_get(&c->dict.pool, ((const uint32_t *)c->data)[row]), buf, cap);
    case AML_TYPE_TEXT:
        return copy_str(amlp_strpool_get(&c->text, row), buf, cap);
    default:
        return copy_str("", buf, cap);
    }
}
