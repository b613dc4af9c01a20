/* test_explain.c — Criterion suite for %explain's engine (engine/explain*.c)
 * and the learners' contributions (aml_learner_contributions): permutation
 * importance finds the one column the target depends on, SHAP values of a
 * row add up to XGBoost's own margin (binary, multiclass, regression), a
 * one-hot column's features add up to the column, partial dependence
 * follows a monotone relation, the model-agnostic row fallback adds up to
 * the model's prediction, and errors and cancel are clean. */
#include <criterion/criterion.h>

#include "aml.h"
#include "testutil.h"
#include "search/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_BINARY, T_MULTI, T_REG } ttype;

/* a, b uniform in [-2, 2], c a category of 3 levels, noise pure noise;
 * the target depends on `a` only (and on c when with_c). */
static aml_frame *make_frame(size_t n, ttype t, bool with_c)
{
    tu_seed(7);
    aml_frame *f;
    cr_assert_eq(aml_frame_new(&f), 0);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *z = malloc(n * sizeof *z);
    double *noise = malloc(n * sizeof *noise);
    const char **cat = malloc(n * sizeof *cat), **lab = malloc(n * sizeof *lab);
    static const char *lv[3] = {"red", "green", "blue"};
    static const char *cls[3] = {"low", "mid", "high"};
    for (size_t i = 0; i < n; i++) {
        a[i] = tu_uni() * 4 - 2;
        b[i] = tu_uni() * 4 - 2;
        noise[i] = tu_uni();
        size_t c = (size_t)(tu_uni() * 3);
        cat[i] = lv[c];
        double v = a[i] + (with_c ? 1.5 * (c == 1) : 0) + 0.1 * (tu_uni() - 0.5);
        z[i] = 3 * v;
        lab[i] = t == T_MULTI ? cls[v < -0.7 ? 0 : v < 0.7 ? 1 : 2] : v > 0 ? "yes" : "no";
    }
    cr_assert_eq(aml_frame_add_numbers(f, "a", a, n, NULL), 0);
    cr_assert_eq(aml_frame_add_numbers(f, "b", b, n, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, cat, n, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_numbers(f, "noise", noise, n, NULL), 0);
    if (t == T_REG)
        cr_assert_eq(aml_frame_add_numbers(f, "y", z, n, NULL), 0);
    else
        cr_assert_eq(aml_frame_add_strings(f, "y", AML_TYPE_CATEGORICAL, lab, n, NULL, NULL), 0);
    free(a);
    free(b);
    free(z);
    free(noise);
    free(cat);
    free(lab);
    return f;
}

/* A model of one member per kind in `kinds` (equal weights), fitted on
 * every row of f. */
static aml_model *fit_model(const aml_frame *f, const char *const *kinds, size_t n_kinds)
{
    aml_prep_options po = aml_prep_options_default();
    po.target = "y";
    aml_prep *prep = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_prep_fit(f, NULL, 0, &po, &prep, &err), 0, "%s", err.text);
    aml_matrix *X = NULL;
    float *y = NULL;
    cr_assert_eq(aml_prep_transform(prep, f, NULL, 0, &X, &y, &err), 0, "%s", err.text);
    aml_task task = aml_prep_task(prep);
    size_t k = aml_prep_n_classes(prep);
    aml_model *m = amlp_model_new(task, k, aml_metric_resolve(AML_METRIC_AUTO, task), "y");
    cr_assert(m);
    cr_assert_eq(amlp_model_set_classes(m, prep), 0);
    const char *cols[] = {"a", "b", "c", "noise"};
    cr_assert_eq(amlp_model_set_inputs(m, f, cols, 4), 0);
    cr_assert_eq(amlp_model_add_prep(m, prep), 0);
    for (size_t i = 0; i < n_kinds; i++) {
        aml_learner *l = NULL;
        cr_assert_eq(aml_learner_new(kinds[i], NULL, &l, &err), 0, "%s", err.text);
        aml_fit_data d = {.task = task, .n_classes = k, .X = X, .y = y};
        aml_fit_ctl ctl = aml_fit_ctl_default();
        ctl.threads = 2;
        cr_assert_eq(aml_learner_fit(l, &d, &ctl, &err), 0, "%s", err.text);
        cr_assert_geq(amlp_model_add_member(m, kinds[i], "", 1.0 / (double)n_kinds, 0, l), 0);
    }
    cr_assert_eq(amlp_model_finish(m, NULL), 0);
    aml_matrix_free(X);
    aml_free(y);
    return m;
}

static const char *const XGB[] = {"xgb"};

