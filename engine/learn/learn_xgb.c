/*
 * learn_xgb.c — the tree learner kinds "xgb" (gradient-boosted trees) and "rf"
 * (random forest), both on XGBoost's C API with tree_method=hist.
 *
 * State: one or more boosters, each holding `trees` trees per round; the
 * model's margin is the tree-count-weighted mean of the boosters' margins,
 * passed through the task's link (sigmoid, softmax, identity).
 *   - xgb: one booster, boosted round by round (cancel and progress between
 *     rounds); with a validation set, each round is evaluated (logloss,
 *     mlogloss, rmse) and the booster is cut back to the best round when
 *     early_stopping_rounds rounds pass without improvement.
 *   - rf: one round of `num_parallel_tree` trees with learning rate 1 and
 *     row/column subsampling is a random forest (XGBoost averages the trees
 *     of a round).  To honour the 100 ms cancel promise the forest is grown
 *     in chunks: rounds of one booster, each fitted (XGBoosterBoostOneIter)
 *     to the same gradients at the base score, with learning rate
 *     chunk/total, so each tree weighs 1/total — exactly the one-round
 *     forest.  Chunk sizes come from the data's shape (RF_CHUNK_WORK), never
 *     from timing.  A canceled forest keeps its trees, rescaled to their mean.
 * Sparse input: entries absent from a CSR row are "missing" to XGBoost (they
 * take each split's learned default direction), the library's documented
 * treatment of sparse data; dense NAN is missing too.
 * Class weights are multiplied into the sample weights.
 */
#include "learn/learn_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */

/* ---- the spaces ---- */

static const aml_param_spec xgb_space[] = {
    {"n_estimators", AML_PARAM_INT, 10, 3000, true, NULL, 200, 50, NULL,
     "boosting rounds (the most; early stopping may use fewer)"},
    {"learning_rate", AML_PARAM_REAL, 0.01, 0.5, true, NULL, 0.1, 0.1, NULL,
     "shrinkage of each round's trees"},
    {"max_depth", AML_PARAM_INT, 2, 12, false, NULL, 6, 6, NULL, "depth of each tree"},
    {"min_child_weight", AML_PARAM_REAL, 0.1, 50, true, NULL, 1, 1, NULL,
     "least hessian sum in a leaf"},
    {"subsample", AML_PARAM_REAL, 0.5, 1, false, NULL, 1, 1, NULL,
     "fraction of rows sampled per round"},
    {"colsample_bytree", AML_PARAM_REAL, 0.3, 1, false, NULL, 1, 1, NULL,
     "fraction of features sampled per tree"},
    {"reg_lambda", AML_PARAM_REAL, 1e-3, 100, true, NULL, 1, 1, NULL, "L2 penalty on leaf values"},
    {"reg_alpha", AML_PARAM_REAL, 1e-3, 10, true, NULL, 1e-3, 1e-3, NULL,
     "L1 penalty on leaf values (1e-3 is in effect none)"},
    {"max_bin", AML_PARAM_CHOICE, 0, 0, false, "64|128|256|512", 2, 2, NULL,
     "histogram bins per feature"},
    {"early_stopping_rounds", AML_PARAM_INT, 10, 100, false, NULL, 20, 10, NULL,
     "stop after this many rounds without improvement on the validation rows"},
};

static const aml_param_spec rf_space[] = {
    {"n_estimators", AML_PARAM_INT, 50, 500, true, NULL, 100, 50, NULL, "trees in the forest"},
    {"max_depth", AML_PARAM_INT, 0, 20, false, NULL, 0, 12, NULL,
     "depth of each tree (0: unlimited)"},
    {"min_child_weight", AML_PARAM_REAL, 0.1, 20, true, NULL, 1, 1, NULL,
     "least hessian sum in a leaf"},
    {"subsample", AML_PARAM_REAL, 0.5, 0.9, false, NULL, 0.632, 0.632, NULL,
     "fraction of rows sampled per tree"},
    {"colsample_bynode", AML_PARAM_REAL, 0.3, 1, false, NULL, 0.5, 0.5, NULL,
     "fraction of features sampled per split"},
};

