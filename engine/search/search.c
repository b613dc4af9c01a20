/*
 * search.c — the AutoML search driver (aml_search_run): detects the task,
 * splits off the test rows, evaluates the strategy's configurations by
 * cross-validation on cached prepared folds in a worker thread while the
 * calling thread watches the budget and the cancel flag and sends events,
 * then selects an ensemble, refits it on all non-test rows and scores it on
 * the test split.
 */
#include "search/search_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

aml_search_options aml_search_options_default(void)
{
    aml_search_options o;
    memset(&o, 0, sizeof o);
    o.budget_seconds = 60;
    o.strategy = "auto";
    o.test_fraction = 0.10;
    o.seed = 42;
    o.features = true;
    o.ensemble = true;
    o.leak_check = true;
    o.class_weights = true;
    o.event_interval = 0.5;
    o.flip = -1;
    return o;
}

int amlp_ctx_exclude(amlp_ctx *c, const char *name)
{
    char **e = amlp_realloc(c->exclude, (c->n_exclude + 1) * sizeof *e);
    if (!e)
        return AML_ENOMEM;
    c->exclude = e;
    e[c->n_exclude] = amlp_strdup(name);
    if (!e[c->n_exclude])
        return AML_ENOMEM;
    c->n_exclude++;
    return 0;
}

int amlp_ctx_note(amlp_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **n = amlp_realloc(c->run->notes, (c->run->n_notes + 1) * sizeof *n);
    if (!n)
        return AML_ENOMEM;
    c->run->notes = n;
    n[c->run->n_notes] = amlp_strdup(buf);
    if (!n[c->run->n_notes])
        return AML_ENOMEM;
    c->run->n_notes++;
    return 0;
}

/* The learner's parameters for a configuration at its fidelity. */
static void fidelity_params(const amlp_config *cfg, aml_params *p)
{
    *p = cfg->params;
    double f = cfg->fidelity;
    if (f >= 1)
        return;
    if (strcmp(cfg->kind, "xgb") == 0 || strcmp(cfg->kind, "rf") == 0) {
        double n = aml_params_get(p, "n_estimators", 100) * f;
        aml_params_set(p, "n_estimators", n < 50 ? 50 : round(n));
    } else if (strcmp(cfg->kind, "mlp") == 0) {
        double n = aml_params_get(p, "epochs", 50) * f;
        aml_params_set(p, "epochs", n < 5 ? 5 : round(n));
    }
}

static bool early_stops(const char *kind)
{
    return strcmp(kind, "xgb") == 0 || strcmp(kind, "mlp") == 0;
}

/* Fits one learner; with fidelity < 1 on a kind without rounds, on a share
 * of the rows. */
