/* test_plot.c — Criterion suite for the chart library (engine/plot_*.c).
 *
 * Every chart kind is rendered from deterministic synthetic data and compared
 * with a golden PNG in tests/data/golden/plot/ within a per-pixel tolerance
 * (both decoded with libpng).  On a mismatch the actual image is written to
 * <test binary dir>/plot-actual/<name>.png.  With AML_GOLDEN_UPDATE=1 the
 * golden images are written instead of compared (`make golden`).
 * Also: nice ticks against hand-checked cases, Freedman-Diaconis bins, AUC and
 * average precision against naive references, determinism, error cases and
 * allocation failures. */
#include "plot/plot_internal.h"
#include <criterion/criterion.h>

#include "aml.h"
#include "aml_plot.h"   /* internal tick-label formatting, checked below */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- deterministic test data ---- */

typedef struct rng {
    uint64_t s;
} rng;

static double rnd_u(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (double)((r->s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double rnd_n(rng *r)
{
    double u = rnd_u(r), v = rnd_u(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static aml_plot_opts opts_titled(const char *title, const char *xt, const char *yt)
{
    aml_plot_opts o = aml_plot_opts_default();
    o.title = title;
    o.x_title = xt;
    o.y_title = yt;
    return o;
}

/* ---- the charts under test (also used by tests/bench/plot_bench.c's twin) ---- */

static int chart_line(aml_plot_image **out, aml_error *err)
{
    enum { N = 60 };
    double x[N], tr[N], va[N];
    rng r = { 42 };
    for (int i = 0; i < N; i++) {
        x[i] = i + 1;
        tr[i] = 0.9 * exp(-i / 12.0) + 0.12 + 0.01 * rnd_n(&r);
        va[i] = 0.9 * exp(-i / 15.0) + 0.2 + 0.0004 * i * i / 10.0 + 0.015 * rnd_n(&r);
    }
    aml_plot_series s[2] = { aml_plot_series_default(), aml_plot_series_default() };
    s[0].x = x; s[0].y = tr; s[0].n = N; s[0].label = "training loss";
    s[1].x = x; s[1].y = va; s[1].n = N; s[1].label = "validation loss"; s[1].dashed = true;
    aml_plot_opts o = opts_titled("Training progress", "Epoch", "Log loss");
    return aml_plot_line(&o, s, 2, out, err);
}

static int chart_line_steps(aml_plot_image **out, aml_error *err)
{
    enum { N = 40 };
    double t[N], best[N], score[N];
    rng r = { 7 };
    double b = 0.0;
    for (int i = 0; i < N; i++) {
        t[i] = i * 7.5;
        score[i] = 0.70 + 0.2 * (1 - exp(-i / 10.0)) * rnd_u(&r) + 0.05 * rnd_u(&r);
        b = score[i] > b ? score[i] : b;
        best[i] = b;
    }
    aml_plot_series s[2] = { aml_plot_series_default(), aml_plot_series_default() };
    s[0].x = t; s[0].y = best; s[0].n = N; s[0].label = "best so far";
    s[0].steps = true; s[0].fill = true;
    s[1].x = t; s[1].y = score; s[1].n = N; s[1].label = "trial score"; s[1].markers = true;
    aml_plot_opts o = opts_titled("Search: validation AUC per trial", "Time (s)", "AUC");
    return aml_plot_line(&o, s, 2, out, err);
}

static int chart_line_log(aml_plot_image **out, aml_error *err)
{
    enum { N = 200 };
    double x[N], y[N], y2[N];
    for (int i = 0; i < N; i++) {
        x[i] = i;
        y[i] = 50.0 * exp(-i / 25.0) + 0.002;
        y2[i] = 20.0 * exp(-i / 45.0) + 0.05;
    }
    aml_plot_series s[2] = { aml_plot_series_default(), aml_plot_series_default() };
    s[0].x = x; s[0].y = y; s[0].n = N; s[0].label = "gradient boosting";
    s[1].x = x; s[1].y = y2; s[1].n = N; s[1].label = "neural network";
    aml_plot_opts o = opts_titled("Loss (log scale)", "Iteration", "Loss");
    o.y_scale = AML_PLOT_LOG;
    return aml_plot_line(&o, s, 2, out, err);
}

static int chart_scatter(aml_plot_image **out, aml_error *err)
{
    enum { N = 3000 };
    static double x[N], y[N];
    static int c[N];
    rng r = { 99 };
    const double cx[3] = { 0, 3, 1.5 }, cy[3] = { 0, 1, 3 };
    for (int i = 0; i < N; i++) {
        c[i] = i % 3;
        x[i] = cx[c[i]] + rnd_n(&r) * 0.8;
        y[i] = cy[c[i]] + rnd_n(&r) * 0.8;
    }
    static const char *const names[3] = { "setosa", "versicolor", "virginica" };
    aml_plot_scatter_data d = aml_plot_scatter_data_default();
    d.x = x; d.y = y; d.n = N; d.category = c; d.category_names = names; d.n_categories = 3;
    aml_plot_opts o = opts_titled("Clusters", "Petal length (cm)", "Petal width (cm)");
    return aml_plot_scatter(&o, &d, out, err);
}

static int chart_scatter_100k(aml_plot_image **out, aml_error *err)
{
    enum { N = 100000 };
    static double x[N], y[N];
    rng r = { 1234 };
    for (int i = 0; i < N; i++) {
        x[i] = rnd_n(&r) * 2.0;
        y[i] = 0.6 * x[i] + rnd_n(&r) * 1.5 + 10.0;
    }
    aml_plot_scatter_data d = aml_plot_scatter_data_default();
    d.x = x; d.y = y; d.n = N;
    aml_plot_opts o = opts_titled("100,000 points", "x", "y");
    return aml_plot_scatter(&o, &d, out, err);
}

static int chart_bar(aml_plot_image **out, aml_error *err)
{
    static const char *const labels[] = { "xgboost", "random forest", "logistic", "mlp",
                                          "k-NN", "ensemble" };
    const double v[] = { 0.912, 0.897, 0.861, 0.884, 0.802, 0.921 };
    aml_plot_bar_data d = aml_plot_bar_data_default();
    d.labels = labels; d.values = v; d.n = 6; d.value_labels = true;
    aml_plot_opts o = opts_titled("Validation AUC by model", NULL, "AUC");
    return aml_plot_bar(&o, &d, out, err);
}

static int chart_bar_importance(aml_plot_image **out, aml_error *err)
{
    static const char *const labels[] = {
        "duration", "poutcome=success", "month", "contact=unknown", "age", "balance",
        "pdays", "housing", "day", "campaign", "job=retired", "a_very_long_feature_name_that_needs_cutting" };
    const double v[] = { 0.312, 0.118, 0.094, 0.061, 0.055, 0.049, 0.043, 0.038, 0.035,
                         0.022, 0.011, 0.004 };
    double w[12];
    for (int i = 0; i < 12; i++)
        w[i] = v[(i * 5) % 12];
    aml_plot_bar_data d = aml_plot_bar_data_default();
    d.labels = NULL;
    const char *lab[12];
    for (int i = 0; i < 12; i++)
        lab[i] = labels[(i * 5) % 12];
    d.labels = lab; d.values = w; d.n = 12;
    d.horizontal = true; d.sort = AML_PLOT_SORT_DESC; d.value_labels = true;
    aml_plot_opts o = opts_titled("Feature importance (gain)", "Importance", NULL);
    return aml_plot_bar(&o, &d, out, err);
}

static int chart_bar_rotated(aml_plot_image **out, aml_error *err)
{
    static const char *const labels[] = {
        "management", "technician", "entrepreneur", "blue-collar", "unknown", "retired",
        "admin.", "services", "self-employed", "unemployed", "housemaid", "student",
        "Zürich office", "very long category label number one", "north", "south",
        "east", "west", "other", "missing" };
    double v[20];
    for (int i = 0; i < 20; i++)
        v[i] = 1000.0 * (i % 7 + 1) - 2500.0 + 170 * i;
    aml_plot_bar_data d = aml_plot_bar_data_default();
    d.labels = labels; d.values = v; d.n = 20; d.color = 2;
    aml_plot_opts o = opts_titled("Balance by job (rotated labels, negatives)", "Job", "Mean balance");
    return aml_plot_bar(&o, &d, out, err);
}

static int chart_hist(aml_plot_image **out, aml_error *err)
{
    enum { N = 5000 };
    static double v[N];
    rng r = { 5 };
    for (int i = 0; i < N; i++)
        v[i] = 40.0 + 10.0 * rnd_n(&r) + (i % 5 == 0 ? 25.0 * rnd_u(&r) : 0.0);
    aml_plot_hist_data d = aml_plot_hist_data_default();
    d.values = v; d.n = N;
    aml_plot_opts o = opts_titled("Age", "Age (years)", NULL);
    return aml_plot_hist(&o, &d, out, err);
}

static int chart_hist_overlay(aml_plot_image **out, aml_error *err)
{
    enum { N = 4000 };
    static double v[N];
    static int c[N];
    rng r = { 11 };
    for (int i = 0; i < N; i++) {
        c[i] = i % 4 == 0;
        v[i] = c[i] ? 0.65 + 0.15 * rnd_n(&r) : 0.3 + 0.15 * rnd_n(&r);
    }
    static const char *const names[2] = { "no", "yes" };
    aml_plot_hist_data d = aml_plot_hist_data_default();
    d.values = v; d.n = N; d.category = c; d.category_names = names; d.n_categories = 2;
    d.density = true;
    aml_plot_opts o = opts_titled("Predicted probability by true class", "P(yes)", NULL);
    return aml_plot_hist(&o, &d, out, err);
}

static int chart_box(aml_plot_image **out, aml_error *err)
{
    enum { N = 400 };
    static double g[4][N];
    rng r = { 3 };
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < N; i++)
            g[k][i] = 10 + 3 * k + (1 + k * 0.5) * rnd_n(&r) +
                      (i % 50 == 0 ? 8.0 * (k % 2 ? -1 : 1) : 0.0);
    aml_plot_box_group grp[4] = {
        { g[0], N, "fold 1" }, { g[1], N, "fold 2" }, { g[2], N, "fold 3" }, { g[3], N, "fold 4" } };
    aml_plot_opts o = opts_titled("Score distribution per fold", "Fold", "Score");
    return aml_plot_box(&o, grp, 4, out, err);
}

static int chart_confusion(aml_plot_image **out, aml_error *err)
{
    const int64_t cm[9] = { 1205, 37, 8, 64, 830, 91, 5, 120, 640 };
    static const char *const names[3] = { "cat", "dog", "rabbit" };
    aml_plot_opts o = opts_titled("Confusion matrix (validation)", NULL, NULL);
    return aml_plot_confusion(&o, cm, 3, names, out, err);
}

static int chart_heatmap(aml_plot_image **out, aml_error *err)
{
    enum { K = 6 };
    double m[K * K];
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            m[i * K + j] = i == j ? 1.0 : cos((i + 1) * (j + 2) * 0.7) * 0.6;
    static const char *const names[K] = { "age", "balance", "duration", "campaign", "pdays",
                                          "previous" };
    aml_plot_heatmap_data d = aml_plot_heatmap_data_default();
    d.values = m; d.rows = d.cols = K; d.row_labels = d.col_labels = names;
    d.annot = AML_PLOT_ANNOT_VALUE; d.colorbar_title = "Correlation";
    aml_plot_opts o = opts_titled("Correlation", NULL, NULL);
    return aml_plot_heatmap(&o, &d, out, err);
}

enum { NS = 2000 };
static double sc_a[NS], sc_b[NS];
static int lab[NS];

static void make_scores(void)
{
    rng r = { 77 };
    for (int i = 0; i < NS; i++) {
        lab[i] = rnd_u(&r) < 0.3;
        sc_a[i] = 1.0 / (1.0 + exp(-(lab[i] ? 1.2 : -1.2) - 1.3 * rnd_n(&r)));
        sc_b[i] = round(100 * (1.0 / (1.0 + exp(-(lab[i] ? 0.6 : -0.6) - 1.3 * rnd_n(&r))))) / 100;
    }
}

static int chart_roc(aml_plot_image **out, aml_error *err)
{
    make_scores();
    aml_plot_scored c[2] = { { sc_a, lab, NS, "xgboost" }, { sc_b, lab, NS, "logistic" } };
    aml_plot_opts o = opts_titled("ROC curve", NULL, NULL);
    return aml_plot_roc(&o, c, 2, out, err);
}

static int chart_pr(aml_plot_image **out, aml_error *err)
{
    make_scores();
    aml_plot_scored c[2] = { { sc_a, lab, NS, "xgboost" }, { sc_b, lab, NS, "logistic" } };
    aml_plot_opts o = opts_titled("Precision-recall curve", NULL, NULL);
    return aml_plot_pr(&o, c, 2, out, err);
}

typedef struct chart_case {
    const char *name;
    int (*render)(aml_plot_image **out, aml_error *err);
} chart_case;

static const chart_case charts[] = {
    { "line", chart_line },
    { "line_steps_fill", chart_line_steps },
    { "line_log", chart_line_log },
    { "scatter_categories", chart_scatter },
    { "scatter_100k", chart_scatter_100k },
    { "bar", chart_bar },
    { "bar_importance", chart_bar_importance },
    { "bar_rotated", chart_bar_rotated },
    { "hist", chart_hist },
    { "hist_overlay", chart_hist_overlay },
    { "box", chart_box },
    { "confusion", chart_confusion },
    { "heatmap", chart_heatmap },
    { "roc", chart_roc },
    { "pr", chart_pr },
};
#define N_CHARTS (sizeof charts / sizeof charts[0])

/* ---- PNG decoding and comparison ---- */

typedef struct rgba_img {
    png_image im;
    unsigned char *px;
} rgba_img;

static bool decode_mem(const unsigned char *data, size_t size, rgba_img *out)
{
    memset(out, 0, sizeof *out);
    out->im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&out->im, data, size))
        return false;
    out->im.format = PNG_FORMAT_RGBA;
    out->px = malloc(PNG_IMAGE_SIZE(out->im));
    if (!out->px || !png_image_finish_read(&out->im, NULL, out->px, 0, NULL)) {
        free(out->px);
        out->px = NULL;
        return false;
    }
    return true;
}

static bool decode_file(const char *path, rgba_img *out)
{
    memset(out, 0, sizeof *out);
    out->im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&out->im, path))
        return false;
    out->im.format = PNG_FORMAT_RGBA;
    out->px = malloc(PNG_IMAGE_SIZE(out->im));
    if (!out->px || !png_image_finish_read(&out->im, NULL, out->px, 0, NULL)) {
        free(out->px);
        out->px = NULL;
        return false;
    }
    return true;
}