/* "unlimited" depth for rf: deeper than any useful tree on laptop-sized data */
#define RF_UNLIMITED_DEPTH 24
/* rf chunk size: about this much work (rows x features x depth) of tree
 * growing per chunk, so a chunk takes tens of milliseconds; fixed by the data's
 * shape, never by timing, so the forest is reproducible.  A single tree is
 * the smallest unit: one deep tree on a large matrix can exceed 100 ms. */
#define RF_CHUNK_WORK 2e6
#define RF_CHUNK_MAX 32

/* ---- state ---- */

typedef struct xgb_state {
    size_t n;                 /* boosters */
    BoosterHandle *booster;
    uint32_t *trees;          /* trees per booster (rf chunk sizes; 1 for xgb) */
    uint64_t rounds;          /* rounds kept (xgb: the best round + 1) */
    double base_margin;       /* the margin of the base score */
    double scale;             /* margin = base + scale * (trees' part); 1, or
                                 total / grown for a canceled forest */
    int threads;
} xgb_state;

static void state_free(xgb_state *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (s->booster[i])
            XGBoosterFree(s->booster[i]);
    amlp_free(s->booster);
    amlp_free(s->trees);
    amlp_free(s);
}

static void xgb_free_state(aml_learner *l)
{
    state_free(l->state);
    l->state = NULL;
}

/* Room for one more booster. */
static int state_push(xgb_state *s, BoosterHandle b, uint32_t trees)
{
    BoosterHandle *nb = amlp_realloc(s->booster, (s->n + 1) * sizeof *nb);
    if (!nb)
        return AML_ENOMEM;
    s->booster = nb;
    uint32_t *nt = amlp_realloc(s->trees, (s->n + 1) * sizeof *nt);
    if (!nt)
        return AML_ENOMEM;
    s->trees = nt;
    s->booster[s->n] = b;
    s->trees[s->n++] = trees;
    return 0;
}

/* ---- XGBoost plumbing ---- */