static int fit_one(amlp_ctx *c, const amlp_config *cfg, const aml_matrix *X, const float *y,
                   const float *w, const aml_matrix *Xv, const float *yv, aml_learner **out,
                   aml_error *err)
{
    aml_params p;
    fidelity_params(cfg, &p);
    aml_learner *l = NULL;
    int rc = aml_learner_new(cfg->kind, &p, &l, err);
    if (rc)
        return rc;
    aml_matrix *Xs = NULL;
    float *ys = NULL, *ws = NULL;
    if (cfg->fidelity < 1 && !early_stops(cfg->kind) && strcmp(cfg->kind, "rf") != 0) {
        size_t step = (size_t)ceil(1.0 / cfg->fidelity), n = (X->rows + step - 1) / step;
        size_t *idx = amlp_malloc((n ? n : 1) * sizeof *idx);
        ys = amlp_malloc((n ? n : 1) * sizeof *ys);
        ws = w ? amlp_malloc((n ? n : 1) * sizeof *ws) : NULL;
        if (!idx || !ys || (w && !ws))
            rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        for (size_t i = 0; rc == 0 && i < n; i++) {
            idx[i] = i * step;
            ys[i] = y[i * step];
            if (ws)
                ws[i] = w[i * step];
        }
        rc = rc ? rc : aml_matrix_take_rows(X, idx, n, &Xs);
        amlp_free(idx);
    }
    aml_fit_data d = {
        .task = c->task,
        .n_classes = c->k,
        .X = Xs ? Xs : X,
        .y = Xs ? ys : y,
        .weight = Xs ? ws : w,
        .class_weight = c->class_w,
        .X_valid = early_stops(cfg->kind) ? Xv : NULL,
        .y_valid = early_stops(cfg->kind) ? yv : NULL,
    };
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.cancel = &c->fit_cancel;
    ctl.threads = c->o.threads;
    ctl.seed = c->o.seed;
    rc = rc ? rc : aml_learner_fit(l, &d, &ctl, err);
    aml_matrix_free(Xs);
    amlp_free(ys);
    amlp_free(ws);
    if (rc) {
        aml_learner_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

typedef struct keep {
    aml_learner *l[16];
    size_t n;
    size_t trial;
} keep;

static void keep_free(keep *k)
{
    for (size_t i = 0; i < k->n; i++)
        aml_learner_free(k->l[i]);
    k->n = 0;
}

static int features_fit(amlp_ctx *c, unsigned steps, const aml_matrix *X, const float *y,
                        const aml_prep *p, aml_features **out, aml_error *err);

/* Evaluates a configuration (with its feature steps, t->feat_steps) over the
 * folds into trial t; the best trial's fold models go to `fold_models`
 * (may be NULL). */
static void evaluate(amlp_ctx *c, amlp_trial *t, keep *fold_models)
{
    size_t w = c->task == AML_TASK_MULTICLASS ? c->k : 1;
    int v = amlp_kind_variant(t->cfg.kind);
    aml_error err;
    memset(&err, 0, sizeof err);
    t->oof = amlp_malloc(c->n_train * w * sizeof *t->oof);
    keep local = {{0}, 0, 0};
    int rc = t->oof ? 0 : aml_error_set(&err, AML_ENOMEM, 0, 0, "", "out of memory");
    double sum = 0, sum2 = 0;
    size_t nf = c->n_folds;
    for (size_t f = 0; rc == 0 && f < nf; f++) {
        const amlp_foldmat *m;
        rc = amlp_fold_get(c, v, f, &m, &err);
        if (rc)
            break;
        double t1 = aml_now();
        aml_learner *l = NULL;
        aml_features *fe = NULL;
        aml_matrix *Ft = NULL, *Fv = NULL;
        if (t->feat_steps) {
            rc = features_fit(c, t->feat_steps, m->Xtr, m->ytr, m->prep, &fe, &err);
            rc = rc ? rc : aml_features_apply(fe, m->Xtr, &Ft, &err);
            rc = rc ? rc : aml_features_apply(fe, m->Xva, &Fv, &err);
            aml_features_free(fe);
        }
        const aml_matrix *Xt = Ft ? Ft : m->Xtr, *Xv = Fv ? Fv : m->Xva;
        rc = rc ? rc : fit_one(c, &t->cfg, Xt, m->ytr, m->wtr, Xv, m->yva, &l, &err);
        double t2 = aml_now();
        t->info.fit_seconds += t2 - t1;
        if (rc == 0 && c->fit_cancel)
            rc = AML_ECANCELED;
        float *pred = rc ? NULL : amlp_malloc((m->n_va ? m->n_va : 1) * w * sizeof *pred);
        if (rc == 0 && !pred)
            rc = aml_error_set(&err, AML_ENOMEM, 0, 0, "", "out of memory");
        rc = rc ? rc : aml_learner_predict(l, Xv, pred, &err);
        aml_matrix_free(Ft);
        aml_matrix_free(Fv);
        t->info.predict_seconds += aml_now() - t2;
        double s = NAN;
        rc = rc ? rc : aml_metric_score(c->metric, c->task, c->k, m->yva, pred, NULL, m->n_va, &s, &err);
        if (rc == 0) {
            for (size_t i = 0; i < m->n_va; i++)
                memcpy(t->oof + m->va_pos[i] * w, pred + i * w, w * sizeof *pred);
            t->fold_scores[f] = s;
            sum += s;
            sum2 += s * s;
            t->n_folds++;
            local.l[local.n++] = l;
            l = NULL;
        }
        amlp_free(pred);
        aml_learner_free(l);
    }
    if (rc == 0 && nf == 1) {
        /* holdout: the oof vector is only meaningful on fold-0 rows */
        amlp_free(t->oof);
        t->oof = NULL;
    }
    if (rc) {
        t->info.status = rc == AML_ECANCELED ? AML_TRIAL_CANCELED : AML_TRIAL_FAILED;
        t->error_s = amlp_strdup(rc == AML_ECANCELED ? "canceled" : err.text[0] ? err.text : aml_strerror(rc));
        amlp_free(t->oof);
        t->oof = NULL;
        t->info.score = NAN;
        keep_free(&local);
    } else {
        t->info.status = AML_TRIAL_OK;
        t->info.score = sum / (double)t->n_folds;
        double var = sum2 / (double)t->n_folds - t->info.score * t->info.score;
        t->info.score_std = var > 0 ? sqrt(var) : 0;
        if (fold_models && !t->feat_steps &&
            (!fold_models->n || amlp_better(c, t->info.score, c->run->trials[fold_models->trial].info.score))) {
            keep_free(fold_models);
            *fold_models = local;
            /* `t` is the caller's copy on its stack; its slot in the run's
             * trials is id - 1 (append_trial reserved it) */
            fold_models->trial = t->info.id - 1;
        } else {
            keep_free(&local);
        }
    }
    t->info.error = t->error_s ? t->error_s : "";
}


/* Refits a configuration on all training rows (a tenth kept aside for early
 * stopping where the kind does it) into model m.  Returns 0 or a code. */
static void features_text(unsigned steps, char *text, size_t cap);

static int refit(amlp_ctx *c, aml_model *m, const amlp_config *cfg, double weight,
                 int prep_idx[2], unsigned feat_steps, aml_error *err)
{
    int v = amlp_kind_variant(cfg->kind);
    int rc = 0;
    if (prep_idx[v] < 0) {
        aml_prep_options po = amlp_prep_variant(c, v);
        aml_prep *p = NULL;
        rc = aml_prep_fit(c->frame, c->train, c->n_train, &po, &p, err);
        if (rc)
            return rc;
        if (m->n_preps == 0 && (rc = amlp_model_set_classes(m, p)) != 0) {
            aml_prep_free(p);
            return rc;
        }
        prep_idx[v] = amlp_model_add_prep(m, p);
        if (prep_idx[v] < 0)
            return prep_idx[v];
    }
    aml_prep *p = m->preps[prep_idx[v]];
    aml_matrix *X = NULL, *Xa = NULL, *Xb = NULL;
    float *y = NULL;
    rc = aml_prep_transform(p, c->frame, c->train, c->n_train, &X, &y, err);
    size_t n = c->n_train, nb = early_stops(cfg->kind) ? n / 10 : 0, na = n - nb;
    size_t *ia = amlp_malloc((na ? na : 1) * sizeof *ia), *ib = amlp_malloc((nb ? nb : 1) * sizeof *ib);
    float *ya = amlp_malloc((na ? na : 1) * sizeof *ya), *yb = amlp_malloc((nb ? nb : 1) * sizeof *yb);
    float *wa = c->w_train ? amlp_malloc((na ? na : 1) * sizeof *wa) : NULL;
    if (rc == 0 && (!ia || !ib || !ya || !yb || (c->w_train && !wa)))
        rc = aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    if (rc == 0) {
        size_t a = 0, b = 0;
        for (size_t i = 0; i < n; i++) {
            if (nb && i % 10 == 9 && b < nb) {
                ib[b] = i;
                yb[b++] = y[i];
            } else {
                if (wa)
                    wa[a] = c->w_train[i];
                ia[a] = i;
                ya[a++] = y[i];
            }
        }
        na = a;
        nb = b;
        rc = aml_matrix_take_rows(X, ia, na, &Xa);
        if (rc == 0 && nb)
            rc = aml_matrix_take_rows(X, ib, nb, &Xb);
    }
    aml_learner *l = NULL;
    aml_features *fe = NULL;
    if (rc == 0 && feat_steps) {
        aml_matrix *Fa = NULL, *Fb = NULL;
        rc = features_fit(c, feat_steps, Xa, ya, p, &fe, err);
        rc = rc ? rc : aml_features_apply(fe, Xa, &Fa, err);
        if (rc == 0 && Xb)
            rc = aml_features_apply(fe, Xb, &Fb, err);
        aml_matrix_free(Xa);
        aml_matrix_free(Xb);
        Xa = Fa;
        Xb = Fb;
    }
    rc = rc ? rc : fit_one(c, cfg, Xa, ya, wa, Xb, nb ? yb : NULL, &l, err);
    if (rc == 0 && c->fit_cancel) {
        aml_learner_free(l);
        rc = aml_error_set(err, AML_ECANCELED, 0, 0, "", "refit canceled at the deadline");
    }
    if (rc == 0) {
        char text[768];
        amlp_config_text(cfg, text, sizeof text);
        features_text(feat_steps, text, sizeof text);
        int idx = amlp_model_add_member(m, cfg->kind, text, weight, (size_t)prep_idx[v], l);
        rc = idx < 0 ? idx : fe ? amlp_model_set_features(m, (size_t)idx, fe) : 0;
        fe = NULL;
    }
    aml_features_free(fe);
    aml_matrix_free(X);
    aml_matrix_free(Xa);
    aml_matrix_free(Xb);
    aml_free(y);
    amlp_free(ia);
    amlp_free(ib);
    amlp_free(ya);
    amlp_free(yb);
    amlp_free(wa);
    return rc;
}

static aml_model *new_model(amlp_ctx *c)
{
    aml_model *m = amlp_model_new(c->task, c->k, c->metric, c->o.target);
    if (!m)
        return NULL;
    size_t ncol = aml_frame_ncols(c->frame), n = 0;
    const char **cols = amlp_malloc((ncol ? ncol : 1) * sizeof *cols);
    if (!cols) {
        aml_model_free(m);
        return NULL;
    }
    for (size_t j = 0; j < ncol; j++) {
        const char *name = aml_frame_col_name(c->frame, j);
        bool skip = strcmp(name, c->o.target) == 0 || (c->o.weight && strcmp(name, c->o.weight) == 0);
        for (size_t e = 0; e < c->n_exclude && !skip; e++)
            skip = strcmp(name, c->exclude[e]) == 0;
        if (!skip && !(aml_frame_col_flags(c->frame, j) & AML_COL_ID))
            cols[n++] = name;
    }
    int rc = amlp_model_set_inputs(m, c->frame, cols, n);
    amlp_free(cols);
    if (rc) {
        aml_model_free(m);
        return NULL;
    }
    return m;
}

/* The fold models of the best trial as a bagged model (when the refit could
 * not run). */
static aml_model *fold_model(amlp_ctx *c, keep *km)
{
    if (km->n == 0)
        return NULL;
    aml_model *m = new_model(c);
    int v = amlp_kind_variant(c->run->trials[km->trial].cfg.kind);
    int rc = m ? 0 : AML_ENOMEM;
    for (size_t f = 0; rc == 0 && f < km->n; f++) {
        unsigned char *b = NULL;
        size_t len = 0;
        aml_prep *p = NULL;
        rc = aml_prep_save(c->cache[v][f].prep, &b, &len, NULL);
        rc = rc ? rc : aml_prep_load(b, len, &p, NULL);
        aml_free(b);
        if (rc == 0 && f == 0)
            rc = amlp_model_set_classes(m, p);
        int pi = rc ? rc : amlp_model_add_prep(m, p);
        if (pi < 0) {
            rc = pi;
            break;
        }
        const amlp_trial *t = &c->run->trials[km->trial];
        rc = amlp_model_add_member(m, t->cfg.kind, t->info.params, 1.0 / (double)km->n,
                                   (size_t)pi, km->l[f]);
        km->l[f] = NULL;
        rc = rc < 0 ? rc : 0;
    }
    km->n = 0;
    if (rc == 0)
        rc = amlp_model_finish(m, "Fitted on the cross-validation folds (the run stopped before "
                                  "the final refit).");
    if (rc) {
        aml_model_free(m);
        return NULL;
    }
    return m;
}

/* Fits the feature steps `steps` (AML_FEATURES_*) on a training matrix (the
 * fold's or the refit's). */
static int features_fit(amlp_ctx *c, unsigned steps, const aml_matrix *X, const float *y,
                        const aml_prep *p, aml_features **out, aml_error *err)
{
    aml_features_options fo = aml_features_options_default();
    fo.seed = c->o.seed;
    fo.steps = steps;
    return aml_features_fit(X, y, c->task, c->k, p, NULL, &fo, out, err);
}

/* The feature-engineering steps, each a search choice tried on the best
 * configuration in this order (cheap and most often useful first) and kept
 * only when validation improves. */
static const struct {
    unsigned step;
    const char *name;
    const char *tag;   /* in the leaderboard's parameters */
} feature_steps[] = {
    {AML_FEATURES_CONSTRUCT, "ratios, products and differences of the top numeric pairs",
     "pairs"},
    {AML_FEATURES_GROUP, "frequency encodings and group statistics", "groups"},
    {AML_FEATURES_SELECT, "importance-based selection", "selection"},
    {AML_FEATURES_KMEANS, "k-means cluster distances", "kmeans"},
    {AML_FEATURES_PCA, "PCA components", "pca"},
};

static void journal_line(amlp_ctx *c, const amlp_trial *t);

/* Appends " + features: pairs, groups" (the steps' tags) to a trial's
 * parameter text. */
static void features_text(unsigned steps, char *text, size_t cap)
{
    size_t len = strlen(text);
    const char *sep = " + features: ";
    for (size_t i = 0; i < sizeof feature_steps / sizeof *feature_steps; i++)
        if ((steps & feature_steps[i].step) && len < cap) {
            len += (size_t)snprintf(text + len, cap - len, "%s%s", sep, feature_steps[i].tag);
            sep = ", ";
        }
}

static void trial_free(amlp_trial *t)
{
    amlp_free(t->params_s);
    amlp_free(t->error_s);
    amlp_free(t->oof);
    memset(t, 0, sizeof *t);
}

/* Tries the feature steps on trial `best` one after the other (greedy
 * forward selection), each evaluated over the same folds, while the time
 * allowed (a quarter of the budget, and `until`) lasts.  The kept
 * combination becomes a trial of its own (in the leaderboard, an ensemble
 * candidate).  Returns its index, or SIZE_MAX when no step was kept.  The
 * outcome of every step goes to c->feat_note. */
static size_t try_features(amlp_ctx *c, size_t best, double until)
{
    if (c->feat_tried || best == SIZE_MAX ||
        (c->o.max_trials && c->run->n_trials >= c->o.max_trials))
        return SIZE_MAX;   /* the kept combination would be one trial too many */
    c->feat_tried = true;
    const amlp_trial *base = &c->run->trials[best];
    double cur = base->info.score, allow = 0.25 * c->o.budget_seconds, spent = 0;
    double est = 1.5 * (base->info.fit_seconds + base->info.predict_seconds);
    unsigned kept = 0;
    amlp_trial held;
    memset(&held, 0, sizeof held);
    size_t len = (size_t)snprintf(c->feat_note, sizeof c->feat_note,
                                  "Feature engineering (each step kept only when validation %s "
                                  "improves on %.4f):", aml_metric_name(c->metric), cur);
    const size_t ns = sizeof feature_steps / sizeof *feature_steps;
    for (size_t i = 0; i < ns && !c->interrupted; i++) {
        const char *out = NULL;
        char buf[256];
        if (spent + est > allow || aml_now() + est > until) {
            out = "not tried (out of time)";
        } else {
            amlp_trial t;
            memset(&t, 0, sizeof t);
            t.cfg = base->cfg;
            t.feat_steps = kept | feature_steps[i].step;
            t.info.id = c->run->n_trials + 1;
            double t1 = aml_now();
            evaluate(c, &t, NULL);
            double cost = aml_now() - t1;
            spent += cost;
            est = cost > est ? cost : 0.5 * (est + cost);
            if (t.info.status == AML_TRIAL_OK && amlp_better(c, t.info.score, cur)) {
                snprintf(buf, sizeof buf, "kept (%.4f)", t.info.score);
                cur = t.info.score;
                kept = t.feat_steps;
                trial_free(&held);
                held = t;
            } else {
                if (t.info.status == AML_TRIAL_OK)
                    snprintf(buf, sizeof buf, "not kept (%.4f)", t.info.score);
                else
                    snprintf(buf, sizeof buf, "not kept (%s)",
                             t.info.status == AML_TRIAL_CANCELED ? "out of time" : t.info.error);
                trial_free(&t);
            }
            out = buf;
        }
        if (len < sizeof c->feat_note)
            len += (size_t)snprintf(c->feat_note + len, sizeof c->feat_note - len, "%s %s %s",
                                    i ? ";" : "", feature_steps[i].name, out);
    }
    if (len < sizeof c->feat_note)
        snprintf(c->feat_note + len, sizeof c->feat_note - len, ".");
    if (!kept)
        return SIZE_MAX;
    /* the kept combination: a trial like the others (journaled, so a
     * resumed run does not try the steps again) */
    char text[768];
    snprintf(text, sizeof text, "%s", base->info.params);
    features_text(kept, text, sizeof text);
    amlp_trial *slot;
    if (amlp_trial_slot(c, &slot) != 0) {
        trial_free(&held);
        return SIZE_MAX;
    }
    held.hash = base->hash ^ (0x9e3779b97f4a7c15ull * kept);
    held.info.id = c->run->n_trials + 1;
    held.info.kind = held.cfg.kind;
    held.info.fidelity = held.cfg.fidelity;
    held.params_s = amlp_strdup(text);
    held.info.params = held.params_s ? held.params_s : "";
    held.info.finished_at = aml_now() - c->t0;
    pthread_mutex_lock(&c->mu);
    *slot = held;
    c->run->n_trials++;
    pthread_mutex_unlock(&c->mu);
    journal_line(c, slot);
    return c->run->n_trials - 1;
}

/* The feature steps tried on the best trial; the kept combination becomes
 * the best when it validates better. */
static void features_phase(amlp_ctx *c, size_t *best, double until)
{
    size_t f = try_features(c, *best, until);
    if (f == SIZE_MAX)
        return;
    aml_run *r = c->run;
    pthread_mutex_lock(&c->mu);
    if (amlp_better(c, r->trials[f].info.score, r->trials[*best].info.score)) {
        *best = f;
        amlp_run_add_curve(r, r->trials[f].info.finished_at, r->trials[f].info.score);
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- the worker: the search loop, the ensemble and the refit ---- */


/* Appends a finished trial to the journal (and its out-of-fold predictions
 * beside it, first, so a line never names a missing file).  A failing
 * journal does not stop the search: the user gets a note, once. */
static void journal_line(amlp_ctx *c, const amlp_trial *t)
{
    size_t w = c->task == AML_TASK_MULTICLASS ? c->k : 1;
    amlp_trial_journal(c, t, c->n_train * w);
}

/* The limits of the worker's loop and phases. */
enum {
    /* learner kinds a search can hold (the registry has fewer) */
    SEARCH_MAX_KINDS = 16,
    /* proposals in a row that are too costly for the time left or cannot
     * run on this data before the search stops: the strategy has had its
     * chance to offer something that fits */
    SEARCH_MAX_SKIPPED = 64,
    /* proposals in a row already tried before the search counts as
     * converged: a strategy that only repeats itself has nothing new */
    SEARCH_MAX_DUPLICATES = 200,
    /* the best trials the ensemble may draw from, and its selection rounds */
    ENSEMBLE_MAX_CANDIDATES = 10,
    ENSEMBLE_ROUNDS = 50,
};

/* What the worker's phases share: the space and the strategy, the deadline,
 * the best trial so far and its fold models, and the ensemble chosen. */
typedef struct search_state {
    const amlp_strategy_ops *ops;
    const char *kinds[SEARCH_MAX_KINDS];
    const aml_param_spec *specs[SEARCH_MAX_KINDS];
    size_t nspec[SEARCH_MAX_KINDS];
    amlp_space space;
    double est_kind[SEARCH_MAX_KINDS];   /* seconds per unit of fidelity, per kind */
    void *st;
    keep km;
    double deadline;
    size_t best;
    double best_cost;
    size_t dup, skipped;
    double best_score;
    /* the ensemble: candidates (trial indices), weights, validation score */
    size_t cidx[ENSEMBLE_MAX_CANDIDATES], nc;
    double wts[ENSEMBLE_MAX_CANDIDATES];
    double ens_score;
    bool use_ens;
} search_state;

/* The expected seconds of refitting trial t once on all non-test rows: its
 * fit time per fold scaled from a fold's share of the rows to all of them
 * (a holdout's single fit by 1.25). */
static double refit_cost(const amlp_ctx *c, const amlp_trial *t)
{
    double n = (double)c->n_folds;
    return t->info.fit_seconds / n * (c->n_folds > 1 ? n / (n - 1) : 1.25);
}

/* The seconds kept back from the search for the final refit: the best once
 * with a margin (1.3), or the best and then the ensemble's members, whose
 * fits together cost about as much again (2.5), plus 0.3 s for building
 * the model and scoring the test split. */
static double refit_reserve(const amlp_ctx *c, double best_cost)
{
    return best_cost * (c->o.ensemble ? 2.5 : 1.3) + 0.3;
}

/* Keeps the out-of-fold vectors of the AMLP_KEEP_OOF best trials only (the
 * ensemble draws from the top of the leaderboard): memory stays bounded
 * however many trials run. */
static void trim_oof(amlp_ctx *c)
{
    aml_run *r = c->run;
    size_t held = 0, worst = SIZE_MAX;
    for (size_t i = 0; i < r->n_trials; i++) {
        if (!r->trials[i].oof)
            continue;
        held++;
        if (worst == SIZE_MAX || amlp_better(c, r->trials[worst].info.score, r->trials[i].info.score))
            worst = i;
    }
    if (held > AMLP_KEEP_OOF) {
        amlp_free(r->trials[worst].oof);
        r->trials[worst].oof = NULL;
    }
}

/* The trials read back from the journal become the run's first trials, with
 * parameter names and kinds mapped to the space's own strings.  OUT: *best,
 * *best_cost.  A trial of a kind or parameter no longer in the space is
 * left out (it cannot be refitted). */
static int restore_trials(amlp_ctx *c, const amlp_space *sp, size_t *best, double *best_cost,
                          double *est_kind)
{
    aml_run *r = c->run;
    size_t w = c->task == AML_TASK_MULTICLASS ? c->k : 1;
    size_t restored = 0, dropped = 0;
    for (size_t i = 0; i < c->n_jt; i++) {
        const amlp_journal_trial *j = &c->jt[i];
        if (j->status == AML_TRIAL_CANCELED)
            continue;   /* stopped by a deadline: not a result, may run again */
        size_t ki = 0;
        while (ki < sp->n_kinds && strcmp(sp->kinds[ki], j->kind) != 0)
            ki++;
        amlp_config cfg;
        memset(&cfg, 0, sizeof cfg);
        bool ok = ki < sp->n_kinds;
        if (ok) {
            cfg.kind = sp->kinds[ki];
            cfg.fidelity = j->fidelity;
        }
        for (size_t p = 0; ok && p < j->params.n; p++) {
            size_t s = 0;
            while (s < sp->n_specs[ki] && strcmp(sp->specs[ki][s].name, j->params.name[p]) != 0)
                s++;
            ok = s < sp->n_specs[ki] && aml_params_set(&cfg.params, sp->specs[ki][s].name,
                                                        j->params.value[p]) == 0;
        }
        if (!ok) {
            dropped++;
            continue;
        }
        amlp_trial *t;
        int rc = amlp_trial_slot(c, &t);
        if (rc)
            return rc;
        amlp_trial tmp;
        memset(&tmp, 0, sizeof tmp);
        tmp.cfg = cfg;
        tmp.feat_steps = j->features;
        tmp.hash = amlp_config_hash(&cfg) ^ (0x9e3779b97f4a7c15ull * j->features);
        tmp.info.id = r->n_trials + 1;
        tmp.info.kind = cfg.kind;
        tmp.info.fidelity = cfg.fidelity;
        tmp.info.status = (aml_trial_status)j->status;
        tmp.info.score = j->status == AML_TRIAL_OK ? j->score : NAN;
        tmp.info.score_std = j->score_std;
        tmp.info.fit_seconds = j->fit_seconds;
        tmp.info.predict_seconds = j->predict_seconds;
        tmp.info.finished_at = j->finished_at;
        tmp.info.n_iterations = j->n_iterations;
        tmp.info.resumed = true;
        tmp.n_folds = j->n_folds < 16 ? j->n_folds : 16;
        memcpy(tmp.fold_scores, j->fold_scores, sizeof tmp.fold_scores);
        char text[768];
        amlp_config_text(&cfg, text, sizeof text);
        if (j->features) {
            features_text(j->features, text, sizeof text);
            c->feat_tried = true;   /* not again: its outcome is this trial */
            snprintf(c->feat_note, sizeof c->feat_note, "Feature engineering: the kept steps "
                     "were read back from the journal.");
        }
        tmp.params_s = amlp_strdup(text);
        tmp.error_s = amlp_strdup(j->error ? j->error : "");
        if (!tmp.params_s || !tmp.error_s) {
            amlp_free(tmp.params_s);
            amlp_free(tmp.error_s);
            return AML_ENOMEM;
        }
        tmp.info.params = tmp.params_s;
        tmp.info.error = tmp.error_s;
        if (j->status == AML_TRIAL_OK && c->n_folds > 1 && c->journal)
            tmp.oof = amlp_journal_get_oof(c->journal, j->id, c->n_train * w);
        double cost = tmp.info.fit_seconds + tmp.info.predict_seconds;
        if (cfg.fidelity > 0 && cost / cfg.fidelity > est_kind[ki])
            est_kind[ki] = cost / cfg.fidelity;
        pthread_mutex_lock(&c->mu);
        *t = tmp;
        r->n_trials++;
        if (t->info.status == AML_TRIAL_OK && t->info.score == t->info.score &&
            (*best == SIZE_MAX || amlp_better(c, t->info.score, r->trials[*best].info.score))) {
            *best = r->n_trials - 1;
            *best_cost = refit_cost(c, t);
            amlp_run_add_curve(r, 0, t->info.score);
        }
        pthread_mutex_unlock(&c->mu);
        trim_oof(c);
        restored++;
    }
    if (c->o.resume)
        amlp_ctx_note(c, "resumed %zu finished trials from the journal in %s%s", restored,
                      c->o.journal_dir, dropped ? " (some of kinds or parameters no longer searched were left out)" : "");
    return 0;
}

/* Phase 1, the space: the learner kinds in play (opts.models, those that
 * support the task) and the strategy's state over them.  Leaves s->space,
 * s->st and s->deadline. */
static int space_phase(amlp_ctx *c, search_state *s)
{
    size_t nk = 0;
    const char *const *all = aml_learner_kinds();
    for (size_t i = 0; all[i] && nk < SEARCH_MAX_KINDS; i++) {
        bool want = c->o.models == NULL;
        for (size_t j = 0; !want && j < c->o.n_models; j++)
            want = strcmp(c->o.models[j], all[i]) == 0;
        if (want && aml_learner_supports(all[i], c->task)) {
            s->kinds[nk] = all[i];
            s->specs[nk] = aml_learner_space(all[i], &s->nspec[nk]);
            nk++;
        }
    }
    s->space = (amlp_space){nk, s->kinds, s->specs, s->nspec};
    s->deadline = c->t0 + c->o.budget_seconds;
    if (nk == 0)
        return aml_error_set(&c->err, AML_EINVAL, 0, 0, "", "no learner kind supports the %s task",
                             aml_task_name(c->task));
    return s->ops->create(&s->space, c->o.seed, &s->st, &c->err);
}

/* Whether the loop stops before asking for another proposal (interrupt,
 * trial limit); sets the stop reason. */
static bool loop_limits(amlp_ctx *c)
{
    if (c->interrupted) {
        c->run->stop = AML_STOP_INTERRUPTED;
        return true;
    }
    if (c->o.max_trials && c->run->n_trials >= c->o.max_trials) {
        c->run->stop = AML_STOP_MAX_TRIALS;
        return true;
    }
    return false;
}

/* The feature steps are due after the portfolio (auto) or six trials (when
 * they come does not depend on the limits, so a resumed run goes on as the
 * uninterrupted one would have). */
static bool features_due(const amlp_ctx *c, const search_state *s)
{
    if (!c->o.features || c->feat_tried || s->best == SIZE_MAX)
        return false;
    return s->ops == &amlp_strategy_auto ? strcmp(amlp_auto_phase(s->st), "portfolio") != 0
                                         : c->run->n_trials >= 6;
}

typedef enum { PROPOSAL_RUN, PROPOSAL_SKIP, PROPOSAL_STOP } proposal_verdict;

/* Whether a proposal of kind index ki runs: one too costly for the time
 * left before search_end, or one that cannot run on this data, is told back
 * as failed so the strategy proposes others (a cheaper kind often fits);
 * the loop stops when the time is up or nothing proposed fits (only where
 * the run stops depends on time).  Sets the stop reason on STOP. */
static proposal_verdict proposal_fits(amlp_ctx *c, search_state *s, const amlp_config *cfg,
                                      size_t ki, double search_end)
{
    aml_run *r = c->run;
    double expect = ki < s->space.n_kinds ? s->est_kind[ki] * cfg->fidelity : 0;
    if (!c->o.max_trials && aml_now() + expect > search_end && r->n_trials > 0) {
        if (aml_now() >= search_end || ++s->skipped > SEARCH_MAX_SKIPPED) {
            r->stop = AML_STOP_BUDGET;
            return PROPOSAL_STOP;
        }
        s->ops->tell(s->st, cfg, INFINITY, 0);
        return PROPOSAL_SKIP;
    }
    if (!amlp_config_applies(c, cfg)) {
        if (++s->skipped > SEARCH_MAX_SKIPPED) {
            r->stop = AML_STOP_CONVERGED;
            return PROPOSAL_STOP;
        }
        s->ops->tell(s->st, cfg, INFINITY, 0);
        return PROPOSAL_SKIP;
    }
    s->skipped = 0;
    return PROPOSAL_RUN;
}

/* The strategy's loss for a trial's outcome (lower is better). */
static double trial_loss(const amlp_ctx *c, const amlp_trial *t)
{
    if (t->info.status != AML_TRIAL_OK)
        return INFINITY;
    return aml_metric_higher_is_better(c->metric) ? -t->info.score : t->info.score;
}

/* Whether a configuration (hash h) was tried already; the strategy is told
 * its result.  A resumed trial proposed again is a replay: the strategy
 * learns its result (and cost) as if it had just run, and continues from
 * there.  OUT: *replay. */
static bool tried_before(amlp_ctx *c, search_state *s, const amlp_config *cfg, uint64_t h,
                         bool *replay)
{
    aml_run *r = c->run;
    *replay = false;
    for (size_t i = 0; i < r->n_trials; i++)
        if (r->trials[i].hash == h) {
            amlp_trial *o = &r->trials[i];
            *replay = o->info.resumed && !o->replayed;
            o->replayed = true;
            s->ops->tell(s->st, cfg, trial_loss(c, o),
                         *replay ? o->info.fit_seconds + o->info.predict_seconds : 0);
            return true;
        }
    return false;
}

/* Runs one new trial of cfg (hash h, kind index ki): evaluates it, records
 * it (leaderboard candidate, journal, learning curve, best), and tells the
 * strategy.  Returns whether the loop stops (a canceled trial, an error in
 * c->rc). */
static bool run_trial(amlp_ctx *c, search_state *s, const amlp_config *cfg, uint64_t h, size_t ki)
{
    aml_run *r = c->run;
    amlp_trial *t;
    if ((c->rc = amlp_trial_slot(c, &t)) != 0)
        return true;
    amlp_trial tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.cfg = *cfg;
    tmp.hash = h;
    tmp.info.id = r->n_trials + 1;
    tmp.info.kind = cfg->kind;
    tmp.info.fidelity = cfg->fidelity;
    char text[512];
    amlp_config_text(cfg, text, sizeof text);
    tmp.params_s = amlp_strdup(text);
    tmp.info.params = tmp.params_s ? tmp.params_s : "";
    double t1 = aml_now();
    evaluate(c, &tmp, &s->km);
    double cost = aml_now() - t1;
    if (ki < s->space.n_kinds && cfg->fidelity > 0 && cost / cfg->fidelity > s->est_kind[ki])
        s->est_kind[ki] = cost / cfg->fidelity;
    tmp.info.finished_at = aml_now() - c->t0;
    pthread_mutex_lock(&c->mu);
    *t = tmp;
    r->n_trials++;
    if (t->info.status == AML_TRIAL_OK &&
        (s->best == SIZE_MAX || amlp_better(c, t->info.score, r->trials[s->best].info.score))) {
        s->best = r->n_trials - 1;
        s->best_cost = refit_cost(c, t);
        amlp_run_add_curve(r, t->info.finished_at, t->info.score);
    }
    pthread_mutex_unlock(&c->mu);
    journal_line(c, t);
    trim_oof(c);
    s->ops->tell(s->st, cfg, trial_loss(c, t), cost);
    if (t->info.status == AML_TRIAL_CANCELED) {
        r->stop = c->interrupted ? AML_STOP_INTERRUPTED : AML_STOP_BUDGET;
        return true;
    }
    return false;
}

/* Phase 2, the trial loop: asks the strategy for configurations and runs
 * them until a limit, the budget (less the refit reserve) or convergence
 * (the strategy has nothing new); the feature steps come in once on the
 * way.  Leaves the trials in the run, its stop reason, s->best and
 * s->best_cost (SIZE_MAX when no trial succeeded). */
static void trial_loop(amlp_ctx *c, search_state *s)
{
    aml_run *r = c->run;
    r->stop = AML_STOP_CONVERGED;
    amlp_set_phase(c, "searching", s->deadline);
    while (!loop_limits(c)) {
        if (features_due(c, s)) {
            double until = s->deadline - refit_reserve(c, s->best_cost);
            amlp_set_phase(c, "feature engineering", until);
            features_phase(c, &s->best, until);
            continue;   /* the limits again: the kept combination is a trial */
        }
        amlp_config cfg;
        if (s->ops->ask(s->st, &cfg) != 0)
            break;
        size_t ki = 0;
        while (ki < s->space.n_kinds && strcmp(s->kinds[ki], cfg.kind) != 0)
            ki++;
        double reserve = s->best == SIZE_MAX ? 0 : refit_reserve(c, s->best_cost);
        double search_end = s->deadline - reserve;
        proposal_verdict v = proposal_fits(c, s, &cfg, ki, search_end);
        if (v == PROPOSAL_STOP)
            break;
        if (v == PROPOSAL_SKIP)
            continue;
        uint64_t h = amlp_config_hash(&cfg);
        bool replay;
        if (tried_before(c, s, &cfg, h, &replay)) {
            if (!replay && ++s->dup > SEARCH_MAX_DUPLICATES)
                break;
            continue;
        }
        s->dup = 0;
        amlp_set_phase(c, s->ops == &amlp_strategy_auto ? amlp_auto_phase(s->st) : "searching",
                  s->best == SIZE_MAX ? s->deadline : search_end);
        if (run_trial(c, s, &cfg, h, ki))
            break;
    }
}

/* The error of a run in which no trial succeeded (c->rc, c->err), unless
 * the loop already failed with one. */
static void no_trial_error(amlp_ctx *c)
{
    const aml_run *r = c->run;
    if (c->rc != 0)
        return;
    if (c->interrupted)
        c->rc = aml_error_set(&c->err, AML_ECANCELED, 0, 0, "", "interrupted before any trial finished");
    else if (r->n_trials && r->trials[0].info.status == AML_TRIAL_CANCELED)
        c->rc = aml_error_set(&c->err, AML_ETIMEOUT, 0, 0, "",
                              "the budget of %.0f s ran out before the first trial "
                              "(%s) finished: give a larger budget, or fewer rows",
                              c->o.budget_seconds, r->trials[0].info.kind);
    else
        c->rc = aml_error_set(&c->err, AML_EINVAL, 0, 0, "", "no trial succeeded (first error: %s)",
                              r->n_trials ? r->trials[0].info.error : "none");
}

/* The feature steps when the loop ended before they were due, if the time
 * left before the refit reserve allows; otherwise a note saying why they
 * were not tried (c->feat_note).  May change s->best. */
static void features_after_loop(amlp_ctx *c, search_state *s)
{
    if (c->o.features && !c->feat_tried && !c->interrupted) {
        double until = s->deadline - refit_reserve(c, s->best_cost);
        if (aml_now() < until) {
            amlp_set_phase(c, "feature engineering", until);
            features_phase(c, &s->best, until);
        }
    }
    if (c->o.features && !c->feat_tried)
        snprintf(c->feat_note, sizeof c->feat_note, "Feature engineering was not tried: %s.",
                 c->interrupted ? "the run was interrupted first"
                 : c->run->stop == AML_STOP_MAX_TRIALS ? "the trial limit came first"
                                                       : "the budget ran out during the model search");
}

/* Phase 3, the leaderboard: the OK trials, best first, in run->board. */

/* Phase 4, the ensemble choice: a weighted ensemble selected greedily from
 * the out-of-fold predictions of the best trials.  Leaves s->cidx, s->wts,
 * s->nc, s->ens_score and s->use_ens (at least two members, and better on
 * validation than the best trial alone). */
static void ensemble_phase(amlp_ctx *c, search_state *s)
{
    aml_run *r = c->run;
    const float *cand[ENSEMBLE_MAX_CANDIDATES];
    s->ens_score = NAN;
    if (c->o.ensemble && !c->interrupted) {
        amlp_set_phase(c, "ensemble", s->deadline);
        for (size_t i = 0; i < r->n_board && s->nc < ENSEMBLE_MAX_CANDIDATES; i++)
            if (r->trials[r->board[i]].oof) {
                s->cidx[s->nc] = r->board[i];
                cand[s->nc++] = r->trials[r->board[i]].oof;
            }
        if (s->nc >= 2 &&
            amlp_ensemble_select(c->metric, c->task, c->k, c->y_train, c->w_train, c->n_train,
                                 c->task == AML_TASK_MULTICLASS ? c->k : 1, cand, s->nc,
                                 ENSEMBLE_ROUNDS, s->wts, &s->ens_score, NULL) != 0)
            s->ens_score = NAN;
    }
    size_t nmem = 0;
    for (size_t i = 0; i < s->nc; i++)
        nmem += s->wts[i] > 0;
    s->use_ens = nmem >= 2 && amlp_better(c, s->ens_score, s->best_score);
}

/* The chosen ensemble refitted on all non-test rows into run->ensemble (and
 * run->chosen_ensemble); left out when a member's refit fails. */
static void refit_ensemble(amlp_ctx *c, const search_state *s)
{
    aml_run *r = c->run;
    int pe[2] = {-1, -1};
    aml_error rerr;
    aml_model *em = new_model(c);
    int erc = em ? 0 : AML_ENOMEM;
    for (size_t i = 0; erc == 0 && i < s->nc; i++)
        if (s->wts[i] > 0)
            erc = refit(c, em, &r->trials[s->cidx[i]].cfg, s->wts[i], pe,
                        r->trials[s->cidx[i]].feat_steps, &rerr);
    erc = erc ? erc : amlp_model_finish(em, c->feat_note);
    if (erc)
        aml_model_free(em);
    else {
        r->ensemble = em;
        r->chosen_ensemble = true;
    }
}

/* Phase 5, the final refit: the best trial refitted on all non-test rows
 * (or, when that cannot run, its fold models bagged) into run->best, then
 * the chosen ensemble.  Leaves run->valid_score. */
static void final_refit_phase(amlp_ctx *c, search_state *s)
{
    aml_run *r = c->run;
    amlp_set_phase(c, "final refit", s->deadline);
    int pidx[2] = {-1, -1};
    aml_model *bm = c->interrupted ? NULL : new_model(c);
    aml_error rerr;
    int rrc = bm ? refit(c, bm, &r->trials[s->best].cfg, 1.0, pidx, r->trials[s->best].feat_steps, &rerr)
                 : AML_ECANCELED;
    rrc = rrc ? rrc : amlp_model_finish(bm, c->feat_note);
    if (rrc) {
        aml_model_free(bm);
        bm = fold_model(c, &s->km);
    }
    r->best = bm;
    if (s->use_ens && rrc == 0)
        refit_ensemble(c, s);
    r->valid_score = r->chosen_ensemble ? s->ens_score
                     : rrc == 0         ? s->best_score
                                        : r->trials[s->best].info.score;
    if (c->interrupted)
        r->stop = AML_STOP_INTERRUPTED;
}

/* Phase 6, the test score: the chosen model scored on the test split
 * (run->test_score, NAN without test rows), then the run's information and
 * pipeline description. */
static void test_score_phase(amlp_ctx *c, const search_state *s)
{
    aml_run *r = c->run;
    amlp_set_phase(c, "scoring the test split", s->deadline + 1e9);
    const aml_model *m = aml_run_model(r);
    r->test_score = NAN;
    if (m && r->n_test) {
        size_t w = aml_model_pred_width(m);
        float *pred = amlp_malloc(r->n_test * w * sizeof *pred), *yt = NULL;
        aml_matrix *X = NULL;
        if (pred && aml_prep_transform(m->preps[0], c->frame, r->test_rows, r->n_test, &X, &yt, NULL) == 0 &&
            aml_model_predict(m, c->frame, r->test_rows, r->n_test, pred, NULL) == 0) {
            double sc;
            if (aml_metric_score(c->metric, c->task, c->k, yt, pred, NULL, r->n_test, &sc, NULL) == 0)
                r->test_score = sc;
        }
        aml_matrix_free(X);
        aml_free(yt);
        amlp_free(pred);
    }
    amlp_model_attach_run_info(r, &c->o, aml_frame_nrows(c->frame), aml_now() - c->t0);
    if (m)
        r->pipeline = amlp_strdup(aml_model_describe(m));
}

/* The phases after the space, in order; stops at the first failure (c->rc). */
static void run_phases(amlp_ctx *c, search_state *s)
{
    if (c->n_jt && (c->rc = restore_trials(c, &s->space, &s->best, &s->best_cost, s->est_kind)) != 0)
        return;
    trial_loop(c, s);
    if (s->best == SIZE_MAX) {
        no_trial_error(c);
        return;
    }
    features_after_loop(c, s);
    s->best_score = c->run->trials[s->best].info.score;
    if ((c->rc = amlp_run_rank(c)) != 0)
        return;
    ensemble_phase(c, s);
    final_refit_phase(c, s);
    test_score_phase(c, s);
}

static void *worker(void *arg)
{
    amlp_ctx *c = arg;
    search_state s;
    memset(&s, 0, sizeof s);
    s.ops = amlp_strategy_find(c->o.strategy);
    s.best = SIZE_MAX;
    c->rc = space_phase(c, &s);
    if (c->rc == 0)
        run_phases(c, &s);
    keep_free(&s.km);
    if (s.st)
        s.ops->destroy(s.st);
    pthread_mutex_lock(&c->mu);
    c->worker_done = true;
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- the calling thread: setup ---- */

static json_t *str_list(const char *const *v, size_t n, bool sorted)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    if (a && sorted) {
        /* order does not change results: insertion sort by text */
        for (size_t i = 1; i < json_array_size(a); i++)
            for (size_t j = i; j > 0 && strcmp(json_string_value(json_array_get(a, j - 1)),
                                               json_string_value(json_array_get(a, j))) > 0; j--) {
                json_t *x = json_incref(json_array_get(a, j - 1));
                json_array_set(a, j - 1, json_array_get(a, j));
                json_array_set_new(a, j, x);
            }
    }
    return a;
}

/* The run's fingerprint (the data and the options that change results) and
 * the journal opened on it; on resume, the finished trials read back. */
static int open_journal(amlp_ctx *c, aml_error *err)
{
    const aml_frame *fr = c->frame;
    json_t *cols = json_array(), *data = json_object(), *opt = json_object(), *fp = json_object();
    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)c->target_hash);
    for (size_t j = 0; cols && j < aml_frame_ncols(fr); j++) {
        json_t *col = json_object();
        json_object_set_new(col, "name", json_string(aml_frame_col_name(fr, j)));
        json_object_set_new(col, "type", json_string(aml_type_name(aml_frame_col_type(fr, j))));
        json_array_append_new(cols, col);
    }
    json_object_set_new(data, "rows", json_integer((json_int_t)aml_frame_nrows(fr)));
    json_object_set_new(data, "columns", cols);
    json_object_set_new(data, "target_hash", json_string(hex));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->o.seed);
    json_object_set_new(opt, "target", json_string(c->o.target));
    json_object_set_new(opt, "task", json_string(aml_task_name(c->task)));
    json_object_set_new(opt, "metric", json_string(aml_metric_name(c->metric)));
    json_object_set_new(opt, "strategy", json_string(c->o.strategy));
    json_object_set_new(opt, "models", c->o.models ? str_list(c->o.models, c->o.n_models, true)
                                                   : json_string("all"));
    json_object_set_new(opt, "cv_folds", json_integer((json_int_t)c->n_folds));
    json_object_set_new(opt, "holdout", json_real(c->o.holdout));
    json_object_set_new(opt, "test_fraction", json_real(c->o.test_fraction));
    json_object_set_new(opt, "seed", json_string(seed));
    json_object_set_new(opt, "exclude", str_list(c->o.exclude, c->o.n_exclude, true));
    json_object_set_new(opt, "weight", c->o.weight ? json_string(c->o.weight) : json_null());
    json_object_set_new(opt, "leak_check", json_boolean(c->o.leak_check));
    json_object_set_new(opt, "class_weights", json_boolean(c->o.class_weights));
    json_object_set_new(fp, "format", json_integer(1));
    json_object_set_new(fp, "data", data);
    json_object_set_new(fp, "options", opt);
    char *s = json_dumps(fp, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(fp);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    int rc = amlp_journal_open(c->o.journal_dir, s, c->o.resume, &c->journal, &c->jt, &c->n_jt, err);
    free(s);
    return rc;
}

static int setup(amlp_ctx *c, aml_error *err)
{
    const aml_frame *fr = c->frame;
    if (!c->o.target || aml_frame_col_index(fr, c->o.target) < 0)
        return aml_error_set(err, AML_EINVAL, 0, 0, c->o.target ? c->o.target : "",
                             "no target column '%s'", c->o.target ? c->o.target : "");
    if (!(c->o.budget_seconds > 0))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "the budget must be positive");
    if (!amlp_strategy_find(c->o.strategy ? c->o.strategy : "auto"))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "unknown strategy '%s'", c->o.strategy);
    if (!c->o.strategy)
        c->o.strategy = "auto";
    if (!(c->o.test_fraction >= 0 && c->o.test_fraction < 0.5))
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "test fraction must be in [0, 0.5)");
    if (c->o.resume && !c->o.journal_dir)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "resume needs a journal directory");
    for (size_t i = 0; i < c->o.n_exclude; i++) {
        if (aml_frame_col_index(fr, c->o.exclude[i]) < 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, c->o.exclude[i], "no column '%s' to exclude",
                                 c->o.exclude[i]);
        if (amlp_ctx_exclude(c, c->o.exclude[i]))
            return AML_ENOMEM;
    }
    long wcol = -1;
    if (c->o.weight) {
        wcol = aml_frame_col_index(fr, c->o.weight);
        if (wcol < 0)
            return aml_error_set(err, AML_EINVAL, 0, 0, c->o.weight, "no weight column '%s'", c->o.weight);
        if (amlp_ctx_exclude(c, c->o.weight))
            return AML_ENOMEM;
    }
    /* the task and the target's encoding, from a pipeline over all rows */
    aml_prep_options po = aml_prep_options_default();
    po.target = c->o.target;
    po.text_features = 0;
    po.exclude = (const char *const *)c->exclude;
    po.n_exclude = c->n_exclude;
    aml_prep *p = NULL;
    int rc = aml_prep_fit(fr, NULL, 0, &po, &p, err);
    if (rc)
        return rc;
    c->task = aml_prep_task(p);
    c->k = aml_prep_n_classes(p);
    aml_matrix *X = NULL;
    float *y = NULL;
    size_t n = aml_frame_nrows(fr);
    rc = aml_prep_transform(p, fr, NULL, n, &X, &y, err);
    /* a prepared row's size, for the memory plan */
    double row_bytes = !X ? 0 : X->dense ? 4.0 * (double)X->cols
                           : X->rows ? 8.0 * (double)X->indptr[X->rows] / (double)X->rows + 8 : 8;
    size_t width = X ? X->cols : 0;
    aml_matrix_free(X);
    aml_prep_free(p);
    if (rc)
        return rc;
    c->target_hash = 0xcbf29ce484222325ull;   /* FNV-1a over the encoded target */
    for (size_t i = 0; i < n; i++) {
        float v = y[i] == y[i] ? y[i] : NAN;
        unsigned char b[4];
        memcpy(b, &v, 4);
        for (int q = 0; q < 4; q++)
            c->target_hash = (c->target_hash ^ b[q]) * 0x100000001b3ull;
    }
    if (c->o.task && strcmp(c->o.task, "auto") != 0 && strcmp(c->o.task, aml_task_name(c->task)) != 0) {
        aml_free(y);
        return aml_error_set(err, AML_EINVAL, 0, 0, c->o.target,
                             "target '%s' reads as %s, not %s: change its type with %%schema first",
                             c->o.target, aml_task_name(c->task), c->o.task);
    }
    c->metric = aml_metric_resolve(c->o.metric, c->task);
    c->run->task = c->task;
    c->run->metric = c->metric;
    c->run->n_classes = c->k;
    if (!aml_metric_supports(c->metric, c->task)) {
        aml_free(y);
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "metric '%s' does not apply to %s",
                             aml_metric_name(c->metric), aml_task_name(c->task));
    }
    /* rows with a known target */
    c->rows = amlp_malloc((n ? n : 1) * sizeof *c->rows);
    float *yk = amlp_malloc((n ? n : 1) * sizeof *yk);
    if (!c->rows || !yk) {
        aml_free(y);
        amlp_free(yk);
        return AML_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (y[i] == y[i] && (wcol < 0 || aml_frame_get_number(fr, (size_t)wcol, i) >= 0)) {
            yk[c->n_rows] = y[i];
            c->rows[c->n_rows++] = i;
        }
    if (c->n_rows < n)
        amlp_ctx_note(c, "%zu rows with a missing target were left out", n - c->n_rows);
    size_t ntrain_est = (size_t)((double)c->n_rows * (1 - c->o.test_fraction));
    c->n_folds = c->o.cv_folds > 0 ? (size_t)c->o.cv_folds
                 : ntrain_est <= 20000 ? 5 : ntrain_est <= 100000 ? 3 : 1;
    if (c->n_folds > 16)
        c->n_folds = 16;
    if ((rc = amlp_memory_plan(c, ntrain_est, row_bytes, width, err)) != 0) {
        amlp_free(yk);
        aml_free(y);
        return rc;
    }
    if (c->o.holdout <= 0)
        c->o.holdout = 0.2;
    rc = amlp_split(c, yk, c->n_rows, err);
    if (rc == 0) {
        c->y_train = amlp_malloc((c->n_train ? c->n_train : 1) * sizeof *c->y_train);
        rc = c->y_train ? 0 : AML_ENOMEM;
        size_t j = 0;
        for (size_t i = 0; rc == 0 && i < c->n_rows; i++) {
            /* training rows are the non-test rows in frame order, as in amlp_split */
            if (j < c->n_train && c->train[j] == c->rows[i])
                c->y_train[j++] = yk[i];
        }
    }
    amlp_free(yk);
    aml_free(y);
    if (rc)
        return rc;
    if (c->n_train < 2 * c->n_folds + 2)
        return aml_error_set(err, AML_EEMPTY, 0, 0, "", "too few rows to train (%zu)", c->n_train);
    if (wcol >= 0) {
        c->w_train = amlp_malloc(c->n_train * sizeof *c->w_train);
        if (!c->w_train)
            return AML_ENOMEM;
        for (size_t i = 0; i < c->n_train; i++)
            c->w_train[i] = (float)aml_frame_get_number(fr, (size_t)wcol, c->train[i]);
    }
    amlp_ctx_note(c, "task: %s; metric: %s; %zu training rows, %zu test rows held out; %s",
                  aml_task_name(c->task), aml_metric_name(c->metric), c->n_train, c->run->n_test,
                  c->n_folds > 1 ? "cross-validation" : "holdout validation");
    if (c->task != AML_TASK_REGRESSION && c->o.class_weights) {
        double cnt[256] = {0}, mx = 0, mn = 1e300;
        size_t k = c->k < 256 ? c->k : 256;
        for (size_t i = 0; i < c->n_train; i++)
            if ((size_t)c->y_train[i] < k)
                cnt[(size_t)c->y_train[i]]++;
        for (size_t i = 0; i < k; i++) {
            mx = cnt[i] > mx ? cnt[i] : mx;
            mn = cnt[i] < mn ? cnt[i] : mn;
        }
        if (mn > 0 && mn < 0.1 * mx && k == c->k) {
            c->class_w = amlp_malloc(k * sizeof *c->class_w);
            if (!c->class_w)
                return AML_ENOMEM;
            for (size_t i = 0; i < k; i++)
                c->class_w[i] = (float)sqrt(mx / cnt[i]);
            amlp_ctx_note(c, "classes are imbalanced (rarest %.1f%%): class weights applied",
                          100 * mn / (double)c->n_train);
        }
    }
    if (c->o.leak_check)
        rc = amlp_leak_check(c, c->y_train, err);
    if (rc == 0 && c->o.journal_dir)
        rc = open_journal(c, err);
    return rc;
}

