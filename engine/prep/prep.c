/* prep.c — fitting the preparation pipeline: the target's task and classes,
 * one step per kept frame column (what it is, what it imputes), the folds of
 * the out-of-fold target encoding, the feature layout and names, scaling;
 * plus the accessors and aml_prep_free. */
#include "prep/prep_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

aml_prep_options aml_prep_options_default(void)
{
    aml_prep_options o;
    memset(&o, 0, sizeof o);
    o.scaling = AML_SCALE_NONE;
    o.missing_indicators = true;
    o.onehot_max = 16;
    o.native_categorical = false;
    o.text_features = 1024;
    o.text_ngram_max = 2;
    o.seed = 0;
    o.threads = 0;
    return o;
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        amlp_free(s[i]);
    amlp_free(s);
}

static void col_free(amlp_prep_col *c)
{
    amlp_free(c->name);
    free_strings(c->levels, c->n_levels);
    amlp_free(c->te);
    amlp_free(c->te_prior);
    amlp_free(c->fold_te);
    amlp_free(c->fold_prior);
    amlp_free(c->idf);
}

void aml_prep_free(aml_prep *p)
{
    if (!p)
        return;
    amlp_free(p->target);
    free_strings(p->classes, p->n_classes);
    for (size_t i = 0; p->cols && i < p->n_cols; i++)
        col_free(&p->cols[i]);
    amlp_free(p->cols);
    for (size_t i = 0; p->drops && i < p->n_drops; i++)
        amlp_free(p->drops[i].name);
    amlp_free(p->drops);
    free_strings(p->feature_names, p->n_features);
    amlp_free(p->feature_source);
    amlp_free(p->center);
    amlp_free(p->scale);
    amlp_free(p->fold);
    amlp_free(p);
}

aml_task aml_prep_task(const aml_prep *p)
{
    return p->task;
}

size_t aml_prep_n_inputs(const aml_prep *p)
{
    return p->n_cols;
}

const char *aml_prep_input_name(const aml_prep *p, size_t i)
{
    return i < p->n_cols ? p->cols[i].name : NULL;
}

size_t aml_prep_input_source(const aml_prep *p, size_t i)
{
    return i < p->n_cols ? p->cols[i].source : SIZE_MAX;
}

size_t aml_prep_memory_unsaved(const aml_prep *p)
{
    return p->fold ? p->fit_nrows * sizeof *p->fold : 0;
}

size_t aml_prep_n_classes(const aml_prep *p)
{
    return p->task == AML_TASK_REGRESSION ? 0 : p->n_classes;
}

const char *aml_prep_class_name(const aml_prep *p, size_t k)
{
    return k < p->n_classes ? p->classes[k] : NULL;
}

size_t aml_prep_n_features(const aml_prep *p)
{
    return p->n_features;
}

const char *aml_prep_feature_name(const aml_prep *p, size_t j)
{
    return j < p->n_features ? p->feature_names[j] : NULL;
}

size_t aml_prep_feature_source(const aml_prep *p, size_t j)
{
    return j < p->n_features ? p->feature_source[j] : (size_t)-1;
}

/* ---- helpers shared with transform ---- */

static uint64_t target_hash(const aml_frame *f, const char *target)
{
    long t = aml_frame_col_index(f, target);
    uint64_t h = 0xcbf29ce484222325ull ^ aml_frame_nrows(f);
    if (t < 0)
        return h;
    size_t n = aml_frame_nrows(f);
    for (size_t r = 0; r < n; r++) {
        double v = aml_frame_get_number(f, (size_t)t, r);
        uint64_t u;
        memcpy(&u, &v, sizeof u);
        h = (h ^ u) * 0x100000001b3ull;
    }
    return h;
}

bool amlp_prep_is_fit_frame(const aml_prep *p, const aml_frame *f)
{
    return p->fold && f == p->fit_frame && aml_frame_nrows(f) == p->fit_nrows &&
           target_hash(f, p->target) == p->fit_hash;
}