static void xgb_log(const char *msg)
{
    amlp_log(AML_LOG_DEBUG, "xgboost: %s", msg);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static void log_init(void)
{
    XGBRegisterLogCallback(xgb_log);
}

static int xgb_fail(aml_error *err, const char *kind, const char *what)
{
    const char *why = XGBGetLastError();
    /* keep the first line of XGBoost's message */
    char line[160];
    snprintf(line, sizeof line, "%s", why ? why : "");
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = 0;
    return aml_error_set(err, AML_EINTERNAL, 0, 0, kind, "xgboost: %s failed: %s", what, line);
}

static int make_dmatrix(const aml_matrix *X, int threads, DMatrixHandle *out)
{
    if (X->dense)
        return XGDMatrixCreateFromMat_omp(X->dense, X->rows, X->cols, NAN, out, threads);
    return XGDMatrixCreateFromCSREx(X->indptr, X->indices, X->values, X->rows + 1,
                                    X->indptr[X->rows], X->cols, out);
}

static int set_param(BoosterHandle b, const char *name, const char *value)
{
    return XGBoosterSetParam(b, name, value);
}

static int set_num(BoosterHandle b, const char *name, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return XGBoosterSetParam(b, name, buf);
}

/* Progress: "<unit> <done> of <total>". */
static void report(const aml_fit_ctl *ctl, const char *unit, size_t done, size_t total)
{
    if (!ctl->progress)
        return;
    char what[64];
    snprintf(what, sizeof what, "%s %zu of %zu", unit, done, total);
    ctl->progress((double)done / (double)total, what, ctl->user);
}

/* Parameters common to both kinds: objective, threads, seed, quiet. */
static int set_common(BoosterHandle b, const aml_learner *l, double base_score, int threads,
                      uint64_t seed)
{
    int rc = 0;
    switch (l->task) {
    case AML_TASK_BINARY:
        rc |= set_param(b, "objective", "binary:logistic");
        rc |= set_param(b, "eval_metric", "logloss");
        break;
    case AML_TASK_MULTICLASS:
        rc |= set_param(b, "objective", "multi:softprob");
        rc |= set_param(b, "eval_metric", "mlogloss");
        rc |= set_num(b, "num_class", (double)l->n_classes);
        break;
    case AML_TASK_REGRESSION:
        rc |= set_param(b, "objective", "reg:squarederror");
        rc |= set_param(b, "eval_metric", "rmse");
        break;
    }
    rc |= set_num(b, "base_score", base_score);
    rc |= set_param(b, "tree_method", "hist");
    rc |= set_num(b, "nthread", threads);
    rc |= set_num(b, "seed", (double)(seed & 0x7fffffff));
    rc |= set_param(b, "verbosity", "1");
    return rc;
}

/* Per-row weights: sample weight times class weight; NULL when neither. */
static float *row_weights(const aml_fit_data *d, size_t rows)
{
    if (!d->weight && !(d->class_weight && d->task != AML_TASK_REGRESSION))
        return NULL;
    float *w = amlp_malloc((rows ? rows : 1) * sizeof *w);
    if (!w)
        return NULL;
    for (size_t i = 0; i < rows; i++) {
        float v = d->weight ? d->weight[i] : 1.0f;
        if (d->class_weight && d->task != AML_TASK_REGRESSION) {
            size_t c = (size_t)d->y[i];
            v *= c < d->n_classes ? d->class_weight[c] : 1.0f;
        }
        w[i] = v;
    }
    return w;
}

static double base_score_of(const aml_fit_data *d, const float *w, size_t rows)
{
    if (d->task != AML_TASK_REGRESSION)
        return 0.5;
    double sy = 0, sw = 0;
    for (size_t i = 0; i < rows; i++) {
        double wi = w ? w[i] : 1.0;
        sy += wi * d->y[i];
        sw += wi;
    }
    return sw > 0 ? sy / sw : 0.0;
}

static int check_labels(const aml_learner *l, const aml_fit_data *d, aml_error *err)
{
    for (size_t i = 0; i < d->X->rows; i++) {
        float y = d->y[i];
        if (!isfinite(y))
            return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                                 "target of row %zu is missing", i);
        if (l->task != AML_TASK_REGRESSION && (y < 0 || y >= (float)l->n_classes || y != floorf(y)))
            return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                                 "row %zu: class %g is not in 0..%zu", i, (double)y,
                                 l->n_classes - 1);
    }
    return 0;
}

/* The training matrix with labels and weights.  OUT: *dtrain, *base. */
static int train_matrix(const aml_learner *l, const aml_fit_data *d, int threads,
                        DMatrixHandle *dtrain, double *base, aml_error *err)
{
    int rc = check_labels(l, d, err);
    if (rc)
        return rc;
    size_t rows = d->X->rows;
    float *w = row_weights(d, rows);
    if (!w && (d->weight || (d->class_weight && d->task != AML_TASK_REGRESSION)))
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    *base = base_score_of(d, w, rows);
    if (make_dmatrix(d->X, threads, dtrain)) {
        amlp_free(w);
        return xgb_fail(err, l->ops->kind, "building the training matrix");
    }
    if (XGDMatrixSetFloatInfo(*dtrain, "label", d->y, rows) ||
        (w && XGDMatrixSetFloatInfo(*dtrain, "weight", w, rows))) {
        amlp_free(w);
        XGDMatrixFree(*dtrain);
        *dtrain = NULL;
        return xgb_fail(err, l->ops->kind, "setting labels");
    }
    amlp_free(w);
    return 0;
}

