/* infer.c — type-inference rules: the guess from a sample, the verdict after
 * all rows were read, categorical-versus-text, and column flags.
 *
 * Rules (documented for users in the report of the import):
 *  - Missing values (empty, NA, N/A, NaN, null, None, ?) never vote.
 *  - boolean: every sampled value is true/false (any case).  yes/no and 0/1
 *    are NOT booleans: yes/no stays a 2-level categorical (the user's labels),
 *    0/1 is integer.
 *  - integer / number: at least 95 % of the sampled values are numbers
 *    (integer if all of those are integers).  The other values are counted
 *    INVALID (happydb's age "prefer not to say").
 *  - datetime: at least 95 % are ISO dates / date-times.
 *  - text: at least half the values contain a space, at least half are
 *    distinct, and the mean length is >= 15 characters; or the mean length is
 *    >= 100.  Everything else is categorical.
 *  - Verification over all rows: an integer column that meets a decimal
 *    becomes number; a numeric/date column whose INVALID values exceed 5 %
 *    becomes categorical (then text if the text rule holds); a boolean column
 *    with any other value becomes categorical.
 *  - Flags: ID (integer/categorical, no missing, a distinct value per row,
 *    >= 2 rows), CONSTANT (<= 1 distinct value), HIGH_CARDINALITY
 *    (categorical with > 1000 levels, or > 20 levels and more than half of
 *    the non-missing values distinct).
 */

#include "aml_data.h"
#include <string.h>

#define NUMERIC_SHARE 0.95

static bool text_rule(size_t nonmiss, size_t distinct, size_t with_space, double total_len)
{
    if (!nonmiss)
        return false;
    double mean = total_len / (double)nonmiss;
    if (mean >= 100)
        return true;
    return with_space * 2 >= nonmiss && distinct * 2 >= nonmiss && mean >= 15;
}

static bool has_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ' ')
            return true;
    return false;
}

/* Count of rows per level of a categorical column. */
static size_t *level_counts(const amlp_col *c)
{
    size_t nl = amlp_dict_count(&c->dict);
    size_t *cnt = amlp_calloc(nl ? nl : 1, sizeof *cnt);
    if (!cnt)
        return NULL;
    const uint32_t *codes = c->data;
    for (size_t i = 0; i < c->n; i++)
        if (amlp_bit(c->valid, i))
            cnt[codes[i]]++;
    return cnt;
}

void amlp_infer_guess(const amlp_col *sample, aml_type *type)
{
    size_t nonmiss = sample->n - sample->n_missing;
    size_t nl = amlp_dict_count(&sample->dict);
    *type = AML_TYPE_CATEGORICAL;
    if (!nonmiss)
        return;
    size_t *cnt = level_counts(sample);
    if (!cnt)
        return;
    size_t n_bool = 0, n_int = 0, n_num = 0, n_date = 0, n_space = 0;
    double total_len = 0;
    for (size_t l = 0; l < nl; l++) {
        const char *s = amlp_strpool_get(&sample->dict.pool, l);
        size_t len = amlp_strpool_len(&sample->dict.pool, l);
        size_t k = cnt[l];
        uint8_t b;
        int64_t iv, secs;
        double d;
        bool t;
        if (amlp_parse_bool_strict(s, len, &b))
            n_bool += k;
        if (amlp_parse_int(s, len, &iv))
            n_int += k;
        else if (amlp_parse_double(s, len, &d))
            n_num += k;
        if (amlp_parse_datetime(s, len, &secs, &t))
            n_date += k;
        if (has_space(s, len))
            n_space += k;
        total_len += (double)len * (double)k;
    }
    amlp_free(cnt);
    double share = NUMERIC_SHARE * (double)nonmiss;
    if (n_bool == nonmiss)
        *type = AML_TYPE_BOOLEAN;
    else if ((double)(n_int + n_num) >= share && n_int + n_num > 0)
        *type = n_num ? AML_TYPE_NUMBER : AML_TYPE_INTEGER;
    else if ((double)n_date >= share && n_date > 0)
        *type = AML_TYPE_DATETIME;
    else if (text_rule(nonmiss, nl, n_space, total_len))
        *type = AML_TYPE_TEXT;
}

aml_type amlp_infer_verify(const amlp_col *c)
{
    size_t nonmiss = c->n - c->n_missing;
    bool too_many = (double)c->n_invalid > (1.0 - NUMERIC_SHARE) * (double)nonmiss;
    switch (c->type) {
    case AML_TYPE_BOOLEAN:
        return c->n_invalid ? AML_TYPE_CATEGORICAL : c->type;
    case AML_TYPE_INTEGER:
        if ((double)(c->n_invalid - c->fail_num) > (1.0 - NUMERIC_SHARE) * (double)nonmiss)
            return AML_TYPE_CATEGORICAL;
        return c->fail_num ? AML_TYPE_NUMBER : c->type;
    case AML_TYPE_NUMBER:
    case AML_TYPE_DATETIME:
        return too_many ? AML_TYPE_CATEGORICAL : c->type;
    default:
        return c->type;
    }
}