int amlp_prep_fold_of(const aml_prep *p, const aml_frame *f, size_t row)
{
    if (!p->fold || f != p->fit_frame || row >= p->fit_nrows)
        return -1;
    return p->fold[row];
}

int amlp_prep_target_values(const aml_prep *p, const aml_frame *f, size_t tcol,
                            const size_t *rows, size_t n, float *y, aml_error *err)
{
    aml_type t = aml_frame_col_type(f, tcol);
    const uint64_t *valid = aml_frame_col_validity(f, tcol);
    if (p->task == AML_TASK_REGRESSION) {
        if (t != AML_TYPE_NUMBER && t != AML_TYPE_INTEGER && t != AML_TYPE_BOOLEAN)
            return aml_error_set(err, AML_EINVAL, 0, 0, p->target,
                                 "target '%s' is %s; the model predicts numbers", p->target,
                                 aml_type_name(t));
        for (size_t i = 0; i < n; i++)
            y[i] = (float)aml_frame_get_number(f, tcol, AMLP_ROW(rows, i));
        return 0;
    }
    if (t == AML_TYPE_CATEGORICAL) {
        amlp_prep_col tmp = {.levels = p->classes, .n_levels = p->n_classes};
        long *map;
        if (amlp_prep_level_map(&tmp, f, tcol, &map))
            return aml_error_set(err, AML_ENOMEM, 0, 0, p->target, "out of memory");
        const uint32_t *code = aml_frame_col_codes(f, tcol);
        for (size_t i = 0; i < n; i++) {
            size_t r = AMLP_ROW(rows, i);
            long k = valid[r / 64] >> (r % 64) & 1 ? map[code[r]] : -1;
            y[i] = k >= 0 ? (float)k : NAN;
        }
        amlp_free(map);
        return 0;
    }
    if (t != AML_TYPE_BOOLEAN && t != AML_TYPE_TEXT)
        return aml_error_set(err, AML_EINVAL, 0, 0, p->target,
                             "target '%s' is %s; the model predicts classes", p->target,
                             aml_type_name(t));
    const uint8_t *b = aml_frame_col_booleans(f, tcol);
    for (size_t i = 0; i < n; i++) {
        size_t r = AMLP_ROW(rows, i);
        long k = -1;
        if (valid[r / 64] >> (r % 64) & 1)
            k = amlp_prep_level_find(p->classes, p->n_classes,
                                     b ? (b[r] ? "true" : "false") : aml_frame_get_string(f, tcol, r));
        y[i] = k >= 0 ? (float)k : NAN;
    }
    return 0;
}

/* ---- layout ---- */

static char *fmt_name(const char *a, const char *sep, const char *b, const char *end)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + strlen(end) + 1;
    char *s = amlp_malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s", a, sep, b, end);
    return s;
}

static const char *const date_part_names[] = {"year", "month", "day of week", "day", "hour"};

/* Name of feature k (0-based) of step c. */
static char *step_feature_name(const aml_prep *p, const amlp_prep_col *c, size_t k)
{
    char num[32];
    if (c->indicator && k == c->width - 1)
        return fmt_name(c->name, "", "", " (missing)");
    switch (c->kind) {
    case AMLP_PK_NUMBER:
    case AMLP_PK_BOOLEAN:
    case AMLP_PK_CODES:
        return amlp_strdup(c->name);
    case AMLP_PK_ONEHOT:
        return fmt_name(c->name, "=", c->levels[k], "");
    case AMLP_PK_TARGET:
        if (c->n_te == 1)
            return fmt_name(c->name, "", "", " (target-encoded)");
        return fmt_name(c->name, " (target-encoded: ", p->classes[k], ")");
    case AMLP_PK_DATETIME: {
        size_t parts = c->has_time ? 5 : 4;
        if (k == parts)
            return amlp_strdup(c->name);
        size_t which = k < 4 ? k : 4;
        return fmt_name(c->name, " (", date_part_names[which], ")");
    }
    case AMLP_PK_TEXT:
        snprintf(num, sizeof num, "%zu", k);
        return fmt_name(c->name, " (text ", num, ")");
    }
    return NULL;
}

