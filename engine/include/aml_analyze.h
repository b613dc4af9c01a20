/*
 * aml_analyze.h — column analysis of a frame, as in AutoML Tables' ANALYZE
 * tab (libaml subsystem, included by aml.h).
 *
 * Per column: type, missing / invalid counts, distinct values; for number,
 * integer, boolean and datetime columns mean, standard deviation (n-1), min,
 * quartiles (linear interpolation, numpy's default) and max, plus a
 * histogram; for categorical and boolean columns the most frequent values;
 * for text columns mean length (characters) and vocabulary size (distinct
 * lower-cased words).  With a target: association of each column with it —
 * Pearson r (numeric/numeric), correlation ratio eta (numeric/categorical
 * either way), Cramer's V (categorical/categorical) — and mutual information
 * in nats (numerics discretised into quantile bins); and the target's
 * distribution with a class-imbalance indicator.
 *
 * The analysis owns copies of every string and array it returns; it does not
 * refer to the frame after aml_analyze returns.
 * Thread safety: aml_analyze only reads the frame (on several threads of its
 * own, see `threads`); results are read-only.
 */
#ifndef AML_ANALYZE_H
#define AML_ANALYZE_H
#include "aml_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aml_analyze_options {
    const char *target;   /* target column name, or NULL (default) */
    size_t top_k;         /* most frequent values kept (default 10) */
    size_t bins;          /* histogram bins (default 20) */
    size_t mi_bins;       /* quantile bins for mutual information (default 10) */
    bool distinct_only;   /* only counts and distinct values, as a schema shows them
                             (no summary, histogram, top values, text statistics or
                             association; default false) */
    int threads;          /* columns analysed at once (0, default: one per core;
                             small frames use one) */
} aml_analyze_options;

aml_analyze_options aml_analyze_options_default(void);

typedef enum aml_analyze_assoc {
    AML_ASSOC_NONE = 0,           /* not computed (no target, text, the target itself) */
    AML_ASSOC_PEARSON,            /* numeric column, numeric target: r in [-1, 1] */
    AML_ASSOC_CORRELATION_RATIO,  /* numeric vs categorical: eta in [0, 1] */
    AML_ASSOC_CRAMERS_V           /* categorical vs categorical: V in [0, 1] */
} aml_analyze_assoc;

/* Name of an association kind ("pearson", "correlation_ratio", "cramers_v", "none"). */
const char *aml_analyze_assoc_name(aml_analyze_assoc kind);

typedef struct aml_analyze_column {
    const char *name;
    aml_type type;
    unsigned flags;             /* AML_COL_* */
    size_t rows;
    size_t missing;             /* MISSING cells */
    size_t invalid;             /* INVALID cells */
    double missing_pct;         /* 100 * (missing + invalid) / rows */
    size_t distinct;            /* distinct valid values */
    /* Summary of number / integer / boolean / datetime (seconds) columns. */
    bool numeric;
    double mean, std, min, q1, median, q3, max;
    /* Histogram (numeric columns): n_bins counts, n_bins + 1 edges. */
    size_t n_bins;
    const double *bin_edges;
    const size_t *bin_counts;
    /* Most frequent values (categorical, boolean), count descending. */
    size_t n_top;
    const char *const *top_values;
    const size_t *top_counts;
    /* Text columns. */
    double avg_length;
    size_t vocabulary;
    /* With a target. */
    bool is_target;
    aml_analyze_assoc assoc_kind;
    double assoc;               /* NaN when not computed */
    double mutual_info;         /* nats; NaN when not computed */
} aml_analyze_column;

typedef struct aml_analyze_target {
    size_t column;
    bool classification;        /* categorical / boolean target */
    size_t n_classes;
    const char *const *classes; /* count descending */
    const size_t *counts;
    double majority_share;      /* of valid target rows, 0..1 */
    double minority_share;
    double imbalance_ratio;     /* majority count / minority count */
    bool imbalanced;            /* imbalance_ratio > 4 */
} aml_analyze_target;

typedef struct aml_analysis aml_analysis;

/* Analyse every column of `frame`.  `opts` may be NULL.  OUT: *out (caller
 * owns; aml_analyze_free).  Returns 0, AML_EINVAL (NULL frame, unknown target
 * name — err names it), AML_EEMPTY (no rows), AML_ENOMEM. */
int aml_analyze(const aml_frame *frame, const aml_analyze_options *opts, aml_analysis **out,
                aml_error *err);
void aml_analyze_free(aml_analysis *analysis);   /* accepts NULL */
size_t aml_analyze_ncols(const aml_analysis *analysis);
/* Column i's statistics, or NULL if out of range. */
const aml_analyze_column *aml_analyze_column_at(const aml_analysis *analysis, size_t i);
/* The target's distribution, or NULL without a target. */
const aml_analyze_target *aml_analyze_target_info(const aml_analysis *analysis);
double aml_analyze_seconds(const aml_analysis *analysis);


/* ---- image sets (analyze_images.c): class balance, duplicates, mean images ----
 *
 * Duplicates are images with identical pixels at the working size (hashed,
 * then compared byte for byte).  A group is two or more such images; it
 * conflicts when its images carry more than one class.  The mean image of a
 * class is its images' per-pixel average, rounded, in the set's layout
 * (channels x height x width uint8). */

typedef struct aml_images_analysis aml_images_analysis;

/* Analyse `images`.  OUT: *out (caller owns; aml_images_analysis_free).
 * Returns 0, AML_EINVAL (NULL), AML_EEMPTY (no images), AML_ENOMEM. */
int aml_analyze_images(const aml_images *images, aml_images_analysis **out, aml_error *err);
void aml_images_analysis_free(aml_images_analysis *a);   /* accepts NULL */

size_t aml_images_analysis_classes(const aml_images_analysis *a);
/* Images of class k, and their share of all images (0..1); 0 out of range. */
size_t aml_images_analysis_class_images(const aml_images_analysis *a, size_t k);
double aml_images_analysis_class_share(const aml_images_analysis *a, size_t k);
/* Largest over smallest class count (classes with no image count as 0:
 * INFINITY); imbalanced when the smallest is below a fifth of the largest. */
double aml_images_analysis_imbalance_ratio(const aml_images_analysis *a);
bool aml_images_analysis_imbalanced(const aml_images_analysis *a);

/* Duplicate groups, ordered by their first image; images that repeat an
 * earlier one (sum of group sizes minus one each); groups holding more than
 * one class, and the images in them. */
size_t aml_images_analysis_dup_groups(const aml_images_analysis *a);
size_t aml_images_analysis_dup_images(const aml_images_analysis *a);
size_t aml_images_analysis_conflict_groups(const aml_images_analysis *a);
size_t aml_images_analysis_conflict_images(const aml_images_analysis *a);
/* Group g: its image indexes (ascending; *n of them) and whether its images
 * carry more than one class.  NULL / false when g is out of range. */
const size_t *aml_images_analysis_group(const aml_images_analysis *a, size_t g, size_t *n);
bool aml_images_analysis_group_conflicts(const aml_images_analysis *a, size_t g);

/* The mean image of class k (NULL out of range or when the class has no
 * image): channels x height x width bytes as in aml_images_image. */
const uint8_t *aml_images_analysis_mean(const aml_images_analysis *a, size_t k);

#ifdef __cplusplus
}
#endif

#endif
