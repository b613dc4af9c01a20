/*
 * mg_predict.c — %predict [MODEL] on=PATH|DATA [out=PATH] [id=COL]: batch
 * prediction (also the Kaggle submission path).  Rows are predicted in
 * chunks and streamed to the CSV (written atomically); a long run shows a
 * live progress line and stops on interrupt, leaving no file behind.  The
 * output columns: the id= column when given, `prediction`, and for
 * classification one `p_<label>` column per class.
 */
#include "mg_predict.h"
#include "mg_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 8192
#define PREVIEW_ROWS 10
#define PROGRESS_ROWS 50000   /* show progress for more rows than this */

static const mg_option predict_options[] = {
    {"on", MG_STRING, NULL, "the rows to predict: a data set of the session or a CSV file; "
     "image models: a folder of images, a CSV of image paths or an image set"},
    {"out", MG_STRING, NULL, "write the predictions to this CSV file"},
    {"id", MG_STRING, NULL, "a column copied first into the output (e.g. the Kaggle id)"},
    {0},
};

typedef struct job {
    mg_ctx *ctx;
    const aml_model *model;
    const aml_frame *frame;      /* conformed to the model */
    const aml_frame *id_frame;   /* the frame the id column is read from */
    long id_col;                 /* -1: none */
    const char *id_name;
    size_t n, width, k;
    aml_task task;
    /* results for the summary */
    size_t *counts;              /* per class */
    double vmin, vmax, vsum;
    size_t done;
    /* preview */
    mg_table *preview;
    /* progress */
    bool progress;
    char display_id[128];
    double last;
    bool interrupted;
    aml_error err;
    int rc;
} job;

void mg_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void show_progress(job *j, bool final)
{
    if (!j->progress)
        return;
    double t = aml_now();
    if (!final && t - j->last < 0.5 && j->done)
        return;
    j->last = t;
    char text[200];
    snprintf(text, sizeof text, "Predicting: %zu of %zu rows (%.0f%%)%s", j->done, j->n,
             j->n ? 100.0 * (double)j->done / (double)j->n : 100.0, final ? " — done" : "");
    json_t *b = json_pack("{s:s}", "text/plain", text);
    if (j->done == 0 && !final)
        kn_display(j->ctx->req, b, NULL, j->display_id);
    else
        kn_update_display(j->ctx->req, b, NULL, j->display_id);
    json_decref(b);
}

/* Predicts every row in chunks; writes CSV lines to `f` when not NULL; keeps
 * the first rows for the preview and the counts for the summary. */
static int predict_rows(job *j, FILE *f, char *why, size_t len)
{
    const aml_model *m = j->model;
    float *pred = malloc(CHUNK * j->width * sizeof *pred);
    size_t *rows = malloc(CHUNK * sizeof *rows), *labels = malloc(CHUNK * sizeof *labels);
    size_t ncell = 2 + j->k + (j->id_col >= 0);
    char **cells = calloc(ncell, sizeof *cells);
    char *cellbuf = malloc(ncell * 64);
    char idbuf[1024];
    char idcell[64];
    if (!pred || !rows || !labels || !cells || !cellbuf) {
        snprintf(why, len, "out of memory");
        j->rc = -1;
        goto out;
    }
    for (size_t c = 0; c < ncell; c++)
        cells[c] = cellbuf + c * 64;
    if (f) {
        if (j->id_col >= 0) {
            mg_csv_field(f, j->id_name);
            fputc(',', f);
        }
        fputs("prediction", f);
        for (size_t c = 0; c < j->k; c++) {
            fputs(",", f);
            char name[512];
            snprintf(name, sizeof name, "p_%s", aml_model_class_name(m, c));
            mg_csv_field(f, name);
        }
        fputc('\n', f);
    }
    show_progress(j, false);
    for (size_t r0 = 0; r0 < j->n; r0 += CHUNK) {
        if (kn_interrupted(j->ctx->req)) {
            j->interrupted = true;
            snprintf(why, len, "interrupted after %zu of %zu rows", r0, j->n);
            j->rc = -1;
            goto out;
        }
        size_t n = j->n - r0 < CHUNK ? j->n - r0 : CHUNK;
        for (size_t i = 0; i < n; i++)
            rows[i] = r0 + i;
        if (aml_model_predict(m, j->frame, rows, n, pred, &j->err) ||
            (j->task != AML_TASK_REGRESSION &&
             aml_model_predict_labels(m, pred, n, labels, &j->err))) {
            snprintf(why, len, "%s", j->err.text);
            j->rc = -1;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            size_t c = 0;
            const char *label = NULL;
            if (j->id_col >= 0) {
                aml_frame_cell_str(j->id_frame, (size_t)j->id_col, r0 + i, idbuf, sizeof idbuf);
                if (f) {
                    mg_csv_field(f, idbuf);
                    fputc(',', f);
                }
                memcpy(idcell, idbuf, sizeof idcell - 1);
                idcell[sizeof idcell - 1] = 0;
                memcpy(cells[c++], idcell, sizeof idcell);
            }
            if (j->task == AML_TASK_REGRESSION) {
                double v = pred[i];
                snprintf(cells[c++], 64, "%.9g", v);
                if (f)
                    fputs(cells[c - 1], f);
                j->vmin = j->done + i == 0 || v < j->vmin ? v : j->vmin;
                j->vmax = j->done + i == 0 || v > j->vmax ? v : j->vmax;
                j->vsum += v;
            } else {
                label = aml_model_class_name(m, labels[i]);
                j->counts[labels[i]]++;
                if (f)
                    mg_csv_field(f, label);
                snprintf(cells[c++], 64, "%.63s", label);
                for (size_t k = 0; k < j->k; k++) {
                    float p = j->task == AML_TASK_BINARY ? (k == 1 ? pred[i] : 1.0f - pred[i])
                                                         : pred[i * j->k + k];
                    snprintf(cells[c++], 64, "%.9g", (double)p);
                    if (f) {
                        fputc(',', f);
                        fputs(cells[c - 1], f);
                    }
                }
            }
            if (f)
                fputc('\n', f);
            if (j->done + i < PREVIEW_ROWS && j->preview)
                mg_table_row(j->preview, (const char *const *)cells);
        }
        if (f && ferror(f)) {
            j->rc = -1;
            goto out;
        }
        j->done += n;
        show_progress(j, false);
    }
    show_progress(j, true);
out:
    free(pred);
    free(rows);
    free(labels);
    free(cells);
    free(cellbuf);
    return j->rc;
}

