/*
 * aml_evaluate.h — evaluating a model's predictions against the truth
 * (%evaluate; libaml subsystem, included by aml.h).  Knows nothing about
 * Jupyter.
 *
 * Data flow:  model + frame rows --aml_evaluate_truth--> truth per row (and
 * which rows cannot be scored) ; aml_model_predict --> prediction matrix ;
 * both --aml_evaluate--> aml_evaluation (metrics, matrices, curves, tables)
 * --> charts (aml_eval_plot_*) and a CSV of the rows (aml_evaluation_write_csv).
 *
 * Classification metrics follow scikit-learn's definitions (zero_division = 0)
 * so a user can check them: accuracy, balanced accuracy (mean recall over the
 * classes present in the truth), log loss, ROC AUC (binary; multiclass:
 * macro one-vs-rest over the classes present), average precision (AUC PR),
 * precision / recall / F1 per class and their macro, micro and
 * support-weighted averages, the confusion matrix.  Regression: RMSE, MAE,
 * R², MAPE (rows whose true value is 0 left out).
 *
 * Decisions: binary rows are predicted positive (class 1) when
 * P(class 1) >= threshold; multiclass rows take the most probable class (the
 * threshold does not apply).  Metrics that depend on the decision (accuracy,
 * balanced accuracy, precision, recall, F1, the confusion matrix) use it; log
 * loss, AUC ROC, AUC PR, the curves and the calibration do not.
 *
 * Common rules: functions return 0 or a negative AML_E* code and fill `err`
 * (may be NULL).  An aml_evaluation is read-only after aml_evaluate and may
 * be read from several threads; every array in it belongs to it.
 */
#ifndef AML_EVALUATE_H
#define AML_EVALUATE_H
#include "aml_base.h"
#include "aml_plot.h"
#include "aml_data.h"
#include "aml_learn.h"
#include "aml_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the truth ---- */

typedef enum aml_eval_row_state {
    AML_EVAL_ROW_OK = 0,
    AML_EVAL_ROW_MISSING,   /* the target cell is missing (or not readable) */
    AML_EVAL_ROW_UNSEEN     /* a class the model never saw in training */
} aml_eval_row_state;

/* The true value of rows `rows` (n of them; NULL = every row of the frame,
 * n ignored) of `frame` as the model encodes its target: class index, or
 * value (regression).  OUT: truth[i] (NAN unless state[i] is
 * AML_EVAL_ROW_OK), state[i] (one aml_eval_row_state per row); the caller's
 * arrays, one entry per row read.
 * Returns 0, AML_ENOENT (the frame has no column named as the model's
 * target; err->source names it), AML_EINVAL (the column's type cannot hold
 * the target: text for a regression model, numbers for a classifier),
 * AML_ENOMEM.  Thread-safe. */
int aml_evaluate_truth(const aml_model *model, const aml_frame *frame, const size_t *rows,
                       size_t n, float *truth, unsigned char *state, aml_error *err);

/* ---- the evaluation ---- */

typedef struct aml_eval_options {
    double threshold;           /* binary decisions, in (0, 1); default 0.5 */
    size_t max_curve_points;    /* ROC/PR points kept per curve (>= 4; default 200) */
    size_t calibration_bins;    /* equal-width bins over [0, 1] (default 10) */
} aml_eval_options;

aml_eval_options aml_eval_options_default(void);

/* One ROC or precision-recall curve: one class against the others (binary:
 * the positive class).  Point i is the decision "score >= threshold[i]";
 * threshold[0] is +INFINITY (nothing predicted positive).  Thresholds
 * decrease along the curve; tp/fp are the counts at each threshold, so that
 * fn = positives - tp and tn = negatives - fp rebuild the confusion matrix
 * there.  Long curves are thinned to at most max_curve_points points evenly
 * along their length, first and last kept (the areas are computed on every
 * point, before thinning).  PR: x is recall, y precision (1 at threshold[0]). */
typedef struct aml_eval_curve {
    size_t n;
    double *x, *y;              /* ROC: false / true positive rate; PR: recall, precision */
    double *threshold;
    size_t *tp, *fp;
    size_t positives, negatives;
    double area;                /* ROC AUC or average precision; NAN without both classes */
} aml_eval_curve;

