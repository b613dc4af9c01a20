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
#include <pthread.h>
#include <stdatomic.h>
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

/* ---- image rows and augmentation ---- */

static amlp_nn_images images_of(const uint8_t *pixels, size_t c, size_t h, size_t w)
{
    amlp_nn_images im = {.pixels = pixels, .c = c, .h = h, .w = w};
    for (size_t ch = 0; ch < 3; ch++) {
        im.mean[ch] = 0;
        im.std[ch] = 1;
    }
    amlp_rng_seed(&im.rng, 1);
    return im;
}

/* An h x w one-channel image of distinct values 10, 11, ... */
static uint8_t *ramp(size_t h, size_t w)
{
    uint8_t *p = malloc(h * w);
    for (size_t i = 0; i < h * w; i++)
        p[i] = (uint8_t)(10 + i);
    return p;
}

/* Whether out(y, x) == img(y + dy, x + dx) (0 outside) for every pixel. */
static bool is_shift(const float *out, const uint8_t *img, long h, long w, long dy, long dx)
{
    for (long y = 0; y < h; y++)
        for (long x = 0; x < w; x++) {
            long sy = y + dy, sx = x + dx;
            float want = sy < 0 || sx < 0 || sy >= h || sx >= w ? 0.0f : img[sy * w + sx];
            if (out[y * w + x] != want)
                return false;
        }
    return true;
}

/* The offset (|dy|, |dx| <= r) that out is img shifted by; false if none. */
static bool find_shift(const float *out, const uint8_t *img, long h, long w, long r, long *dy,
                       long *dx)
{
    for (*dy = -r; *dy <= r; (*dy)++)
        for (*dx = -r; *dx <= r; (*dx)++)
            if (is_shift(out, img, h, w, *dy, *dx))
                return true;
    return false;
}

Test(nn_images, normalisation_exact_without_augmentation)
{
    size_t c = 3, h = 5, w = 4, size = c * h * w;
    uint8_t *px = malloc(2 * size);
    for (size_t i = 0; i < 2 * size; i++)
        px[i] = (uint8_t)(i * 37 % 256);
    amlp_nn_images im = images_of(px, c, h, w);
    const float mean[3] = {100, 50.5f, 0}, sd[3] = {20, 64, 255};
    memcpy(im.mean, mean, sizeof mean);
    memcpy(im.std, sd, sizeof sd);
    im.aug = (amlp_nn_augment){.crop_pad = 2, .flip = true, .cutout = 3};   /* but off */
    const size_t index[] = {1, 0}, rows[] = {0, 1, 1};
    im.index = index;
    float x[3 * 60];
    amlp_nn_images_rows(&im, rows, 3, x);
    for (size_t r = 0; r < 3; r++)
        for (size_t i = 0; i < size; i++) {
            size_t ch = i / (h * w);
            float want = ((float)px[index[rows[r]] * size + i] - mean[ch]) / sd[ch];
            cr_assert_float_eq(x[r * size + i], want, 1e-6, "row %zu value %zu", r, i);
        }
    free(px);
}

Test(nn_images, flip_is_a_mirror)
{
    uint8_t *px = ramp(3, 4);
    amlp_nn_images im = images_of(px, 1, 3, 4);
    im.augment = true;
    im.aug.flip = true;
    size_t row = 0, plain = 0, mirrored = 0;
    for (int draw = 0; draw < 40; draw++) {
        float x[12];
        amlp_nn_images_rows(&im, &row, 1, x);
        bool same = true, mirror = true;
        for (size_t y = 0; y < 3; y++)
            for (size_t c = 0; c < 4; c++) {
                same &= x[y * 4 + c] == px[y * 4 + c];
                mirror &= x[y * 4 + c] == px[y * 4 + 3 - c];
            }
        cr_assert(same || mirror, "draw %d is neither the image nor its mirror", draw);
        plain += same;
        mirrored += mirror;
    }
    cr_expect_gt(plain, 5);
    cr_expect_gt(mirrored, 5);
    free(px);
}

