/*
 * aml_explain.h — what a fitted model relies on (%explain; libaml
 * subsystem, included by aml.h).
 *
 * Data flow:  aml_model + frame rows --aml_explain_run--> aml_explanation:
 *  - permutation importance of every input column: the column's values are
 *    shuffled among the rows (a seeded shuffle per column and repeat), the
 *    model predicts again, and the drop of its metric (aml_model_metric) is
 *    the column's importance, averaged over repeats (mean and sample std);
 *  - SHAP contributions (TreeSHAP, exact) of the tree members ("xgb",
 *    "rf"), mapped from prepared features back to input columns (one-hot
 *    levels, missing indicators, date parts and target encodings add up to
 *    their column; engineered features of a members' feature step are one
 *    group, "(engineered features)"), weighted by member weight over the tree
 *    members.  Units: log-odds (binary, class 1), the class margin before
 *    the softmax (multiclass: toward each row's predicted class), the
 *    target's units (regression);
 *  - partial dependence of the most important columns: the mean prediction
 *    over the rows with the column set to each grid value (numbers: every
 *    value when there are at most pdp_grid, else pdp_grid quantiles from the
 *    5th to the 95th percentile; categories: the pdp_grid most frequent
 *    levels);
 *  - optionally one row's contributions from a base value to its prediction:
 *    SHAP when every weighted member is a tree model, else a model-agnostic
 *    replacement: starting from a typical row (medians, most frequent
 *    levels) the row's own values are put in one column at a time, most
 *    important first, and each step's change of the prediction is that
 *    column's contribution (they add up to prediction - base exactly).
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL).  The explanation owns every string and array its accessors
 * return; they live as long as it does.  Objects are not thread-safe; the
 * model and frame are only read.
 */
#ifndef AML_EXPLAIN_H
#define AML_EXPLAIN_H
#include "aml_base.h"
#include "aml_data.h"
#include "aml_model.h"
#include "aml_plot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called between chunks of work (at least every ~100 ms): the share done
 * (0..1) and what is being done ("permutation importance: age"). */
typedef void (*aml_explain_progress_fn)(double fraction, const char *what, void *user);

typedef struct aml_explain_options {
    size_t max_rows;        /* rows explained: a deterministic sample (seed) of
                               at most this many of the given rows (default 2000) */
    size_t repeats;         /* shuffles per column (default 5, at least 1) */
    size_t pdp_features;    /* columns with partial dependence (default 3) */
    size_t pdp_grid;        /* grid values or levels per column (default 20) */
    size_t pdp_rows;        /* rows averaged per grid value (default 500) */
    double budget_seconds;  /* rough time for the whole (default 30; 0: no limit):
                               half for the importance, a quarter each for
                               partial dependence and SHAP.  When predictions
                               are slow: fewer repeats (down to 2), then fewer
                               rows (down to 200), fewer partial-dependence rows
                               (down to 50), a smaller SHAP subset (down to 100
                               rows) — each said in a note; results then depend
                               on the speed */
    bool shap;              /* compute SHAP contributions where possible (default true) */
    size_t shap_rows;       /* rows of the SHAP summary: a random subset of at most
                               this many (default 1000; 0: all), fewer past
                               budget_seconds / 4 */
    long row;               /* a frame row to explain on its own, or -1 (default) */
    uint64_t seed;          /* sampling and shuffles (default 42) */
    const volatile int *cancel;        /* nonzero: stop within ~1 s with AML_ECANCELED */
    aml_explain_progress_fn progress;  /* may be NULL */
    void *user;
} aml_explain_options;

aml_explain_options aml_explain_options_default(void);

typedef struct aml_explanation aml_explanation;

/* Explains `model` on rows `rows` (n of them; NULL = every row) of `frame`,
 * which must hold the model's input columns and its target (rows whose
 * target is missing or a class the model does not know are left out).
 * OUT: *out (aml_explanation_free).  Returns 0, AML_EINVAL (a missing input
 * or target column, a row out of range, too few labelled rows or a single
 * class — err says which), AML_ECANCELED (the cancel flag), AML_ENOMEM, or
 * a prediction's error. */
int aml_explain_run(const aml_model *model, const aml_frame *frame, const size_t *rows,
                    size_t n, const aml_explain_options *opts, aml_explanation **out,
                    aml_error *err);
void aml_explanation_free(aml_explanation *e);   /* accepts NULL */

aml_task aml_explanation_task(const aml_explanation *e);
aml_metric aml_explanation_metric(const aml_explanation *e);   /* resolved */
/* The model's score on the rows explained (before any shuffle). */
double aml_explanation_score(const aml_explanation *e);
size_t aml_explanation_rows_given(const aml_explanation *e);   /* rows handed in */
size_t aml_explanation_rows_used(const aml_explanation *e);    /* after sampling and
                                                                  dropping unlabelled rows */
/* Notes for the user (sampling, what SHAP covers, units, ...). */
size_t aml_explanation_n_notes(const aml_explanation *e);
const char *aml_explanation_note(const aml_explanation *e, size_t i);

/* Permutation importance, most important first (one per model input). */
typedef struct aml_explain_importance {
    const char *column;
    aml_type type;
    double mean;           /* drop of the metric when the column is shuffled
                              (positive: the model gets worse) */
    double std;            /* sample std over the repeats (0 with one repeat) */
    bool used;             /* false: no member reads it (dropped by the
                              preparation); mean and std are 0 */
} aml_explain_importance;
const aml_explain_importance *aml_explanation_importance(const aml_explanation *e, size_t *n);