/* Per class (binary too: class 0 and class 1). */
typedef struct aml_eval_class {
    double precision, recall, f1;
    size_t support;             /* rows of this class in the truth */
    size_t predicted;           /* rows predicted as this class */
    double auc_roc, auc_pr;     /* one-vs-rest; NAN when the class or the rest is absent */
} aml_eval_class;

typedef struct aml_eval_average {
    double precision, recall, f1;
} aml_eval_average;

/* Binary decisions at one threshold (positive class 1). */
typedef struct aml_eval_threshold_row {
    double threshold;
    double precision, recall, f1, accuracy;
    size_t tp, fp, fn, tn;
} aml_eval_threshold_row;

/* A calibration bin over (lo, hi] (the first bin includes 0): binary the
 * predicted P(class 1) against the observed share of class 1; multiclass the
 * top-1 probability against the share of rows whose top class is right.
 * mean_predicted and observed are NAN for an empty bin. */
typedef struct aml_eval_bin {
    double lo, hi, mean_predicted, observed;
    size_t count;
} aml_eval_bin;

#define AML_EVAL_NOTE_LEN 200

typedef struct aml_evaluation {
    aml_task task;
    size_t n;                   /* rows evaluated */
    size_t n_classes;           /* 2 for binary, k for multiclass, 0 for regression */
    double threshold;           /* binary: the decision threshold used; else NAN */

    /* ---- classification (NAN for regression) ---- */
    double accuracy, balanced_accuracy, log_loss;
    double auc_roc, auc_pr;     /* binary: positive class; multiclass: macro one-vs-rest */
    char auc_note[AML_EVAL_NOTE_LEN];   /* why auc_roc/auc_pr are NAN or partial, or "" */
    /* binary: precision/recall/F1 of class 1; multiclass: macro averages */
    double precision, recall, f1;
    /* multiclass top-1 (Google AutoML): share of top-1 predictions that are
     * right / share of rows whose class is the top-1 prediction (both equal
     * the accuracy for single-label data); NAN for binary */
    double precision_at_1, recall_at_1;
    aml_eval_class *classes;    /* n_classes */
    aml_eval_average macro, micro, weighted;
    size_t *confusion;          /* n_classes * n_classes: [actual * k + predicted] */
    size_t *predicted;          /* n: predicted class per row */
    /* curves: binary one (class 1), multiclass one per class (one-vs-rest) */
    size_t n_curves;
    aml_eval_curve *roc, *pr;
    /* binary only (else n_thresholds = 0): thresholds 0.1, ..., 0.9, the
     * threshold that maximises F1 over every distinct score (the highest
     * such), and a fine grid 0.01..0.99 for interactive use */
    size_t n_thresholds;
    aml_eval_threshold_row *thresholds;
    aml_eval_threshold_row best_f1;
    size_t n_grid;
    aml_eval_threshold_row *grid;
    size_t n_bins;
    aml_eval_bin *calibration;

    /* ---- regression (NAN for classification) ---- */
    double rmse, mae, r2, mape;
    size_t mape_excluded;       /* rows with a true value of 0, left out of MAPE */
    char r2_note[AML_EVAL_NOTE_LEN];    /* why r2 is NAN, or "" */
    double *residual;           /* n: actual - predicted */

    /* ---- the rows (copies) ---- */
    float *truth;               /* n */
    float *pred;                /* n * width (width = n_classes for multiclass, else 1) */
} aml_evaluation;

/* Evaluates predictions `pred` (n rows, as aml_model_predict gives them:
 * binary P(class 1), multiclass n * n_classes probabilities row-major,
 * regression values) against `truth` (class index or value per row, no NAN).
 * `n_classes` is the model's (2 for binary; ignored for regression).
 * `opts` may be NULL (defaults).  OUT: *out (aml_evaluation_free).
 * Returns 0, AML_EEMPTY (n = 0), AML_EINVAL (a NAN or out-of-range truth, a
 * NAN prediction, a threshold outside (0, 1), fewer than 2 classes),
 * AML_ENOMEM.  Metrics that are undefined on these rows (AUC with one
 * class present, R² of a constant truth) are NAN with the reason in
 * auc_note / r2_note.  Thread-safe. */
int aml_evaluate(aml_task task, size_t n_classes, const float *truth, const float *pred,
                 size_t n, const aml_eval_options *opts, aml_evaluation **out,
                 aml_error *err);
void aml_evaluation_free(aml_evaluation *ev);   /* accepts NULL */

