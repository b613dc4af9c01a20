/* test_nn_arch.c — Criterion suite for image networks built from a few
 * decisions (engine/nn/nn_arch.c), image rows with augmentation
 * (nn_augment.c) and what the training loop gained with them (mixup, the
 * loader thread, the per-epoch callback): every block kind on 1..4 stages
 * builds with the counted weights, shapes that do not fit are refused with a
 * reason, a small net learns stripes, save -> load keeps its outputs; the
 * augmentations do what they say on known images. */
#include <criterion/criterion.h>

#include "aml_nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static amlp_nn_arch arch_of(amlp_nn_block kind, size_t n_stages, bool pool_max)
{
    static const size_t widths[] = {4, 6, 8, 8};
    amlp_nn_arch a = {.stem = 4, .n_stages = n_stages, .pool_max = pool_max, .dropout = 0.1};
    for (size_t i = 0; i < n_stages; i++)
        a.stage[i] = (amlp_nn_stage){.blocks = 1 + i % 2, .width = widths[i],
                                     .kernel = i % 2 ? 5 : 3, .block = kind};
    return a;
}

static float *random_images(size_t n, size_t size, uint64_t seed)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    float *x = malloc(n * size * sizeof(float));
    for (size_t i = 0; i < n * size; i++)
        x[i] = (float)amlp_rng_normal(&rng);
    return x;
}

/* ---- building ---- */

static void expect_builds(const amlp_nn_arch *a, size_t c, size_t h, size_t w)
{
    char what[200];
    amlp_nn_arch_describe(a, what, sizeof what);
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_check(a, c, h, w, &err), 0, "%s on %zux%zux%zu: %s", what, c, h,
                 w, err.text);
    cr_assert_eq(amlp_nn_arch_build(a, c, h, w, 10, 7, &net, &err), 0, "%s: %s", what,
                 err.text);
    cr_expect_eq(net->in, c * h * w);
    cr_expect_eq(amlp_nn_net_out(net), 10, "%s", what);
    cr_expect_eq(amlp_nn_arch_params(a, c, h, w, 10), amlp_nn_net_weights(net), "%s", what);
    cr_expect_gt(amlp_nn_arch_macs(a, c, h, w, 10), 0);
    float *x = random_images(3, c * h * w, 5);
    const float *y = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, 3, true, &y), 0);
    cr_assert_eq(amlp_nn_net_backward(net, y, 3), 0);
    cr_assert_eq(amlp_nn_net_forward(net, x, 3, false, &y), 0);
    for (size_t i = 0; i < 30; i++)
        cr_assert(isfinite(y[i]), "%s: output %zu is %g", what, i, (double)y[i]);
    free(x);
    amlp_nn_net_free(net);
}

Test(nn_arch, every_block_kind_on_one_to_four_stages)
{
    static const size_t shapes[][3] = {{1, 28, 28}, {3, 32, 32}};
    for (int kind = AMLP_NN_BLOCK_PLAIN; kind <= AMLP_NN_BLOCK_SEPARABLE; kind++)
        for (size_t stages = 1; stages <= AMLP_NN_ARCH_MAX_STAGES; stages++)
            for (size_t s = 0; s < 2; s++)
                for (int pool = 0; pool < 2; pool++) {
                    amlp_nn_arch a = arch_of((amlp_nn_block)kind, stages, pool);
                    expect_builds(&a, shapes[s][0], shapes[s][1], shapes[s][2]);
                }
}

Test(nn_arch, mixed_blocks_and_odd_sizes)
{
    amlp_nn_arch a = {.stem = 8, .n_stages = 3, .pool_max = false};
    a.stage[0] = (amlp_nn_stage){2, 8, 3, AMLP_NN_BLOCK_RESIDUAL};   /* identity shortcut */
    a.stage[1] = (amlp_nn_stage){1, 12, 5, AMLP_NN_BLOCK_SEPARABLE};
    a.stage[2] = (amlp_nn_stage){2, 16, 3, AMLP_NN_BLOCK_RESIDUAL};  /* projection */
    expect_builds(&a, 3, 13, 11);
    a.pool_max = true;
    expect_builds(&a, 3, 13, 11);
}

/* stem 4 on 1x8x8, one plain stage of width 8 (3x3), 10 classes, by hand */
Test(nn_arch, counts_by_hand)
{
    amlp_nn_arch a = {.stem = 4, .n_stages = 1};
    a.stage[0] = (amlp_nn_stage){1, 8, 3, AMLP_NN_BLOCK_PLAIN};
    cr_expect_eq(amlp_nn_arch_params(&a, 1, 8, 8, 10), (36 + 8) + (288 + 16) + (80 + 10));
    cr_expect_float_eq(amlp_nn_arch_macs(&a, 1, 8, 8, 10), 36.0 * 64 + 288.0 * 64 + 80, 1e-9);
    /* a residual stage of width 4 keeps the identity shortcut; width 6 adds 4*6 */
    a.stage[0] = (amlp_nn_stage){1, 4, 3, AMLP_NN_BLOCK_RESIDUAL};
    size_t p4 = amlp_nn_arch_params(&a, 1, 8, 8, 10);
    cr_expect_eq(p4, 44 + (144 + 144 + 16) + 50);
    a.stage[0].width = 6;
    cr_expect_eq(amlp_nn_arch_params(&a, 1, 8, 8, 10), 44 + (216 + 324 + 24 + 24) + 70);
}

