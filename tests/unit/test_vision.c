/*
 * test_vision.c — the image search (aml_image_search_run) on generated
 * 12x12 images of three classes (horizontal stripes, vertical stripes, a
 * filled square; noisy, shifted): it learns them, every strategy runs,
 * the budget is honoured, an interrupt stops it within a second and keeps
 * the best network, the test split is kept out, and bad input is refused.
 */
#include "testutil.h"

#include <string.h>


static char dir[256];
static int side = 12;

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint8_t pixel(int cls, int x, int y, int shift)
{
    int on = cls == 0   ? ((y + shift) / 2) % 2
             : cls == 1 ? ((x + shift) / 2) % 2
                        : (x >= 3 + shift % 3 && x < 8 + shift % 3 && y >= 3 && y < 8);
    int noise = (int)(tu_uni() * 60);
    return (uint8_t)(on ? 255 - noise : noise);
}

static void put_file(const char *name, const uint8_t *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* n images of `classes` classes as an IDX pair with prefix (train / t10k). */
static void put_set(const char *prefix, uint32_t n, int classes)
{
    size_t plane = (size_t)(side * side);
    uint8_t *img = calloc(1, 16 + n * plane), *lab = calloc(1, 8 + n);
    put_be32(img, 0x803), put_be32(img + 4, n), put_be32(img + 8, side);
    put_be32(img + 12, side);
    put_be32(lab, 0x801), put_be32(lab + 4, n);
    for (uint32_t i = 0; i < n; i++) {
        int cls = (int)(i % (uint32_t)classes), shift = (int)(tu_uni() * 4);
        lab[8 + i] = (uint8_t)cls;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                img[16 + i * plane + (size_t)(y * side + x)] = pixel(cls, x, y, shift);
    }
    char name[128];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    put_file(name, img, 16 + n * plane);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    put_file(name, lab, 8 + n);
    free(img);
    free(lab);
}

/* Images of side x side pixels (12 unless a test says otherwise). */
static aml_images *stripes(uint32_t n_train, uint32_t n_test, int classes)
{
    tu_seed(7);
    cr_assert_eq(tu_temp_dir("aml-vision", dir, sizeof dir), 0);
    put_set("train", n_train, classes);
    if (n_test)
        put_set("t10k", n_test, classes);
    aml_images *im = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_images_read(dir, NULL, &im, NULL, &err), 0, "%s", err.text);
    return im;
}

/* A budget in seconds of a release build: a sanitizer build gets more, so that
 * as many trials fit. */
static aml_search_options quick(const char *strategy, double budget, size_t trials)
{
    aml_search_options o = aml_search_options_default();
    o.strategy = strategy;
    o.budget_seconds = budget * SANITIZER_SLOWDOWN;
    o.max_trials = trials;
    o.threads = 1;
    return o;
}

Test(vision, learns_three_patterns_and_keeps_the_official_test_split)
{
    aml_images *im = stripes(600, 150, 3);
    aml_search_options o = quick("random", 12, 3);
    aml_run *run = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_image_search_run(im, &o, &run, &err), 0, "%s", err.text);
    size_t n_test = 0;
    const size_t *test = aml_run_test_rows(run, &n_test);
    cr_expect_eq(n_test, 150);
    for (size_t i = 0; i < n_test; i++)
        cr_expect_eq(aml_images_split(im, test[i]), AML_SPLIT_TEST);
    cr_expect_eq(aml_run_n_trials(run), 3);
    const aml_model *m = aml_run_model(run);
    cr_assert_not_null(m);
    cr_expect(aml_model_is_image(m));
    cr_expect_eq(aml_model_n_classes(m), 3);
    cr_expect_geq(aml_run_test_score(run), 0.9, "test accuracy %g", aml_run_test_score(run));
    cr_expect_gt(aml_run_trial(run, 0)->size, 0);
    cr_expect_neq(strstr(aml_run_pipeline(run), "stem"), NULL, "%s", aml_run_pipeline(run));
    aml_run_free(run);
    aml_images_free(im);
}

Test(vision, every_strategy_runs)
{
    side = 8;
    aml_images *im = stripes(300, 0, 2);
    const char *names[] = {"random", "grid", "bayes", "evolution", "hyperband", "rl", "auto"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        aml_search_options o = quick(names[i], 5, 2);
        aml_run *run = NULL;
        aml_error err = {0};
        cr_assert_eq(aml_image_search_run(im, &o, &run, &err), 0, "%s: %s", names[i], err.text);
        cr_expect_eq(aml_run_n_trials(run), 2, "%s", names[i]);
        cr_expect_eq(aml_run_task(run), AML_TASK_BINARY);
        cr_expect_not_null(aml_run_model(run), "%s", names[i]);
        aml_run_free(run);
    }
    aml_images_free(im);
}

