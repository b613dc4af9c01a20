/*
 * features.c — the feature-engineering pipeline (aml_features.h): options,
 * fitting the steps in order on the training rows, applying them in blocks
 * of rows, names, and the pipeline in words.  The steps themselves live in
 * features_select.c, features_construct.c, features_group.c,
 * features_pca.c and features_kmeans.c; serialisation in features_io.c.
 */
#include "features/features_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_ROWS 1024

aml_features_options aml_features_options_default(void)
{
    aml_features_options o = {0};
    o.steps = AML_FEATURES_CONSTRUCT | AML_FEATURES_GROUP | AML_FEATURES_PCA |
              AML_FEATURES_KMEANS;
    o.construct_top = 4;
    o.group_max = 4;
    o.group_max_levels = 64;
    o.group_numeric = 2;
    o.pca_variance = 0.95;
    o.pca_max = 16;
    o.kmeans_k = 8;
    o.kmeans_iters = 25;
    o.dense_max_cols = 512;
    o.seed = 1;
    return o;
}

char *amlp_feat_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = amlp_malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int amlp_feat_note(aml_features *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *s = amlp_feat_printf("%s%s%s", f->notes ? f->notes : "", f->notes ? " " : "", line);
    if (!s)
        return AML_ENOMEM;
    amlp_free(f->notes);
    f->notes = s;
    return 0;
}

int amlp_feat_add_name(aml_features *f, char *name)
{
    if (!name)
        return AML_ENOMEM;
    if ((f->n_out & (f->n_out - 1)) == 0) {   /* grow at powers of two */
        char **p = amlp_realloc(f->names, (f->n_out ? 2 * f->n_out : 1) * sizeof *p);
        if (!p) {
            amlp_free(name);
            return AML_ENOMEM;
        }
        f->names = p;
    }
    f->names[f->n_out++] = name;
    return 0;
}

void aml_features_free(aml_features *f)
{
    if (!f)
        return;
    amlp_free(f->base);
    amlp_free(f->pair_a);
    amlp_free(f->pair_b);
    amlp_free(f->pair_eps);
    for (size_t i = 0; f->groups && i < f->n_groups; i++)
        amlp_feat_group_free(&f->groups[i]);
    amlp_free(f->groups);
    amlp_free(f->mu);
    amlp_free(f->sd);
    amlp_free(f->pca_v);
    amlp_free(f->pca_explained);
    amlp_free(f->km_c);
    amlp_free(f->km_cc);
    for (size_t j = 0; f->names && j < f->n_out; j++)
        amlp_free(f->names[j]);
    amlp_free(f->names);
    amlp_free(f->notes);
    amlp_free(f);
}

/* ---- the base block ---- */

/* Base columns of rows r0 .. r0+n-1 into B (n x n_base).  `map` (CSR only):
 * input column -> base index + 1, or 0. */
static void gather(const aml_features *f, const aml_matrix *X, const uint32_t *map, size_t r0,
                   size_t n, float *B)
{
    size_t d = f->n_base;
    for (size_t i = 0; i < n; i++) {
        float *b = B + i * d;
        if (X->dense) {
            const float *row = X->dense + (r0 + i) * X->cols;
            for (size_t j = 0; j < d; j++)
                b[j] = row[f->base[j]];
            continue;
        }
        memset(b, 0, d * sizeof(float));
        for (size_t p = X->indptr[r0 + i]; p < X->indptr[r0 + i + 1]; p++)
            if (X->indices[p] < X->cols && map[X->indices[p]])
                b[map[X->indices[p]] - 1] = X->values[p];
    }
}

static uint32_t *column_map(const aml_features *f, const aml_matrix *X)
{
    if (X->dense)
        return NULL;
    uint32_t *map = amlp_calloc(X->cols + 1, sizeof *map);
    for (size_t j = 0; map && j < f->n_base; j++)
        map[f->base[j]] = (uint32_t)j + 1;
    return map;
}

static void standardize(const aml_features *f, const float *B, size_t n, float *Z)
{
    size_t d = f->n_base;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            float v = B[i * d + j];
            Z[i * d + j] = isnan(v) ? 0.0f : (v - f->mu[j]) / f->sd[j];
        }
}

