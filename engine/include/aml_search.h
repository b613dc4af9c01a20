/*
 * aml_search.h — the search subsystem: the AutoML search (%train) and its
 * result (aml_run), which holds the model bundles of aml_model.h.
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
#include "aml_base.h"
#include "aml_data.h"
#include "aml_prep.h"
#include "aml_features.h"
#include "aml_learn.h"
#include "aml_model.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    double size;              /* image networks: trainable weights (0 for tables) */
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
    /* images only (aml_image_search_run) */
    int flip;                      /* horizontal flips: -1 auto (a search choice when the
                                      classes look mirror-symmetric; default), 0 never,
                                      1 a search choice */
    const char *warm_start;        /* journal_dir of an earlier image run: its best
                                      architectures are tried first, or NULL */
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

/* ---- image classification: neural architecture search ---- */

/* Searches network architectures and their training recipes for the
 * labelled `images` (read only; must outlive the call only) and trains the
 * best one to the end of the budget.  The test split is the images marked
 * TEST (else a stratified opts->test_fraction), the validation split those
 * marked VALIDATION (else a stratified share of the rest).  Trials train on
 * a subset for a few epochs (low fidelity) in the first part of the budget;
 * the chosen network is then trained on every non-test image until the
 * budget ends.  Options used: budget_seconds, max_trials, strategy (auto,
 * random, grid, bayes, evolution, hyperband, rl), metric (AUTO: accuracy),
 * test_fraction, holdout, seed, threads, journal_dir, cancel, on_event,
 * event_interval, flip, warm_start; the table options are ignored.  The
 * run's model is an image model (aml_model_is_image); aml_run_test_rows
 * gives image indices.  Returns as aml_search_run. */
int aml_image_search_run(const aml_images *images, const aml_search_options *opts, aml_run **out,
                         aml_error *err);

#ifdef __cplusplus
}
#endif
#endif
