/*
 * features_kmeans.c — k-means cluster distances on the standardized base
 * columns: k-means++ start from the seed, Lloyd iterations with distances
 * from one OpenBLAS sgemm per pass, empty clusters restarted at the farthest
 * row; applied as the Euclidean distance to every centroid.
 */

#include "features/features_internal.h"
#include <cblas.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */

#include <math.h>
#include <string.h>

int amlp_feat_blas(aml_error *err)
{
    return amlp_dl_blas(err);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

static double sqdist(const float *a, const float *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        double t = (double)a[j] - b[j];
        s += t * t;
    }
    return s;
}

static void norms(const float *M, size_t n, size_t d, float *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)M[i * d + j] * M[i * d + j];
        out[i] = (float)s;
    }
}

/* Squared distances rows x k: |x|^2 + |c|^2 - 2 x.c, clamped at 0. */
static void distances(const float *Z, const float *xx, size_t rows, size_t d, const float *C,
                      const float *cc, size_t k, float *D)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)k, (int)d, -2.0f, Z,
                (int)d, C, (int)d, 0.0f, D, (int)k);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < k; c++) {
            float v = D[r * k + c] + xx[r] + cc[c];
            D[r * k + c] = v > 0 ? v : 0;
        }
}

static void seed_plus_plus(const float *Z, size_t rows, size_t d, size_t k, uint64_t seed,
                           float *C, double *mind)
{
    uint64_t s = seed ^ 0x6b6d65616e73ull;   /* "kmeans" */
    size_t first = (size_t)(uniform(&s) * (double)rows);
    memcpy(C, Z + first * d, d * sizeof(float));
    double total = 0;
    for (size_t r = 0; r < rows; r++)
        total += mind[r] = sqdist(Z + r * d, C, d);
    for (size_t c = 1; c < k; c++) {
        size_t pick = rows - 1;
        if (total > 0) {
            double target = uniform(&s) * total, acc = 0;
            for (size_t r = 0; r < rows; r++) {
                acc += mind[r];
                if (acc > target && mind[r] > 0) {
                    pick = r;
                    break;
                }
            }
        } else {
            pick = (size_t)(uniform(&s) * (double)rows);
        }
        memcpy(C + c * d, Z + pick * d, d * sizeof(float));
        total = 0;
        for (size_t r = 0; r < rows; r++) {
            double v = sqdist(Z + r * d, C + c * d, d);
            mind[r] = v < mind[r] ? v : mind[r];
            total += mind[r];
        }
    }
}

int amlp_feat_kmeans_fit(aml_features *f, const float *Z, size_t rows,
                         const aml_features_options *opts, aml_error *err)
{
    size_t d = f->n_base, k = opts->kmeans_k;
    if (k < 2 || rows < 2 * k || d == 0)
        return amlp_feat_note(f, "Added no k-means distances: %zu rows are too few for %zu "
                              "clusters.", rows, k);
    int rc = amlp_dl_blas(err);
    if (rc)
        return rc;
    float *C = amlp_malloc(k * d * sizeof(float));
    float *cc = amlp_malloc(k * sizeof(float));
    float *xx = amlp_malloc(rows * sizeof(float));
    float *D = amlp_malloc(rows * k * sizeof(float));
    uint32_t *assign = amlp_malloc(rows * sizeof(uint32_t));
    double *mind = amlp_malloc(rows * sizeof(double));
    double *sum = amlp_malloc(k * (d + 1) * sizeof(double));
    if (!C || !cc || !xx || !D || !assign || !mind || !sum) {
        rc = AML_ENOMEM;
        goto done;
    }
    norms(Z, rows, d, xx);
    seed_plus_plus(Z, rows, d, k, opts->seed, C, mind);
    int it = 0;
    for (size_t r = 0; r < rows; r++)
        assign[r] = UINT32_MAX;
    while (it < (opts->kmeans_iters > 0 ? opts->kmeans_iters : 1)) {
        it++;
        norms(C, k, d, cc);
        distances(Z, xx, rows, d, C, cc, k, D);
        size_t changed = 0;
        for (size_t r = 0; r < rows; r++) {
            uint32_t best = 0;
            for (uint32_t c = 1; c < k; c++)
                if (D[r * k + c] < D[r * k + best])
                    best = c;
            changed += assign[r] != best;
            assign[r] = best;
            mind[r] = D[r * k + best];
        }
        if (changed == 0)
            break;
        memset(sum, 0, k * (d + 1) * sizeof(double));
        double *cnt = sum + k * d;
        for (size_t r = 0; r < rows; r++) {
            cnt[assign[r]] += 1;
            for (size_t j = 0; j < d; j++)
                sum[assign[r] * d + j] += Z[r * d + j];
        }
        for (size_t c = 0; c < k; c++) {
            if (cnt[c] > 0) {
                for (size_t j = 0; j < d; j++)
                    C[c * d + j] = (float)(sum[c * d + j] / cnt[c]);
                continue;
            }
            size_t far = 0;
            for (size_t r = 1; r < rows; r++)
                if (mind[r] > mind[far])
                    far = r;
            memcpy(C + c * d, Z + far * d, d * sizeof(float));
            mind[far] = 0;
        }
    }
    norms(C, k, d, cc);
    f->km_c = C;
    f->km_cc = cc;
    C = cc = NULL;
    f->km_k = k;
    f->km_iters = it;
    for (size_t c = 0; rc == 0 && c < k; c++)
        rc = amlp_feat_add_name(f, amlp_feat_printf("distance to cluster %zu", c + 1));
    f->steps |= AML_FEATURES_KMEANS;
done:
    amlp_free(C);
    amlp_free(cc);
    amlp_free(xx);
    amlp_free(D);
    amlp_free(assign);
    amlp_free(mind);
    amlp_free(sum);
    return rc;
}

int amlp_feat_kmeans_apply(const aml_features *f, const float *Z, size_t rows, float *work,
                           float *out, size_t ld)
{
    size_t d = f->n_base, k = f->km_k;
    if (!k || !rows)
        return 0;
    float *xx = work + rows * k;
    norms(Z, rows, d, xx);
    distances(Z, xx, rows, d, f->km_c, f->km_cc, k, work);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < k; c++)
            out[r * ld + c] = sqrtf(work[r * k + c]);
    return 0;
}