static int fit_scaler(aml_features *f, const float *B, size_t rows)
{
    size_t d = f->n_base;
    f->mu = amlp_malloc(d * sizeof(float));
    f->sd = amlp_malloc(d * sizeof(float));
    if (!f->mu || !f->sd)
        return AML_ENOMEM;
    for (size_t j = 0; j < d; j++) {
        double s = 0, n = 0;
        for (size_t r = 0; r < rows; r++)
            if (!isnan(B[r * d + j])) {
                s += B[r * d + j];
                n += 1;
            }
        double m = n > 0 ? s / n : 0, ss = 0;
        for (size_t r = 0; r < rows; r++)
            if (!isnan(B[r * d + j]))
                ss += (B[r * d + j] - m) * (B[r * d + j] - m);
        double sd = n > 0 ? sqrt(ss / n) : 0;
        f->mu[j] = (float)m;
        f->sd[j] = sd > 1e-6 * fabs(m) + 1e-30 ? (float)sd : 1.0f;
    }
    return 0;
}

/* ---- fit ---- */

static int check_matrix(const aml_matrix *X, aml_error *err)
{
    if (!X->dense && !(X->indptr && (X->indices || X->indptr[X->rows] == 0)))
        return aml_error_set(err, AML_EINVAL, 0, 0, "features", "the matrix has no data");
    if (X->cols > UINT32_MAX - 1)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features", "too many columns");
    return 0;
}

static int fit_steps(aml_features *f, const aml_matrix *X, const float *y, aml_task task,
                     size_t n_classes, const aml_prep *prep, const float *imp,
                     const aml_features_options *o, aml_error *err)
{
    size_t rows = X->rows, d = f->n_base;
    float *B = amlp_malloc(rows * d * sizeof(float) + 1);
    float *bimp = amlp_malloc(d * sizeof(float) + 1);
    unsigned char *kind = amlp_malloc(d + 1);
    uint32_t *map = column_map(f, X);
    char **names = amlp_malloc(d * sizeof(char *) + 1);   /* f->names grows below */
    int rc = B && bimp && kind && names && (X->dense || map) ? 0 : AML_ENOMEM;
    if (rc == 0) {
        memcpy(names, f->names, d * sizeof(char *));
        gather(f, X, map, 0, rows, B);
        for (size_t j = 0; j < d; j++)
            bimp[j] = imp[f->base[j]];
        rc = amlp_feat_kinds(B, rows, d, o->group_max_levels, kind);
    }
    amlp_feat_fit fit = {B, rows, d, y, task, n_classes, bimp, (const char *const *)names,
                         prep, f->base, o};
    if (rc == 0 && (o->steps & AML_FEATURES_CONSTRUCT))
        rc = amlp_feat_construct_fit(f, &fit, kind);
    if (rc == 0 && (o->steps & AML_FEATURES_GROUP))
        rc = amlp_feat_group_fit(f, &fit, kind);
    if (rc == 0 && (o->steps & (AML_FEATURES_PCA | AML_FEATURES_KMEANS))) {
        rc = fit_scaler(f, B, rows);
        if (rc == 0) {   /* standardize in place: B is not needed any more */
            standardize(f, B, rows, B);
            if (o->steps & AML_FEATURES_PCA)
                rc = amlp_feat_pca_fit(f, B, rows, o, err);
            if (rc == 0 && (o->steps & AML_FEATURES_KMEANS))
                rc = amlp_feat_kmeans_fit(f, B, rows, o, err);
        }
    }
    if (rc == 0 && f->pca_k && o->pca_replace) {   /* drop the base names */
        for (size_t j = 0; j < d; j++)
            amlp_free(f->names[j]);
        memmove(f->names, f->names + d, (f->n_out - d) * sizeof *f->names);
        f->n_out -= d;
        f->keep_base = false;
    }
    amlp_free(B);
    amlp_free(bimp);
    amlp_free(kind);
    amlp_free(map);
    amlp_free(names);
    return rc;
}

