/*
 * explain_internal.h — what the %explain engine files share (explain.c: the
 * driver, frames of rows and permutation importance; explain_shap.c: SHAP;
 * explain_pdp.c: partial dependence and the model-agnostic row fallback).
 * The image side (explain_saliency.c: occlusion saliency and its overlay;
 * explain_pareto.c: the size/score Pareto front and its chart) shares
 * nothing with them.
 */
#ifndef AML_EXPLAIN_INTERNAL_H
#define AML_EXPLAIN_INTERNAL_H

#include "aml_explain.h"

#define AMLP_ENGINEERED "(engineered features)"
/* Progress: SHAP of a row costs about this many predictions of it. */
#define AMLP_SHAP_WORK 30.0

struct aml_explanation {
    aml_task task;
    aml_metric metric;
    size_t n_classes, width;
    double score;
    size_t rows_given, rows_used;
    char **notes;
    size_t n_notes;

    aml_explain_importance *imp;   /* n_in, sorted */
    size_t n_imp;

    aml_explain_shap *shap;        /* n_shap, sorted; column strings borrowed from
                                      imp or static */
    size_t n_shap;
    double *shap_per_class;        /* n_shap_groups * n_classes */
    size_t tree_members, members;
    double tree_weight;
    const char *units;

    aml_explain_pdp *pdp;
    size_t n_pdp;

    aml_explain_row *row;
};

/* The state of one run. */
typedef struct amlp_ex {
    const aml_model *m;
    const aml_explain_options *o;
    aml_error *err;
    aml_explanation *x;
    const aml_frame *src;       /* the caller's frame */
    aml_frame *E;               /* the rows explained: columns = the inputs, in
                                   model order (column i = input i), then the
                                   target when present */
    size_t n;                   /* rows of E */
    size_t n_in;                /* model inputs */
    size_t n_ecols;             /* columns of E: n_in (+ 1 with the target) */
    size_t *scol;               /* n_ecols: E's columns in the caller's frame */
    float *y;                   /* n targets */
    float *pred;                /* n * width: the model's predictions on E */
    bool *used;                 /* n_in: some member reads the input */
    size_t *rank;               /* n_in input indexes, most important first */
    size_t *iota;               /* 0, 1, ... (max rows) */
    size_t repeats;             /* shuffles per column (after the time budget) */
    size_t pdp_rows;            /* rows averaged per grid value (idem) */
    size_t rows_before_budget;
    size_t chunk;               /* rows per prediction call (adapted to the speed) */
    size_t shap_rows;           /* rows of the SHAP summary */
    double work_done, work_total;
    const char *what;
} amlp_ex;

/* ---- explain.c ---- */
/* 0..n-1 in a seeded random order (amlp_free), or NULL (no memory). */
size_t *amlp_ex_shuffled(const amlp_ex *c, size_t n, uint64_t salt);
/* AML_ECANCELED (err filled) once the cancel flag is set, else 0; reports
 * progress. */
int amlp_ex_tick(amlp_ex *c, double work);
/* Predicts the n rows of frame f (columns as E) in chunks (checking the
 * cancel flag between them).  out: n * width. */
int amlp_ex_predict(amlp_ex *c, const aml_frame *f, size_t n, float *out);
/* A new column with cell idx[i] of src on row i (idx SIZE_MAX: missing). */
int amlp_ex_take_col(const amlp_col *src, const size_t *idx, size_t n, amlp_col *dst);
/* Appends cell `row` of src to dst (same type); row SIZE_MAX: missing. */
int amlp_ex_push_cell(amlp_col *dst, const amlp_col *src, size_t row);
/* Frame with rows `rows` (n) of f's columns `cols` (ncols; NULL: the first
 * ncols), names copied. */
int amlp_ex_take_frame(const aml_frame *f, const size_t *cols, size_t ncols, const size_t *rows,
                       size_t n, aml_frame **out);
/* Input index of prepared feature j of `prep` (through its frame column's
 * name), or SIZE_MAX. */
size_t amlp_ex_feature_input(const amlp_ex *c, const aml_prep *prep, size_t j);
/* Appends a note (printf). */
int amlp_ex_note(aml_explanation *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The class a prediction row points at (multiclass argmax; binary 1; else 0). */
size_t amlp_ex_class_of(const amlp_ex *c, const float *pred_row);

/* ---- explain_shap.c ---- */
/* SHAP summary on E (fills x->shap...; notes on what it covers). */
int amlp_ex_shap_summary(amlp_ex *c);
/* True when every member with weight > 0 has contributions. */
bool amlp_ex_all_trees(const amlp_ex *c);
/* SHAP of the one row of frame `r` (columns as E) into x->row. */
int amlp_ex_shap_row(amlp_ex *c, const aml_frame *r, size_t frame_row);

/* ---- explain_pdp.c ---- */
int amlp_ex_pdp(amlp_ex *c);
/* The replacement method for the one row of frame `r` into x->row. */
int amlp_ex_replace_row(amlp_ex *c, const aml_frame *r, size_t frame_row);
/* Fills x->row's values and sorts its contributions. */
int amlp_ex_row_finish(amlp_ex *c, const aml_frame *r, size_t frame_row);

#endif
