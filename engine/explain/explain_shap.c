/*
 * explain_shap.c — SHAP contributions for %explain: the tree members'
 * TreeSHAP values (aml_learner_contributions) mapped from prepared features
 * back to the model's input columns and combined by member weight; the
 * summary (mean |contribution| per column) and one row's contributions.
 *
 * A contribution array `phi` holds, per row and class (K = n_classes for
 * multiclass, else 1), G = n_in + 1 groups — the inputs, then the
 * "(engineered features)" group — and then the bias: n * K * (G + 1).
 */
#include "explain/explain_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHAP_CHUNK0 16
#define SHAP_MIN_ROWS 100

static bool is_tree(const aml_model *m, size_t i)
{
    return aml_model_member_weight(m, i) > 0 &&
           aml_learner_has_contributions(aml_model_member_learner(m, i));
}

bool amlp_ex_all_trees(const amlp_ex *c)
{
    size_t trees = 0;
    for (size_t i = 0; i < aml_model_n_members(c->m); i++) {
        if (!(aml_model_member_weight(c->m, i) > 0))
            continue;
        if (!is_tree(c->m, i))
            return false;
        trees++;
    }
    return trees > 0;
}

/* The group of each of the `cols` features member mi's learner reads. */
static void member_groups(const amlp_ex *c, size_t mi, size_t cols, size_t *g, bool *engineered)
{
    const aml_prep *prep = aml_model_member_prep(c->m, mi);
    const aml_features *f = aml_model_member_features(c->m, mi);
    size_t nk = 0, np = aml_prep_n_features(prep);
    const uint32_t *kept = f ? aml_features_kept(f, &nk) : NULL;
    for (size_t j = 0; j < cols; j++) {
        size_t src = j;   /* the prep feature behind learner feature j */
        if (f) {
            const char *name = aml_features_name(f, j);
            src = j < nk && kept[j] < np && name &&
                          strcmp(name, aml_prep_feature_name(prep, kept[j])) == 0
                      ? kept[j]
                      : SIZE_MAX;
        }
        size_t in = src < np ? amlp_ex_feature_input(c, prep, src) : SIZE_MAX;
        g[j] = in < c->n_in ? in : c->n_in;
        if (g[j] == c->n_in)
            *engineered = true;
    }
}

/* SHAP of rows rows[0..n) of F (columns as E), weighted over the tree
 * members, chunk by chunk (each chunk through every member, so the rows
 * done are always complete).  Stops once now > deadline (0: never) with at
 * least SHAP_MIN_ROWS done.  OUT: phi (position p = rows[p]: K * (G + 1)
 * values each, zeroed here), *engineered, *done (rows finished). */
static int shap_frame(amlp_ex *c, const aml_frame *F, const size_t *rows, size_t n, double *phi,
                      bool *engineered, double deadline, size_t *done)
{
    const aml_model *m = c->m;
    size_t K = c->x->width, G = c->n_in + 1, stride = G + 1, nm = aml_model_n_members(m);
    memset(phi, 0, n * K * stride * sizeof *phi);
    *done = 0;
    double wsum = 0;
    size_t trees = 0;
    for (size_t i = 0; i < nm; i++)
        if (is_tree(m, i)) {
            wsum += aml_model_member_weight(m, i);
            trees++;
        }
    size_t **groups = amlp_calloc(nm + 1, sizeof *groups);
    int rc = groups ? 0 : aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    /* chunks sized to take about 0.1 to 0.4 s: TreeSHAP of a large
     * ensemble can cost tens of milliseconds a row, and the cancel flag is
     * checked between chunks */
    size_t chunk = SHAP_CHUNK0;
    for (size_t r0 = 0, cn = 0; rc == 0 && r0 < n; r0 += cn) {
        if (deadline > 0 && *done >= SHAP_MIN_ROWS && aml_now() > deadline)
            break;
        cn = n - r0 < chunk ? n - r0 : chunk;
        double t0 = aml_now();
        for (size_t mi = 0; rc == 0 && mi < nm; mi++) {
            if (!is_tree(m, mi))
                continue;
            double w = aml_model_member_weight(m, mi) / wsum;
            const aml_features *f = aml_model_member_features(m, mi);
            aml_matrix *X = NULL, *Xf = NULL;
            float *ct = NULL;
            rc = amlp_ex_tick(c, 0);
            rc = rc ? rc
                    : aml_prep_transform(aml_model_member_prep(m, mi), F, rows + r0, cn, &X, NULL,
                                         c->err);
            if (rc == 0 && f)
                rc = aml_features_apply(f, X, &Xf, c->err);
            const aml_matrix *L = Xf ? Xf : X;
            size_t cols = L ? L->cols : 0;
            if (rc == 0 && !groups[mi]) {
                groups[mi] = amlp_malloc((cols + 1) * sizeof **groups);
                if (groups[mi])
                    member_groups(c, mi, cols, groups[mi], engineered);
            }
            const size_t *g = groups[mi];
            if (rc == 0)
                ct = amlp_malloc((cn * K * (cols + 1) + 1) * sizeof *ct);
            if (rc == 0 && (!g || !ct))
                rc = aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
            rc = rc ? rc : aml_learner_contributions(aml_model_member_learner(m, mi), L, ct, c->err);
            for (size_t r = 0; rc == 0 && r < cn; r++)
                for (size_t k = 0; k < K; k++) {
                    const float *sv = ct + (r * K + k) * (cols + 1);
                    double *d = phi + ((r0 + r) * K + k) * stride;
                    for (size_t j = 0; j < cols; j++)
                        d[g[j]] += w * sv[j];
                    d[G] += w * sv[cols];
                }
            amlp_free(ct);
            aml_matrix_free(Xf);
            aml_matrix_free(X);
            rc = rc ? rc : amlp_ex_tick(c, AMLP_SHAP_WORK * (double)cn / (double)trees);
        }
        if (rc == 0)
            *done += cn;
        double dt = aml_now() - t0;
        if (cn == chunk && dt < 0.1 && chunk < 1024)
            chunk *= 2;
        else if (dt > 0.4 && chunk > 1)
            chunk /= 2;
    }
    for (size_t i = 0; groups && i < nm; i++)
        amlp_free(groups[i]);
    amlp_free(groups);
    return rc;
}