/* The number after the last ':' of "[3]\tvalid-logloss:0.5234". */
static double eval_score(const char *s)
{
    const char *c = s ? strrchr(s, ':') : NULL;
    return c ? strtod(c + 1, NULL) : NAN;
}

/* ---- xgb ---- */

static bool xgb_supports(aml_task task)
{
    (void)task;
    return true;
}

static int xgb_fit(aml_learner *l, const aml_fit_data *d, const aml_fit_ctl *ctl, aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    pthread_once(&log_once, log_init);
    const aml_params *p = &l->params;
    int threads = amlp_threads(ctl);
    int rounds = (int)aml_params_get(p, "n_estimators", 200);
    int patience = (int)aml_params_get(p, "early_stopping_rounds", 20);
    static const int bins[] = {64, 128, 256, 512};
    int bin_ix = (int)aml_params_get(p, "max_bin", 2);

    DMatrixHandle dtrain = NULL, dvalid = NULL;
    double base = 0.5;
    int rc = train_matrix(l, d, threads, &dtrain, &base, err);
    if (rc)
        return rc;
    bool early = d->X_valid && d->y_valid && d->X_valid->rows > 0;
    if (early) {
        if (make_dmatrix(d->X_valid, threads, &dvalid) ||
            XGDMatrixSetFloatInfo(dvalid, "label", d->y_valid, d->X_valid->rows)) {
            rc = xgb_fail(err, l->ops->kind, "building the validation matrix");
            goto out;
        }
    }
    DMatrixHandle cache[2] = {dtrain, dvalid};
    BoosterHandle b = NULL;
    if (XGBoosterCreate(cache, early ? 2 : 1, &b)) {
        rc = xgb_fail(err, l->ops->kind, "creating the booster");
        goto out;
    }
    xgb_state *s = amlp_calloc(1, sizeof *s);
    if (!s || state_push(s, b, 1)) {
        XGBoosterFree(b);
        state_free(s);
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
        goto out;
    }
    s->threads = threads;
    s->scale = 1;
    if (set_common(b, l, base, threads, ctl->seed) ||
        set_num(b, "eta", aml_params_get(p, "learning_rate", 0.1)) ||
        set_num(b, "max_depth", aml_params_get(p, "max_depth", 6)) ||
        set_num(b, "min_child_weight", aml_params_get(p, "min_child_weight", 1)) ||
        set_num(b, "subsample", aml_params_get(p, "subsample", 1)) ||
        set_num(b, "colsample_bytree", aml_params_get(p, "colsample_bytree", 1)) ||
        set_num(b, "lambda", aml_params_get(p, "reg_lambda", 1)) ||
        set_num(b, "alpha", aml_params_get(p, "reg_alpha", 1e-3)) ||
        set_num(b, "max_bin", bins[bin_ix & 3])) {
        state_free(s);
        rc = xgb_fail(err, l->ops->kind, "setting parameters");
        goto out;
    }

    double best = INFINITY;
    int best_round = -1, done = 0;
    rc = 0;
    for (int it = 0; it < rounds; it++) {
        if (amlp_canceled(ctl)) {
            rc = aml_error_set(err, AML_ECANCELED, 0, 0, l->ops->kind,
                               "canceled after %d of %d rounds", done, rounds);
            break;
        }
        if (XGBoosterUpdateOneIter(b, it, dtrain)) {
            rc = xgb_fail(err, l->ops->kind, "boosting");
            break;
        }
        done = it + 1;
        if (early) {
            const char *names[1] = {"valid"};
            const char *res = NULL;
            if (XGBoosterEvalOneIter(b, it, &dvalid, names, 1, &res)) {
                rc = xgb_fail(err, l->ops->kind, "evaluating");
                break;
            }
            double score = eval_score(res);
            if (score < best) {
                best = score;
                best_round = it;
            }
        }
        report(ctl, "round", (size_t)done, (size_t)rounds);
        if (early && it - best_round >= patience)
            break;
    }
    if (done == 0 || (rc && rc != AML_ECANCELED)) {
        state_free(s);
        if (rc == 0)
            rc = aml_error_set(err, AML_EINTERNAL, 0, 0, l->ops->kind, "no round was fitted");
        goto out;
    }
    int keep = early && best_round >= 0 ? best_round + 1 : done;
    if (keep < done) {
        BoosterHandle cut = NULL;
        if (XGBoosterSlice(b, 0, keep, 1, &cut)) {
            state_free(s);
            rc = xgb_fail(err, l->ops->kind, "keeping the best round");
            goto out;
        }
        XGBoosterFree(b);
        s->booster[0] = cut;
    }
    s->rounds = (uint64_t)keep;
    l->state = s;
out:
    if (dvalid)
        XGDMatrixFree(dvalid);
    XGDMatrixFree(dtrain);
    return rc;
}

