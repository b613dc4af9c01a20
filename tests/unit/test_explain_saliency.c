/* test_explain_saliency.c — the image side of %explain (engine/explain/
 * explain_saliency.c, explain_pareto.c): a network built by hand that reads
 * only the left half of its images has its occlusion saliency in the left
 * half; the probability it reports is the model's own; wrong shapes, labels
 * and patches are refused; the overlay colours only what matters; the
 * Pareto front keeps exactly the non-dominated trials and its chart draws. */

#include "testutil.h"
#include "data/data_internal.h"
#include "aml_nn.h"

#include <math.h>
#include <string.h>

#define SIDE 12
#define HALF (SIDE / 2)

static const float MEAN[3] = {128.0f, 128.0f, 128.0f};
static const float STD[3] = {64.0f, 64.0f, 64.0f};

/* dense(SIDE*SIDE -> 2): class 1's logit grows with the left half's
 * brightness, class 0's falls; the right half has weight 0. */
static aml_model *left_half_model(void)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 1);
    amlp_nn_net *net = NULL;
    cr_assert_eq(amlp_nn_net_new(SIDE * SIDE, &net), 0);
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_dense_new(SIDE * SIDE, 2, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    amlp_nn_param *W = amlp_nn_net_param(net, 0), *b = amlp_nn_net_param(net, 1);
    cr_assert_eq(W->n, SIDE * SIDE * 2);
    for (size_t i = 0; i < SIDE * SIDE; i++) {
        bool left = i % SIDE < HALF;
        W->w[i * 2 + 0] = left ? -0.005f : 0.0f;
        W->w[i * 2 + 1] = left ? 0.005f : 0.0f;
    }
    memset(b->w, 0, b->n * sizeof(float));
    aml_model *m = amlp_model_new(AML_TASK_BINARY, 2, AML_METRIC_ACCURACY, "label");
    cr_assert(m);
    cr_assert_eq(amlp_model_set_image_net(m, net, 1, SIDE, SIDE, MEAN, STD, "dense"), 0);
    static const char *names[2] = {"dark", "bright"};
    cr_assert_eq(amlp_model_set_class_names(m, names, 2), 0);
    return m;
}

/* n images of `side`: a bright left half, noise on the right; label 1. */
static aml_images *left_bright_images(size_t n, int side, uint32_t label)
{
    aml_images *im = amlp_images_new();
    cr_assert(im);
    im->channels = 1;
    im->height = side;
    im->width = side;
    cr_assert_eq(amlp_images_alloc(im, n), 0);
    tu_seed(7);
    for (size_t i = 0; i < n; i++) {
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                im->pixels[i * (size_t)(side * side) + (size_t)(y * side + x)] =
                    (uint8_t)(x < side / 2 ? 210 + 40 * tu_uni() : 255 * tu_uni());
        im->labels[i] = label;
    }
    return im;
}

Test(occlusion, a_left_half_model_looks_at_the_left_half)
{
    aml_model *m = left_half_model();
    aml_images *im = left_bright_images(3, SIDE, 1);
    float map[SIDE * SIDE];
    for (size_t i = 0; i < 3; i++) {
        double prob = -1;
        aml_error err = {0};
        cr_assert_eq(aml_explain_occlusion(m, im, i, 0, 0, map, &prob, NULL, &err), 0, "%s",
                     err.text);
        double left = 0, right = 0;
        for (int y = 0; y < SIDE; y++)
            for (int x = 0; x < SIDE; x++) {
                float v = map[y * SIDE + x];
                if (x < HALF) {
                    cr_assert_gt(v, 1e-3, "left pixel (%d, %d) has saliency %g", x, y, v);
                    left += v;
                } else {
                    right += fabs(v);
                }
                /* past the patches that straddle the middle nothing matters */
                if (x >= HALF + 2)
                    cr_assert_lt(fabsf(v), 1e-5, "right pixel (%d, %d) has %g", x, y, v);
            }
        cr_assert_gt(left, 20 * right, "left %g, right %g", left, right);
        float own;
        size_t row = i;
        cr_assert_eq(aml_model_predict_images(m, im, &row, 1, &own, NULL), 0);
        cr_assert_float_eq(prob, own, 1e-5, "occlusion says %g, the model %g", prob, own);
        cr_assert_gt(prob, 0.6);
    }
    aml_images_free(im);
    aml_model_free(m);
}

Test(occlusion, the_true_class_decides_the_sign)
{
    /* labelled "dark", the same images: hiding the bright half helps */
    aml_model *m = left_half_model();
    aml_images *im = left_bright_images(1, SIDE, 0);
    float map[SIDE * SIDE];
    double prob;
    cr_assert_eq(aml_explain_occlusion(m, im, 0, 3, 2, map, &prob, NULL, NULL), 0);
    cr_assert_lt(prob, 0.4);
    for (int y = 0; y < SIDE; y++)
        cr_assert_lt(map[y * SIDE], -1e-3);
    aml_images_free(im);
    aml_model_free(m);
}

