/*
 * search_ctx.h — the state of one search run shared by the driver
 * (search.c) and the data side (search_data.c).
 */
#ifndef AMLP_SEARCH_CTX_H
#define AMLP_SEARCH_CTX_H

#include "search/search_run.h"

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
double amlp_now(void);

#endif