Test(nn_images, crop_keeps_the_size_and_shifts_by_at_most_pad)
{
    uint8_t *px = ramp(6, 6);
    amlp_nn_images im = images_of(px, 1, 6, 6);
    im.augment = true;
    im.aug.crop_pad = 2;
    float x[2 * 36 + 1];
    x[72] = 12345;   /* one image of 36 floats each, nothing past them */
    bool seen[5][5] = {{false}};
    size_t rows[2] = {0, 0}, distinct = 0;
    for (int draw = 0; draw < 60; draw++) {
        amlp_nn_images_rows(&im, rows, 2, x);
        for (size_t r = 0; r < 2; r++) {
            long dy, dx;
            cr_assert(find_shift(x + r * 36, px, 6, 6, 2, &dy, &dx),
                      "draw %d: not a shift of at most 2", draw);
            distinct += !seen[dy + 2][dx + 2];
            seen[dy + 2][dx + 2] = true;
        }
    }
    cr_expect_eq(x[72], 12345);
    cr_expect_geq(distinct, 15, "only %zu of 25 offsets drawn", distinct);
    free(px);
}

Test(nn_images, translate_shifts_by_whole_pixels_within_the_share)
{
    uint8_t *px = ramp(8, 8);
    amlp_nn_images im = images_of(px, 1, 8, 8);
    im.augment = true;
    im.aug.translate = 0.25;   /* +-2 pixels */
    size_t row = 0, moved = 0;
    for (int draw = 0; draw < 40; draw++) {
        float x[64];
        amlp_nn_images_rows(&im, &row, 1, x);
        long dy, dx;
        cr_assert(find_shift(x, px, 8, 8, 2, &dy, &dx), "draw %d: not a shift <= 2", draw);
        moved += dy != 0 || dx != 0;
    }
    cr_expect_gt(moved, 20);
    free(px);
}

Test(nn_images, cutout_zeroes_exactly_one_square)
{
    size_t h = 8, w = 7, side = 3;
    uint8_t px[2 * 8 * 7];
    memset(px, 200, sizeof px);
    amlp_nn_images im = images_of(px, 2, h, w);
    im.mean[0] = im.mean[1] = 100;
    im.std[0] = im.std[1] = 50;   /* every pixel normalises to 2 */
    im.augment = true;
    im.aug.cutout = side;
    size_t row = 0, corners = 0, last = SIZE_MAX;
    for (int draw = 0; draw < 30; draw++) {
        float x[2 * 56];
        amlp_nn_images_rows(&im, &row, 1, x);
        size_t y0 = SIZE_MAX, x0 = SIZE_MAX, zeros = 0;
        for (size_t i = 0; i < 2 * h * w; i++) {
            cr_assert(x[i] == 0 || x[i] == 2, "value %g", (double)x[i]);
            if (x[i] == 0 && zeros++ == 0) {
                y0 = i / w;
                x0 = i % w;
            }
        }
        cr_assert_eq(zeros, 2 * side * side, "draw %d: %zu zeros", draw, zeros);
        for (size_t ch = 0; ch < 2; ch++)
            for (size_t y = 0; y < side; y++)
                for (size_t c = 0; c < side; c++)
                    cr_assert_eq(x[(ch * h + y0 + y) * w + x0 + c], 0);
        corners += y0 * w + x0 != last;
        last = y0 * w + x0;
    }
    cr_expect_gt(corners, 10, "the square hardly moves");
    im.aug.cutout = 50;   /* larger than the image: a square of its shorter side */
    float x[2 * 56];
    amlp_nn_images_rows(&im, &row, 1, x);
    size_t zeros = 0;
    for (size_t i = 0; i < 2 * h * w; i++)
        zeros += x[i] == 0;
    cr_expect_eq(zeros, 2 * w * w);
}

Test(nn_images, rotation_keeps_the_centre_and_interpolates)
{
    uint8_t px[49];
    memset(px, 90, sizeof px);
    amlp_nn_images im = images_of(px, 1, 7, 7);
    im.augment = true;
    im.aug.rotate = 40;
    size_t row = 0, cornered = 0;
    for (int draw = 0; draw < 20; draw++) {
        float x[49];
        amlp_nn_images_rows(&im, &row, 1, x);
        cr_assert_float_eq(x[24], 90, 1e-4, "centre %g", (double)x[24]);
        for (size_t i = 0; i < 49; i++)
            cr_assert(x[i] >= -1e-5 && x[i] <= 90 + 1e-4, "value %g", (double)x[i]);
        cornered += x[0] < 89;
    }
    cr_expect_gt(cornered, 10, "rotations hardly bring the outside in");
}

