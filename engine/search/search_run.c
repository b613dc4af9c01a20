/*
 * search_run.c — the result of a search (aml_run): its record, accessors and
 * release, and the stop reasons' names.
 */
#include "search/search_internal.h"

#include <math.h>
#include <string.h>

const char *aml_stop_reason_name(aml_stop_reason r)
{
    switch (r) {
    case AML_STOP_CONVERGED: return "converged";
    case AML_STOP_BUDGET: return "budget reached";
    case AML_STOP_INTERRUPTED: return "interrupted";
    case AML_STOP_MAX_TRIALS: return "trial limit reached";
    }
    return "?";
}

void aml_run_free(aml_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_trials; i++) {
        amlp_free(r->trials[i].params_s);
        amlp_free(r->trials[i].error_s);
        amlp_free(r->trials[i].oof);
    }
    amlp_free(r->trials);
    amlp_free(r->board);
    for (size_t i = 0; i < r->n_notes; i++)
        amlp_free(r->notes[i]);
    amlp_free(r->notes);
    amlp_free(r->curve);
    amlp_free(r->test_rows);
    amlp_free(r->pipeline);
    if (r->ensemble != r->best)
        aml_model_free(r->ensemble);
    aml_model_free(r->best);
    amlp_free(r);
}

static size_t text_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

size_t aml_run_memory_size(const aml_run *r)
{
    if (!r)
        return 0;
    size_t bytes = sizeof *r + r->cap_trials * sizeof *r->trials + r->n_board * sizeof *r->board;
    for (size_t i = 0; i < r->n_trials; i++)
        bytes += text_size(r->trials[i].params_s) + text_size(r->trials[i].error_s);
    /* out-of-fold vectors live only while the search runs (aml_search_run frees them) */
    for (size_t i = 0; i < r->n_notes; i++)
        bytes += sizeof *r->notes + text_size(r->notes[i]);
    bytes += r->cap_curve * 2 * sizeof *r->curve + r->n_test * sizeof *r->test_rows;
    bytes += text_size(r->pipeline) + aml_model_memory_size(r->best);
    if (r->ensemble != r->best)
        bytes += aml_model_memory_size(r->ensemble);
    return bytes;
}

aml_task aml_run_task(const aml_run *r) { return r->task; }
aml_metric aml_run_metric(const aml_run *r) { return r->metric; }
aml_stop_reason aml_run_stop_reason(const aml_run *r) { return r->stop; }
/* A trial stopped by the deadline or an interrupt (canceled) is neither
 * done nor failed: it produced no result. */
static size_t count_status(const aml_run *r, aml_trial_status st)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_trials; i++)
        n += r->trials[i].info.status == st;
    return n;
}
size_t aml_run_trials_done(const aml_run *r)
{
    return r->n_trials - count_status(r, AML_TRIAL_CANCELED);
}
size_t aml_run_trials_failed(const aml_run *r) { return count_status(r, AML_TRIAL_FAILED); }
double aml_run_seconds(const aml_run *r) { return r->seconds; }
size_t aml_run_n_trials(const aml_run *r) { return r->n_trials; }
const aml_trial_info *aml_run_trial(const aml_run *r, size_t i)
{
    return i < r->n_trials ? &r->trials[i].info : NULL;
}
size_t aml_run_leaderboard_size(const aml_run *r) { return r->n_board; }
const aml_trial_info *aml_run_leaderboard(const aml_run *r, size_t i)
{
    return i < r->n_board ? &r->trials[r->board[i]].info : NULL;
}
const aml_model *aml_run_best_model(const aml_run *r) { return r->best; }
const aml_model *aml_run_ensemble(const aml_run *r) { return r->ensemble; }
const aml_model *aml_run_model(const aml_run *r)
{
    return r->chosen_ensemble && r->ensemble ? r->ensemble : r->best;
}
aml_model *aml_run_take_model(aml_run *r)
{
    aml_model *m = (aml_model *)aml_run_model(r);
    if (!m)
        return NULL;
    if (m == r->ensemble)
        r->ensemble = NULL;
    if (m == r->best)
        r->best = NULL;
    return m;
}
double aml_run_validation_score(const aml_run *r) { return r->valid_score; }
double aml_run_test_score(const aml_run *r) { return r->test_score; }
const size_t *aml_run_test_rows(const aml_run *r, size_t *n)
{
    *n = r->n_test;
    return r->test_rows;
}
const char *aml_run_pipeline(const aml_run *r) { return r->pipeline ? r->pipeline : ""; }
size_t aml_run_n_notes(const aml_run *r) { return r->n_notes; }
const char *aml_run_note(const aml_run *r, size_t i) { return i < r->n_notes ? r->notes[i] : NULL; }
size_t aml_run_curve_size(const aml_run *r) { return r->n_curve; }
void aml_run_curve_point(const aml_run *r, size_t i, double *t, double *s)
{
    *t = i < r->n_curve ? r->curve[2 * i] : NAN;
    *s = i < r->n_curve ? r->curve[2 * i + 1] : NAN;
}