/* A pixel differs when a channel differs by more than THRESH; images match
 * when at most MAX_FRAC of the pixels differ. */
#define THRESH 40
#define MAX_FRAC 0.002

static double diff_fraction(const rgba_img *a, const rgba_img *b)
{
    if (a->im.width != b->im.width || a->im.height != b->im.height)
        return 1.0;
    size_t n = (size_t)a->im.width * a->im.height, bad = 0;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            if (abs((int)a->px[4 * i + c] - (int)b->px[4 * i + c]) > THRESH) {
                bad++;
                break;
            }
    return (double)bad / (double)n;
}

static void exe_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0) {
        snprintf(buf, cap, ".");
        return;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
}

static void golden_dir(char *buf, size_t cap)
{
    struct stat st;
    if (stat("tests/data/golden/plot", &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(buf, cap, "tests/data/golden/plot");
        return;
    }
    char d[PATH_MAX / 2];
    exe_dir(d, sizeof d);
    /* build/<variant>/tests/test_plot -> repository root */
    snprintf(buf, cap, "%s/../../../tests/data/golden/plot", d);
}

static bool write_file(const char *path, const unsigned char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static void check_golden(const chart_case *cc)
{
    aml_plot_image *img = NULL;
    aml_error err = { 0 };
    int rc = cc->render(&img, &err);
    cr_assert_eq(rc, 0, "%s: render failed: %s (%s)", cc->name, aml_strerror(rc), err.text);
    cr_assert_not_null(img);
    cr_assert_eq(img->width, 640);
    cr_assert_eq(img->height, 400);
    cr_assert_eq(img->pixel_width, 1280);
    cr_assert_eq(img->pixel_height, 800);
    char dir[PATH_MAX], path[PATH_MAX + 64];
    golden_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s.png", dir, cc->name);
    const char *upd = getenv("AML_GOLDEN_UPDATE");
    if (upd && strcmp(upd, "1") == 0) {
        cr_assert(write_file(path, img->png, img->png_size), "cannot write %s", path);
        cr_log_info("golden image written: %s", path);
        aml_plot_image_free(img);
        return;
    }
    rgba_img got, want;
    cr_assert(decode_mem(img->png, img->png_size, &got), "%s: our PNG does not decode", cc->name);
    bool have = decode_file(path, &want);
    double frac = have ? diff_fraction(&got, &want) : 1.0;
    if (!have || frac > MAX_FRAC) {
        char d[PATH_MAX / 2], apath[PATH_MAX + 64];
        exe_dir(d, sizeof d);
        snprintf(apath, sizeof apath, "%s/plot-actual", d);
        mkdir(apath, 0755);
        snprintf(apath, sizeof apath, "%s/plot-actual/%s.png", d, cc->name);
        write_file(apath, img->png, img->png_size);
        free(got.px);
        free(want.px);
        aml_plot_image_free(img);
        if (!have)
            cr_assert_fail("%s: no golden image %s (run `make golden` and review it); actual: %s",
                    cc->name, path, apath);
        cr_assert_fail("%s: %.3f%% of pixels differ from %s (limit %.3f%%); actual image: %s",
                cc->name, frac * 100, path, MAX_FRAC * 100, apath);
    }
    free(got.px);
    free(want.px);
    aml_plot_image_free(img);
}

#define GOLDEN_TEST(idx, tname) \
    Test(plot_golden, tname) { check_golden(&charts[idx]); }
GOLDEN_TEST(0, line)
GOLDEN_TEST(1, line_steps_fill)
GOLDEN_TEST(2, line_log)
GOLDEN_TEST(3, scatter_categories)
GOLDEN_TEST(4, scatter_100k)
GOLDEN_TEST(5, bar)
GOLDEN_TEST(6, bar_importance)
GOLDEN_TEST(7, bar_rotated)
GOLDEN_TEST(8, hist)
GOLDEN_TEST(9, hist_overlay)
GOLDEN_TEST(10, box)
GOLDEN_TEST(11, confusion)
GOLDEN_TEST(12, heatmap)
GOLDEN_TEST(13, roc)
GOLDEN_TEST(14, pr)

/* The comparison itself must be able to fail: a 1% block of changed pixels
 * is caught, a handful of anti-aliasing differences is not. */
Test(plot_golden, comparator_detects_changes)
{
    aml_plot_image *img = NULL;
    cr_assert_eq(chart_bar(&img, NULL), 0);
    rgba_img a, b;
    cr_assert(decode_mem(img->png, img->png_size, &a));
    cr_assert(decode_mem(img->png, img->png_size, &b));
    cr_assert_eq(diff_fraction(&a, &b), 0.0);
    for (int i = 0; i < 8; i++)
        b.px[4 * (i * 997 + 5000)] ^= 0xff;
    cr_assert(diff_fraction(&a, &b) <= MAX_FRAC, "8 pixels must be within tolerance");
    for (unsigned y = 300; y < 400; y++)
        for (unsigned x = 600; x < 700; x++)
            memset(&b.px[4 * (y * b.im.width + x)], 0x40, 3);
    cr_assert(diff_fraction(&a, &b) > MAX_FRAC, "a 100x100 block must be caught");
    free(a.px);
    free(b.px);
    aml_plot_image_free(img);
}

/* ---- determinism and output format ---- */

Test(plot, deterministic_bytes)
{
    for (size_t i = 0; i < N_CHARTS; i++) {
        aml_plot_image *a = NULL, *b = NULL;
        cr_assert_eq(charts[i].render(&a, NULL), 0, "%s", charts[i].name);
        cr_assert_eq(charts[i].render(&b, NULL), 0, "%s", charts[i].name);
        cr_assert_eq(a->png_size, b->png_size, "%s: sizes differ", charts[i].name);
        cr_assert(memcmp(a->png, b->png, a->png_size) == 0, "%s: bytes differ", charts[i].name);
        /* a PNG whose IHDR says 1280x800 */
        cr_assert(a->png_size > 33 && memcmp(a->png, "\x89PNG\r\n\x1a\n", 8) == 0);
        uint32_t w = (uint32_t)a->png[16] << 24 | (uint32_t)a->png[17] << 16 |
                     (uint32_t)a->png[18] << 8 | a->png[19];
        uint32_t h = (uint32_t)a->png[20] << 24 | (uint32_t)a->png[21] << 16 |
                     (uint32_t)a->png[22] << 8 | a->png[23];
        cr_assert_eq(w, 1280u);
        cr_assert_eq(h, 800u);
        aml_plot_image_free(a);
        aml_plot_image_free(b);
    }
}

Test(plot, logical_size_and_scale)
{
    double y[3] = { 1, 3, 2 };
    aml_plot_series s = aml_plot_series_default();
    s.y = y;
    s.n = 3;
    aml_plot_opts o = aml_plot_opts_default();
    o.width = 300;
    o.height = 200;
    o.scale = 1.5;
    aml_plot_image *img = NULL;
    cr_assert_eq(aml_plot_line(&o, &s, 1, &img, NULL), 0);
    cr_assert_eq(img->width, 300);
    cr_assert_eq(img->height, 200);
    cr_assert_eq(img->pixel_width, 450);
    cr_assert_eq(img->pixel_height, 300);
    aml_plot_image_free(img);
    aml_plot_image_free(NULL);
}

/* ---- nice ticks ---- */

static void expect_ticks(double lo, double hi, int mt, const double *want, size_t n, double step)
{
    double t[64], s = 0;
    size_t got = 0;
    cr_assert_eq(aml_plot_nice_ticks(lo, hi, mt, t, 64, &got, &s), 0);
    cr_assert_eq(got, n, "[%g, %g] max %d: %zu ticks, want %zu", lo, hi, mt, got, n);
    cr_assert_float_eq(s, step, 1e-12 * fabs(step), "[%g, %g]: step %g want %g", lo, hi, s, step);
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(t[i], want[i], 1e-9 * (fabs(want[i]) + 1e-300),
                           "[%g, %g] tick %zu: %g want %g", lo, hi, i, t[i], want[i]);
}

Test(plot, nice_ticks_hand_checked)
{
    expect_ticks(0, 1, 6, (double[]){ 0, 0.2, 0.4, 0.6, 0.8, 1.0 }, 6, 0.2);
    expect_ticks(0, 100, 6, (double[]){ 0, 20, 40, 60, 80, 100 }, 6, 20);
    expect_ticks(0, 100, 5, (double[]){ 0, 50, 100 }, 3, 50);
    expect_ticks(-3.7, 12.2, 8, (double[]){ -2, 0, 2, 4, 6, 8, 10, 12 }, 8, 2);
    expect_ticks(0.0013, 0.0091, 5, (double[]){ 0.002, 0.004, 0.006, 0.008 }, 4, 0.002);
    expect_ticks(1e6, 5e6, 5, (double[]){ 1e6, 2e6, 3e6, 4e6, 5e6 }, 5, 1e6);
    expect_ticks(-1, 1, 11, (double[]){ -1, -0.8, -0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6, 0.8, 1 },
                 11, 0.2);
    expect_ticks(5, 5, 5, (double[]){ 4.6, 4.8, 5.0, 5.2, 5.4 }, 5, 0.2);
}

Test(plot, nice_ticks_errors)
{
    double t[4];
    size_t n;
    cr_assert_eq(aml_plot_nice_ticks(1, 0, 5, t, 4, &n, NULL), AML_EINVAL);
    cr_assert_eq(aml_plot_nice_ticks(NAN, 1, 5, t, 4, &n, NULL), AML_EINVAL);
    cr_assert_eq(aml_plot_nice_ticks(0, INFINITY, 5, t, 4, &n, NULL), AML_EINVAL);
    cr_assert_eq(aml_plot_nice_ticks(0, 1, 1, t, 4, &n, NULL), AML_EINVAL);
    cr_assert_eq(aml_plot_nice_ticks(0, 1, 6, t, 4, &n, NULL), AML_ERANGE);
    cr_assert_eq(aml_plot_nice_ticks(0, 1, 6, NULL, 4, &n, NULL), AML_EINVAL);
}

/* ---- Freedman-Diaconis ---- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(plot, fd_bins)
{
    double v[100];
    size_t b = 0;
    for (int i = 0; i < 100; i++)
        v[i] = i + 1;
    /* IQR = 75.25 - 25.75 = 49.5, h = 99 / cbrt(100) = 21.33, 99 / h = 4.64 -> 5 */
    cr_assert_eq(aml_plot_fd_bins(v, 100, &b, NULL), 0);
    cr_assert_eq(b, 5u);
    /* all equal -> 1; a single value -> 1 */
    double c[7] = { 3, 3, 3, 3, 3, 3, 3 };
    cr_assert_eq(aml_plot_fd_bins(c, 7, &b, NULL), 0);
    cr_assert_eq(b, 1u);
    cr_assert_eq(aml_plot_fd_bins(c, 1, &b, NULL), 0);
    cr_assert_eq(b, 1u);
    /* IQR 0 but a range: Sturges, ceil(log2 11) + 1 = 5 */
    double z[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    cr_assert_eq(aml_plot_fd_bins(z, 11, &b, NULL), 0);
    cr_assert_eq(b, 5u);
    /* 1000 normals against the formula computed here */
    enum { N = 1000 };
    double g[N], s[N];
    rng r = { 2024 };
    for (int i = 0; i < N; i++)
        s[i] = g[i] = rnd_n(&r);
    qsort(s, N, sizeof s[0], cmp_d);
    double q1p = 0.25 * (N - 1), q3p = 0.75 * (N - 1);
    double q1 = s[(int)q1p] + (s[(int)q1p + 1] - s[(int)q1p]) * (q1p - floor(q1p));
    double q3 = s[(int)q3p] + (s[(int)q3p + 1] - s[(int)q3p]) * (q3p - floor(q3p));
    size_t want = (size_t)ceil((s[N - 1] - s[0]) / (2 * (q3 - q1) / cbrt(N)));
    cr_assert_eq(aml_plot_fd_bins(g, N, &b, NULL), 0);
    cr_assert_eq(b, want);
    cr_assert(b >= 10 && b <= 40, "normal sample of 1000: %zu bins", b);
    aml_error err = { 0 };
    v[3] = NAN;
    cr_assert_eq(aml_plot_fd_bins(v, 100, &b, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "[3]") && strstr(err.text, "NaN"), "%s", err.text);
    cr_assert_eq(aml_plot_fd_bins(v, 0, &b, NULL), AML_EEMPTY);
}

/* ---- AUC and average precision against naive references ---- */

static double naive_auc(const double *s, const int *l, size_t n)
{
    double num = 0, P = 0, N = 0;
    for (size_t i = 0; i < n; i++) {
        P += l[i];
        N += !l[i];
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (l[i] && !l[j])
                num += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
    return num / (P * N);
}

/* AP as a sum over distinct thresholds t (descending):
 * (recall(t) - recall(previous t)) * precision(t), by counting directly. */
static double naive_ap(const double *s, const int *l, size_t n)
{
    double P = 0, ap = 0, prev_r = 0;
    for (size_t i = 0; i < n; i++)
        P += l[i];
    double *t = malloc(n * sizeof *t);
    memcpy(t, s, n * sizeof *t);
    qsort(t, n, sizeof *t, cmp_d);
    for (size_t k = n; k-- > 0;) {
        if (k + 1 < n && t[k] == t[k + 1])
            continue;
        double tp = 0, sel = 0;
        for (size_t i = 0; i < n; i++)
            if (s[i] >= t[k]) {
                sel++;
                tp += l[i];
            }
        double rec = tp / P;
        ap += (rec - prev_r) * (tp / sel);
        prev_r = rec;
    }
    free(t);
    return ap;
}

Test(plot, auc_matches_naive)
{
    make_scores();
    double auc;
    cr_assert_eq(aml_plot_roc_auc(sc_a, lab, NS, &auc, NULL), 0);
    cr_assert_float_eq(auc, naive_auc(sc_a, lab, NS), 1e-12);
    /* many ties */
    cr_assert_eq(aml_plot_roc_auc(sc_b, lab, NS, &auc, NULL), 0);
    cr_assert_float_eq(auc, naive_auc(sc_b, lab, NS), 1e-12);
    cr_assert(auc > 0.6 && auc < 0.95, "auc %g", auc);
    const double s[4] = { 0.1, 0.2, 0.3, 0.4 };
    const int up[4] = { 0, 0, 1, 1 }, down[4] = { 1, 1, 0, 0 }, tie[4] = { 0, 1, 0, 1 };
    cr_assert_eq(aml_plot_roc_auc(s, up, 4, &auc, NULL), 0);
    cr_assert_float_eq(auc, 1.0, 1e-15);
    cr_assert_eq(aml_plot_roc_auc(s, down, 4, &auc, NULL), 0);
    cr_assert_float_eq(auc, 0.0, 1e-15);
    const double same[4] = { 0.5, 0.5, 0.5, 0.5 };
    cr_assert_eq(aml_plot_roc_auc(same, tie, 4, &auc, NULL), 0);
    cr_assert_float_eq(auc, 0.5, 1e-15);
}

Test(plot, average_precision_matches_naive)
{
    double ap;
    const double s[4] = { 0.9, 0.8, 0.7, 0.6 };
    const int l[4] = { 1, 0, 1, 0 };
    cr_assert_eq(aml_plot_average_precision(s, l, 4, &ap, NULL), 0);
    cr_assert_float_eq(ap, 0.5 * 1.0 + 0.5 * (2.0 / 3.0), 1e-12);
    make_scores();
    cr_assert_eq(aml_plot_average_precision(sc_a, lab, NS, &ap, NULL), 0);
    cr_assert_float_eq(ap, naive_ap(sc_a, lab, NS), 1e-12);
    cr_assert_eq(aml_plot_average_precision(sc_b, lab, NS, &ap, NULL), 0);
    cr_assert_float_eq(ap, naive_ap(sc_b, lab, NS), 1e-12);
}

/* ---- invalid input: a clear error, *out stays NULL, never a crash ---- */

#define EXPECT_ERR(call, code, needle)                                                   \
    do {                                                                                 \
        out = (aml_plot_image *)&err; /* any non-NULL value: must be reset to NULL */    \
        int rc_ = (call);                                                                \
        cr_assert_eq(rc_, code, "%s: got %s (%s), want %s", #call, aml_err_name(rc_),    \
                     err.text, aml_err_name(code));                                      \
        cr_assert_null(out, "%s: *out must stay NULL", #call);                          \
        cr_assert(strstr(err.text, needle), "%s: message '%s' lacks '%s'", #call,       \
                  err.text, needle);                                                     \
        memset(&err, 0, sizeof err);                                                     \
    } while (0)

Test(plot, errors)
{
    aml_plot_image *out = NULL;
    aml_error err = { 0 };
    double x[4] = { 1, 2, 3, 4 }, y[4] = { 1, 2, NAN, 4 }, yok[4] = { 1, -2, 3, 4 };
    aml_plot_series s = aml_plot_series_default();
    s.x = x; s.y = y; s.n = 4; s.label = "loss";
    EXPECT_ERR(aml_plot_line(NULL, &s, 1, &out, &err), AML_EINVAL, "y[2] is NaN");
    s.y = yok;
    s.n = 0;
    EXPECT_ERR(aml_plot_line(NULL, &s, 1, &out, &err), AML_EEMPTY, "no points");
    EXPECT_ERR(aml_plot_line(NULL, &s, 0, &out, &err), AML_EEMPTY, "no series");
    s.n = 4;
    aml_plot_opts o = aml_plot_opts_default();
    o.width = 0;
    EXPECT_ERR(aml_plot_line(&o, &s, 1, &out, &err), AML_ERANGE, "64..8192");
    o = aml_plot_opts_default();
    o.scale = 0;
    EXPECT_ERR(aml_plot_line(&o, &s, 1, &out, &err), AML_ERANGE, "scale");
    o = aml_plot_opts_default();
    o.y_scale = AML_PLOT_LOG;
    EXPECT_ERR(aml_plot_line(&o, &s, 1, &out, &err), AML_ERANGE, "positive");
    o = aml_plot_opts_default();
    o.x_min = 3;
    o.x_max = 1;
    EXPECT_ERR(aml_plot_line(&o, &s, 1, &out, &err), AML_ERANGE, "x_min");
    cr_assert_eq(aml_plot_line(NULL, &s, 1, NULL, &err), AML_EINVAL);

    int cat[4] = { 0, 1, 2, 1 };
    aml_plot_scatter_data sd = aml_plot_scatter_data_default();
    sd.x = x; sd.y = yok; sd.n = 4; sd.category = cat; sd.n_categories = 2;
    EXPECT_ERR(aml_plot_scatter(NULL, &sd, &out, &err), AML_EINVAL, "category[2] = 2");
    sd.category = NULL;
    sd.y = NULL;
    EXPECT_ERR(aml_plot_scatter(NULL, &sd, &out, &err), AML_EINVAL, "y is NULL");

    const char *labels[4] = { "a", "b", "c", "d" };
    aml_plot_bar_data bd = aml_plot_bar_data_default();
    bd.labels = labels; bd.values = y; bd.n = 4;
    EXPECT_ERR(aml_plot_bar(NULL, &bd, &out, &err), AML_EINVAL, "NaN");
    bd.values = yok;
    o = aml_plot_opts_default();
    o.y_scale = AML_PLOT_LOG;
    EXPECT_ERR(aml_plot_bar(&o, &bd, &out, &err), AML_ERANGE, "log");
    bd.n = 0;
    EXPECT_ERR(aml_plot_bar(NULL, &bd, &out, &err), AML_EEMPTY, "no bars");

    aml_plot_hist_data hd = aml_plot_hist_data_default();
    hd.values = x; hd.n = 4; hd.category = cat; hd.n_categories = 3;
    cat[2] = -1;
    EXPECT_ERR(aml_plot_hist(NULL, &hd, &out, &err), AML_EINVAL, "category[2] = -1");
    hd.n = 0;
    EXPECT_ERR(aml_plot_hist(NULL, &hd, &out, &err), AML_EEMPTY, "no values");

    aml_plot_box_group g[2] = { { x, 4, "a" }, { y, 4, "b" } };
    EXPECT_ERR(aml_plot_box(NULL, g, 2, &out, &err), AML_EINVAL, "group 1[2] is NaN");
    g[1].n = 0;
    EXPECT_ERR(aml_plot_box(NULL, g, 2, &out, &err), AML_EEMPTY, "group 1 has no values");
    o = aml_plot_opts_default();
    o.y_scale = AML_PLOT_LOG;
    aml_plot_box_group gneg[1] = { { yok, 4, "neg" } };
    EXPECT_ERR(aml_plot_box(&o, gneg, 1, &out, &err), AML_ERANGE, "positive");

    aml_plot_heatmap_data hm = aml_plot_heatmap_data_default();
    hm.values = x; hm.rows = 0; hm.cols = 2;
    EXPECT_ERR(aml_plot_heatmap(NULL, &hm, &out, &err), AML_EEMPTY, "0x2");
    hm.values = yok; hm.rows = 2; hm.color_by_row = true;
    EXPECT_ERR(aml_plot_heatmap(NULL, &hm, &out, &err), AML_ERANGE, "negative");
    int64_t cm[4] = { 3, -1, 2, 5 };
    EXPECT_ERR(aml_plot_confusion(NULL, cm, 2, NULL, &out, &err), AML_EINVAL, "counts[1]");

    double sc[4] = { 0.1, 0.4, 0.35, 0.8 };
    int l2[4] = { 0, 0, 2, 1 }, l1[4] = { 1, 1, 1, 1 };
    aml_plot_scored c = { sc, l2, 4, "m" };
    EXPECT_ERR(aml_plot_roc(NULL, &c, 1, &out, &err), AML_EINVAL, "labels[2] = 2");
    c.labels = l1;
    EXPECT_ERR(aml_plot_pr(NULL, &c, 1, &out, &err), AML_EINVAL, "both classes");
    c.n = 0;
    EXPECT_ERR(aml_plot_roc(NULL, &c, 1, &out, &err), AML_EEMPTY, "no scores");
    EXPECT_ERR(aml_plot_roc(NULL, &c, 0, &out, &err), AML_EEMPTY, "no curves");
}

/* ---- edge cases that must render ---- */

Test(plot, degenerate_inputs_render)
{
    aml_plot_image *img = NULL;
    double one[1] = { 5 };
    aml_plot_series s = aml_plot_series_default();
    s.y = one; s.n = 1; s.label = "single point";
    cr_assert_eq(aml_plot_line(NULL, &s, 1, &img, NULL), 0);
    aml_plot_image_free(img);
    double flat[3] = { 2, 2, 2 };
    aml_plot_hist_data hd = aml_plot_hist_data_default();
    hd.values = flat; hd.n = 3;
    cr_assert_eq(aml_plot_hist(NULL, &hd, &img, NULL), 0);
    aml_plot_image_free(img);
    aml_plot_box_group g = { flat, 3, NULL };
    cr_assert_eq(aml_plot_box(NULL, &g, 1, &img, NULL), 0);
    aml_plot_image_free(img);
    const int64_t zero[4] = { 0, 0, 0, 0 };
    cr_assert_eq(aml_plot_confusion(NULL, zero, 2, NULL, &img, NULL), 0);
    aml_plot_image_free(img);
    double big[2] = { -1e300, 1e300 };
    aml_plot_scatter_data sd = aml_plot_scatter_data_default();
    sd.x = big; sd.y = big; sd.n = 2;
    cr_assert_eq(aml_plot_scatter(NULL, &sd, &img, NULL), 0);
    aml_plot_image_free(img);
    aml_plot_opts o = aml_plot_opts_default();
    o.width = 64;
    o.height = 64;
    o.title = "a title far too long for a sixty-four pixel wide chart";
    cr_assert_eq(chart_bar_importance(&img, NULL), 0);
    aml_plot_image_free(img);
    const char *many[200];
    double v[200];
    for (int i = 0; i < 200; i++) {
        many[i] = "category";
        v[i] = i;
    }
    aml_plot_bar_data bd = aml_plot_bar_data_default();
    bd.labels = many; bd.values = v; bd.n = 200;
    cr_assert_eq(aml_plot_bar(&o, &bd, &img, NULL), 0);
    aml_plot_image_free(img);
}

/* ---- allocation failures: every failing allocation gives AML_ENOMEM and
 * frees what was taken (the ASan build checks the leaks) ---- */

static long alloc_budget;

static void *fail_malloc(size_t n, void *u)
{
    (void)u;
    if (alloc_budget-- <= 0)
        return NULL;
    return malloc(n);
}

static void *fail_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (alloc_budget-- <= 0)
        return NULL;
    return realloc(p, n);
}

static void plain_free(void *p, void *u)
{
    (void)u;
    free(p);
}

Test(plot, allocation_failures)
{
    const aml_allocator a = { fail_malloc, fail_realloc, plain_free, NULL };
    for (size_t i = 0; i < N_CHARTS; i++) {
        if (strcmp(charts[i].name, "scatter_100k") == 0)
            continue;
        bool ok = false;
        for (long budget = 0; budget < 200 && !ok; budget++) {
            alloc_budget = budget;
            aml_allocator_set(&a);
            aml_plot_image *img = NULL;
            int rc = charts[i].render(&img, NULL);
            aml_allocator_set(NULL);
            cr_assert(rc == 0 || rc == AML_ENOMEM, "%s budget %ld: %s", charts[i].name,
                      budget, aml_err_name(rc));
            if (rc == 0)
                ok = true;
            else
                cr_assert_null(img);
            aml_plot_image_free(img);
        }
        cr_assert(ok, "%s never succeeded", charts[i].name);
    }
}

/* ---- tick labels (internal formatting) ---- */

Test(plot, tick_labels_hand_checked)
{
    char l[8][AMLP_PLOT_LABEL_LEN];
    const double a[6] = { 0, 0.2, 0.4, 0.6, 0.8, 1.0 };
    amlp_format_ticks(a, 6, false, false, l);
    cr_assert_str_eq(l[0], "0.0");
    cr_assert_str_eq(l[1], "0.2");
    cr_assert_str_eq(l[5], "1.0");
    const double b[3] = { -2, 0, 2 };
    amlp_format_ticks(b, 3, false, false, l);
    cr_assert_str_eq(l[0], "\xE2\x88\x92" "2");  /* U+2212 minus sign */
    cr_assert_str_eq(l[1], "0");
    cr_assert_str_eq(l[2], "2");
    const double c[3] = { 1e6, 2e6, 3e6 };
    amlp_format_ticks(c, 3, false, false, l);
    cr_assert_str_eq(l[0], "1e6");
    cr_assert_str_eq(l[2], "3e6");
    const double d[4] = { 0.01, 0.1, 1, 10 };
    amlp_format_ticks(d, 4, true, false, l);
    cr_assert_str_eq(l[0], "0.01");
    cr_assert_str_eq(l[2], "1");
    cr_assert_str_eq(l[3], "10");
    const double e[3] = { 0, 0.5, 1 };
    amlp_format_ticks(e, 3, false, true, l);
    cr_assert_str_eq(l[0], "0%");
    cr_assert_str_eq(l[1], "50%");
    cr_assert_str_eq(l[2], "100%");
    const double f[2] = { 0.00025, 0.0005 };
    amlp_format_ticks(f, 2, false, false, l);
    cr_assert_str_eq(l[0], "0.00025");
    const double g[4] = { 0.45, 0.3, -0.01, 0.05 };
    cr_assert_eq(amlp_value_decimals(g, 4), 2);
    char buf[48];
    amlp_format_fixed(-0.01, 2, buf, sizeof buf);
    cr_assert_str_eq(buf, "\xE2\x88\x92" "0.01");
    amlp_format_fixed(-0.0001, 2, buf, sizeof buf);
    cr_assert_str_eq(buf, "0.00");
    const double h[3] = { 0.9123, 0.5, 0.25 };
    cr_assert_eq(amlp_value_decimals(h, 3), 3);
    const double k[2] = { 1200, 35 };
    cr_assert_eq(amlp_value_decimals(k, 2), 0);
}

/* ---- thread safety: concurrent renders give the single-threaded bytes ---- */

typedef struct thread_job {
    size_t chart;
    int reps;
    const aml_plot_image *want;
    int mismatches;
} thread_job;

static void *render_thread(void *arg)
{
    thread_job *j = arg;
    for (int r = 0; r < j->reps; r++) {
        aml_plot_image *img = NULL;
        if (charts[j->chart].render(&img, NULL) != 0 || img->png_size != j->want->png_size ||
            memcmp(img->png, j->want->png, img->png_size) != 0)
            j->mismatches++;
        aml_plot_image_free(img);
    }
    return NULL;
}

Test(plot, concurrent_renders)
{
    /* charts whose data is built on the stack or read-only (no shared writes) */
    const size_t pick[4] = { 0, 5, 6, 11 };
    aml_plot_image *want[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(charts[pick[i]].render(&want[i], NULL), 0);
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){ pick[i], 6, want[i], 0 };
        cr_assert_eq(pthread_create(&th[i], NULL, render_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(jobs[i].mismatches, 0, "%s differs when rendered concurrently",
                     charts[pick[i]].name);
        aml_plot_image_free(want[i]);
    }
}

static bool is_bar_blue(const unsigned char *px)
{
    return px[2] > 150 && px[0] < 60;
}

/* A bar too short for its value label inside or beside its end (a tiny
 * negative importance next to a large positive one) still gets its label,
 * past the zero line where its row is free. */
Test(plot, a_short_bar_keeps_its_value_label)
{
    static const char *const labels[] = {"month", "balance"};
    const double v[] = {0.0833, -0.0019};
    aml_plot_bar_data d = aml_plot_bar_data_default();
    d.labels = labels; d.values = v; d.n = 2; d.horizontal = true; d.value_labels = true;
    aml_plot_opts o = opts_titled("Permutation importance", "drop in AUC", NULL);
    o.height = 220;
    aml_plot_image *out = NULL;
    rgba_img img;
    cr_assert_eq(aml_plot_bar(&o, &d, &out, NULL), 0);
    cr_assert(decode_mem(out->png, out->png_size, &img));
    aml_plot_image_free(out);
    /* the zero line: where the long bar starts; the short bar's rows: the
     * blue rows of the lower half */
    size_t w = img.im.width, h = img.im.height, zero = w, top = h, bottom = 0;
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            if (!is_bar_blue(img.px + 4 * (y * w + x)))
                continue;
            if (y < h / 2 && x < zero)
                zero = x;
            if (y >= h / 2)
                top = y < top ? y : top, bottom = y > bottom ? y : bottom;
        }
    cr_assert(zero < w && top < bottom, "bars not found");
    size_t ink = 0;   /* dark pixels in that row, right of the zero line */
    for (size_t y = top; y <= bottom; y++)
        for (size_t x = zero + 4; x < zero + w / 4 && x < w; x++) {
            const unsigned char *px = img.px + 4 * (y * w + x);
            ink += px[0] < 110 && px[1] < 110 && px[2] < 110;
        }
    cr_expect_gt(ink, 20, "no label beside the short bar");
    free(img.px);
}