static amlp_nn_images all_on(const uint8_t *px, size_t c, size_t h, size_t w, uint64_t seed)
{
    amlp_nn_images im = images_of(px, c, h, w);
    im.augment = true;
    im.aug = (amlp_nn_augment){.crop_pad = 3, .flip = true, .rotate = 180, .translate = 0.9,
                               .cutout = 9};
    amlp_rng_seed(&im.rng, seed);
    return im;
}

Test(nn_images, same_seed_same_rows)
{
    uint8_t *px = ramp(6, 6);
    amlp_nn_images a = all_on(px, 1, 6, 6, 5), b = all_on(px, 1, 6, 6, 5);
    amlp_nn_images c = all_on(px, 1, 6, 6, 6);
    a.aug.cutout = b.aug.cutout = c.aug.cutout = 2;
    size_t rows[4] = {0, 0, 0, 0};
    float xa[144], xb[144], xc[144];
    amlp_nn_images_rows(&a, rows, 4, xa);
    amlp_nn_images_rows(&b, rows, 4, xb);
    amlp_nn_images_rows(&c, rows, 4, xc);
    cr_expect_eq(memcmp(xa, xb, sizeof xa), 0);
    cr_expect_neq(memcmp(xa, xc, sizeof xa), 0);
    cr_expect_neq(memcmp(xa, xa + 36, 36 * sizeof(float)), 0, "rows of a batch differ");
    free(px);
}

/* Run under the asan build: every pixel buffer is exactly the images' size. */
Test(nn_images, extreme_augmentation_never_reads_outside)
{
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 4, 4}, {1, 2, 9}, {3, 7, 3}};
    for (size_t s = 0; s < 4; s++) {
        size_t c = shapes[s][0], h = shapes[s][1], w = shapes[s][2], size = c * h * w;
        uint8_t *px = malloc(3 * size);
        for (size_t i = 0; i < 3 * size; i++)
            px[i] = (uint8_t)(i * 7);
        amlp_nn_images im = all_on(px, c, h, w, 9 + s);
        const size_t index[] = {2, 0, 1}, rows[] = {0, 1, 2, 2, 1, 0};
        im.index = index;
        float *x = malloc(6 * size * sizeof(float));
        for (int draw = 0; draw < 50; draw++) {
            amlp_nn_images_rows(&im, rows, 6, x);
            for (size_t i = 0; i < 6 * size; i++)
                cr_assert(isfinite(x[i]) && fabsf(x[i]) <= 255, "value %g", (double)x[i]);
        }
        free(x);
        free(px);
    }
}

Test(nn_images, stats_per_channel)
{
    /* two images of 2 channels x 1 x 2 pixels */
    const uint8_t px[] = {0, 10, 100, 100, 20, 30, 100, 100};
    float mean[3], sd[3];
    amlp_nn_images_stats(px, 2, 1, 2, NULL, 2, mean, sd);
    cr_expect_float_eq(mean[0], 15, 1e-5);
    cr_expect_float_eq(sd[0], sqrtf(125), 1e-4);
    cr_expect_float_eq(mean[1], 100, 1e-5);
    cr_expect_float_eq(sd[1], 1, 1e-6, "a constant channel keeps std 1");
    cr_expect_float_eq(mean[2], 0, 1e-6);
    cr_expect_float_eq(sd[2], 1, 1e-6);
    const size_t second[] = {1};
    amlp_nn_images_stats(px, 2, 1, 2, second, 1, mean, sd);
    cr_expect_float_eq(mean[0], 25, 1e-5);
    cr_expect_float_eq(sd[0], 5, 1e-5);
}

/* ---- training: mixup, the loader thread, on_epoch ---- */

