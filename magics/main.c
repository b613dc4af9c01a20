/* main.c — the automl-kernel binary: parses the command line and runs the
 * Jupyter protocol server (kernel/) with the magics interpreter (magics/). */
#include "mg.h"
#include "aml.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: automl-kernel -f CONNECTION_FILE\n"
            "       automl-kernel --version\n\n"
            "The AutoML Jupyter kernel.  Jupyter starts it with a connection file;\n"
            "install the kernelspec with `make install`, then choose the \"AutoML\" kernel.\n");
}

int main(int argc, char **argv)
{
    mg_memory_setup();
    const char *conn = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--connection-file") == 0) &&
            i + 1 < argc) {
            conn = argv[++i];
        } else if (strncmp(argv[i], "--connection-file=", 18) == 0) {
            conn = argv[i] + 18;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("automl-kernel %s (Jupyter protocol %s)\n", AML_VERSION_STRING,
                   KN_PROTOCOL_VERSION);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "automl-kernel: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!conn) {
        fprintf(stderr, "automl-kernel: missing -f CONNECTION_FILE\n");
        usage(stderr);
        return 2;
    }
    mg_session *session = mg_session_new();
    if (!session) {
        fprintf(stderr, "automl-kernel: out of memory\n");
        return 1;
    }
    kn_interpreter interp;
    mg_interpreter_init(&interp, session);
    size_t n_targets = 0;
    const kn_comm_target *targets = mg_comm_targets(session, &n_targets);
    kn_options opts = {
        .connection_file = conn,
        .implementation = "automl-kernel",
        .language = "automl",
        .targets = targets,
        .n_targets = n_targets,
    };
    int rc = kn_run(&opts, &interp);
    mg_session_free(session);
    return rc;
}
