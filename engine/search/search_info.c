/*
 * search_info.c — the training info a run leaves in its models (metric,
 * validation and test scores, rows, target, task, strategy, budget, trials,
 * stop reason, seed, creation time, engine version), set at the end of the
 * run; model_info.c keeps and saves it.
 */
#include "search/search_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A number, or null when not finite (JSON has no NaN). */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int set_run_info(aml_model *m, const aml_run *r, const aml_search_options *o, size_t rows,
                        double seconds, double valid, double valid_std, double test)
{
    char created[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t failed = 0;
    for (size_t i = 0; i < r->n_trials; i++)
        failed += r->trials[i].info.status != AML_TRIAL_OK;
    json_t *j = json_object();
    if (!j)
        return AML_ENOMEM;
    int bad = 0;
    bad |= json_object_set_new(j, "metric", json_string(aml_metric_name(r->metric)));
    bad |= json_object_set_new(j, "validation_score", num(valid));
    bad |= json_object_set_new(j, "validation_std", num(valid_std));
    bad |= json_object_set_new(j, "test_score", num(test));
    bad |= json_object_set_new(j, "target", json_string(m->target ? m->target : ""));
    bad |= json_object_set_new(j, "task", json_string(aml_task_name(r->task)));
    bad |= json_object_set_new(j, "rows", json_integer((json_int_t)rows));
    bad |= json_object_set_new(j, "test_rows", json_integer((json_int_t)r->n_test));
    bad |= json_object_set_new(j, "strategy",
                               json_string(o && o->strategy ? o->strategy : "auto"));
    bad |= json_object_set_new(j, "budget_seconds", num(o ? o->budget_seconds : NAN));
    bad |= json_object_set_new(j, "seconds", num(seconds));
    bad |= json_object_set_new(j, "trials", json_integer((json_int_t)r->n_trials));
    bad |= json_object_set_new(j, "trials_failed", json_integer((json_int_t)failed));
    bad |= json_object_set_new(j, "stop_reason", json_string(aml_stop_reason_name(r->stop)));
    bad |= json_object_set_new(j, "seed", json_integer(o ? (json_int_t)o->seed : 0));
    bad |= json_object_set_new(j, "created", json_string(created));
    bad |= json_object_set_new(j, "engine_version", json_string(AML_VERSION_STRING));
    char *text = bad ? NULL : json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text)
        return AML_ENOMEM;
    int rc = aml_model_set_info(m, text, NULL);
    free(text);
    return rc;
}

void amlp_model_attach_run_info(aml_run *r, const aml_search_options *o, size_t rows,
                                double seconds)
{
    if (!r)
        return;
    const aml_model *chosen = aml_run_model(r);
    /* the single best model's own score: the top of the leaderboard */
    double best = NAN, best_std = NAN;
    if (r->board && r->n_board) {
        best = r->trials[r->board[0]].info.score;
        best_std = r->trials[r->board[0]].info.score_std;
    }
    if (r->best) {
        bool ch = r->best == chosen;
        set_run_info(r->best, r, o, rows, seconds, ch ? r->valid_score : best, best_std,
                     ch ? r->test_score : NAN);
    }
    if (r->ensemble && r->ensemble != r->best)
        set_run_info(r->ensemble, r, o, rows, seconds, r->valid_score, NAN,
                     r->ensemble == chosen ? r->test_score : NAN);
}
