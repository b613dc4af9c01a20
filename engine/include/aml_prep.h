/*
 * aml_prep.h — the prep subsystem: the fitted preparation pipeline.
 *
 * Data flow:  frame --aml_prep_fit/transform--> aml_matrix.  The preparation
 * is fitted on the training rows only and saved with the model, so a saved
 * model predicts from raw rows.
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL) with a one-line reason; a pipeline is not thread-safe while
 * it is fitted, and may be used by many threads to transform once fitted.
 */
#ifndef AML_PREP_H
#define AML_PREP_H
#include "aml_base.h"
#include "aml_data.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* The frame columns the pipeline reads, in step order: n, and each one's
 * name and index in the frame it was fitted on. */
size_t aml_prep_n_inputs(const aml_prep *prep);
const char *aml_prep_input_name(const aml_prep *prep, size_t i);
size_t aml_prep_input_source(const aml_prep *prep, size_t i);
/* Bytes the pipeline holds in memory beyond what it saves: the fold of each
 * fit row, kept for out-of-fold target encodings (0 for a loaded pipeline). */
size_t aml_prep_memory_unsaved(const aml_prep *prep);

/* ---- engine-internal (amlp_) ---- */

/* The target of each of the n rows as class index or value (NAN: missing or
 * a class not seen in training), into y.  Returns 0, AML_ENOMEM, AML_EINVAL
 * (a column type that cannot be read as the target). */
int amlp_prep_target_values(const aml_prep *p, const aml_frame *f, size_t tcol,
                            const size_t *rows, size_t n, float *y, aml_error *err);

#ifdef __cplusplus
}
#endif

#endif
