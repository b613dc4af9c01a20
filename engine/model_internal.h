/*
 * model_internal.h — what the model files share (engine/model*.c) beyond
 * the bundle's layout in search_internal.h.
 */
#ifndef AMLP_MODEL_INTERNAL_H
#define AMLP_MODEL_INTERNAL_H

#include <stddef.h>

/* Checks the XGBoost boosters of a serialised xgb / rf learner (the bytes
 * aml_learner_load takes) before XGBoost parses them (model_xgb.c).  Other
 * kinds pass.  Returns 0, AML_EPARSE with one line in `why`, AML_ENOMEM. */
int amlp_model_check_xgb(const unsigned char *learner, size_t len, char *why, size_t cap);

#endif
