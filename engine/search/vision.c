/*
 * vision.c — the image search's entry (aml_image_search_run) and setup:
 * checks the options, splits the images (the set's own TEST / VALIDATION
 * marks, else stratified shares), measures the per-channel normalisation,
 * decides whether horizontal flips may be searched, builds the "cnn" space
 * and starts the worker (vision_run.c) under the shared watcher.
 */
#include "search/search_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MIN_PER_CLASS 2

/* Moves a stratified share `frac` of pool[0..n) (at least one image per
 * class that has two) to *out; the rest stays in pool, compacted. */
static int take_stratified(amlp_vision *v, size_t *pool, size_t *n, double frac, size_t **out,
                           size_t *n_out, amlp_rng *rng)
{
    *out = amlp_malloc(*n * sizeof **out + 1);
    size_t *seen = amlp_calloc(v->k, sizeof *seen), *want = amlp_calloc(v->k, sizeof *want);
    if (!*out || !seen || !want) {
        amlp_free(seen);
        amlp_free(want);
        return AML_ENOMEM;
    }
    amlp_rng_shuffle(rng, pool, *n);
    for (size_t i = 0; i < *n; i++)
        want[(size_t)v->label[pool[i]]]++;
    for (size_t c = 0; c < v->k; c++)
        want[c] = want[c] >= MIN_PER_CLASS ? (size_t)fmax(1, round(frac * (double)want[c])) : 0;
    size_t kept = 0;
    *n_out = 0;
    for (size_t i = 0; i < *n; i++) {
        size_t c = (size_t)v->label[pool[i]];
        if (seen[c]++ < want[c])
            (*out)[(*n_out)++] = pool[i];
        else
            pool[kept++] = pool[i];
    }
    *n = kept;
    amlp_free(seen);
    amlp_free(want);
    return 0;
}

/* The images of one split into a new array. */
static size_t *with_split(const aml_images *im, aml_image_split split, size_t *n)
{
    size_t total = aml_images_count(im);
    size_t *out = amlp_malloc(total * sizeof *out + 1);
    *n = 0;
    for (size_t i = 0; out && i < total; i++)
        if (aml_images_split(im, i) == split)
            out[(*n)++] = i;
    return out;
}

static int split_images(amlp_vision *v, aml_error *err)
{
    const aml_images *im = v->im;
    size_t n = aml_images_count(im), n_test = 0, n_val = 0, n_pool = 0;
    amlp_rng rng;
    amlp_rng_seed(&rng, v->c.o.seed ^ 0x5649534Eull);
    size_t *test = with_split(im, AML_SPLIT_TEST, &n_test);
    size_t *val = with_split(im, AML_SPLIT_VALIDATION, &n_val);
    size_t *pool = amlp_malloc(n * sizeof *pool + 1);
    if (!test || !val || !pool) {
        amlp_free(test);
        amlp_free(val);
        amlp_free(pool);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        aml_image_split s = aml_images_split(im, i);
        if (s == AML_SPLIT_TRAIN || s == AML_SPLIT_UNASSIGNED)
            pool[n_pool++] = i;
    }
    int rc = 0;
    if (n_test == 0 && v->c.o.test_fraction > 0) {
        amlp_free(test);
        rc = take_stratified(v, pool, &n_pool, v->c.o.test_fraction, &test, &n_test, &rng);
        if (rc == 0)
            amlp_ctx_note(&v->c, "held out %zu images (%.0f %%, stratified) as the test split",
                          n_test, 100 * v->c.o.test_fraction);
    } else if (n_test) {
        amlp_ctx_note(&v->c, "kept the data set's own test split: %zu images", n_test);
    }
    if (rc == 0 && n_val == 0) {
        amlp_free(val);
        double share = v->c.o.holdout > 0 ? v->c.o.holdout : 0.1;
        rc = take_stratified(v, pool, &n_pool, share, &val, &n_val, &rng);
    }
    v->c.run->test_rows = test;
    v->c.run->n_test = n_test;
    v->fit = pool;
    v->n_fit = n_pool;
    v->val = val;
    v->n_val = n_val;
    if (rc)
        return aml_error_set(err, rc, 0, 0, "", "out of memory");
    if (n_pool < v->k || n_val == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "",
                             "too few images to train on: %zu for training and %zu for "
                             "validation over %zu classes",
                             n_pool, n_val, v->k);
    amlp_rng_shuffle(&rng, v->fit, v->n_fit);
    v->all = amlp_malloc((n_pool + n_val) * sizeof *v->all);
    if (!v->all)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    memcpy(v->all, pool, n_pool * sizeof *v->all);
    memcpy(v->all + n_pool, val, n_val * sizeof *v->all);
    v->n_all = n_pool + n_val;
    amlp_rng_shuffle(&rng, v->all, v->n_all);
    return 0;
}

