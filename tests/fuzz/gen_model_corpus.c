/* gen_model_corpus.c — writes small valid model files, one per kind of
 * model, for the model fuzzer's seed corpus (tests/fuzz/corpus/model/) and
 * the model unit suite's fixtures: binary xgb, linear, knn, nb and mlp, a
 * multiclass and a regression model, an ensemble, and a model with text and
 * date columns.  Each is the result of a tiny search (one thread, a few
 * trials) on a small synthetic frame with numeric, categorical and missing
 * values, so files stay small and the run is reproducible.  Two image
 * models (a CNN built layer by layer with seeded weights: grey multiclass
 * with conv / pooling, RGB binary with batch norm and a residual block)
 * seed the image section.
 *
 *   make fuzz-model-corpus      (builds this tool and rewrites the corpus)
 */
#include "aml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs = 7;
static double uni(void)
{
    rs = rs * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rs >> 11) / 9007199254740992.0;
}

/* task: 0 binary, 1 multiclass, 2 regression; rich adds text and dates. */
static aml_frame *make_frame(size_t n, int task, bool rich)
{
    aml_frame *f;
    if (aml_frame_new(&f))
        exit(1);
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *t = malloc(n * sizeof *t);
    const char **cat = malloc(n * sizeof *cat), **lab = malloc(n * sizeof *lab);
    const char **txt = malloc(n * sizeof *txt), **day = malloc(n * sizeof *day);
    static const char *lv[3] = {"red", "green", "blue"};
    static const char *cls[3] = {"low", "mid", "high"};
    static const char *words[4] = {"good value fast", "slow bad", "fine good", "bad value"};
    static const char *days[4] = {"2024-01-05", "2024-03-17", "2023-12-30", "2024-07-01"};
    for (size_t i = 0; i < n; i++) {
        a[i] = i % 17 == 3 ? NAN : uni() * 4 - 2;
        b[i] = uni() * 4 - 2;
        size_t c = (size_t)(uni() * 3);
        cat[i] = i % 13 == 5 ? NULL : lv[c];
        double z = (isnan(a[i]) ? 0 : a[i]) + b[i] + 0.8 * (c == 1) + 0.3 * (uni() - 0.5);
        t[i] = z;
        lab[i] = task == 0 ? (z > 0.2 ? "yes" : "no") : cls[z < -0.7 ? 0 : z < 0.9 ? 1 : 2];
        txt[i] = words[i % 4];
        day[i] = days[(i / 3) % 4];
    }
    int rc = aml_frame_add_numbers(f, "a", a, n, NULL);
    rc = rc ? rc : aml_frame_add_numbers(f, "b", b, n, NULL);
    rc = rc ? rc : aml_frame_add_strings(f, "c", AML_TYPE_CATEGORICAL, cat, n, NULL, NULL);
    if (rich) {
        rc = rc ? rc : aml_frame_add_strings(f, "note", AML_TYPE_TEXT, txt, n, NULL, NULL);
        rc = rc ? rc : aml_frame_add_strings(f, "day", AML_TYPE_DATETIME, day, n, NULL, NULL);
    }
    if (task == 2)
        rc = rc ? rc : aml_frame_add_numbers(f, "y", t, n, NULL);
    else
        rc = rc ? rc : aml_frame_add_strings(f, "y", AML_TYPE_CATEGORICAL, lab, n, NULL, NULL);
    if (rc)
        exit(1);
    free(a);
    free(b);
    free(t);
    free(cat);
    free(lab);
    free(txt);
    free(day);
    return f;
}

static int write_model(const char *dir, const char *name, int task, bool rich, const char *models,
                       bool ensemble, size_t trials)
{
    aml_frame *f = make_frame(task == 1 ? 90 : 60, task, rich);
    aml_search_options o = aml_search_options_default();
    o.target = "y";
    o.budget_seconds = 20;
    o.max_trials = trials;
    o.threads = 1;
    o.cv_folds = ensemble ? 3 : 1;
    o.ensemble = ensemble;
    o.features = false;
    o.leak_check = false;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", models);
    const char *kinds[8];
    size_t nk = 0;
    for (char *tok = strtok(buf, ","); tok && nk < 8; tok = strtok(NULL, ","))
        kinds[nk++] = tok;
    o.models = kinds;
    o.n_models = nk;
    aml_run *r = NULL;
    aml_error err;
    memset(&err, 0, sizeof err);
    int rc = aml_search_run(f, &o, &r, &err);
    if (rc) {
        fprintf(stderr, "%s: %s\n", name, err.text);
        aml_frame_free(f);
        return 1;
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    rc = aml_model_save_ex(aml_run_model(r), "{\"dataset\":\"synthetic\",\"source\":\"gen_model_corpus\"}",
                           &bytes, &len, &err);
    if (rc == 0) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.amlm", dir, name);
        FILE *fp = fopen(path, "wb");
        rc = !fp || fwrite(bytes, 1, len, fp) != len;
        if (fp && fclose(fp))
            rc = 1;
        printf("%s: %zu bytes, %zu members\n", path, len, aml_model_n_members(aml_run_model(r)));
    } else {
        fprintf(stderr, "%s: %s\n", name, err.text);
    }
    aml_free(bytes);
    aml_run_free(r);
    aml_frame_free(f);
    return rc;
}