int amlp_prep_layout(aml_prep *p)
{
    size_t nf = 0;
    for (size_t i = 0; i < p->n_cols; i++) {
        p->cols[i].first = nf;
        nf += p->cols[i].width;
    }
    p->feature_names = amlp_calloc(nf + 1, sizeof *p->feature_names);
    p->feature_source = amlp_malloc((nf + 1) * sizeof *p->feature_source);
    p->center = amlp_calloc(nf + 1, sizeof *p->center);
    p->scale = amlp_malloc((nf + 1) * sizeof *p->scale);
    if (!p->feature_names || !p->feature_source || !p->center || !p->scale)
        return AML_ENOMEM;
    p->n_features = nf;
    p->sparse = false;
    for (size_t i = 0; i < p->n_cols; i++) {
        const amlp_prep_col *c = &p->cols[i];
        p->sparse |= c->kind == AMLP_PK_TEXT;
        for (size_t k = 0; k < c->width; k++) {
            size_t j = c->first + k;
            p->feature_source[j] = c->source;
            p->scale[j] = 1.0;
            p->feature_names[j] = step_feature_name(p, c, k);
            if (!p->feature_names[j])
                return AML_ENOMEM;
        }
    }
    return 0;
}

/* ---- fitting ---- */

static int add_drop(aml_prep *p, const char *name, amlp_prep_reason why)
{
    char *s = amlp_strdup(name);
    if (!s)
        return AML_ENOMEM;
    p->drops[p->n_drops].name = s;
    p->drops[p->n_drops++].reason = why;
    return 0;
}

static bool excluded(const aml_prep_options *o, const char *name)
{
    for (size_t i = 0; o->exclude && i < o->n_exclude; i++)
        if (o->exclude[i] && strcmp(o->exclude[i], name) == 0)
            return true;
    return false;
}

static size_t count_missing(const aml_frame *f, size_t col, const size_t *rows, size_t n)
{
    const uint64_t *valid = aml_frame_col_validity(f, col);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = AMLP_ROW(rows, i);
        m += !(valid[r / 64] >> (r % 64) & 1);
    }
    return m;
}

/* Task and classes from the target's fit rows; y gets their values. */
static int fit_target(aml_prep *p, const aml_frame *f, size_t tcol, const size_t *rows,
                      size_t n, float *y, aml_error *err)
{
    aml_type t = aml_frame_col_type(f, tcol);
    p->target_type = t;
    if (t == AML_TYPE_NUMBER || t == AML_TYPE_INTEGER) {
        p->task = AML_TASK_REGRESSION;
    } else if (t == AML_TYPE_CATEGORICAL) {
        amlp_prep_col tmp = {0};
        if (amlp_prep_fit_levels(&tmp, f, tcol, rows, n)) {
            col_free(&tmp);
            return aml_error_set(err, AML_ENOMEM, 0, 0, p->target, "out of memory");
        }
        p->classes = tmp.levels;
        p->n_classes = tmp.n_levels;
    } else if (t == AML_TYPE_BOOLEAN) {
        const uint8_t *b = aml_frame_col_booleans(f, tcol);
        const uint64_t *valid = aml_frame_col_validity(f, tcol);
        bool seen[2] = {false, false};
        for (size_t i = 0; i < n; i++) {
            size_t r = AMLP_ROW(rows, i);
            if (valid[r / 64] >> (r % 64) & 1)
                seen[b[r] != 0] = true;
        }
        p->classes = amlp_calloc(2, sizeof *p->classes);
        if (!p->classes)
            return aml_error_set(err, AML_ENOMEM, 0, 0, p->target, "out of memory");
        for (int v = 0; v < 2; v++)
            if (seen[v]) {
                p->classes[p->n_classes] = amlp_strdup(v ? "true" : "false");
                if (!p->classes[p->n_classes])
                    return aml_error_set(err, AML_ENOMEM, 0, 0, p->target, "out of memory");
                p->n_classes++;
            }
    } else {
        return aml_error_set(err, AML_EINVAL, 0, 0, p->target,
                             "target '%s' is %s: it must be categorical, boolean or numeric",
                             p->target, aml_type_name(t));
    }
    p->n_target_missing = count_missing(f, tcol, rows, n);
    if (p->n_target_missing == n)
        return aml_error_set(err, AML_EEMPTY, 0, 0, p->target,
                             "target '%s' has no values in the training rows", p->target);
    if (p->task != AML_TASK_REGRESSION) {
        if (p->n_classes == 1)
            return aml_error_set(err, AML_EINVAL, 0, 0, p->target,
                                 "target '%s' has one class ('%s') in the training rows: "
                                 "classification needs at least two", p->target, p->classes[0]);
        p->task = p->n_classes == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS;
    }
    return amlp_prep_target_values(p, f, tcol, rows, n, y, err);
}