/* How alike each class's mean image is to its mirror image (correlation,
 * averaged over classes): clothes, animals and X-rays come close to 1;
 * digits and letters, whose orientation is their meaning, do not. */
static double mirror_similarity(const amlp_vision *v)
{
    size_t plane = v->h * v->w, px = v->ch * plane;
    double *mean = amlp_calloc(v->k * px, sizeof *mean), total = 0;
    size_t *count = amlp_calloc(v->k, sizeof *count), classes = 0;
    for (size_t i = 0; mean && count && i < v->n_fit; i++) {
        size_t c = (size_t)v->label[v->fit[i]];
        const uint8_t *p = aml_images_image(v->im, v->fit[i]);
        for (size_t j = 0; j < px; j++)
            mean[c * px + j] += p[j];
        count[c]++;
    }
    for (size_t c = 0; mean && count && c < v->k; c++) {
        if (!count[c])
            continue;
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (size_t j = 0; j < px; j++) {
            size_t x = j % v->w, mirror = j - x + (v->w - 1 - x);
            double a = mean[c * px + j], b = mean[c * px + mirror];
            sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
        }
        double n = (double)px, cov = sab - sa * sb / n;
        double var = sqrt(fmax(saa - sa * sa / n, 0) * fmax(sbb - sb * sb / n, 0));
        total += var > 0 ? cov / var : 1;
        classes++;
    }
    amlp_free(mean);
    amlp_free(count);
    return classes ? total / (double)classes : 0;
}

static void decide_flip(amlp_vision *v)
{
    if (v->c.o.flip >= 0) {
        v->flip_ok = v->c.o.flip > 0;
        return;
    }
    double sim = mirror_similarity(v);
    v->flip_ok = sim >= 0.9;
    amlp_ctx_note(&v->c,
                  "horizontal flips %s: the classes' mean images are %.0f %% alike to their "
                  "mirror images (flip=on|off overrides)",
                  v->flip_ok ? "are a search choice" : "are off", 100 * sim);
}

static void channel_stats(amlp_vision *v)
{
    amlp_nn_images_stats(aml_images_pixels(v->im), v->ch, v->h, v->w, v->fit, v->n_fit, v->mean,
                         v->std);
}

static int build_space(amlp_vision *v, aml_error *err)
{
    v->n_specs = amlp_cnn_specs(v->h, v->w, v->flip_ok, v->specs, AML_PARAMS_MAX);
    v->kinds[0] = "cnn";
    v->kind_specs[0] = v->specs;
    v->kind_n_specs[0] = v->n_specs;
    v->space.n_kinds = 1;
    v->space.kinds = v->kinds;
    v->space.specs = v->kind_specs;
    v->space.n_specs = v->kind_n_specs;
    const char *name = v->c.o.strategy && strcmp(v->c.o.strategy, "auto") != 0
                           ? v->c.o.strategy
                           : "evolution";
    if (strcmp(name, "enas") == 0)
        return 0;   /* vision_enas.c: weight sharing, not one trial per configuration */
    v->ops = amlp_strategy_find(name);
    if (!v->ops || strcmp(name, "auto") == 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "strategy",
                             "no strategy '%s' for images (auto, random, grid, bayes, "
                             "evolution, hyperband, rl, enas)",
                             name);
    return v->ops->create(&v->space, v->c.o.seed, &v->st, err);
}

/* The journal of this run: automl-runs/NAME/ holds every trial, so a later
 * run can warm-start from its architectures. */
