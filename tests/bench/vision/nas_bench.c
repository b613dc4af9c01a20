/* nas_bench.c — the neural architecture search benchmark on Fashion-MNIST
 * (issue #14, "Done when": tests/bench/vision), run by `make bench-vision-nas`.
 *
 *   nas_bench DIR TORCH_SCRIPT MINUTES...
 *   nas_bench parse TEXT   (the parser alone: JSON and weight count)
 *
 * Imports Fashion-MNIST (IDX files in DIR; the official 60k/10k split is kept
 * and the search never sees t10k) and, for each budget in minutes, runs
 * aml_image_search_run (strategy auto, 2 threads) and prints the test
 * accuracy on t10k, the architecture found, its weight count, inference
 * images/s on the test set and the run's wall time against the budget.  Then
 * it times one training epoch of that architecture (the first NAS_N training
 * images, default 10000, batch 128, AdamW lr 1e-3 weight decay 1e-4; best of
 * NAS_REPEAT epochs, default 2): ours, built from the parsed architecture
 * with amlp_nn_arch_build, and the same net in PyTorch (TORCH_SCRIPT, run by
 * $NAS_PYTHON, default /usr/bin/python3, with the architecture as JSON on its
 * argv), and prints both and the ratio.  Targets are printed with PASS/MISS;
 * a miss never fails the program (a bench reports, it does not gate). */
#include "aml_data.h"
#include "aml_learn.h"
#include "aml_model.h"
#include "aml_nn.h"
#include "aml_search.h"

#include <cblas.h>
#include "aml_base.h"  /* after cblas.h: its lazily loaded functions */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_util.h"

#define BATCH 128
#define THREADS 2
#define N_REPORT 8
#define MID "\xc2\xb7"     /* the describe text's separator, U+00B7 */
#define TIMES "\xc3\x97"   /* U+00D7 in "32×2" and "3×3" */

/* What one budget produced, for the summary at the end. */
typedef struct budget_report {
    double minutes, seconds, accuracy, ours, torch;
    size_t weights;
    char arch[320];
} budget_report;

static void set_threads(int t)
{
    if (amlp_dl_blas(NULL) == 0)
        openblas_set_num_threads(t);
    amlp_nn_set_threads(t);
}

/* ---- the architecture in words -> amlp_nn_arch ---- */

static int block_kind(const char *name, amlp_nn_block *out)
{
    static const char *const names[] = {"plain", "residual", "separable"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (amlp_nn_block)i;
            return 0;
        }
    return -1;
}

/* One " · "-separated part of the describe text: stem, a stage, the
 * downsampling or the dropout; anything else (optimiser, augmentation) is
 * left alone.  Returns 0, or -1 when a part that looks like one of those
 * does not parse. */
static int parse_part(const char *part, amlp_nn_arch *a)
{
    size_t width, blocks, k1, k2;
    char kind[16];
    double p;
    if (strncmp(part, "stem ", 5) == 0)
        return sscanf(part, "stem %zu", &a->stem) == 1 ? 0 : -1;
    if (strcmp(part, "max-pool") == 0 || strcmp(part, "stride-2") == 0) {
        a->pool_max = part[0] == 'm';
        return 0;
    }
    if (sscanf(part, "dropout %lf", &p) == 1) {
        a->dropout = p;
        return 0;
    }
    if (sscanf(part, "%zu" TIMES "%zu %15s %zu" TIMES "%zu", &width, &blocks, kind, &k1,
               &k2) == 5) {
        if (a->n_stages == AMLP_NN_ARCH_MAX_STAGES || k1 != k2)
            return -1;
        amlp_nn_stage *s = &a->stage[a->n_stages++];
        *s = (amlp_nn_stage){.blocks = blocks, .width = width, .kernel = k1};
        return block_kind(kind, &s->block);
    }
    return 0;
}

/* Parses "[CNN: ]stem 32 · 32×1 residual 3×3 · 64×1 residual 3×3 · max-pool ·
 * dropout 0.1 · AdamW ..." into *a (checked for 1x28x28 images).  Returns 0
 * or -1 (reason in why). */
