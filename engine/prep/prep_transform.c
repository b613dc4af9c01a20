/* prep_transform.c — applying a fitted preparation pipeline to rows of a
 * frame: finds each step's column by name, writes the dense features (scaled
 * where fitted) into a dense matrix, or, when there is text, assembles a CSR
 * matrix from the dense steps and the hashed TF-IDF blocks; and the target
 * as class index or value per row. */
#include "prep/prep_internal.h"

#include <math.h>
#include <string.h>

/* One step's output for the rows: dense floats (n x width) or CSR. */
typedef struct block {
    float *dense;
    size_t *indptr;
    uint32_t *idx;
    float *val;
} block;

static void block_free(block *b)
{
    amlp_free(b->dense);
    amlp_free(b->indptr);
    amlp_free(b->idx);
    amlp_free(b->val);
}

/* Dense step c into out (stride `ld`, starting at column `col0`), scaled. */
static int dense_step(const aml_prep *p, const amlp_prep_col *c, const aml_frame *f,
                      size_t fcol, const size_t *rows, size_t n, bool oof, double *buf,
                      float *out, size_t ld, size_t col0, aml_error *err)
{
    int rc = amlp_prep_emit(p, c, f, fcol, rows, n, oof, buf, err);
    if (rc)
        return rc;
    size_t w = c->width;
    const double *ce = p->center + c->first, *sc = p->scale + c->first;
    for (size_t i = 0; i < n; i++) {
        const double *b = buf + i * w;
        float *o = out + i * ld + col0;
        for (size_t k = 0; k < w; k++)
            o[k] = (float)((b[k] - ce[k]) / sc[k]);
    }
    return 0;
}

/* CSR from per-step blocks, features in step order. */
static int assemble_csr(const aml_prep *p, const block *bl, size_t n, aml_matrix *m)
{
    m->indptr = amlp_malloc((n + 1) * sizeof *m->indptr);
    if (!m->indptr)
        return AML_ENOMEM;
    size_t nnz = 0;
    for (size_t i = 0; i < n; i++) {
        m->indptr[i] = nnz;
        for (size_t s = 0; s < p->n_cols; s++) {
            const amlp_prep_col *c = &p->cols[s];
            if (bl[s].dense) {
                const float *d = bl[s].dense + i * c->width;
                for (size_t k = 0; k < c->width; k++)
                    nnz += d[k] != 0.0f;
            } else {
                nnz += bl[s].indptr[i + 1] - bl[s].indptr[i];
            }
        }
    }
    m->indptr[n] = nnz;
    m->indices = amlp_malloc((nnz + 1) * sizeof *m->indices);
    m->values = amlp_malloc((nnz + 1) * sizeof *m->values);
    if (!m->indices || !m->values)
        return AML_ENOMEM;
    size_t k0 = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < p->n_cols; s++) {
            const amlp_prep_col *c = &p->cols[s];
            if (bl[s].dense) {
                const float *d = bl[s].dense + i * c->width;
                for (size_t k = 0; k < c->width; k++)
                    if (d[k] != 0.0f) {
                        m->indices[k0] = (uint32_t)(c->first + k);
                        m->values[k0++] = d[k];
                    }
            } else {
                for (size_t e = bl[s].indptr[i]; e < bl[s].indptr[i + 1]; e++) {
                    m->indices[k0] = (uint32_t)(c->first + bl[s].idx[e]);
                    m->values[k0++] = bl[s].val[e];
                }
            }
        }
    }
    return 0;
}

static int transform_sparse(const aml_prep *p, const aml_frame *f, const size_t *fcols,
                            const size_t *rows, size_t n, bool oof, double *buf,
                            aml_matrix *m, aml_error *err)
{
    block *bl = amlp_calloc(p->n_cols + 1, sizeof *bl);
    if (!bl)
        return AML_ENOMEM;
    int rc = 0;
    for (size_t s = 0; rc == 0 && s < p->n_cols; s++) {
        const amlp_prep_col *c = &p->cols[s];
        if (c->kind == AMLP_PK_TEXT) {
            rc = amlp_prep_text_rows(p, c, f, fcols[s], rows, n, &bl[s].indptr, &bl[s].idx,
                                     &bl[s].val);
            continue;
        }
        bl[s].dense = amlp_malloc((n * c->width + 1) * sizeof *bl[s].dense);
        rc = bl[s].dense ? dense_step(p, c, f, fcols[s], rows, n, oof, buf, bl[s].dense,
                                      c->width, 0, err)
                         : AML_ENOMEM;
        if (rc) {
            amlp_free(bl[s].dense);
            bl[s].dense = NULL;
        }
    }
    if (rc == 0)
        rc = assemble_csr(p, bl, n, m);
    for (size_t s = 0; s < p->n_cols; s++)
        block_free(&bl[s]);
    amlp_free(bl);
    return rc;
}

int aml_prep_transform(const aml_prep *p, const aml_frame *f, const size_t *rows,
                       size_t n_rows, aml_matrix **X, float **y, aml_error *err)
{
    *X = NULL;
    if (y)
        *y = NULL;
    size_t nrows = aml_frame_nrows(f), n = rows ? n_rows : nrows;
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= nrows)
            return aml_error_set(err, AML_EINVAL, 0, 0, "", "row %zu is outside the frame "
                                 "(%zu rows)", rows[i], nrows);
    size_t *fcols = amlp_malloc((p->n_cols + 1) * sizeof *fcols);
    if (!fcols)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    int rc = 0;
    size_t wmax = 1;
    for (size_t s = 0; s < p->n_cols; s++) {
        long c = aml_frame_col_index(f, p->cols[s].name);
        if (c < 0) {
            rc = aml_error_set(err, AML_EINVAL, 0, 0, p->cols[s].name,
                               "the frame has no column '%s', which the model uses",
                               p->cols[s].name);
            break;
        }
        fcols[s] = (size_t)c;
        if (p->cols[s].kind != AMLP_PK_TEXT && p->cols[s].width > wmax)
            wmax = p->cols[s].width;
    }
    bool oof = rc == 0 && amlp_prep_is_fit_frame(p, f);
    double *buf = rc ? NULL : amlp_malloc((n * wmax + 1) * sizeof *buf);
    aml_matrix *m = NULL;
    if (rc == 0 && !buf)
        rc = AML_ENOMEM;
    if (rc == 0 && !p->sparse) {
        rc = aml_matrix_new(n, p->n_features, &m);
        for (size_t s = 0; rc == 0 && s < p->n_cols; s++)
            rc = dense_step(p, &p->cols[s], f, fcols[s], rows, n, oof, buf, m->dense,
                            p->n_features, p->cols[s].first, err);
    } else if (rc == 0) {
        m = amlp_calloc(1, sizeof *m);
        if (!m) {
            rc = AML_ENOMEM;
        } else {
            m->rows = n;
            m->cols = p->n_features;
            m->owned = true;
            rc = transform_sparse(p, f, fcols, rows, n, oof, buf, m, err);
        }
    }
    amlp_free(buf);
    amlp_free(fcols);
    long tcol = aml_frame_col_index(f, p->target);
    if (rc == 0 && y && tcol >= 0) {
        *y = amlp_malloc((n + 1) * sizeof **y);
        rc = *y ? amlp_prep_target_values(p, f, (size_t)tcol, rows, n, *y, err) : AML_ENOMEM;
    }
    if (rc) {
        aml_matrix_free(m);
        if (y) {
            amlp_free(*y);
            *y = NULL;
        }
        if (rc == AML_ENOMEM && (!err || err->code != AML_ENOMEM))
            aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        return rc;
    }
    *X = m;
    return 0;
}