static const char *units_of(const amlp_ex *c)
{
    switch (c->x->task) {
    case AML_TASK_BINARY: return "log-odds";
    case AML_TASK_MULTICLASS: return "class margin, log-odds scale";
    default: return "target units";
    }
}

int amlp_ex_shap_summary(amlp_ex *c)
{
    aml_explanation *x = c->x;
    const aml_model *m = c->m;
    char others[200] = "", trees_s[200] = "";
    for (size_t i = 0; i < aml_model_n_members(m); i++) {
        if (!(aml_model_member_weight(m, i) > 0))
            continue;
        const char *kind = aml_model_member_kind(m, i);
        char *buf = is_tree(m, i) ? trees_s : others;
        if (!strstr(buf, kind) && strlen(buf) + strlen(kind) + 3 < sizeof others)
            snprintf(buf + strlen(buf), sizeof others - strlen(buf), "%s%s", *buf ? ", " : "", kind);
        if (is_tree(m, i)) {
            x->tree_members++;
            x->tree_weight += aml_model_member_weight(m, i);
        }
    }
    x->units = units_of(c);
    if (x->tree_members == 0)
        return amlp_ex_note(x, "SHAP values are unavailable: SHAP needs tree models (xgb, rf) "
                               "and this model has none (%s); the permutation importance "
                               "covers it.", others);
    size_t n = c->n, K = x->width, G = c->n_in + 1, stride = G + 1;
    size_t want = c->shap_rows < n ? c->shap_rows : n, done = 0;
    double *phi = amlp_malloc((want * K * stride + 1) * sizeof *phi);
    x->shap = amlp_calloc(G, sizeof *x->shap);
    x->shap_per_class = amlp_calloc(G * K, sizeof *x->shap_per_class);
    double *mean = amlp_calloc(G, sizeof *mean);
    bool engineered = false;
    int rc = phi && x->shap && x->shap_per_class && mean ? 0 : AML_ENOMEM;
    if (rc)
        rc = aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    c->what = "SHAP values";
    /* the rows in a seeded random order, so a summary cut short by time
     * (or by shap_rows) is a random subset */
    size_t *order = amlp_ex_shuffled(c, n, 0x5ba9);
    if (!order && rc == 0)
        rc = aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
    double deadline = c->o->budget_seconds > 0 ? aml_now() + c->o->budget_seconds / 4 : 0;
    rc = rc ? rc : shap_frame(c, c->E, order, want, phi, &engineered, deadline, &done);
    for (size_t p = 0; rc == 0 && p < done; p++) {
        size_t r = order[p];
        size_t kp = x->task == AML_TASK_MULTICLASS ? amlp_ex_class_of(c, c->pred + r * K) : 0;
        for (size_t k = 0; k < K; k++)
            for (size_t gi = 0; gi < G; gi++) {
                double a = fabs(phi[(p * K + k) * stride + gi]) / (double)done;
                x->shap_per_class[gi * K + k] += a;
                if (k == kp)
                    mean[gi] += a;
            }
    }
    if (rc == 0) {
        /* the groups shown: the inputs some member reads, and the engineered
         * group when there is one; largest first */
        size_t ns = 0;
        for (size_t gi = 0; gi < G; gi++) {
            bool show = gi < c->n_in ? c->used[gi] : engineered;
            if (!show)
                continue;
            aml_explain_shap *s = &x->shap[ns++];
            s->column = gi < c->n_in ? NULL : AMLP_ENGINEERED;
            for (size_t i = 0; gi < c->n_in && i < x->n_imp; i++)
                if (strcmp(x->imp[i].column, aml_model_input_name(m, gi)) == 0)
                    s->column = x->imp[i].column;
            s->mean_abs = mean[gi];
            s->per_class = x->task == AML_TASK_MULTICLASS ? x->shap_per_class + gi * K : NULL;
        }
        for (size_t i = 1; i < ns; i++)
            for (size_t j = i; j > 0 && x->shap[j].mean_abs > x->shap[j - 1].mean_abs; j--) {
                aml_explain_shap t = x->shap[j];
                x->shap[j] = x->shap[j - 1];
                x->shap[j - 1] = t;
            }
        x->n_shap = ns;
        if (x->tree_weight < 1 - 1e-9)
            rc = amlp_ex_note(x, "SHAP covers the tree members only (%s: %.0f %% of the "
                                 "ensemble's weight); the other members (%s) have no exact "
                                 "per-feature contributions, the permutation importance covers "
                                 "the whole model.", trees_s, 100 * x->tree_weight, others);
        if (rc == 0 && x->task == AML_TASK_BINARY)
            rc = amlp_ex_note(x, "SHAP values are in log-odds of class '%s'.",
                              aml_model_class_name(m, 1));
        else if (rc == 0 && x->task == AML_TASK_MULTICLASS)
            rc = amlp_ex_note(x, "SHAP values are per class, in the class's margin before the "
                                 "softmax (log-odds scale); the summary takes each row's "
                                 "predicted class.");
        else if (rc == 0)
            rc = amlp_ex_note(x, "SHAP values are in the units of %s.", aml_model_target(m));
        if (rc == 0 && done < n)
            rc = amlp_ex_note(x, "The SHAP summary uses %zu of the %zu rows (a random subset), "
                                 "for speed.", done, n);
        if (rc == 0 && engineered)
            rc = amlp_ex_note(x, "Features built by feature engineering (pairs, group "
                                 "statistics, PCA, clusters) are grouped as '%s'.",
                              AMLP_ENGINEERED);
    }
    amlp_free(phi);
    amlp_free(mean);
    amlp_free(order);
    return rc;
}