Test(vision, ends_within_its_budget)
{
    aml_images *im = stripes(400, 0, 3);
    aml_search_options o = quick("evolution", 8, 0);
    aml_run *run = NULL;
    double t0 = aml_now();
    cr_assert_eq(aml_image_search_run(im, &o, &run, NULL), 0);
    double took = aml_now() - t0, budget = o.budget_seconds;
    cr_expect(took >= 0.95 * budget && took <= 1.075 * budget, "took %.2f s of %g", took, budget);
    cr_expect_eq(aml_run_stop_reason(run), AML_STOP_BUDGET);
    aml_run_free(run);
    aml_images_free(im);
}

static volatile int cancel_flag;
static double canceled_at;

/* Interrupts the search once its first trial has finished. */
static void cancel_after_first_trial(const aml_search_event *ev, void *user)
{
    (void)user;
    if (ev->kind == AML_SEARCH_EVENT_TRIAL && !cancel_flag) {
        cancel_flag = 1;
        canceled_at = aml_now();
    }
}

Test(vision, an_interrupt_stops_within_a_second_and_keeps_the_best_network)
{
    aml_images *im = stripes(400, 0, 3);
    aml_search_options o = quick("random", 60, 0);
    o.cancel = &cancel_flag;
    o.on_event = cancel_after_first_trial;
    aml_run *run = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_image_search_run(im, &o, &run, &err), 0, "%s", err.text);
    double late = aml_now() - canceled_at;
    cr_expect_leq(late, 1.0, "stopped %.2f s after the interrupt", late);
    cr_expect_eq(aml_run_stop_reason(run), AML_STOP_INTERRUPTED);
    cr_expect_geq(aml_run_n_trials(run), 1);
    cr_assert_not_null(aml_run_model(run));
    cr_expect(aml_model_is_image(aml_run_model(run)));
    aml_run_free(run);
    aml_images_free(im);
}

Test(vision, warm_start_tries_the_best_architectures_of_an_earlier_run_first)
{
    aml_images *im = stripes(300, 0, 3);
    char journal[300];
    snprintf(journal, sizeof journal, "%s/run1", dir);
    aml_search_options o = quick("random", 5, 3);
    o.journal_dir = journal;
    aml_run *first = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_image_search_run(im, &o, &first, &err), 0, "%s", err.text);
    aml_images_free(im);
    im = stripes(200, 0, 2);   /* another data set of the same size */
    o = quick("random", 10, 4);   /* time for the default and three seeds */
    o.warm_start = journal;
    aml_run *second = NULL;
    cr_assert_eq(aml_image_search_run(im, &o, &second, &err), 0, "%s", err.text);
    /* the seeds are the earlier run's best finished trials; under a sanitizer a
     * slow architecture may have been stopped, so count them */
    size_t seeds = 0;
    while (seeds < 3 && seeds < aml_run_leaderboard_size(first) &&
           aml_run_leaderboard(first, seeds)->status == AML_TRIAL_OK)
        seeds++;
    cr_assert_geq(seeds, 2);
    /* a loaded sanitizer build may run out of budget before the last seed:
     * every seed that ran must be in the earlier run's order, and one must */
    cr_assert_geq(aml_run_n_trials(second), 2, "no seed ran");
    size_t ran = aml_run_n_trials(second) - 1;
    if (SANITIZER_SLOWDOWN == 1.0)
        cr_expect_geq(ran, seeds, "%zu of %zu seeds ran", ran, seeds);
    for (size_t i = 0; i < seeds && i < ran; i++)
        cr_expect_str_eq(aml_run_trial(second, i + 1)->params,
                         aml_run_leaderboard(first, i)->params, "seed %zu", i);
    bool noted = false;
    for (size_t i = 0; i < aml_run_n_notes(second); i++)
        noted |= strstr(aml_run_note(second, i), "warm start") != NULL;
    cr_expect(noted);
    aml_run_free(first);
    aml_run_free(second);
    aml_images_free(im);
}

Test(vision, refuses_one_class_and_an_unknown_strategy)
{
    aml_images *im = stripes(50, 0, 1);
    aml_search_options o = quick("random", 5, 1);
    aml_run *run = NULL;
    aml_error err = {0};
    cr_expect_eq(aml_image_search_run(im, &o, &run, &err), AML_EINVAL);
    cr_expect_neq(strstr(err.text, "two classes"), NULL, "%s", err.text);
    aml_images_free(im);
    im = stripes(60, 0, 2);
    o.strategy = "annealing";
    cr_expect_eq(aml_image_search_run(im, &o, &run, &err), AML_EINVAL);
    cr_expect_neq(strstr(err.text, "annealing"), NULL, "%s", err.text);
    aml_images_free(im);
}