static const aml_explain_importance *imp_of(const aml_explanation *e, const char *col)
{
    size_t n;
    const aml_explain_importance *imp = aml_explanation_importance(e, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(imp[i].column, col) == 0)
            return &imp[i];
    cr_assert_fail("no importance for %s", col);
    return NULL;
}

static aml_explanation *explain(const aml_model *m, const aml_frame *f, long row)
{
    aml_explain_options o = aml_explain_options_default();
    o.row = row;
    o.repeats = 3;
    aml_explanation *e = NULL;
    aml_error err = {0};
    int rc = aml_explain_run(m, f, NULL, 0, &o, &e, &err);
    cr_assert_eq(rc, 0, "%s", err.text);
    return e;
}

Test(explain, importance_finds_the_signal_column)
{
    aml_frame *f = make_frame(1200, T_BINARY, false);
    aml_model *m = fit_model(f, XGB, 1);
    aml_explanation *e = explain(m, f, -1);
    size_t n;
    const aml_explain_importance *imp = aml_explanation_importance(e, &n);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(imp[0].column, "a", "most important: %s", imp[0].column);
    double ia = imp_of(e, "a")->mean, ib = imp_of(e, "b")->mean;
    double in = imp_of(e, "noise")->mean;
    cr_assert_gt(ia, 0.3, "AUC drop of a: %g", ia);
    cr_assert_lt(fabs(ib), 0.02, "b: %g", ib);
    cr_assert_lt(fabs(in), 0.02, "noise: %g", in);
    cr_assert_gt(ia, 20 * fmax(fabs(ib), 1e-3));
    cr_assert_geq(imp_of(e, "a")->std, 0);
    cr_assert_gt(aml_explanation_score(e), 0.95);
    cr_assert_eq(aml_explanation_rows_used(e), 1200);
    /* SHAP summary agrees */
    const aml_explain_shap *s = aml_explanation_shap(e, &n);
    cr_assert(s && n >= 4);
    cr_assert_str_eq(s[0].column, "a");
    cr_assert_gt(s[0].mean_abs, 5 * s[1].mean_abs);
    aml_explanation_free(e);
    aml_model_free(m);
    aml_frame_free(f);
}

/* Sum of a row's contributions = XGBoost's margin (through its own
 * prediction and the link). */
static void check_contrib_sums(ttype t)
{
    aml_frame *f = make_frame(600, t, true);
    aml_model *m = fit_model(f, XGB, 1);
    const aml_learner *l = aml_model_member_learner(m, 0);
    cr_assert(aml_learner_has_contributions(l));
    aml_matrix *X = NULL;
    size_t rows[5] = {0, 1, 17, 300, 599};
    cr_assert_eq(aml_prep_transform(aml_model_member_prep(m, 0), f, rows, 5, &X, NULL, NULL), 0);
    size_t K = aml_model_pred_width(m), C = X->cols + 1;
    float *ct = malloc(5 * K * C * sizeof *ct), *p = malloc(5 * K * sizeof *p);
    aml_error err = {0};
    cr_assert_eq(aml_learner_contributions(l, X, ct, &err), 0, "%s", err.text);
    cr_assert_eq(aml_learner_predict(l, X, p, NULL), 0);
    for (size_t r = 0; r < 5; r++) {
        double margin[3], mx = -INFINITY, z = 0;
        for (size_t k = 0; k < K; k++) {
            margin[k] = 0;
            for (size_t j = 0; j < C; j++)
                margin[k] += ct[(r * K + k) * C + j];
            mx = fmax(mx, margin[k]);
        }
        if (t == T_REG) {
            cr_assert_float_eq(margin[0], p[r], 1e-3 * fmax(1, fabs(p[r])), "row %zu", r);
        } else if (t == T_BINARY) {
            double logit = log(p[r] / (1 - p[r]));
            cr_assert_float_eq(margin[0], logit, 2e-3 * fmax(1, fabs(logit)), "row %zu: %g vs %g",
                               r, margin[0], logit);
        } else {
            for (size_t k = 0; k < K; k++)
                z += exp(margin[k] - mx);
            for (size_t k = 0; k < K; k++)
                cr_assert_float_eq(exp(margin[k] - mx) / z, p[r * K + k], 1e-4);
        }
    }
    /* through %explain's row: base + contributions = the margin */
    aml_explanation *e = explain(m, f, 17);
    const aml_explain_row *row = aml_explanation_row(e);
    cr_assert(row && row->shap);
    cr_assert_eq(row->row, 17);
    double sum = row->base;
    for (size_t i = 0; i < row->n; i++)
        sum += row->contribs[i].contribution;
    cr_assert_float_eq(sum, row->prediction, 1e-6);
    double mp = row->model_prediction;
    double expect = t == T_REG ? mp : log(mp / (1 - mp));
    if (t != T_MULTI)
        cr_assert_float_eq(row->prediction, expect, 2e-3 * fmax(1, fabs(expect)), "%g vs %g",
                           row->prediction, expect);
    /* one-hot levels of c add up to one entry "c" */
    bool has_c = false;
    for (size_t i = 0; i < row->n; i++)
        has_c |= strcmp(row->contribs[i].column, "c") == 0;
    cr_assert(has_c);
    aml_explanation_free(e);
    aml_matrix_free(X);
    free(ct);
    free(p);
    aml_model_free(m);
    aml_frame_free(f);
}

