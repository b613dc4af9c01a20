/*
 * aml_learn.h — learners and the fitted preparation pipeline (libaml
 * subsystem, included by aml.h).
 *
 * Data flow:  frame --aml_prep_fit/transform--> aml_matrix --aml_learner_fit-->
 * model; aml_learner_predict gives class probabilities or values.  The
 * preparation is fitted on the training rows only and saved with the model,
 * so a saved model predicts from raw rows.
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
#include "aml.h"
#include "aml_frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tasks and prepared data ---- */

typedef enum aml_task {
    AML_TASK_BINARY = 0,     /* classes 0 and 1; predictions: P(class 1) per row */
    AML_TASK_MULTICLASS,     /* classes 0..k-1; predictions: k probabilities per row */
    AML_TASK_REGRESSION      /* predictions: one value per row */
} aml_task;

const char *aml_task_name(aml_task task);   /* "binary", "multiclass", "regression" */

/* A matrix of prepared features, row-major.  Either dense (`dense` != NULL,
 * rows * cols floats, NAN = missing) or CSR sparse (`indptr` rows + 1
 * offsets into `indices` / `values`; absent entries are 0).  The struct does
 * not own its arrays unless it came from aml_matrix_new / aml_prep_transform
 * (then free it with aml_matrix_free). */
typedef struct aml_matrix {
    size_t rows, cols;
    float *dense;
    size_t *indptr;
    uint32_t *indices;
    float *values;
    bool owned;
} aml_matrix;

/* A dense rows x cols matrix filled with 0.  OUT: *out.  Returns 0, AML_ENOMEM. */
int aml_matrix_new(size_t rows, size_t cols, aml_matrix **out);
void aml_matrix_free(aml_matrix *m);
/* Value at (r, c) for either layout (for tests and small loops). */
float aml_matrix_get(const aml_matrix *m, size_t r, size_t c);
/* The rows listed in `idx` (n of them), as a new owned matrix of the same
 * layout.  OUT: *out.  Returns 0, AML_EINVAL (index out of range), AML_ENOMEM. */
int aml_matrix_take_rows(const aml_matrix *m, const size_t *idx, size_t n, aml_matrix **out);

/* ---- the preparation pipeline ---- */

typedef enum aml_scaling {
    AML_SCALE_NONE = 0,
    AML_SCALE_STANDARD,      /* (x - mean) / std */
    AML_SCALE_ROBUST         /* (x - median) / IQR */
} aml_scaling;

typedef struct aml_prep_options {
    const char *target;          /* target column (required) */
    const char *const *exclude;  /* columns left out, or NULL; n_exclude of them */
    size_t n_exclude;
    aml_scaling scaling;         /* for linear models, k-NN, MLP (default NONE) */
    bool missing_indicators;     /* add "col is missing" columns (default true) */
    size_t onehot_max;           /* one-hot up to this many levels, else target
                                    encoding (default 16) */
    bool native_categorical;     /* keep category codes as one column each, for
                                    learners that split on them (default false) */
    size_t text_features;        /* hashed TF-IDF dimensions per text column
                                    (default 1024; 0 drops text) */
    int text_ngram_max;          /* word n-grams 1..n (default 2) */
    uint64_t seed;               /* for the out-of-fold target encoding folds */
    int threads;                 /* 0 = all cores (the pipeline currently runs
                                    on the calling thread) */
} aml_prep_options;

/* What the fitted pipeline does, exactly (aml_prep_describe says it in words):
 *  - Target: categorical or boolean -> classification, classes = the levels
 *    seen in the fit rows sorted by text (strcmp; booleans "false", "true"),
 *    binary with 2; number/integer -> regression.
 *  - Dropped: the target, `exclude`, AML_COL_ID columns, columns missing on
 *    every fit row, constant columns (one value and no missing cell), text
 *    when text_features is 0.
 *  - Missing (and INVALID) cells: numbers median, booleans / categories the
 *    most frequent value, datetimes the median; plus a 0/1 "<col> (missing)"
 *    feature after the column's features when the column had missing cells
 *    in the fit rows and missing_indicators is set (not for text).
 *  - number / integer -> "<col>"; boolean -> "<col>" as 0/1.
 *  - categorical: native_categorical -> "<col>": the index of the level in
 *    the sorted training levels, NAN for an unseen level; else up to
 *    onehot_max levels -> "<col>=<level>" per training level (sorted), an
 *    unseen level gives all zeros; else target encoding: "<col>
 *    (target-encoded)" (binary: rate of class 1; regression: mean), or one
 *    "<col> (target-encoded: <class>)" per class (multiclass: the class's
 *    rate).  Value of level v = (sum of the target over v's rows + 10 *
 *    prior) / (count of v's rows + 10), prior = the overall mean; unseen
 *    levels get the prior.  The fit rows, transformed from the fit frame
 *    itself (same object, same rows and target values), get out-of-fold
 *    values: 5 folds assigned by a shuffle seeded with `seed`, each row
 *    encoded from the other folds' rows (prior included).  Every other row,
 *    and every row once the pipeline is saved and loaded, gets the
 *    full-data value.
 *  - datetime -> "<col> (year)", "(month)" 1-12, "(day of week)" 0 = Monday,
 *    "(day)" of month, "(hour)" when some fit value has a time of day, then
 *    "<col>" the timestamp (seconds since 1970, UTC).
 *  - text -> "<col> (text j)", j < text_features: words (runs of ASCII
 *    letters/digits and non-ASCII bytes, ASCII lower-cased), n-grams of 1 to
 *    text_ngram_max words joined by a space, hashed (FNV-1a 64 + fmix64, mod
 *    text_features), term count * idf, idf = ln((1 + N) / (1 + df)) + 1 over
 *    the N fit rows, each row's block l2-normalised.  Any text column makes
 *    the transform output CSR; otherwise it is dense.
 *  - scaling (NONE by default) applies to numbers, date parts and target
 *    encodings, never to 0/1 features, codes or text: STANDARD (x - mean) /
 *    population std; ROBUST (x - median) / IQR (IQR 0: the std; std 0: 1);
 *    fitted on the fit rows' values (out-of-fold ones for target encodings).
 * Features come in frame column order. */