/* n 16 x 16 uint8 stripe images (as stripes(), on the 0..255 scale). */
static uint8_t *stripe_pixels(size_t n, uint64_t seed, float *y)
{
    float *x = malloc(n * PIXELS * sizeof(float));
    uint8_t *px = malloc(n * PIXELS);
    stripes(n, seed, x, y);
    for (size_t i = 0; i < n * PIXELS; i++) {
        double v = 128 + 60 * x[i];
        px[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    free(x);
    return px;
}

/* A data source that wraps the images and records who calls rows(). */
typedef struct watched {
    amlp_nn_images im;
    pthread_t caller;
    atomic_int inside, calls, overlaps, other_threads;
} watched;

static void watched_rows(void *user, const size_t *rows, size_t n, float *x)
{
    watched *wt = user;
    if (atomic_fetch_add(&wt->inside, 1) != 0)
        atomic_fetch_add(&wt->overlaps, 1);
    if (atomic_fetch_add(&wt->calls, 1) == 0)
        wt->caller = pthread_self();
    else if (!pthread_equal(wt->caller, pthread_self()))
        atomic_fetch_add(&wt->other_threads, 1);
    amlp_nn_images_rows(&wt->im, rows, n, x);
    atomic_fetch_sub(&wt->inside, 1);
}

typedef struct epochs_seen {
    size_t n, last;
    double train[8], valid[8];
    volatile int *cancel_after_first;
} epochs_seen;

static void on_epoch(size_t epoch, double train_loss, double valid_loss, void *user)
{
    epochs_seen *e = user;
    cr_assert_lt(e->n, 8);
    e->last = epoch;
    e->train[e->n] = train_loss;
    e->valid[e->n++] = valid_loss;
    if (e->cancel_after_first)
        *e->cancel_after_first = 1;
}

typedef struct run {
    float *weights;
    size_t n_weights;
    watched train;
    epochs_seen seen;
    int rc;
} run;

/* Two epochs of the small arch on augmented stripe images, with mixup and
 * label smoothing; the weights after them. */
static run train_two_epochs(bool prefetch, const uint8_t *px, const float *y, size_t n)
{
    run r = {0};
    amlp_nn_arch a = small_arch();
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_build(&a, 1, SIDE, SIDE, 2, 3, &net, &err), 0, "%s", err.text);
    r.train.im = images_of(px, 1, SIDE, SIDE);
    amlp_nn_images_stats(px, 1, SIDE, SIDE, NULL, n, r.train.im.mean, r.train.im.std);
    r.train.im.augment = true;
    r.train.im.aug = (amlp_nn_augment){.crop_pad = 2, .flip = true, .rotate = 10,
                                       .cutout = 4};
    amlp_nn_images valid_im = r.train.im;
    valid_im.augment = false;
    amlp_nn_train_opts o = stripes_opts();
    o.epochs = 2;
    o.mixup = 0.4;
    o.label_smoothing = 0.1;
    o.prefetch = prefetch;
    o.on_epoch = on_epoch;
    o.epoch_user = &r.seen;
    amlp_nn_data train = {.n = n, .rows = watched_rows, .user = &r.train, .y = y};
    amlp_nn_data valid = {.n = 40, .rows = amlp_nn_images_rows, .user = &valid_im, .y = y};
    amlp_nn_train_result res;
    r.rc = amlp_nn_train(net, &o, &train, &valid, &res, &err);
    r.n_weights = amlp_nn_net_snapshot_size(net);
    r.weights = malloc(r.n_weights * sizeof(float));
    amlp_nn_net_snapshot(net, r.weights);
    amlp_nn_net_free(net);
    return r;
}

Test(nn_train_loader, prefetch_gives_the_same_weights)
{
    size_t n = 100;   /* batches of 32: the last one is short */
    float *y = malloc(n * sizeof(float));
    uint8_t *px = stripe_pixels(n, 81, y);
    run off = train_two_epochs(false, px, y, n), on = train_two_epochs(true, px, y, n);
    cr_assert_eq(off.rc, 0);
    cr_assert_eq(on.rc, 0);
    cr_assert_eq(off.n_weights, on.n_weights);
    cr_expect_eq(memcmp(off.weights, on.weights, on.n_weights * sizeof(float)), 0,
                 "the loader thread changed the weights");
    cr_expect_eq(memcmp(&off.train.im.rng, &on.train.im.rng, sizeof(amlp_rng)), 0);
    cr_expect_eq(atomic_load(&on.train.calls), 8);   /* 4 batches x 2 epochs */
    cr_expect_eq(atomic_load(&on.train.overlaps), 0);
    cr_expect_eq(atomic_load(&on.train.other_threads), 0);
    cr_expect(!pthread_equal(on.train.caller, pthread_self()), "rows() ran on the caller");
    cr_expect(pthread_equal(off.train.caller, pthread_self()));
    cr_expect_eq(on.seen.n, 2);
    cr_expect_eq(on.seen.last, 2);
    for (size_t e = 0; e < 2; e++) {
        cr_expect(isfinite(on.seen.train[e]) && on.seen.train[e] > 0);
        cr_expect(isfinite(on.seen.valid[e]) && on.seen.valid[e] > 0);
        cr_expect_eq(on.seen.train[e], off.seen.train[e]);
    }
    free(off.weights);
    free(on.weights);
    free(px);
    free(y);
}

Test(nn_train_loader, cancel_with_prefetch_stops_cleanly)
{
    size_t n = 64;
    float *y = malloc(n * sizeof(float)), *x = malloc(n * PIXELS * sizeof(float));
    stripes(n, 5, x, y);
    amlp_nn_arch a = small_arch();
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_build(&a, 1, SIDE, SIDE, 2, 3, &net, &err), 0, "%s", err.text);
    volatile int cancel = 0;
    aml_fit_ctl ctl = {.cancel = &cancel};
    epochs_seen seen = {.cancel_after_first = &cancel};
    amlp_nn_train_opts o = stripes_opts();
    o.prefetch = true;
    o.ctl = &ctl;
    o.on_epoch = on_epoch;
    o.epoch_user = &seen;
    amlp_nn_data train = {.n = n, .rows = float_rows, .user = x, .y = y};
    amlp_nn_train_result res;
    cr_expect_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), AML_ECANCELED);
    cr_expect_eq(res.epochs_run, 1);
    cr_expect_eq(seen.n, 1);
    cr_expect(isnan(seen.valid[0]), "no validation rows: NAN");
    amlp_nn_net_free(net);
    free(x);
    free(y);
}

