/*
 * mg_evaluate.h — what the %evaluate files share: the evaluation to show
 * (mg_evaluate.c picks the rows and runs the engine; mg_evaluate_view.c
 * turns the result into tables, charts and the evaluation+json document).
 */
#ifndef MG_EVALUATE_H
#define MG_EVALUATE_H

#include "mg.h"

typedef struct mg_eval_view {
    const char *model_name;
    const char *on;              /* "test", or the on= argument */
    const char *source;          /* in words: "the test split of data set 'bank'" */
    const aml_model *model;
    const aml_evaluation *ev;
    const char *target;
    const char *const *classes;  /* ev->n_classes names (classification) */
    const size_t *rows;          /* the data set's row of each evaluated row (ev->n) */
    const char *const *notes;
    size_t n_notes;
    /* image models: the evaluated images (rows are their indices), else NULL;
     * the charts drawn once for both the displays and the document */
    const aml_images *images;
    const aml_plot_image *confusion_png, *mistakes_png;
} mg_eval_view;

/* The application/vnd.automl.evaluation+json document (new reference, or
 * NULL when out of memory); its shape is described in mg_evaluate_view.c. */
json_t *mg_evaluate_doc(const mg_eval_view *v);
/* Every display of an evaluation.  Returns 0 or mg_fail(). */
int mg_evaluate_show(mg_ctx *ctx, const mg_eval_view *v);

/* %evaluate of an image model, or of any model on=IMAGE_SET (mg_evaluate_images.c):
 * the run's held-out test images or another image set of the model's shape.
 * Returns 0 or mg_fail(). */
int mg_evaluate_images(mg_ctx *ctx, const mg_call *call, mg_trained *t);

#endif
