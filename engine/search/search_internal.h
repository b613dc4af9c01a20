/*
 * search_internal.h — the search subsystem's own declarations, included by
 * engine/search/ only.  Its sections: the strategy interface, the strategies'
 * shared helpers, what the search's files share, the run record, and the
 * state of one run.
 */
#ifndef AML_SEARCH_INTERNAL_H
#define AML_SEARCH_INTERNAL_H

#include "aml_search.h"
#include "aml_nn.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ==== the interface every search strategy implements (internal to
 * the search subsystem; the driver in search.c uses it).
 *
 * A strategy proposes configurations (a learner kind, its hyper-parameters and
 * a fidelity) and learns from their results.  It never fits anything itself:
 * the driver evaluates each configuration it is asked for and tells the
 * strategy the loss (lower is better) and what it cost.  Strategies are
 * deterministic for a given seed and sequence of results.
 */

/* The joint search space: the learner kinds in play and their spaces (from
 * aml_learner_space). */
typedef struct amlp_space {
    size_t n_kinds;
    const char *const *kinds;
    const aml_param_spec *const *specs;   /* specs[k][0..n_specs[k]) */
    const size_t *n_specs;
} amlp_space;

/* One configuration.  `fidelity` in (0, 1]: the share of the full training
 * effort (boosting rounds, epochs or rows; the driver maps it per kind); 1 is
 * a full evaluation.  `kind` points into the space. */
typedef struct amlp_config {
    const char *kind;
    aml_params params;
    double fidelity;
} amlp_config;

typedef struct amlp_strategy_ops {
    const char *name;   /* "grid", "random", "bayes", "evolution", "hyperband", "rl" */
    /* New strategy state over `space` (borrowed; outlives the state). */
    int (*create)(const amlp_space *space, uint64_t seed, void **state, aml_error *err);
    /* The next configuration to evaluate.  Returns 0, or AML_EEMPTY when the
     * strategy has nothing left to try (an exhausted grid). */
    int (*ask)(void *state, amlp_config *out);
    /* The result of a configuration returned by ask: `loss` (lower is better;
     * INFINITY for a failed fit) and its cost in seconds. */
    void (*tell)(void *state, const amlp_config *cfg, double loss, double cost_seconds);
    void (*destroy)(void *state);
    /* Optional (NULL when the strategy has one objective): the result with a
     * second objective, the configuration's size (a network's weights; lower
     * is better).  A driver that knows the size calls it instead of tell. */
    void (*tell_size)(void *state, const amlp_config *cfg, double loss, double size,
                      double cost_seconds);
} amlp_strategy_ops;

/* The strategies (strategy_*.c), found by name. */
const amlp_strategy_ops *amlp_strategy_find(const char *name);

/* Helpers every strategy uses (engine/search/strategy_space.c): sample a value of a
 * spec uniformly (on the log scale when spec->log), from a seeded generator
 * state; clamp/round a value into the spec's range and type; splitmix64. */
double amlp_space_sample(const aml_param_spec *spec, uint64_t *rng);
double amlp_space_clamp(const aml_param_spec *spec, double v);
uint64_t amlp_split_next(uint64_t *state);    /* splitmix64 */
double amlp_rng_unit(uint64_t *state);        /* uniform in [0, 1) */

/* ==== helpers shared by the search strategies
 * (strategy_*.c): points of the joint space, the unit scale, spec
 * conditions, a set of configuration hashes, and the strategies' ops tables.
 *
 * A point is a learner kind (its index in the space) and a value for every
 * dimension of that kind, in the spec's natural units (CHOICE: the index).
 * Dimensions whose condition does not hold are carried along but never
 * reach a configuration and never count in its hash.
 *
 * The unit scale maps a numeric dimension to [0, 1], linearly or on the log
 * scale (spec->log with lo > 0); models (TPE, mutation, grids, bins) work on
 * it.
 */

