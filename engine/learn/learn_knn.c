/* learn_knn.c — the "knn" learner: k nearest neighbours by squared
 * Euclidean distance (engine/nn/nn_neighbors.c, OpenBLAS sgemm).  A lazy
 * learner: fit keeps a dense copy of the training rows (missing values as
 * 0; CSR densified), their targets and row weights; save stores them.
 * Classification: (weighted) votes -> probabilities; regression: (weighted)
 * mean.  Sample weights and class weights multiply a neighbour's vote; with
 * weights=distance the vote is also divided by the distance, and exact
 * matches (distance 0) take all the weight.  Rows with a missing target are
 * not kept.  No feature importance. */
#include "learn/learn_internal.h"

#include "aml_nn.h"
#include "aml_nn.h"
#include <cblas.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */

#include <math.h>
#include <string.h>

static const aml_param_spec knn_space[] = {
    {"k", AML_PARAM_INT, 1, 100, true, NULL, 5, 10, NULL, "neighbours consulted"},
    {"weights", AML_PARAM_CHOICE, 0, 0, false, "uniform|distance", 0, 0, NULL,
     "equal votes, or votes weighted by 1 / distance"},
};
#define N_SPACE (sizeof knn_space / sizeof knn_space[0])

typedef struct knn_state {
    size_t n, d;
    float *x, *sq, *y, *w;   /* w: per-row vote weight, or NULL */
} knn_state;

static void knn_free_state(aml_learner *l)
{
    knn_state *s = l->state;
    if (s) {
        amlp_free(s->x);
        amlp_free(s->sq);
        amlp_free(s->y);
        amlp_free(s->w);
    }
    amlp_free(s);
    l->state = NULL;
}

static bool knn_supports(aml_task task)
{
    (void)task;
    return true;
}

static int knn_alloc(knn_state *s, size_t n, size_t d, bool weights)
{
    if (d && n > SIZE_MAX / sizeof(float) / d)
        return AML_ENOMEM;
    s->n = n;
    s->d = d;
    s->x = amlp_malloc(n * d * sizeof(float) + 1);
    s->sq = amlp_malloc(n * sizeof(float) + 1);
    s->y = amlp_malloc(n * sizeof(float) + 1);
    s->w = weights ? amlp_malloc(n * sizeof(float) + 1) : NULL;
    return s->x && s->sq && s->y && (!weights || s->w) ? 0 : AML_ENOMEM;
}

static int knn_fit(aml_learner *l, const aml_fit_data *data, const aml_fit_ctl *ctl,
                   aml_error *err)
{
    const aml_matrix *X = data->X;
    bool cls = l->task != AML_TASK_REGRESSION;
    size_t n = 0;
    for (size_t i = 0; i < X->rows; i++) {
        float y = data->y[i];
        if (!isfinite(y))
            continue;
        if (cls && (y < 0 || y >= (float)l->n_classes || y != floorf(y)))
            return aml_error_set(err, AML_EINVAL, 0, 0, "knn", "row %zu: class %g is not one "
                                 "of 0..%zu", i, y, l->n_classes - 1);
        n++;
    }
    if (n == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "knn", "no training row has a target");
    if (n > UINT32_MAX)
        return aml_error_set(err, AML_ERANGE, 0, 0, "knn", "more than 2^32 training rows");
    knn_state *s = amlp_calloc(1, sizeof *s);
    l->state = s;
    bool weighted = data->weight || (cls && data->class_weight);
    if (!s || knn_alloc(s, n, X->cols, weighted)) {
        knn_free_state(l);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "knn", "out of memory for %zu rows", n);
    }
    size_t k = 0;
    for (size_t i = 0; i < X->rows; i++) {
        if (amlp_canceled(ctl)) {
            knn_free_state(l);
            return aml_error_set(err, AML_ECANCELED, 0, 0, "knn", "canceled");
        }
        float y = data->y[i];
        if (!isfinite(y))
            continue;
        amlp_nn_gather_rows(X, NULL, i, 1, s->x + k * X->cols);
        s->y[k] = y;
        if (weighted)
            s->w[k] = (data->weight ? data->weight[i] : 1.0f) *
                      (cls && data->class_weight ? data->class_weight[(size_t)y] : 1.0f);
        k++;
    }
    amlp_knn_sqnorms(s->x, n, s->d, s->sq);
    if (ctl->progress)
        ctl->progress(1.0, "kept the training rows", ctl->user);
    return 0;
}

