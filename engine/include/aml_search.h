/*
 * aml_search.h — metrics, the AutoML search (%train), its result (aml_run)
 * and the fitted model bundle (aml_model) that %evaluate, %predict and %save
 * use (libaml subsystem, included by aml.h).
 *
 * Data flow:  frame --aml_search_run--> aml_run (leaderboard, notes, curve,
 * test score) which holds aml_model bundles (preparation + learners +
 * ensemble weights) that predict from raw frame rows and save to bytes.
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL) with a one-line reason.  Objects are not thread-safe (one
 * thread at a time per object); different objects are independent.  Strings
 * returned as `const char *` belong to the object they came from and live as
 * long as it does.
 */
#ifndef AML_SEARCH_H
#define AML_SEARCH_H
#include "aml.h"
#include "aml_frame.h"
#include "aml_learn.h"
#include "aml_features.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- metrics ---- */

typedef enum aml_metric {
    AML_METRIC_AUTO = 0,          /* auc (binary), logloss (multiclass), rmse (regression) */
    AML_METRIC_AUC,               /* ROC AUC; multiclass: macro one-vs-rest */
    AML_METRIC_LOGLOSS,           /* mean negative log-likelihood, p clipped to [1e-15, 1-1e-15] */
    AML_METRIC_ACCURACY,          /* binary: P(class 1) >= 0.5 is class 1; multiclass: argmax */
    AML_METRIC_BALANCED_ACCURACY, /* mean per-class recall (classes present in y) */
    AML_METRIC_F1,                /* binary: F1 of class 1; multiclass: macro F1 */
    AML_METRIC_RMSE,
    AML_METRIC_MAE,
    AML_METRIC_R2,                /* 1 - SSE / SST (weighted mean) */
    AML_METRIC_COUNT_
} aml_metric;

/* Parse a metric name ("auc", "logloss", "accuracy", "balanced_accuracy",
 * "f1", "rmse", "mae", "r2", "auto"; case-insensitive).  OUT: *out.
 * Returns 0 or AML_EINVAL. */
int aml_metric_parse(const char *name, aml_metric *out);
/* Lower-case name ("auc", ...); "?" for others.  Static string. */
const char *aml_metric_name(aml_metric metric);
/* True for auc, accuracy, balanced_accuracy, f1, r2. */
bool aml_metric_higher_is_better(aml_metric metric);
/* AUTO resolved for a task; other metrics are returned as they are. */
aml_metric aml_metric_resolve(aml_metric metric, aml_task task);
/* True if the metric applies to the task (classification metrics to binary
 * and multiclass, rmse/mae/r2 to regression). */
bool aml_metric_supports(aml_metric metric, aml_task task);

/* Scores predictions.  `y`: class index (classification) or value per row;
 * `pred`: as aml_learner_predict gives them (binary P(class 1); multiclass
 * n rows * n_classes probabilities, row-major; regression values);
 * `weights`: per-row weights or NULL (all 1).  AUTO is resolved first.
 * OUT: *score.  Returns 0, AML_EINVAL (metric does not fit the task, n = 0,
 * a class index out of range, AUC with a single class in y, R2 with a
 * constant y, weights summing to 0).  Thread-safe. */
int aml_metric_score(aml_metric metric, aml_task task, size_t n_classes, const float *y,
                     const float *pred, const float *weights, size_t n, double *score,
                     aml_error *err);

/* ---- the model bundle ---- */

/* A fitted model: the preparation pipeline(s), one or more learners
 * ("members") with ensemble weights, class names, task, metric and the input
 * schema (the frame columns it reads).  Predicts from raw rows. */
typedef struct aml_model aml_model;

void aml_model_free(aml_model *model);   /* accepts NULL */

aml_task aml_model_task(const aml_model *model);
size_t aml_model_n_classes(const aml_model *model);          /* 0 for regression */
const char *aml_model_class_name(const aml_model *model, size_t k);
aml_metric aml_model_metric(const aml_model *model);         /* resolved */
const char *aml_model_target(const aml_model *model);
/* Values per predicted row: n_classes for multiclass, else 1. */
size_t aml_model_pred_width(const aml_model *model);
/* The frame columns the model reads (the schema), by name, with their type. */
size_t aml_model_n_inputs(const aml_model *model);
const char *aml_model_input_name(const aml_model *model, size_t i);
aml_type aml_model_input_type(const aml_model *model, size_t i);
/* Ensemble members: count, learner kind, hyper-parameters as text
 * ("max_depth=6 learning_rate=0.1"), weight (weights sum to 1), the fitted
 * learner and its preparation (borrowed, for %explain). */
