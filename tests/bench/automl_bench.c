/* automl_bench.c — the C side of tests/bench/automl (issue #6): reads the
 * training rows and the test rows of a fixed split as two CSV files (written
 * by the Python side with the same header), runs the AutoML search
 * (aml_search_run) on the training file alone with the given wall-clock budget
 * and no internal test split, predicts the test file with the chosen model and
 * scores it with our AUC.
 *
 *   automl_bench TRAIN_CSV TEST_CSV TARGET POSITIVE BUDGET_SECONDS SEED
 *     POSITIVE: the class name counted as positive for AUC ("yes")
 *
 * Prints one JSON line:
 *   {"auc": A, "validation": V, "trials": N, "failed": F, "seconds": S,
 *    "stop": "...", "model": "...", "curve": [[t, score], ...],
 *    "failures": [[trial id, kind, params, reason], ...]} */
#include "aml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const aml_error *e)
{
    fprintf(stderr, "automl_bench: %s: %s\n", what, e->text);
    return 1;
}

/* `s` as a JSON string body (quotes and backslashes escaped, control
 * characters as spaces). */
static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20)
            fputc(' ', fp);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: automl_bench TRAIN_CSV TEST_CSV TARGET POSITIVE "
                        "BUDGET_SECONDS SEED [STRATEGY]\n");
        return 2;
    }
    const char *train_csv = argv[1], *test_csv = argv[2], *target = argv[3];
    const char *positive = argv[4];
    double budget = strtod(argv[5], NULL);
    unsigned long long seed = strtoull(argv[6], NULL, 10);
    aml_error e = {0};
    aml_frame *train = NULL, *test = NULL;
    if (aml_csv_read(train_csv, NULL, &train, NULL, &e))
        return fail(train_csv, &e);
    if (aml_csv_read(test_csv, NULL, &test, NULL, &e))
        return fail(test_csv, &e);

    aml_search_options o = aml_search_options_default();
    o.target = target;
    o.budget_seconds = budget;
    o.test_fraction = 0;
    o.seed = (uint64_t)seed;
    o.threads = 0;
    if (argc == 8) {
        /* one strategy alone, as %compare runs it: no ensemble, no feature step */
        o.strategy = argv[7];
        o.ensemble = false;
        o.features = false;
    }
    aml_run *run = NULL;
    if (aml_search_run(train, &o, &run, &e))
        return fail("search", &e);
    const aml_model *m = aml_run_model(run);
    if (!m) {
        fprintf(stderr, "automl_bench: the search produced no model\n");
        return 1;
    }
    if (aml_model_task(m) != AML_TASK_BINARY) {
        fprintf(stderr, "automl_bench: the target is not binary\n");
        return 1;
    }

    /* Class index of POSITIVE; the model predicts P(class 1). */
    size_t pos = 2;
    for (size_t k = 0; k < aml_model_n_classes(m); k++)
        if (strcmp(aml_model_class_name(m, k), positive) == 0)
            pos = k;
    if (pos > 1) {
        fprintf(stderr, "automl_bench: no class '%s'\n", positive);
        return 1;
    }
    long tcol = aml_frame_col_index(test, target);
    if (tcol < 0) {
        fprintf(stderr, "automl_bench: no column '%s' in %s\n", target, test_csv);
        return 1;
    }
    size_t n = aml_frame_nrows(test);
    float *pred = calloc(n ? n : 1, sizeof *pred), *y = calloc(n ? n : 1, sizeof *y);
    if (!pred || !y) {
        fprintf(stderr, "automl_bench: out of memory\n");
        return 1;
    }
    if (aml_model_predict(m, test, NULL, n, pred, &e))
        return fail("predict", &e);
    for (size_t i = 0; i < n; i++) {
        char buf[256];
        aml_frame_cell_str(test, (size_t)tcol, i, buf, sizeof buf);
        bool is_pos = strcmp(buf, positive) == 0;
        y[i] = (float)((pos == 1) == is_pos ? 1 : 0);
    }
    double auc = NAN;
    if (aml_metric_score(AML_METRIC_AUC, AML_TASK_BINARY, 2, y, pred, NULL, n, &auc, &e))
        return fail("auc", &e);
    if (pos == 0)
        auc = 1.0 - auc; /* P(class 1) ranks the negative class */

    printf("{\"auc\": %.6f, \"validation\": %.6f, \"trials\": %zu, \"failed\": %zu, "
           "\"seconds\": %.3f, \"stop\": ",
           auc, aml_run_validation_score(run), aml_run_trials_done(run),
           aml_run_trials_failed(run), aml_run_seconds(run));
    json_string(stdout, aml_stop_reason_name(aml_run_stop_reason(run)));
    printf(", \"model\": ");
    json_string(stdout, aml_run_pipeline(run));
    printf(", \"curve\": [");
    for (size_t i = 0; i < aml_run_curve_size(run); i++) {
        double t = 0, s = 0;
        aml_run_curve_point(run, i, &t, &s);
        printf("%s[%.3f, %.6f]", i ? ", " : "", t, s);
    }
    printf("], \"failures\": [");
    bool first = true;
    for (size_t i = 0; i < aml_run_n_trials(run); i++) {
        const aml_trial_info *t = aml_run_trial(run, i);
        if (t->status != AML_TRIAL_FAILED)
            continue;
        printf("%s[%zu, ", first ? "" : ", ", t->id);
        json_string(stdout, t->kind);
        printf(", ");
        json_string(stdout, t->params);
        printf(", ");
        json_string(stdout, t->error);
        printf("]");
        first = false;
    }
    printf("]}\n");
    free(pred);
    free(y);
    aml_run_free(run);
    aml_frame_free(train);
    aml_frame_free(test);
    return 0;
}