static int parse_arch(const char *text, amlp_nn_arch *a, char *why, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->pool_max = true;
    if (strncmp(text, "CNN: ", 5) == 0)
        text += 5;
    while (*text) {
        const char *end = strstr(text, " " MID " ");
        size_t len = end ? (size_t)(end - text) : strlen(text);
        char part[128];
        snprintf(part, sizeof part, "%.*s", (int)(len < sizeof part ? len : sizeof part - 1),
                 text);
        if (parse_part(part, a)) {
            snprintf(why, cap, "cannot read \"%s\" as a stage", part);
            return -1;
        }
        text = end ? end + strlen(" " MID " ") : text + len;
    }
    aml_error err = {0};
    if (amlp_nn_arch_check(a, 1, 28, 28, &err)) {
        snprintf(why, cap, "%s", err.text);
        return -1;
    }
    return 0;
}

/* The architecture as JSON for nas_torch.py. */
static void arch_json(const amlp_nn_arch *a, char *buf, size_t cap)
{
    static const char *const names[] = {"plain", "residual", "separable"};
    size_t n = (size_t)snprintf(buf, cap, "{\"stem\": %zu, \"pool\": \"%s\", \"dropout\": %g, "
                                "\"stages\": [", a->stem, a->pool_max ? "max" : "stride",
                                a->dropout);
    for (size_t i = 0; i < a->n_stages && n < cap; i++) {
        const amlp_nn_stage *s = &a->stage[i];
        n += (size_t)snprintf(buf + n, cap - n, "%s{\"blocks\": %zu, \"width\": %zu, "
                              "\"kernel\": %zu, \"block\": \"%s\"}", i ? ", " : "", s->blocks,
                              s->width, s->kernel, names[s->block]);
    }
    if (n < cap)
        snprintf(buf + n, cap - n, "]}");
}

/* ---- one epoch of our net ---- */

/* The first n training images of im as floats in [0, 1] and their labels. */
static size_t train_images(const aml_images *im, size_t n, float **x, float **y)
{
    size_t px = 28 * 28, got = 0;
    *x = amlp_malloc(n * px * sizeof **x);
    *y = amlp_malloc(n * sizeof **y);
    if (!*x || !*y)
        die("loading the training images", "out of memory");
    for (size_t i = 0; i < aml_images_count(im) && got < n; i++) {
        if (aml_images_split(im, i) == AML_SPLIT_TEST)
            continue;
        const uint8_t *p = aml_images_image(im, i);
        for (size_t j = 0; j < px; j++)
            (*x)[got * px + j] = (float)p[j] / 255.0f;
        (*y)[got++] = (float)aml_images_label(im, i);
    }
    return got;
}

/* Scratch of one mini-batch. */
typedef struct batch_buf {
    float *x, *y, *dout;
    size_t *order;
} batch_buf;

/* One epoch of mini-batches in a seeded order; returns the mean loss. */
static double epoch(amlp_nn_net *net, amlp_nn_adamw *opt, const float *x, const float *y,
                    size_t n, amlp_rng *rng, batch_buf *b)
{
    for (size_t i = 0; i < n; i++)
        b->order[i] = i;
    amlp_rng_shuffle(rng, b->order, n);
    double sum = 0;
    for (size_t at = 0; at < n; at += BATCH) {
        size_t m = n - at < BATCH ? n - at : BATCH;
        for (size_t i = 0; i < m; i++) {
            memcpy(b->x + i * 784, x + b->order[at + i] * 784, 784 * sizeof *b->x);
            b->y[i] = y[b->order[at + i]];
        }
        const float *out = NULL;
        if (amlp_nn_net_forward(net, b->x, m, true, &out))
            die("training our net", "forward failed");
        sum += (double)m * amlp_nn_loss_eval(AMLP_NN_LOSS_SOFTMAX_XENT, out, m, 10, b->y, NULL,
                                             NULL, b->dout);
        amlp_nn_net_zero_grad(net);
        if (amlp_nn_net_backward(net, b->dout, m))
            die("training our net", "backward failed");
        amlp_nn_adamw_step(opt, net, 1e-3);
    }
    return sum / (double)n;
}