Test(nn_train_mixup, mixup_with_smoothing_separates_stripes)
{
    stripes_set s = stripes_new(256, 200);
    amlp_nn_arch a = small_arch();
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_build(&a, 1, SIDE, SIDE, 2, 73, &net, &err), 0, "%s", err.text);
    amlp_nn_train_opts o = stripes_opts();
    o.mixup = 0.4;
    o.label_smoothing = 0.1;
    o.prefetch = true;
    epochs_seen mixed = {0}, plain = {0};
    o.on_epoch = on_epoch;
    o.epoch_user = &mixed;
    amlp_nn_data train = {.n = s.n_train, .rows = float_rows, .user = s.xt, .y = s.yt};
    amlp_nn_train_result res;
    cr_assert_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), 0, "%s", err.text);
    double acc = test_accuracy(net, &s);
    cr_log_info("mixup stripes: test accuracy %.3f after %zu epochs (training loss %.4f)", acc,
                res.epochs_run, res.best_loss);
    cr_expect_geq(acc, 0.9, "accuracy %.3f", acc);
    amlp_nn_net_free(net);
    /* the same run without mixup: mixed batches keep the training loss above
     * that of the plain ones (the targets themselves are mixed; smoothing
     * 0.1 puts a floor of about 0.2 under both) */
    cr_assert_eq(amlp_nn_arch_build(&a, 1, SIDE, SIDE, 2, 73, &net, &err), 0, "%s", err.text);
    o.mixup = 0;
    o.epoch_user = &plain;
    cr_assert_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), 0, "%s", err.text);
    cr_assert_eq(mixed.n, 8);
    cr_assert_eq(plain.n, 8);
    cr_log_info("last epoch's training loss: %.4f with mixup, %.4f without", mixed.train[7],
                plain.train[7]);
    cr_expect_gt(mixed.train[7], 1.2 * plain.train[7]);
    amlp_nn_net_free(net);
    stripes_free(&s);
}