size_t aml_model_n_members(const aml_model *model);
const char *aml_model_member_kind(const aml_model *model, size_t i);
const char *aml_model_member_params(const aml_model *model, size_t i);
double aml_model_member_weight(const aml_model *model, size_t i);
const aml_learner *aml_model_member_learner(const aml_model *model, size_t i);
const aml_prep *aml_model_member_prep(const aml_model *model, size_t i);
/* Member i's feature-engineering step, applied after its prep (borrowed;
 * NULL when the member has none). */
const aml_features *aml_model_member_features(const aml_model *model, size_t i);
/* The pipeline in words (preparation, features kept, members and weights). */
const char *aml_model_describe(const aml_model *model);

/* Predicts rows `rows` (n of them; NULL = all rows of the frame) of `frame`
 * (raw columns as at training, found by name; the target may be absent;
 * extra columns are ignored; a column read with another type than at
 * training — integers for categories, text for numbers — is retyped to the
 * training type, values that do not parse count as missing; unseen
 * categories and missing values are encoded as at training).  `out` is the caller's array of n * aml_model_pred_width values:
 * binary P(class 1), multiclass probabilities row-major, regression values.
 * Returns 0, AML_EINVAL (a missing or unreadable column, named in err),
 * AML_ENOMEM. */
int aml_model_predict(const aml_model *model, const aml_frame *frame, const size_t *rows,
                      size_t n, float *out, aml_error *err);
/* The columns the model reads from a frame (names borrowed from the model;
 * the array is the caller's, aml_free): a frame for aml_model_predict needs
 * these, other columns are ignored.  Returns 0 or AML_ENOMEM. */
int aml_model_required_columns(const aml_model *model, const char ***names, size_t *n);
/* Checks that `frame` has every column the model reads and, when some was
 * read with another type than at training (integers for categories, text
 * for numbers), makes a copy of those columns retyped to the training types.
 * aml_model_predict does this on each call; a caller predicting a large
 * frame in chunks does it once.  OUT: *copy (aml_frame_free), NULL when
 * `frame` fits as it is.  Returns 0, AML_EINVAL (a missing column, named in
 * err->source and err->text), AML_ENOMEM. */
int aml_model_conform(const aml_model *model, const aml_frame *frame, aml_frame **copy,
                      aml_error *err);
/* Class index per row (argmax; binary: P >= 0.5) from predictions as above.
 * `labels` has n entries.  Regression models: AML_EINVAL. */
int aml_model_predict_labels(const aml_model *model, const float *pred, size_t n,
                             size_t *labels, aml_error *err);

/* Serialise to bytes (aml_free) and back: the model file format of
 * docs/model-format.md.  The bytes carry a magic ("AMLM"), a format version
 * and a CRC32 of the content.  Model files are untrusted input: a damaged,
 * truncated, empty or foreign buffer is AML_EPARSE with a one-line reason
 * (never a crash, never an allocation larger than the buffer allows); a
 * newer format version is AML_EUNSUPPORTED.  Older versions (1, 2) load
 * (without training info).  A loaded model predicts bit-for-bit like the
 * saved one. */
int aml_model_save(const aml_model *model, unsigned char **bytes, size_t *len, aml_error *err);
int aml_model_load(const unsigned char *bytes, size_t len, aml_model **out, aml_error *err);
/* As aml_model_save, with the keys of the JSON object `extra_info` (may be
 * NULL) added to (or replacing those of) the training info in the saved
 * bytes only; the model is unchanged.  AML_EPARSE / AML_EINVAL when
 * extra_info is not a JSON object. */
int aml_model_save_ex(const aml_model *model, const char *extra_info, unsigned char **bytes,
                      size_t *len, aml_error *err);
/* Bytes the model holds in memory, estimated by the size of its serialised
 * parts (the learners' trees, weights or stored rows, the preparation's
 * statistics and dictionaries, the training info) plus what only memory
 * keeps (the preparation's fold assignment of the training rows).  0 for
 * NULL or when it cannot be measured (out of memory).  Thread-safe on a model
 * no one changes; it serialises the model, so it costs as much as a save. */
size_t aml_model_memory_size(const aml_model *model);
/* The format version aml_model_save writes (and the newest it reads). */
uint32_t aml_model_format_version(void);

/* Training info: one JSON object, as compact text (borrowed; "{}" when the
 * model has none, e.g. loaded from a version-2 file).  A model from
 * aml_search_run carries: metric, validation_score, validation_std (null
 * for an ensemble), test_score (null without a test split), target, task,
 * rows, test_rows, strategy, budget_seconds, seconds, trials,
 * trials_failed, stop_reason, seed, created (UTC, ISO 8601),
 * engine_version; %save adds dataset and source.  Unknown keys are kept. */