Test(explain, shap_sums_to_margin_binary) { check_contrib_sums(T_BINARY); }
Test(explain, shap_sums_to_margin_multiclass) { check_contrib_sums(T_MULTI); }
Test(explain, shap_sums_to_margin_regression) { check_contrib_sums(T_REG); }

Test(explain, pdp_follows_a_monotone_relation)
{
    aml_frame *f = make_frame(1500, T_REG, false);
    aml_model *m = fit_model(f, XGB, 1);
    aml_explanation *e = explain(m, f, -1);
    size_t n;
    const aml_explain_pdp *p = aml_explanation_pdp(e, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(p[0].column, "a");
    cr_assert(!p[0].categorical);
    cr_assert_geq(p[0].n, 15);
    cr_assert_eq(p[0].width, 1);
    for (size_t g = 1; g < p[0].n; g++) {
        cr_assert_gt(p[0].x[g], p[0].x[g - 1]);
        cr_assert_geq(p[0].y[g], p[0].y[g - 1] - 0.05, "step %zu: %g -> %g", g, p[0].y[g - 1],
                      p[0].y[g]);
    }
    /* y = 3a over a in [-2, 2]: the curve spans most of [-6, 6] */
    cr_assert_gt(p[0].y[p[0].n - 1] - p[0].y[0], 9);
    /* the category has its levels as grid */
    bool c_seen = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].column, "c") == 0) {
            c_seen = true;
            cr_assert(p[i].categorical);
            cr_assert_eq(p[i].n, 3);
        }
    cr_assert(c_seen || n == 3);
    aml_explanation_free(e);
    aml_model_free(m);
    aml_frame_free(f);
}

Test(explain, replacement_fallback_adds_up)
{
    aml_frame *f = make_frame(800, T_BINARY, true);
    const char *const kinds[] = {"xgb", "linear"};
    aml_model *m = fit_model(f, kinds, 2);
    aml_explanation *e = explain(m, f, 5);
    const aml_explain_row *row = aml_explanation_row(e);
    cr_assert(row && !row->shap);
    double sum = row->base;
    for (size_t i = 0; i < row->n; i++)
        sum += row->contribs[i].contribution;
    cr_assert_float_eq(sum, row->prediction, 1e-5);
    float p;
    size_t r = 5;
    cr_assert_eq(aml_model_predict(m, f, &r, 1, &p, NULL), 0);
    cr_assert_float_eq(row->model_prediction, p, 1e-6);
    cr_assert_float_eq(row->prediction, p, 1e-6);
    for (size_t i = 1; i < row->n; i++)   /* largest first */
        cr_assert_geq(fabs(row->contribs[i - 1].contribution), fabs(row->contribs[i].contribution));
    /* SHAP covers the tree member only, and says so */
    size_t trees, members;
    double w;
    aml_explanation_shap_cover(e, &trees, &members, &w, NULL);
    cr_assert_eq(trees, 1);
    cr_assert_eq(members, 2);
    cr_assert_float_eq(w, 0.5, 1e-9);
    bool said = false;
    for (size_t i = 0; i < aml_explanation_n_notes(e); i++)
        said |= strstr(aml_explanation_note(e, i), "tree members only") != NULL;
    cr_assert(said);
    aml_explanation_free(e);
    aml_model_free(m);
    aml_frame_free(f);
}

