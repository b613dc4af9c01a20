/* nn_neighbors.c — k nearest neighbours by squared Euclidean distance:
 * sgemm gives the cross products of a block of query rows with every
 * training row, a max-heap of size k per query row keeps the nearest, and
 * the chosen distances are recomputed exactly in double. */
#include "aml_nn.h"


#include <cblas.h>
#include "aml_base.h"  /* after the libraries: their lazily loaded functions */
#include <pthread.h>
#include <string.h>

void amlp_knn_sqnorms(const float *x, size_t n, size_t d, float *sq)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)x[i * d + j] * x[i * d + j];
        sq[i] = (float)s;
    }
}

/* (a, ia) after (b, ib) in the neighbour order */
static int after(float a, uint32_t ia, float b, uint32_t ib)
{
    return a > b || (a == b && ia > ib);
}

static void sift_down(float *hd, uint32_t *hi, size_t k, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < k && after(hd[l], hi[l], hd[m], hi[m]))
            m = l;
        if (r < k && after(hd[r], hi[r], hd[m], hi[m]))
            m = r;
        if (m == i)
            return;
        float td = hd[i];
        uint32_t ti = hi[i];
        hd[i] = hd[m];
        hi[i] = hi[m];
        hd[m] = td;
        hi[m] = ti;
        i = m;
    }
}

typedef struct select_job {
    const float *train, *train_sq, *query, *cross;
    size_t nt, d, k, q0, q1;   /* query rows q0..q1-1 of the block */
    uint32_t *idx;
    float *dist;
} select_job;

static void select_rows(const select_job *j)
{
    size_t k = j->k;
    for (size_t q = j->q0; q < j->q1; q++) {
        const float *qv = j->query + q * j->d;
        double qn = 0;
        for (size_t c = 0; c < j->d; c++)
            qn += (double)qv[c] * qv[c];
        const float *cr = j->cross + q * j->nt;
        float *hd = j->dist + q * k;
        uint32_t *hi = j->idx + q * k;
        /* heap of the first k, then replace the top when a nearer row comes */
        for (size_t t = 0; t < k; t++) {
            float v = (float)qn + j->train_sq[t] - 2.0f * cr[t];
            hd[t] = v > 0 ? v : 0;
            hi[t] = (uint32_t)t;
        }
        for (size_t t = k / 2; t-- > 0;)
            sift_down(hd, hi, k, t);
        for (size_t t = k; t < j->nt; t++) {
            float v = (float)qn + j->train_sq[t] - 2.0f * cr[t];
            v = v > 0 ? v : 0;
            if (v < hd[0]) {
                hd[0] = v;
                hi[0] = (uint32_t)t;
                sift_down(hd, hi, k, 0);
            }
        }
        /* exact distances of the chosen, then sort (insertion: k is small) */
        for (size_t a = 0; a < k; a++) {
            const float *tv = j->train + (size_t)hi[a] * j->d;
            double s = 0;
            for (size_t c = 0; c < j->d; c++) {
                double e = (double)qv[c] - tv[c];
                s += e * e;
            }
            hd[a] = (float)s;
        }
        for (size_t a = 1; a < k; a++) {
            float vd = hd[a];
            uint32_t vi = hi[a];
            size_t b = a;
            while (b > 0 && after(hd[b - 1], hi[b - 1], vd, vi)) {
                hd[b] = hd[b - 1];
                hi[b] = hi[b - 1];
                b--;
            }
            hd[b] = vd;
            hi[b] = vi;
        }
    }
}

static void *select_thread(void *arg)
{
    select_rows(arg);
    return NULL;
}

#define MAX_SELECT_THREADS 64

size_t amlp_knn_block_rows(size_t nt)
{
    size_t block = AMLP_KNN_SCRATCH / (nt ? nt : 1);
    return block < 16 ? 16 : block;
}

int amlp_knn_search(const float *train, const float *train_sq, size_t nt, size_t d,
                    const float *query, size_t nq, size_t k, int threads, float *scratch,
                    uint32_t *idx, float *dist)
{
    int dl_rc = amlp_dl_blas(NULL);  /* the library loads on first use */
    if (dl_rc)
        return dl_rc;
    if (nq == 0)
        return 0;
    size_t block = amlp_knn_block_rows(nt);
    block = block > nq ? nq : block;
    float *cross = scratch ? scratch : amlp_malloc(block * nt * sizeof(float) + 1);
    if (!cross)
        return AML_ENOMEM;
    int nth = threads < 1 ? 1 : threads > MAX_SELECT_THREADS ? MAX_SELECT_THREADS : threads;
    for (size_t q0 = 0; q0 < nq; q0 += block) {
        size_t m = nq - q0 < block ? nq - q0 : block;
        const float *qb = query + q0 * d;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nt, (int)d, 1.0f,
                    qb, (int)d, train, (int)d, 0.0f, cross, (int)nt);
        select_job jobs[MAX_SELECT_THREADS];
        pthread_t tid[MAX_SELECT_THREADS];
        bool started[MAX_SELECT_THREADS];
        size_t use = (size_t)nth < m ? (size_t)nth : m;
        for (size_t t = 0; t < use; t++) {
            jobs[t] = (select_job){train, train_sq, qb, cross, nt, d, k, m * t / use,
                                   m * (t + 1) / use, idx + q0 * k, dist + q0 * k};
            started[t] = t > 0 && pthread_create(&tid[t], NULL, select_thread, &jobs[t]) == 0;
        }
        select_rows(&jobs[0]);
        for (size_t t = 1; t < use; t++) {
            if (started[t])
                pthread_join(tid[t], NULL);
            else
                select_rows(&jobs[t]);
        }
    }
    if (!scratch)
        amlp_free(cross);
    return 0;
}
