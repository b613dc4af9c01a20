/*
 * features_io.c — a fitted feature pipeline to bytes and back (little-endian
 * counts, raw floats), with every count and index checked on load so that
 * damaged bytes give AML_EPARSE, never an out-of-range apply.
 */
#include "features/features_internal.h"

#include <string.h>

static const char MAGIC[4] = {'A', 'M', 'L', 'F'};
#define VERSION 1

static int put_arr(amlp_bytes *b, const void *p, size_t n, size_t size)
{
    int rc = amlp_bytes_put_u64(b, n);
    return rc ? rc : amlp_bytes_put(b, p, n * size);
}

static int put_str(amlp_bytes *b, const char *s)
{
    return put_arr(b, s ? s : "", s ? strlen(s) : 0, 1);
}

int aml_features_save(const aml_features *f, unsigned char **bytes, size_t *len, aml_error *err)
{
    *bytes = NULL;
    *len = 0;
    amlp_bytes b = {0};
    int rc = amlp_bytes_put(&b, MAGIC, 4);
    uint64_t head[] = {VERSION, f->steps, f->in_cols, f->passthrough, f->selected,
                       f->keep_base, (uint64_t)f->importance_kind, (uint64_t)f->km_iters};
    for (size_t i = 0; rc == 0 && i < sizeof head / sizeof head[0]; i++)
        rc = amlp_bytes_put_u64(&b, head[i]);
    rc = rc ? rc : put_arr(&b, f->base, f->n_base, sizeof(uint32_t));
    rc = rc ? rc : put_arr(&b, f->pair_a, f->n_pairs, sizeof(uint32_t));
    rc = rc ? rc : amlp_bytes_put(&b, f->pair_b, f->n_pairs * sizeof(uint32_t));
    rc = rc ? rc : amlp_bytes_put(&b, f->pair_eps, f->n_pairs * sizeof(float));
    rc = rc ? rc : amlp_bytes_put_u64(&b, f->n_groups);
    for (size_t i = 0; rc == 0 && i < f->n_groups; i++) {
        const amlp_feat_group *g = &f->groups[i];
        rc = put_str(&b, g->name);
        rc = rc ? rc : amlp_bytes_put_u64(&b, g->onehot);
        rc = rc ? rc : put_arr(&b, g->members, g->n_members, sizeof(uint32_t));
        rc = rc ? rc : amlp_bytes_put_u64(&b, g->n_levels);
        if (!g->onehot)
            rc = rc ? rc : amlp_bytes_put(&b, g->levels, (g->n_levels - 1) * sizeof(float));
        rc = rc ? rc : amlp_bytes_put(&b, g->freq, g->n_levels * sizeof(float));
        rc = rc ? rc : put_arr(&b, g->num, g->n_num, sizeof(uint32_t));
        rc = rc ? rc : amlp_bytes_put(&b, g->mean, g->n_num * g->n_levels * sizeof(float));
    }
    rc = rc ? rc : amlp_bytes_put_u64(&b, f->mu != NULL);
    if (f->mu) {
        rc = rc ? rc : amlp_bytes_put(&b, f->mu, f->n_base * sizeof(float));
        rc = rc ? rc : amlp_bytes_put(&b, f->sd, f->n_base * sizeof(float));
    }
    rc = rc ? rc : put_arr(&b, f->pca_explained, f->pca_k, sizeof(float));
    rc = rc ? rc : amlp_bytes_put(&b, f->pca_v, f->pca_k * f->n_base * sizeof(float));
    rc = rc ? rc : put_arr(&b, f->km_cc, f->km_k, sizeof(float));
    rc = rc ? rc : amlp_bytes_put(&b, f->km_c, f->km_k * f->n_base * sizeof(float));
    rc = rc ? rc : amlp_bytes_put_u64(&b, f->n_out);
    for (size_t j = 0; rc == 0 && j < f->n_out; j++)
        rc = put_str(&b, f->names[j]);
    rc = rc ? rc : amlp_bytes_put_u64(&b, f->notes != NULL);
    rc = rc ? rc : put_str(&b, f->notes);
    if (rc) {
        amlp_free(b.data);
        return aml_error_set(err, rc, 0, 0, "features", "out of memory");
    }
    *bytes = b.data;
    *len = b.len;
    return 0;
}

