/* analyze.c — aml_analyze: per-column statistics (summary, quartiles,
 * histogram, top values, text length and vocabulary), the target's class
 * distribution, and the driver that analyses columns in parallel and asks
 * analyze_assoc.c for associations (analyze_values.c sorts and counts). */
#include "analyze/analyze_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct aml_analysis {
    size_t ncols;
    aml_analyze_column *cols;
    bool has_target;
    aml_analyze_target target;
    double seconds;
};

aml_analyze_options aml_analyze_options_default(void)
{
    aml_analyze_options o;
    memset(&o, 0, sizeof o);
    o.top_k = 10;
    o.bins = 20;
    o.mi_bins = 10;
    return o;
}

const char *aml_analyze_assoc_name(aml_analyze_assoc kind)
{
    switch (kind) {
    case AML_ASSOC_PEARSON: return "pearson";
    case AML_ASSOC_CORRELATION_RATIO: return "correlation_ratio";
    case AML_ASSOC_CRAMERS_V: return "cramers_v";
    default: return "none";
    }
}

static int numeric_stats(const amlp_col *c, const aml_analyze_options *o, aml_analyze_column *s)
{
    double *v;
    size_t n;
    int rc = amlp_analyze_values(c, &v, &n);
    if (rc)
        return rc;
    s->numeric = true;
    s->mean = s->std = s->min = s->q1 = s->median = s->q3 = s->max = NAN;
    if (!n)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    s->mean = sum / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - s->mean) * (v[i] - s->mean);
    s->std = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
    if (amlp_analyze_sort(v, n))
        return AML_ENOMEM;
    amlp_analyze_mark_sorted(c, n);  /* for the association's quantile bins */
    s->min = v[0];
    s->max = v[n - 1];
    s->q1 = amlp_analyze_quantile(v, n, 0.25);
    s->median = amlp_analyze_quantile(v, n, 0.5);
    s->q3 = amlp_analyze_quantile(v, n, 0.75);
    size_t d = 1;
    for (size_t i = 1; i < n; i++)
        d += v[i] != v[i - 1];
    s->distinct = d;
    /* Histogram: one bin per integer when the range is small, else equal widths. */
    size_t nb = o->bins ? o->bins : 20;
    double lo = s->min, width;
    bool unit = c->type != AML_TYPE_NUMBER && s->max - s->min + 1 <= (double)nb;
    if (unit) {
        nb = (size_t)(s->max - s->min) + 1;
        lo = s->min - 0.5;
        width = 1;
    } else if (s->max == s->min) {
        nb = 1;
        width = 1;
        lo = s->min - 0.5;
    } else {
        width = (s->max - s->min) / (double)nb;
    }
    double *edges = amlp_malloc((nb + 1) * sizeof *edges);
    size_t *counts = amlp_calloc(nb, sizeof *counts);
    if (!edges || !counts) {
        amlp_free(edges);
        amlp_free(counts);
        return AML_ENOMEM;
    }
    for (size_t b = 0; b <= nb; b++)
        edges[b] = lo + width * (double)b;
    if (!unit && nb > 1)
        edges[nb] = s->max;
    for (size_t i = 0; i < n; i++) {
        double f = (v[i] - lo) / width;
        size_t b = f <= 0 ? 0 : (size_t)f;
        if (b >= nb)
            b = nb - 1;
        counts[b]++;
    }
    s->n_bins = nb;
    s->bin_edges = edges;
    s->bin_counts = counts;
    return 0;
}