/* ---- rf ---- */

/* Gradients of the task's loss at the base score (XGBoost's own formulas for
 * binary:logistic, multi:softprob, reg:squarederror), weighted: every forest
 * chunk is fitted to these, as a one-round forest's trees are. */
static int base_gradients(const aml_learner *l, const aml_fit_data *d, double base,
                          float **grad, float **hess)
{
    size_t rows = d->X->rows, k = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    *grad = amlp_malloc(rows * k * sizeof **grad);
    *hess = amlp_malloc(rows * k * sizeof **hess);
    float *w = row_weights(d, rows);
    if (!*grad || !*hess || (!w && (d->weight || (d->class_weight && l->task != AML_TASK_REGRESSION)))) {
        amlp_free(w);
        return AML_ENOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
        float wi = w ? w[i] : 1.0f;
        for (size_t c = 0; c < k; c++) {
            double g, h;
            if (l->task == AML_TASK_REGRESSION) {
                g = base - d->y[i];
                h = 1.0;
            } else if (l->task == AML_TASK_BINARY) {
                g = base - d->y[i];
                h = base * (1 - base);
            } else {   /* softmax of equal margins */
                double pk = 1.0 / (double)k;
                g = pk - ((size_t)d->y[i] == c);
                h = 2.0 * pk * (1 - pk);
            }
            (*grad)[i * k + c] = (float)(g * wi);
            (*hess)[i * k + c] = (float)((h > 1e-16 ? h : 1e-16) * wi);
        }
    }
    amlp_free(w);
    return 0;
}

