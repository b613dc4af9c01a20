/* strategy_bench.c — which search strategy `auto` should mean for images
 * (issue #14: "auto is whatever measures best per second, with the
 * measurement kept in the bench"), run by `make bench-vision-strategies`.
 *
 *   strategy_bench [DIR]   (DIR: the Fashion-MNIST IDX folder, default
 *                           /usr/share/datasets/fashion-mnist)
 *
 * Environment (defaults in brackets):
 *   STRAT_N        training images kept [6000]: the first STRAT_N of
 *                  train-*, and the first 2000 of t10k-*, are written as
 *                  plain IDX files into a temporary folder and read back
 *                  with aml_images_read (the official split is kept: t10k
 *                  is the test split, never seen by the search)
 *   STRATS         strategies ["random evolution bayes rl hyperband enas grid"]
 *   STRAT_SEEDS    seeds, one run each ["1 2"]
 *   STRAT_SECONDS  budget of one run, seconds [120]
 *   STRAT_WARMUP   seconds of an unmeasured search first, 0 for none [5]
 * Each run is aml_image_search_run with 2 threads; an on_event callback
 * records, for every finished trial, when it finished and the best
 * validation score so far.
 *
 * Figures, per run, then the mean over a strategy's seeds:
 *   s(t)   the best-so-far curve: the highest validation accuracy of the OK
 *          trials finished by t seconds after the start (trial
 *          finished_at), 0 before the first OK trial; a step function.
 *   @25 %, @50 %, @100 %   s(t) at those shares of the budget B.
 *   area   (1/B) * integral of s(t) dt over [0, B]: the mean of the curve
 *          over the budget, in [0, 1]; higher is better.  It rewards a good
 *          score and reaching it early alike: the "best per second" figure.
 *   test   the final model's accuracy on t10k (aml_run_test_score).
 * Trials run only in the search's share of the budget (at most 45 %, see
 * engine/search/vision_run.c); after it the curve is flat, so @50 % and
 * @100 % are usually equal and the area ranks how fast a strategy finds a
 * good network.  ENAS's trials are scored with shared weights (one-shot),
 * the others' after training alone: compare its test accuracy too.
 * A failed run is reported and left out of the means; a bench reports, it
 * never fails on a result.  Its own errors (no data set) exit 1. */
#include "aml_data.h"
#include "aml_search.h"

#include "aml_base.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "bench_util.h"

#define THREADS 2
#define N_TEST 2000
#define MAX_STRATS 16
#define MAX_SEEDS 16
#define DEFAULT_STRATS "random evolution bayes rl hyperband enas grid"
#define DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define INSTALL_HINT "install it with `make bench-deps` (Debian package dataset-fashion-mnist)"