int aml_features_fit(const aml_matrix *X, const float *y, aml_task task, size_t n_classes,
                     const aml_prep *prep, const float *importance,
                     const aml_features_options *opts, aml_features **out, aml_error *err)
{
    if (!out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features", "no output pointer");
    *out = NULL;
    if (!X || !y)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features", "no matrix or target");
    if (X->rows == 0 || X->cols == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "features", "no rows or no columns");
    int rc = check_matrix(X, err);
    if (rc)
        return rc;
    if (prep && aml_prep_n_features(prep) != X->cols)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features",
                             "the preparation has %zu features, the matrix %zu columns",
                             aml_prep_n_features(prep), X->cols);
    aml_features_options o = opts ? *opts : aml_features_options_default();
    aml_features *f = amlp_calloc(1, sizeof *f);
    float *imp = amlp_malloc(X->cols * sizeof(float));
    f = f && imp ? f : (amlp_free(f), NULL);
    if (!f) {
        amlp_free(imp);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "features", "out of memory");
    }
    f->in_cols = X->cols;
    f->keep_base = true;
    f->importance_kind = importance ? 0 : task == AML_TASK_MULTICLASS ? 2 : 1;
    if (importance)
        for (size_t j = 0; j < X->cols; j++)
            imp[j] = isnan(importance[j]) ? 0 : importance[j];
    else
        rc = amlp_feat_importance(X, y, task, n_classes, imp);
    size_t k = X->cols;
    if (rc == 0 && (o.steps & AML_FEATURES_SELECT)) {
        k = o.select_k ? o.select_k : (X->cols + 1) / 2;
        k = k < X->cols ? k : X->cols;
        if (!X->dense && k > o.dense_max_cols) {
            k = o.dense_max_cols ? o.dense_max_cols : 1;
            rc = amlp_feat_note(f, "Kept at most %zu features of the sparse input.", k);
        }
        f->selected = true;
        f->steps |= AML_FEATURES_SELECT;
    }
    f->base = amlp_malloc(k * sizeof(uint32_t));
    rc = rc ? rc : f->base ? 0 : AML_ENOMEM;
    if (rc == 0) {
        f->n_base = k;
        if (f->selected)
            rc = amlp_feat_top(imp, X->cols, k, true, f->base);
        else
            for (size_t j = 0; j < k; j++)
                f->base[j] = (uint32_t)j;
    }
    for (size_t j = 0; rc == 0 && j < f->n_base; j++) {
        const char *nm = prep ? aml_prep_feature_name(prep, f->base[j]) : NULL;
        rc = amlp_feat_add_name(f, nm ? amlp_strdup(nm)
                                      : amlp_feat_printf("f%u", (unsigned)f->base[j]));
    }
    unsigned dense_steps = o.steps & (unsigned)~AML_FEATURES_SELECT;
    if (rc == 0 && !X->dense && f->n_base > o.dense_max_cols) {
        f->passthrough = true;
        if (dense_steps)
            rc = amlp_feat_note(f, "Skipped the steps on dense features: the input is sparse "
                                "with %zu columns (more than %zu).", X->cols, o.dense_max_cols);
    } else if (rc == 0 && dense_steps) {
        rc = fit_steps(f, X, y, task, n_classes, prep, imp, &o, err);
    }
    amlp_free(imp);
    if (rc) {
        aml_features_free(f);
        if (err && err->code != rc)
            aml_error_set(err, rc, 0, 0, "features", "%s", aml_strerror(rc));
        return rc;
    }
    *out = f;
    return 0;
}

/* ---- apply ---- */