extern const amlp_strategy_ops amlp_strategy_grid;
extern const amlp_strategy_ops amlp_strategy_random;
extern const amlp_strategy_ops amlp_strategy_bayes;
extern const amlp_strategy_ops amlp_strategy_evolution;
extern const amlp_strategy_ops amlp_strategy_hyperband;
extern const amlp_strategy_ops amlp_strategy_rl;

typedef struct amlp_point {
    size_t kind;
    double v[AML_PARAMS_MAX];
} amlp_point;

/* ---- random numbers ---- */
/* splitmix64 (strategy.h's amlp_rng_next; that name is taken in the library
 * by nn_rng.c's xoshiro256** with an amlp_rng * argument). */
uint64_t amlp_split_next(uint64_t *state);
double amlp_split_normal(uint64_t *rng);                 /* standard normal */
size_t amlp_split_index(uint64_t *rng, size_t n);        /* uniform in [0, n), n > 0 */

/* ---- specs ---- */
size_t amlp_spec_n_choices(const aml_param_spec *spec);   /* CHOICE; 1 at least */
/* The i-th choice's name into buf (cap bytes, NUL-terminated). */
void amlp_spec_choice_name(const aml_param_spec *spec, size_t i, char *buf, size_t cap);
bool amlp_spec_is_numeric(const aml_param_spec *spec);    /* INT or REAL */
double amlp_spec_to_unit(const aml_param_spec *spec, double v);
double amlp_spec_from_unit(const aml_param_spec *spec, double u);  /* clamped */

/* ---- points ---- */
/* 0, or AML_EINVAL (filling err) for a space with no kinds or broken entries. */
int amlp_space_check(const amlp_space *space, aml_error *err);
size_t amlp_space_dims(const amlp_space *space, size_t kind);   /* min(n_specs, MAX) */
/* Index of a kind in the space (pointer or name match), or SIZE_MAX. */
size_t amlp_space_kind_index(const amlp_space *space, const char *kind);
/* True when dimension j of p's kind is active: it has no condition, or the
 * dimension its condition names is active and its value meets it.  A
 * condition is "other=value" (a choice's name, or a number equal to the
 * value) or "other>=number" (the value, a choice's index, at least the
 * number: per-stage dimensions active when "stages>=3"). */
bool amlp_point_active(const amlp_space *space, const amlp_point *p, size_t j);
/* Every dimension of `kind` sampled uniformly (log scale where spec->log). */
void amlp_point_sample(const amlp_space *space, size_t kind, uint64_t *rng, amlp_point *p);
/* Every dimension at its default. */
void amlp_point_default(const amlp_space *space, size_t kind, amlp_point *p);
/* The configuration of p: the active dimensions, in spec order. */
void amlp_point_to_config(const amlp_space *space, const amlp_point *p, double fidelity,
                          amlp_config *out);
/* Back from a configuration (absent dimensions take their default).
 * Returns 0, or AML_EINVAL when the kind is not in the space. */
int amlp_point_from_config(const amlp_space *space, const amlp_config *cfg, amlp_point *p);
/* Hash of the kind and the active values. */
uint64_t amlp_point_hash(const amlp_space *space, const amlp_point *p);

/* ---- a set of 64-bit hashes (open addressing) ---- */
typedef struct amlp_hashset {
    uint64_t *slot;
    size_t cap, n;
} amlp_hashset;

bool amlp_hashset_has(const amlp_hashset *s, uint64_t h);
/* 1 when added, 0 when already there, AML_ENOMEM. */
int amlp_hashset_add(amlp_hashset *s, uint64_t h);
void amlp_hashset_free(amlp_hashset *s);

/* ---- the rl strategy's recurrent controller (strategy_rl_lstm.c) ----
 * A one-layer LSTM emitting a sequence of decisions.  Decision t picks one of
 * `n` actions scored by output units head .. head+n-1 (each decision its own
 * head); its input is the embedding of decision t-1's unit head+action (a
 * start token at t = 0). */
#define AMLP_LSTM_MAX_HIDDEN 64
typedef struct amlp_lstm amlp_lstm;
typedef struct amlp_decision {
    size_t head, n, action;
} amlp_decision;

