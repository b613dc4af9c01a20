/*
 * learn_linear.c — the "linear" learner kind on LIBLINEAR 2.3: L2 or L1
 * logistic regression, linear SVM (squared hinge) and L2-regularised least
 * squares regression.
 *
 * - Solvers: logistic l2 -> L2R_LR, l1 -> L1R_LR; svm l2 -> L2R_L2LOSS_SVC_DUAL,
 *   l1 -> L1R_L2LOSS_SVC; regression -> L2R_L2LOSS_SVR with epsilon 0 (squared
 *   loss, ridge with alpha = 1/(2C)); `penalty` and `loss` do not apply to
 *   regression.  The bias term is on (LIBLINEAR regularises it too).
 * - Multiclass is one-vs-rest, as LIBLINEAR does it, but run here one class at
 *   a time so the cancel flag is seen between classes.  LIBLINEAR itself has
 *   no callback: a single train() runs to its stopping rule (`eps`, and
 *   LIBLINEAR's own iteration caps), and cancel is checked before and after it.
 * - Probabilities: logistic gives sigmoid(decision) (multiclass: normalised
 *   over classes, as LIBLINEAR's predict_probability); the SVM's decision
 *   values go through a Platt sigmoid fitted on the training decision values
 *   (Lin, Lin & Weng 2007), then normalised over classes.
 * - Weights: LIBLINEAR 2.3 has no per-instance weights (struct problem has no
 *   W).  When the weights are constant within each label of a (binary)
 *   subproblem they become LIBLINEAR's per-label C weights exactly; otherwise
 *   rows are replicated in proportion to their weight (row pointers only, C
 *   scaled to match): exactly when the weights are in small integer ratios,
 *   else about 4 copies per row on average, quantising each weight to 1/4 of
 *   the mean weight.
 * - Input: dense rows skip zeros; NAN and infinities are read as 0 (the
 *   preparation imputes before this, this is a guard).  CSR rows go through.
 * - After training, the coefficients are copied out and prediction is ours
 *   (no LIBLINEAR model is kept), so saved models predict bit-for-bit alike.
 * - Reproducible: the dual coordinate-descent solvers shuffle with libc
 *   rand(), which is seeded from ctl->seed before each train().
 * - Importance: |coefficient| averaged over the class vectors, normalised (on
 *   the features' own scale: standardise first for comparable magnitudes).
 */
#include "learn/learn_internal.h"

#include <linear.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const aml_param_spec linear_space[] = {
    {"penalty", AML_PARAM_CHOICE, 0, 0, false, "l2|l1", 0, 0, NULL,
     "regulariser (classification; l1 gives sparse coefficients)"},
    {"C", AML_PARAM_REAL, 1e-4, 1e4, true, NULL, 1, 1, NULL,
     "inverse regularisation strength"},
    {"loss", AML_PARAM_CHOICE, 0, 0, false, "logistic|svm", 0, 0, NULL,
     "classification loss: logistic regression or linear SVM"},
    {"eps", AML_PARAM_REAL, 1e-4, 0.1, true, NULL, 0.01, 0.01, NULL,
     "solver stopping tolerance"},
};

/* average copies per row when weights must be emulated by replication */
#define REPLICATE_PER_ROW 4.0

typedef struct lin_state {
    size_t n_w;        /* decision vectors: 1 (binary, regression) or k (one-vs-rest) */
    size_t n_feat;
    double *w;         /* n_w rows of n_feat coefficients and the bias weight */
    double *platt;     /* n_w pairs (A, B) for the SVM, else NULL */
} lin_state;

static void lin_state_free(lin_state *s)
{
    if (!s)
        return;
    amlp_free(s->w);
    amlp_free(s->platt);
    amlp_free(s);
}

static void linear_free_state(aml_learner *l)
{
    lin_state_free(l->state);
    l->state = NULL;
}