/* ---- load ---- */

static int get_u64(amlp_reader *r, uint64_t max, size_t *v)
{
    uint64_t u;
    if (amlp_read_u64(r, &u) || u > max)
        return AML_EPARSE;
    *v = (size_t)u;
    return 0;
}

/* n items of `size` bytes into a new array (n may be 0: a 1-byte block). */
static int get_block(amlp_reader *r, size_t n, size_t size, void **out)
{
    if (n > (r->len - r->pos) / (size ? size : 1))
        return AML_EPARSE;
    *out = amlp_malloc(n * size + 1);
    if (!*out)
        return AML_ENOMEM;
    return amlp_read(r, *out, n * size);
}

static int get_arr(amlp_reader *r, size_t *n, size_t size, void **out)
{
    int rc = get_u64(r, (r->len - r->pos) / size, n);
    return rc ? rc : get_block(r, *n, size, out);
}

static int get_str(amlp_reader *r, char **out)
{
    size_t n;
    int rc = get_u64(r, r->len - r->pos, &n);
    char *s = rc ? NULL : amlp_malloc(n + 1);
    rc = rc ? rc : s ? amlp_read(r, s, n) : AML_ENOMEM;
    if (rc) {
        amlp_free(s);
        return rc;
    }
    s[n] = 0;
    *out = s;
    return 0;
}

static bool below(const uint32_t *v, size_t n, size_t limit)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] >= limit)
            return false;
    return true;
}

static int load_group(amlp_reader *r, amlp_feat_group *g, size_t n_base)
{
    size_t onehot = 0;
    int rc = get_str(r, &g->name);
    rc = rc ? rc : get_u64(r, 1, &onehot);
    g->onehot = onehot;
    rc = rc ? rc : get_arr(r, &g->n_members, sizeof(uint32_t), (void **)&g->members);
    rc = rc ? rc : get_u64(r, r->len, &g->n_levels);
    if (rc == 0 && (g->n_levels < 1 || !below(g->members, g->n_members, n_base) ||
                    (g->onehot ? g->n_levels != g->n_members + 1 : g->n_members != 1)))
        rc = AML_EPARSE;
    if (rc == 0 && !g->onehot)
        rc = get_block(r, g->n_levels - 1, sizeof(float), (void **)&g->levels);
    rc = rc ? rc : get_block(r, g->n_levels, sizeof(float), (void **)&g->freq);
    rc = rc ? rc : get_arr(r, &g->n_num, sizeof(uint32_t), (void **)&g->num);
    rc = rc ? rc : below(g->num, g->n_num, n_base) ? 0 : AML_EPARSE;
    if (rc == 0 && g->n_levels && g->n_num > (r->len - r->pos) / g->n_levels)
        rc = AML_EPARSE;
    rc = rc ? rc : get_block(r, g->n_num * g->n_levels, sizeof(float), (void **)&g->mean);
    return rc;
}

