/*
 * mg_evaluate_images.c — %evaluate for image models: picks the images (the
 * run's held-out test split, or another image set of the model's shape with
 * on=), reads their true classes by name, predicts them, evaluates, and hands
 * the result to the evaluation view with the images, so that it also shows
 * the gallery of the most confident mistakes.  A table model on an image set
 * and an image model on a table are refused in one line.
 */
#include "mg_evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct image_rows {
    size_t *rows;      /* image indices kept */
    float *truth;
    size_t n, unseen;
} image_rows;

static void image_rows_free(image_rows *r)
{
    free(r->rows);
    free(r->truth);
}

/* The images to evaluate: the test split or on=SET.  OUT: *set, *rows (NULL:
 * all), *n, source/where in words. */
static int pick_images(mg_ctx *ctx, const mg_trained *t, const aml_model *model, const char *on,
                       const mg_dataset **set, const size_t **rows, size_t *n, char *source,
                       size_t slen)
{
    bool image_model = aml_model_is_image(model);
    if (on && strcmp(on, "test") != 0) {
        const mg_dataset *d = mg_session_dataset(ctx->session, on);
        if (!image_model)
            return mg_fail(ctx, "EvaluateError", "model '%s' classifies table rows, but data set "
                           "'%s' holds images: evaluate it on=DATA (a table) or on=FILE.csv",
                           t->name, on);
        if (!d || !d->images)
            return mg_fail(ctx, "EvaluateError", "model '%s' classifies images, but on=%s is %s: "
                           "give an image set (%%import FOLDER as NAME, then on=NAME)", t->name,
                           on, d ? "a table" : "not an image set of the session");
        *set = d;
        *rows = NULL;
        *n = aml_images_count(d->images);
        snprintf(source, slen, "image set '%s'", d->name);
        return 0;
    }
    if (!t->run)
        return mg_fail(ctx, "EvaluateError", "model '%s' was loaded from %s and has no test "
                       "split: evaluate it on labelled images with on=IMAGE_SET", t->name,
                       t->source);
    const mg_dataset *d = mg_session_dataset(ctx->session, t->dataset);
    if (!d || !d->images)
        return mg_fail(ctx, "EvaluateError", "model '%s' was trained on image set '%s', which is "
                       "no longer in the session: import it again under that name, or evaluate "
                       "with on=IMAGE_SET", t->name, t->dataset);
    *rows = aml_run_test_rows(t->run, n);
    if (!*rows || *n == 0)
        return mg_fail(ctx, "EvaluateError", "model '%s' was trained without a held-out test "
                       "split: evaluate it with on=IMAGE_SET", t->name);
    if ((*rows)[*n - 1] >= aml_images_count(d->images))
        return mg_fail(ctx, "EvaluateError", "image set '%s' was replaced since model '%s' was "
                       "trained (it has %zu images; the test split needs image %zu): train "
                       "again, or evaluate with on=IMAGE_SET", d->name, t->name,
                       aml_images_count(d->images), (*rows)[*n - 1]);
    *set = d;
    snprintf(source, slen, "the test split of image set '%s'", d->name);
    return 0;
}

/* The true classes of the images; keeps those of a class the model knows. */
static int read_truth(mg_ctx *ctx, const aml_model *model, const aml_images *im,
                      const size_t *rows, size_t n, const char *where, image_rows *out)
{
    memset(out, 0, sizeof *out);
    float *truth = malloc((n ? n : 1) * sizeof *truth);
    unsigned char *state = malloc(n ? n : 1);
    out->rows = malloc((n ? n : 1) * sizeof *out->rows);
    out->truth = malloc((n ? n : 1) * sizeof *out->truth);
    aml_error err = {0};
    int rc = truth && state && out->rows && out->truth
                 ? aml_evaluate_images_truth(model, im, rows, n, truth, state, &err)
                 : AML_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (state[i] != AML_EVAL_ROW_OK) {
            out->unseen++;
            continue;
        }
        out->rows[out->n] = rows ? rows[i] : i;
        out->truth[out->n++] = truth[i];
    }
    free(truth);
    free(state);
    if (rc == 0)
        return 0;
    image_rows_free(out);
    if (rc == AML_ENOMEM)
        return mg_fail(ctx, "MemoryError", "out of memory");
    return mg_fail(ctx, "EvaluateError", "%s: %s", where, err.text[0] ? err.text
                                                                      : aml_strerror(rc));
}

/* The run's test score must come back: else the set changed since. */
static int check_test_score(mg_ctx *ctx, const mg_trained *t, const aml_model *model,
                            const image_rows *ir, const float *pred)
{
    double ts = aml_run_test_score(t->run), s;
    aml_error e = {0};
    if (!isfinite(ts) ||
        aml_metric_score(aml_run_metric(t->run), aml_model_task(model),
                         aml_model_n_classes(model), ir->truth, pred, NULL, ir->n, &s, &e) ||
        fabs(s - ts) <= 1e-4 * fmax(1.0, fabs(ts)))
        return 0;
    return mg_fail(ctx, "EvaluateError", "image set '%s' was replaced since model '%s' was "
                   "trained: its test split scores %s %.4f now, not %.4f as at training — "
                   "train again, or evaluate with on=IMAGE_SET", t->dataset, t->name,
                   aml_metric_name(aml_run_metric(t->run)), s, ts);
}