/* Best epoch time of `repeat` epochs of the arch built by the engine; the
 * per-epoch times go to times[] and the last loss to *loss. */
static double our_epochs(const amlp_nn_arch *a, const float *x, const float *y, size_t n,
                         int repeat, double *times, double *loss)
{
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    if (amlp_nn_arch_build(a, 1, 28, 28, 10, 1, &net, &err))
        die("building the found architecture", err.text);
    amlp_nn_adamw opt;
    if (amlp_nn_adamw_init(&opt, net, 1e-4))
        die("AdamW", "out of memory");
    batch_buf b = {amlp_malloc(BATCH * 784 * sizeof *b.x), amlp_malloc(BATCH * sizeof *b.y),
                   amlp_malloc(BATCH * 10 * sizeof *b.dout), amlp_malloc(n * sizeof *b.order)};
    if (!b.x || !b.y || !b.dout || !b.order)
        die("training our net", "out of memory");
    amlp_rng rng;
    amlp_rng_seed(&rng, 1);
    double best = 1e30;
    for (int r = 0; r < repeat; r++) {
        double t0 = aml_now();
        *loss = epoch(net, &opt, x, y, n, &rng, &b);
        times[r] = aml_now() - t0;
        best = times[r] < best ? times[r] : best;
    }
    amlp_nn_adamw_free(&opt);
    amlp_nn_net_free(net);
    amlp_free(b.x), amlp_free(b.y), amlp_free(b.dout), amlp_free(b.order);
    return best;
}

/* ---- the same net in PyTorch ---- */

/* Runs the PyTorch twin; returns its best epoch time (0 when it failed) and
 * fills its epoch times (times, up to repeat) and weight count. */
static double torch_epochs(const char *script, const char *dir, const char *json, size_t n,
                           int repeat, double *times, size_t *weights)
{
    const char *python = getenv("NAS_PYTHON") ? getenv("NAS_PYTHON") : "/usr/bin/python3";
    if (strchr(script, '\'') || strchr(dir, '\'') || strchr(python, '\''))
        die("running PyTorch", "paths with a single quote cannot be passed to the shell");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' %zu %d '%s'", python, script, dir, n, repeat,
             json);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    char line[256];
    double best = 0;
    int got = 0;
    while (fgets(line, sizeof line, p)) {
        double t;
        if (sscanf(line, "epoch_seconds %lf", &t) == 1 && got < repeat) {
            times[got++] = t;
            best = best == 0 || t < best ? t : best;
        }
        sscanf(line, "weights %zu", weights);
    }
    int rc = pclose(p);
    return rc == 0 ? best : 0;
}

static void print_times(const double *t, int n)
{
    for (int i = 0; i < n; i++)
        printf("%s%.2f", i ? " " : "", t[i]);
}

/* Our epoch and PyTorch's on the parsed arch; prints both and the ratio. */
static void compare_epochs(const amlp_nn_arch *a, const aml_images *im, const char *dir,
                           const char *script, budget_report *rep)
{
    size_t want = (size_t)env_long("NAS_N", 10000);
    int repeat = (int)env_long("NAS_REPEAT", 2);
    double ours_t[16] = {0}, torch_t[16] = {0}, loss = 0;
    repeat = repeat > 16 ? 16 : repeat;
    float *x = NULL, *y = NULL;
    size_t n = train_images(im, want, &x, &y);
    char json[1024];
    arch_json(a, json, sizeof json);
    printf("  per-epoch training, %zu training images, batch 128, AdamW, %d threads "
           "(best of %d epochs)\n  arch JSON for PyTorch: %s\n", n, THREADS, repeat, json);
    fflush(stdout);
    size_t torch_w = 0;
    rep->torch = torch_epochs(script, dir, json, n, repeat, torch_t, &torch_w);
    if (rep->torch > 0) {
        printf("    PyTorch   %8.2f s   (epochs ", rep->torch);
        print_times(torch_t, repeat);
        printf("; %zu weights%s)\n", torch_w,
               torch_w == amlp_nn_arch_params(a, 1, 28, 28, 10) ? ", the same as ours"
                                                                  : ", NOT the same as ours");
    } else {
        printf("    PyTorch   failed (see its error above)\n");
    }
    fflush(stdout);
    rep->ours = our_epochs(a, x, y, n, repeat, ours_t, &loss);
    printf("    ours      %8.2f s   (epochs ", rep->ours);
    print_times(ours_t, repeat);
    printf("; last loss %.3f)", loss);
    if (rep->torch > 0)
        printf("   %.2fx PyTorch   target <= 1.0x: %s", rep->ours / rep->torch,
               rep->ours <= rep->torch ? "PASS" : "MISS");
    printf("\n");
    amlp_free(x);
    amlp_free(y);
}