static int write_csv(FILE *f, void *user, char *why, size_t len)
{
    return predict_rows(user, f, why, len);
}

/* "a, b and 3 more" of the names in `v` (n of them). */
static void name_list(mg_buf *b, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n && i < 8; i++)
        mg_buf_addf(b, "%s%s", i ? ", " : "", v[i]);
    if (n > 8)
        mg_buf_addf(b, " and %zu more", n - 8);
}

static int missing_columns(mg_ctx *ctx, const mg_trained *t, const aml_model *m,
                           const aml_frame *f, const char *on)
{
    const char **req = NULL;
    size_t n = 0;
    if (aml_model_required_columns(m, &req, &n))
        return mg_fail(ctx, "MemoryError", "out of memory");
    const char **miss = calloc(n + 1, sizeof *miss);
    size_t nm = 0;
    for (size_t i = 0; miss && i < n; i++)
        if (aml_frame_col_index(f, req[i]) < 0)
            miss[nm++] = req[i];
    int rc = 0;
    if (nm) {
        mg_buf b = {0};
        name_list(&b, miss, nm);
        if (nm == 1) {
            const char *close = mg_closest_column(f, miss[0]);
            rc = mg_fail(ctx, "ColumnError", "on=%s has no column '%s', which model '%s' needs%s%s%s",
                         on, miss[0], t->name, close ? " — did you mean '" : "",
                         close ? close : "", close ? "'?" : "");
        } else {
            rc = mg_fail(ctx, "ColumnError", "on=%s lacks %zu columns that model '%s' needs: %s",
                         on, nm, t->name, b.data);
        }
        mg_buf_free(&b);
    }
    free(miss);
    aml_free(req);
    return rc;
}