static int rf_fit(aml_learner *l, const aml_fit_data *d, const aml_fit_ctl *ctl, aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    pthread_once(&log_once, log_init);
    const aml_params *p = &l->params;
    int threads = amlp_threads(ctl);
    uint32_t total = (uint32_t)aml_params_get(p, "n_estimators", 100);
    int depth = (int)aml_params_get(p, "max_depth", 0);
    if (depth == 0)
        depth = RF_UNLIMITED_DEPTH;

    DMatrixHandle dtrain = NULL;
    double base = 0.5;
    int rc = train_matrix(l, d, threads, &dtrain, &base, err);
    if (rc)
        return rc;
    float *grad = NULL, *hess = NULL;
    BoosterHandle b = NULL;
    xgb_state *s = amlp_calloc(1, sizeof *s);
    if (!s || base_gradients(l, d, base, &grad, &hess)) {
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
        goto out;
    }
    s->threads = threads;
    s->scale = 1;
    if (XGBoosterCreate(&dtrain, 1, &b)) {
        rc = xgb_fail(err, l->ops->kind, "creating the booster");
        goto out;
    }
    if (state_push(s, b, 1)) {
        XGBoosterFree(b);
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
        goto out;
    }
    if (set_common(b, l, base, threads, ctl->seed) ||
        set_num(b, "max_depth", depth) ||
        set_num(b, "min_child_weight", aml_params_get(p, "min_child_weight", 1)) ||
        set_num(b, "subsample", aml_params_get(p, "subsample", 0.632)) ||
        set_num(b, "colsample_bynode", aml_params_get(p, "colsample_bynode", 0.5)) ||
        set_num(b, "lambda", 1e-5) || set_num(b, "max_bin", 256)) {
        rc = xgb_fail(err, l->ops->kind, "setting parameters");
        goto out;
    }
    double work = (double)d->X->rows * (double)(d->X->cols ? d->X->cols : 1) * depth;
    double per = RF_CHUNK_WORK / work;
    uint32_t grown = 0, chunk = per < 1 ? 1 : per > RF_CHUNK_MAX ? RF_CHUNK_MAX : (uint32_t)per;
    size_t k = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    while (grown < total) {
        if (amlp_canceled(ctl)) {
            rc = aml_error_set(err, AML_ECANCELED, 0, 0, l->ops->kind,
                               "canceled after %u of %u trees", grown, total);
            break;
        }
        if (chunk > total - grown)
            chunk = total - grown;
        /* each tree of the forest weighs 1/total: a round of `chunk` trees
         * (averaged by XGBoost) gets learning rate chunk/total */
        if (set_num(b, "num_parallel_tree", chunk) || set_num(b, "eta", (double)chunk / total) ||
            XGBoosterBoostOneIter(b, dtrain, grad, hess, d->X->rows * k)) {
            rc = xgb_fail(err, l->ops->kind, "growing trees");
            break;
        }
        grown += chunk;
        s->rounds++;
        report(ctl, "tree", grown, total);
    }
    if (rc == AML_ECANCELED && grown > 0) {
        /* a partial forest: its trees weigh grown/total in all; predictions
         * scale their part back up to a mean over the trees grown */
        s->scale = (double)total / grown;
        s->base_margin = l->task == AML_TASK_BINARY ? 0.0 : base;
        l->state = s;
        s = NULL;
    } else if (rc == 0) {
        l->state = s;
        s = NULL;
    }
out:
    state_free(s);
    amlp_free(grad);
    amlp_free(hess);
    XGDMatrixFree(dtrain);
    return rc;
}

static bool rf_supports(aml_task task)
{
    (void)task;
    return true;
}

/* ---- shared: predict, importance, save, load ---- */

/* Runs XGBoost prediction `type` (1 margin, 2 contributions) of every booster
 * on X and accumulates the results, `per_row` values a row, into acc (n =
 * rows * per_row, zeroed by the caller).  The model's margin is linear in
 * each booster's (see the state comment): a value is weighted by the
 * booster's share of the trees and scaled; a margin (the last value of every
 * `bias_every`: each value of type 1, the bias of type 2) also maps the base
 * margin. */
static int each_booster(const aml_learner *l, const aml_matrix *X, int type, size_t per_row,
                        size_t bias_every, double *acc, aml_error *err)
{
    const xgb_state *s = l->state;
    size_t n = X->rows * per_row;
    DMatrixHandle dm = NULL;
    if (make_dmatrix(X, s->threads, &dm))
        return xgb_fail(err, l->ops->kind, "building the prediction matrix");
    uint64_t total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += s->trees[i];
    char config[160];
    snprintf(config, sizeof config,
             "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, "
             "\"iteration_end\": %llu, \"strict_shape\": false}",
             type, (unsigned long long)s->rounds);
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        const bst_ulong *shape = NULL;
        bst_ulong dim = 0;
        const float *res = NULL;
        if (XGBoosterPredictFromDMatrix(s->booster[i], dm, config, &shape, &dim, &res)) {
            rc = xgb_fail(err, l->ops->kind, type == 2 ? "computing contributions" : "predicting");
            break;
        }
        bst_ulong got = 1;
        for (bst_ulong j = 0; j < dim; j++)
            got *= shape[j];
        if (got != n) {
            rc = aml_error_set(err, AML_EINTERNAL, 0, 0, l->ops->kind,
                               "xgboost gave %llu values, %zu expected",
                               (unsigned long long)got, n);
            break;
        }
        double wgt = s->n == 1 ? 1.0 : (double)s->trees[i] / (double)total;
        for (size_t j = 0; j < n; j++) {
            bool margin = j % bias_every == bias_every - 1;
            acc[j] += margin ? wgt * (s->base_margin + s->scale * (res[j] - s->base_margin))
                             : wgt * s->scale * res[j];
        }
    }
    XGDMatrixFree(dm);
    return rc;
}

