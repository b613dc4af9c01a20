/* plot_bench.c — render time of each chart kind (engine/plot_*.c): the median
 * of 50 renders at 640x400 logical (1280x800 PNG pixels), PNG encoding
 * included; the target is <= 20 ms for a typical chart.  The peer is
 * matplotlib (tests/bench/plot_bench_mpl.py, same kinds, sizes and PNG size,
 * run in the same process tree); its median and the ratio are printed beside
 * ours when python3-matplotlib is installed.  Built and run by
 * `make bench-plot` (mk/plot.mk) from the repository root.
 * Usage: plot_bench [SUBSTRING]   (only the chart kinds whose name contains it;
 * no peer run then).  PYTHON (default /usr/bin/python3) runs the peer. */
#include "aml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 50

static uint64_t rs = 88172645463325252ULL;

static double rnd_u(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) / 9007199254740992.0;
}

static double rnd_n(void)
{
    double u = rnd_u(), v = rnd_u();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

enum { NL = 200, NS = 3000, NBIG = 100000, NH = 5000, NR = 5000 };
static double lx[NL], ly1[NL], ly2[NL], ly3[NL];
static double sx[NBIG], sy[NBIG];
static int scat[NBIG];
static double hv[NH];
static int hc[NH];
static double rscore[3][NR];
static int rlab[NR];

static void make_data(void)
{
    for (int i = 0; i < NL; i++) {
        lx[i] = i;
        ly1[i] = exp(-i / 40.0) + 0.02 * rnd_n();
        ly2[i] = exp(-i / 50.0) + 0.1 + 0.02 * rnd_n();
        ly3[i] = 0.5 + 0.3 * (1 - exp(-i / 30.0));
    }
    for (int i = 0; i < NBIG; i++) {
        scat[i] = i % 3;
        sx[i] = scat[i] * 2 + rnd_n();
        sy[i] = scat[i] + rnd_n();
    }
    for (int i = 0; i < NH; i++) {
        hc[i] = i % 3 == 0;
        hv[i] = hc[i] ? 1 + rnd_n() : rnd_n();
    }
    for (int i = 0; i < NR; i++) {
        rlab[i] = rnd_u() < 0.3;
        for (int k = 0; k < 3; k++)
            rscore[k][i] = (rlab[i] ? 0.5 + 0.4 * k : 0.0) + rnd_n();
    }
}

static int r_line(aml_plot_image **o)
{
    aml_plot_series s[3] = { aml_plot_series_default(), aml_plot_series_default(),
                             aml_plot_series_default() };
    const double *ys[3] = { ly1, ly2, ly3 };
    const char *names[3] = { "train", "valid", "best" };
    for (int k = 0; k < 3; k++) {
        s[k].x = lx; s[k].y = ys[k]; s[k].n = NL; s[k].label = names[k];
    }
    s[2].steps = true;
    aml_plot_opts op = aml_plot_opts_default();
    op.title = "Training progress"; op.x_title = "Iteration"; op.y_title = "Loss";
    return aml_plot_line(&op, s, 3, o, NULL);
}

static int scatter_n(aml_plot_image **o, size_t n, bool cat)
{
    static const char *const names[3] = { "a", "b", "c" };
    aml_plot_scatter_data d = aml_plot_scatter_data_default();
    d.x = sx; d.y = sy; d.n = n;
    if (cat) {
        d.category = scat; d.category_names = names; d.n_categories = 3;
    }
    aml_plot_opts op = aml_plot_opts_default();
    op.title = "Scatter"; op.x_title = "x"; op.y_title = "y";
    return aml_plot_scatter(&op, &d, o, NULL);
}

static int r_scatter(aml_plot_image **o) { return scatter_n(o, NS, true); }
static int r_scatter_big(aml_plot_image **o) { return scatter_n(o, NBIG, true); }

static int r_bar(aml_plot_image **o)
{
    static const char *const labels[15] = { "duration", "month", "poutcome", "contact",
        "age", "balance", "pdays", "housing", "day", "campaign", "job", "education",
        "loan", "marital", "default" };
    double v[15];
    for (int i = 0; i < 15; i++)
        v[i] = 1.0 / (i + 1.5);
    aml_plot_bar_data d = aml_plot_bar_data_default();
    d.labels = labels; d.values = v; d.n = 15; d.horizontal = true;
    d.sort = AML_PLOT_SORT_DESC; d.value_labels = true;
    aml_plot_opts op = aml_plot_opts_default();
    op.title = "Feature importance";
    return aml_plot_bar(&op, &d, o, NULL);
}

static int r_hist(aml_plot_image **o)
{
    static const char *const names[2] = { "no", "yes" };
    aml_plot_hist_data d = aml_plot_hist_data_default();
    d.values = hv; d.n = NH; d.category = hc; d.category_names = names; d.n_categories = 2;
    aml_plot_opts op = aml_plot_opts_default();
    op.title = "Histogram by class"; op.x_title = "value";
    return aml_plot_hist(&op, &d, o, NULL);
}

static int r_box(aml_plot_image **o)
{
    aml_plot_box_group g[4];
    static const char *const names[4] = { "a", "b", "c", "d" };
    for (int k = 0; k < 4; k++) {
        g[k].values = rscore[k % 3] + k * 1000;
        g[k].n = 1000;
        g[k].label = names[k];
    }
    aml_plot_opts op = aml_plot_opts_default();
    op.title = "Box";
    return aml_plot_box(&op, g, 4, o, NULL);
}

static int r_confusion(aml_plot_image **o)
{
    const int64_t cm[16] = { 500, 20, 3, 1, 15, 420, 30, 2, 4, 25, 380, 9, 0, 3, 12, 280 };
    static const char *const names[4] = { "cat", "dog", "bird", "fish" };
    aml_plot_opts op = aml_plot_opts_default();
    op.title = "Confusion matrix";
    return aml_plot_confusion(&op, cm, 4, names, o, NULL);
}

static int r_roc(aml_plot_image **o)
{
    aml_plot_scored c[3] = { { rscore[0], rlab, NR, "m0" }, { rscore[1], rlab, NR, "m1" },
                             { rscore[2], rlab, NR, "m2" } };
    return aml_plot_roc(NULL, c, 3, o, NULL);
}

static int r_pr(aml_plot_image **o)
{
    aml_plot_scored c[3] = { { rscore[0], rlab, NR, "m0" }, { rscore[1], rlab, NR, "m1" },
                             { rscore[2], rlab, NR, "m2" } };
    return aml_plot_pr(NULL, c, 3, o, NULL);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name, *key;
        int (*fn)(aml_plot_image **);
    } kinds[] = {
        { "line (3 series x 200)", "line", r_line },
        { "scatter (3k, 3 classes)", "scatter3k", r_scatter },
        { "scatter (100k, 3 classes)", "scatter100k", r_scatter_big },
        { "bar (15, horizontal)", "bar", r_bar },
        { "histogram (5k, 2 classes)", "hist", r_hist },
        { "box (4 x 1000)", "box", r_box },
        { "confusion (4x4)", "confusion", r_confusion },
        { "ROC (3 x 5k)", "roc", r_roc },
        { "precision-recall (3 x 5k)", "pr", r_pr },
    };
    enum { NK = sizeof kinds / sizeof kinds[0] };
    double ours[NK], peer[NK];
    make_data();
    printf("chart library: median of %d renders, 640x400 logical -> 1280x800 PNG\n", RUNS);
    printf("%-28s %10s %10s %10s\n", "chart", "median ms", "min ms", "PNG KiB");
    int fail = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (argc > 1 && !strstr(kinds[k].name, argv[1]))
            continue;
        double t[RUNS];
        size_t bytes = 0;
        for (int r = 0; r < RUNS; r++) {
            aml_plot_image *img = NULL;
            double t0 = (aml_now() * 1e3);
            int rc = kinds[k].fn(&img);
            t[r] = (aml_now() * 1e3) - t0;
            if (rc) {
                fprintf(stderr, "%s: %s\n", kinds[k].name, aml_strerror(rc));
                fail = 1;
                break;
            }
            bytes = img->png_size;
            aml_plot_image_free(img);
        }
        qsort(t, RUNS, sizeof t[0], cmp_d);
        ours[k] = (t[RUNS / 2 - 1] + t[RUNS / 2]) / 2;
        printf("%-28s %10.2f %10.2f %10.1f\n", kinds[k].name, ours[k], t[0], bytes / 1024.0);
    }
    if (argc > 1 || fail)
        return fail;
    /* the peer: matplotlib, same charts, 20 renders each */
    const char *py = getenv("PYTHON") ? getenv("PYTHON") : "/usr/bin/python3";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s tests/bench/plot_bench_mpl.py 20 2>/dev/null", py);
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    size_t got = 0;
    for (size_t k = 0; k < NK; k++)
        peer[k] = NAN;
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        char key[64];
        double ms;
        if (sscanf(line, "%63s %lf", key, &ms) != 2)
            continue;
        for (size_t k = 0; k < NK; k++)
            if (strcmp(key, kinds[k].key) == 0) {
                peer[k] = ms;
                got++;
            }
    }
    if (f)
        pclose(f);
    if (got == 0) {
        printf("(no peer figure: %s could not run matplotlib; install python3-matplotlib)\n", py);
        return fail;
    }
    printf("\n%-28s %10s %14s %10s\n", "chart", "ours ms", "matplotlib ms", "speed-up");
    for (size_t k = 0; k < NK; k++)
        printf("%-28s %10.2f %14.2f %9.1fx\n", kinds[k].name, ours[k], peer[k],
               peer[k] / ours[k]);
    return fail;
}
