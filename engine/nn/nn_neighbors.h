/*
 * nn_neighbors.h — nearest-neighbour search on OpenBLAS sgemm (engine
 * internal): squared Euclidean distances as ||q||^2 + ||t||^2 - 2 q.t,
 * blocked over query rows so the distance scratch stays under a fixed size,
 * then a bounded heap per query row.  Used by the k-NN learner.
 */
#ifndef NN_NEIGHBORS_H
#define NN_NEIGHBORS_H

#include <stddef.h>
#include <stdint.h>

/* Floats of distance scratch per query block (32 MB). */
#define AMLP_KNN_SCRATCH (8u << 20)

/* Squared norm of each of the n rows of x (n x d) into sq. */
void amlp_knn_sqnorms(const float *x, size_t n, size_t d, float *sq);

/* Query rows per block for nt training rows: the distance scratch of a block
 * (rows x nt floats) stays under AMLP_KNN_SCRATCH (at least 16 rows). */
size_t amlp_knn_block_rows(size_t nt);

/* For each of the nq query rows (nq x d), its k nearest of the nt training
 * rows (nt x d, squared norms in train_sq), nearest first, ties broken by the
 * lower index: idx (nq x k) and squared distances dist (nq x k), recomputed
 * exactly (double) for the chosen rows.  k <= nt.  `threads` threads select
 * in parallel.  `scratch`: min(nq, amlp_knn_block_rows(nt)) x nt floats, or
 * NULL to allocate it here (callers searching block after block pass one, so
 * the large buffer is not faulted in again for every block).  Returns 0 or
 * AML_ENOMEM. */
int amlp_knn_search(const float *train, const float *train_sq, size_t nt, size_t d,
                    const float *query, size_t nq, size_t k, int threads, float *scratch,
                    uint32_t *idx, float *dist);

#endif
