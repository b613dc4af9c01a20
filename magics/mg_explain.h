/*
 * mg_explain.h — what the %explain files share: the explanation to show
 * (mg_explain.c parses the options, picks the rows and runs the engine;
 * mg_explain_view.c turns the result into the sentence, tables, charts and
 * the explanation+json sections, and draws the live progress).
 */
#ifndef MG_EXPLAIN_H
#define MG_EXPLAIN_H

#include "mg.h"

#define MG_EXPLAIN_MIME "application/vnd.automl.explanation+json"

typedef struct mg_explain_view {
    const char *model_name;
    const aml_model *model;
    const aml_explanation *e;
    const char *source;     /* the rows explained, in words */
    long row;               /* row=N: 0-based within the rows explained; -1 without */
    double seconds;         /* the engine's time */
} mg_explain_view;

/* The live progress display (fraction done, what it is doing now) and its
 * last state (finished, or stopped after secs); new references, or NULL
 * when out of memory. */
json_t *mg_explain_progress_bundle(const char *model, double fraction, const char *what);
json_t *mg_explain_progress_done(const char *model, bool finished, double secs);
/* Every display of an explanation: the summary (with all the numbers),
 * importance, SHAP, partial dependence and the row's waterfall. */
void mg_explain_show(mg_ctx *ctx, const mg_explain_view *v);
/* %explain of an image model (mg_explain_images.c): saliency maps by
 * occlusion of n= test images (or of the on= image set), a few per class,
 * as one PNG grid.  Returns 0 or mg_fail(). */
int mg_explain_images(mg_ctx *ctx, const mg_call *call, const mg_trained *t, const aml_model *m);

#endif
