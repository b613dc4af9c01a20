/* bytes.c — byte serialisation: a growing buffer that writes fixed-width
 * little-endian values, and a bounded reader that fails past the end (model
 * files are untrusted input). */
#include "aml_base.h"

#include <string.h>

int amlp_bytes_put(amlp_bytes *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *p = amlp_realloc(b->data, cap);
        if (!p)
            return AML_ENOMEM;
        b->data = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

int amlp_bytes_put_u64(amlp_bytes *b, uint64_t v)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return amlp_bytes_put(b, le, 8);
}

int amlp_bytes_put_f64(amlp_bytes *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return amlp_bytes_put_u64(b, u);
}

int amlp_read(amlp_reader *r, void *out, size_t len)
{
    if (len > r->len - r->pos)
        return AML_EPARSE;
    memcpy(out, r->data + r->pos, len);
    r->pos += len;
    return 0;
}

int amlp_read_u64(amlp_reader *r, uint64_t *v)
{
    unsigned char le[8];
    if (amlp_read(r, le, 8))
        return AML_EPARSE;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)le[i] << (8 * i);
    return 0;
}

int amlp_read_f64(amlp_reader *r, double *v)
{
    uint64_t u;
    if (amlp_read_u64(r, &u))
        return AML_EPARSE;
    memcpy(v, &u, 8);
    return 0;
}
