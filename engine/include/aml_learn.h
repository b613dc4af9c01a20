/*
 * aml_learn.h — the learn subsystem: learners and the metrics that score
 * their predictions.
 *
 * Data flow:  aml_matrix (aml_prep.h) --aml_learner_fit--> learner;
 * aml_learner_predict gives class probabilities or values, aml_metric_score
 * scores them.
 *
 * Every learner sits behind one interface (an opaque handle with a function
 * table inside): binary and multiclass classification and regression, sample
 * weights, an optional validation set for early stopping, a cancel flag and a
 * progress callback, predictions, feature importance, and serialisation to
 * bytes.  Each learner kind declares its hyper-parameter space, which the
 * search (%train) explores.
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL) with a one-line reason; `_new`/`_fit`/`_load` give objects the
 * caller frees with the matching `_free` (NULL accepted).  Objects are not
 * thread-safe (one thread at a time per object); different objects are
 * independent.  A learner uses at most `ctl->threads` threads.
 */
#ifndef AML_LEARN_H
#define AML_LEARN_H
#include "aml_base.h"
#include "aml_data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hyper-parameters ---- */

typedef enum aml_param_type { AML_PARAM_INT = 0, AML_PARAM_REAL, AML_PARAM_CHOICE } aml_param_type;

/* One dimension of a learner's search space. */
typedef struct aml_param_spec {
    const char *name;
    aml_param_type type;
    double lo, hi;            /* INT/REAL range (inclusive) */
    bool log;                 /* search on a log scale */
    const char *choices;      /* CHOICE: "a|b|c"; the value is the index */
    double dflt;              /* the learner's default */
    double cheap;             /* a cheap starting point (low cost, decent score) */
    const char *condition;    /* "other=value": only meaningful then; or NULL */
    const char *help;
} aml_param_spec;

/* A set of hyper-parameter values (names borrowed from the spec). */
#define AML_PARAMS_MAX 32
typedef struct aml_params {
    size_t n;
    const char *name[AML_PARAMS_MAX];
    double value[AML_PARAMS_MAX];   /* CHOICE: the index into choices */
} aml_params;

/* Sets (or replaces) a value.  Returns 0 or AML_ERANGE when full. */
int aml_params_set(aml_params *p, const char *name, double value);
/* The value of `name`, or `dflt` when absent. */
double aml_params_get(const aml_params *p, const char *name, double dflt);

/* ---- learners ---- */

typedef struct aml_learner aml_learner;

/* The learner kinds: "xgb" (gradient-boosted trees), "rf" (random forest,
 * XGBoost), "linear" (LIBLINEAR logistic / SVM / L2 regression), "knn",
 * "nb" (naive Bayes), "mlp".  NULL-terminated list of names. */
const char *const *aml_learner_kinds(void);
/* The search space of a kind.  OUT: *n.  NULL for an unknown kind. */
const aml_param_spec *aml_learner_space(const char *kind, size_t *n);
/* True if the kind handles the task (e.g. nb does not do regression). */
bool aml_learner_supports(const char *kind, aml_task task);


/* What to fit on.  `y` holds class indexes (classification) or values. */
typedef struct aml_fit_data {
    aml_task task;
    size_t n_classes;            /* >= 2 for classification */
    const aml_matrix *X;
    const float *y;
    const float *weight;         /* per-row sample weights, or NULL */
    const float *class_weight;   /* per-class weights, or NULL */
    const aml_matrix *X_valid;   /* for early stopping, or NULL */
    const float *y_valid;
} aml_fit_data;

/* A learner of `kind` with hyper-parameters `params` (NULL: defaults; values
 * outside the space are AML_ERANGE naming the parameter).  OUT: *out. */
int aml_learner_new(const char *kind, const aml_params *params, aml_learner **out,
                    aml_error *err);
void aml_learner_free(aml_learner *l);
const char *aml_learner_kind(const aml_learner *l);
/* What a fitted (or loaded) learner predicts: its task, classes (0 for
 * regression) and the number of input features it reads. */
aml_task aml_learner_task(const aml_learner *l);
size_t aml_learner_n_classes(const aml_learner *l);
size_t aml_learner_n_features(const aml_learner *l);

int aml_learner_fit(aml_learner *l, const aml_fit_data *data, const aml_fit_ctl *ctl,
                    aml_error *err);
