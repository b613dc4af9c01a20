/*
 * features_construct.c — constructed features: ratios, products and
 * differences of every pair of the most important numeric base columns, with
 * NAN for a missing operand or a denominator of ~0.
 */
#include "features/features_internal.h"

#include <math.h>

int amlp_feat_construct_fit(aml_features *f, const amlp_feat_fit *fit, const unsigned char *kind)
{
    size_t m = fit->opts->construct_top, n_num = 0;
    float *imp = amlp_malloc(fit->cols * sizeof(float) + 1);
    uint32_t *top = amlp_malloc(fit->cols * sizeof(uint32_t) + 1);
    int rc = imp && top ? 0 : AML_ENOMEM;
    for (size_t j = 0; rc == 0 && j < fit->cols; j++) {
        bool numeric = kind[j] == AMLP_FEAT_NUMERIC || kind[j] == AMLP_FEAT_CODE;
        imp[j] = numeric ? (isnan(fit->imp[j]) ? 0 : fit->imp[j]) + 1 : 0;
        n_num += numeric;
    }
    m = m < n_num ? m : n_num;
    if (rc == 0 && m >= 2)
        rc = amlp_feat_top(imp, fit->cols, m, false, top);
    if (rc == 0 && m >= 2) {
        size_t np = m * (m - 1) / 2;
        f->pair_a = amlp_malloc(np * sizeof(uint32_t));
        f->pair_b = amlp_malloc(np * sizeof(uint32_t));
        f->pair_eps = amlp_malloc(np * sizeof(float));
        rc = f->pair_a && f->pair_b && f->pair_eps ? 0 : AML_ENOMEM;
        for (size_t i = 0; rc == 0 && i < m; i++)
            for (size_t k = i + 1; rc == 0 && k < m; k++) {
                uint32_t a = top[i], b = top[k];
                double s = 0, ss = 0, n = 0;
                for (size_t r = 0; r < fit->rows; r++) {
                    float v = fit->B[r * fit->cols + b];
                    if (!isnan(v)) {
                        n += 1;
                        s += v;
                        ss += (double)v * v;
                    }
                }
                double var = n > 0 ? ss / n - (s / n) * (s / n) : 0;
                f->pair_a[f->n_pairs] = a;
                f->pair_b[f->n_pairs] = b;
                f->pair_eps[f->n_pairs] = (float)(1e-6 * sqrt(var > 0 ? var : 0));
                f->n_pairs++;
                const char *na = fit->names[a], *nb = fit->names[b];
                rc = amlp_feat_add_name(f, amlp_feat_printf("%s / %s", na, nb));
                rc = rc ? rc : amlp_feat_add_name(f, amlp_feat_printf("%s * %s", na, nb));
                rc = rc ? rc : amlp_feat_add_name(f, amlp_feat_printf("%s - %s", na, nb));
            }
    }
    if (rc == 0 && f->n_pairs)
        f->steps |= AML_FEATURES_CONSTRUCT;
    else if (rc == 0)
        rc = amlp_feat_note(f, "Constructed no ratios, products or differences: fewer than "
                            "two numeric features.");
    amlp_free(imp);
    amlp_free(top);
    return rc;
}

static float finite_or_nan(float v)
{
    return isfinite(v) ? v : NAN;
}

void amlp_feat_construct_apply(const aml_features *f, const float *b, float *out)
{
    for (size_t p = 0; p < f->n_pairs; p++) {
        float x = b[f->pair_a[p]], z = b[f->pair_b[p]];
        if (isnan(x) || isnan(z)) {
            out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = NAN;
            continue;
        }
        out[3 * p] = fabsf(z) <= f->pair_eps[p] ? NAN : finite_or_nan(x / z);
        out[3 * p + 1] = finite_or_nan(x * z);
        out[3 * p + 2] = finite_or_nan(x - z);
    }
}
