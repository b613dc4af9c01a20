/*
 * vision_space.c — the search space of image networks: the "cnn" kind's
 * dimensions (width, stages, per stage its blocks, block type and kernel,
 * downsampling, dropout, the optimiser, its learning rate and schedule, label
 * smoothing and the augmentations), fitted to the data's image size, and the
 * mapping from a configuration to a network and its training recipe.
 *
 * Widths double from stage to stage, as in ResNet and most NAS search
 * spaces; per-stage dimensions are active only when the net has that many
 * stages ("stages>=k"), so strategies never spend trials on them otherwise.
 */
#include "search/search_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE_SPECS(k)                                                                 \
    {"s" #k "_blocks", AML_PARAM_INT, 1, 3, false, NULL, 1, 1, "stages>=" #k,          \
     "blocks in stage " #k},                                                           \
    {"s" #k "_block", AML_PARAM_CHOICE, 0, 0, false, "plain|residual|separable", 1, 0, \
     "stages>=" #k, "block type of stage " #k},                                        \
    {"s" #k "_kernel", AML_PARAM_CHOICE, 0, 0, false, "3|5", 0, 0, "stages>=" #k,      \
     "kernel size of stage " #k}

/* Widths double per stage up to this many channels. */
#define MAX_WIDTH 256

static const aml_param_spec cnn_specs[] = {
    {"width", AML_PARAM_CHOICE, 0, 0, false, "16|24|32|48|64", 2, 0, NULL,
     "channels of the stem and the first stage (doubling per stage)"},
    {"stages", AML_PARAM_INT, 1, AMLP_NN_ARCH_MAX_STAGES, false, NULL, 2, 2, NULL,
     "stages; each after the first halves the image"},
    STAGE_SPECS(1),
    STAGE_SPECS(2),
    STAGE_SPECS(3),
    STAGE_SPECS(4),
    {"downsample", AML_PARAM_CHOICE, 0, 0, false, "maxpool|stride", 0, 0, NULL,
     "how a stage halves the image"},
    {"dropout", AML_PARAM_REAL, 0, 0.5, false, NULL, 0.1, 0, NULL, "dropout before the classifier"},
    {"optimizer", AML_PARAM_CHOICE, 0, 0, false, "adamw|sgd", 0, 0, NULL,
     "AdamW, or SGD with Nesterov momentum"},
    {"lr_scale", AML_PARAM_REAL, 0.25, 4, true, NULL, 1, 1, NULL,
     "learning rate as a multiple of the optimiser's usual one"},
    {"schedule", AML_PARAM_CHOICE, 0, 0, false, "cosine|one-cycle", 1, 1, NULL,
     "a short warm-up then cosine decay, or one cycle (a long warm-up to twice the rate)"},
    {"wd_scale", AML_PARAM_REAL, 0.1, 10, true, NULL, 1, 1, NULL,
     "weight decay as a multiple of the optimiser's usual one"},
    {"label_smoothing", AML_PARAM_REAL, 0, 0.2, false, NULL, 0.1, 0.1, NULL, "label smoothing"},
    {"crop", AML_PARAM_CHOICE, 0, 0, false, "off|on", 1, 1, NULL,
     "random crop after padding by an eighth of the side"},
    {"flip", AML_PARAM_CHOICE, 0, 0, false, "off|on", 1, 0, NULL, "horizontal flips"},
    {"cutout", AML_PARAM_CHOICE, 0, 0, false, "off|on", 0, 0, NULL,
     "a zeroed square of a quarter of the side"},
    {"mixup", AML_PARAM_REAL, 0, 0.4, false, NULL, 0, 0, NULL, "mixup alpha (0: off)"},
    {"rotate", AML_PARAM_CHOICE, 0, 0, false, "0|10", 0, 0, NULL,
     "random rotation in degrees, with a small translation"},
};

size_t amlp_cnn_specs(size_t h, size_t w, bool flip_ok, aml_param_spec *specs, size_t cap)
{
    size_t n = sizeof cnn_specs / sizeof cnn_specs[0];
    if (n > cap)
        n = cap;
    memcpy(specs, cnn_specs, n * sizeof *specs);
    /* stages halve the image: keep the last stage at 3 pixels or more */
    size_t side = h < w ? h : w, stages = 1;
    while (stages < AMLP_NN_ARCH_MAX_STAGES && (side >> stages) >= 3)
        stages++;
    for (size_t j = 0; j < n; j++) {
        if (strcmp(specs[j].name, "stages") == 0) {
            specs[j].hi = (double)stages;
            specs[j].dflt = fmin(specs[j].dflt, (double)stages);
            specs[j].cheap = fmin(specs[j].cheap, (double)stages);
        }
        if (strcmp(specs[j].name, "flip") == 0 && !flip_ok) {
            specs[j].choices = "off";
            specs[j].dflt = specs[j].cheap = 0;
        }
    }
    return n;
}

static size_t choice_number(const aml_params *p, const char *name, const char *choices,
                            double dflt)
{
    size_t i = (size_t)aml_params_get(p, name, dflt);
    const char *s = choices;
    for (size_t k = 0; k < i && strchr(s, '|'); k++)
        s = strchr(s, '|') + 1;
    return (size_t)strtoul(s, NULL, 10);
}

static void arch_from(const aml_params *p, amlp_nn_arch *a)
{
    memset(a, 0, sizeof *a);
    size_t width = choice_number(p, "width", "16|24|32|48|64", 2);
    a->stem = width;
    a->n_stages = (size_t)aml_params_get(p, "stages", 3);
    if (a->n_stages < 1 || a->n_stages > AMLP_NN_ARCH_MAX_STAGES)
        a->n_stages = 1;
    for (size_t s = 0; s < a->n_stages; s++) {
        char name[32];
        snprintf(name, sizeof name, "s%zu_blocks", s + 1);
        a->stage[s].blocks = (size_t)aml_params_get(p, name, 1);
        snprintf(name, sizeof name, "s%zu_block", s + 1);
        a->stage[s].block = (amlp_nn_block)aml_params_get(p, name, 1);
        snprintf(name, sizeof name, "s%zu_kernel", s + 1);
        a->stage[s].kernel = aml_params_get(p, name, 0) > 0.5 ? 5 : 3;
        a->stage[s].width = (width << s) < MAX_WIDTH ? width << s : MAX_WIDTH;
    }
    a->pool_max = aml_params_get(p, "downsample", 0) < 0.5;
    a->dropout = aml_params_get(p, "dropout", 0.1);
}

void amlp_cnn_recipe_from(const aml_params *p, size_t h, size_t w, amlp_cnn_recipe *r)
{
    memset(r, 0, sizeof *r);
    arch_from(p, &r->arch);
    bool sgd = aml_params_get(p, "optimizer", 0) > 0.5;
    r->optimizer = sgd ? AMLP_NN_OPT_SGD_NESTEROV : AMLP_NN_OPT_ADAMW;
    /* the usual rates at batch 128: AdamW 2e-3 with decay 0.05, SGD 0.05 with 5e-4 */
    r->lr = (sgd ? 0.05 : 2e-3) * aml_params_get(p, "lr_scale", 1);
    /* one cycle (Smith): up for 30 % of the training to twice the rate, then down */
    bool one_cycle = aml_params_get(p, "schedule", 0) > 0.5;
    r->warmup_frac = one_cycle ? 0.3 : 0.05;
    r->lr *= one_cycle ? 2 : 1;
    r->weight_decay = (sgd ? 5e-4 : 0.05) * aml_params_get(p, "wd_scale", 1);
    r->label_smoothing = aml_params_get(p, "label_smoothing", 0.1);
    r->mixup = aml_params_get(p, "mixup", 0);
    size_t side = h < w ? h : w;
    if (aml_params_get(p, "crop", 1) > 0.5)
        r->aug.crop_pad = side >= 16 ? side / 8 : 1;
    r->aug.flip = aml_params_get(p, "flip", 0) > 0.5;
    if (aml_params_get(p, "cutout", 0) > 0.5)
        r->aug.cutout = side >= 8 ? side / 4 : 2;
    if (aml_params_get(p, "rotate", 0) > 0.5) {
        r->aug.rotate = 10;
        r->aug.translate = 0.05;
    }
}

void amlp_cnn_recipe_text(const amlp_cnn_recipe *r, char *buf, size_t cap)
{
    char arch[256], aug[96] = "";
    amlp_nn_arch_describe(&r->arch, arch, sizeof arch);
    size_t n = 0;
    if (r->aug.crop_pad)
        n += (size_t)snprintf(aug + n, sizeof aug - n, "%scrop", n ? "+" : "");
    if (r->aug.flip && n < sizeof aug)
        n += (size_t)snprintf(aug + n, sizeof aug - n, "%sflip", n ? "+" : "");
    if (r->aug.cutout && n < sizeof aug)
        n += (size_t)snprintf(aug + n, sizeof aug - n, "%scutout", n ? "+" : "");
    if (r->aug.rotate > 0 && n < sizeof aug)
        n += (size_t)snprintf(aug + n, sizeof aug - n, "%srotate", n ? "+" : "");
    if (r->mixup > 0 && n < sizeof aug)
        snprintf(aug + n, sizeof aug - n, "%smixup %.2g", n ? "+" : "", r->mixup);
    snprintf(buf, cap, "%s · %s lr %.2g%s · augment %s", arch,
             r->optimizer == AMLP_NN_OPT_SGD_NESTEROV ? "SGD" : "AdamW", r->lr,
             r->warmup_frac > 0.1 ? " one-cycle" : "", *aug ? aug : "none");
}