/* Writes the evaluated rows as CSV to `path`: columns row, actual,
 * predicted, then p_<class> per class (classification) or residual
 * (regression; actual - predicted).  `row_ids` (n entries, or NULL for 0..n-1)
 * are written in the row column; `class_names` has n_classes names
 * (classification; NULL = "0", "1", ...).  Numbers are written so that they
 * read back exactly as the float32 the engine used; text is quoted as
 * RFC 4180 says.  Atomic: the file is written under a temporary name in the
 * same folder, flushed to disk (fsync) and renamed over `path`; on any
 * failure no file is left behind and `path` is untouched.
 * Returns 0, AML_EIO (err->text says why: the folder does not exist, no
 * permission, disk full, ...), AML_ENOMEM. */
int aml_evaluation_write_csv(const aml_evaluation *ev, const char *path,
                             const size_t *row_ids, const char *const *class_names,
                             aml_error *err);

/* ---- charts (PNG; the rules of aml_plot.h apply) ---- */

/* Calibration: mean predicted probability against the observed frequency
 * per non-empty bin, with the dashed diagonal of a perfectly calibrated
 * model.  Classification only (AML_EINVAL otherwise, AML_EEMPTY without a
 * non-empty bin). */
int aml_eval_plot_calibration(const aml_plot_opts *opts, const aml_evaluation *ev,
                              aml_plot_image **out, aml_error *err);
/* ROC (pr false) or precision-recall (pr true) curves as the evaluation
 * holds them: binary the positive class with the dashed chance line and a
 * dot at the decision threshold in use; multiclass one curve per class
 * present, one-vs-rest (at most 8, in class order).  `class_names` (n_classes,
 * or NULL) name the legend entries, with each curve's AUC or AP.  AML_EINVAL
 * for regression, AML_EEMPTY when no class has a curve. */
int aml_eval_plot_curves(const aml_plot_opts *opts, const aml_evaluation *ev, bool pr,
                         const char *const *class_names, aml_plot_image **out,
                         aml_error *err);
/* Regression: predicted against actual values (the dashed line y = x is a
 * perfect model), and residuals (actual - predicted) against predicted
 * values (dashed zero line).  At most 20,000 points are drawn, evenly
 * spaced over the rows.  AML_EINVAL for classification. */
int aml_eval_plot_predicted_actual(const aml_plot_opts *opts, const aml_evaluation *ev,
                                   aml_plot_image **out, aml_error *err);
int aml_eval_plot_residuals(const aml_plot_opts *opts, const aml_evaluation *ev,
                            aml_plot_image **out, aml_error *err);

/* ---- image models (evaluate_images.c) ---- */

/* The true class of images rows[0..n) (NULL: all images) of `images` as the
 * image model `model` numbers its classes: matched by class name, so a set
 * whose classes come in another order is scored right.  state[i] is
 * AML_EVAL_ROW_OK, or AML_EVAL_ROW_UNSEEN for a class the model never saw
 * (truth NAN).  Returns 0, AML_EINVAL (a table model, or images of another
 * shape than the model's: both shapes said), AML_ENOMEM. */
int aml_evaluate_images_truth(const aml_model *model, const aml_images *images,
                              const size_t *rows, size_t n, float *truth, unsigned char *state,
                              aml_error *err);
/* The most confident mistakes of a classification: the evaluated rows (0 ..
 * ev->n - 1) whose decision is not the true class, by the probability of the
 * predicted class, highest first (ties: the earlier row).  Fills idx (the
 * caller's array of `max`); returns how many (0 for regression). */
size_t aml_eval_mistakes(const aml_evaluation *ev, size_t *idx, size_t max);
/* A gallery of the (up to `max`, at most 16) most confident mistakes: one
 * grid of the images (ev row i is image rows[i] of `images`), 4 to a row,
 * each captioned "true → predicted (p)" with the class names (n_classes
 * names, or NULL: "0", "1", ...).  AML_EEMPTY when there is no mistake,
 * AML_EINVAL for regression or a missing argument. */
int aml_eval_plot_mistakes(const aml_plot_opts *opts, const aml_evaluation *ev,
                           const aml_images *images, const size_t *rows,
                           const char *const *class_names, size_t max, aml_plot_image **out,
                           aml_error *err);

#ifdef __cplusplus
}
#endif
#endif
