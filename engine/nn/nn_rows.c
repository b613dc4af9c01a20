/* nn_rows.c — rows of a prepared matrix (dense or CSR) as dense floats with
 * missing values as 0: how the neural network, k-NN and naive Bayes read
 * their input a block at a time. */
#include "aml_nn.h"

#include <math.h>
#include <string.h>

void amlp_nn_gather_rows(const aml_matrix *m, const size_t *idx, size_t first, size_t n,
                         float *out)
{
    size_t d = m->cols;
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : first + i;
        float *o = out + i * d;
        if (m->dense) {
            const float *src = m->dense + r * d;
            for (size_t j = 0; j < d; j++)
                o[j] = isnan(src[j]) ? 0.0f : src[j];
        } else {
            memset(o, 0, d * sizeof(float));
            for (size_t p = m->indptr[r]; p < m->indptr[r + 1]; p++)
                o[m->indices[p]] = isnan(m->values[p]) ? 0.0f : m->values[p];
        }
    }
}
