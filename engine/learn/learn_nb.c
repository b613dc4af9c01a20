/* learn_nb.c — the "nb" learner: naive Bayes for classification, chosen by
 * `variant`: Gaussian (per-class means and variances, variances smoothed by
 * var_smoothing times the largest feature variance, as scikit-learn does),
 * multinomial (smoothed per-class feature totals; features must be
 * non-negative counts or frequencies) or Bernoulli (features binarised at
 * x > 0; smoothed per-class presence rates).  Everything in log space in
 * double; probabilities by log-sum-exp.  Sample weights weight every
 * statistic; class weights scale the class priors only (they would cancel
 * out of the per-class statistics).  Rows with a missing target are left
 * out; missing features count as 0.  No regression, no importance. */
#include "learn/learn_internal.h"
#include "aml_nn.h"

#include <math.h>
#include <string.h>

enum { NB_GAUSSIAN = 0, NB_MULTINOMIAL, NB_BERNOULLI };

static const aml_param_spec nb_space[] = {
    {"variant", AML_PARAM_CHOICE, 0, 0, false, "gaussian|multinomial|bernoulli", 0, 0, NULL,
     "feature model: normal per class, counts, or presence (x > 0)"},
    {"alpha", AML_PARAM_REAL, 1e-3, 10, true, NULL, 1, 1, NULL,
     "additive (Laplace/Lidstone) smoothing of multinomial and Bernoulli"},
    {"var_smoothing", AML_PARAM_REAL, 1e-12, 1e-3, true, NULL, 1e-9, 1e-9, "variant=gaussian",
     "fraction of the largest feature variance added to every variance"},
};
#define N_SPACE (sizeof nb_space / sizeof nb_space[0])

typedef struct nb_state {
    int variant;
    size_t k, d;
    double *log_prior;   /* k */
    double *a, *b;       /* k x d: gaussian mean / variance; multinomial log p / unused;
                            bernoulli log p / log (1 - p) */
    double *c;           /* k: gaussian -0.5 sum log(2 pi var); bernoulli sum log (1 - p) */
} nb_state;

static void nb_free_state(aml_learner *l)
{
    nb_state *s = l->state;
    if (s) {
        amlp_free(s->log_prior);
        amlp_free(s->a);
        amlp_free(s->b);
        amlp_free(s->c);
    }
    amlp_free(s);
    l->state = NULL;
}

static bool nb_supports(aml_task task)
{
    return task != AML_TASK_REGRESSION;
}

static int nb_alloc(nb_state *s, size_t k, size_t d)
{
    if (d && k > SIZE_MAX / sizeof(double) / d)
        return AML_ENOMEM;
    s->k = k;
    s->d = d;
    s->log_prior = amlp_calloc(k, sizeof(double));
    s->a = amlp_calloc(k * d + 1, sizeof(double));
    s->b = amlp_calloc(k * d + 1, sizeof(double));
    s->c = amlp_calloc(k, sizeof(double));
    return s->log_prior && s->a && s->b && s->c ? 0 : AML_ENOMEM;
}

/* Per-class constants derived from a and b. */
static void nb_finish(nb_state *s)
{
    for (size_t c = 0; c < s->k; c++) {
        double t = 0;
        for (size_t j = 0; j < s->d; j++)
            t += s->variant == NB_GAUSSIAN ? -0.5 * log(2 * M_PI * s->b[c * s->d + j])
                 : s->variant == NB_BERNOULLI ? s->b[c * s->d + j] : 0.0;
        s->c[c] = t;
    }
}

/* Weighted statistics: cc (class weight totals), and into s->a / s->b the
 * sums each variant needs.  Returns 0 or AML_EINVAL (bad class, negative
 * count) with err filled. */
