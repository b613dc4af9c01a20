/*
 * search_run.h — the run record shared by the search driver (search.c) and
 * its accessors (search_run.c).
 */
#ifndef AMLP_SEARCH_RUN_H
#define AMLP_SEARCH_RUN_H

#include "search/search_internal.h"

typedef struct amlp_trial {
    aml_trial_info info;     /* params / error point to the strings below */
    char *params_s, *error_s;
    amlp_config cfg;
    uint64_t hash;
    float *oof;              /* out-of-fold predictions over the training rows, or NULL */
    double fold_scores[16];
    size_t n_folds;
    bool replayed;           /* resumed: already told to the strategy in this run */
    unsigned feat_steps;     /* AML_FEATURES_* applied after the preparation (0: none) */
} amlp_trial;

struct aml_run {
    aml_task task;
    aml_metric metric;
    size_t n_classes;
    aml_stop_reason stop;
    double seconds;
    amlp_trial *trials;
    size_t n_trials, cap_trials;
    size_t *board;
    size_t n_board;
    char **notes;
    size_t n_notes;
    double *curve;           /* (t, score) pairs */
    size_t n_curve, cap_curve;
    size_t *test_rows;
    size_t n_test;
    char *pipeline;
    aml_model *best, *ensemble;
    bool chosen_ensemble;
    double valid_score, test_score;
};

#endif
