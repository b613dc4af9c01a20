/*
 * learn_internal.h — what every learner kind implements (shared by learner.c and
 * the learn_<kind>.c files; never installed).
 *
 * A kind is a table of operations.  learner.c owns the handle, parameter
 * checking against the kind's space, the serialised envelope (kind, task,
 * classes, features, parameters) and dispatch; the kind owns its fitted state.
 */
#ifndef AML_LEARN_INTERNAL_H
#define AML_LEARN_INTERNAL_H

#include "aml_learn.h"
#include "aml_nn.h"

typedef struct amlp_learner_ops {
    const char *kind;
    const aml_param_spec *space;
    size_t n_space;
    bool (*supports)(aml_task task);
    /* Fits l->state from data (l->task, l->n_classes, l->n_features are set). */
    int (*fit)(aml_learner *l, const aml_fit_data *data, const aml_fit_ctl *ctl, aml_error *err);
    int (*predict)(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err);
    /* May be NULL: the kind has no importance. */
    int (*importance)(const aml_learner *l, float *out, size_t cols, aml_error *err);
    /* The fitted state as bytes, appended to `out`; and back into l->state. */
    int (*save)(const aml_learner *l, amlp_bytes *out, aml_error *err);
    int (*load)(aml_learner *l, amlp_reader *in, aml_error *err);
    void (*free_state)(aml_learner *l);
    /* May be NULL: the kind has no per-feature contributions.  Fills `out`
     * as aml_learner_contributions documents. */
    int (*contributions)(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err);
} amlp_learner_ops;

struct aml_learner {
    const amlp_learner_ops *ops;
    aml_params params;
    aml_task task;
    size_t n_classes;     /* 0 for regression */
    size_t n_features;
    bool fitted;
    void *state;          /* the kind's */
};

/* The kinds (learn_xgb.c, learn_linear.c, learn_knn.c, learn_nb.c, learn_mlp.c). */
extern const amlp_learner_ops amlp_learner_xgb, amlp_learner_rf, amlp_learner_linear,
    amlp_learner_knn, amlp_learner_nb, amlp_learner_mlp;

#endif