/* n_outputs: the output units of every head together; max_actions: the
 * largest n; max_steps: the longest sequence; hidden <= AMLP_LSTM_MAX_HIDDEN.
 * Weights U(-0.08, 0.08) from seed.  0, AML_EINVAL or AML_ENOMEM. */
int amlp_lstm_new(size_t n_outputs, size_t max_actions, size_t max_steps, size_t hidden,
                  uint64_t seed, amlp_lstm **out);
void amlp_lstm_free(amlp_lstm *m);
/* Step t, given steps 0..t-1 (computed by earlier calls, with their
 * actions): the probabilities of d[t]'s n actions (valid until the next
 * call), or NULL for a decision out of range. */
const double *amlp_lstm_step(amlp_lstm *m, const amlp_decision *d, size_t t);
/* Steps 0..T-1: OUT the sum of log p(d[t].action) and of the heads'
 * entropies.  0 or AML_EINVAL. */
int amlp_lstm_forward(amlp_lstm *m, const amlp_decision *d, size_t T, double *logp,
                      double *entropy);
/* After amlp_lstm_forward over the same d and T: adds the gradient of
 * adv * logp + beta * entropy (backpropagation through time) to the
 * gradient. */
void amlp_lstm_backward(amlp_lstm *m, const amlp_decision *d, size_t T, double adv,
                        double beta);
/* One Adam step up the gradient (learning rate lr), then zeroes it. */
void amlp_lstm_adam(amlp_lstm *m, double lr);
/* The flat weights (n of them) and their gradient, for checks. */
double *amlp_lstm_weights(amlp_lstm *m, size_t *n);
const double *amlp_lstm_gradient(const amlp_lstm *m);

/* ---- two objectives (strategy_pareto.c) ----
 * The non-dominated points of (loss[i], size[i]), i < n, both lower better:
 * on_front[i] is true when no other point is at least as good on both and
 * better on one (equal points are all on the front).  A NAN or infinite
 * loss (a failed fit) is never on the front nor dominates; a NAN size counts
 * as INFINITY. */
void amlp_pareto_front(const double *loss, const double *size, size_t n, bool *on_front);
/* Whether (la, sa) dominates (lb, sb) (losses through amlp_loss_key, NAN
 * sizes as INFINITY). */
bool amlp_pareto_dominates(double la, double sa, double lb, double sb);

/* A loss for ordering: INFINITY for a failed fit (NAN counts as failed). */
static inline double amlp_loss_key(double loss)
{
    return loss == loss ? loss : __builtin_inf();
}

/* ==== what the search's files share: run info, configurations, the auto
 * strategy's phase, the ensemble and the journal.
 */

/* Sets the training info of the run's models (best single and ensemble) at
 * the end of a search: scores, task, rows, options, trials, stop reason,
 * time (search_info.c).  `rows`: the frame's rows; `seconds`: the run's wall
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
/* Reads the finished trials of the run journaled in dir, changing nothing
 * (another run's, for a warm start).  AML_ENOENT when there is none. */
int amlp_journal_read(const char *dir, amlp_journal_trial **trials, size_t *n, aml_error *err);
/* Appends one trial line and syncs it to disk. */
int amlp_journal_append(amlp_journal *j, const amlp_journal_trial *t, aml_error *err);
void amlp_journal_close(amlp_journal *j);
/* A trial's out-of-fold predictions (n values) in <dir>/oof/<id>.f32, written
 * atomically; read back (amlp_free) or NULL when absent or of another size. */
int amlp_journal_put_oof(amlp_journal *j, size_t id, const float *v, size_t n, aml_error *err);
float *amlp_journal_get_oof(const amlp_journal *j, size_t id, size_t n);
void amlp_journal_trials_free(amlp_journal_trial *t, size_t n);

/* ==== the run record shared by the search driver (search.c) and
 * its accessors (search_run.c).
 */

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

/* ==== the state of one search run shared by the driver
 * (search.c) and the data side (search_data.c).
 */