/* ---- the search ---- */

/* The accuracy target of a budget (0: none). */
static double accuracy_target(double minutes)
{
    return minutes >= 30 ? 0.940 : minutes >= 10 ? 0.930 : 0;
}

/* Predicts the test rows once, timed: prints images/s and returns the
 * accuracy (argmax against the labels). */
static double time_inference(const aml_model *m, const aml_images *im, const size_t *rows,
                             size_t n)
{
    size_t width = aml_model_pred_width(m), right = 0;
    float *pred = amlp_malloc(n * width * sizeof *pred);
    aml_error err = {0};
    if (!pred)
        die("predicting the test images", "out of memory");
    double t0 = aml_now();
    if (aml_model_predict_images(m, im, rows, n, pred, &err))
        die("predicting the test images", err.text);
    double t = aml_now() - t0;
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t k = 1; k < width; k++)
            best = pred[i * width + k] > pred[i * width + best] ? k : best;
        right += best == aml_images_label(im, rows[i]);
    }
    printf("  inference: %zu test images in %.2f s, %.0f images/s (%d threads)\n", n, t,
           (double)n / t, THREADS);
    amlp_free(pred);
    return (double)right / (double)n;
}

/* Prints what the run found and keeps the figures in *rep. */
static void report_run(const aml_run *run, const aml_images *im, double minutes,
                       budget_report *rep)
{
    const aml_model *m = aml_run_model(run);
    size_t n_test = 0, n_notes = aml_run_n_notes(run);
    const size_t *rows = aml_run_test_rows(run, &n_test);
    rep->seconds = aml_run_seconds(run);
    printf("  search: %zu trials (%zu failed), stopped: %s; wall %.1f s against a budget of "
           "%.0f s (%.3fx)\n", aml_run_trials_done(run), aml_run_trials_failed(run),
           aml_stop_reason_name(aml_run_stop_reason(run)), rep->seconds, minutes * 60,
           rep->seconds / (minutes * 60));
    for (size_t i = 0; i < n_notes && i < N_REPORT; i++)
        printf("    note: %s\n", aml_run_note(run, i));
    snprintf(rep->arch, sizeof rep->arch, "%s", aml_run_pipeline(run));
    printf("  architecture: %s\n  model: %s\n", rep->arch, aml_model_describe(m));
    rep->weights = amlp_nn_net_weights(m->image->net);
    printf("  weights: %zu\n", rep->weights);
    rep->accuracy = time_inference(m, im, rows, n_test);
    double target = accuracy_target(minutes);
    printf("  test accuracy (official t10k, %zu images, never seen by the search): %.4f "
           "(the run's test %s: %.4f)", n_test, rep->accuracy,
           aml_metric_name(aml_run_metric(run)), aml_run_test_score(run));
    if (target > 0)
        printf("   target >= %.3f: %s", target, rep->accuracy >= target ? "PASS" : "MISS");
    printf("\n");
    fflush(stdout);
}

static void one_budget(const aml_images *im, const char *dir, const char *script,
                       double minutes, budget_report *rep)
{
    printf("\n== budget %g min ==\n", minutes);
    fflush(stdout);
    aml_search_options o = aml_search_options_default();
    o.budget_seconds = minutes * 60;
    o.strategy = "auto";
    o.threads = THREADS;
    aml_run *run = NULL;
    aml_error err = {0};
    if (aml_image_search_run(im, &o, &run, &err))
        die("the search", err.text);
    report_run(run, im, minutes, rep);
    aml_run_free(run);
    amlp_nn_arch a;
    char why[256];
    if (parse_arch(rep->arch, &a, why, sizeof why)) {
        printf("  per-epoch training: not measured, the architecture text does not parse "
               "(%s)\n", why);
        return;
    }
    if (amlp_nn_arch_params(&a, 1, 28, 28, 10) != rep->weights)
        printf("  warning: the parsed architecture has %zu weights, the model %zu\n",
               amlp_nn_arch_params(&a, 1, 28, 28, 10), rep->weights);
    set_threads(THREADS);
    compare_epochs(&a, im, dir, script, rep);
}

