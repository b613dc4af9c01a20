/*
 * prep_internal.h — the fitted preparation pipeline's state, shared by the
 * prep_*.c files (never installed).
 *
 * A fitted pipeline is a list of column steps, one per kept frame column, in
 * frame order.  Step c produces features [first, first + width); its
 * missing-value indicator, when it has one, is the last of them.  Every
 * dense feature j is finally written as (raw - center[j]) / scale[j]
 * (center 0 and scale 1 for features that are not scaled, which leaves them
 * bit-for-bit unchanged).
 */
#ifndef AML_PREP_INTERNAL_H
#define AML_PREP_INTERNAL_H

#include "aml_prep.h"

#define AMLP_PREP_FOLDS 5           /* out-of-fold target encoding */
#define AMLP_PREP_SMOOTHING 10.0    /* pseudo-count toward the prior */

typedef enum amlp_prep_kind {
    AMLP_PK_NUMBER = 0,   /* number / integer: the value, median-imputed */
    AMLP_PK_BOOLEAN,      /* 0/1, mode-imputed */
    AMLP_PK_ONEHOT,       /* one 0/1 column per training level */
    AMLP_PK_TARGET,       /* target encoding (1 column, or 1 per class) */
    AMLP_PK_CODES,        /* native category codes as floats */
    AMLP_PK_DATETIME,     /* year, month, day of week, day, [hour], timestamp */
    AMLP_PK_TEXT          /* hashed TF-IDF (sparse) */
} amlp_prep_kind;

/* Why a frame column is not used. */
typedef enum amlp_prep_reason {
    AMLP_DROP_ID = 0,
    AMLP_DROP_CONSTANT,
    AMLP_DROP_ALL_MISSING,
    AMLP_DROP_EXCLUDED,
    AMLP_DROP_TEXT_OFF,
    AMLP_DROP_REASONS_
} amlp_prep_reason;

typedef struct amlp_prep_drop {
    char *name;
    amlp_prep_reason reason;
} amlp_prep_drop;

typedef struct amlp_prep_col {
    char *name;            /* frame column name */
    size_t source;         /* its index in the fit frame */
    amlp_prep_kind kind;
    size_t n_missing;      /* non-valid cells among the fit rows */
    bool indicator;        /* emits "name (missing)" */
    double fill;           /* NUMBER/BOOLEAN/DATETIME: imputed value;
                              categorical kinds: level index of the mode */
    /* categorical kinds: training levels, sorted by text (strcmp) */
    size_t n_levels;
    char **levels;
    /* TARGET: n_te columns; te[level * n_te + k] the full-data encoding,
     * te_prior[k] the encoding of an unseen level */
    size_t n_te;
    double *te, *te_prior;
    /* TARGET, memory only: the encoding seen by the fit rows of fold f,
     * fold_te[(f * n_levels + level) * n_te + k] and fold_prior[f * n_te + k] */
    double *fold_te, *fold_prior;
    bool has_time;         /* DATETIME: some training value has a time of day */
    size_t dims;           /* TEXT: hashed dimensions */
    float *idf;            /* TEXT: dims values */
    size_t first, width;   /* the step's features */
} amlp_prep_col;

struct aml_prep {
    aml_scaling scaling;
    bool missing_indicators, native_categorical;
    size_t onehot_max, text_features;
    int text_ngram_max;
    uint64_t seed;

    char *target;
    aml_type target_type;  /* CATEGORICAL, BOOLEAN, NUMBER or INTEGER */
    aml_task task;
    size_t n_classes;
    char **classes;        /* sorted by text */
    size_t n_target_missing;
    size_t n_fit_rows;

    size_t n_cols;
    amlp_prep_col *cols;
    size_t n_drops;
    amlp_prep_drop *drops;

    size_t n_features;
    char **feature_names;
    size_t *feature_source;
    double *center, *scale;   /* per feature */
    size_t n_scaled;          /* features with a fitted scaling */
    bool sparse;              /* some TEXT step: transform gives CSR */

    /* The fit frame, for out-of-fold target encodings of the fit rows
     * (memory only; a loaded pipeline encodes every row as new). */
    const aml_frame *fit_frame;
    size_t fit_nrows;
    uint64_t fit_hash;
    size_t n_folds;
    signed char *fold;        /* fit_nrows entries: fold of a fit row, or -1 */
};

/* prep.c */
/* Feature names and sources of every step (after the steps are complete);
 * fills n_features, feature_names, feature_source, and center/scale = 0/1.
 * Returns 0 or AML_ENOMEM. */
int amlp_prep_layout(aml_prep *p);
/* True when `f` is the frame the pipeline was fitted on (same object, rows
 * and target values), so its fit rows get out-of-fold encodings. */
bool amlp_prep_is_fit_frame(const aml_prep *p, const aml_frame *f);
/* The fold of frame row `row` when `f` is the fit frame and the row was a
 * fit row; -1 otherwise (a "new" row).  For tests. */
int amlp_prep_fold_of(const aml_prep *p, const aml_frame *f, size_t row);

/* prep_stats.c */
/* The q-quantile (linear interpolation, numpy's default) of x[0..n);
 * reorders x.  n > 0. */
double amlp_quantile(double *x, size_t n, double q);
/* splitmix64 step */
uint64_t amlp_prep_rand(uint64_t *state);

/* prep_encode.c */
/* Level index (into c->levels) of each code of a categorical frame column, or
 * -1 for levels the step did not see.  OUT: *map (amlp_free), cat_count
 * entries.  Returns 0 or AML_ENOMEM. */
int amlp_prep_level_map(const amlp_prep_col *c, const aml_frame *f, size_t fcol, long **map);
/* Level index of string s, or -1. */
long amlp_prep_level_find(char *const *levels, size_t n, const char *s);
/* Fits a categorical step's levels and mode over the fit rows (and the
 * target encoding for TARGET steps, given `yk`: the target as class index or
 * value per fit row, NAN = missing).  Returns 0 or AML_ENOMEM. */
int amlp_prep_fit_levels(amlp_prep_col *c, const aml_frame *f, size_t fcol,
                         const size_t *rows, size_t n);
int amlp_prep_fit_target_encoding(aml_prep *p, amlp_prep_col *c, const aml_frame *f,
                                  size_t fcol, const size_t *rows, size_t n, const float *y);
/* The raw (unscaled) values of a dense step for `rows` of `f` (its column
 * fcol), row-major n x c->width, into out.  With `oof` (f is the fit frame),
 * fit rows get out-of-fold target encodings.  Returns 0, AML_ENOMEM or
 * AML_EINVAL (a column type that cannot be read as the step's). */
int amlp_prep_emit(const aml_prep *p, const amlp_prep_col *c, const aml_frame *f, size_t fcol,
                   const size_t *rows, size_t n, bool oof, double *out, aml_error *err);

/* prep_text.c */
/* Fits the idf of a TEXT step over the fit rows.  Returns 0 or AML_ENOMEM. */
int amlp_prep_text_fit(const aml_prep *p, amlp_prep_col *c, const aml_frame *f, size_t fcol,
                       const size_t *rows, size_t n);
/* The TF-IDF rows of a TEXT step: CSR with column indexes 0..dims-1,
 * ascending within a row, l2-normalised rows.  OUT: *indptr (n + 1), *idx,
 * *val (amlp_free).  Returns 0 or AML_ENOMEM. */
int amlp_prep_text_rows(const aml_prep *p, const amlp_prep_col *c, const aml_frame *f,
                        size_t fcol, const size_t *rows, size_t n, size_t **indptr,
                        uint32_t **idx, float **val);

/* prep_io.c: none beyond the public API. */

#endif