const char *aml_model_info(const aml_model *model);
/* Replaces the training info with the JSON object `json` (NULL or "" clears
 * it).  Returns 0, AML_EPARSE (not JSON), AML_EINVAL (not an object),
 * AML_ENOMEM. */
int aml_model_set_info(aml_model *model, const char *json, aml_error *err);

/* ---- the search ---- */

typedef enum aml_trial_status {
    AML_TRIAL_OK = 0,
    AML_TRIAL_FAILED,       /* the fit failed; `error` says why */
    AML_TRIAL_CANCELED      /* stopped by the deadline or the cancel flag */
} aml_trial_status;

/* One evaluated configuration. */
typedef struct aml_trial_info {
    size_t id;                /* 1-based, in order of launch */
    const char *kind;         /* learner kind */
    const char *params;       /* key hyper-parameters as text */
    double fidelity;          /* share of the full effort, (0, 1] */
    aml_trial_status status;
    const char *error;        /* reason when not OK, else "" */
    double score;             /* mean validation score over folds (the metric's
                                 own direction), NAN unless OK */
    double score_std;         /* std over folds (0 for a holdout) */
    double fit_seconds;       /* total over folds */
    double predict_seconds;   /* total over folds */
    double finished_at;       /* seconds since the start of the run */
    size_t n_iterations;      /* best boosting rounds / epochs, or 0 */
    bool resumed;             /* read back from the journal of an earlier run */
} aml_trial_info;

typedef enum aml_search_event_kind {
    AML_SEARCH_EVENT_PROGRESS = 0,  /* periodic (at least twice a second) */
    AML_SEARCH_EVENT_TRIAL,         /* a trial finished: `trial` is set */
    AML_SEARCH_EVENT_PHASE,         /* the phase changed */
    AML_SEARCH_EVENT_DONE           /* the last event of a run */
} aml_search_event_kind;

/* What the live display shows.  Every pointer is borrowed for the duration of
 * the callback only. */
typedef struct aml_search_event {
    aml_search_event_kind kind;
    double elapsed_seconds;
    double budget_seconds;
    size_t trials_done;       /* finished, OK or not */
    size_t trials_failed;
    aml_metric metric;        /* resolved */
    aml_task task;
    double best_score;        /* NAN before the first OK trial */
    size_t n_top;             /* up to 5 */
    const aml_trial_info *top;   /* best first */
    const char *phase;        /* "preparing data", "portfolio", "successive halving",
                                 "refinement", "ensemble", "final refit", "done", ... */
    const aml_trial_info *trial; /* AML_SEARCH_EVENT_TRIAL: the finished trial */
} aml_search_event;

typedef void (*aml_search_event_fn)(const aml_search_event *ev, void *user);

typedef struct aml_search_options {
    const char *target;            /* target column (required) */
    const char *task;              /* NULL/"auto": detected from the target (categorical
                                      or boolean: classification; numbers: regression);
                                      "binary", "multiclass", "regression" to override
                                      (a numeric target read as classes) */
    double budget_seconds;         /* wall clock for the whole run, including the final
                                      refit (default 60); honoured within 5 % */
    size_t max_trials;             /* stop after this many trials (0 = no limit) */
    aml_metric metric;             /* default AUTO */
    const char *strategy;          /* "auto" (default) or a registered strategy name:
                                      grid, random, bayes, evolution, hyperband, rl */
    const char *const *models;     /* learner kinds, or NULL = every kind that supports
                                      the task; n_models of them */
    size_t n_models;
    int cv_folds;                  /* 0 = auto from rows and budget; 1 = holdout;
                                      >= 2: K-fold (stratified for classification) */
    double holdout;                /* validation share for a holdout (0 = auto: 0.2) */
    double test_fraction;          /* held-out test split (default 0.10, stratified for
                                      classification; 0 = none); never seen by the search */
    uint64_t seed;                 /* default 42 */
    bool features;                 /* feature engineering as a search choice (default
                                      true; on when the feature step, engine/features*.c,
                                      is built in) */
    bool ensemble;                 /* greedy ensemble selection at the end (default true) */
    bool leak_check;               /* exclude single columns that predict the target
                                      almost perfectly (default true) */
    bool class_weights;            /* balance classes through class weights when the
                                      minority class is rare (default true) */
    const char *const *exclude;    /* columns left out; n_exclude of them */
    size_t n_exclude;
    const char *weight;            /* per-row weight column, or NULL */
    int threads;                   /* 0 = all cores; 1 makes the run reproducible */
    size_t max_memory;             /* bytes the search may hold (0 = the memory available
                                      when it starts); estimated before anything large is
                                      allocated: an automatic cv falls back to a holdout,
                                      and a search that still cannot fit fails with
                                      AML_ENOMEM saying how much it needs */
    const char *journal_dir;       /* directory of journal.jsonl and run.json (created
                                      if missing), or NULL for no journal */
    bool resume;                   /* continue the run journaled in journal_dir: finished
                                      trials are not repeated */
    const volatile int *cancel;    /* nonzero: stop within 1 s, keep the best so far */
    aml_search_event_fn on_event;  /* called from the calling thread, or NULL */
    void *user;
    double event_interval;         /* seconds between PROGRESS events (default 0.5) */
} aml_search_options;

