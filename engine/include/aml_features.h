/*
 * aml_features.h — feature engineering on prepared matrices (libaml
 * subsystem, included by aml.h).
 *
 * Data flow:  frame --aml_prep--> aml_matrix --aml_features--> aml_matrix
 * --aml_learner--> model.  A features pipeline is fitted on the training rows
 * of a prepared matrix and applied to any rows (every output row depends on
 * its input row only).  Each step is one search choice (%train keeps it only
 * when validation improves), so each is cheap, deterministic for a seed,
 * saved with the model, and says in words what it did
 * (aml_features_describe).
 *
 * The steps, in output order:
 *  - base: the input columns, in input order: all of them, or with
 *    AML_FEATURES_SELECT only the select_k most important.  Importance is
 *    the vector passed to fit (e.g. a fitted tree model's), or else, per
 *    column on the training rows with a known target (NAN cells left out):
 *    |Pearson correlation| with the target (binary, regression) or the
 *    correlation ratio sqrt(between-class / total variance) (multiclass);
 *    a constant column has importance 0.  Ties keep the lower column.
 *    Left out of the output when PCA replaces them (pca_replace).
 *  - AML_FEATURES_CONSTRUCT: the construct_top most important numeric base
 *    columns (not constant, not 0/1-valued), every pair a, b (a the more
 *    important): "a / b", "a * b", "a - b".  A NAN operand gives NAN; so does
 *    |b| <= 1e-6 * std(b) (division by ~0) and any non-finite result.
 *  - AML_FEATURES_GROUP: categorical groups — prepared one-hot columns
 *    "<col>=<level>" of the same frame column (needs `prep`), and single
 *    columns with integral values and 3..group_max_levels distinct values on
 *    the training rows (codes) — the group_max most important of them
 *    (importance of a group = its best member's).  Per group:
 *    "freq(<g>)" = share of training rows in the row's category; and for
 *    each of the group_numeric most important numeric base columns x:
 *    "mean(<x> | <g>)" = the category's mean of x, smoothed
 *    (sum + 10 * overall mean) / (count + 10), and "<x> - mean(<x> | <g>)".
 *    A one-hot row with no level set is its own category; a code that is
 *    NAN or unseen falls in a "missing or unseen" category.
 *  - AML_FEATURES_PCA: principal components of the standardized base
 *    columns ((x - mean) / std on the training rows; NAN -> 0; std 0 -> 1):
 *    covariance by sgemm, eigenvectors by LAPACKE_ssyevd.  pca_k components,
 *    or (pca_k 0) the fewest explaining pca_variance of the variance, at most
 *    pca_max.  Each component's largest loading is positive.  "pca <i>".
 *  - AML_FEATURES_KMEANS: Euclidean distances from the standardized base
 *    row to kmeans_k centroids: k-means++ start from the seed, then Lloyd
 *    iterations (sgemm distances) until no row changes cluster or
 *    kmeans_iters.  An empty cluster restarts at the row farthest from its
 *    centroid.  "distance to cluster <i>".
 *
 * Layouts: the output is dense.  A CSR input is read sparse for importance
 * and selection; the base columns are densified when there are at most
 * dense_max_cols of them.  Otherwise (a wide CSR input without selection)
 * the steps after the base are skipped, the describe text says so, and the
 * output is the input passed through in CSR.
 *
 * PCA and k-means load OpenBLAS (and LAPACKE for PCA) on first use; fit and
 * apply return AML_EUNSUPPORTED naming the Debian package when one is
 * missing.
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL); objects from _fit/_load are freed with aml_features_free
 * (NULL accepted).  A fitted pipeline is read-only: concurrent applies are
 * safe.  Matrices handed in are borrowed.
 */
#ifndef AML_FEATURES_H
#define AML_FEATURES_H
#include "aml_base.h"
#include "aml_data.h"
#include "aml_prep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Steps (bit flags for aml_features_options.steps). */
enum {
    AML_FEATURES_SELECT = 1u << 0,
    AML_FEATURES_CONSTRUCT = 1u << 1,
    AML_FEATURES_GROUP = 1u << 2,
    AML_FEATURES_PCA = 1u << 3,
    AML_FEATURES_KMEANS = 1u << 4,
    AML_FEATURES_ALL = 0x1f
};