int aml_search_run(const aml_frame *frame, const aml_search_options *opts, aml_run **out,
                   aml_error *err)
{
    *out = NULL;
    if (!frame || !opts)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "frame and options are required");
    amlp_ctx c;
    memset(&c, 0, sizeof c);
    c.frame = frame;
    c.o = *opts;
    c.t0 = aml_now();
    c.run = amlp_calloc(1, sizeof *c.run);
    if (!c.run)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    c.run->test_score = NAN;
    c.run->valid_score = NAN;
    pthread_mutex_init(&c.mu, NULL);
    c.phase = "preparing data";
    int rc = setup(&c, err);
    if (rc == 0)
        rc = amlp_search_watch(&c, worker, &c, err);
    amlp_cache_free(&c);
    /* the ensemble is chosen: the out-of-fold vectors (journaled) are needed no more */
    for (size_t i = 0; i < c.run->n_trials; i++) {
        amlp_free(c.run->trials[i].oof);
        c.run->trials[i].oof = NULL;
    }
    amlp_journal_close(c.journal);
    amlp_journal_trials_free(c.jt, c.n_jt);
    for (size_t i = 0; i < c.n_exclude; i++)
        amlp_free(c.exclude[i]);
    amlp_free(c.exclude);
    amlp_free(c.rows);
    amlp_free(c.train);
    amlp_free(c.fold);
    amlp_free(c.y_train);
    amlp_free(c.w_train);
    amlp_free(c.class_w);
    pthread_mutex_destroy(&c.mu);
    if (rc) {
        aml_run_free(c.run);
        return rc;
    }
    *out = c.run;
    return 0;
}