/* Count per level and the top-k list.  Boolean columns have levels false/true. */
static int top_values(const amlp_col *c, size_t k, aml_analyze_column *s, size_t **counts_out,
                      size_t *nl_out)
{
    size_t nl = c->type == AML_TYPE_BOOLEAN ? 2 : amlp_dict_count(&c->dict);
    size_t *cnt = amlp_calloc(nl ? nl : 1, sizeof *cnt);
    if (!cnt)
        return AML_ENOMEM;
    for (size_t r = 0; r < c->n; r++)
        if (amlp_bit(c->valid, r))
            cnt[c->type == AML_TYPE_BOOLEAN ? ((const uint8_t *)c->data)[r]
                                            : ((const uint32_t *)c->data)[r]]++;
    size_t used = 0;
    for (size_t l = 0; l < nl; l++)
        used += cnt[l] > 0;
    if (c->type != AML_TYPE_BOOLEAN || !s->distinct)
        s->distinct = used;
    if (k > used)
        k = used;
    const char **vals = amlp_calloc(k ? k : 1, sizeof *vals);
    size_t *tc = amlp_calloc(k ? k : 1, sizeof *tc);
    bool *taken = amlp_calloc(nl ? nl : 1, sizeof *taken);
    int rc = (vals && tc && taken) ? 0 : AML_ENOMEM;
    for (size_t t = 0; t < k && !rc; t++) {
        size_t best = SIZE_MAX;
        for (size_t l = 0; l < nl; l++)
            if (!taken[l] && cnt[l] && (best == SIZE_MAX || cnt[l] > cnt[best]))
                best = l;
        taken[best] = true;
        const char *name = c->type == AML_TYPE_BOOLEAN ? (best ? "true" : "false")
                                                       : amlp_strpool_get(&c->dict.pool, best);
        vals[t] = amlp_strdup(name);
        tc[t] = cnt[best];
        if (!vals[t])
            rc = AML_ENOMEM;
        s->n_top = t + 1;
    }
    amlp_free(taken);
    s->top_values = vals;
    s->top_counts = tc;
    if (rc || !counts_out)
        amlp_free(cnt);
    else {
        *counts_out = cnt;
        *nl_out = nl;
    }
    return rc;
}

static int text_stats(const amlp_col *c, aml_analyze_column *s)
{
    amlp_dict words = {0};
    double chars = 0;
    size_t n = 0;
    int rc = 0;
    char word[256];
    for (size_t r = 0; r < c->n && !rc; r++) {
        if (!amlp_bit(c->valid, r))
            continue;
        const char *t = amlp_strpool_get(&c->text, r);
        size_t len = amlp_strpool_len(&c->text, r);
        uint32_t code;
        n++;
        size_t wl = 0;
        for (size_t i = 0; i <= len && !rc; i++) {
            unsigned char ch = i < len ? (unsigned char)t[i] : ' ';
            chars += (ch & 0xC0) != 0x80 && i < len;
            bool wordch = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                          (ch >= 'A' && ch <= 'Z') || ch >= 0x80 || ch == '\'';
            if (wordch) {
                if (wl < sizeof word)
                    word[wl++] = (char)((ch >= 'A' && ch <= 'Z') ? ch + 32 : ch);
            } else if (wl) {
                rc = amlp_dict_intern(&words, word, wl, &code);
                wl = 0;
            }
        }
    }
    s->avg_length = n ? chars / (double)n : 0;
    s->vocabulary = amlp_dict_count(&words);
    amlp_dict_free(&words);
    return rc ? rc : amlp_analyze_text_distinct(c, &s->distinct);
}

static int target_info(const amlp_col *c, size_t col, aml_analysis *a, size_t *cnt, size_t nl)
{
    aml_analyze_target *t = &a->target;
    t->column = col;
    t->classification = amlp_analyze_is_cat(c);
    a->has_target = true;
    if (!t->classification || !cnt)
        return 0;
    const aml_analyze_column *s = &a->cols[col];
    size_t k = 0;
    for (size_t l = 0; l < nl; l++)
        k += cnt[l] > 0;
    const char **classes = amlp_calloc(k ? k : 1, sizeof *classes);
    size_t *counts = amlp_calloc(k ? k : 1, sizeof *counts);
    t->classes = classes;
    t->counts = counts;
    if (!classes || !counts)
        return AML_ENOMEM;
    /* Same order as the top list (count descending); levels beyond top_k follow. */
    bool *taken = amlp_calloc(nl ? nl : 1, sizeof *taken);
    if (!taken)
        return AML_ENOMEM;
    size_t total = 0;
    for (size_t i = 0; i < k; i++) {
        size_t best = SIZE_MAX;
        for (size_t l = 0; l < nl; l++)
            if (!taken[l] && cnt[l] && (best == SIZE_MAX || cnt[l] > cnt[best]))
                best = l;
        taken[best] = true;
        const char *name = c->type == AML_TYPE_BOOLEAN ? (best ? "true" : "false")
                                                       : amlp_strpool_get(&c->dict.pool, best);
        classes[i] = amlp_strdup(name);
        if (!classes[i]) {
            amlp_free(taken);
            return AML_ENOMEM;
        }
        counts[i] = cnt[best];
        total += cnt[best];
        t->n_classes = i + 1;
    }
    amlp_free(taken);
    (void)s;
    if (k && total) {
        t->majority_share = (double)counts[0] / (double)total;
        t->minority_share = (double)counts[k - 1] / (double)total;
        t->imbalance_ratio = (double)counts[0] / (double)counts[k - 1];
        t->imbalanced = t->imbalance_ratio > 4;
    }
    return 0;
}