typedef struct aml_features_options {
    unsigned steps;              /* AML_FEATURES_* (default CONSTRUCT | GROUP |
                                    PCA | KMEANS: everything appended) */
    size_t select_k;             /* features kept; 0 = half, rounded up (default 0) */
    size_t construct_top;        /* m: numeric features paired (default 4) */
    size_t group_max;            /* categorical groups used (default 4) */
    size_t group_max_levels;     /* most distinct values of a code column (default 64) */
    size_t group_numeric;        /* numeric features averaged per group (default 2) */
    size_t pca_k;                /* components; 0 = by pca_variance (default 0) */
    double pca_variance;         /* share of variance to explain (default 0.95) */
    size_t pca_max;              /* most components (default 16) */
    bool pca_replace;            /* components replace the base columns (default false) */
    size_t kmeans_k;             /* clusters (default 8) */
    int kmeans_iters;            /* most Lloyd iterations (default 25) */
    size_t dense_max_cols;       /* widest CSR base densified (default 512) */
    uint64_t seed;               /* k-means++ start (default 1) */
} aml_features_options;

aml_features_options aml_features_options_default(void);

typedef struct aml_features aml_features;

/* Fits the steps in opts->steps on the training rows X (dense or CSR) with
 * target y (class index or value per row; NAN rows are left out of the
 * target statistics).  `prep` (may be NULL) is the pipeline that made X: its
 * feature names name the outputs and its feature sources reveal one-hot
 * groups; it must have X->cols features.  `importance` (may be NULL) has
 * X->cols entries (NAN counts as 0).  A step that cannot apply (no numeric
 * pair, no group, too few rows for k clusters, wide sparse input) is left
 * out and the describe text says why.  OUT: *out.  Returns 0, AML_EINVAL
 * (bad arguments, prep of another width), AML_EEMPTY (no rows or columns),
 * AML_EUNSUPPORTED (OpenBLAS / LAPACKE missing), AML_EINTERNAL (the
 * eigen-solver failed), AML_ENOMEM. */
int aml_features_fit(const aml_matrix *X, const float *y, aml_task task, size_t n_classes,
                     const aml_prep *prep, const float *importance,
                     const aml_features_options *opts, aml_features **out, aml_error *err);

/* Transforms rows with the same columns as the fit matrix.  OUT: *X_out, a
 * new owned matrix (aml_matrix_free) with aml_features_n_out columns, dense
 * (see "Layouts").  Returns 0, AML_EINVAL (other width), AML_EUNSUPPORTED,
 * AML_ENOMEM. */
int aml_features_apply(const aml_features *f, const aml_matrix *X, aml_matrix **X_out,
                       aml_error *err);

size_t aml_features_n_out(const aml_features *f);
/* Name of output column j (borrowed; NULL past the end). */
const char *aml_features_name(const aml_features *f, size_t j);
/* The steps actually fitted (AML_FEATURES_* flags). */
unsigned aml_features_steps(const aml_features *f);
/* The input columns the pipeline reads (the base, in order; the first n
 * output columns unless PCA replaced them).  Borrowed. */
const uint32_t *aml_features_kept(const aml_features *f, size_t *n);
/* The fitted PCA (for reports and tests): k components of dimension dim (row
 * i = component i, over the standardized base columns) and each one's
 * share of the variance.  Borrowed; k = 0 without PCA. */
void aml_features_pca(const aml_features *f, size_t *k, size_t *dim, const float **components,
                      const float **explained);
/* One sentence per step (and per skipped step), for "the chosen pipeline in
 * words".  OUT: malloc'd string (aml_free).  Returns 0, AML_ENOMEM. */
int aml_features_describe(const aml_features *f, char **text);

/* Serialise to bytes (aml_free) and back; a loaded pipeline applies
 * bit-for-bit like the saved one.  Load returns 0, AML_EPARSE (damaged or
 * truncated bytes), AML_ENOMEM. */
int aml_features_save(const aml_features *f, unsigned char **bytes, size_t *len, aml_error *err);
int aml_features_load(const unsigned char *bytes, size_t len, aml_features **out, aml_error *err);

void aml_features_free(aml_features *f);

#ifdef __cplusplus
}
#endif
#endif