Test(explain, sampling_is_deterministic_and_said)
{
    aml_frame *f = make_frame(900, T_BINARY, false);
    aml_model *m = fit_model(f, XGB, 1);
    aml_explain_options o = aml_explain_options_default();
    o.max_rows = 300;
    o.repeats = 2;
    o.pdp_features = 1;
    aml_explanation *e1 = NULL, *e2 = NULL;
    cr_assert_eq(aml_explain_run(m, f, NULL, 0, &o, &e1, NULL), 0);
    cr_assert_eq(aml_explain_run(m, f, NULL, 0, &o, &e2, NULL), 0);
    cr_assert_eq(aml_explanation_rows_used(e1), 300);
    cr_assert_eq(aml_explanation_rows_given(e1), 900);
    size_t n1, n2;
    const aml_explain_importance *a = aml_explanation_importance(e1, &n1);
    const aml_explain_importance *b = aml_explanation_importance(e2, &n2);
    for (size_t i = 0; i < n1; i++)
        cr_assert_eq(a[i].mean, b[i].mean);
    cr_assert_eq(aml_explanation_score(e1), aml_explanation_score(e2));
    bool said = false;
    for (size_t i = 0; i < aml_explanation_n_notes(e1); i++)
        said |= strstr(aml_explanation_note(e1, i), "300 of the 900 rows") != NULL;
    cr_assert(said);
    aml_explanation_free(e1);
    aml_explanation_free(e2);
    aml_model_free(m);
    aml_frame_free(f);
}

static void cancel_now(double fraction, const char *what, void *user)
{
    (void)what;
    if (fraction > 0.1)
        *(volatile int *)user = 1;
}

Test(explain, cancel_stops_cleanly)
{
    aml_frame *f = make_frame(900, T_BINARY, false);
    aml_model *m = fit_model(f, XGB, 1);
    volatile int flag = 0;
    aml_explain_options o = aml_explain_options_default();
    o.cancel = &flag;
    o.progress = cancel_now;
    o.user = (void *)&flag;
    aml_explanation *e = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_explain_run(m, f, NULL, 0, &o, &e, &err), AML_ECANCELED);
    cr_assert_null(e);
    aml_model_free(m);
    aml_frame_free(f);
}

Test(explain, errors_are_clear)
{
    aml_frame *f = make_frame(300, T_BINARY, false);
    aml_model *m = fit_model(f, XGB, 1);
    aml_explain_options o = aml_explain_options_default();
    aml_explanation *e = NULL;
    aml_error err = {0};
    o.row = 300;
    cr_assert_eq(aml_explain_run(m, f, NULL, 0, &o, &e, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "out of range"), "%s", err.text);
    o.row = -1;
    size_t cols[] = {0, 1, 2, 3};
    aml_frame *g = NULL;
    cr_assert_eq(aml_frame_select(f, cols, 4, &g), 0);   /* no target */
    cr_assert_eq(aml_explain_run(m, g, NULL, 0, &o, &e, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "target"), "%s", err.text);
    aml_frame_free(g);
    size_t cols2[] = {0, 2, 3, 4};   /* no b */
    cr_assert_eq(aml_frame_select(f, cols2, 4, &g), 0);
    cr_assert_eq(aml_explain_run(m, g, NULL, 0, &o, &e, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "'b'"), "%s", err.text);
    cr_assert_null(e);
    aml_frame_free(g);
    aml_explanation_free(NULL);
    aml_model_free(m);
    aml_frame_free(f);
}

/* A member with a feature-engineering step: engineered features form one
 * group and the row's SHAP values still add up to the margin. */