static void quiet(const char *s)
{
    (void)s;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
static void quiet_init(void)
{
    set_print_string_function(quiet);
}

static bool linear_supports(aml_task task)
{
    (void)task;
    return true;
}

/* ---- rows as LIBLINEAR feature_node lists ---- */

typedef struct rows {
    struct feature_node *nodes;
    struct feature_node **x;   /* rows of them, each ending with the bias node and -1 */
} rows;

static void rows_free(rows *r)
{
    amlp_free(r->nodes);
    amlp_free(r->x);
}

static int rows_build(const aml_matrix *X, rows *r)
{
    size_t n = X->rows, nnz = 0;
    if (X->dense) {
        for (size_t i = 0; i < n * X->cols; i++)
            nnz += X->dense[i] != 0 && isfinite(X->dense[i]);
    } else {
        nnz = X->indptr[n];
    }
    r->nodes = amlp_malloc((nnz + 2 * n + 1) * sizeof *r->nodes);
    r->x = amlp_malloc((n + 1) * sizeof *r->x);
    if (!r->nodes || !r->x) {
        rows_free(r);
        return AML_ENOMEM;
    }
    struct feature_node *p = r->nodes;
    int bias_index = (int)X->cols + 1;
    for (size_t i = 0; i < n; i++) {
        r->x[i] = p;
        if (X->dense) {
            const float *row = X->dense + i * X->cols;
            for (size_t j = 0; j < X->cols; j++)
                if (row[j] != 0 && isfinite(row[j]))
                    *p++ = (struct feature_node){(int)j + 1, row[j]};
        } else {
            for (size_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
                if (X->values[k] != 0 && isfinite(X->values[k]))
                    *p++ = (struct feature_node){(int)X->indices[k] + 1, X->values[k]};
        }
        *p++ = (struct feature_node){bias_index, 1.0};
        *p++ = (struct feature_node){-1, 0.0};
    }
    return 0;
}

/* ---- one binary (or regression) problem ---- */

typedef struct subproblem {
    struct problem prob;
    struct feature_node **x;   /* owned when replicated */
    double *y;
    int weight_label[2];
    double weight[2];
    int nr_weight;
    double C;
} subproblem;

/* Target of row i for class `cls` (+1/-1), or the value for regression. */
static double target(const aml_fit_data *d, size_t i, int cls)
{
    if (d->task == AML_TASK_REGRESSION)
        return d->y[i];
    return (int)d->y[i] == cls ? 1.0 : -1.0;
}

static double row_weight(const aml_fit_data *d, size_t i)
{
    double w = d->weight ? d->weight[i] : 1.0;
    if (d->class_weight && d->task != AML_TASK_REGRESSION) {
        size_t c = (size_t)d->y[i];
        w *= c < d->n_classes ? d->class_weight[c] : 1.0;
    }
    return w > 0 && isfinite(w) ? w : 0.0;
}

/* The weight one copy of a row stands for.  Weights in small integer ratios
 * (wmin / k for k up to 16, each within 1 %) are replicated exactly when that
 * stays within 16 copies per row; otherwise about REPLICATE_PER_ROW copies per
 * row on average. */
static double replication_unit(const aml_fit_data *d, double total, size_t used)
{
    size_t n = d->X->rows;
    double wmin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double w = row_weight(d, i);
        if (w > 0 && w < wmin)
            wmin = w;
    }
    for (int k = 1; k <= 16; k++) {
        double unit = wmin / k;
        if (total / unit > 16.0 * (double)used)
            break;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            double c = row_weight(d, i) / unit;
            ok = c == 0 || fabs(c - round(c)) <= 0.01 * c;
        }
        if (ok)
            return unit;
    }
    return total / (REPLICATE_PER_ROW * (double)used);
}

/* Builds the subproblem of class `cls` (ignored for regression), emulating
 * instance weights (see the file comment). */
