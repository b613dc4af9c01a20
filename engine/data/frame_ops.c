/* frame_ops.c — frame operations that build new columns: change of type
 * (re-parsing each cell's text), column selection and row slices. */

#include "aml_data.h"
#include <string.h>

static int copy_col(const amlp_col *src, size_t row0, size_t n, amlp_col *dst)
{
    amlp_col_init(dst, src->type);
    dst->flags = src->flags;
    dst->name = amlp_strdup(src->name);
    int rc = dst->name ? amlp_col_reserve(dst, n + 1) : AML_ENOMEM;
    if (!rc && src->type == AML_TYPE_CATEGORICAL) {
        /* Keep the level order (codes stay the same) even for slices. */
        for (size_t l = 0; l < amlp_dict_count(&src->dict) && !rc; l++) {
            uint32_t code;
            rc = amlp_dict_intern(&dst->dict, amlp_strpool_get(&src->dict.pool, l),
                                  amlp_strpool_len(&src->dict.pool, l), &code);
        }
    }
    if (!rc)
        rc = amlp_col_append(dst, src, row0, n);
    if (!rc)
        dst->first_fail_row = SIZE_MAX;
    if (rc)
        amlp_col_clear(dst);
    return rc;
}

static int frame_from_cols(const aml_frame *f, const size_t *cols, size_t ncols, size_t row0,
                           size_t n, aml_frame **out)
{
    aml_frame *nf;
    int rc = aml_frame_new(&nf);
    if (rc)
        return rc;
    for (size_t k = 0; k < ncols; k++) {
        amlp_col c;
        rc = copy_col(&f->cols[cols ? cols[k] : k], row0, n, &c);
        if (!rc) {
            rc = amlp_frame_push_col(nf, &c);
            if (rc)
                amlp_col_clear(&c);
        }
        if (rc) {
            aml_frame_free(nf);
            return rc;
        }
    }
    nf->nrows = n;
    *out = nf;
    return 0;
}

int aml_frame_select(const aml_frame *frame, const size_t *cols, size_t ncols, aml_frame **out)
{
    if (!out)
        return AML_EINVAL;
    *out = NULL;
    if (!frame || (ncols && !cols))
        return AML_EINVAL;
    for (size_t k = 0; k < ncols; k++) {
        if (cols[k] >= frame->ncols)
            return AML_EINVAL;
        for (size_t j = 0; j < k; j++)
            if (cols[j] == cols[k])
                return AML_EINVAL;
    }
    return frame_from_cols(frame, cols, ncols, 0, frame->nrows, out);
}

int aml_frame_slice(const aml_frame *frame, size_t row0, size_t nrows, aml_frame **out)
{
    if (!out)
        return AML_EINVAL;
    *out = NULL;
    if (!frame)
        return AML_EINVAL;
    if (row0 > frame->nrows)
        row0 = frame->nrows;
    if (nrows > frame->nrows - row0)
        nrows = frame->nrows - row0;
    return frame_from_cols(frame, NULL, frame->ncols, row0, nrows, out);
}

int aml_frame_set_type(aml_frame *frame, size_t col, aml_type type, size_t *n_invalid,
                       aml_error *err)
{
    if (!frame || col >= frame->ncols)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "no column %zu", col);
    amlp_col *old = &frame->cols[col];
    if ((unsigned)type >= AML_TYPE_COUNT_)
        return aml_error_set(err, AML_EINVAL, 0, 0, old->name, "bad type %d", (int)type);
    if (type == old->type) {
        if (n_invalid)
            *n_invalid = old->n_invalid;
        return 0;
    }
    amlp_col c;
    amlp_col_init(&c, type);
    c.name = amlp_strdup(old->name);
    int rc = c.name ? amlp_col_reserve(&c, old->n + 1) : AML_ENOMEM;
    char small[64];
    char *buf = small;
    size_t cap = sizeof small;
    for (size_t r = 0; r < old->n && !rc; r++) {
        if (!amlp_bit(old->valid, r) && !amlp_col_invalid_text(old, r)) {
            rc = amlp_col_push_missing(&c);
            continue;
        }
        size_t len = amlp_col_cell_str(old, r, buf, cap);
        if (len >= cap) {
            char *nb = amlp_malloc(len + 1);
            if (!nb) {
                rc = AML_ENOMEM;
                break;
            }
            if (buf != small)
                amlp_free(buf);
            buf = nb;
            cap = len + 1;
            amlp_col_cell_str(old, r, buf, cap);
        }
        rc = amlp_col_push(&c, buf, len);
    }
    if (buf != small)
        amlp_free(buf);
    if (rc) {
        amlp_col_clear(&c);
        return aml_error_set(err, rc, 0, 0, old->name, "%s", aml_strerror(rc));
    }
    c.flags = (old->flags & ~(unsigned)(AML_COL_DEMOTED)) | AML_COL_FORCED;
    c.first_fail_row = SIZE_MAX;
    if (amlp_infer_flags(&c)) {
        amlp_col_clear(&c);
        return aml_error_set(err, AML_ENOMEM, 0, 0, old->name, "out of memory");
    }
    c.flags |= AML_COL_FORCED;
    amlp_col_shrink(&c);
    if (n_invalid)
        *n_invalid = c.n_invalid;
    amlp_col_clear(old);
    *old = c;
    return 0;
}
