/*
 * search_internal.h — what the search's files share (engine/search*.c,
 * model.c, ensemble.c, journal.c): the model bundle's layout, the run
 * record, the auto strategy's phase, the ensemble and the journal.
 */
#ifndef AMLP_SEARCH_INTERNAL_H
#define AMLP_SEARCH_INTERNAL_H

#include "base/amlp.h"
#include "search/strategy.h"

#include <pthread.h>

/* ---- the model bundle ---- */

typedef struct amlp_member {
    char *kind;
    char *params;          /* text */
    double weight;
    size_t prep;           /* index into model->preps */
    aml_learner *learner;
    aml_features *features;   /* applied after the prep, or NULL */
} amlp_member;

struct aml_model {
    aml_task task;
    size_t n_classes;
    char **class_names;
    aml_metric metric;
    char *target;
    size_t n_inputs;
    char **input_names;
    aml_type *input_types;
    size_t n_preps;
    aml_prep **preps;
    size_t n_members;
    amlp_member *members;
    char *describe;
    char *info;            /* training info, a JSON object (amlp_ memory), or NULL */
};

/* An empty model for the task (class names and inputs copied later).
 * Returns NULL when out of memory. */
aml_model *amlp_model_new(aml_task task, size_t n_classes, aml_metric metric, const char *target);
/* Takes ownership of prep / learner.  Returns the index or a negative code. */
int amlp_model_add_prep(aml_model *m, aml_prep *prep);
int amlp_model_add_member(aml_model *m, const char *kind, const char *params, double weight,
                          size_t prep, aml_learner *learner);
/* Gives member i a features step (owned; freed on failure too). */
int amlp_model_set_features(aml_model *m, size_t i, aml_features *f);
int amlp_model_set_classes(aml_model *m, const aml_prep *prep);
int amlp_model_set_inputs(aml_model *m, const aml_frame *frame, const char *const *cols, size_t n);
/* Sets the describe text from the preps and the members (plus `extra`). */
int amlp_model_finish(aml_model *m, const char *extra);
/* The model's training info with the keys of the JSON object `extra` (may be
 * NULL) added or replaced.  OUT: *out (amlp_free).  Returns 0 or a code. */
int amlp_model_info_merged(const aml_model *m, const char *extra, char **out, aml_error *err);
/* Sets the training info of the run's models (best single and ensemble) at
 * the end of a search: scores, task, rows, options, trials, stop reason,
 * time (model_info.c).  `rows`: the frame's rows; `seconds`: the run's wall
 * time so far.  Best effort: a model keeps no info when memory runs out. */
void amlp_model_attach_run_info(aml_run *r, const aml_search_options *o, size_t rows,
                                double seconds);

/* ---- configurations ---- */

/* "name=value name=value" for a configuration (spec order, active only). */
void amlp_config_text(const amlp_config *cfg, char *buf, size_t cap);
/* Hash of kind, every parameter and fidelity. */
uint64_t amlp_config_hash(const amlp_config *cfg);

/* ---- the auto strategy ---- */

extern const amlp_strategy_ops amlp_strategy_auto;
/* The phase the auto strategy is in ("portfolio", ...). */
const char *amlp_auto_phase(const void *state);

/* ---- ensemble selection (Caruana et al. 2004) ---- */

/* Greedy selection with replacement over `n_cand` out-of-fold prediction
 * vectors (n rows * width each), `iters` rounds.  OUT: weights[n_cand]
 * (summing to 1), *score (the ensemble's score).  Returns 0 or a code. */
int amlp_ensemble_select(aml_metric metric, aml_task task, size_t n_classes, const float *y,
                         const float *w, size_t n, size_t width, const float *const *cand,
                         size_t n_cand, size_t iters, double *weights, double *score,
                         aml_error *err);

/* ---- the journal ---- */

typedef struct amlp_journal_trial {
    char *kind;
    aml_params params;    /* names owned (strdup'd) */
    double fidelity;
    int status;
    char *error;
    double score, score_std, fit_seconds, predict_seconds, finished_at;
    size_t n_iterations;
    unsigned features;    /* AML_FEATURES_* steps of a feature-engineering trial, or 0 */
    size_t n_folds;
    double fold_scores[16];
    uint64_t hash;
    size_t id;            /* the trial's id in its run (names its oof file) */
} amlp_journal_trial;

typedef struct amlp_journal amlp_journal;

/* Opens <dir>/journal.jsonl for appending (creating dir) and writes
 * <dir>/run.json (fingerprint) atomically; with `resume`, first checks that
 * run.json matches `fingerprint` and reads the finished trials.
 * OUT: *out, *trials (amlp_free each via amlp_journal_trials_free), *n. */
int amlp_journal_open(const char *dir, const char *fingerprint_json, bool resume,
                      amlp_journal **out, amlp_journal_trial **trials, size_t *n,
                      aml_error *err);
/* Appends one trial line and syncs it to disk. */
int amlp_journal_append(amlp_journal *j, const amlp_journal_trial *t, aml_error *err);
void amlp_journal_close(amlp_journal *j);
/* A trial's out-of-fold predictions (n values) in <dir>/oof/<id>.f32, written
 * atomically; read back (amlp_free) or NULL when absent or of another size. */
int amlp_journal_put_oof(amlp_journal *j, size_t id, const float *v, size_t n, aml_error *err);
float *amlp_journal_get_oof(const amlp_journal *j, size_t id, size_t n);
void amlp_journal_trials_free(amlp_journal_trial *t, size_t n);

#endif