/* Notes for the summary: columns ignored, columns retyped. */
static void notes(mg_buf *b, const aml_model *m, const aml_frame *f, const char *id)
{
    const char **req = NULL;
    size_t n = 0;
    if (aml_model_required_columns(m, &req, &n))
        return;
    size_t nc = aml_frame_ncols(f), ni = 0;
    const char **ign = calloc(nc + 1, sizeof *ign);
    for (size_t c = 0; ign && c < nc; c++) {
        const char *name = aml_frame_col_name(f, c);
        bool used = false;
        for (size_t i = 0; i < n && !used; i++)
            used = strcmp(req[i], name) == 0;
        if (!used && strcmp(name, aml_model_target(m)) != 0 && !(id && strcmp(id, name) == 0))
            ign[ni++] = name;
    }
    if (ni) {
        mg_buf_add(b, "Ignored (the model does not use them): ");
        name_list(b, ign, ni);
        mg_buf_add(b, ".\n");
    }
    free(ign);
    for (size_t i = 0; i < n; i++) {
        long c = aml_frame_col_index(f, req[i]);
        for (size_t k = 0; c >= 0 && k < aml_model_n_inputs(m); k++) {
            aml_type want = aml_model_input_type(m, k), have = aml_frame_col_type(f, (size_t)c);
            if (strcmp(aml_model_input_name(m, k), req[i]) == 0 && want != have &&
                !((want == AML_TYPE_NUMBER || want == AML_TYPE_INTEGER) &&
                  (have == AML_TYPE_NUMBER || have == AML_TYPE_INTEGER)) &&
                !((want == AML_TYPE_CATEGORICAL || want == AML_TYPE_TEXT) &&
                  (have == AML_TYPE_CATEGORICAL || have == AML_TYPE_TEXT)))
                mg_buf_addf(b, "Column '%s' was read as %s; it is read as %s, as at training "
                            "(values that do not fit count as missing).\n", req[i],
                            aml_type_name(have), aml_type_name(want));
        }
    }
    aml_free(req);
}

static int run_predict(mg_ctx *ctx, const mg_call *call)
{
    mg_trained *t;
    if (mg_model_or_fail(ctx, call->n_pos ? call->pos[0] : NULL, &t))
        return -1;
    const aml_model *m = mg_trained_model(t);
    if (!m)
        return mg_fail(ctx, "UsageError", "model '%s' has no fitted model (the run stopped "
                       "before any trial finished)", t->name);
    if (aml_model_is_image(m))
        return mg_predict_images(ctx, call, t);
    const char *on = mg_opt(call, "on"), *out = mg_opt(call, "out"), *id = mg_opt(call, "id");
    const mg_dataset *on_set = on ? mg_session_dataset(ctx->session, on) : NULL;
    if (on_set && on_set->images)
        return mg_fail(ctx, "PredictError", "model '%s' classifies table rows, but data set '%s' "
                       "holds images: give a table (on=DATA or on=FILE.csv)", t->name, on);
    if (!on)
        return mg_fail(ctx, "UsageError", "%%predict needs on=DATA or on=PATH (the rows to "
                       "predict) — usage: %s", call->magic->synopsis);
    const aml_frame *frame;
    aml_frame *owned = NULL;
    if (mg_frame_arg(ctx, on, "on", &frame, &owned))
        return -1;
    int rc = 0;
    long id_col = -1;
    if (id && (id_col = aml_frame_col_index(frame, id)) < 0) {
        const char *close = mg_closest_column(frame, id);
        rc = mg_fail(ctx, "ColumnError", "id=%s: on=%s has no column '%s'%s%s%s", id, on, id,
                     close ? " — did you mean '" : "", close ? close : "", close ? "'?" : "");
    }
    rc = rc ? rc : missing_columns(ctx, t, m, frame, on);
    aml_frame *conformed = NULL;
    aml_error err = {0};
    if (rc == 0 && aml_model_conform(m, frame, &conformed, &err))
        rc = mg_fail(ctx, "PredictError", "%s", err.text);
    if (rc) {
        aml_frame_free(owned);
        return rc;
    }
    job j = {0};
    j.ctx = ctx;
    j.model = m;
    j.frame = conformed ? conformed : frame;
    j.id_frame = frame;
    j.id_col = id_col;
    j.id_name = id;
    j.n = aml_frame_nrows(frame);
    j.width = aml_model_pred_width(m);
    j.task = aml_model_task(m);
    j.k = j.task == AML_TASK_REGRESSION ? 0 : aml_model_n_classes(m);
    j.counts = calloc(j.k + 1, sizeof *j.counts);
    j.progress = j.n > PROGRESS_ROWS;
    snprintf(j.display_id, sizeof j.display_id, "automl-predict-%ld-%ld-%d", (long)getpid(),
             (long)time(NULL), kn_execution_count(ctx->req));
    /* the preview table */
    size_t ncell = 2 + j.k + (id_col >= 0);
    const char **head = calloc(ncell, sizeof *head);
    char **pnames = calloc(j.k + 1, sizeof *pnames);
    size_t h = 0;
    if (head && pnames) {
        if (id_col >= 0)
            head[h++] = id;
        head[h++] = "prediction";
        for (size_t k = 0; k < j.k; k++) {
            size_t len = strlen(aml_model_class_name(m, k)) + 3;
            pnames[k] = malloc(len);
            if (pnames[k])
                snprintf(pnames[k], len, "p_%s", aml_model_class_name(m, k));
            head[h++] = pnames[k] ? pnames[k] : "p_?";
        }
        j.preview = mg_table_new(h, head);
        for (size_t c = (id_col >= 0) + (j.task != AML_TASK_REGRESSION); c < h; c++)
            mg_table_numeric(j.preview, c);
    }
    char why[600] = "";
    size_t bytes = 0;
    if (!j.counts || !j.preview)
        rc = mg_fail(ctx, "MemoryError", "out of memory");
    else if (out)
        rc = mg_write_atomic(out, write_csv, &j, &bytes, why, sizeof why);
    else
        rc = predict_rows(&j, NULL, why, sizeof why);
    if (rc == 0) {
        mg_buf s = {0};
        char cnt[32];
        mg_fmt_count(j.n, cnt);
        mg_buf_addf(&s, "Predicted %s rows of %s with model '%s' (%s, target %s).\n", cnt, on,
                    t->name, aml_task_name(j.task), aml_model_target(m));
        if (j.task == AML_TASK_REGRESSION && j.n)
            mg_buf_addf(&s, "Predicted %s: from %.6g to %.6g, mean %.6g.\n", aml_model_target(m),
                        j.vmin, j.vmax, j.vsum / (double)j.n);
        else if (j.n) {
            mg_buf_addf(&s, "Predicted classes:");
            for (size_t k = 0; k < j.k; k++) {
                mg_fmt_count(j.counts[k], cnt);
                mg_buf_addf(&s, "%s %s %s (%.1f%%)", k ? "," : "", aml_model_class_name(m, k),
                            cnt, 100.0 * (double)j.counts[k] / (double)j.n);
            }
            mg_buf_add(&s, ".\n");
        }
        notes(&s, m, frame, id);
        if (out) {
            char size[32];
            mg_fmt_bytes(bytes, size);
            mg_buf_addf(&s, "Written to %s (%s; columns: %s%sprediction%s).\n", out, size,
                        id ? id : "", id ? ", " : "", j.k ? ", p_<class> per class" : "");
        } else {
            mg_buf_addf(&s, "Showing the first %d rows; add out=predictions.csv to save them "
                        "all.\n", PREVIEW_ROWS);
        }
        kn_stream(ctx->req, "stdout", s.data);
        mg_buf_free(&s);
        json_t *doc = json_pack("{s:s, s:I, s:s?}", "model", t->name, "rows", (json_int_t)j.n,
                                "out", out);
        rc = mg_display_table(ctx, j.preview, "application/vnd.automl.predictions+json",
                              "predictions", doc);
    } else if (j.counts && j.preview) {
        if (j.interrupted)
            rc = mg_fail(ctx, "KeyboardInterrupt", "%%predict %s; %s", why,
                         out ? "no file was written" : "nothing kept");
        else
            rc = mg_fail(ctx, "PredictError", "%%predict: %s", why[0] ? why : "failed");
    }
    for (size_t k = 0; pnames && k < j.k; k++)
        free(pnames[k]);
    free(pnames);
    free(head);
    mg_table_free(j.preview);
    free(j.counts);
    aml_frame_free(conformed);
    aml_frame_free(owned);
    return rc;
}