Test(occlusion, mismatches_are_refused_in_one_line)
{
    aml_model *m = left_half_model();
    aml_images *other = left_bright_images(1, SIDE + 2, 1);
    aml_images *im = left_bright_images(2, SIDE, 1);
    float map[(SIDE + 2) * (SIDE + 2)];
    aml_error err = {0};
    cr_assert_eq(aml_explain_occlusion(m, other, 0, 0, 0, map, NULL, NULL, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "the model takes 12x12"), "%s", err.text);
    cr_assert_eq(aml_explain_occlusion(m, im, 2, 0, 0, map, NULL, NULL, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "past the 2 images"), "%s", err.text);
    cr_assert_eq(aml_explain_occlusion(m, im, 0, SIDE + 1, 1, map, NULL, NULL, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "does not fit"), "%s", err.text);
    im->labels[1] = 5;
    cr_assert_eq(aml_explain_occlusion(m, im, 1, 0, 0, map, NULL, NULL, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "knows 2 classes"), "%s", err.text);
    volatile int cancel = 1;
    cr_assert_eq(aml_explain_occlusion(m, im, 0, 0, 0, map, NULL, &cancel, &err), AML_ECANCELED);
    aml_images_free(other);
    aml_images_free(im);
    aml_model_free(m);
}

Test(occlusion, defaults_follow_the_image_size)
{
    int p, s;
    aml_explain_occlusion_defaults(28, 28, &p, &s);
    cr_assert_eq(p, 5);
    cr_assert_eq(s, 3);
    aml_explain_occlusion_defaults(2, 3, &p, &s);
    cr_assert_eq(p, 1);
    cr_assert_eq(s, 1);
    aml_explain_occlusion_defaults(96, 64, &p, &s);
    cr_assert_eq(p, 16);
    cr_assert_eq(s, 8);
}

Test(overlay, colours_only_the_salient_pixels)
{
    uint8_t img[4] = {100, 100, 100, 100}, rgb[12];
    float map[4] = {0.0f, -0.2f, 0.1f, 0.2f};
    aml_explain_saliency_overlay(img, 1, 2, 2, map, 0, rgb);
    for (int i = 0; i < 2; i++) {   /* no drop: plain grey */
        cr_assert_eq(rgb[i], rgb[4 + i]);
        cr_assert_eq(rgb[i], rgb[8 + i]);
    }
    cr_assert_gt(rgb[3], rgb[11], "the hottest pixel is red-yellow, not grey");
    cr_assert_gt(rgb[3], rgb[2], "the hotter pixel is brighter in red");
    cr_assert_neq(rgb[2], rgb[10]);
}

Test(pareto, keeps_exactly_the_non_dominated_trials)
{
    double size[] = {100, 200, 50, 300, 200, 10, 400};
    double score[] = {0.8, 0.9, 0.7, 0.85, 0.9, NAN, 0.95};
    bool front[7];
    cr_assert_eq(aml_explain_pareto_front(size, score, 7, true, front), 4);
    bool want[7] = {true, true, true, false, false, false, true};
    for (int i = 0; i < 7; i++)
        cr_assert_eq(front[i], want[i], "trial %d", i);
    /* lower is better (log loss): the small network with the least loss wins */
    double loss[] = {0.5, 0.4, 0.3, 0.6, 0.4, NAN, 0.2};
    cr_assert_eq(aml_explain_pareto_front(size, loss, 7, false, front), 2);
    cr_assert(front[2] && front[6]);
}

Test(pareto, the_chart_draws_and_an_empty_one_is_refused)
{
    double size[] = {1200, 5400, 800, 30000, 15000};
    double score[] = {0.71, 0.83, 0.62, 0.86, 0.80};
    aml_plot_opts o = aml_plot_opts_default();
    o.title = "Score against size";
    aml_plot_image *img = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_explain_pareto_plot(&o, size, score, 5, true, &img, &err), 0, "%s",
                 err.text);
    cr_assert(img && img->png_size > 1000);
    cr_assert_eq(memcmp(img->png, "\x89PNG", 4), 0);
    cr_assert_eq(img->width, 640);
    aml_plot_image_free(img);
    double none[] = {NAN, NAN};
    cr_assert_eq(aml_explain_pareto_plot(NULL, size, none, 2, true, &img, &err), AML_EEMPTY);
    cr_assert_null(img);
    /* one size only: still a chart */
    double one[] = {500};
    cr_assert_eq(aml_explain_pareto_plot(NULL, one, score, 1, true, &img, &err), 0, "%s",
                 err.text);
    aml_plot_image_free(img);
}