static int nb_accumulate(const aml_fit_data *data, nb_state *s,
                         double *cc, float *row, double *gvar, aml_error *err)
{
    const aml_matrix *X = data->X;
    size_t d = s->d;
    double *g1 = gvar, *g2 = gvar + d, gn = 0;
    for (size_t i = 0; i < X->rows; i++) {
        float y = data->y[i];
        if (!isfinite(y))
            continue;
        if (y < 0 || y >= (float)s->k || y != floorf(y))
            return aml_error_set(err, AML_EINVAL, 0, 0, "nb", "row %zu: class %g is not one "
                                 "of 0..%zu", i, y, s->k - 1);
        size_t c = (size_t)y;
        double w = data->weight ? data->weight[i] : 1.0;
        amlp_nn_gather_rows(X, NULL, i, 1, row);
        cc[c] += w;
        double *a = s->a + c * d, *b = s->b + c * d;
        for (size_t j = 0; j < d; j++) {
            double x = row[j];
            if (s->variant == NB_GAUSSIAN) {
                a[j] += w * x;
                b[j] += w * x * x;
                g1[j] += x;
                g2[j] += x * x;
            } else if (s->variant == NB_MULTINOMIAL) {
                if (x < 0)
                    return aml_error_set(err, AML_EINVAL, 0, 0, "nb",
                                         "multinomial naive Bayes needs non-negative features: "
                                         "row %zu, feature %zu is %g (use variant=gaussian or "
                                         "no scaling)", i, j, x);
                a[j] += w * x;
            } else {
                a[j] += w * (x > 0);
            }
        }
        gn++;
    }
    gvar[2 * d] = gn;
    return 0;
}

static int nb_fit(aml_learner *l, const aml_fit_data *data, const aml_fit_ctl *ctl,
                  aml_error *err)
{
    (void)ctl;
    size_t k = l->n_classes, d = data->X->cols;
    nb_state *s = amlp_calloc(1, sizeof *s);
    l->state = s;
    double *cc = amlp_calloc(k, sizeof(double));
    double *gvar = amlp_calloc(2 * d + 1, sizeof(double));
    float *row = amlp_malloc(d * sizeof(float) + 1);
    int rc = s && cc && gvar && row ? 0 : AML_ENOMEM;
    if (rc == 0) {
        s->variant = (int)aml_params_get(&l->params, "variant", 0);
        rc = nb_alloc(s, k, d);
    }
    if (rc)
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "nb", "out of memory");
    else
        rc = nb_accumulate(data, s, cc, row, gvar, err);
    double alpha = aml_params_get(&l->params, "alpha", 1.0);
    double total = 0;
    for (size_t c = 0; rc == 0 && c < k; c++)
        total += cc[c] * (data->class_weight ? data->class_weight[c] : 1.0);
    if (rc == 0 && !(total > 0))
        rc = aml_error_set(err, AML_EEMPTY, 0, 0, "nb", "no training row with a target and "
                           "a positive weight");
    if (rc == 0 && s->variant == NB_GAUSSIAN) {
        double gn = gvar[2 * d], maxvar = 0;
        for (size_t j = 0; j < d; j++) {
            double m = gvar[j] / gn, v = gvar[d + j] / gn - m * m;
            maxvar = v > maxvar ? v : maxvar;
        }
        double eps = aml_params_get(&l->params, "var_smoothing", 1e-9) * maxvar;
        if (!(eps > 0))
            eps = 1e-300;
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++) {
                double *m = &s->a[c * d + j], *v = &s->b[c * d + j];
                double mean = cc[c] > 0 ? *m / cc[c] : 0;
                double var = cc[c] > 0 ? *v / cc[c] - mean * mean : 0;
                *m = mean;
                *v = (var > 0 ? var : 0) + eps;
            }
    } else if (rc == 0 && s->variant == NB_MULTINOMIAL) {
        for (size_t c = 0; c < k; c++) {
            double sum = 0;
            for (size_t j = 0; j < d; j++)
                sum += s->a[c * d + j] + alpha;
            for (size_t j = 0; j < d; j++)
                s->a[c * d + j] = log(s->a[c * d + j] + alpha) - log(sum);
        }
    } else if (rc == 0) {
        for (size_t c = 0; c < k; c++)
            for (size_t j = 0; j < d; j++) {
                double p = (s->a[c * d + j] + alpha) / (cc[c] + 2 * alpha);
                s->a[c * d + j] = log(p);
                s->b[c * d + j] = log1p(-p);
            }
    }
    for (size_t c = 0; rc == 0 && c < k; c++) {
        double cw = data->class_weight ? data->class_weight[c] : 1.0;
        s->log_prior[c] = cc[c] * cw > 0 ? log(cc[c] * cw / total) : -INFINITY;
    }
    amlp_free(cc);
    amlp_free(gvar);
    amlp_free(row);
    if (rc) {
        nb_free_state(l);
        return rc;
    }
    nb_finish(s);
    if (ctl->progress)
        ctl->progress(1.0, "naive Bayes statistics", ctl->user);
    return 0;
}