/* Predictions for X: binary P(class 1) (rows values), multiclass probabilities
 * (rows * n_classes, row-major), regression values (rows).  `out` is the
 * caller's array. */
int aml_learner_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err);
/* Importance of each input feature (cols values, summing to 1), from the
 * learner's own notion (gain, |coefficients|, ...).  AML_EUNSUPPORTED where
 * it has none. */
int aml_learner_importance(const aml_learner *l, float *out, size_t cols, aml_error *err);
/* True when the learner can split its predictions into per-feature
 * contributions (the tree kinds "xgb" and "rf": TreeSHAP). */
bool aml_learner_has_contributions(const aml_learner *l);
/* SHAP contributions (TreeSHAP, exact for trees) of each feature to each
 * prediction, in the learner's raw margin: log-odds (binary), each class's
 * margin before the softmax (multiclass), the value (regression).  `out` is
 * the caller's array of X->rows * width * (X->cols + 1) values, width =
 * n_classes for multiclass else 1, laid out [row][class][feature]; entry
 * X->cols of each (row, class) is the bias (the expected margin), and the
 * cols + 1 entries sum to the margin, so sigmoid / softmax of the sums give
 * aml_learner_predict's output.  Returns 0, AML_EUNSUPPORTED (a kind
 * without contributions), AML_EINVAL (not fitted, other width), AML_ENOMEM,
 * AML_EINTERNAL. */
int aml_learner_contributions(const aml_learner *l, const aml_matrix *X, float *out,
                              aml_error *err);
/* Serialise to bytes (aml_free) and back.  The bytes say which kind they are. */
int aml_learner_save(const aml_learner *l, unsigned char **bytes, size_t *len, aml_error *err);
int aml_learner_load(const unsigned char *bytes, size_t len, aml_learner **out, aml_error *err);

/* ---- metrics ---- */

typedef enum aml_metric {
    AML_METRIC_AUTO = 0,          /* auc (binary), logloss (multiclass), rmse (regression) */
    AML_METRIC_AUC,               /* ROC AUC; multiclass: macro one-vs-rest */
    AML_METRIC_LOGLOSS,           /* mean negative log-likelihood, p clipped to [1e-15, 1-1e-15] */
    AML_METRIC_ACCURACY,          /* binary: P(class 1) >= 0.5 is class 1; multiclass: argmax */
    AML_METRIC_BALANCED_ACCURACY, /* mean per-class recall (classes present in y) */
    AML_METRIC_F1,                /* binary: F1 of class 1; multiclass: macro F1 */
    AML_METRIC_RMSE,
    AML_METRIC_MAE,
    AML_METRIC_R2,                /* 1 - SSE / SST (weighted mean) */
    AML_METRIC_COUNT_
} aml_metric;

/* Parse a metric name ("auc", "logloss", "accuracy", "balanced_accuracy",
 * "f1", "rmse", "mae", "r2", "auto"; case-insensitive).  OUT: *out.
 * Returns 0 or AML_EINVAL. */
int aml_metric_parse(const char *name, aml_metric *out);
/* Lower-case name ("auc", ...); "?" for others.  Static string. */
const char *aml_metric_name(aml_metric metric);
/* True for auc, accuracy, balanced_accuracy, f1, r2. */
bool aml_metric_higher_is_better(aml_metric metric);
/* AUTO resolved for a task; other metrics are returned as they are. */
aml_metric aml_metric_resolve(aml_metric metric, aml_task task);
/* True if the metric applies to the task (classification metrics to binary
 * and multiclass, rmse/mae/r2 to regression). */
bool aml_metric_supports(aml_metric metric, aml_task task);

/* Scores predictions.  `y`: class index (classification) or value per row;
 * `pred`: as aml_learner_predict gives them (binary P(class 1); multiclass
 * n rows * n_classes probabilities, row-major; regression values);
 * `weights`: per-row weights or NULL (all 1).  AUTO is resolved first.
 * OUT: *score.  Returns 0, AML_EINVAL (metric does not fit the task, n = 0,
 * a class index out of range, AUC with a single class in y, R2 with a
 * constant y, weights summing to 0).  Thread-safe. */
int aml_metric_score(aml_metric metric, aml_task task, size_t n_classes, const float *y,
                     const float *pred, const float *weights, size_t n, double *score,
                     aml_error *err);


#ifdef __cplusplus
}
#endif
#endif
