/* serve_image_model.c — writes an image model file for automl-serve's
 * tests (until %train builds image models): a small CNN (conv 3x3 -> relu
 * -> max pool 2 -> global average -> dense) with seeded weights, untrained,
 * over CHANNELS x SIZE x SIZE images and CLASSES classes named class_0 ...
 * (or circle, square, stripes for 3), saved with aml_model_save.
 *
 *   serve_image_model OUT.aml [CHANNELS [SIZE [CLASSES]]]   (defaults 1 16 3)
 *
 * Prints one JSON line: {"task": ..., "channels": C, "height": S, "width": S,
 * "classes": [...], "bytes": N}. */
#include "aml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds *l (made when rc is 0) to net. */
static int add(amlp_nn_net *net, int rc, amlp_nn_layer **l)
{
    return rc ? rc : amlp_nn_net_add(net, *l);
}

static amlp_nn_net *small_cnn(int c, int s, size_t k)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 2026);
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    int rc = amlp_nn_net_new((size_t)(c * s * s), &net);
    amlp_nn_conv2d_cfg cfg = {.in_c = (size_t)c, .h = (size_t)s, .w = (size_t)s, .out_c = 6,
                              .kh = 3, .kw = 3, .stride = 1, .pad = 1, .groups = 1, .bias = true};
    rc = rc ? rc : add(net, amlp_nn_conv2d_new(&cfg, &rng, &l), &l);
    rc = rc ? rc : add(net, amlp_nn_relu_new(6 * (size_t)(s * s), &l), &l);
    rc = rc ? rc : add(net, amlp_nn_pool_new(AMLP_NN_MAXPOOL, 6, (size_t)s, (size_t)s, 2, 2, 0,
                                             &l), &l);
    rc = rc ? rc : add(net, amlp_nn_global_avgpool_new(6, (size_t)s / 2, (size_t)s / 2, &l), &l);
    rc = rc ? rc : add(net, amlp_nn_dense_new(6, k, AMLP_NN_INIT_XAVIER, &rng, &l), &l);
    if (rc) {
        amlp_nn_net_free(net);
        return NULL;
    }
    return net;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: serve_image_model OUT.aml [CHANNELS [SIZE [CLASSES]]]\n");
        return 2;
    }
    int c = argc > 2 ? atoi(argv[2]) : 1, s = argc > 3 ? atoi(argv[3]) : 16;
    size_t k = argc > 4 ? strtoul(argv[4], NULL, 10) : 3;
    if ((c != 1 && c != 3) || s < 2 || s > 256 || k < 2 || k > 100) {
        fprintf(stderr, "serve_image_model: channels 1 or 3, size 2..256, classes 2..100\n");
        return 2;
    }
    static const char *shapes[3] = {"circle", "square", "stripes"};
    char names[100][16];
    const char *np[100];
    for (size_t i = 0; i < k; i++) {
        snprintf(names[i], sizeof names[i], "class_%zu", i);
        np[i] = k == 3 ? shapes[i] : names[i];
    }
    const float mean[3] = {127.5f, 127.5f, 127.5f}, sd[3] = {64, 64, 64};
    aml_model *m = amlp_model_new(k == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS, k,
                                  AML_METRIC_ACCURACY, "label");
    amlp_nn_net *net = m ? small_cnn(c, s, k) : NULL;
    int rc = net ? amlp_model_set_image_net(m, net, c, s, s, mean, sd,
                                            "conv3x3x6 relu maxpool2 gap dense")
                 : AML_ENOMEM;
    rc = rc ? rc : amlp_model_set_class_names(m, np, k);
    unsigned char *bytes = NULL;
    size_t len = 0;
    aml_error e = {0};
    rc = rc ? rc : aml_model_save(m, &bytes, &len, &e);
    FILE *f = rc ? NULL : fopen(argv[1], "wb");
    if (rc || !f || fwrite(bytes, 1, len, f) != len || fclose(f)) {
        fprintf(stderr, "serve_image_model: %s: %s\n", argv[1],
                rc ? (e.text[0] ? e.text : aml_strerror(rc)) : "cannot write");
        return 1;
    }
    printf("{\"task\": \"%s\", \"channels\": %d, \"height\": %d, \"width\": %d, \"classes\": [",
           aml_task_name(aml_model_task(m)), c, s, s);
    for (size_t i = 0; i < k; i++)
        printf("%s\"%s\"", i ? ", " : "", np[i]);
    printf("], \"bytes\": %zu}\n", len);
    aml_free(bytes);
    aml_model_free(m);
    return 0;
}