/* Joint log-likelihood of one row for every class. */
static void nb_joint(const nb_state *s, const float *x, double *jll)
{
    size_t d = s->d;
    for (size_t c = 0; c < s->k; c++) {
        const double *a = s->a + c * d, *b = s->b + c * d;
        double t = s->log_prior[c] + s->c[c];
        if (s->variant == NB_GAUSSIAN) {
            double q = 0;
            for (size_t j = 0; j < d; j++) {
                double e = x[j] - a[j];
                q += e * e / b[j];
            }
            t -= 0.5 * q;
        } else if (s->variant == NB_MULTINOMIAL) {
            for (size_t j = 0; j < d; j++)
                if (x[j] > 0)
                    t += x[j] * a[j];
        } else {
            for (size_t j = 0; j < d; j++)
                if (x[j] > 0)
                    t += a[j] - b[j];
        }
        jll[c] = t;
    }
}

static int nb_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err)
{
    const nb_state *s = l->state;
    float *row = amlp_malloc(s->d * sizeof(float) + 1);
    double *jll = amlp_malloc(s->k * sizeof(double));
    if (!row || !jll) {
        amlp_free(row);
        amlp_free(jll);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "nb", "out of memory");
    }
    for (size_t i = 0; i < X->rows; i++) {
        amlp_nn_gather_rows(X, NULL, i, 1, row);
        nb_joint(s, row, jll);
        double mx = -INFINITY, sum = 0;
        for (size_t c = 0; c < s->k; c++)
            mx = jll[c] > mx ? jll[c] : mx;
        for (size_t c = 0; c < s->k && isfinite(mx); c++)
            sum += exp(jll[c] - mx);
        for (size_t c = 0; c < s->k; c++) {
            double p = isfinite(mx) ? exp(jll[c] - mx) / sum : 1.0 / (double)s->k;
            if (l->task == AML_TASK_BINARY) {
                if (c == 1)
                    out[i] = (float)p;
            } else {
                out[i * s->k + c] = (float)p;
            }
        }
    }
    amlp_free(row);
    amlp_free(jll);
    return 0;
}

static int nb_save(const aml_learner *l, amlp_bytes *out, aml_error *err)
{
    (void)err;
    const nb_state *s = l->state;
    int rc = amlp_bytes_put_u64(out, (uint64_t)s->variant);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->k);
    rc = rc ? rc : amlp_bytes_put_u64(out, s->d);
    for (size_t c = 0; rc == 0 && c < s->k; c++)
        rc = amlp_bytes_put_f64(out, s->log_prior[c]);
    for (size_t i = 0; rc == 0 && i < s->k * s->d; i++) {
        rc = amlp_bytes_put_f64(out, s->a[i]);
        rc = rc ? rc : amlp_bytes_put_f64(out, s->b[i]);
    }
    return rc;
}

static int nb_load(aml_learner *l, amlp_reader *in, aml_error *err)
{
    uint64_t variant = 0, k = 0, d = 0;
    size_t left = in->len - in->pos;
    if (amlp_read_u64(in, &variant) || variant > NB_BERNOULLI || amlp_read_u64(in, &k) ||
        amlp_read_u64(in, &d) || k != l->n_classes || k < 2 || d != l->n_features ||
        (d && k > left / 16 / d))
        return aml_error_set(err, AML_EPARSE, 0, 0, "nb", "truncated or corrupt nb state");
    nb_state *s = amlp_calloc(1, sizeof *s);
    l->state = s;
    if (!s || nb_alloc(s, k, d)) {
        nb_free_state(l);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "nb", "out of memory");
    }
    s->variant = (int)variant;
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < k; c++)
        rc = amlp_read_f64(in, &s->log_prior[c]);
    for (size_t i = 0; rc == 0 && i < k * d; i++) {
        rc = amlp_read_f64(in, &s->a[i]);
        rc = rc ? rc : amlp_read_f64(in, &s->b[i]);
    }
    if (rc) {
        nb_free_state(l);
        return aml_error_set(err, AML_EPARSE, 0, 0, "nb", "truncated or corrupt nb state");
    }
    nb_finish(s);
    return 0;
}

const amlp_learner_ops amlp_learner_nb = {
    .kind = "nb",
    .space = nb_space,
    .n_space = N_SPACE,
    .supports = nb_supports,
    .fit = nb_fit,
    .predict = nb_predict,
    .importance = NULL,
    .save = nb_save,
    .load = nb_load,
    .free_state = nb_free_state,
};