/* Valid values of a numeric or datetime column over the fit rows.
 * OUT: *nv. */
static void valid_values(const aml_frame *f, size_t col, const size_t *rows, size_t n,
                         double *v, size_t *nv)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double x = aml_frame_get_number(f, col, AMLP_ROW(rows, i));
        if (!isnan(x))
            v[k++] = x;
    }
    *nv = k;
}

static bool all_equal(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[0])
            return false;
    return true;
}

/* Decides the step of frame column `col` (or a drop); fits imputation and
 * levels.  *keep tells whether a step was made.  `buf` has n doubles. */
static int fit_step(aml_prep *p, const aml_frame *f, size_t col, const size_t *rows, size_t n,
                    double *buf, amlp_prep_col *c, bool *keep)
{
    const char *name = aml_frame_col_name(f, col);
    aml_type t = aml_frame_col_type(f, col);
    *keep = false;
    memset(c, 0, sizeof *c);
    if (aml_frame_col_flags(f, col) & AML_COL_ID)
        return add_drop(p, name, AMLP_DROP_ID);
    if (t == AML_TYPE_TEXT && p->text_features == 0)
        return add_drop(p, name, AMLP_DROP_TEXT_OFF);
    size_t miss = count_missing(f, col, rows, n);
    if (miss == n)
        return add_drop(p, name, AMLP_DROP_ALL_MISSING);
    c->source = col;
    c->n_missing = miss;
    switch (t) {
    case AML_TYPE_NUMBER:
    case AML_TYPE_INTEGER:
    case AML_TYPE_BOOLEAN:
    case AML_TYPE_DATETIME: {
        size_t nv;
        valid_values(f, col, rows, n, buf, &nv);
        if (miss == 0 && all_equal(buf, nv))
            return add_drop(p, name, AMLP_DROP_CONSTANT);
        if (t == AML_TYPE_BOOLEAN) {
            size_t ones = 0;
            for (size_t i = 0; i < nv; i++)
                ones += buf[i] != 0;
            c->kind = AMLP_PK_BOOLEAN;
            c->fill = ones * 2 > nv ? 1.0 : 0.0;
            c->width = 1;
        } else if (t == AML_TYPE_DATETIME) {
            c->kind = AMLP_PK_DATETIME;
            for (size_t i = 0; i < nv && !c->has_time; i++)
                c->has_time = fmod(buf[i], 86400.0) != 0;
            c->fill = floor(amlp_quantile(buf, nv, 0.5));
            c->width = c->has_time ? 6 : 5;
        } else {
            c->kind = AMLP_PK_NUMBER;
            c->fill = amlp_quantile(buf, nv, 0.5);
            c->width = 1;
        }
        break;
    }
    case AML_TYPE_CATEGORICAL:
        if (amlp_prep_fit_levels(c, f, col, rows, n))
            return AML_ENOMEM;
        if (c->n_levels <= 1 && miss == 0) {
            col_free(c);
            memset(c, 0, sizeof *c);
            return add_drop(p, name, AMLP_DROP_CONSTANT);
        }
        if (p->native_categorical) {
            c->kind = AMLP_PK_CODES;
            c->width = 1;
        } else if (c->n_levels <= p->onehot_max) {
            c->kind = AMLP_PK_ONEHOT;
            c->width = c->n_levels;
        } else {
            c->kind = AMLP_PK_TARGET;
            c->n_te = p->task == AML_TASK_MULTICLASS ? p->n_classes : 1;
            c->width = c->n_te;
        }
        break;
    case AML_TYPE_TEXT:
        c->kind = AMLP_PK_TEXT;
        c->dims = p->text_features;
        c->width = c->dims;
        break;
    default:
        return 0;
    }
    c->indicator = p->missing_indicators && miss > 0 && c->kind != AMLP_PK_TEXT;
    c->width += c->indicator;
    c->name = amlp_strdup(name);
    if (!c->name)
        return AML_ENOMEM;
    *keep = true;
    return 0;
}