typedef struct amlp_foldmat {
    aml_prep *prep;
    aml_matrix *Xtr, *Xva;
    float *ytr, *yva, *wtr;
    size_t *tr_pos, *va_pos;   /* positions in the training rows */
    size_t n_tr, n_va;
} amlp_foldmat;

typedef struct amlp_ctx {
    const aml_frame *frame;
    aml_search_options o;
    aml_run *run;
    aml_task task;
    size_t k;
    aml_metric metric;
    size_t *rows;              /* rows with a known target */
    size_t n_rows;
    size_t *train;             /* frame rows of the training part */
    size_t n_train;
    float *y_train, *w_train, *class_w;
    size_t n_folds;
    uint8_t *fold;
    amlp_foldmat *cache[2];
    int nonneg[2];             /* per prep variant: 1 all features >= 0, -1 not, 0 unknown */
    char **exclude;
    size_t n_exclude;
    /* the journal (journal_dir) and the trials read back on resume */
    amlp_journal *journal;
    amlp_journal_trial *jt;
    size_t n_jt;
    uint64_t target_hash;
    /* the feature steps tried on the best trial (opts.features): what each did */
    bool feat_tried;
    char feat_note[1024];
    /* time and control (mu guards the fields below and run->trials) */
    pthread_mutex_t mu;
    double t0;
    double phase_deadline;
    volatile int fit_cancel;
    bool interrupted;
    bool worker_done;
    const char *phase;
    int rc;
    aml_error err;
} amlp_ctx;

int amlp_split(amlp_ctx *c, const float *y_all, size_t n, aml_error *err);
void amlp_cache_free(amlp_ctx *c);
aml_prep_options amlp_prep_variant(const amlp_ctx *c, int variant);
int amlp_kind_variant(const char *kind);
/* Whether a configuration can run on this data at all (multinomial naive
 * Bayes needs non-negative features); one that cannot is never a trial. */
bool amlp_config_applies(amlp_ctx *c, const amlp_config *cfg);
int amlp_fold_get(amlp_ctx *c, int v, size_t f, const amlp_foldmat **out, aml_error *err);
/* Out-of-fold prediction vectors kept in memory for the ensemble (the best
 * ones; the journal keeps them all). */
#define AMLP_KEEP_OOF 24
/* Checks that the search fits in opts.max_memory (or the memory available):
 * estimated from the training rows and a prepared row's size in bytes
 * (width features).  An automatic cv that does not fit becomes a holdout
 * (with a note); otherwise AML_ENOMEM saying what it needs. */
int amlp_memory_plan(amlp_ctx *c, size_t n_train, double row_bytes, size_t width,
                     aml_error *err);