bool amlp_infer_is_text(const amlp_col *c)
{
    if (c->type != AML_TYPE_CATEGORICAL)
        return false;
    size_t nonmiss = c->n - c->n_missing - c->n_invalid;
    size_t nl = amlp_dict_count(&c->dict);
    if (!nonmiss || nl * 2 < nonmiss)
        return false;
    size_t *cnt = level_counts(c);
    if (!cnt)
        return false;
    size_t n_space = 0;
    double total = 0;
    for (size_t l = 0; l < nl; l++) {
        size_t len = amlp_strpool_len(&c->dict.pool, l);
        if (has_space(amlp_strpool_get(&c->dict.pool, l), len))
            n_space += cnt[l];
        total += (double)len * (double)cnt[l];
    }
    amlp_free(cnt);
    return text_rule(nonmiss, nl, n_space, total);
}

/* Are the valid int64 values of c all distinct?  Sorted runs are checked
 * first; otherwise an open-addressing set. */
static int ints_distinct(const amlp_col *c, bool *distinct)
{
    const int64_t *v = c->data;
    bool inc = true;
    for (size_t i = 1; i < c->n && inc; i++)
        inc = v[i] > v[i - 1];
    if (inc) {
        *distinct = true;
        return 0;
    }
    size_t ns = 64;
    while (ns < c->n * 2)
        ns *= 2;
    uint64_t *keys = amlp_malloc(ns * sizeof *keys);
    uint8_t *used = amlp_calloc(ns, 1);
    if (!keys || !used) {
        amlp_free(keys);
        amlp_free(used);
        return AML_ENOMEM;
    }
    *distinct = true;
    for (size_t i = 0; i < c->n && *distinct; i++) {
        uint64_t k = (uint64_t)v[i];
        uint64_t h = k * 0x9e3779b97f4a7c15ull;
        size_t s = (size_t)(h >> 20) & (ns - 1);
        while (used[s]) {
            if (keys[s] == k) {
                *distinct = false;
                break;
            }
            s = (s + 1) & (ns - 1);
        }
        used[s] = 1;
        keys[s] = k;
    }
    amlp_free(keys);
    amlp_free(used);
    return 0;
}

int amlp_infer_flags(amlp_col *c)
{
    c->flags &= ~(unsigned)(AML_COL_ID | AML_COL_CONSTANT | AML_COL_HIGH_CARDINALITY);
    size_t nvalid = c->n - c->n_missing - c->n_invalid;
    bool all_valid = nvalid == c->n && c->n >= 2;
    size_t w = amlp_type_width(c->type);
    if (c->type == AML_TYPE_CATEGORICAL) {
        size_t nl = amlp_dict_count(&c->dict);
        if (nl <= 1)
            c->flags |= AML_COL_CONSTANT;
        if (all_valid && nl == c->n)
            c->flags |= AML_COL_ID;
        else if (nl > 1000 || (nl > 20 && nl * 2 > nvalid))
            c->flags |= AML_COL_HIGH_CARDINALITY;
        return 0;
    }
    if (c->type == AML_TYPE_TEXT) {
        /* Constant text: every valid row equal to the first valid one. */
        const char *first = NULL;
        bool same = true;
        for (size_t i = 0; i < c->n && same; i++) {
            if (!amlp_bit(c->valid, i))
                continue;
            const char *s = amlp_strpool_get(&c->text, i);
            if (!first)
                first = s;
            else
                same = strcmp(first, s) == 0;
        }
        if (same)
            c->flags |= AML_COL_CONSTANT;
        return 0;
    }
    /* Fixed-width types: constant if all valid values are bitwise equal. */
    const char *d = c->data;
    const char *first = NULL;
    bool same = true;
    for (size_t i = 0; i < c->n && same; i++) {
        if (!amlp_bit(c->valid, i))
            continue;
        if (!first)
            first = d + i * w;
        else
            same = memcmp(first, d + i * w, w) == 0;
    }
    if (same)
        c->flags |= AML_COL_CONSTANT;
    if (c->type == AML_TYPE_INTEGER && all_valid) {
        bool distinct;
        if (ints_distinct(c, &distinct))
            return AML_ENOMEM;
        if (distinct)
            c->flags |= AML_COL_ID;
    }
    return 0;
}