Test(nn_arch, four_stages_on_8x8_are_refused_with_a_reason)
{
    amlp_nn_arch a = arch_of(AMLP_NN_BLOCK_PLAIN, 4, true);
    aml_error err = {0};
    amlp_nn_net *net = (amlp_nn_net *)&err;   /* must be reset to NULL */
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 8, 8, &err), AML_EINVAL);
    cr_expect_neq(strstr(err.text, "4 stages halve 8x8 images"), NULL, "%s", err.text);
    cr_expect_eq(strchr(err.text, '\n'), NULL);
    cr_expect_eq(amlp_nn_arch_build(&a, 1, 8, 8, 2, 1, &net, &err), AML_EINVAL);
    cr_expect_null(net);
    cr_expect_eq(amlp_nn_arch_params(&a, 1, 8, 8, 2), 0);
    a.pool_max = false;   /* 8 -> 4 -> 2 -> 1 either way */
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 8, 8, NULL), AML_EINVAL);
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 16, 16, NULL), 0);
    a.n_stages = 3;
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 8, 8, NULL), 0);
}

Test(nn_arch, bad_fields_are_refused)
{
    amlp_nn_arch good = arch_of(AMLP_NN_BLOCK_RESIDUAL, 2, true), a;
    aml_error err = {0};
    a = good;
    a.stage[1].kernel = 4;
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 28, 28, &err), AML_EINVAL);
    cr_expect_neq(strstr(err.text, "stage 2"), NULL, "%s", err.text);
    a = good;
    a.stage[0].blocks = 5;
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 28, 28, NULL), AML_EINVAL);
    a = good;
    a.n_stages = 5;
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 28, 28, NULL), AML_EINVAL);
    a = good;
    a.dropout = 0.9;
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 28, 28, &err), AML_EINVAL);
    cr_expect_neq(strstr(err.text, "dropout"), NULL, "%s", err.text);
    a = good;
    a.stem = 0;
    cr_expect_eq(amlp_nn_arch_check(&a, 1, 28, 28, NULL), AML_EINVAL);
    cr_expect_eq(amlp_nn_arch_check(&good, 0, 28, 28, NULL), AML_EINVAL);
    cr_expect_eq(amlp_nn_arch_check(&good, 1, 28, 28, NULL), 0);
}

Test(nn_arch, describe_in_words)
{
    amlp_nn_arch a = {.stem = 16, .n_stages = 2, .pool_max = true, .dropout = 0.2};
    a.stage[0] = (amlp_nn_stage){2, 32, 3, AMLP_NN_BLOCK_RESIDUAL};
    a.stage[1] = (amlp_nn_stage){2, 64, 5, AMLP_NN_BLOCK_SEPARABLE};
    char buf[200];
    amlp_nn_arch_describe(&a, buf, sizeof buf);
    cr_expect_str_eq(buf, "stem 16 · 32×2 residual 3×3 · 64×2 separable 5×5 · max-pool · "
                          "dropout 0.2");
    a.pool_max = false;
    a.dropout = 0;
    a.stage[1] = (amlp_nn_stage){1, 48, 3, AMLP_NN_BLOCK_PLAIN};
    amlp_nn_arch_describe(&a, buf, sizeof buf);
    cr_expect_str_eq(buf, "stem 16 · 32×2 residual 3×3 · 48×1 plain 3×3 · stride-2");
    char small[12];
    amlp_nn_arch_describe(&a, small, sizeof small);
    cr_expect_lt(strlen(small), sizeof small);
    cr_expect_eq(strncmp(small, "stem 16", 7), 0);
}

/* ---- training: horizontal from vertical stripes ---- */

#define SIDE 16
#define PIXELS (SIDE * SIDE)

/* n 16 x 16 images: class 0 horizontal stripes, class 1 vertical, with a
 * random phase, contrast and Gaussian noise. */
static void stripes(size_t n, uint64_t seed, float *x, float *y)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        size_t cls = i % 2, phase = amlp_rng_below(&rng, 2);
        double contrast = 0.5 + amlp_rng_uniform(&rng);
        for (size_t r = 0; r < SIDE; r++)
            for (size_t c = 0; c < SIDE; c++) {
                size_t line = cls == 0 ? r : c;
                x[i * PIXELS + r * SIDE + c] =
                    (float)(((line + phase) % 2 ? contrast : -contrast) +
                            0.3 * amlp_rng_normal(&rng));
            }
        y[i] = (float)cls;
    }
}