static int open_journal(amlp_vision *v, aml_error *err)
{
    if (!v->c.o.journal_dir)
        return 0;
    if (v->c.o.resume)
        return aml_error_set(err, AML_EINVAL, 0, 0, "resume", "an image search cannot be "
                             "resumed; warm_start=RUN starts a new one from its architectures");
    char shape[64], seed[32];
    snprintf(shape, sizeof shape, "%zux%zux%zu", v->ch, v->h, v->w);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)v->c.o.seed);
    json_t *fp = json_pack("{s:i, s:{s:s, s:I, s:s, s:I}, s:{s:s, s:s, s:s}}", "format", 1,
                           "data", "kind", "images", "images",
                           (json_int_t)aml_images_count(v->im), "shape", shape, "classes",
                           (json_int_t)v->k, "options", "strategy",
                           v->c.o.strategy ? v->c.o.strategy : "auto", "metric",
                           aml_metric_name(v->c.metric), "seed", seed);
    char *text = fp ? json_dumps(fp, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(fp);
    if (!text)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    amlp_journal_trial *old = NULL;
    size_t n_old = 0;
    int rc = amlp_journal_open(v->c.o.journal_dir, text, false, &v->c.journal, &old, &n_old, err);
    amlp_journal_trials_free(old, n_old);
    free(text);
    return rc;
}

static int setup(amlp_vision *v, aml_error *err)
{
    const aml_images *im = v->im;
    size_t n = aml_images_count(im);
    v->ch = (size_t)aml_images_channels(im);
    v->h = (size_t)aml_images_height(im);
    v->w = (size_t)aml_images_width(im);
    v->k = aml_images_class_count(im);
    if (v->k < 2)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "images of %zu class: a classifier "
                             "needs two classes or more", v->k);
    if (v->c.o.budget_seconds <= 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, "budget", "the budget must be positive");
    v->c.task = v->k == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS;
    v->c.metric = v->c.o.metric == AML_METRIC_AUTO ? AML_METRIC_ACCURACY : v->c.o.metric;
    if (!aml_metric_supports(v->c.metric, v->c.task))
        return aml_error_set(err, AML_EINVAL, 0, 0, "metric", "%s does not fit %s",
                             aml_metric_name(v->c.metric), aml_task_name(v->c.task));
    v->c.run->task = v->c.task;
    v->c.run->metric = v->c.metric;
    v->c.run->n_classes = v->k;
    v->label = amlp_malloc(n * sizeof *v->label + 1);
    if (!v->label)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    for (size_t i = 0; i < n; i++)
        v->label[i] = (float)aml_images_label(im, i);
    int rc = split_images(v, err);
    if (rc)
        return rc;
    channel_stats(v);
    decide_flip(v);
    rc = build_space(v, err);
    return rc ? rc : open_journal(v, err);
}

static void *vision_worker(void *arg)
{
    amlp_vision *v = arg;
    amlp_vision_search(v);
    pthread_mutex_lock(&v->c.mu);
    v->c.worker_done = true;
    pthread_mutex_unlock(&v->c.mu);
    return NULL;
}

static void vision_free(amlp_vision *v)
{
    if (v->st)
        v->ops->destroy(v->st);
    amlp_nn_net_free(v->best_net);
    amlp_free(v->label);
    amlp_free(v->fit);
    amlp_free(v->val);
    amlp_free(v->all);
    amlp_journal_close(v->c.journal);
    amlp_journal_trials_free(v->c.jt, v->c.n_jt);
    pthread_mutex_destroy(&v->c.mu);
    amlp_free(v);
}

int aml_image_search_run(const aml_images *images, const aml_search_options *opts, aml_run **out,
                         aml_error *err)
{
    *out = NULL;
    if (!images || !opts)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "images and options are required");
    amlp_vision *v = amlp_calloc(1, sizeof *v);
    aml_run *run = amlp_calloc(1, sizeof *run);
    if (!v || !run) {
        amlp_free(v);
        amlp_free(run);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    v->im = images;
    v->best = SIZE_MAX;
    v->c.o = *opts;
    v->c.t0 = aml_now();
    v->c.run = run;
    run->test_score = NAN;
    run->valid_score = NAN;
    pthread_mutex_init(&v->c.mu, NULL);
    v->c.phase = "preparing images";
    int rc = setup(v, err);
    if (rc == 0)
        rc = amlp_search_watch(&v->c, vision_worker, v, err);
    vision_free(v);
    if (rc) {
        aml_run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}