/* Adds the layer *l (made when `rc` is 0) to net; exits on failure.  (*l is
 * read here, after the constructor's call has set it.) */
static void add(amlp_nn_net *net, int rc, amlp_nn_layer **l)
{
    if (rc || amlp_nn_net_add(net, *l)) {
        fprintf(stderr, "gen_model_corpus: building the image net failed\n");
        exit(1);
    }
}

/* A c x 8 x 8 image net into k classes: conv 3x3 (c -> 4) [batch norm,
 * residual 3x3 block] relu, max or average pool 2, global average, dense. */
static amlp_nn_net *image_net(int c, size_t k, bool rich)
{
    amlp_rng rng;
    amlp_rng_seed(&rng, 11);
    amlp_nn_net *net = NULL;
    amlp_nn_layer *l = NULL;
    if (amlp_nn_net_new((size_t)c * 64, &net))
        exit(1);
    amlp_nn_conv2d_cfg cfg = {.in_c = (size_t)c, .h = 8, .w = 8, .out_c = 4, .kh = 3, .kw = 3,
                              .stride = 1, .pad = 1, .groups = 1, .bias = !rich};
    add(net, amlp_nn_conv2d_new(&cfg, &rng, &l), &l);
    if (rich) {
        add(net, amlp_nn_batchnorm2d_new(4, 8, 8, 0.1, 1e-5, &l), &l);
        amlp_nn_net *inner = NULL;
        if (amlp_nn_net_new(4 * 64, &inner))
            exit(1);
        amlp_nn_conv2d_cfg dw = {.in_c = 4, .h = 8, .w = 8, .out_c = 4, .kh = 3, .kw = 3,
                                 .stride = 1, .pad = 1, .groups = 4, .bias = false};
        add(inner, amlp_nn_conv2d_new(&dw, &rng, &l), &l);
        add(net, amlp_nn_residual_new(inner, 4, 8, 8, 4, 1, &rng, &l), &l);
    }
    add(net, amlp_nn_relu_new(4 * 64, &l), &l);
    add(net, amlp_nn_pool_new(rich ? AMLP_NN_AVGPOOL : AMLP_NN_MAXPOOL, 4, 8, 8, 2, 2, 0, &l), &l);
    add(net, amlp_nn_global_avgpool_new(4, 4, 4, &l), &l);
    add(net, amlp_nn_dense_new(4, k, AMLP_NN_INIT_XAVIER, &rng, &l), &l);
    return net;
}

static int write_image_model(const char *dir, const char *name, int c, size_t k, bool rich)
{
    static const char *classes[3] = {"circle", "square", "stripes"};
    const float mean[3] = {127, 120, 110}, sd[3] = {64, 60, 58};
    aml_model *m = amlp_model_new(k == 2 ? AML_TASK_BINARY : AML_TASK_MULTICLASS, k,
                                  AML_METRIC_ACCURACY, "label");
    int rc = m ? 0 : 1;
    rc = rc ? rc : amlp_model_set_image_net(m, image_net(c, k, rich), c, 8, 8, mean, sd,
                                            rich ? "conv3x3x4 bn residual(dw3x3) relu avgpool2 "
                                                   "gap dense"
                                                 : "conv3x3x4 relu maxpool2 gap dense");
    rc = rc ? rc : amlp_model_set_class_names(m, classes, k);
    unsigned char *bytes = NULL;
    size_t len = 0;
    rc = rc ? rc : aml_model_save_ex(m, "{\"dataset\":\"synthetic\",\"source\":\"gen_model_corpus\"}",
                                     &bytes, &len, NULL);
    if (rc == 0) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.amlm", dir, name);
        FILE *fp = fopen(path, "wb");
        rc = !fp || fwrite(bytes, 1, len, fp) != len;
        if (fp && fclose(fp))
            rc = 1;
        printf("%s: %zu bytes, %s\n", path, len, aml_model_describe(m));
    } else {
        fprintf(stderr, "%s: the image model could not be made\n", name);
    }
    aml_free(bytes);
    aml_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus/model";
    int bad = 0;
    bad |= write_model(dir, "binary-xgb", 0, false, "xgb", false, 1);
    bad |= write_model(dir, "binary-rf", 0, false, "rf", false, 1);
    bad |= write_model(dir, "binary-linear", 0, false, "linear", false, 1);
    bad |= write_model(dir, "binary-knn", 0, false, "knn", false, 1);
    bad |= write_model(dir, "binary-nb", 0, false, "nb", false, 1);
    bad |= write_model(dir, "binary-mlp", 0, false, "mlp", false, 1);
    bad |= write_model(dir, "multiclass-linear", 1, false, "linear", false, 1);
    bad |= write_model(dir, "regression-knn", 2, false, "knn", false, 1);
    bad |= write_model(dir, "ensemble", 0, false, "linear,nb,knn", true, 6);
    bad |= write_model(dir, "text-dates-linear", 0, true, "linear", false, 1);
    bad |= write_image_model(dir, "image-cnn-grey", 1, 3, false);
    bad |= write_image_model(dir, "image-cnn-rgb-binary", 3, 2, true);
    return bad ? 1 : 0;
}