int amlp_ex_shap_row(amlp_ex *c, const aml_frame *r1, size_t frame_row)
{
    aml_explanation *x = c->x;
    size_t K = x->width, G = c->n_in + 1, stride = G + 1;
    double *phi = amlp_malloc(K * stride * sizeof *phi);
    float *p = amlp_malloc(K * sizeof *p);
    x->row = amlp_calloc(1, sizeof *x->row);
    aml_explain_contrib *ct = amlp_calloc(G, sizeof *ct);
    bool engineered = false;
    int rc = phi && p && x->row && ct ? 0 : AML_ENOMEM;
    if (rc) {
        amlp_free(phi);
        amlp_free(p);
        amlp_free(ct);
        return aml_error_set(c->err, rc, 0, 0, "explain", "out of memory");
    }
    x->row->contribs = ct;
    x->row->row = frame_row;
    x->row->shap = true;
    x->row->units = x->units ? x->units : units_of(c);
    rc = amlp_ex_predict(c, r1, 1, p);
    size_t zero = 0, done = 0;
    rc = rc ? rc : shap_frame(c, r1, &zero, 1, phi, &engineered, 0, &done);
    if (rc == 0) {
        size_t k = amlp_ex_class_of(c, p);
        x->row->klass = k;
        x->row->model_prediction = x->task == AML_TASK_MULTICLASS ? p[k] : p[0];
        const double *d = phi + (x->task == AML_TASK_MULTICLASS ? k : 0) * stride;
        double sum = d[G];
        x->row->base = d[G];
        size_t nc = 0;
        for (size_t gi = 0; gi < G && rc == 0; gi++) {
            bool show = gi < c->n_in ? c->used[gi] : engineered;
            if (!show)
                continue;
            char buf[256] = "";
            if (gi < c->n_in)
                aml_frame_cell_str(r1, gi, 0, buf, sizeof buf);
            ct[nc].value = amlp_strdup(buf);
            ct[nc].column = gi < c->n_in ? aml_frame_col_name(r1, gi) : AMLP_ENGINEERED;
            ct[nc].contribution = d[gi];
            sum += d[gi];
            if (!ct[nc++].value)
                rc = aml_error_set(c->err, AML_ENOMEM, 0, 0, "explain", "out of memory");
        }
        x->row->n = nc;
        x->row->prediction = sum;
        size_t trees = 0;
        for (size_t i = 0; i < aml_model_n_members(c->m); i++)
            trees += is_tree(c->m, i);
        double mp = x->row->model_prediction;
        if (rc == 0 && trees > 1 && x->task == AML_TASK_BINARY && mp > 0 && mp < 1)
            rc = amlp_ex_note(x, "Row %zu's SHAP values add up to the %zu tree members' "
                                 "weighted log-odds (%.3f); the ensemble averages their "
                                 "probabilities, so its own log-odds is %.3f.", frame_row,
                              trees, sum, log(mp / (1 - mp)));
        else if (rc == 0 && trees > 1 && x->task == AML_TASK_MULTICLASS)
            rc = amlp_ex_note(x, "Row %zu's SHAP values add up to the %zu tree members' "
                                 "weighted margin of class '%s'; the ensemble averages their "
                                 "probabilities.", frame_row, trees,
                              aml_model_class_name(c->m, k));
    }
    amlp_free(phi);
    amlp_free(p);
    return rc;
}
