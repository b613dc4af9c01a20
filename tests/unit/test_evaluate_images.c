/* test_evaluate_images.c — %evaluate's image pieces (engine/evaluate/
 * evaluate_images.c): the true class of images matched to the model's
 * classes by name (another order, an unseen class), the shape and table-model
 * refusals, the most confident mistakes in order, and their gallery PNG.
 * A tiny untrained CNN built by hand stands in for a trained model. */

#include "testutil.h"
#include "data/data_internal.h"
#include "aml_nn.h"

#include <math.h>
#include <string.h>

static const float MEAN[3] = {120.0f, 110.0f, 100.0f};
static const float STD[3] = {60.0f, 55.0f, 50.0f};
static const char *MODEL_CLASSES[3] = {"circle", "square", "stripes"};

/* conv 3x3 (1 -> 2) -> global average -> dense 2 -> k. */
static aml_model *tiny_model(int h, int w, size_t k)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 7);
    amlp_nn_net *net = NULL;
    cr_assert_eq(amlp_nn_net_new((size_t)(h * w), &net), 0);
    amlp_nn_conv2d_cfg cfg = {.in_c = 1, .h = (size_t)h, .w = (size_t)w, .out_c = 2, .kh = 3,
                              .kw = 3, .stride = 1, .pad = 1, .groups = 1, .bias = true};
    amlp_nn_layer *l = NULL;
    cr_assert_eq(amlp_nn_conv2d_new(&cfg, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_global_avgpool_new(2, (size_t)h, (size_t)w, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    cr_assert_eq(amlp_nn_dense_new(2, k, AMLP_NN_INIT_XAVIER, &rng, &l), 0);
    cr_assert_eq(amlp_nn_net_add(net, l), 0);
    aml_model *m = amlp_model_new(k == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS, k,
                                  AML_METRIC_ACCURACY, "label");
    cr_assert(m);
    cr_assert_eq(amlp_model_set_image_net(m, net, 1, h, w, MEAN, STD, "conv gap dense"), 0);
    cr_assert_eq(amlp_model_set_class_names(m, MODEL_CLASSES, k), 0);
    return m;
}

/* n grey h x w images labelled i % n_names with the given class names. */
static aml_images *image_set(size_t n, int h, int w, const char *const *names, size_t n_names)
{
    aml_images *im = amlp_images_new();
    cr_assert(im);
    im->channels = 1;
    im->height = h;
    im->width = w;
    cr_assert_eq(amlp_images_alloc(im, n), 0);
    for (size_t i = 0; i < n * (size_t)(h * w); i++)
        im->pixels[i] = (uint8_t)(i * 37 % 251);
    for (size_t i = 0; i < n; i++)
        im->labels[i] = (uint32_t)(i % n_names);
    im->class_names = amlp_calloc(n_names, sizeof *im->class_names);
    cr_assert(im->class_names);
    for (size_t k = 0; k < n_names; k++)
        im->class_names[k] = amlp_strdup(names[k]);
    im->n_classes = n_names;
    return im;
}

Test(evaluate_images, truth_is_matched_by_class_name)
{
    aml_model *m = tiny_model(6, 6, 3);
    static const char *names[4] = {"stripes", "dots", "circle", "square"};
    aml_images *im = image_set(8, 6, 6, names, 4);
    float truth[8];
    unsigned char state[8];
    aml_error err = {0};
    cr_assert_eq(aml_evaluate_images_truth(m, im, NULL, 8, truth, state, &err), 0, "%s",
                 err.text);
    /* the set's labels 0..3 are stripes, dots, circle, square: model 2, -, 0, 1 */
    static const float want[4] = {2, NAN, 0, 1};
    for (size_t i = 0; i < 8; i++) {
        if (i % 4 == 1) {
            cr_assert_eq(state[i], AML_EVAL_ROW_UNSEEN, "image %zu", i);
            cr_assert(isnan(truth[i]));
        } else {
            cr_assert_eq(state[i], AML_EVAL_ROW_OK, "image %zu", i);
            cr_assert_eq(truth[i], want[i % 4], "image %zu: %g", i, (double)truth[i]);
        }
    }
    size_t rows[2] = {7, 2};
    cr_assert_eq(aml_evaluate_images_truth(m, im, rows, 2, truth, state, &err), 0);
    cr_assert(truth[0] == 1 && truth[1] == 0);
    rows[0] = 8;
    cr_assert_eq(aml_evaluate_images_truth(m, im, rows, 2, truth, state, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "image 8 is past the end"), "%s", err.text);
    aml_images_free(im);
    aml_model_free(m);
}

Test(evaluate_images, another_shape_or_a_table_model_is_refused)
{
    aml_model *m = tiny_model(6, 6, 3);
    aml_images *im = image_set(3, 5, 6, MODEL_CLASSES, 3);
    float truth[3];
    unsigned char state[3];
    aml_error err = {0};
    cr_assert_eq(aml_evaluate_images_truth(m, im, NULL, 3, truth, state, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "the images are 6x5x1 but the model takes 6x6x1"), "%s",
              err.text);
    aml_model *table = amlp_model_new(AML_TASK_MULTICLASS, 3, AML_METRIC_ACCURACY, "y");
    cr_assert_eq(aml_evaluate_images_truth(table, im, NULL, 3, truth, state, &err), AML_EINVAL);
    cr_assert(strstr(err.text, "classifies table rows"), "%s", err.text);
    aml_model_free(table);
    aml_images_free(im);
    aml_model_free(m);
}

/* An evaluation of 6 rows of 3 classes: rows 1, 3 and 4 are mistakes,
 * predicted with 0.5, 0.9 and 0.7. */
static aml_evaluation *six_rows(void)
{
    static const float truth[6] = {0, 0, 1, 1, 2, 2};
    static const float pred[18] = {
        0.8f, 0.1f, 0.1f,  0.3f, 0.5f, 0.2f,  0.1f, 0.8f, 0.1f,
        0.05f, 0.05f, 0.9f,  0.7f, 0.2f, 0.1f,  0.1f, 0.2f, 0.7f,
    };
    aml_evaluation *ev = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_evaluate(AML_TASK_MULTICLASS, 3, truth, pred, 6, NULL, &ev, &err), 0, "%s",
                 err.text);
    return ev;
}

Test(evaluate_images, mistakes_come_most_confident_first)
{
    aml_evaluation *ev = six_rows();
    size_t idx[8];
    cr_assert_eq(aml_eval_mistakes(ev, idx, 8), 3);
    cr_assert(idx[0] == 3 && idx[1] == 4 && idx[2] == 1, "%zu %zu %zu", idx[0], idx[1], idx[2]);
    cr_assert_eq(aml_eval_mistakes(ev, idx, 2), 2);
    cr_assert(idx[0] == 3 && idx[1] == 4);
    cr_assert_eq(aml_eval_mistakes(ev, idx, 1), 1);
    cr_assert_eq(idx[0], 3);
    aml_evaluation_free(ev);
}

Test(evaluate_images, the_gallery_is_a_png_of_the_mistakes)
{
    aml_evaluation *ev = six_rows();
    aml_images *im = image_set(10, 12, 12, MODEL_CLASSES, 3);
    size_t rows[6] = {9, 8, 7, 6, 5, 4};
    aml_plot_image *img = NULL;
    aml_error err = {0};
    cr_assert_eq(aml_eval_plot_mistakes(NULL, ev, im, rows, MODEL_CLASSES, 16, &img, &err), 0,
                 "%s", err.text);
    cr_assert(img->png_size > 8 && memcmp(img->png, "\x89PNG", 4) == 0);
    /* three tiles in one row, each upscaled to at least 176 logical px */
    cr_assert_geq(img->width, 3 * 176);
    cr_assert_lt(img->height, 2 * 176);
    aml_plot_image_free(img);
    img = NULL;
    cr_assert_eq(aml_eval_plot_mistakes(NULL, ev, im, rows, NULL, 1, &img, &err), 0);
    cr_assert_lt(img->width, 2 * 176);
    aml_plot_image_free(img);
    aml_evaluation_free(ev);

    static const float right[3] = {0, 1, 2};
    static const float sure[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    cr_assert_eq(aml_evaluate(AML_TASK_MULTICLASS, 3, right, sure, 3, NULL, &ev, &err), 0);
    img = NULL;
    cr_assert_eq(aml_eval_plot_mistakes(NULL, ev, im, rows, NULL, 16, &img, &err), AML_EEMPTY);
    cr_assert_null(img);
    aml_evaluation_free(ev);
    aml_images_free(im);
}
