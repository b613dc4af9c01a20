/*
 * learner.c — the one learner interface: the registry of kinds, parameter
 * checking against a kind's space, dispatch, and the serialised envelope
 * ("AMLL" magic, version, kind, task, classes, features, parameters, then the
 * kind's own bytes).
 */
#include "learn/learn_internal.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

/* The registry: every kind, in the order the search and %help list them.
 * Each kind lives in its own file (learn_internal.h declares their ops); adding
 * one is one line here, and test_learner checks that all six are found. */
static const amlp_learner_ops *const all_kinds[] = {
    &amlp_learner_xgb, &amlp_learner_rf, &amlp_learner_linear,
    &amlp_learner_knn, &amlp_learner_nb, &amlp_learner_mlp,
};
#define N_KINDS (sizeof all_kinds / sizeof all_kinds[0])

static const amlp_learner_ops *find_kind(const char *kind)
{
    for (size_t i = 0; kind && i < N_KINDS; i++)
        if (strcmp(all_kinds[i]->kind, kind) == 0)
            return all_kinds[i];
    return NULL;
}

const char *const *aml_learner_kinds(void)
{
    static const char *names[N_KINDS + 1];
    for (size_t i = 0; i < N_KINDS; i++)
        names[i] = all_kinds[i]->kind;
    names[N_KINDS] = NULL;
    return names;
}

const aml_param_spec *aml_learner_space(const char *kind, size_t *n)
{
    const amlp_learner_ops *ops = find_kind(kind);
    *n = ops ? ops->n_space : 0;
    return ops ? ops->space : NULL;
}

bool aml_learner_supports(const char *kind, aml_task task)
{
    const amlp_learner_ops *ops = find_kind(kind);
    return ops && ops->supports(task);
}

const char *aml_task_name(aml_task task)
{
    switch (task) {
    case AML_TASK_BINARY: return "binary";
    case AML_TASK_MULTICLASS: return "multiclass";
    case AML_TASK_REGRESSION: return "regression";
    }
    return "?";
}

int aml_params_set(aml_params *p, const char *name, double value)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) {
            p->value[i] = value;
            return 0;
        }
    if (p->n == AML_PARAMS_MAX)
        return AML_ERANGE;
    p->name[p->n] = name;
    p->value[p->n++] = value;
    return 0;
}

double aml_params_get(const aml_params *p, const char *name, double dflt)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return p->value[i];
    return dflt;
}

static size_t choice_count(const char *choices)
{
    size_t n = 1;
    for (const char *c = choices; c && *c; c++)
        n += *c == '|';
    return n;
}

/* Every value named in the space and within its range; unknown names are
 * errors (a typo in a parameter must not silently fall back to a default). */
static int check_params(const amlp_learner_ops *ops, const aml_params *p, aml_params *out,
                        aml_error *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < ops->n_space; i++)
        aml_params_set(out, ops->space[i].name, ops->space[i].dflt);
    for (size_t i = 0; p && i < p->n; i++) {
        const aml_param_spec *s = NULL;
        for (size_t k = 0; k < ops->n_space && !s; k++)
            if (strcmp(ops->space[k].name, p->name[i]) == 0)
                s = &ops->space[k];
        if (!s)
            return aml_error_set(err, AML_EINVAL, 0, 0, ops->kind,
                                 "%s has no hyper-parameter '%s'", ops->kind, p->name[i]);
        double v = p->value[i];
        double hi = s->type == AML_PARAM_CHOICE ? (double)choice_count(s->choices) - 1 : s->hi;
        double lo = s->type == AML_PARAM_CHOICE ? 0 : s->lo;
        if (!isfinite(v) || v < lo || v > hi ||
            (s->type != AML_PARAM_REAL && v != floor(v)))
            return aml_error_set(err, AML_ERANGE, 0, 0, ops->kind,
                                 "%s: %s=%g is outside %g..%g", ops->kind, s->name, v, lo, hi);
        aml_params_set(out, s->name, v);
    }
    return 0;
}

