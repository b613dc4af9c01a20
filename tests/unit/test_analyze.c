/* test_analyze.c — Criterion suite for aml_analyze: numeric statistics and
 * histograms against a naive reference (tolerance 1e-9 relative), top
 * values, text stats, Pearson / correlation ratio / Cramer's V / mutual
 * information against direct formulas, the target distribution, and the
 * bank-full timing budget (< 1 s). */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL(ref) (1e-9 * (fabs(ref) + 1))

Test(analyze, numeric_stats_match_naive_reference)
{
    size_t n = 1001;
    double *x = malloc(n * sizeof *x), *s = malloc(n * sizeof *s);
    srand(3);
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = (i % 17 == 0) ? NAN : (rand() / (double)RAND_MAX) * 100 - 30;
        if (!isnan(x[i]))
            s[nv++] = x[i];
    }
    aml_frame *f;
    aml_frame_new(&f);
    cr_assert_eq(aml_frame_add_numbers(f, "x", x, n, NULL), 0);
    aml_analysis *a;
    cr_assert_eq(aml_analyze(f, NULL, &a, NULL), 0);
    const aml_analyze_column *c = aml_analyze_column_at(a, 0);
    double sum = 0;
    for (size_t i = 0; i < nv; i++)
        sum += s[i];
    double mean = sum / (double)nv, ss = 0;
    for (size_t i = 0; i < nv; i++)
        ss += (s[i] - mean) * (s[i] - mean);
    double sd = sqrt(ss / (double)(nv - 1));
    qsort(s, nv, sizeof *s, tu_cmp_double);
    cr_expect_eq(c->missing, n - nv);
    cr_expect_float_eq(c->missing_pct, 100.0 * (double)(n - nv) / (double)n, 1e-9);
    cr_expect_float_eq(c->mean, mean, TOL(mean));
    cr_expect_float_eq(c->std, sd, TOL(sd));
    cr_expect_eq(c->min, s[0]);
    cr_expect_eq(c->max, s[nv - 1]);
    cr_expect_float_eq(c->q1, tu_quantile(s, nv, 0.25), TOL(c->q1));
    cr_expect_float_eq(c->median, tu_quantile(s, nv, 0.5), TOL(c->median));
    cr_expect_float_eq(c->q3, tu_quantile(s, nv, 0.75), TOL(c->q3));
    cr_expect_eq(c->distinct, nv);
    /* Histogram: counts add up, each value in its bin. */
    cr_assert_eq(c->n_bins, 20);
    size_t tot = 0;
    for (size_t b = 0; b < c->n_bins; b++) {
        size_t cnt = 0;
        for (size_t i = 0; i < nv; i++)
            cnt += s[i] >= c->bin_edges[b] &&
                   (s[i] < c->bin_edges[b + 1] || (b + 1 == c->n_bins && s[i] <= c->bin_edges[b + 1]));
        cr_expect_eq(c->bin_counts[b], cnt, "bin %zu", b);
        tot += c->bin_counts[b];
    }
    cr_expect_eq(tot, nv);
    aml_analyze_free(a);
    aml_frame_free(f);
    free(x);
    free(s);
}

Test(analyze, categorical_top_values_and_text)
{
    aml_frame *f;
    aml_frame_new(&f);
    const char *c[] = {"b", "a", "b", "c", "b", "a", NULL, "b"};
    const char *t[] = {"Hello world", "hello  there", "Caf\xc3\xa9 ok", NULL, "x", "y", "z", "hello"};
    cr_assert_eq(aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, c, 8, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "t", AML_TYPE_TEXT, t, 8, NULL, NULL), 0);
    aml_analysis *a;
    cr_assert_eq(aml_analyze(f, NULL, &a, NULL), 0);
    const aml_analyze_column *s = aml_analyze_column_at(a, 0);
    cr_expect_eq(s->distinct, 3);
    cr_assert_eq(s->n_top, 3);
    cr_expect_str_eq(s->top_values[0], "b");
    cr_expect_eq(s->top_counts[0], 4);
    cr_expect_str_eq(s->top_values[1], "a");
    cr_expect_eq(s->top_counts[2], 1);
    const aml_analyze_column *x = aml_analyze_column_at(a, 1);
    /* words: hello world there café ok x y z */
    cr_expect_eq(x->vocabulary, 8);
    double chars = 11 + 12 + 7 + 1 + 1 + 1 + 5;
    cr_expect_float_eq(x->avg_length, chars / 7, 1e-12);
    cr_expect_eq(x->distinct, 7);
    aml_analyze_free(a);
    aml_frame_free(f);
}

