/* prep_describe.c — the fitted preparation pipeline in plain sentences, one
 * per step kind ("Filled 2 missing values of 'age' with the median (39).
 * One-hot encoded 'job' (12 values). Left out 'hmid' (an ID)."). */
#include "prep/prep_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct text {
    amlp_bytes b;
    int rc;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    if (t->rc)
        return;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        t->rc = amlp_bytes_put(&t->b, small, (size_t)n);
        return;
    }
    char *big = amlp_malloc((size_t)n + 1);
    if (!big) {
        t->rc = AML_ENOMEM;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->rc = amlp_bytes_put(&t->b, big, (size_t)n);
    amlp_free(big);
}

/* Separator before item i of n: "", ", " or " and ". */
static const char *sep(size_t i, size_t n)
{
    return i == 0 ? "" : i + 1 == n ? " and " : ", ";
}

static size_t count_kind(const aml_prep *p, amlp_prep_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_cols; i++)
        n += p->cols[i].kind == k;
    return n;
}

/* "'a', 'b' and 'c'" for the steps of kind k, with a per-kind suffix. */
static void list_kind(text *t, const aml_prep *p, amlp_prep_kind k)
{
    size_t n = count_kind(p, k), j = 0;
    for (size_t i = 0; i < p->n_cols; i++) {
        const amlp_prep_col *c = &p->cols[i];
        if (c->kind != k)
            continue;
        put(t, "%s'%s'", sep(j++, n), c->name);
        if (k == AMLP_PK_ONEHOT || k == AMLP_PK_TARGET || k == AMLP_PK_CODES)
            put(t, " (%zu values)", c->n_levels);
    }
}

static void describe_target(text *t, const aml_prep *p)
{
    if (p->task == AML_TASK_REGRESSION) {
        put(t, "Target '%s': regression.", p->target);
    } else {
        put(t, "Target '%s': %s classification (classes ", p->target,
            aml_task_name(p->task));
        for (size_t k = 0; k < p->n_classes; k++)
            put(t, "%s%s", sep(k, p->n_classes), p->classes[k]);
        put(t, ", in this order).");
    }
    if (p->n_target_missing)
        put(t, " %zu training row%s without a target value %s not used for fitting.",
            p->n_target_missing, p->n_target_missing == 1 ? "" : "s",
            p->n_target_missing == 1 ? "is" : "are");
}

static void describe_fill(text *t, const aml_prep *p)
{
    for (size_t i = 0; i < p->n_cols; i++) {
        const amlp_prep_col *c = &p->cols[i];
        if (!c->n_missing || c->kind == AMLP_PK_TEXT)
            continue;
        put(t, " Filled %zu missing value%s of '%s' with ", c->n_missing,
            c->n_missing == 1 ? "" : "s", c->name);
        switch (c->kind) {
        case AMLP_PK_NUMBER:
            put(t, "the median (%.6g).", c->fill);
            break;
        case AMLP_PK_BOOLEAN:
            put(t, "the most frequent value (%s).", c->fill != 0 ? "true" : "false");
            break;
        case AMLP_PK_DATETIME: {
            char buf[48];
            amlp_format_datetime((int64_t)c->fill, c->has_time, buf, sizeof buf);
            put(t, "the median date (%s).", buf);
            break;
        }
        default:
            put(t, "the most frequent value ('%s').", c->levels[(size_t)c->fill]);
            break;
        }
    }
    size_t n = 0, j = 0;
    for (size_t i = 0; i < p->n_cols; i++)
        n += p->cols[i].indicator;
    if (n) {
        put(t, " Added a missing-value indicator for ");
        for (size_t i = 0; i < p->n_cols; i++)
            if (p->cols[i].indicator)
                put(t, "%s'%s'", sep(j++, n), p->cols[i].name);
        put(t, ".");
    }
}

static void describe_encodings(text *t, const aml_prep *p)
{
    if (count_kind(p, AMLP_PK_NUMBER)) {
        put(t, " Kept ");
        list_kind(t, p, AMLP_PK_NUMBER);
        put(t, " as number%s.", count_kind(p, AMLP_PK_NUMBER) == 1 ? "" : "s");
    }
    if (count_kind(p, AMLP_PK_BOOLEAN)) {
        put(t, " Turned ");
        list_kind(t, p, AMLP_PK_BOOLEAN);
        put(t, " into 0/1.");
    }
    if (count_kind(p, AMLP_PK_ONEHOT)) {
        put(t, " One-hot encoded ");
        list_kind(t, p, AMLP_PK_ONEHOT);
        put(t, "; a value not seen in training gives all zeros.");
    }
    if (count_kind(p, AMLP_PK_TARGET)) {
        put(t, " Target-encoded ");
        list_kind(t, p, AMLP_PK_TARGET);
        put(t, " (more than %zu values): each value becomes the mean of the target%s for "
            "that value, smoothed toward the overall mean with weight %g; training rows get "
            "out-of-fold values (%d folds), unseen values the overall mean.", p->onehot_max,
            p->task == AML_TASK_MULTICLASS ? " (the rate of each class)" : "",
            AMLP_PREP_SMOOTHING, AMLP_PREP_FOLDS);
    }
    if (count_kind(p, AMLP_PK_CODES)) {
        put(t, " Kept ");
        list_kind(t, p, AMLP_PK_CODES);
        put(t, " as category codes for tree learners (unseen values are missing).");
    }
    for (size_t i = 0; i < p->n_cols; i++) {
        const amlp_prep_col *c = &p->cols[i];
        if (c->kind == AMLP_PK_DATETIME)
            put(t, " Split '%s' into year, month, day of week, day of month%s and the "
                "timestamp.", c->name, c->has_time ? ", hour" : "");
        else if (c->kind == AMLP_PK_TEXT) {
            if (p->text_ngram_max > 1)
                put(t, " Hashed the words and word sequences (up to %d) of '%s' into %zu "
                    "TF-IDF features.", p->text_ngram_max, c->name, c->dims);
            else
                put(t, " Hashed the words of '%s' into %zu TF-IDF features.", c->name,
                    c->dims);
        }
    }
    if (p->n_scaled && p->scaling == AML_SCALE_STANDARD)
        put(t, " Standardised %zu numeric feature%s (mean 0, standard deviation 1).",
            p->n_scaled, p->n_scaled == 1 ? "" : "s");
    else if (p->n_scaled && p->scaling == AML_SCALE_ROBUST)
        put(t, " Scaled %zu numeric feature%s robustly (median 0, interquartile range 1).",
            p->n_scaled, p->n_scaled == 1 ? "" : "s");
}

static void describe_drops(text *t, const aml_prep *p)
{
    static const char *const why[AMLP_DROP_REASONS_] = {
        "an ID", "constant", "always missing in the training rows", "excluded",
        "text, with text features off",
    };
    if (!p->n_drops)
        return;
    put(t, " Left out ");
    for (size_t i = 0; i < p->n_drops; i++)
        put(t, "%s'%s' (%s)", sep(i, p->n_drops), p->drops[i].name, why[p->drops[i].reason]);
    put(t, ".");
}

int aml_prep_describe(const aml_prep *p, char **out)
{
    *out = NULL;
    text t = {{0}, 0};
    describe_target(&t, p);
    describe_fill(&t, p);
    describe_encodings(&t, p);
    describe_drops(&t, p);
    put(&t, " %zu features in all.", p->n_features);
    if (t.rc == 0)
        t.rc = amlp_bytes_put(&t.b, "", 1);
    if (t.rc) {
        amlp_free(t.b.data);
        return AML_ENOMEM;
    }
    *out = (char *)t.b.data;
    return 0;
}