int aml_learner_new(const char *kind, const aml_params *params, aml_learner **out,
                    aml_error *err)
{
    *out = NULL;
    const amlp_learner_ops *ops = find_kind(kind);
    if (!ops)
        return aml_error_set(err, AML_EINVAL, 0, 0, kind ? kind : "",
                             "no learner '%s' (xgb, rf, linear, knn, nb, mlp)",
                             kind ? kind : "");
    aml_learner *l = amlp_calloc(1, sizeof *l);
    if (!l)
        return aml_error_set(err, AML_ENOMEM, 0, 0, kind, "out of memory");
    l->ops = ops;
    int rc = check_params(ops, params, &l->params, err);
    if (rc) {
        amlp_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void aml_learner_free(aml_learner *l)
{
    if (!l)
        return;
    if (l->state)
        l->ops->free_state(l);
    amlp_free(l);
}

const char *aml_learner_kind(const aml_learner *l)
{
    return l->ops->kind;
}

aml_task aml_learner_task(const aml_learner *l)
{
    return l->task;
}

size_t aml_learner_n_classes(const aml_learner *l)
{
    return l->n_classes;
}

size_t aml_learner_n_features(const aml_learner *l)
{
    return l->n_features;
}

int aml_learner_fit(aml_learner *l, const aml_fit_data *d, const aml_fit_ctl *ctl,
                    aml_error *err)
{
    if (!d || !d->X || !d->y || d->X->rows == 0)
        return aml_error_set(err, AML_EEMPTY, 0, 0, l->ops->kind, "no training rows");
    if (!l->ops->supports(d->task))
        return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, l->ops->kind, "%s does not do %s",
                             l->ops->kind, aml_task_name(d->task));
    if (d->task != AML_TASK_REGRESSION && d->n_classes < 2)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                             "classification needs at least two classes");
    if (d->X_valid && d->X_valid->cols != d->X->cols)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                             "validation rows have %zu features, training rows %zu",
                             d->X_valid->cols, d->X->cols);
    if (l->state) {
        l->ops->free_state(l);
        l->state = NULL;
    }
    l->task = d->task;
    l->n_classes = d->task == AML_TASK_REGRESSION ? 0 : d->n_classes;
    l->n_features = d->X->cols;
    l->fitted = false;
    aml_fit_ctl def = aml_fit_ctl_default();
    int rc = l->ops->fit(l, d, ctl ? ctl : &def, err);
    /* a canceled fit that kept a usable model is still a model */
    l->fitted = rc == 0 || (rc == AML_ECANCELED && l->state);
    return rc;
}

int aml_learner_predict(const aml_learner *l, const aml_matrix *X, float *out, aml_error *err)
{
    if (!l->fitted)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind, "the learner is not fitted");
    if (X->cols != l->n_features)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                             "%zu features given, the model was fitted on %zu", X->cols,
                             l->n_features);
    return l->ops->predict(l, X, out, err);
}

int aml_learner_importance(const aml_learner *l, float *out, size_t cols, aml_error *err)
{
    if (!l->fitted)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind, "the learner is not fitted");
    if (!l->ops->importance)
        return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, l->ops->kind,
                             "%s has no feature importance of its own", l->ops->kind);
    if (cols != l->n_features)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                             "importance for %zu features asked, the model has %zu", cols,
                             l->n_features);
    return l->ops->importance(l, out, cols, err);
}

bool aml_learner_has_contributions(const aml_learner *l)
{
    return l && l->fitted && l->ops->contributions;
}

int aml_learner_contributions(const aml_learner *l, const aml_matrix *X, float *out,
                              aml_error *err)
{
    if (!l || !X || !out)
        return aml_error_set(err, AML_EINVAL, 0, 0, "", "learner, matrix and output are required");
    if (!l->fitted)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind, "the learner is not fitted");
    if (!l->ops->contributions)
        return aml_error_set(err, AML_EUNSUPPORTED, 0, 0, l->ops->kind,
                             "%s has no per-feature contributions", l->ops->kind);
    if (X->cols != l->n_features)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind,
                             "%zu features given, the model was fitted on %zu", X->cols,
                             l->n_features);
    return l->ops->contributions(l, X, out, err);
}

/* ---- serialisation ---- */

#define ENVELOPE_MAGIC "AMLL"
#define ENVELOPE_VERSION 1

