/*
 * evaluate_internal.h — what the evaluate*.c files share (never installed):
 * the curve, threshold and calibration builders evaluate.c calls.
 */
#ifndef AML_EVALUATE_INTERNAL_H
#define AML_EVALUATE_INTERNAL_H

#include "aml_evaluate.h"

/* Score of row i for class c, one-vs-rest: binary P(class 1) for class 1 and
 * 1 - P for class 0; multiclass the class's probability. */
double amlp_eval_score(const aml_evaluation *ev, size_t i, size_t c);

/* ROC and PR curves of class c against the rest, thinned to `max_points`.
 * Fills roc/pr (their arrays are new; freed by amlp_eval_curve_free) and
 * their areas (NAN when class c or the rest is absent: then n = 0).
 * Returns 0 or AML_ENOMEM. */
int amlp_eval_curves(const aml_evaluation *ev, size_t c, size_t max_points,
                     aml_eval_curve *roc, aml_eval_curve *pr, aml_error *err);
void amlp_eval_curve_free(aml_eval_curve *c);

/* Binary: decisions at threshold t (P(class 1) >= t). */
aml_eval_threshold_row amlp_eval_at_threshold(const aml_evaluation *ev, double t);
/* Binary: the table (0.1..0.9), the grid (0.01..0.99) and the F1-optimal
 * threshold.  Returns 0 or AML_ENOMEM. */
int amlp_eval_thresholds(aml_evaluation *ev, aml_error *err);
/* The calibration bins (ev->n_bins of them).  Returns 0 or AML_ENOMEM. */
int amlp_eval_calibration(aml_evaluation *ev, size_t bins, aml_error *err);

#endif