static int xgb_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    size_t k = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    size_t rows = X->rows, n = rows * k;
    if (rows == 0)
        return 0;
    double *margin = amlp_calloc(n, sizeof *margin);
    if (!margin)
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    int rc = each_booster(l, X, 1, k, 1, margin, err);   /* every value is a margin */
    if (rc == 0) {
        for (size_t r = 0; r < rows; r++) {
            double *m = margin + r * k;
            if (l->task == AML_TASK_BINARY) {
                out[r] = (float)(1.0 / (1.0 + exp(-m[0])));
            } else if (l->task == AML_TASK_REGRESSION) {
                out[r] = (float)m[0];
            } else {
                double mx = m[0], sum = 0;
                for (size_t c = 1; c < k; c++)
                    mx = m[c] > mx ? m[c] : mx;
                for (size_t c = 0; c < k; c++)
                    sum += (m[c] = exp(m[c] - mx));
                for (size_t c = 0; c < k; c++)
                    out[r * k + c] = (float)(m[c] / sum);
            }
        }
    }
    amlp_free(margin);
    return rc;
}

/* TreeSHAP through XGBoost (prediction type 2, "pred_contribs"): per booster
 * rows x k x (cols + 1) contributions whose sum is the booster's margin, so
 * they combine as margins do: features scaled by wgt * scale, the bias
 * mapped as the margin is. */
static int xgb_contributions(const aml_learner *l, const aml_matrix *X, float *out,
                             aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    size_t k = l->task == AML_TASK_MULTICLASS ? l->n_classes : 1;
    size_t rows = X->rows, w = X->cols + 1, n = rows * k * w;
    if (rows == 0)
        return 0;
    double *acc = amlp_calloc(n, sizeof *acc);
    if (!acc)
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    int rc = each_booster(l, X, 2, k * w, w, acc, err);   /* the last of each w: the bias */
    for (size_t j = 0; rc == 0 && j < n; j++)
        out[j] = (float)acc[j];
    amlp_free(acc);
    return rc;
}

static int xgb_importance(const aml_learner *l, float *out, size_t cols, aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    const xgb_state *s = l->state;
    double *acc = amlp_calloc(cols ? cols : 1, sizeof *acc);
    if (!acc)
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < s->n; i++) {
        bst_ulong nf = 0, dim = 0;
        const char **names = NULL;
        const bst_ulong *shape = NULL;
        const float *score = NULL;
        if (XGBoosterFeatureScore(s->booster[i], "{\"importance_type\": \"total_gain\"}", &nf,
                                  &names, &dim, &shape, &score)) {
            rc = xgb_fail(err, l->ops->kind, "feature scores");
            break;
        }
        /* multiclass scores may come per class: sum them */
        bst_ulong per = nf ? 1 : 0;
        for (bst_ulong j = 0; j < dim; j++)
            per *= shape[j];
        bst_ulong stride = nf ? per / nf : 0;
        for (bst_ulong f = 0; f < nf; f++) {
            char *end = NULL;
            unsigned long ix = names[f] && names[f][0] == 'f' ? strtoul(names[f] + 1, &end, 10) : cols;
            if (ix >= cols)
                continue;
            for (bst_ulong c = 0; c < stride; c++)
                acc[ix] += score[dim == 2 ? c * nf + f : f * stride + c];
        }
    }
    if (rc == 0) {
        double sum = 0;
        for (size_t j = 0; j < cols; j++)
            sum += acc[j];
        for (size_t j = 0; j < cols; j++)
            out[j] = sum > 0 ? (float)(acc[j] / sum) : (float)(1.0 / (double)cols);
    }
    amlp_free(acc);
    return rc;
}

