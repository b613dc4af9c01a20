/*
 * features_internal.h — the fitted feature pipeline's state, shared by
 * engine/features*.c (never installed).  Layout and semantics of the steps
 * are in aml_features.h.
 *
 * Apply works in blocks of rows: the base columns of a block are gathered
 * dense (features.c), each step writes its columns of the output block from
 * them (features_construct.c, features_group.c, features_pca.c,
 * features_kmeans.c).
 */
#ifndef AML_FEATURES_INTERNAL_H
#define AML_FEATURES_INTERNAL_H

#include "aml_features.h"

/* A categorical group: one-hot members or one code column. */
typedef struct amlp_feat_group {
    char *name;
    bool onehot;
    size_t n_members;
    uint32_t *members;    /* base indexes (a code group has one) */
    size_t n_levels;      /* one-hot: n_members + 1 (none set); code: distinct
                             values + 1 (missing or unseen) */
    float *levels;        /* code: the sorted distinct values (n_levels - 1) */
    float *freq;          /* n_levels */
    size_t n_num;
    uint32_t *num;        /* numeric base indexes averaged per level */
    float *mean;          /* n_num x n_levels */
} amlp_feat_group;

struct aml_features {
    unsigned steps;           /* the steps fitted */
    size_t in_cols;
    bool passthrough;         /* wide CSR without selection: output = input */
    bool selected;            /* base = a selection */
    size_t n_base;
    uint32_t *base;           /* input column of each base column */
    bool keep_base;           /* base columns in the output */
    int importance_kind;      /* 0 given, 1 |correlation|, 2 correlation ratio */
    /* construct */
    size_t n_pairs;
    uint32_t *pair_a, *pair_b; /* base indexes */
    float *pair_eps;           /* |b| <= eps -> NAN */
    /* groups */
    size_t n_groups;
    amlp_feat_group *groups;
    /* standardization for PCA and k-means */
    float *mu, *sd;            /* n_base each, or NULL */
    /* PCA */
    size_t pca_k;
    float *pca_v;              /* pca_k x n_base */
    float *pca_explained;      /* pca_k */
    /* k-means */
    size_t km_k;
    int km_iters;              /* iterations run */
    float *km_c;               /* km_k x n_base */
    float *km_cc;              /* squared norms of the centroids */
    /* outputs */
    size_t n_out;
    char **names;
    char *notes;               /* sentences on skipped steps, or NULL */
};

/* What the fit steps see: the training base block (rows x n_base, dense,
 * NAN = missing), the target, and the base columns' importance. */
typedef struct amlp_feat_fit {
    const float *B;
    size_t rows, cols;
    const float *y;
    aml_task task;
    size_t n_classes;
    const float *imp;          /* n_base */
    const char *const *names;  /* base names */
    const aml_prep *prep;      /* may be NULL */
    const uint32_t *base;      /* input column of each base column */
    const aml_features_options *opts;
} amlp_feat_fit;

/* Column kinds on the training rows. */
enum { AMLP_FEAT_CONSTANT = 0, AMLP_FEAT_BINARY, AMLP_FEAT_CODE, AMLP_FEAT_NUMERIC };

/* features_select.c: importance of every column of X (dense or CSR) on the
 * rows with a known target.  OUT: imp (X->cols).  Returns 0, AML_ENOMEM. */
int amlp_feat_importance(const aml_matrix *X, const float *y, aml_task task,
                         size_t n_classes, float *imp);
/* The k most important of n (ties: lower index), in increasing index order.
 * OUT: idx (k).  Returns 0, AML_ENOMEM. */
int amlp_feat_top(const float *imp, size_t n, size_t k, bool sorted_by_index, uint32_t *idx);
/* Kind of each base column (AMLP_FEAT_*), codes up to max_levels values.
 * OUT: kind (cols).  Returns 0, AML_ENOMEM. */
int amlp_feat_kinds(const float *B, size_t rows, size_t cols, size_t max_levels,
                    unsigned char *kind);

/* features_construct.c */
int amlp_feat_construct_fit(aml_features *f, const amlp_feat_fit *fit, const unsigned char *kind);
void amlp_feat_construct_apply(const aml_features *f, const float *b, float *out);

/* features_group.c */
int amlp_feat_group_fit(aml_features *f, const amlp_feat_fit *fit, const unsigned char *kind);
void amlp_feat_group_apply(const aml_features *f, const float *b, float *out);
size_t amlp_feat_group_n_out(const aml_features *f);
void amlp_feat_group_free(amlp_feat_group *g);

/* features_pca.c / features_kmeans.c: fitted on the standardized training
 * block Z (rows x n_base); applied to a standardized block.  The fits set
 * f->pca_k / f->km_k to 0 (with a note) when the step cannot apply. */
int amlp_feat_pca_fit(aml_features *f, const float *Z, size_t rows,
                      const aml_features_options *opts, aml_error *err);
int amlp_feat_pca_apply(const aml_features *f, const float *Z, size_t rows, float *out,
                        size_t ld);
int amlp_feat_kmeans_fit(aml_features *f, const float *Z, size_t rows,
                         const aml_features_options *opts, aml_error *err);
int amlp_feat_kmeans_apply(const aml_features *f, const float *Z, size_t rows, float *work,
                           float *out, size_t ld);

/* Loads OpenBLAS (features_kmeans.c).  Returns 0, AML_EUNSUPPORTED. */
int amlp_feat_blas(aml_error *err);

/* features.c */
int amlp_feat_note(aml_features *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *amlp_feat_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends an output name (taking ownership; NULL means the allocation failed).
 * Returns 0, AML_ENOMEM. */
int amlp_feat_add_name(aml_features *f, char *name);

#endif
