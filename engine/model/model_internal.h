/*
 * model_internal.h — what the model files share (engine/model*.c) beyond
 * the bundle's layout in aml_model.h.
 */
#ifndef AML_MODEL_INTERNAL_H
#define AML_MODEL_INTERNAL_H

#include "aml_model.h"

#include <stddef.h>

/* Features a learner in a model file may have (a bound for forged files). */
#define AMLP_MODEL_MAX_FEATURES ((uint64_t)1 << 24)

/* Checks a serialised learner (the bytes aml_learner_load takes) before it
 * is loaded (model_xgb.c): its envelope's task and class count are the
 * model's (`want_classes`: what the learner stores — 2 for binary, k for
 * multiclass, 0 for regression), its feature count is plausible, and the
 * XGBoost boosters of an xgb / rf learner pass the strict booster check.
 * A header it cannot read is left to aml_learner_load.  Returns 0,
 * AML_EPARSE with one line in `why`, AML_ENOMEM. */
int amlp_model_check_learner(const unsigned char *learner, size_t len, aml_task want_task,
                             size_t want_classes, char *why, size_t cap);

/* Largest image side an image model may take (a bound for forged files). */
#define AMLP_MODEL_MAX_IMAGE_SIDE 4096

struct amlp_nn_net;
/* Checks that an image net fits model m (a classifier with n_classes >= 2):
 * c 1 or 3, sides within the bound, finite means, positive stds (the first
 * c of each), and a net of c*h*w inputs and n_classes outputs.  Returns 0 or
 * AML_EINVAL with one line in `why` (model_image.c). */
int amlp_model_check_image_net(const aml_model *m, const struct amlp_nn_net *net, int c, int h,
                               int w, const float mean[3], const float std[3], char *why,
                               size_t cap);

#endif