int aml_features_apply(const aml_features *f, const aml_matrix *X, aml_matrix **X_out,
                       aml_error *err)
{
    if (!X_out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features", "no output pointer");
    *X_out = NULL;
    if (!f || !X)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features", "no pipeline or matrix");
    if (X->cols != f->in_cols)
        return aml_error_set(err, AML_EINVAL, 0, 0, "features",
                             "the matrix has %zu columns, the pipeline was fitted on %zu",
                             X->cols, f->in_cols);
    int rc = check_matrix(X, err);
    if (rc)
        return rc;
    if (f->passthrough) {   /* a wide sparse input, read as it is */
        size_t *all = amlp_malloc(X->rows * sizeof(size_t) + 1);
        if (!all)
            return aml_error_set(err, AML_ENOMEM, 0, 0, "features", "out of memory");
        for (size_t r = 0; r < X->rows; r++)
            all[r] = r;
        rc = aml_matrix_take_rows(X, all, X->rows, X_out);
        amlp_free(all);
        return rc ? aml_error_set(err, rc, 0, 0, "features", "%s", aml_strerror(rc)) : 0;
    }
    if ((f->pca_k || f->km_k) && (rc = amlp_feat_blas(err)))
        return rc;
    size_t d = f->n_base, no = f->n_out, block = X->rows < BLOCK_ROWS ? X->rows : BLOCK_ROWS;
    aml_matrix *Y = NULL;
    rc = aml_matrix_new(X->rows, no, &Y);
    float *B = amlp_malloc(block * d * sizeof(float) + 1);
    float *Z = amlp_malloc(block * d * sizeof(float) + 1);
    float *W = amlp_malloc(block * (f->km_k + 1) * sizeof(float) + 1);
    uint32_t *map = column_map(f, X);
    rc = rc ? rc : B && Z && W && (X->dense || map) ? 0 : AML_ENOMEM;
    size_t off_c = f->keep_base ? d : 0, off_g = off_c + 3 * f->n_pairs;
    size_t off_p = off_g + amlp_feat_group_n_out(f), off_k = off_p + f->pca_k;
    for (size_t r0 = 0; rc == 0 && r0 < X->rows; r0 += block) {
        size_t n = X->rows - r0 < block ? X->rows - r0 : block;
        gather(f, X, map, r0, n, B);
        for (size_t i = 0; i < n; i++) {
            float *o = Y->dense + (r0 + i) * no;
            const float *b = B + i * d;
            if (f->keep_base)
                memcpy(o, b, d * sizeof(float));
            amlp_feat_construct_apply(f, b, o + off_c);
            amlp_feat_group_apply(f, b, o + off_g);
        }
        if (f->pca_k || f->km_k) {
            standardize(f, B, n, Z);
            rc = amlp_feat_pca_apply(f, Z, n, Y->dense + r0 * no + off_p, no);
            rc = rc ? rc : amlp_feat_kmeans_apply(f, Z, n, W, Y->dense + r0 * no + off_k, no);
        }
    }
    amlp_free(B);
    amlp_free(Z);
    amlp_free(W);
    amlp_free(map);
    if (rc) {
        aml_matrix_free(Y);
        return aml_error_set(err, rc, 0, 0, "features", "%s", aml_strerror(rc));
    }
    *X_out = Y;
    return 0;
}

/* ---- accessors ---- */

size_t aml_features_n_out(const aml_features *f)
{
    return f ? f->n_out : 0;
}

const char *aml_features_name(const aml_features *f, size_t j)
{
    return f && j < f->n_out ? f->names[j] : NULL;
}

unsigned aml_features_steps(const aml_features *f)
{
    return f ? f->steps : 0;
}

const uint32_t *aml_features_kept(const aml_features *f, size_t *n)
{
    *n = f ? f->n_base : 0;
    return f ? f->base : NULL;
}

void aml_features_pca(const aml_features *f, size_t *k, size_t *dim, const float **components,
                      const float **explained)
{
    *k = f ? f->pca_k : 0;
    *dim = f ? f->n_base : 0;
    *components = f ? f->pca_v : NULL;
    *explained = f ? f->pca_explained : NULL;
}

/* ---- in words ---- */

static int say(char **text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(char **text, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *s = amlp_feat_printf("%s%s%s", *text ? *text : "", *text ? " " : "", line);
    if (!s)
        return AML_ENOMEM;
    amlp_free(*text);
    *text = s;
    return 0;
}

int aml_features_describe(const aml_features *f, char **text)
{
    *text = NULL;
    if (!f)
        return AML_EINVAL;
    static const char *const by[] = {"the importance given", "absolute correlation with the target",
                                     "correlation ratio with the class"};
    char *t = NULL;
    int rc = 0;
    if (f->selected)
        rc = say(&t, "Kept the %zu most important of %zu features (by %s).", f->n_base,
                 f->in_cols, by[f->importance_kind >= 0 && f->importance_kind <= 2
                                    ? f->importance_kind : 0]);
    size_t o = f->keep_base ? f->n_base : 0;
    if (rc == 0 && f->n_pairs)
        rc = say(&t, "Added the ratio, product and difference of %zu %s of the most "
                 "important numeric features (%zu features, e.g. \"%s\").", f->n_pairs,
                 f->n_pairs == 1 ? "pair" : "pairs", 3 * f->n_pairs, f->names[o]);
    o += 3 * f->n_pairs;
    if (rc == 0 && f->n_groups) {
        char list[512] = "";
        for (size_t i = 0; i < f->n_groups; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i ? (i + 1 == f->n_groups ? " and " : ", ") : "", f->groups[i].name);
        rc = say(&t, "Added frequency encodings of %s, with per-category means of the top "
                 "numeric features and each row's difference from them.", list);
    }
    if (rc == 0 && f->pca_k) {
        double ex = 0;
        for (size_t i = 0; i < f->pca_k; i++)
            ex += f->pca_explained[i];
        rc = say(&t, "%s %zu principal component%s of the %zu standardized features, "
                 "explaining %.1f%% of their variance.", f->keep_base ? "Added" : "Replaced the "
                 "features by", f->pca_k, f->pca_k == 1 ? "" : "s", f->n_base, 100 * ex);
    }
    if (rc == 0 && f->km_k)
        rc = say(&t, "Added the distances to %zu k-means cluster centres of the standardized "
                 "features (k-means++ start, %d Lloyd iteration%s).", f->km_k, f->km_iters,
                 f->km_iters == 1 ? "" : "s");
    if (rc == 0 && !f->steps)
        rc = say(&t, "Kept the %zu features as they are.", f->n_base);
    if (rc == 0 && f->notes)
        rc = say(&t, "%s", f->notes);
    if (rc) {
        amlp_free(t);
        return rc;
    }
    *text = t;
    return 0;
}
