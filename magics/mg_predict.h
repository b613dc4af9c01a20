/*
 * mg_predict.h — what the %predict files share: mg_predict.c predicts table
 * rows and hands image models to mg_predict_images.c.
 */
#ifndef MG_PREDICT_H
#define MG_PREDICT_H

#include "mg.h"

#include <stdio.h>

/* Writes `s` as a CSV field (quoted when it holds a comma, quote or line
 * break). */
void mg_csv_field(FILE *f, const char *s);

/* %predict with an image model: on= a folder, a CSV of image paths, one
 * image file or an image set.  Returns 0 or mg_fail(). */
int mg_predict_images(mg_ctx *ctx, const mg_call *call, const mg_trained *t);

#endif