int aml_learner_save(const aml_learner *l, unsigned char **bytes, size_t *len, aml_error *err)
{
    *bytes = NULL;
    *len = 0;
    if (!l->fitted)
        return aml_error_set(err, AML_EINVAL, 0, 0, l->ops->kind, "the learner is not fitted");
    amlp_bytes b = {0};
    size_t klen = strlen(l->ops->kind);
    int rc = amlp_bytes_put(&b, ENVELOPE_MAGIC, 4);
    rc = rc ? rc : amlp_bytes_put_u64(&b, ENVELOPE_VERSION);
    rc = rc ? rc : amlp_bytes_put_u64(&b, klen);
    rc = rc ? rc : amlp_bytes_put(&b, l->ops->kind, klen);
    rc = rc ? rc : amlp_bytes_put_u64(&b, (uint64_t)l->task);
    rc = rc ? rc : amlp_bytes_put_u64(&b, l->n_classes);
    rc = rc ? rc : amlp_bytes_put_u64(&b, l->n_features);
    rc = rc ? rc : amlp_bytes_put_u64(&b, l->params.n);
    for (size_t i = 0; rc == 0 && i < l->params.n; i++) {
        size_t n = strlen(l->params.name[i]);
        rc = amlp_bytes_put_u64(&b, n);
        rc = rc ? rc : amlp_bytes_put(&b, l->params.name[i], n);
        rc = rc ? rc : amlp_bytes_put_f64(&b, l->params.value[i]);
    }
    if (rc == 0)
        rc = l->ops->save(l, &b, err);
    if (rc) {
        amlp_free(b.data);
        return err && err->code == rc ? rc : aml_error_set(err, rc, 0, 0, l->ops->kind,
                                                           "cannot serialise the model");
    }
    *bytes = b.data;
    *len = b.len;
    return 0;
}

int aml_learner_load(const unsigned char *bytes, size_t len, aml_learner **out, aml_error *err)
{
    *out = NULL;
    amlp_reader r = {bytes, len, 0};
    char magic[4];
    uint64_t version = 0, klen = 0, task = 0, ncls = 0, nfeat = 0, nparams = 0;
    char kind[32];
    if (amlp_read(&r, magic, 4) || memcmp(magic, ENVELOPE_MAGIC, 4) != 0)
        return aml_error_set(err, AML_EPARSE, 0, 0, "model", "not a learner (bad magic)");
    if (amlp_read_u64(&r, &version) || version != ENVELOPE_VERSION)
        return aml_error_set(err, AML_EPARSE, 0, 0, "model", "learner format version %llu "
                             "is not %d", (unsigned long long)version, ENVELOPE_VERSION);
    if (amlp_read_u64(&r, &klen) || klen >= sizeof kind || amlp_read(&r, kind, klen))
        return aml_error_set(err, AML_EPARSE, 0, 0, "model", "truncated learner header");
    kind[klen] = 0;
    const amlp_learner_ops *ops = find_kind(kind);
    if (!ops)
        return aml_error_set(err, AML_EPARSE, 0, 0, "model", "unknown learner kind '%s'", kind);
    if (amlp_read_u64(&r, &task) || task > AML_TASK_REGRESSION || amlp_read_u64(&r, &ncls) ||
        amlp_read_u64(&r, &nfeat) || amlp_read_u64(&r, &nparams) || nparams > AML_PARAMS_MAX)
        return aml_error_set(err, AML_EPARSE, 0, 0, "model", "truncated learner header");
    aml_learner *l = amlp_calloc(1, sizeof *l);
    if (!l)
        return aml_error_set(err, AML_ENOMEM, 0, 0, kind, "out of memory");
    l->ops = ops;
    l->task = (aml_task)task;
    l->n_classes = ncls;
    l->n_features = nfeat;
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < nparams; i++) {
        uint64_t n = 0;
        char name[64];
        double v = 0;
        if (amlp_read_u64(&r, &n) || n >= sizeof name || amlp_read(&r, name, n) ||
            amlp_read_f64(&r, &v)) {
            rc = aml_error_set(err, AML_EPARSE, 0, 0, kind, "truncated parameters");
            break;
        }
        name[n] = 0;
        /* names must point at the space's strings, which outlive the model */
        const char *stable = NULL;
        for (size_t k = 0; k < ops->n_space && !stable; k++)
            if (strcmp(ops->space[k].name, name) == 0)
                stable = ops->space[k].name;
        if (!stable)
            rc = aml_error_set(err, AML_EPARSE, 0, 0, kind, "unknown parameter '%s'", name);
        else
            aml_params_set(&l->params, stable, v);
    }
    if (rc == 0)
        rc = ops->load(l, &r, err);
    if (rc) {
        aml_learner_free(l);
        return rc;
    }
    l->fitted = true;
    *out = l;
    return 0;
}


void aml_free(void *p)
{
    amlp_free(p);
}