static void summary(const budget_report *r, size_t n)
{
    printf("\n== summary (targets: accuracy >= 0.930 at 10 min, >= 0.940 at 30 min; "
           "ours <= 1.0x PyTorch per epoch) ==\n");
    printf("  %7s  %9s  %8s  %9s  %9s  %9s  %s\n", "budget", "wall", "accuracy", "ours/ep",
           "torch/ep", "ratio", "architecture");
    for (size_t i = 0; i < n; i++) {
        double target = accuracy_target(r[i].minutes);
        printf("  %5g m  %7.1f s  %.4f%s  %7.2f s  %7.2f s  %8.2fx%s  %s\n", r[i].minutes,
               r[i].seconds, r[i].accuracy,
               target <= 0 ? "  " : r[i].accuracy >= target ? " P" : " M", r[i].ours,
               r[i].torch, r[i].torch > 0 ? r[i].ours / r[i].torch : 0,
               r[i].torch <= 0 ? "  " : r[i].ours <= r[i].torch ? " P" : " M", r[i].arch);
    }
    printf("  (P: target met, M: missed.  For comparison, issue #14: PyTorch, 2 threads, a "
           "hand-designed 4-conv net reaches 0.927 in 524 s)\n");
}

/* nas_bench parse TEXT: the parsed architecture as JSON and its weights
 * (on 1x28x28 images, 10 classes), to check the parser against PyTorch's
 * count of the same JSON. */
static int parse_only(const char *text)
{
    amlp_nn_arch a;
    char why[256], json[1024];
    if (parse_arch(text, &a, why, sizeof why)) {
        fprintf(stderr, "nas_bench: %s\n", why);
        return 1;
    }
    arch_json(&a, json, sizeof json);
    printf("%s\nweights %zu\n", json, amlp_nn_arch_params(&a, 1, 28, 28, 10));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "parse") == 0)
        return parse_only(argv[2]);
    if (argc < 4) {
        fprintf(stderr, "usage: nas_bench DIR TORCH_SCRIPT MINUTES... | nas_bench parse TEXT\n");
        return 2;
    }
    /* both sides' OpenMP workers sleep while idle (as tests/bench/vision/vision) */
    setenv("OMP_WAIT_POLICY", "passive", 0);
    set_threads(THREADS);
    aml_images *im = NULL;
    aml_error err = {0};
    double t0 = aml_now();
    if (aml_images_read(argv[1], NULL, &im, NULL, &err))
        die(argv[1], err.text);
    printf("Fashion-MNIST: %zu images of %dx%dx%d, %zu classes, read in %.1f s\n",
           aml_images_count(im), aml_images_channels(im), aml_images_height(im),
           aml_images_width(im), aml_images_class_count(im), aml_now() - t0);
    if (aml_images_channels(im) != 1 || aml_images_height(im) != 28 ||
        aml_images_width(im) != 28 || aml_images_class_count(im) != 10)
        die(argv[1], "expecting Fashion-MNIST: 28x28 grey images of 10 classes");
    size_t n = (size_t)(argc - 3);
    budget_report *rep = amlp_calloc(n, sizeof *rep);
    if (!rep)
        die("reports", "out of memory");
    for (size_t i = 0; i < n; i++) {
        rep[i].minutes = atof(argv[3 + i]);
        if (!(rep[i].minutes > 0))
            die(argv[3 + i], "a budget is a positive number of minutes");
        one_budget(im, argv[1], argv[2], rep[i].minutes, &rep[i]);
        fflush(stdout);
    }
    summary(rep, n);
    amlp_free(rep);
    aml_images_free(im);
    return 0;
}