static int load_body(amlp_reader *r, aml_features *f)
{
    uint64_t head[8];
    char magic[4];
    int rc = amlp_read(r, magic, 4);
    rc = rc ? rc : memcmp(magic, MAGIC, 4) ? AML_EPARSE : 0;
    for (size_t i = 0; rc == 0 && i < 8; i++)
        rc = amlp_read_u64(r, &head[i]);
    if (rc == 0 && (head[0] != VERSION || head[1] > AML_FEATURES_ALL || head[2] == 0 ||
                    head[2] > UINT32_MAX || head[6] > 2 || head[7] > INT32_MAX))
        rc = AML_EPARSE;
    if (rc)
        return AML_EPARSE;
    f->steps = (unsigned)head[1];
    f->in_cols = head[2];
    f->passthrough = head[3];
    f->selected = head[4];
    f->keep_base = head[5];
    f->importance_kind = (int)head[6];
    f->km_iters = (int)head[7];
    rc = get_arr(r, &f->n_base, sizeof(uint32_t), (void **)&f->base);
    rc = rc ? rc : below(f->base, f->n_base, f->in_cols) ? 0 : AML_EPARSE;
    size_t d = f->n_base;
    rc = rc ? rc : get_arr(r, &f->n_pairs, sizeof(uint32_t), (void **)&f->pair_a);
    rc = rc ? rc : get_block(r, f->n_pairs, sizeof(uint32_t), (void **)&f->pair_b);
    rc = rc ? rc : get_block(r, f->n_pairs, sizeof(float), (void **)&f->pair_eps);
    if (rc == 0 && (!below(f->pair_a, f->n_pairs, d) || !below(f->pair_b, f->n_pairs, d)))
        rc = AML_EPARSE;
    size_t ng = 0;
    rc = rc ? rc : get_u64(r, r->len - r->pos, &ng);
    if (rc == 0 && !(f->groups = amlp_calloc(ng + 1, sizeof *f->groups)))
        rc = AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < ng; i++) {
        f->n_groups++;
        rc = load_group(r, &f->groups[i], d);
    }
    size_t has_scaler = 0;
    rc = rc ? rc : get_u64(r, 1, &has_scaler);
    if (rc == 0 && has_scaler) {
        rc = get_block(r, d, sizeof(float), (void **)&f->mu);
        rc = rc ? rc : get_block(r, d, sizeof(float), (void **)&f->sd);
    }
    rc = rc ? rc : get_arr(r, &f->pca_k, sizeof(float), (void **)&f->pca_explained);
    if (rc == 0 && d && f->pca_k > (r->len - r->pos) / d)
        rc = AML_EPARSE;
    rc = rc ? rc : get_block(r, f->pca_k * d, sizeof(float), (void **)&f->pca_v);
    rc = rc ? rc : get_arr(r, &f->km_k, sizeof(float), (void **)&f->km_cc);
    if (rc == 0 && d && f->km_k > (r->len - r->pos) / d)
        rc = AML_EPARSE;
    rc = rc ? rc : get_block(r, f->km_k * d, sizeof(float), (void **)&f->km_c);
    if (rc == 0 && (f->pca_k || f->km_k) && !f->mu)
        rc = AML_EPARSE;
    size_t n_out = 0;
    rc = rc ? rc : get_u64(r, r->len - r->pos, &n_out);
    for (size_t j = 0; rc == 0 && j < n_out; j++) {
        char *s = NULL;
        rc = get_str(r, &s);
        rc = rc ? rc : amlp_feat_add_name(f, s);
    }
    size_t expect = f->passthrough ? f->in_cols
                                   : (f->keep_base ? d : 0) + 3 * f->n_pairs +
                                         amlp_feat_group_n_out(f) + f->pca_k + f->km_k;
    if (rc == 0 && (n_out != expect || (f->passthrough && (f->selected || f->steps))))
        rc = AML_EPARSE;
    size_t has_notes = 0;
    rc = rc ? rc : get_u64(r, 1, &has_notes);
    char *notes = NULL;
    rc = rc ? rc : get_str(r, &notes);
    if (rc == 0 && has_notes)
        f->notes = notes;
    else
        amlp_free(notes);
    if (rc == 0 && r->pos != r->len)
        rc = AML_EPARSE;
    return rc;
}

int aml_features_load(const unsigned char *bytes, size_t len, aml_features **out, aml_error *err)
{
    *out = NULL;
    aml_features *f = amlp_calloc(1, sizeof *f);
    if (!f)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "features", "out of memory");
    amlp_reader r = {bytes, bytes ? len : 0, 0};
    int rc = load_body(&r, f);
    if (rc) {
        aml_features_free(f);
        return aml_error_set(err, rc, 0, 0, "features", "%s",
                             rc == AML_EPARSE ? "damaged or truncated feature pipeline"
                                              : "out of memory");
    }
    *out = f;
    return 0;
}