static int sub_build(const aml_fit_data *d, const rows *r, int cls, double C, subproblem *s)
{
    size_t n = d->X->rows;
    memset(s, 0, sizeof *s);
    s->C = C;
    bool regression = d->task == AML_TASK_REGRESSION;
    bool weighted = d->weight || (d->class_weight && !regression);
    /* constant weight per label?  (regression: one "label") */
    double wl[2] = {-1, -1};
    bool constant = true;
    double total = 0;
    size_t used = 0;
    for (size_t i = 0; weighted && i < n; i++) {
        double w = row_weight(d, i);
        int side = regression ? 0 : target(d, i, cls) > 0 ? 0 : 1;
        if (wl[side] < 0)
            wl[side] = w;
        else if (wl[side] != w)
            constant = false;
        total += w;
        used += w > 0;
    }
    if (!weighted || (constant && (wl[0] != 0) && (wl[1] != 0))) {
        s->x = r->x;
        s->y = amlp_malloc((n ? n : 1) * sizeof *s->y);
        if (!s->y)
            return AML_ENOMEM;
        for (size_t i = 0; i < n; i++)
            s->y[i] = target(d, i, cls);
        s->prob.l = (int)n;
        if (weighted && regression) {
            s->C = C * wl[0];
        } else if (weighted) {
            s->nr_weight = 2;
            s->weight_label[0] = 1;
            s->weight_label[1] = -1;
            s->weight[0] = wl[0] < 0 ? 1 : wl[0];
            s->weight[1] = wl[1] < 0 ? 1 : wl[1];
        }
    } else {
        if (used == 0)
            return AML_EINVAL;
        double unit = replication_unit(d, total, used);
        size_t copies = 0;
        for (size_t i = 0; i < n; i++)
            copies += (size_t)lround(row_weight(d, i) / unit);
        if (copies == 0)
            return AML_EINVAL;
        s->x = amlp_malloc(copies * sizeof *s->x);
        s->y = amlp_malloc(copies * sizeof *s->y);
        if (!s->x || !s->y) {
            amlp_free(s->x);
            amlp_free(s->y);
            s->x = NULL;
            s->y = NULL;
            return AML_ENOMEM;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            for (long c = lround(row_weight(d, i) / unit); c > 0; c--) {
                s->x[k] = r->x[i];
                s->y[k++] = target(d, i, cls);
            }
        s->prob.l = (int)copies;
        s->C = C * unit;
    }
    s->prob.n = (int)d->X->cols + 1;
    s->prob.x = s->x;
    s->prob.y = s->y;
    s->prob.bias = 1.0;
    return 0;
}

static void sub_free(subproblem *s, const rows *r)
{
    if (s->x != r->x)
        amlp_free(s->x);
    amlp_free(s->y);
}

/* ---- Platt scaling (Lin, Lin & Weng 2007, "A note on Platt's probabilistic
 * outputs for support vector machines"): P(y=1|f) = 1 / (1 + exp(A f + B)). */
static void platt_fit(const double *dec, const double *lab, size_t n, double *A, double *B)
{
    double prior1 = 0, prior0 = 0;
    for (size_t i = 0; i < n; i++)
        *(lab[i] > 0 ? &prior1 : &prior0) += 1;
    const int max_iter = 100;
    const double min_step = 1e-10, sigma = 1e-12, eps = 1e-5;
    double hi = (prior1 + 1.0) / (prior1 + 2.0), lo = 1.0 / (prior0 + 2.0);
    double a = 0.0, b = log((prior0 + 1.0) / (prior1 + 1.0)), fval = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = lab[i] > 0 ? hi : lo, fApB = dec[i] * a + b;
        fval += fApB >= 0 ? t * fApB + log1p(exp(-fApB)) : (t - 1) * fApB + log1p(exp(fApB));
    }
    for (int it = 0; it < max_iter; it++) {
        double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
        for (size_t i = 0; i < n; i++) {
            double t = lab[i] > 0 ? hi : lo, fApB = dec[i] * a + b, p, q;
            if (fApB >= 0) {
                p = exp(-fApB) / (1.0 + exp(-fApB));
                q = 1.0 / (1.0 + exp(-fApB));
            } else {
                p = 1.0 / (1.0 + exp(fApB));
                q = exp(fApB) / (1.0 + exp(fApB));
            }
            double d2 = p * q;
            h11 += dec[i] * dec[i] * d2;
            h22 += d2;
            h21 += dec[i] * d2;
            double d1 = t - p;
            g1 += dec[i] * d1;
            g2 += d1;
        }
        if (fabs(g1) < eps && fabs(g2) < eps)
            break;
        double det = h11 * h22 - h21 * h21;
        double dA = -(h22 * g1 - h21 * g2) / det, dB = -(-h21 * g1 + h11 * g2) / det;
        double gd = g1 * dA + g2 * dB, step = 1;
        while (step >= min_step) {
            double na = a + step * dA, nb = b + step * dB, nf = 0;
            for (size_t i = 0; i < n; i++) {
                double t = lab[i] > 0 ? hi : lo, fApB = dec[i] * na + nb;
                nf += fApB >= 0 ? t * fApB + log1p(exp(-fApB))
                                : (t - 1) * fApB + log1p(exp(fApB));
            }
            if (nf < fval + 1e-4 * step * gd) {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2;
        }
        if (step < min_step)
            break;
    }
    *A = a;
    *B = b;
}

/* ---- decision values ---- */

/* Decision value of vector `v` for row i of X. */
static double decision(const lin_state *s, size_t v, const aml_matrix *X, size_t i)
{
    const double *w = s->w + v * (s->n_feat + 1);
    double z = w[s->n_feat];
    if (X->dense) {
        const float *row = X->dense + i * X->cols;
        for (size_t j = 0; j < s->n_feat; j++)
            if (row[j] != 0 && isfinite(row[j]))
                z += w[j] * row[j];
    } else {
        for (size_t k = X->indptr[i]; k < X->indptr[i + 1]; k++)
            if (X->indices[k] < s->n_feat && isfinite(X->values[k]))
                z += w[X->indices[k]] * X->values[k];
    }
    return z;
}

/* ---- fit ---- */

static int linear_fit(aml_learner *l, const aml_fit_data *d, const aml_fit_ctl *ctl,
                      aml_error *err)
{
    int dl_rc = amlp_dl_linear(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    pthread_once(&quiet_once, quiet_init);
    const char *kind = l->ops->kind;
    size_t n = d->X->rows, cols = d->X->cols;
    if (cols + 2 > (size_t)INT32_MAX || n > (size_t)INT32_MAX / 8)
        return aml_error_set(err, AML_ERANGE, 0, 0, kind, "too large for LIBLINEAR");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d->y[i]))
            return aml_error_set(err, AML_EINVAL, 0, 0, kind, "target of row %zu is missing", i);
        if (l->task != AML_TASK_REGRESSION &&
            (d->y[i] < 0 || d->y[i] >= (float)l->n_classes || d->y[i] != floorf(d->y[i])))
            return aml_error_set(err, AML_EINVAL, 0, 0, kind, "row %zu: class %g is not in 0..%zu",
                                 i, (double)d->y[i], l->n_classes - 1);
    }
    bool l1 = aml_params_get(&l->params, "penalty", 0) == 1;
    bool svm = aml_params_get(&l->params, "loss", 0) == 1;
    int solver;
    if (l->task == AML_TASK_REGRESSION)
        solver = L2R_L2LOSS_SVR;
    else if (svm)
        solver = l1 ? L1R_L2LOSS_SVC : L2R_L2LOSS_SVC_DUAL;
    else
        solver = l1 ? L1R_LR : L2R_LR;
    double C = aml_params_get(&l->params, "C", 1);
    double eps = aml_params_get(&l->params, "eps", 0.01);

    lin_state *s = amlp_calloc(1, sizeof *s);
    rows r = {0};
    double *dec = NULL, *lab = NULL;
    int rc = 0;
    if (!s || rows_build(d->X, &r)) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, kind, "out of memory");
        goto fail;
    }
    s->n_feat = cols;
    s->n_w = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    s->w = amlp_calloc(s->n_w * (cols + 1), sizeof *s->w);
    if (!s->w || (svm && l->task != AML_TASK_REGRESSION &&
                  !(s->platt = amlp_calloc(2 * s->n_w, sizeof *s->platt)))) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, kind, "out of memory");
        goto fail;
    }
    if (s->platt) {
        dec = amlp_malloc((n ? n : 1) * sizeof *dec);
        lab = amlp_malloc((n ? n : 1) * sizeof *lab);
        if (!dec || !lab) {
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, kind, "out of memory");
            goto fail;
        }
    }
    for (size_t v = 0; v < s->n_w; v++) {
        if (amlp_canceled(ctl)) {
            rc = aml_error_set(err, AML_ECANCELED, 0, 0, kind, "canceled after %zu of %zu classes",
                               v, s->n_w);
            goto fail;
        }
        int cls = l->task == AML_TASK_MULTICLASS ? (int)v : 1;
        double *wv = s->w + v * (cols + 1);
        /* one label only (a class absent from the rows, or all rows of it) */
        size_t pos = 0;
        for (size_t i = 0; l->task != AML_TASK_REGRESSION && i < n; i++)
            pos += (int)d->y[i] == cls;
        if (l->task != AML_TASK_REGRESSION && (pos == 0 || pos == n)) {
            wv[cols] = pos ? 10.0 : -10.0;
            if (s->platt) {
                s->platt[2 * v] = -1.0;
                s->platt[2 * v + 1] = 0.0;
            }
            continue;
        }
        subproblem sp;
        rc = sub_build(d, &r, cls, C, &sp);
        if (rc) {
            rc = rc == AML_ENOMEM ? aml_error_set(err, rc, 0, 0, kind, "out of memory")
                                  : aml_error_set(err, rc, 0, 0, kind, "all sample weights are 0");
            goto fail;
        }
        struct parameter param;
        memset(&param, 0, sizeof param);
        param.solver_type = solver;
        param.eps = eps;
        param.C = sp.C;
        param.p = 0.0;
        param.nr_weight = sp.nr_weight;
        param.weight_label = sp.nr_weight ? sp.weight_label : NULL;
        param.weight = sp.nr_weight ? sp.weight : NULL;
        const char *bad = check_parameter(&sp.prob, &param);
        if (bad) {
            sub_free(&sp, &r);
            rc = aml_error_set(err, AML_EINVAL, 0, 0, kind, "liblinear: %s", bad);
            goto fail;
        }
        srand((unsigned)(ctl->seed * 2654435761u + v));
        struct model *m = train(&sp.prob, &param);
        sub_free(&sp, &r);
        if (!m) {
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, kind, "liblinear could not train");
            goto fail;
        }
        /* w[j] is for label[0]; we want it for +1 (classification) */
        double sign = l->task != AML_TASK_REGRESSION && m->nr_class == 2 && m->label[0] != 1 ? -1 : 1;
        for (size_t j = 0; j <= cols; j++)
            wv[j] = sign * m->w[j];
        free_and_destroy_model(&m);
        if (s->platt) {
            for (size_t i = 0; i < n; i++) {
                dec[i] = decision(s, v, d->X, i);
                lab[i] = target(d, i, cls);
            }
            platt_fit(dec, lab, n, &s->platt[2 * v], &s->platt[2 * v + 1]);
        }
        if (ctl->progress)
            ctl->progress((double)(v + 1) / (double)s->n_w, "linear", ctl->user);
    }
    rows_free(&r);
    amlp_free(dec);
    amlp_free(lab);
    l->state = s;
    if (amlp_canceled(ctl))   /* the model is complete and kept */
        return aml_error_set(err, AML_ECANCELED, 0, 0, kind, "canceled (the fit had finished)");
    return 0;
