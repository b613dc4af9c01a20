/*
 * search_watch.c — what every search driver's calling thread does while its
 * worker searches: it wakes every 50 ms, turns the cancel flag and the
 * phase's deadline into the fit-cancel flag the trials check, and sends the
 * events (each finished trial, phase changes, periodic progress, done) to
 * the caller.  Also the ordering of scores and the phase switch the workers
 * share.
 */
#include "search/search_internal.h"

#include <math.h>
#include <time.h>

bool amlp_better(const amlp_ctx *c, double a, double b)
{
    if (b != b)
        return a == a;
    return aml_metric_higher_is_better(c->metric) ? a > b : a < b;
}

void amlp_set_phase(amlp_ctx *c, const char *phase, double deadline)
{
    pthread_mutex_lock(&c->mu);
    c->phase = phase;
    c->phase_deadline = deadline;
    if (!c->interrupted && aml_now() < deadline)
        c->fit_cancel = 0;
    pthread_mutex_unlock(&c->mu);
}

/* The best five finished trials, best first, into top; their count. */
static size_t top_trials(const amlp_ctx *c, aml_trial_info top[5], size_t *failed,
                         size_t *canceled)
{
    const aml_run *r = c->run;
    size_t nt = 0;
    for (size_t i = 0; i < r->n_trials; i++) {
        const aml_trial_info *t = &r->trials[i].info;
        *failed += t->status == AML_TRIAL_FAILED;
        *canceled += t->status == AML_TRIAL_CANCELED;
        if (t->status != AML_TRIAL_OK)
            continue;
        size_t j = nt < 5 ? nt++ : 5;
        if (j == 5 && !amlp_better(c, t->score, top[4].score))
            continue;
        if (j == 5)
            j = 4;
        while (j > 0 && amlp_better(c, t->score, top[j - 1].score)) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = *t;
    }
    return nt;
}

static void emit(amlp_ctx *c, aml_search_event_kind kind, const aml_trial_info *trial, double now)
{
    if (!c->o.on_event)
        return;
    aml_trial_info top[5];
    size_t failed = 0, canceled = 0, nt = top_trials(c, top, &failed, &canceled);
    aml_search_event ev = {
        .kind = kind,
        .elapsed_seconds = now - c->t0,
        .budget_seconds = c->o.budget_seconds,
        .trials_done = c->run->n_trials - canceled,
        .trials_failed = failed,
        .metric = c->metric,
        .task = c->task,
        .best_score = nt ? top[0].score : NAN,
        .n_top = nt,
        .top = top,
        .phase = c->phase ? c->phase : "",
        .trial = trial,
    };
    c->o.on_event(&ev, c->o.user);
}

/* One wake-up of the watcher: flags and events.  True once the worker is done. */
static bool watch_once(amlp_ctx *c, double *last, size_t *emitted, const char **last_phase)
{
    double now = aml_now();
    pthread_mutex_lock(&c->mu);
    if (c->o.cancel && *c->o.cancel && !c->interrupted) {
        c->interrupted = true;
        c->fit_cancel = 1;
    }
    if (now > c->phase_deadline && c->phase_deadline > 0)
        c->fit_cancel = 1;
    while (*emitted < c->run->n_trials) {
        emit(c, AML_SEARCH_EVENT_TRIAL, &c->run->trials[*emitted].info, now);
        (*emitted)++;
    }
    if (c->phase != *last_phase) {
        *last_phase = c->phase;
        emit(c, AML_SEARCH_EVENT_PHASE, NULL, now);
    }
    double iv = c->o.event_interval > 0 ? c->o.event_interval : 0.5;
    if (now - *last >= iv) {
        *last = now;
        emit(c, AML_SEARCH_EVENT_PROGRESS, NULL, now);
    }
    bool done = c->worker_done;
    pthread_mutex_unlock(&c->mu);
    return done;
}

int amlp_search_watch(amlp_ctx *c, void *(*worker)(void *), void *arg, aml_error *err)
{
    pthread_t th;
    if (pthread_create(&th, NULL, worker, arg) != 0)
        return aml_error_set(err, AML_EINTERNAL, 0, 0, "", "cannot start the search thread");
    double last = 0;
    size_t emitted = 0;
    const char *last_phase = NULL;
    for (;;) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        if (watch_once(c, &last, &emitted, &last_phase))
            break;
    }
    pthread_join(th, NULL);
    int rc = c->rc;
    if (rc && err)
        *err = c->err;
    c->run->seconds = aml_now() - c->t0;
    c->phase = "done";
    emit(c, AML_SEARCH_EVENT_DONE, NULL, aml_now());
    return rc;
}