/* Combines the neighbours of one query row into out (n_out values). */
static void vote(const aml_learner *l, const knn_state *s, const uint32_t *idx,
                 const float *dist, size_t k, bool by_distance, double *acc, float *out)
{
    bool cls = l->task != AML_TASK_REGRESSION;
    size_t nc = cls ? l->n_classes : 1;
    bool exact = by_distance && dist[0] == 0.0f;
    for (int pass = 0; pass < 2; pass++) {
        double total = 0;
        memset(acc, 0, nc * sizeof(double));
        for (size_t a = 0; a < k; a++) {
            if (exact && dist[a] != 0.0f)
                break;
            double wt = s->w ? s->w[idx[a]] : 1.0;
            if (pass == 1)
                wt = 1.0;   /* every weight was zero: plain votes */
            else if (by_distance && !exact)
                wt /= sqrt((double)dist[a]);
            total += wt;
            if (cls)
                acc[(size_t)s->y[idx[a]]] += wt;
            else
                acc[0] += wt * s->y[idx[a]];
        }
        if (!(total > 0) && pass == 0)
            continue;
        if (l->task == AML_TASK_BINARY)
            out[0] = (float)(acc[1] / total);
        else
            for (size_t c = 0; c < nc; c++)
                out[c] = (float)(acc[c] / total);
        return;
    }
}

static int knn_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err)
{
    int dl_rc = amlp_dl_blas(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    const knn_state *s = l->state;
    size_t k = (size_t)aml_params_get(&l->params, "k", 5);
    bool by_distance = aml_params_get(&l->params, "weights", 0) == 1;
    k = k < s->n ? k : s->n;
    size_t n_out = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    size_t block = amlp_knn_block_rows(s->n);
    block = X->rows < block ? X->rows : block;
    float *q = amlp_malloc(block * s->d * sizeof(float) + 1);
    float *cross = amlp_malloc(block * s->n * sizeof(float) + 1);
    uint32_t *idx = amlp_malloc(block * k * sizeof(uint32_t) + 1);
    float *dist = amlp_malloc(block * k * sizeof(float) + 1);
    double *acc = amlp_malloc((l->n_classes + 1) * sizeof(double));
    int rc = q && cross && idx && dist && acc ? 0 : AML_ENOMEM;
    int threads = amlp_threads(NULL);
    for (size_t r0 = 0; rc == 0 && r0 < X->rows; r0 += block) {
        size_t m = X->rows - r0 < block ? X->rows - r0 : block;
        amlp_nn_gather_rows(X, NULL, r0, m, q);
        rc = amlp_knn_search(s->x, s->sq, s->n, s->d, q, m, k, threads, cross, idx, dist);
        for (size_t i = 0; rc == 0 && i < m; i++)
            vote(l, s, idx + i * k, dist + i * k, k, by_distance, acc, out + (r0 + i) * n_out);
    }
    amlp_free(q);
    amlp_free(cross);
    amlp_free(idx);
    amlp_free(dist);
    amlp_free(acc);
    return rc ? aml_error_set(err, rc, 0, 0, "knn", "out of memory") : 0;
}

static int knn_save(const aml_learner *l, amlp_bytes *out, aml_error *err)
{
    (void)err;
    const knn_state *s = l->state;
    int rc = amlp_bytes_put_u64(out, s->n);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->d);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->w != NULL);
    rc = rc ? rc : amlp_bytes_put(out, s->x, s->n * s->d * sizeof(float));
    rc = rc ? rc : amlp_bytes_put(out, s->y, s->n * sizeof(float));
    if (rc == 0 && s->w)
        rc = amlp_bytes_put(out, s->w, s->n * sizeof(float));
    return rc;
}

static int knn_load(aml_learner *l, amlp_reader *in, aml_error *err)
{
    uint64_t n = 0, d = 0, has_w = 0;
    size_t left = in->len - in->pos;
    if (amlp_read_u64(in, &n) || amlp_read_u64(in, &d) || amlp_read_u64(in, &has_w) ||
        n == 0 || d != l->n_features || has_w > 1 || n > UINT32_MAX ||
        (d && n > left / sizeof(float) / d))
        return aml_error_set(err, AML_EPARSE, 0, 0, "knn", "truncated or corrupt knn state");
    knn_state *s = amlp_calloc(1, sizeof *s);
    l->state = s;
    if (!s || knn_alloc(s, n, d, has_w)) {
        knn_free_state(l);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "knn", "out of memory");
    }
    int rc = amlp_read(in, s->x, n * d * sizeof(float));
    rc = rc ? rc : amlp_read(in, s->y, n * sizeof(float));
    if (rc == 0 && s->w)
        rc = amlp_read(in, s->w, n * sizeof(float));
    for (size_t i = 0; rc == 0 && i < n && l->task != AML_TASK_REGRESSION; i++)
        if (!(s->y[i] >= 0 && s->y[i] < (float)l->n_classes))
            rc = AML_EPARSE;
    if (rc) {
        knn_free_state(l);
        return aml_error_set(err, AML_EPARSE, 0, 0, "knn", "truncated or corrupt knn state");
    }
    amlp_knn_sqnorms(s->x, n, d, s->sq);
    return 0;
}

const amlp_learner_ops amlp_learner_knn = {
    .kind = "knn",
    .space = knn_space,
    .n_space = N_SPACE,
    .supports = knn_supports,
    .fit = knn_fit,
    .predict = knn_predict,
    .importance = NULL,
    .save = knn_save,
    .load = knn_load,
    .free_state = knn_free_state,
};