fail:
    rows_free(&r);
    amlp_free(dec);
    amlp_free(lab);
    lin_state_free(s);
    return rc;
}

/* ---- predict, importance, save, load ---- */

static double sigmoid(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* P(positive) of vector v from its decision value. */
static double prob_of(const lin_state *s, size_t v, double z)
{
    if (s->platt)
        return sigmoid(-(s->platt[2 * v] * z + s->platt[2 * v + 1]));
    return sigmoid(z);
}

static int linear_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err)
{
    (void)err;
    const lin_state *s = l->state;
    for (size_t i = 0; i < X->rows; i++) {
        if (l->task == AML_TASK_REGRESSION) {
            out[i] = (float)decision(s, 0, X, i);
        } else if (l->task == AML_TASK_BINARY) {
            out[i] = (float)prob_of(s, 0, decision(s, 0, X, i));
        } else {
            double sum = 0;
            float *o = out + i * s->n_w;
            for (size_t v = 0; v < s->n_w; v++)
                sum += o[v] = (float)prob_of(s, v, decision(s, v, X, i));
            for (size_t v = 0; v < s->n_w; v++)
                o[v] = sum > 0 ? (float)(o[v] / sum) : (float)(1.0 / (double)s->n_w);
        }
    }
    return 0;
}

static int linear_importance(const aml_learner *l, float *out, size_t cols, aml_error *err)
{
    (void)err;
    const lin_state *s = l->state;
    double total = 0;
    for (size_t j = 0; j < cols; j++) {
        double a = 0;
        for (size_t v = 0; v < s->n_w; v++)
            a += fabs(s->w[v * (s->n_feat + 1) + j]);
        out[j] = (float)(a / (double)s->n_w);
        total += out[j];
    }
    for (size_t j = 0; j < cols; j++)
        out[j] = total > 0 ? (float)(out[j] / total) : (float)(1.0 / (double)cols);
    return 0;
}

