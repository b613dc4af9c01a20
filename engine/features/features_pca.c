/*
 * features_pca.c — principal components of the standardized base columns:
 * covariance by OpenBLAS sgemm, eigen-decomposition by LAPACKE_ssyevd (both
 * loaded on first use, engine/base/dl.h), components kept by count or by share of
 * variance, with a deterministic sign.
 */

#include "features/features_internal.h"
#include <cblas.h>
#include <lapacke.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */

#include <math.h>

int amlp_feat_pca_fit(aml_features *f, const float *Z, size_t rows,
                      const aml_features_options *opts, aml_error *err)
{
    size_t d = f->n_base;
    if (rows < 2 || d < 2)
        return amlp_feat_note(f, "Added no principal components: fewer than two rows or "
                              "features.");
    int rc = amlp_dl_blas(err);
    rc = rc ? rc : amlp_dl_lapacke(err);
    if (rc)
        return rc;
    float *C = amlp_malloc(d * d * sizeof(float));
    float *w = amlp_malloc(d * sizeof(float));
    if (!C || !w) {
        amlp_free(C);
        amlp_free(w);
        return AML_ENOMEM;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)rows,
                1.0f / (float)(rows - 1), Z, (int)d, Z, (int)d, 0.0f, C, (int)d);
    lapack_int info = LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, C,
                                     (lapack_int)d, w);
    double total = 0;
    for (size_t i = 0; info == 0 && i < d; i++)
        total += w[i] > 0 ? w[i] : 0;
    if (info != 0) {
        rc = aml_error_set(err, AML_EINTERNAL, 0, 0, "PCA",
                           "the eigen-solver (LAPACKE_ssyevd) failed: info %d", (int)info);
    } else if (!(total > 0)) {
        rc = amlp_feat_note(f, "Added no principal components: the features do not vary.");
    } else {
        size_t k = opts->pca_k;
        if (k == 0) {
            double cum = 0;
            while (k < d && cum < opts->pca_variance * total) {
                float v = w[d - 1 - k];
                cum += v > 0 ? v : 0;
                k++;
            }
            if (opts->pca_max && k > opts->pca_max)
                k = opts->pca_max;
        }
        k = k < d ? k : d;
        k = k ? k : 1;
        f->pca_v = amlp_malloc(k * d * sizeof(float));
        f->pca_explained = amlp_malloc(k * sizeof(float));
        rc = f->pca_v && f->pca_explained ? 0 : AML_ENOMEM;
        for (size_t i = 0; rc == 0 && i < k; i++) {
            size_t col = d - 1 - i, arg = 0;
            for (size_t j = 1; j < d; j++)
                if (fabsf(C[j * d + col]) > fabsf(C[arg * d + col]))
                    arg = j;
            float sign = C[arg * d + col] < 0 ? -1.0f : 1.0f;
            for (size_t j = 0; j < d; j++)
                f->pca_v[i * d + j] = sign * C[j * d + col];
            f->pca_explained[i] = (float)((w[col] > 0 ? w[col] : 0) / total);
            rc = amlp_feat_add_name(f, amlp_feat_printf("pca %zu", i + 1));
        }
        if (rc == 0) {
            f->pca_k = k;
            f->steps |= AML_FEATURES_PCA;
        }
    }
    amlp_free(C);
    amlp_free(w);
    return rc;
}

int amlp_feat_pca_apply(const aml_features *f, const float *Z, size_t rows, float *out,
                        size_t ld)
{
    if (!f->pca_k || !rows)
        return 0;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)f->pca_k,
                (int)f->n_base, 1.0f, Z, (int)f->n_base, f->pca_v, (int)f->n_base, 0.0f, out,
                (int)ld);
    return 0;
}