static void float_rows(void *user, const size_t *rows, size_t n, float *x)
{
    const float *all = user;
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * PIXELS, all + rows[i] * PIXELS, PIXELS * sizeof(float));
}

typedef struct stripes_set {
    size_t n_train, n_test;
    float *xt, *yt, *xv, *yv;
} stripes_set;

static stripes_set stripes_new(size_t n_train, size_t n_test)
{
    stripes_set s = {.n_train = n_train, .n_test = n_test};
    s.xt = malloc(n_train * PIXELS * sizeof(float));
    s.yt = malloc(n_train * sizeof(float));
    s.xv = malloc(n_test * PIXELS * sizeof(float));
    s.yv = malloc(n_test * sizeof(float));
    stripes(n_train, 71, s.xt, s.yt);
    stripes(n_test, 72, s.xv, s.yv);
    return s;
}

static void stripes_free(stripes_set *s)
{
    free(s->xt);
    free(s->yt);
    free(s->xv);
    free(s->yv);
}

static double test_accuracy(amlp_nn_net *net, const stripes_set *s)
{
    float *out = malloc(s->n_test * 2 * sizeof(float));
    amlp_nn_data test = {.n = s->n_test, .rows = float_rows, .user = s->xv, .y = s->yv};
    cr_assert_eq(amlp_nn_predict_raw(net, &test, NULL, out), 0);
    size_t right = 0;
    for (size_t i = 0; i < s->n_test; i++)
        right += (out[2 * i + 1] > out[2 * i]) == (s->yv[i] == 1);
    free(out);
    return (double)right / (double)s->n_test;
}

static amlp_nn_arch small_arch(void)
{
    amlp_nn_arch a = {.stem = 4, .n_stages = 2, .pool_max = true, .dropout = 0.1};
    a.stage[0] = (amlp_nn_stage){1, 8, 3, AMLP_NN_BLOCK_RESIDUAL};
    a.stage[1] = (amlp_nn_stage){1, 8, 3, AMLP_NN_BLOCK_SEPARABLE};
    return a;
}

static amlp_nn_train_opts stripes_opts(void)
{
    return (amlp_nn_train_opts){.loss = AMLP_NN_LOSS_SOFTMAX_XENT, .batch_size = 32,
                                .epochs = 8, .patience = 8, .lr = 0.01, .weight_decay = 1e-4,
                                .warmup_frac = 0.1, .seed = 74};
}

Test(nn_arch_train, small_arch_separates_stripes)
{
    stripes_set s = stripes_new(256, 200);
    amlp_nn_arch a = small_arch();
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_build(&a, 1, SIDE, SIDE, 2, 73, &net, &err), 0, "%s", err.text);
    amlp_nn_train_opts o = stripes_opts();
    amlp_nn_data train = {.n = s.n_train, .rows = float_rows, .user = s.xt, .y = s.yt};
    amlp_nn_train_result res;
    cr_assert_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), 0, "%s", err.text);
    double acc = test_accuracy(net, &s);
    cr_log_info("arch stripes: test accuracy %.3f after %zu epochs (training loss %.4f)", acc,
                res.epochs_run, res.best_loss);
    cr_expect_geq(acc, 0.95, "accuracy %.3f", acc);
    amlp_nn_net_free(net);
    stripes_free(&s);
}

Test(nn_arch, save_load_gives_identical_outputs)
{
    amlp_nn_arch a = arch_of(AMLP_NN_BLOCK_RESIDUAL, 3, false);
    a.stage[2].block = AMLP_NN_BLOCK_SEPARABLE;
    amlp_nn_net *net = NULL, *back = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_build(&a, 3, 12, 12, 5, 9, &net, &err), 0, "%s", err.text);
    float *x = random_images(4, 3 * 12 * 12, 11);
    const float *y = NULL, *y2 = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, 4, true, &y), 0);   /* moves BN statistics */
    cr_assert_eq(amlp_nn_net_forward(net, x, 4, false, &y), 0);
    float ref[20];
    memcpy(ref, y, sizeof ref);
    amlp_bytes b = {0};
    cr_assert_eq(amlp_nn_net_save(net, &b), 0);
    amlp_reader r = {.data = b.data, .len = b.len};
    cr_assert_eq(amlp_nn_net_load(&r, &back), 0);
    cr_expect_eq(r.pos, b.len);
    cr_assert_eq(amlp_nn_net_forward(back, x, 4, false, &y2), 0);
    cr_expect_eq(memcmp(ref, y2, sizeof ref), 0);
    cr_expect_eq(amlp_nn_net_weights(back), amlp_nn_net_weights(net));
    amlp_free(b.data);
    free(x);
    amlp_nn_net_free(net);
    amlp_nn_net_free(back);
}