static int xgb_save(const aml_learner *l, amlp_bytes *out, aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    const xgb_state *s = l->state;
    int rc = amlp_bytes_put_u64(out, s->rounds);
    rc = rc ? rc : amlp_bytes_put_f64(out, s->base_margin);
    rc = rc ? rc : amlp_bytes_put_f64(out, s->scale);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->n);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        bst_ulong len = 0;
        const char *buf = NULL;
        if (XGBoosterSaveModelToBuffer(s->booster[i], "{\"format\": \"ubj\"}", &len, &buf))
            return xgb_fail(err, l->ops->kind, "saving the model");
        rc = amlp_bytes_put_u64(out, s->trees[i]);
        rc = rc ? rc : amlp_bytes_put_u64(out, len);
        rc = rc ? rc : amlp_bytes_put(out, buf, len);
    }
    return rc;
}

static int xgb_load(aml_learner *l, amlp_reader *in, aml_error *err)
{
    int dl_rc = amlp_dl_xgb(err);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    pthread_once(&log_once, log_init);
    uint64_t rounds = 0, n = 0;
    double base_margin = 0, scale = 1;
    if (amlp_read_u64(in, &rounds) || amlp_read_f64(in, &base_margin) ||
        amlp_read_f64(in, &scale) || amlp_read_u64(in, &n) || n == 0 || n > 100000 ||
        rounds == 0 || rounds > 1000000 || !isfinite(base_margin) || !(scale >= 1 && scale < 1e6))
        return aml_error_set(err, AML_EPARSE, 0, 0, l->ops->kind, "truncated model header");
    xgb_state *s = amlp_calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
    s->rounds = rounds;
    s->base_margin = base_margin;
    s->scale = scale;
    s->threads = amlp_threads(NULL);
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        uint64_t trees = 0, len = 0;
        if (amlp_read_u64(in, &trees) || amlp_read_u64(in, &len) || trees == 0 ||
            trees > UINT32_MAX || len > in->len - in->pos) {
            rc = aml_error_set(err, AML_EPARSE, 0, 0, l->ops->kind, "truncated model");
            break;
        }
        BoosterHandle b = NULL;
        if (XGBoosterCreate(NULL, 0, &b)) {
            rc = xgb_fail(err, l->ops->kind, "creating the booster");
            break;
        }
        if (state_push(s, b, (uint32_t)trees)) {
            XGBoosterFree(b);
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, l->ops->kind, "out of memory");
            break;
        }
        if (XGBoosterLoadModelFromBuffer(b, in->data + in->pos, len) ||
            set_num(b, "nthread", s->threads)) {
            rc = xgb_fail(err, l->ops->kind, "loading the model");
            break;
        }
        in->pos += len;
    }
    if (rc) {
        state_free(s);
        return rc;
    }
    l->state = s;
    return 0;
}

const amlp_learner_ops amlp_learner_xgb = {
    .kind = "xgb",
    .space = xgb_space,
    .n_space = sizeof xgb_space / sizeof xgb_space[0],
    .supports = xgb_supports,
    .fit = xgb_fit,
    .predict = xgb_predict,
    .importance = xgb_importance,
    .save = xgb_save,
    .load = xgb_load,
    .free_state = xgb_free_state,
    .contributions = xgb_contributions,
};

const amlp_learner_ops amlp_learner_rf = {
    .kind = "rf",
    .space = rf_space,
    .n_space = sizeof rf_space / sizeof rf_space[0],
    .supports = rf_supports,
    .fit = rf_fit,
    .predict = xgb_predict,
    .importance = xgb_importance,
    .save = xgb_save,
    .load = xgb_load,
    .free_state = xgb_free_state,
    .contributions = xgb_contributions,
};
