/*
 * search_record.c — writing the run record that every search driver fills:
 * a slot for the next trial, its journal line, the best-score curve, and
 * the leaderboard.
 */
#include "search/search_internal.h"

#include <string.h>

int amlp_trial_slot(amlp_ctx *c, amlp_trial **out)
{
    aml_run *r = c->run;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (r->n_trials == r->cap_trials) {
        size_t cap = r->cap_trials ? 2 * r->cap_trials : 64;
        amlp_trial *p = amlp_realloc(r->trials, cap * sizeof *p);
        if (p) {
            r->trials = p;
            r->cap_trials = cap;
        } else {
            rc = AML_ENOMEM;
        }
    }
    if (rc == 0) {
        *out = &r->trials[r->n_trials];
        memset(*out, 0, sizeof **out);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int amlp_run_add_curve(aml_run *r, double t, double s)
{
    if (r->n_curve == r->cap_curve) {
        size_t cap = r->cap_curve ? 2 * r->cap_curve : 32;
        double *p = amlp_realloc(r->curve, cap * 2 * sizeof *p);
        if (!p)
            return AML_ENOMEM;
        r->curve = p;
        r->cap_curve = cap;
    }
    r->curve[2 * r->n_curve] = t;
    r->curve[2 * r->n_curve + 1] = s;
    r->n_curve++;
    return 0;
}

int amlp_run_rank(amlp_ctx *c)
{
    aml_run *r = c->run;
    r->board = amlp_malloc(r->n_trials * sizeof *r->board);
    if (!r->board)
        return AML_ENOMEM;
    for (size_t i = 0; i < r->n_trials; i++)
        if (r->trials[i].info.status == AML_TRIAL_OK) {
            size_t j = r->n_board++;
            while (j > 0 && amlp_better(c, r->trials[i].info.score, r->trials[r->board[j - 1]].info.score)) {
                r->board[j] = r->board[j - 1];
                j--;
            }
            r->board[j] = i;
        }
    return 0;
}

void amlp_trial_journal(amlp_ctx *c, const amlp_trial *t, size_t n_oof)
{
    if (!c->journal)
        return;
    amlp_journal_trial jt;
    memset(&jt, 0, sizeof jt);
    jt.kind = (char *)t->cfg.kind;
    jt.params = t->cfg.params;
    jt.fidelity = t->cfg.fidelity;
    jt.status = (int)t->info.status;
    jt.error = (char *)t->info.error;
    jt.score = t->info.score;
    jt.score_std = t->info.score_std;
    jt.fit_seconds = t->info.fit_seconds;
    jt.predict_seconds = t->info.predict_seconds;
    jt.finished_at = t->info.finished_at;
    jt.n_iterations = t->info.n_iterations;
    jt.features = t->feat_steps;
    jt.n_folds = t->n_folds;
    memcpy(jt.fold_scores, t->fold_scores, sizeof jt.fold_scores);
    jt.hash = t->hash;
    jt.id = t->info.id;
    aml_error err;
    memset(&err, 0, sizeof err);
    int rc = t->oof ? amlp_journal_put_oof(c->journal, t->info.id, t->oof, n_oof, &err) : 0;
    rc = rc ? rc : amlp_journal_append(c->journal, &jt, &err);
    if (rc) {
        amlp_ctx_note(c, "the journal could not be written (%s): this run cannot be resumed", err.text);
        amlp_journal_close(c->journal);
        c->journal = NULL;
    }
}