Test(nn_train_mixup, bad_alpha_is_refused)
{
    float x[PIXELS] = {0}, y[1] = {0};
    amlp_nn_arch a = small_arch();
    amlp_nn_net *net = NULL;
    aml_error err = {0};
    cr_assert_eq(amlp_nn_arch_build(&a, 1, SIDE, SIDE, 2, 3, &net, &err), 0, "%s", err.text);
    amlp_nn_train_opts o = stripes_opts();
    o.mixup = -0.5;
    amlp_nn_data train = {.n = 1, .rows = float_rows, .user = x, .y = y};
    amlp_nn_train_result res;
    cr_expect_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), AML_EINVAL);
    cr_expect_neq(strstr(err.text, "mixup"), NULL, "%s", err.text);
    o.mixup = NAN;
    cr_expect_eq(amlp_nn_train(net, &o, &train, NULL, &res, &err), AML_EINVAL);
    amlp_nn_net_free(net);
}

/* ---- channel concatenation ---- */

static amlp_nn_net *conv_net(size_t c, size_t h, size_t w, size_t out_c, size_t k, bool bn,
                             amlp_rng *rng)
{
    amlp_nn_conv2d_cfg cfg = {.in_c = c, .h = h, .w = w, .out_c = out_c, .kh = k, .kw = k,
                              .stride = 1, .pad = k / 2, .groups = 1, .bias = !bn};
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(c * h * w, &net), 0);
    cr_assert_eq(amlp_nn_conv2d_new(&cfg, rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    if (bn) {
        cr_assert_eq(amlp_nn_batchnorm2d_new(out_c, h, w, 0.1, 1e-5, &l), 0);
        cr_assert_eq(amlp_nn_net_add(net, l), 0);
    }
    return net;
}

/* f = sum(y * r) of a training forward */
static double weighted_sum(amlp_nn_layer *l, const float *x, size_t n, const float *r, float *y)
{
    cr_assert_eq(l->ops->forward(l, x, y, n, true), 0);
    double f = 0;
    for (size_t i = 0; i < n * l->out; i++)
        f += (double)y[i] * r[i];
    return f;
}

static double numeric(amlp_nn_layer *l, float *v, const float *x, size_t n, const float *r,
                      float *y)
{
    float keep = *v;
    *v = keep + 1e-2f;
    double fp = weighted_sum(l, x, n, r, y);
    *v = keep - 1e-2f;
    double fm = weighted_sum(l, x, n, r, y);
    *v = keep;
    return (fp - fm) / 2e-2;
}

static size_t grad_misses(double num, double ana)
{
    return fabs(num - ana) > 1e-3 + 1e-2 * fabs(num);
}

/* Central differences of sum(y * r) against dx and every child parameter;
 * returns how many were checked, *bad how many missed. */
static size_t check_concat_grads(amlp_nn_layer *l, size_t n, size_t *bad)
{
    float *x = random_images(n, l->in, 21), *r = random_images(n, l->out, 22);
    float *y = malloc(n * l->out * sizeof(float)), *dx = malloc(n * l->in * sizeof(float));
    weighted_sum(l, x, n, r, y);
    for (size_t c = 0; c < 2; c++)
        if (l->child[c])
            amlp_nn_net_zero_grad(l->child[c]);
    cr_assert_eq(l->ops->backward(l, x, y, r, dx, n), 0);
    size_t checked = 0;
    *bad = 0;
    for (size_t i = 0; i < n * l->in; i++, checked++)
        *bad += grad_misses(numeric(l, &x[i], x, n, r, y), dx[i]);
    for (size_t c = 0; c < 2; c++) {
        size_t np = l->child[c] ? amlp_nn_net_n_params(l->child[c]) : 0;
        for (size_t p = 0; p < np; p++) {
            amlp_nn_param *pr = amlp_nn_net_param(l->child[c], p);
            for (size_t j = 0; j < pr->n; j++, checked++)
                *bad += grad_misses(numeric(l, &pr->w[j], x, n, r, y), pr->g[j]);
        }
    }
    free(x);
    free(r);
    free(y);
    free(dx);
    return checked;
}

Test(nn_concat, gradients_of_both_children_and_the_input)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 31);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_concat_new(conv_net(2, 4, 5, 3, 3, false, &rng),
                                    conv_net(2, 4, 5, 2, 1, true, &rng), 4, 5, &l), 0);
    cr_expect_eq(l->in, 2 * 20);
    cr_expect_eq(l->out, 5 * 20);
    size_t bad = 0, checked = check_concat_grads(l, 3, &bad);
    cr_expect_eq(bad, 0, "%zu of %zu gradients off", bad, checked);
    cr_expect_eq(checked, 3 * 40 + (54 + 3) + (4 + 2 + 2));
    amlp_nn_layer_free(l);
}