static const char *const idx_files[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
static char temp_dir[64];

static const char *env_text(const char *name, const char *fallback)
{
    const char *s = getenv(name);
    return s && *s ? s : fallback;
}

/* ---- the subset as IDX files ---- */

static uint32_t read_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void write_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* Copies the header and the first `keep` items of the gzipped IDX file
 * `src` (dims 3: images, 1: labels) to the plain file `dst`. */
static void copy_idx(const char *src, const char *dst, int dims, uint32_t keep)
{
    gzFile in = gzopen(src, "rb");
    if (!in)
        die(src, "cannot open (Fashion-MNIST is missing: " INSTALL_HINT ")");
    unsigned char head[16];
    size_t head_len = 4 + 4 * (size_t)dims;
    if (gzread(in, head, (unsigned)head_len) != (int)head_len ||
        read_be32(head) != 0x800u + (uint32_t)dims)
        die(src, "not an IDX file of the expected kind");
    uint32_t n = read_be32(head + 4);
    keep = keep < n ? keep : n;
    write_be32(head + 4, keep);
    size_t item = 1;
    for (int d = 1; d < dims; d++)
        item *= read_be32(head + 4 + 4 * (size_t)d);
    size_t bytes = item * keep;
    unsigned char *buf = amlp_malloc(bytes + 1);
    if (!buf)
        die(src, "out of memory");
    if (gzread(in, buf, (unsigned)bytes) != (int)bytes)
        die(src, "shorter than its header says");
    gzclose(in);
    FILE *out = fopen(dst, "wb");
    if (!out || fwrite(head, 1, head_len, out) != head_len || fwrite(buf, 1, bytes, out) != bytes ||
        fclose(out) != 0)
        die(dst, strerror(errno));
    amlp_free(buf);
}

static void remove_temp(void)
{
    char path[128];
    for (size_t i = 0; i < 4 && temp_dir[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", temp_dir, idx_files[i]);
        unlink(path);
    }
    if (temp_dir[0])
        rmdir(temp_dir);
}

/* Writes the first n_train training and N_TEST test images of dir into a
 * new temporary folder (removed at exit) and returns its path. */
static const char *write_subset(const char *dir, uint32_t n_train)
{
    char x6[7];
    memset(x6, 'X', 6);   /* mkdtemp's template, assembled at run time */
    x6[6] = '\0';
    snprintf(temp_dir, sizeof temp_dir, "/tmp/aml-strat-%s", x6);
    if (!mkdtemp(temp_dir)) {
        temp_dir[0] = '\0';
        die("/tmp", strerror(errno));
    }
    atexit(remove_temp);
    for (size_t i = 0; i < 4; i++) {
        char src[512], dst[128];
        snprintf(src, sizeof src, "%s/%s.gz", dir, idx_files[i]);
        snprintf(dst, sizeof dst, "%s/%s", temp_dir, idx_files[i]);
        copy_idx(src, dst, i % 2 ? 1 : 3, i < 2 ? n_train : N_TEST);
    }
    return temp_dir;
}

/* ---- one run: the best-so-far curve ---- */

/* The improvements of s(t), in time order, and the trials seen. */
typedef struct curve {
    double *t, *s;
    size_t n, cap, trials, ok;
} curve;

static void grow(curve *c)
{
    size_t cap = c->cap ? 2 * c->cap : 64;
    double *t = amlp_realloc(c->t, cap * sizeof *t);
    if (t)
        c->t = t;
    double *s = t ? amlp_realloc(c->s, cap * sizeof *s) : NULL;
    if (!s)
        die("the best-so-far curve", "out of memory");
    c->s = s, c->cap = cap;
}

/* on_event: counts the finished trials (OK or failed; a canceled one was
 * stopped, not finished) and keeps each improvement of the best score. */
static void on_event(const aml_search_event *ev, void *user)
{
    curve *c = user;
    if (ev->kind != AML_SEARCH_EVENT_TRIAL || !ev->trial)
        return;
    const aml_trial_info *tr = ev->trial;
    c->trials += tr->status != AML_TRIAL_CANCELED;
    if (tr->status != AML_TRIAL_OK || !isfinite(tr->score))
        return;
    c->ok++;
    if (c->n && tr->score <= c->s[c->n - 1])
        return;
    if (c->n == c->cap)
        grow(c);
    double at = tr->finished_at > 0 ? tr->finished_at : ev->elapsed_seconds;
    c->t[c->n] = c->n && at < c->t[c->n - 1] ? c->t[c->n - 1] : at;
    c->s[c->n++] = tr->score;
}

/* s(t): the best validation score by time t (0 before the first). */
static double best_at(const curve *c, double t)
{
    double s = 0;
    for (size_t i = 0; i < c->n && c->t[i] <= t; i++)
        s = c->s[i];
    return s;
}

/* (1/B) * the integral of s over [0, B]: each improvement adds its gain
 * for the rest of the budget. */
static double area(const curve *c, double budget)
{
    double sum = 0, prev = 0;
    for (size_t i = 0; i < c->n && c->t[i] < budget; i++) {
        sum += (c->s[i] - prev) * (budget - c->t[i]);
        prev = c->s[i];
    }
    return sum / budget;
}

/* The figures of one run (or their mean over a strategy's runs). */
typedef struct figures {
    double trials, at25, at50, at100, area, test, wall;
} figures;

static void add_figures(figures *sum, const figures *f)
{
    sum->trials += f->trials, sum->at25 += f->at25, sum->at50 += f->at50;
    sum->at100 += f->at100, sum->area += f->area, sum->test += f->test, sum->wall += f->wall;
}

static void scale_figures(figures *f, double k)
{
    f->trials *= k, f->at25 *= k, f->at50 *= k, f->at100 *= k, f->area *= k, f->test *= k;
    f->wall *= k;
}

#define ROW_FORMAT "  %-10s %6.1f  %6.4f  %6.4f  %6.4f  %6.4f  %6.4f  %6.1f s"
#define HEAD_FORMAT "  %-10s %6s  %6s  %6s  %6s  %6s  %6s  %8s\n"

static void print_head(void)
{
    printf(HEAD_FORMAT, "", "trials", "@25%", "@50%", "@100%", "area", "test", "wall");
    fflush(stdout);
}

/* One search; fills *f and returns 0, or prints why it failed and returns -1. */
static int run_one(const aml_images *im, const char *strategy, uint64_t seed, double budget,
                   figures *f)
{
    curve c = {0};
    aml_search_options o = aml_search_options_default();
    o.budget_seconds = budget;
    o.strategy = strategy;
    o.threads = THREADS;
    o.seed = seed;
    o.on_event = on_event;
    o.user = &c;
    aml_run *run = NULL;
    aml_error err = {0};
    int rc = aml_image_search_run(im, &o, &run, &err);
    if (rc == 0) {
        *f = (figures){.trials = (double)c.trials, .at25 = best_at(&c, 0.25 * budget),
                       .at50 = best_at(&c, 0.5 * budget), .at100 = best_at(&c, budget),
                       .area = area(&c, budget), .test = aml_run_test_score(run),
                       .wall = aml_run_seconds(run)};
        char label[48];
        snprintf(label, sizeof label, "seed %llu", (unsigned long long)seed);
        printf(ROW_FORMAT "   %zu OK, stopped: %s; first best at %.1f s, last at %.1f s\n",
               label, f->trials, f->at25, f->at50, f->at100, f->area, f->test, f->wall, c.ok,
               aml_stop_reason_name(aml_run_stop_reason(run)), c.n ? c.t[0] : 0,
               c.n ? c.t[c.n - 1] : 0);
    } else {
        printf("  seed %llu   failed: %s\n", (unsigned long long)seed, err.text);
    }
    fflush(stdout);
    aml_run_free(run);
    amlp_free(c.t);
    amlp_free(c.s);
    return rc ? -1 : 0;
}

/* ---- the strategies ---- */

/* A strategy's mean figures over the seeds whose run succeeded. */
typedef struct strategy_result {
    char name[32];
    size_t runs;
    figures mean;
    double area_lo, area_hi;   /* the spread of area over the seeds */
} strategy_result;

/* Splits `text` at spaces into at most `max` words (31 bytes at most each). */
static size_t split_words(const char *text, char (*out)[32], size_t max)
{
    size_t n = 0;
    while (*text && n < max) {
        size_t len = strcspn(text, " \t");
        if (len > 0)
            snprintf(out[n++], 32, "%.*s", (int)(len < 31 ? len : 31), text);
        text += len;
        text += strspn(text, " \t");
    }
    return n;
}

static void one_strategy(const aml_images *im, strategy_result *r, char (*seeds)[32],
                         size_t n_seeds, double budget)
{
    printf("\n== %s (%zu seed%s, %.0f s each) ==\n", r->name, n_seeds, n_seeds == 1 ? "" : "s",
           budget);
    print_head();
    for (size_t i = 0; i < n_seeds; i++) {
        figures f;
        if (run_one(im, r->name, strtoull(seeds[i], NULL, 10), budget, &f) == 0) {
            add_figures(&r->mean, &f);
            r->area_lo = r->runs && r->area_lo < f.area ? r->area_lo : f.area;
            r->area_hi = r->runs && r->area_hi > f.area ? r->area_hi : f.area;
            r->runs++;
        }
    }
    if (r->runs == 0) {
        printf("  mean       no run succeeded\n");
        return;
    }
    scale_figures(&r->mean, 1.0 / (double)r->runs);
    const figures *m = &r->mean;
    printf(ROW_FORMAT "   (%zu run%s)\n", "mean", m->trials, m->at25, m->at50, m->at100,
           m->area, m->test, m->wall, r->runs, r->runs == 1 ? "" : "s");
}

static int by_area(const void *a, const void *b)
{
    const strategy_result *x = a, *y = b;
    if (!x->runs || !y->runs)
        return (int)!x->runs - (int)!y->runs;   /* failed ones last */
    return (x->mean.area < y->mean.area) - (x->mean.area > y->mean.area);
}

static void summary(strategy_result *r, size_t n, double budget)
{
    qsort(r, n, sizeof *r, by_area);
    printf("\n== summary: mean over seeds, sorted by area (the best-so-far validation accuracy "
           "averaged over the %.0f s budget; higher is better) ==\n", budget);
    print_head();
    for (size_t i = 0; i < n; i++) {
        const figures *m = &r[i].mean;
        if (r[i].runs)
            printf(ROW_FORMAT "   area %.4f..%.4f over %zu run%s\n", r[i].name, m->trials,
                   m->at25, m->at50, m->at100, m->area, m->test, m->wall, r[i].area_lo,
                   r[i].area_hi, r[i].runs, r[i].runs == 1 ? "" : "s");
        else
            printf("  %-10s failed\n", r[i].name);
    }
    if (n == 0 || !r[0].runs)
        printf("auto should be: undecided (no strategy ran)\n");
    else if (n == 1 || !r[1].runs)
        printf("auto should be: %s (area %.4f; no other strategy to compare)\n", r[0].name,
               r[0].mean.area);
    else
        printf("auto should be: %s (area %.4f vs next best %s %.4f)\n", r[0].name,
               r[0].mean.area, r[1].name, r[1].mean.area);
    if (n > 1 && r[1].runs && r[0].area_lo <= r[1].area_hi)
        printf("note: %s's and %s's areas overlap over the seeds (%.4f..%.4f vs %.4f..%.4f): "
               "more seeds or a longer budget would tell them apart\n", r[0].name, r[1].name,
               r[0].area_lo, r[0].area_hi, r[1].area_lo, r[1].area_hi);
}

/* One short search whose result is dropped: the process's first search pays
 * first-use costs (the BLAS library loaded, oneDNN's kernels built, thread
 * pools started) that would otherwise fall on the first strategy measured;
 * unwarmed, its first trial can miss its time and a short run fail. */
static void warm_up(const aml_images *im, double seconds)
{
    aml_search_options o = aml_search_options_default();
    o.budget_seconds = seconds;
    o.strategy = "random";
    o.threads = THREADS;
    o.max_trials = 1;
    aml_run *run = NULL;
    double t0 = aml_now();
    int rc = aml_image_search_run(im, &o, &run, NULL);
    printf("warm-up (not measured): one %.0f s search, %s in %.1f s\n", seconds,
           rc == 0 ? "done" : "failed", aml_now() - t0);
    fflush(stdout);
    aml_run_free(run);
}

/* The subset of Fashion-MNIST in dir, read as the engine reads IDX files. */
static aml_images *read_subset(const char *dir, long n_train, double budget)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        die(dir, "no Fashion-MNIST folder; " INSTALL_HINT);
    const char *sub = write_subset(dir, (uint32_t)n_train);
    aml_images *im = NULL;
    aml_error err = {0};
    if (aml_images_read(sub, NULL, &im, NULL, &err))
        die(sub, err.text);
    printf("Fashion-MNIST subset: %zu images (the first %ld training and %d test images), "
           "%zu classes; budget %.0f s per run, %d threads\n",
           aml_images_count(im), n_train, N_TEST, aml_images_class_count(im), budget, THREADS);
    printf("columns: trials finished (OK or failed); best validation accuracy so far at "
           "25/50/100 %% of the budget; area = that curve's mean over the budget; test = t10k "
           "accuracy of the final model; wall = the run's time\n");
    return im;
}

int main(int argc, char **argv)
{
    long n_train = env_long("STRAT_N", 6000);
    double budget = (double)env_long("STRAT_SECONDS", 120);
    strategy_result strats[MAX_STRATS];
    char names[MAX_STRATS][32], seeds[MAX_SEEDS][32];
    size_t n_strats = split_words(env_text("STRATS", DEFAULT_STRATS), names, MAX_STRATS);
    size_t n_seeds = split_words(env_text("STRAT_SEEDS", "1 2"), seeds, MAX_SEEDS);
    if (n_seeds == 0)
        die("STRAT_SEEDS", "no seed given");
    /* the search's OpenMP workers sleep while idle (as nas_bench) */
    setenv("OMP_WAIT_POLICY", "passive", 0);
    aml_images *im = read_subset(argc > 1 ? argv[1] : DEFAULT_DIR, n_train, budget);
    double warm = atof(env_text("STRAT_WARMUP", "5"));
    if (warm > 0)
        warm_up(im, warm);
    for (size_t i = 0; i < n_strats; i++) {
        strats[i] = (strategy_result){.runs = 0};
        snprintf(strats[i].name, sizeof strats[i].name, "%s", names[i]);
        one_strategy(im, &strats[i], seeds, n_seeds, budget);
    }
    summary(strats, n_strats, budget);
    aml_images_free(im);
    return 0;
}