/* Seeded assignment of the fit rows to folds: a shuffle, then round robin. */
static int make_folds(aml_prep *p, const aml_frame *f, const size_t *rows, size_t n)
{
    p->fit_nrows = aml_frame_nrows(f);
    p->fold = amlp_malloc(p->fit_nrows + 1);
    size_t *perm = amlp_malloc((n + 1) * sizeof *perm);
    if (!p->fold || !perm) {
        amlp_free(perm);
        return AML_ENOMEM;
    }
    memset(p->fold, -1, p->fit_nrows);
    p->n_folds = n < AMLP_PREP_FOLDS ? n : AMLP_PREP_FOLDS;
    uint64_t st = p->seed ^ 0x5eed7a96e7e7c0deull;
    for (size_t i = 0; i < n; i++)
        perm[i] = AMLP_ROW(rows, i);
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(amlp_prep_rand(&st) % i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        p->fold[perm[i]] = (signed char)(i % p->n_folds);
    amlp_free(perm);
    p->fit_frame = f;
    p->fit_hash = target_hash(f, p->target);
    return 0;
}

/* Center and scale of the scaled features (numbers, date parts, target
 * encodings; not 0/1 columns, codes or text) from their fit-row values. */
static int fit_scaling(aml_prep *p, const aml_frame *f, const size_t *rows, size_t n,
                       aml_error *err)
{
    size_t wmax = 1;
    for (size_t i = 0; i < p->n_cols; i++)
        if (p->cols[i].kind != AMLP_PK_TEXT && p->cols[i].width > wmax)
            wmax = p->cols[i].width;
    double *buf = amlp_malloc(n * wmax * sizeof *buf);
    double *colv = amlp_malloc(n * sizeof *colv);
    int rc = buf && colv ? 0 : aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    bool oof = amlp_prep_is_fit_frame(p, f);
    for (size_t i = 0; rc == 0 && i < p->n_cols; i++) {
        const amlp_prep_col *c = &p->cols[i];
        if (c->kind != AMLP_PK_NUMBER && c->kind != AMLP_PK_DATETIME && c->kind != AMLP_PK_TARGET)
            continue;
        rc = amlp_prep_emit(p, c, f, c->source, rows, n, oof, buf, err);
        size_t nvals = c->width - c->indicator;
        for (size_t k = 0; rc == 0 && k < nvals; k++) {
            double sum = 0, ss = 0;
            for (size_t r = 0; r < n; r++) {
                colv[r] = buf[r * c->width + k];
                sum += colv[r];
            }
            double mean = sum / (double)n;
            for (size_t r = 0; r < n; r++)
                ss += (colv[r] - mean) * (colv[r] - mean);
            double sd = sqrt(ss / (double)n), center = mean, scale = sd;
            if (p->scaling == AML_SCALE_ROBUST) {
                center = amlp_quantile(colv, n, 0.5);
                scale = amlp_quantile(colv, n, 0.75) - amlp_quantile(colv, n, 0.25);
                if (!(scale > 0))
                    scale = sd;
            }
            if (!(scale > 0) || !isfinite(scale))
                scale = 1.0;
            p->center[c->first + k] = center;
            p->scale[c->first + k] = scale;
            p->n_scaled++;
        }
    }
    amlp_free(buf);
    amlp_free(colv);
    return rc;
}

static int oom(aml_error *err)
{
    return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
}

int aml_prep_fit(const aml_frame *frame, const size_t *rows, size_t n_rows,
                 const aml_prep_options *opts, aml_prep **out, aml_error *err)
{
    *out = NULL;
    aml_prep_options def = aml_prep_options_default();
    const aml_prep_options *o = opts ? opts : &def;
    if (!o->target)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no target column given");
    long tcol = aml_frame_col_index(frame, o->target);
    if (tcol < 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, o->target, "no column '%s' for the target",
                             o->target);
    if (o->text_features > 0 && o->text_ngram_max < 1)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "text_ngram_max must be at least 1");
    if (o->text_features > UINT32_MAX)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "text_features is too large");
    for (size_t i = 0; o->exclude && i < o->n_exclude; i++)
        if (!o->exclude[i] || aml_frame_col_index(frame, o->exclude[i]) < 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, o->exclude[i] ? o->exclude[i] : "",
                                 "no column '%s' to leave out",
                                 o->exclude[i] ? o->exclude[i] : "(null)");
    size_t nrows = aml_frame_nrows(frame), n = rows ? n_rows : nrows;
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= nrows)
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "row %zu is outside the frame "
                                 "(%zu rows)", rows[i], nrows);
    if (n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "", "no training rows");

    aml_prep *p = amlp_calloc(1, sizeof *p);
    if (!p)
        return oom(err);
    p->scaling = o->scaling;
    p->missing_indicators = o->missing_indicators;
    p->native_categorical = o->native_categorical;
    p->onehot_max = o->onehot_max;
    p->text_features = o->text_features;
    p->text_ngram_max = o->text_ngram_max;
    p->seed = o->seed;
    p->n_fit_rows = n;
    size_t ncols = aml_frame_ncols(frame);
    p->target = amlp_strdup(o->target);
    p->cols = amlp_calloc(ncols, sizeof *p->cols);
    p->drops = amlp_calloc(ncols, sizeof *p->drops);
    float *y = amlp_malloc(n * sizeof *y);
    double *buf = amlp_malloc(n * sizeof *buf);
    int rc = p->target && p->cols && p->drops && y && buf ? 0 : oom(err);
    if (rc == 0)
        rc = fit_target(p, frame, (size_t)tcol, rows, n, y, err);
    bool any_te = false;
    for (size_t col = 0; rc == 0 && col < ncols; col++) {
        if (col == (size_t)tcol)
            continue;
        if (excluded(o, aml_frame_col_name(frame, col))) {
            rc = add_drop(p, aml_frame_col_name(frame, col), AMLP_DROP_EXCLUDED);
            continue;
        }
        bool keep;
        rc = fit_step(p, frame, col, rows, n, buf, &p->cols[p->n_cols], &keep);
        if (keep) {
            any_te |= p->cols[p->n_cols].kind == AMLP_PK_TARGET;
            p->n_cols++;
        } else if (rc) {
            col_free(&p->cols[p->n_cols]);
            memset(&p->cols[p->n_cols], 0, sizeof p->cols[p->n_cols]);
        }
    }
    if (rc == 0 && any_te && n >= 2)
        rc = make_folds(p, frame, rows, n);
    for (size_t i = 0; rc == 0 && i < p->n_cols; i++) {
        amlp_prep_col *c = &p->cols[i];
        if (c->kind == AMLP_PK_TARGET)
            rc = amlp_prep_fit_target_encoding(p, c, frame, c->source, rows, n, y);
        else if (c->kind == AMLP_PK_TEXT)
            rc = amlp_prep_text_fit(p, c, frame, c->source, rows, n);
    }
    if (rc == 0)
        rc = amlp_prep_layout(p);
    if (rc == 0 && p->scaling != AML_SCALE_NONE)
        rc = fit_scaling(p, frame, rows, n, err);
    amlp_free(y);
    amlp_free(buf);
    if (rc) {
        aml_prep_free(p);
        if (rc == AML_ENOMEM && (!err || err->code != AML_ENOMEM))
            oom(err);
        return rc;
    }
    *out = p;
    return 0;
}