typedef struct eval_parts {
    const mg_trained *t;
    const aml_model *model;
    const mg_dataset *set;
    const char *on, *threshold, *out;
    char source[700];
} eval_parts;

/* Predicts, evaluates and shows the kept images.  Returns 0 or mg_fail(). */
static int evaluate_and_show(mg_ctx *ctx, const eval_parts *p, const image_rows *ir,
                             const aml_eval_options *eo, bool on_test)
{
    const aml_model *model = p->model;
    size_t k = aml_model_n_classes(model), w = aml_model_pred_width(model);
    float *pred = malloc(ir->n * w * sizeof *pred);
    const char **classes = calloc(k + 1, sizeof *classes);
    if (!pred || !classes) {
        free(pred);
        free(classes);
        return mg_fail(ctx, "MemoryError", "out of memory");
    }
    for (size_t c = 0; c < k; c++)
        classes[c] = aml_model_class_name(model, c);
    aml_error err = {0};
    aml_evaluation *ev = NULL;
    int rc = aml_model_predict_images(model, p->set->images, ir->rows, ir->n, pred, &err);
    if (rc)
        rc = mg_fail(ctx, "EvaluateError", "cannot predict the images of %s: %s", p->source,
                     err.text[0] ? err.text : aml_strerror(rc));
    else if ((rc = aml_evaluate(aml_model_task(model), k, ir->truth, pred, ir->n, eo, &ev, &err)))
        rc = mg_fail(ctx, "EvaluateError", "%s", err.text[0] ? err.text : aml_strerror(rc));
    else if (on_test)
        rc = check_test_score(ctx, p->t, model, ir, pred);
    free(pred);
    char notes[5][600];
    const char *note_p[5];
    size_t nn = 0;
    if (rc == 0 && ir->unseen)
        snprintf(notes[nn++], sizeof notes[0], "%zu image%s left out: %s a class the model "
                 "never saw in training.", ir->unseen, ir->unseen == 1 ? "" : "s",
                 ir->unseen == 1 ? "its label is" : "their labels are");
    if (rc == 0 && !on_test && p->t->run && strcmp(p->set->name, p->t->dataset) == 0)
        snprintf(notes[nn++], sizeof notes[0], "These are the images model '%s' was trained on "
                 "(image set '%s'), so the scores are optimistic; %%evaluate %s (on=test) scores "
                 "the held-out test split.", p->t->name, p->set->name, p->t->name);
    if (rc == 0 && p->threshold && aml_model_task(model) != AML_TASK_BINARY)
        snprintf(notes[nn++], sizeof notes[0], "threshold=%s is ignored: a multiclass model "
                 "predicts its most probable class.", p->threshold);
    if (rc == 0 && p->out) {
        if (aml_evaluation_write_csv(ev, p->out, ir->rows, classes, &err))
            rc = mg_fail(ctx, "EvaluateError", "out=%s: %s", p->out, err.text);
        else
            snprintf(notes[nn++], sizeof notes[0], "Wrote the %zu evaluated images (row = the "
                     "image's index in the set) to %s.", ir->n, p->out);
    }
    for (size_t i = 0; i < nn; i++)
        note_p[i] = notes[i];
    if (rc == 0) {
        mg_eval_view view = {
            .model_name = p->t->name, .on = on_test ? "test" : p->on, .source = p->source,
            .model = model, .ev = ev, .target = "class", .classes = classes,
            .rows = ir->rows, .notes = note_p, .n_notes = nn, .images = p->set->images,
        };
        rc = mg_evaluate_show(ctx, &view);
    }
    aml_evaluation_free(ev);
    free(classes);
    return rc;
}

int mg_evaluate_images(mg_ctx *ctx, const mg_call *call, mg_trained *t)
{
    eval_parts p = {.t = t, .model = mg_trained_model(t), .on = mg_opt(call, "on"),
                    .threshold = mg_opt(call, "threshold"), .out = mg_opt(call, "out")};
    aml_eval_options eo = aml_eval_options_default();
    if (p.threshold) {
        char *end;
        eo.threshold = strtod(p.threshold, &end);
        if (*end || !(eo.threshold > 0 && eo.threshold < 1))
            return mg_fail(ctx, "UsageError", "threshold=%s: give a probability strictly between "
                           "0 and 1, e.g. threshold=0.3", p.threshold);
    }
    if (p.out && !*p.out)
        return mg_fail(ctx, "UsageError", "out= needs a file name, e.g. out=errors.csv");
    const size_t *rows = NULL;
    size_t n = 0;
    if (pick_images(ctx, t, p.model, p.on, &p.set, &rows, &n, p.source, sizeof p.source))
        return -1;
    image_rows ir;
    if (read_truth(ctx, p.model, p.set->images, rows, n, p.source, &ir))
        return -1;
    int rc;
    if (ir.n == 0)
        rc = mg_fail(ctx, "EvaluateError", "no image of %s can be evaluated: %s", p.source,
                     n ? "every label is a class the model never saw" : "it has no images");
    else
        rc = evaluate_and_show(ctx, &p, &ir, &eo, !p.on || strcmp(p.on, "test") == 0);
    image_rows_free(&ir);
    return rc;
}