aml_prep_options aml_prep_options_default(void);

typedef struct aml_prep aml_prep;

/* Fits the preparation on the rows `rows` (n_rows of them; NULL = all) of
 * `frame`: imputation (median / mode) with missing indicators, encodings,
 * scaling, date parts, text hashing, and the target's encoding (task, class
 * names).  OUT: *out.  Returns 0, AML_EINVAL (no such target, target with one
 * class in these rows — err says which class), AML_EEMPTY, AML_ENOMEM. */
int aml_prep_fit(const aml_frame *frame, const size_t *rows, size_t n_rows,
                 const aml_prep_options *opts, aml_prep **out, aml_error *err);
void aml_prep_free(aml_prep *prep);

/* Transforms rows of a frame (the training frame or new data with the same
 * columns; the target column may be absent) into features.  Unseen
 * categories and missing values are handled; a missing column is an
 * AML_EINVAL naming it (so is a column whose type cannot be read as the
 * fitted one); extra columns are ignored; columns are found by name and
 * categories matched by text.  `rows` NULL = all rows.  OUT: *X (owned).
 * With `y` not NULL and the target present: *y gets a malloc'd array (class
 * index or value per row; NAN where the target is missing or is a class not
 * seen in the fit rows) that the caller frees with aml_free; *y is NULL when
 * the target column is absent.  Returns 0, AML_EINVAL, AML_ENOMEM. */
int aml_prep_transform(const aml_prep *prep, const aml_frame *frame, const size_t *rows,
                       size_t n_rows, aml_matrix **X, float **y, aml_error *err);

aml_task aml_prep_task(const aml_prep *prep);
size_t aml_prep_n_classes(const aml_prep *prep);            /* 0 for regression */
const char *aml_prep_class_name(const aml_prep *prep, size_t k);
size_t aml_prep_n_features(const aml_prep *prep);
/* Name of prepared feature j ("age", "job=admin.", "age (missing)", ...). */
const char *aml_prep_feature_name(const aml_prep *prep, size_t j);
/* Index of the frame column that feature j comes from (for importance per
 * original column). */
size_t aml_prep_feature_source(const aml_prep *prep, size_t j);
/* One sentence per step, for "the chosen pipeline in words".  OUT: malloc'd
 * string (aml_free). */
int aml_prep_describe(const aml_prep *prep, char **out);

/* Serialise to bytes (aml_free) and back; a loaded pipeline transforms
 * bit-for-bit like the saved one (out-of-fold encodings, which only concern
 * the fit frame, are not saved).  Load returns 0, AML_EPARSE (damaged or
 * truncated bytes), AML_ENOMEM. */
int aml_prep_save(const aml_prep *prep, unsigned char **bytes, size_t *len, aml_error *err);
int aml_prep_load(const unsigned char *bytes, size_t len, aml_prep **out, aml_error *err);

/* Frees memory the engine handed out (arrays from aml_prep_transform, byte
 * buffers from the _save functions, strings). */
void aml_free(void *p);

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
#define AML_PARAMS_MAX 24
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

/* Fitting control. */
typedef void (*aml_progress_fn)(double fraction, const char *what, void *user);
typedef struct aml_fit_ctl {
    const volatile int *cancel;  /* checked at least every 100 ms; nonzero: stop,
                                    fit returns AML_ECANCELED (the learner stays
                                    usable if it had fitted something) */
    aml_progress_fn progress;    /* may be NULL */
    void *user;
    int threads;                 /* 0 = all cores */
    uint64_t seed;
} aml_fit_ctl;

aml_fit_ctl aml_fit_ctl_default(void);

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

#ifdef __cplusplus
}
#endif
#endif