static void free_col(aml_analyze_column *s)
{
    amlp_free((void *)s->name);
    amlp_free((void *)s->bin_edges);
    amlp_free((void *)s->bin_counts);
    for (size_t i = 0; i < s->n_top; i++)
        amlp_free((void *)s->top_values[i]);
    amlp_free((void *)s->top_values);
    amlp_free((void *)s->top_counts);
}

void aml_analyze_free(aml_analysis *analysis)
{
    if (!analysis)
        return;
    for (size_t i = 0; i < analysis->ncols; i++)
        free_col(&analysis->cols[i]);
    amlp_free(analysis->cols);
    for (size_t i = 0; i < analysis->target.n_classes; i++)
        amlp_free((void *)analysis->target.classes[i]);
    amlp_free((void *)analysis->target.classes);
    amlp_free((void *)analysis->target.counts);
    amlp_free(analysis);
}

size_t aml_analyze_ncols(const aml_analysis *analysis) { return analysis ? analysis->ncols : 0; }

const aml_analyze_column *aml_analyze_column_at(const aml_analysis *analysis, size_t i)
{
    return (analysis && i < analysis->ncols) ? &analysis->cols[i] : NULL;
}

const aml_analyze_target *aml_analyze_target_info(const aml_analysis *analysis)
{
    return (analysis && analysis->has_target) ? &analysis->target : NULL;
}

double aml_analyze_seconds(const aml_analysis *analysis) { return analysis ? analysis->seconds : 0; }

/* ---- the driver: columns shared out over threads ---- */

typedef struct job {
    const aml_frame *frame;
    const aml_analyze_options *o;
    aml_analysis *a;
    long target;
    size_t *order;      /* columns, costliest first */
    atomic_size_t next; /* index into order of the next column to take */
    int *rc;            /* per column */
} job;

static int analyze_column(job *jb, size_t j)
{
    const amlp_col *c = &jb->frame->cols[j];
    const aml_analyze_options *o = jb->o;
    aml_analyze_column *s = &jb->a->cols[j];
    s->name = amlp_strdup(c->name);
    if (!s->name)
        return AML_ENOMEM;
    s->type = c->type;
    s->flags = c->flags;
    s->rows = c->n;
    s->missing = c->n_missing;
    s->invalid = c->n_invalid;
    s->missing_pct = c->n ? 100.0 * (double)(c->n_missing + c->n_invalid) / (double)c->n : 0;
    s->assoc = s->mutual_info = NAN;
    s->mean = s->std = s->min = s->q1 = s->median = s->q3 = s->max = NAN;
    s->is_target = (long)j == jb->target;
    if (o->distinct_only)
        return amlp_analyze_distinct_only(c, s);
    size_t *cnt = NULL, nl = 0;
    int rc = 0;
    if (amlp_analyze_is_num(c) || c->type == AML_TYPE_BOOLEAN)
        rc = numeric_stats(c, o, s);
    if (!rc && amlp_analyze_is_cat(c))
        rc = top_values(c, o->top_k ? o->top_k : 10, s, s->is_target ? &cnt : NULL, &nl);
    if (!rc && c->type == AML_TYPE_TEXT)
        rc = text_stats(c, s);
    if (!rc && s->is_target)
        rc = target_info(c, j, jb->a, cnt, nl);
    amlp_free(cnt);
    if (!rc && jb->target >= 0 && !s->is_target)
        rc = amlp_analyze_assoc(c, &jb->frame->cols[jb->target], o->mi_bins ? o->mi_bins : 10,
                                &s->assoc_kind, &s->assoc, &s->mutual_info);
    return rc;
}