Test(explain, engineered_features_are_one_group)
{
    aml_frame *f = make_frame(600, T_REG, true);
    aml_prep_options po = aml_prep_options_default();
    po.target = "y";
    aml_prep *prep = NULL;
    cr_assert_eq(aml_prep_fit(f, NULL, 0, &po, &prep, NULL), 0);
    aml_matrix *X = NULL, *Xf = NULL;
    float *y = NULL;
    cr_assert_eq(aml_prep_transform(prep, f, NULL, 0, &X, &y, NULL), 0);
    aml_features_options fo = aml_features_options_default();
    fo.steps = AML_FEATURES_CONSTRUCT;
    aml_features *feat = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_features_fit(X, y, AML_TASK_REGRESSION, 0, prep, NULL, &fo, &feat, &err), 0,
                 "%s", err.text);
    cr_assert_gt(aml_features_n_out(feat), X->cols);
    cr_assert_eq(aml_features_apply(feat, X, &Xf, NULL), 0);
    aml_learner *l = NULL;
    cr_assert_eq(aml_learner_new("xgb", NULL, &l, NULL), 0);
    aml_fit_data d = {.task = AML_TASK_REGRESSION, .X = Xf, .y = y};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.threads = 2;
    cr_assert_eq(aml_learner_fit(l, &d, &ctl, NULL), 0);
    aml_model *m = amlp_model_new(AML_TASK_REGRESSION, 0, AML_METRIC_RMSE, "y");
    const char *cols[] = {"a", "b", "c", "noise"};
    cr_assert_eq(amlp_model_set_inputs(m, f, cols, 4), 0);
    cr_assert_eq(amlp_model_add_prep(m, prep), 0);
    cr_assert_eq(amlp_model_add_member(m, "xgb", "", 1.0, 0, l), 0);
    cr_assert_eq(amlp_model_set_features(m, 0, feat), 0);
    cr_assert_eq(amlp_model_finish(m, NULL), 0);
    cr_assert_eq(aml_model_member_features(m, 0), feat);

    aml_explanation *e = explain(m, f, 3);
    size_t n;
    const aml_explain_shap *s = aml_explanation_shap(e, &n);
    bool eng = false;
    for (size_t i = 0; i < n; i++)
        eng |= strcmp(s[i].column, "(engineered features)") == 0;
    cr_assert(eng, "no engineered group");
    cr_assert(strcmp(s[0].column, "noise") != 0 && strcmp(s[0].column, "b") != 0, "%s",
              s[0].column);
    const aml_explain_row *row = aml_explanation_row(e);
    cr_assert(row && row->shap);
    float p;
    size_t r = 3;
    cr_assert_eq(aml_model_predict(m, f, &r, 1, &p, NULL), 0);
    cr_assert_float_eq(row->prediction, p, 1e-3 * fmax(1, fabs(p)));
    aml_explanation_free(e);
    aml_matrix_free(X);
    aml_matrix_free(Xf);
    aml_free(y);
    aml_model_free(m);
    aml_frame_free(f);
}

Test(explain, waterfall_chart)
{
    const char *labels[] = {"a = 1", "b = red", "c = 3"};
    double deltas[] = {0.8, -0.3, 0.05};
    aml_plot_waterfall_data d = aml_plot_waterfall_data_default();
    d.labels = labels;
    d.deltas = deltas;
    d.n = 3;
    d.base = -1.2;
    aml_plot_opts o = aml_plot_opts_default();
    o.width = 500;
    o.height = 300;
    aml_plot_image *img = NULL;
    cr_assert_eq(aml_plot_waterfall(&o, &d, &img, NULL), 0);
    cr_assert_eq(img->width, 500);
    cr_assert_eq(img->pixel_height, 600);
    cr_assert_gt(img->png_size, 1000);
    cr_assert_eq(memcmp(img->png, "\x89PNG", 4), 0);
    aml_plot_image *again = NULL;   /* deterministic */
    cr_assert_eq(aml_plot_waterfall(&o, &d, &again, NULL), 0);
    cr_assert_eq(again->png_size, img->png_size);
    cr_assert_eq(memcmp(again->png, img->png, img->png_size), 0);
    aml_plot_image_free(again);
    aml_plot_image_free(img);
    aml_error err = {0};
    deltas[1] = NAN;
    cr_assert_eq(aml_plot_waterfall(&o, &d, &img, &err), AML_EINVAL);
    cr_assert_null(img);
    deltas[1] = 0;
    d.n = 0;
    cr_assert_eq(aml_plot_waterfall(&o, &d, &img, &err), AML_EEMPTY);
    d.n = 3;
    o.x_scale = AML_PLOT_LOG;
    cr_assert_eq(aml_plot_waterfall(&o, &d, &img, &err), AML_ERANGE);
    cr_assert_eq(aml_plot_waterfall(NULL, NULL, &img, &err), AML_EINVAL);
}

Test(explain, time_budget_cuts_repeats_and_rows_and_says_so)
{
    aml_frame *f = make_frame(1500, T_BINARY, false);
    aml_model *m = fit_model(f, XGB, 1);
    aml_explain_options o = aml_explain_options_default();
    o.budget_seconds = 1e-6;   /* any model is "slow" */
    aml_explanation *e = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_explain_run(m, f, NULL, 0, &o, &e, &err), 0, "%s", err.text);
    cr_assert_eq(aml_explanation_rows_used(e), 200);
    bool said = false, shap_said = false;
    for (size_t i = 0; i < aml_explanation_n_notes(e); i++) {
        said |= strstr(aml_explanation_note(e, i), "2 shuffles per column on 200 rows") != NULL;
        shap_said |= strstr(aml_explanation_note(e, i), "SHAP summary uses") != NULL;
    }
    cr_assert(said);
    cr_assert(shap_said);
    cr_assert_str_eq(aml_explanation_importance(e, &(size_t){0})[0].column, "a");
    aml_explanation_free(e);
    aml_model_free(m);
    aml_frame_free(f);
}