int amlp_leak_check(amlp_ctx *c, const float *y_train, aml_error *err);
int amlp_ctx_exclude(amlp_ctx *c, const char *name);
int amlp_ctx_note(amlp_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/* ---- the run record (search_record.c) ---- */

/* A zeroed slot for the next trial in c->run (the driver fills it, then
 * counts it in r->n_trials under c->mu).  Returns 0 or AML_ENOMEM. */
int amlp_trial_slot(amlp_ctx *c, amlp_trial **out);
/* Appends trial t to c->journal (and its out-of-fold predictions, n_oof
 * values, when it has them); a failed write closes the journal with a note. */
void amlp_trial_journal(amlp_ctx *c, const amlp_trial *t, size_t n_oof);
/* Appends a point (seconds since the start, best score) to the curve. */
int amlp_run_add_curve(aml_run *r, double t, double s);
/* The leaderboard: the OK trials, best first, into r->board. */
int amlp_run_rank(amlp_ctx *c);

/* ---- the watcher (search_watch.c) ---- */

/* Whether score a beats b under the run's metric (anything beats NAN). */
bool amlp_better(const amlp_ctx *c, double a, double b);
/* Enters a phase whose fits stop at `deadline` (aml_now() seconds). */
void amlp_set_phase(amlp_ctx *c, const char *phase, double deadline);
/* Runs worker(arg) on its own thread while this one watches c: every 50 ms
 * it sets c->fit_cancel on interrupt or past c->phase_deadline and sends
 * the events; the worker sets c->worker_done (under c->mu) when it ends and
 * c->rc / c->err on failure.  Returns c->rc (err filled from c->err). */
int amlp_search_watch(amlp_ctx *c, void *(*worker)(void *), void *arg, aml_error *err);

/* ==== the image search (vision*.c) ==== */

/* The "cnn" kind's dimensions fitted to images of h x w (stages bounded so
 * the last stage keeps 3 pixels; flips only when `flip_ok`): copies them
 * into specs (cap entries).  Returns their count. */
size_t amlp_cnn_specs(size_t h, size_t w, bool flip_ok, aml_param_spec *specs, size_t cap);

/* What a configuration trains: the network and its recipe. */
typedef struct amlp_cnn_recipe {
    amlp_nn_arch arch;
    amlp_nn_augment aug;
    amlp_nn_optimizer optimizer;
    double lr, weight_decay, label_smoothing, mixup;
    double warmup_frac;   /* of the training: the schedule's linear warm-up, then cosine */
} amlp_cnn_recipe;

void amlp_cnn_recipe_from(const aml_params *p, size_t h, size_t w, amlp_cnn_recipe *r);
/* The recipe in words: architecture, optimiser, augmentation. */
void amlp_cnn_recipe_text(const amlp_cnn_recipe *r, char *buf, size_t cap);


/* The state of one image search, shared by its setup (vision.c) and its
 * trials and final training (vision_run.c).  The worker owns everything
 * but c's guarded fields. */
typedef struct amlp_vision {
    amlp_ctx c;                 /* options, run record, time, events */
    const aml_images *im;
    size_t ch, h, w, k;         /* image shape and classes */
    float *label;               /* per image: its class */
    size_t *fit, n_fit;         /* training images of the search (shuffled) */
    size_t *val, n_val;         /* validation images */
    size_t *all, n_all;         /* every non-test image (the final training) */
    float mean[3], std[3];      /* per channel, over the training images */
    bool flip_ok;
    aml_param_spec specs[AML_PARAMS_MAX];
    size_t n_specs;
    const char *kinds[1];
    const aml_param_spec *kind_specs[1];
    size_t kind_n_specs[1];
    amlp_space space;
    const amlp_strategy_ops *ops;   /* NULL for enas */
    void *st;
    size_t subset;              /* images a trial trains on */
    size_t val_trial;           /* validation images a trial is scored on */
    size_t trial_epochs;        /* a trial's epochs at fidelity 1 */
    double trial_cap;           /* seconds after which a trial stops and is scored */
    bool single;                /* the budget allows one trial: the default network */
    double rate;                /* training speed: image multiply-adds per second */
    double search_end;          /* aml_now() time the trials stop */
    size_t best;                /* the best trial (SIZE_MAX: none yet) */
    amlp_nn_net *best_net;      /* its network, trained on the subset */
    double best_macs;
    double best_ips;            /* its training images per second (0: unknown) */
    char phase[192];
} amlp_vision;

/* Trials until the search's share of the budget is spent, then the chosen
 * network trained on every non-test image, the test score and the model
 * (vision_run.c).  Sets v->c.rc / v->c.err on failure. */
void amlp_vision_search(amlp_vision *v);
/* The space's default configuration: the first trial of every search. */
void amlp_vision_default(const amlp_vision *v, amlp_config *cfg);
/* Records a finished trial t in its slot; keeps its network as the best
 * so far when it is (then *net becomes NULL).  macs: its forward cost. */
void amlp_vision_record(amlp_vision *v, amlp_trial *slot, amlp_trial *t, amlp_nn_net **net,
                        double macs);
/* strategy=enas: the shared-weight search instead of the trial loop
 * (vision_enas.c); records its best children as trials. */
void amlp_vision_enas(amlp_vision *v);
/* Scores net on images idx[0..n) (labels y) with the run's metric; the
 * predictions (n x pred width) go to pred when it is not NULL. */
int amlp_vision_score(amlp_vision *v, amlp_nn_net *net, const size_t *idx, size_t n,
                      double *score, float *pred);

#endif