Test(nn_concat, identity_second_part_is_the_input)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 32);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_concat_new(conv_net(2, 3, 3, 4, 3, false, &rng), NULL, 3, 3, &l), 0);
    cr_expect_eq(l->out, 6 * 9);
    float *x = random_images(2, 18, 3), y[2 * 54];
    const float *ya = NULL;
    cr_assert_eq(l->ops->forward(l, x, y, 2, false), 0);
    cr_assert_eq(amlp_nn_net_forward(l->child[0], x, 2, false, &ya), 0);
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(memcmp(y + i * 54, ya + i * 36, 36 * sizeof(float)), 0);
        cr_expect_eq(memcmp(y + i * 54 + 36, x + i * 18, 18 * sizeof(float)), 0);
    }
    free(x);
    size_t bad = 0, checked = check_concat_grads(l, 2, &bad);
    cr_expect_eq(bad, 0, "%zu of %zu gradients off", bad, checked);
    amlp_nn_layer_free(l);
}

Test(nn_concat, shapes_that_disagree_are_refused)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 33);
    amlp_nn_layer *l = (amlp_nn_layer *)&rng;
    /* different inputs */
    cr_expect_eq(amlp_nn_concat_new(conv_net(2, 4, 4, 3, 3, false, &rng),
                                    conv_net(1, 4, 4, 3, 3, false, &rng), 4, 4, &l),
                 AML_EINVAL);
    cr_expect_null(l);
    /* outputs that are not whole 3 x 3 planes */
    cr_expect_eq(amlp_nn_concat_new(conv_net(2, 4, 4, 3, 3, false, &rng), NULL, 3, 3, &l),
                 AML_EINVAL);
    cr_expect_eq(amlp_nn_concat_new(NULL, NULL, 3, 3, &l), AML_EINVAL);
}

Test(nn_concat, save_load_in_a_net_gives_identical_outputs)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 34);
    amlp_nn_net *net = NULL, *back = NULL;
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_net_new(2 * 16, &net), 0);
    cr_assert_eq(amlp_nn_concat_new(conv_net(2, 4, 4, 3, 3, true, &rng),
                                    conv_net(2, 4, 4, 2, 1, false, &rng), 4, 4, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_concat_new(conv_net(5, 4, 4, 1, 3, false, &rng), NULL, 4, 4, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_net_out(net), 6 * 16);
    float *x = random_images(3, 32, 35), ref[3 * 96];
    const float *y = NULL;
    cr_assert_eq(amlp_nn_net_forward(net, x, 3, true, &y), 0);
    cr_assert_eq(amlp_nn_net_forward(net, x, 3, false, &y), 0);
    memcpy(ref, y, sizeof ref);
    amlp_bytes b = {0};
    cr_assert_eq(amlp_nn_net_save(net, &b), 0);
    amlp_reader r = {.data = b.data, .len = b.len};
    cr_assert_eq(amlp_nn_net_load(&r, &back), 0);
    cr_assert_eq(amlp_nn_net_forward(back, x, 3, false, &y), 0);
    cr_expect_eq(memcmp(ref, y, sizeof ref), 0);
    /* every truncation is refused, never a crash */
    for (size_t cut = 0; cut < b.len; cut += 7) {
        amlp_nn_net *bad = NULL;
        amlp_reader t = {.data = b.data, .len = cut};
        cr_expect_eq(amlp_nn_net_load(&t, &bad), AML_EPARSE, "cut at %zu", cut);
        cr_expect_null(bad);
    }
    amlp_free(b.data);
    free(x);
    amlp_nn_net_free(net);
    amlp_nn_net_free(back);
}