/* Reference association measures computed directly from definitions. */
Test(analyze, associations_match_formulas)
{
    size_t n = 500;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    const char **g = malloc(n * sizeof *g), **h = malloc(n * sizeof *h);
    static const char *lv[] = {"p", "q", "r"};
    srand(11);
    for (size_t i = 0; i < n; i++) {
        int k = rand() % 3;
        g[i] = lv[k];
        h[i] = (rand() % 4 == 0) ? lv[(k + 1) % 3] : lv[k];
        x[i] = k * 2.0 + rand() / (double)RAND_MAX;
        y[i] = 0.5 * x[i] + rand() / (double)RAND_MAX;
    }
    aml_frame *f;
    aml_frame_new(&f);
    aml_frame_add_numbers(f, "x", x, n, NULL);
    aml_frame_add_numbers(f, "y", y, n, NULL);
    aml_frame_add_strings(f, "g", AML_TYPE_CATEGORICAL, g, n, NULL, NULL);
    aml_frame_add_strings(f, "h", AML_TYPE_CATEGORICAL, h, n, NULL, NULL);
    /* Pearson x~y. */
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i] / (double)n;
        my += y[i] / (double)n;
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    double r = sxy / sqrt(sxx * syy);
    /* eta of y by g. */
    double gs[3] = {0}, gn[3] = {0};
    for (size_t i = 0; i < n; i++) {
        int k = g[i][0] - 'p';
        gs[k] += y[i];
        gn[k]++;
    }
    double ssb = 0;
    for (int k = 0; k < 3; k++)
        ssb += gn[k] * (gs[k] / gn[k] - my) * (gs[k] / gn[k] - my);
    double eta = sqrt(ssb / syy);
    /* Cramer's V and MI of h vs g. */
    double tab[3][3] = {{0}}, rg[3] = {0}, rh[3] = {0};
    for (size_t i = 0; i < n; i++) {
        tab[h[i][0] - 'p'][g[i][0] - 'p']++;
        rh[h[i][0] - 'p']++;
        rg[g[i][0] - 'p']++;
    }
    double chi2 = 0, mi = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double e = rh[i] * rg[j] / (double)n;
            chi2 += (tab[i][j] - e) * (tab[i][j] - e) / e;
            if (tab[i][j] > 0)
                mi += tab[i][j] / (double)n * log(tab[i][j] * (double)n / (rh[i] * rg[j]));
        }
    double v = sqrt(chi2 / (double)n / 2);

    aml_analyze_options o = aml_analyze_options_default();
    o.target = "y";
    aml_analysis *a;
    cr_assert_eq(aml_analyze(f, &o, &a, NULL), 0);
    const aml_analyze_column *cx = aml_analyze_column_at(a, 0);
    cr_expect_eq(cx->assoc_kind, AML_ASSOC_PEARSON);
    cr_expect_float_eq(cx->assoc, r, 1e-9);
    cr_expect_gt(cx->mutual_info, 0.1);
    cr_expect(aml_analyze_column_at(a, 1)->is_target);
    const aml_analyze_column *cg = aml_analyze_column_at(a, 2);
    cr_expect_eq(cg->assoc_kind, AML_ASSOC_CORRELATION_RATIO);
    cr_expect_float_eq(cg->assoc, eta, 1e-9);
    cr_expect_null(aml_analyze_target_info(a)->classes);
    cr_expect(!aml_analyze_target_info(a)->classification);
    aml_analyze_free(a);

    o.target = "g";
    cr_assert_eq(aml_analyze(f, &o, &a, NULL), 0);
    const aml_analyze_column *ch = aml_analyze_column_at(a, 3);
    cr_expect_eq(ch->assoc_kind, AML_ASSOC_CRAMERS_V);
    cr_expect_float_eq(ch->assoc, v, 1e-9);
    cr_expect_float_eq(ch->mutual_info, mi, 1e-9);
    const aml_analyze_target *t = aml_analyze_target_info(a);
    cr_assert_not_null(t);
    cr_expect(t->classification);
    cr_expect_eq(t->n_classes, 3);
    cr_expect_eq(t->counts[0] + t->counts[1] + t->counts[2], n);
    cr_expect_geq(t->counts[0], t->counts[1]);
    aml_analyze_free(a);

    o.target = "nope";
    aml_error e;
    cr_expect_eq(aml_analyze(f, &o, &a, &e), AML_EINVAL);
    cr_expect_str_eq(e.source, "nope");
    aml_frame_free(f);
    free(x);
    free(y);
    free(g);
    free(h);
}

Test(analyze, bank_full_under_a_second)
{
    aml_frame *f;
    aml_error e;
    cr_assert_eq(aml_csv_read("share/data/bank-marketing.csv.gz", NULL, &f, NULL, &e), 0, "%s", e.text);
    aml_analyze_options o = aml_analyze_options_default();
    o.target = "y";
    aml_analysis *a;
    cr_assert_eq(aml_analyze(f, &o, &a, &e), 0, "%s", e.text);
    cr_expect_lt(aml_analyze_seconds(a), 1.0);
    const aml_analyze_target *t = aml_analyze_target_info(a);
    cr_assert_not_null(t);
    cr_expect_eq(t->n_classes, 2);
    cr_expect_str_eq(t->classes[0], "no");
    cr_expect_eq(t->counts[1], 5289);
    cr_expect_float_eq(t->minority_share, 5289.0 / 45211, 1e-12);
    cr_expect(t->imbalanced);
    /* duration is the strongest single signal for y in this data set. */
    const aml_analyze_column *dur = aml_analyze_column_at(a, (size_t)aml_frame_col_index(f, "duration"));
    cr_expect_eq(dur->assoc_kind, AML_ASSOC_CORRELATION_RATIO);
    cr_expect_gt(dur->assoc, 0.35);
    for (size_t j = 0; j < aml_analyze_ncols(a); j++) {
        const aml_analyze_column *c = aml_analyze_column_at(a, j);
        if (!c->is_target)
            cr_expect(dur->assoc >= c->assoc || c->assoc_kind == AML_ASSOC_CRAMERS_V, "%s", c->name);
    }
    const aml_analyze_column *age = aml_analyze_column_at(a, 0);
    cr_expect_eq(age->min, 18);
    cr_expect_eq(age->max, 95);
    aml_analyze_free(a);
    aml_frame_free(f);
}