/* SHAP summary.  NULL (and *n = 0) when unavailable (no tree member, or
 * opts.shap false); most important first. */
typedef struct aml_explain_shap {
    const char *column;          /* an input column or "(engineered features)" */
    double mean_abs;             /* mean |contribution| (multiclass: toward each
                                    row's predicted class) */
    const double *per_class;     /* multiclass: n_classes means of |contribution|
                                    toward each class; else NULL */
} aml_explain_shap;
const aml_explain_shap *aml_explanation_shap(const aml_explanation *e, size_t *n);
/* What the SHAP part covers: tree members and their share of the ensemble
 * weight (0..1), and the units ("log-odds", ...).  Static or owned strings. */
void aml_explanation_shap_cover(const aml_explanation *e, size_t *tree_members,
                                size_t *members, double *tree_weight, const char **units);

/* Partial dependence, in order of importance. */
typedef struct aml_explain_pdp {
    const char *column;
    aml_type type;
    bool categorical;            /* levels (categorical, boolean), else a numeric grid */
    bool percentiles;            /* numbers: the grid spans the 5th to 95th percentile
                                    (false: it is every value) */
    size_t n;                    /* grid values */
    const double *x;             /* n values (numbers; datetimes in seconds; levels:
                                    0, 1, ...) */
    const char *const *labels;   /* n values as text */
    size_t width;                /* values per point: n_classes (multiclass) or 1 */
    const double *y;             /* n * width mean predictions: P(class 1), class
                                    probabilities, or values */
} aml_explain_pdp;
const aml_explain_pdp *aml_explanation_pdp(const aml_explanation *e, size_t *n);

/* One row's contributions (opts.row), or NULL. */
typedef struct aml_explain_contrib {
    const char *column;
    const char *value;           /* the row's value as text ("" when missing) */
    double contribution;
} aml_explain_contrib;
typedef struct aml_explain_row {
    size_t row;                  /* the frame row */
    bool shap;                   /* true: SHAP; false: the replacement method */
    const char *units;           /* "log-odds", "probability", ... */
    size_t klass;                /* the class explained (multiclass: predicted; binary: 1) */
    double base;                 /* base value (expected margin / typical row's prediction) */
    double prediction;           /* base + the sum of the contributions */
    double model_prediction;     /* the model's own output for the row (P(class),
                                    value) */
    size_t n;
    const aml_explain_contrib *contribs;   /* largest |contribution| first */
} aml_explain_row;
const aml_explain_row *aml_explanation_row(const aml_explanation *e);


/* ---- images: occlusion saliency and the size/score Pareto front ----
 *
 * Saliency by occlusion: a grey patch (the model's channel means, its
 * normalisation's centre) of `patch` x `patch` pixels slides over the image
 * with step `stride`; at each place the model predicts the occluded image,
 * and the drop of the true class's probability (unoccluded minus occluded;
 * negative when hiding the patch helps) is spread over the pixels the patch
 * covered.  Each pixel's saliency is the mean drop of the patches covering
 * it.  No gradients: any image network works. */

/* The default patch side (about a sixth of the longer side, at least 1) and
 * stride (about half the patch, at least 1) for images of h x w. */
void aml_explain_occlusion_defaults(int h, int w, int *patch, int *stride);

/* Saliency of image `index` of `images` (the true class is its label) for an
 * image model.  patch / stride 0: the defaults above.  OUT: map_out (the
 * caller's h * w floats, row-major), *prob_out (may be NULL: the model's
 * probability of the true class on the whole image).  Returns 0, AML_EINVAL
 * (a table model, images of another shape, an index or label out of range,
 * a patch larger than the image — err says which), AML_ECANCELED (cancel,
 * may be NULL, checked between forward passes), AML_ENOMEM. */
int aml_explain_occlusion(const aml_model *model, const aml_images *images, size_t index,
                          int patch, int stride, float *map_out, double *prob_out,
                          const volatile int *cancel, aml_error *err);

/* The image (c planes of h x w bytes, c 1 or 3) as grey under its saliency
 * map in a colour map (dark red to yellow, transparent at 0): RGB planes
 * (NCHW, the caller's 3 * h * w bytes).  `scale` is the saliency shown at
 * full colour (<= 0: the map's largest value); drops <= 0 are not coloured. */
void aml_explain_saliency_overlay(const uint8_t *image, int c, int h, int w, const float *map,
                                  double scale, uint8_t *rgb_out);

/* The Pareto front of trials by size (fewer weights better) and score
 * (higher better when `higher_better`): on_front[i] (the caller's n bools)
 * is true for each trial no other trial dominates (at least as good on both,
 * better on one; of equal trials the first is kept).  NaN scores and
 * non-positive sizes are never on it.  Returns how many are. */
size_t aml_explain_pareto_front(const double *size, const double *score, size_t n,
                                bool higher_better, bool *on_front);

/* A chart of every trial's score against its size (log x axis, weights) with
 * the Pareto front as a step line and its points highlighted; `opts` gives
 * the title and axis titles (NULL: defaults).  Trials without a positive size
 * or with a NaN score are left out.  Returns 0, AML_EEMPTY (no trial left),
 * AML_ENOMEM, or the plot layer's error. */
int aml_explain_pareto_plot(const aml_plot_opts *opts, const double *size, const double *score,
                            size_t n, bool higher_better, aml_plot_image **out, aml_error *err);

#ifdef __cplusplus
}
#endif
#endif