const mg_magic mg_magic_predict = {
    .name = "predict",
    .synopsis = "%predict [MODEL] on=PATH|DATA [out=PATH] [id=COL]",
    .summary = "Predict a CSV file or data set in batch; write the predictions to a CSV.",
    .help = "Reads the rows (a data set of the session or a CSV file), predicts them with the "
            "model (the most recent when MODEL is left out) and shows a summary and the first "
            "rows.  out= writes every row to a CSV file (atomically) with the columns: the id= "
            "column when given, `prediction`, and for classification one `p_<class>` "
            "probability column per class.  Columns the model does not use are ignored; a "
            "missing column it needs is an error naming it; unseen categories and missing "
            "values are handled as at training.\n\n"
            "Image models: on= a folder of PNG or JPEG files (class subfolders are read too), a "
            "CSV whose first column lists image paths (relative to the CSV), one image file, or "
            "an imported image set; each image is resized to the model's shape as %import does.  "
            "The columns are `path` (`index` for an image set), `prediction` and `p_<class>`; a "
            "file that is not a readable image is skipped and named.\n\n"
            "Examples:\n  %predict on=test.csv out=submission.csv id=PassengerId\n"
            "  %predict m1 on=bank\n"
            "  %predict vision_model on=new_xrays/ out=xray_predictions.csv\n",
    .options = predict_options,
    .max_args = 1,
    .run = run_predict,
};