aml_search_options aml_search_options_default(void);

typedef enum aml_stop_reason {
    AML_STOP_CONVERGED = 0,   /* the strategy ran out of promising configurations */
    AML_STOP_BUDGET,          /* the time budget was reached */
    AML_STOP_INTERRUPTED,     /* the cancel flag was set */
    AML_STOP_MAX_TRIALS       /* max_trials reached */
} aml_stop_reason;

/* "converged", "budget reached", "interrupted", "trial limit reached". */
const char *aml_stop_reason_name(aml_stop_reason reason);

/* The result of a search. */
typedef struct aml_run aml_run;

/* Runs the AutoML search on `frame` (read only; must outlive the call only).
 * Reproducibility: with the same data, options, seed and threads = 1, the
 * sequence of trials (kinds, parameters, scores) is identical; only where
 * the search stops depends on time (budget), so use max_trials to compare
 * runs exactly.
 * OUT: *out (aml_run_free).  Returns 0 — also when interrupted or out of
 * time after at least one trial finished (see aml_run_stop_reason) —,
 * AML_EINVAL (bad option, no such target or column, a metric that does not
 * fit the task, a journal of another data set or options), AML_ECANCELED
 * (interrupted before any trial finished), AML_EIO (journal), AML_ENOMEM. */
int aml_search_run(const aml_frame *frame, const aml_search_options *opts, aml_run **out,
                   aml_error *err);
void aml_run_free(aml_run *run);   /* accepts NULL; frees the models it still owns */

aml_task aml_run_task(const aml_run *run);
aml_metric aml_run_metric(const aml_run *run);      /* resolved */
aml_stop_reason aml_run_stop_reason(const aml_run *run);
size_t aml_run_trials_done(const aml_run *run);     /* finished in this run + resumed */
size_t aml_run_trials_failed(const aml_run *run);
double aml_run_seconds(const aml_run *run);         /* wall time of the run */

/* Every trial, in launch order (resumed ones first). */
size_t aml_run_n_trials(const aml_run *run);
const aml_trial_info *aml_run_trial(const aml_run *run, size_t i);
/* The leaderboard: OK trials at full fidelity (or the highest fidelity
 * reached for a configuration), best first; rank = i + 1. */
size_t aml_run_leaderboard_size(const aml_run *run);
const aml_trial_info *aml_run_leaderboard(const aml_run *run, size_t i);

/* The models (borrowed; NULL when there is none): the best single model
 * refitted on all non-test rows, the ensemble, and the chosen one (the
 * ensemble when it validates better, else the best single model). */
const aml_model *aml_run_best_model(const aml_run *run);
const aml_model *aml_run_ensemble(const aml_run *run);
const aml_model *aml_run_model(const aml_run *run);
/* Takes the chosen model out of the run (the caller frees it; the run's
 * accessors then return NULL for it).  NULL when there is none. */
aml_model *aml_run_take_model(aml_run *run);

/* Validation score of the chosen model (ensemble: on out-of-fold
 * predictions), and its score on the held-out test split (NAN without one). */
double aml_run_validation_score(const aml_run *run);
double aml_run_test_score(const aml_run *run);
/* Rows of the frame in the held-out test split, ascending (for %evaluate). */
const size_t *aml_run_test_rows(const aml_run *run, size_t *n);

/* The chosen pipeline in words. */
const char *aml_run_pipeline(const aml_run *run);
/* Notes for the user (excluded columns, leaks, imbalance, splits, ...). */
size_t aml_run_n_notes(const aml_run *run);
const char *aml_run_note(const aml_run *run, size_t i);
/* Bytes the run holds in memory: its models (aml_model_memory_size), the
 * trial records, the leaderboard, notes, curve and test rows.  0 for NULL. */
size_t aml_run_memory_size(const aml_run *run);
/* Best validation score over time: point i (seconds since start, score);
 * one point per improvement. */
size_t aml_run_curve_size(const aml_run *run);
void aml_run_curve_point(const aml_run *run, size_t i, double *seconds, double *score);

#ifdef __cplusplus
}
#endif
#endif
