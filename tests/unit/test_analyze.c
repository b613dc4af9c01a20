/* test_analyze.c — Criterion suite for aml_analyze: numeric statistics and
 * histograms against a naive reference (tolerance 1e-9 relative), top
 * values, text stats, Pearson / correlation ratio / Cramer's V / mutual
 * information against direct formulas, the target distribution, and the
 * bank-full timing budget (< 1 s), the same results on one thread and on
 * two, and the distinct-only analysis that %import's schema uses. */
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

static int cmps(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t naive_distinct(double *s, size_t n)
{
    qsort(s, n, sizeof *s, tu_cmp_double);
    size_t d = n > 0;
    for (size_t i = 1; i < n; i++)
        d += s[i] != s[i - 1];
    return d;
}

/* A frame large enough to be analysed on several threads: numbers of both
 * signs (with -0 and +0, repeated values), integers beyond 2^53's neighbours
 * of small ones, categoricals and text. */
static aml_frame *mixed_frame(size_t n, double *num, double *ints)
{
    double *x = malloc(n * sizeof *x);
    const char **is = malloc(n * sizeof *is), **cs = malloc(n * sizeof *cs),
               **ts = malloc(n * sizeof *ts);
    char (*ib)[32] = malloc(n * sizeof *ib), (*tb)[32] = malloc(n * sizeof *tb);
    static const char *lv[] = {"red", "green", "blue", "cyan"};
    srand(5);
    for (size_t i = 0; i < n; i++) {
        x[i] = i % 97 == 0 ? -0.0 : i % 89 == 0 ? 0.0 : (double)(rand() % 20000 - 10000) / 8;
        num[i] = x[i];
        long long v = (long long)(rand() % 5000) * (i % 2 ? -1000003LL : 7LL);
        snprintf(ib[i], sizeof ib[i], "%lld", v);
        is[i] = ib[i];
        ints[i] = (double)v;
        cs[i] = lv[rand() % 3];
        snprintf(tb[i], sizeof tb[i], "w%d and w%d", rand() % 300, rand() % 7);
        ts[i] = tb[i];
    }
    aml_frame *f;
    aml_frame_new(&f);
    cr_assert_eq(aml_frame_add_numbers(f, "x", x, n, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "i", AML_TYPE_INTEGER, is, n, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, cs, n, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "t", AML_TYPE_TEXT, ts, n, NULL, NULL), 0);
    free(x);
    free(is);
    free(cs);
    free(ts);
    free(ib);
    free(tb);
    return f;
}

static bool same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static void expect_same_column(const aml_analyze_column *p, const aml_analyze_column *q)
{
    cr_expect_eq(p->distinct, q->distinct, "%s", p->name);
    cr_expect(memcmp(&p->mean, &q->mean, sizeof p->mean) == 0, "%s mean", p->name);
    cr_expect(memcmp(&p->std, &q->std, sizeof p->std) == 0, "%s std", p->name);
    cr_expect(same(p->min, q->min) && same(p->q1, q->q1) && same(p->median, q->median) &&
              same(p->q3, q->q3) && same(p->max, q->max), "%s quantiles", p->name);
    cr_expect_eq(p->vocabulary, q->vocabulary, "%s", p->name);
    cr_expect(same(p->mutual_info, q->mutual_info), "%s mi", p->name);
    cr_expect(same(p->assoc, q->assoc), "%s assoc", p->name);
}

Test(analyze, threads_and_radix_sort_match_naive_and_each_other)
{
    size_t n = 60000;
    double *num = malloc(n * sizeof *num), *ints = malloc(n * sizeof *ints);
    aml_frame *f = mixed_frame(n, num, ints);
    aml_analyze_options o = aml_analyze_options_default();
    o.target = "c";
    aml_analysis *one, *two;
    o.threads = 1;
    cr_assert_eq(aml_analyze(f, &o, &one, NULL), 0);
    o.threads = 2;
    cr_assert_eq(aml_analyze(f, &o, &two, NULL), 0);
    for (size_t j = 0; j < 4; j++)
        expect_same_column(aml_analyze_column_at(one, j), aml_analyze_column_at(two, j));
    const aml_analyze_column *x = aml_analyze_column_at(two, 0), *i = aml_analyze_column_at(two, 1);
    size_t dx = naive_distinct(num, n), di = naive_distinct(ints, n);
    cr_expect_eq(x->distinct, dx);
    cr_expect_eq(x->min, num[0]);
    cr_expect_eq(x->max, num[n - 1]);
    cr_expect_eq(x->median, tu_quantile(num, n, 0.5));
    cr_expect_eq(x->q1, tu_quantile(num, n, 0.25));
    cr_expect_eq(i->distinct, di);
    cr_expect_eq(i->min, ints[0]);
    cr_expect_eq(i->max, ints[n - 1]);
    cr_expect_eq(i->q3, tu_quantile(ints, n, 0.75));

    /* distinct_only: the same distinct counts, nothing else computed. */
    aml_analysis *d;
    o.distinct_only = true;
    cr_assert_eq(aml_analyze(f, &o, &d, NULL), 0);
    for (size_t j = 0; j < 4; j++) {
        const aml_analyze_column *p = aml_analyze_column_at(d, j);
        cr_expect_eq(p->distinct, aml_analyze_column_at(one, j)->distinct, "%s", p->name);
        cr_expect(isnan(p->mean) && p->n_bins == 0 && p->n_top == 0 && p->vocabulary == 0,
                  "%s", p->name);
        cr_expect_eq(p->assoc_kind, AML_ASSOC_NONE);
    }
    cr_expect_eq(aml_analyze_column_at(d, 2)->distinct, 3);
    /* text: "wA and wB" for A < 300, B < 7, counted against a sorted copy */
    const char **ts = malloc(n * sizeof *ts);
    for (size_t r = 0; r < n; r++)
        ts[r] = aml_frame_get_string(f, 3, r);
    qsort(ts, n, sizeof *ts, cmps);
    size_t dt = 1;
    for (size_t r = 1; r < n; r++)
        dt += strcmp(ts[r], ts[r - 1]) != 0;
    cr_expect_eq(aml_analyze_column_at(d, 3)->distinct, dt);
    cr_expect_eq(aml_analyze_column_at(one, 3)->distinct, dt);
    cr_expect_gt(dt, 1000);
    free(ts);
    aml_analyze_free(d);

    /* integers of a narrow range: counted on a bitmap, not sorted */
    const char **ks = malloc(n * sizeof *ks);
    char (*kb)[16] = malloc(n * sizeof *kb);
    for (size_t r = 0; r < n; r++) {
        snprintf(kb[r], sizeof kb[r], "%d", (int)(r * 7919 % 1000) - 500);
        ks[r] = r % 10 ? kb[r] : "";
    }
    aml_frame *g;
    aml_frame_new(&g);
    cr_assert_eq(aml_frame_add_strings(g, "k", AML_TYPE_INTEGER, ks, n, NULL, NULL), 0);
    o.target = NULL;
    cr_assert_eq(aml_analyze(g, &o, &d, NULL), 0);
    o.distinct_only = false;
    aml_analysis *full;
    cr_assert_eq(aml_analyze(g, &o, &full, NULL), 0);
    cr_expect_eq(aml_analyze_column_at(full, 0)->distinct, 900);
    cr_expect_eq(aml_analyze_column_at(d, 0)->distinct, 900);
    aml_analyze_free(full);
    aml_frame_free(g);
    free(ks);
    free(kb);
    aml_analyze_free(one);
    aml_analyze_free(two);
    aml_analyze_free(d);
    aml_frame_free(f);
    free(num);
    free(ints);
}
