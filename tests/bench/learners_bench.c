/* learners_bench.c — the C side of tests/bench/learners: reads a CSV with our
 * reader, prepares it with our pipeline (aml_prep_*) fitted on the training
 * rows of a split file, fits one learner kind with the given hyper-parameters
 * on all cores, and writes the test rows' predictions (P(class 1), one per
 * line) to a file.  The Python side computes AUC for ours and the peers alike.
 *
 *   learners_bench CSV SPLIT TARGET KIND SCALE OUT [name=value ...]
 *     SPLIT: line 1 the training row indexes, line 2 the test row indexes
 *     SCALE: none | standard (the preparation's scaling)
 *   learners_bench --kinds        the registered kinds, one per line
 *
 * Prints "fit_seconds S", "features F", "positive CLASSNAME". */
#include "aml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One line of space-separated row indexes.  OUT: *n.  NULL at end of file. */
static size_t *read_line(FILE *fp, size_t *n)
{
    size_t cap = 1024, len = 0;
    size_t *v = malloc(cap * sizeof *v);
    int c = 0;
    unsigned long long x = 0;
    bool in = false;
    while ((c = fgetc(fp)) != EOF && c != '\n') {
        if (c >= '0' && c <= '9') {
            x = x * 10 + (unsigned)(c - '0');
            in = true;
        } else if (in) {
            if (len == cap)
                v = realloc(v, (cap *= 2) * sizeof *v);
            v[len++] = (size_t)x;
            x = 0;
            in = false;
        }
    }
    if (in) {
        if (len == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[len++] = (size_t)x;
    }
    *n = len;
    return v;
}

static int fail(const char *what, const aml_error *e)
{
    fprintf(stderr, "learners_bench: %s: %s\n", what, e->text);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--kinds") == 0) {
        for (const char *const *k = aml_learner_kinds(); *k; k++)
            printf("%s\n", *k);
        return 0;
    }
    if (argc < 7) {
        fprintf(stderr, "usage: learners_bench CSV SPLIT TARGET KIND none|standard OUT "
                        "[name=value ...]\n");
        return 2;
    }
    const char *csv = argv[1], *split = argv[2], *target = argv[3], *kind = argv[4];
    const char *scale = argv[5], *out = argv[6];
    aml_error e = {0};
    aml_frame *f = NULL;
    if (aml_csv_read(csv, NULL, &f, NULL, &e))
        return fail(csv, &e);
    FILE *fp = fopen(split, "r");
    if (!fp) {
        perror(split);
        return 1;
    }
    size_t n_train = 0, n_test = 0;
    size_t *train = read_line(fp, &n_train), *test = read_line(fp, &n_test);
    fclose(fp);

    aml_prep_options po = aml_prep_options_default();
    po.target = target;
    po.scaling = strcmp(scale, "standard") == 0 ? AML_SCALE_STANDARD : AML_SCALE_NONE;
    po.seed = 1;
    aml_prep *prep = NULL;
    if (aml_prep_fit(f, train, n_train, &po, &prep, &e))
        return fail("prep", &e);
    aml_matrix *Xtr = NULL, *Xte = NULL;
    float *ytr = NULL, *yte = NULL;
    if (aml_prep_transform(prep, f, train, n_train, &Xtr, &ytr, &e) ||
        aml_prep_transform(prep, f, test, n_test, &Xte, &yte, &e))
        return fail("transform", &e);

    aml_params p = {0};
    for (int i = 7; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "learners_bench: '%s' is not name=value\n", argv[i]);
            return 2;
        }
        *eq = 0;
        aml_params_set(&p, argv[i], strtod(eq + 1, NULL));
    }
    aml_learner *l = NULL;
    if (aml_learner_new(kind, &p, &l, &e))
        return fail(kind, &e);
    aml_task task = aml_prep_task(prep);
    aml_fit_data d = {task, aml_prep_n_classes(prep), Xtr, ytr, NULL, NULL, NULL, NULL};
    aml_fit_ctl ctl = aml_fit_ctl_default();
    ctl.seed = 1;
    double t0 = aml_now();
    int rc = aml_learner_fit(l, &d, &ctl, &e);
    double fit = aml_now() - t0;
    if (rc)
        return fail("fit", &e);
    size_t k = task == AML_TASK_MULTICLASS ? aml_prep_n_classes(prep) : 1;
    float *pred = calloc(Xte->rows * k, sizeof *pred);
    if (aml_learner_predict(l, Xte, pred, &e))
        return fail("predict", &e);
    FILE *po_fp = fopen(out, "w");
    if (!po_fp) {
        perror(out);
        return 1;
    }
    for (size_t i = 0; i < Xte->rows; i++)
        fprintf(po_fp, "%.9g\n", (double)pred[i * k + (k > 1 ? 1 : 0)]);
    fclose(po_fp);
    printf("fit_seconds %.6f\nfeatures %zu\npositive %s\n", fit, aml_prep_n_features(prep),
           task == AML_TASK_REGRESSION ? "" : aml_prep_class_name(prep, 1));
    free(pred);
    aml_learner_free(l);
    aml_matrix_free(Xtr);
    aml_matrix_free(Xte);
    aml_free(ytr);
    aml_free(yte);
    aml_prep_free(prep);
    aml_frame_free(f);
    free(train);
    free(test);
    return 0;
}
