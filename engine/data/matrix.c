/* matrix.c — prepared-feature matrices: dense (row-major floats, NAN =
 * missing) or CSR sparse; creation, element access and row selection. */
#include "aml_data.h"
#include "aml_base.h"

#include <math.h>
#include <string.h>

int aml_matrix_new(size_t rows, size_t cols, aml_matrix **out)
{
    *out = NULL;
    if (cols && rows > SIZE_MAX / cols / sizeof(float))
        return AML_ENOMEM;
    aml_matrix *m = amlp_calloc(1, sizeof *m);
    float *d = amlp_calloc(rows * cols + 1, sizeof *d);
    if (!m || !d) {
        amlp_free(m);
        amlp_free(d);
        return AML_ENOMEM;
    }
    m->rows = rows;
    m->cols = cols;
    m->dense = d;
    m->owned = true;
    *out = m;
    return 0;
}

void aml_matrix_free(aml_matrix *m)
{
    if (!m)
        return;
    if (m->owned) {
        amlp_free(m->dense);
        amlp_free(m->indptr);
        amlp_free(m->indices);
        amlp_free(m->values);
    }
    amlp_free(m);
}

float aml_matrix_get(const aml_matrix *m, size_t r, size_t c)
{
    if (r >= m->rows || c >= m->cols)
        return NAN;
    if (m->dense)
        return m->dense[r * m->cols + c];
    /* CSR: indices within a row are ascending */
    size_t lo = m->indptr[r], hi = m->indptr[r + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->indices[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->indptr[r + 1] && m->indices[lo] == c ? m->values[lo] : 0.0f;
}

int aml_matrix_take_rows(const aml_matrix *m, const size_t *idx, size_t n, aml_matrix **out)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= m->rows)
            return AML_EINVAL;
    if (m->dense) {
        int rc = aml_matrix_new(n, m->cols, out);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i++)
            memcpy((*out)->dense + i * m->cols, m->dense + idx[i] * m->cols,
                   m->cols * sizeof(float));
        return 0;
    }
    size_t nnz = 0;
    for (size_t i = 0; i < n; i++)
        nnz += m->indptr[idx[i] + 1] - m->indptr[idx[i]];
    aml_matrix *s = amlp_calloc(1, sizeof *s);
    size_t *ptr = amlp_calloc(n + 1, sizeof *ptr);
    uint32_t *ind = amlp_calloc(nnz + 1, sizeof *ind);
    float *val = amlp_calloc(nnz + 1, sizeof *val);
    if (!s || !ptr || !ind || !val) {
        amlp_free(s);
        amlp_free(ptr);
        amlp_free(ind);
        amlp_free(val);
        return AML_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = m->indptr[idx[i]], b = m->indptr[idx[i] + 1];
        memcpy(ind + k, m->indices + a, (b - a) * sizeof *ind);
        memcpy(val + k, m->values + a, (b - a) * sizeof *val);
        k += b - a;
        ptr[i + 1] = k;
    }
    s->rows = n;
    s->cols = m->cols;
    s->indptr = ptr;
    s->indices = ind;
    s->values = val;
    s->owned = true;
    *out = s;
    return 0;
}