static void *analyze_worker(void *arg)
{
    job *jb = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&jb->next, 1);
        if (i >= jb->frame->ncols) {
            amlp_analyze_scratch_free();
            return NULL;
        }
        size_t j = jb->order[i];
        jb->rc[j] = analyze_column(jb, j);
    }
}

/* Rough cost of a column's analysis, to start the slowest first. */
static int cost_rank(const amlp_col *c)
{
    switch (c->type) {
    case AML_TYPE_TEXT: return 0;
    case AML_TYPE_NUMBER: return 1;
    case AML_TYPE_INTEGER:
    case AML_TYPE_DATETIME: return 2;
    default: return 3;
    }
}

#define MAX_ANALYZE_THREADS 64
#define ROWS_PER_THREAD 20000

static size_t thread_count(const aml_frame *frame, const aml_analyze_options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t k = o->threads > 0 ? (size_t)o->threads : cpus > 0 ? (size_t)cpus : 1;
    size_t cells = frame->nrows * frame->ncols / ROWS_PER_THREAD;
    if (k > cells)
        k = cells ? cells : 1;
    if (k > frame->ncols)
        k = frame->ncols ? frame->ncols : 1;
    return k > MAX_ANALYZE_THREADS ? MAX_ANALYZE_THREADS : k;
}

/* Analyses every column (and its association with the target) on up to
 * thread_count() threads.  Returns the first column's failure, or 0. */
static int analyze_columns(const aml_frame *frame, const aml_analyze_options *o, aml_analysis *a,
                           long target)
{
    size_t nc = frame->ncols;
    job jb = {.frame = frame, .o = o, .a = a, .target = target};
    jb.order = amlp_malloc((nc ? nc : 1) * sizeof *jb.order);
    jb.rc = amlp_calloc(nc ? nc : 1, sizeof *jb.rc);
    if (!jb.order || !jb.rc) {
        amlp_free(jb.order);
        amlp_free(jb.rc);
        return AML_ENOMEM;
    }
    size_t k = 0;
    for (int rank = 0; rank <= 3; rank++)
        for (size_t j = 0; j < nc; j++)
            if (cost_rank(&frame->cols[j]) == rank)
                jb.order[k++] = j;
    atomic_init(&jb.next, 0);
    size_t nt = thread_count(frame, o);
    pthread_t tid[MAX_ANALYZE_THREADS];
    bool started[MAX_ANALYZE_THREADS] = {false};
    for (size_t t = 1; t < nt; t++)
        started[t] = pthread_create(&tid[t], NULL, analyze_worker, &jb) == 0;
    analyze_worker(&jb);
    for (size_t t = 1; t < nt; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    int rc = 0;
    for (size_t j = 0; j < nc && !rc; j++)
        rc = jb.rc[j];
    amlp_free(jb.order);
    amlp_free(jb.rc);
    return rc;
}

int aml_analyze(const aml_frame *frame, const aml_analyze_options *opts, aml_analysis **out,
                aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no output");
    *out = NULL;
    if (!frame)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no frame");
    double t0 = aml_now();
    aml_analyze_options def = aml_analyze_options_default();
    const aml_analyze_options *o = opts ? opts : &def;
    long target = -1;
    if (o->target && *o->target) {
        target = aml_frame_col_index(frame, o->target);
        if (target < 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, o->target, "no column '%s'", o->target);
    }
    if (!frame->nrows)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "", "the frame has no rows");
    aml_analysis *a = amlp_calloc(1, sizeof *a);
    if (!a || !(a->cols = amlp_calloc(frame->ncols ? frame->ncols : 1, sizeof *a->cols))) {
        amlp_free(a);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    a->ncols = frame->ncols;
    int rc = analyze_columns(frame, o, a, target);
    if (rc) {
        aml_analyze_free(a);
        return aml_error_set(err, rc, 0, 0, "", "%s", aml_strerror(rc));
    }
    a->seconds = aml_now() - t0;
    *out = a;
    return 0;
}
