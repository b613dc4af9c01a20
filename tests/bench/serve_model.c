/* serve_model.c — writes a model file for automl-serve's tests and
 * benchmark (until the kernel's %save exists in this branch): reads a CSV
 * (.csv or .csv.gz), optionally keeps its first SAMPLE rows, runs the AutoML
 * search with a small budget and saves the chosen model with aml_model_save.
 *
 *   serve_model CSV TARGET OUT.aml [BUDGET_SECONDS [SAMPLE_ROWS [MODELS]]]
 *     MODELS: comma-separated learner kinds (default: all)
 *
 * Prints one JSON line: {"task": ..., "inputs": N, "bytes": N, "validation": V}. */
#include "aml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 7) {
        fprintf(stderr, "usage: serve_model CSV TARGET OUT.aml [BUDGET_SECONDS [SAMPLE_ROWS "
                        "[MODELS]]]\n");
        return 2;
    }
    double budget = argc > 4 ? strtod(argv[4], NULL) : 5;
    size_t sample = argc > 5 ? strtoul(argv[5], NULL, 10) : 0;
    aml_error e = {0};
    aml_frame *f = NULL;
    if (aml_csv_read(argv[1], NULL, &f, NULL, &e)) {
        fprintf(stderr, "serve_model: %s: %s\n", argv[1], e.text);
        return 1;
    }
    if (sample && sample < aml_frame_nrows(f)) {
        aml_frame *s = NULL;
        if (aml_frame_slice(f, 0, sample, &s)) {
            fprintf(stderr, "serve_model: out of memory\n");
            return 1;
        }
        aml_frame_free(f);
        f = s;
    }
    aml_search_options o = aml_search_options_default();
    o.target = argv[2];
    o.budget_seconds = budget;
    const char *models[16];
    char *list = argc > 6 ? strdup(argv[6]) : NULL;
    if (list) {
        for (char *t = strtok(list, ","); t && o.n_models < 16; t = strtok(NULL, ","))
            models[o.n_models++] = t;
        o.models = models;
    }
    aml_run *run = NULL;
    if (aml_search_run(f, &o, &run, &e)) {
        fprintf(stderr, "serve_model: search: %s\n", e.text);
        return 1;
    }
    const aml_model *m = aml_run_model(run);
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (!m || aml_model_save(m, &bytes, &len, &e)) {
        fprintf(stderr, "serve_model: save: %s\n", m ? e.text : "no model");
        return 1;
    }
    FILE *out = fopen(argv[3], "wb");
    if (!out || fwrite(bytes, 1, len, out) != len || fclose(out) != 0) {
        fprintf(stderr, "serve_model: cannot write %s\n", argv[3]);
        return 1;
    }
    printf("{\"task\": \"%s\", \"inputs\": %zu, \"bytes\": %zu, \"validation\": %.6f}\n",
           aml_task_name(aml_model_task(m)), aml_model_n_inputs(m), len,
           aml_run_validation_score(run));
    aml_free(bytes);
    aml_run_free(run);
    aml_frame_free(f);
    free(list);
    return 0;
}