static int linear_save(const aml_learner *l, amlp_bytes *out, aml_error *err)
{
    (void)err;
    const lin_state *s = l->state;
    size_t nw = s->n_w * (s->n_feat + 1);
    int rc = amlp_bytes_put_u64(out, s->n_w);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->n_feat);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->platt != NULL);
    for (size_t i = 0; rc == 0 && i < nw; i++)
        rc = amlp_bytes_put_f64(out, s->w[i]);
    for (size_t i = 0; rc == 0 && s->platt && i < 2 * s->n_w; i++)
        rc = amlp_bytes_put_f64(out, s->platt[i]);
    return rc;
}

static int linear_load(aml_learner *l, amlp_reader *in, aml_error *err)
{
    uint64_t nw = 0, nf = 0, platt = 0;
    if (amlp_read_u64(in, &nw) || amlp_read_u64(in, &nf) || amlp_read_u64(in, &platt) ||
        nw != (l->task == AML_TASK_MULTICLASS ? l->n_classes : 1) || nf != l->n_features ||
        platt > 1 ||
        (nf + 1) * nw > (in->len - in->pos) / 8)
        return aml_error_set(err, AML_EPARSE, 0, 0, l->ops->kind, "truncated linear model");
    lin_state *s = amlp_calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    s->n_w = nw;
    s->n_feat = nf;
    s->w = amlp_malloc(nw * (nf + 1) * sizeof *s->w);
    if (!s->w || (platt && !(s->platt = amlp_malloc(2 * nw * sizeof *s->platt)))) {
        lin_state_free(s);
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nw * (nf + 1); i++)
        rc = amlp_read_f64(in, &s->w[i]);
    for (size_t i = 0; rc == 0 && platt && i < 2 * nw; i++)
        rc = amlp_read_f64(in, &s->platt[i]);
    if (rc) {
        lin_state_free(s);
        return aml_error_set(err, AML_EPARSE, 0, 0, l->ops->kind, "truncated linear model");
    }
    l->state = s;
    return 0;
}

const amlp_learner_ops amlp_learner_linear = {
    .kind = "linear",
    .space = linear_space,
    .n_space = sizeof linear_space / sizeof linear_space[0],
    .supports = linear_supports,
    .fit = linear_fit,
    .predict = linear_predict,
    .importance = linear_importance,
    .save = linear_save,
    .load = linear_load,
    .free_state = linear_free_state,
};
