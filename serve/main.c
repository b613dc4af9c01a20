/*
 * main.c — automl-serve: serves one model file over REST without Jupyter
 * (production use).  Reads MODEL.aml, binds host:port (127.0.0.1:8080 by
 * default), prints the URL and an example request, and serves until SIGINT
 * or SIGTERM, then stops cleanly.
 */
#include "srv.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: automl-serve MODEL.aml [--host HOST] [--port PORT] [--token TOKEN]\n"
            "                    [--name NAME] [--max-body BYTES] [--threads N]\n"
            "       automl-serve --help | --version\n\n"
            "Serves a model file written by the AutoML kernel over HTTP, JSON in and out:\n"
            "  POST /v1/models/NAME:predict  {\"instances\": [{column: value, ...}, ...]}\n"
            "                                an image model: {\"instances\": [{\"content\":\n"
            "                                \"<base64 PNG or JPEG>\"}], \"parameters\":\n"
            "                                {\"maxPredictions\": 5}}\n"
            "  GET  /v1/models/NAME          inputs with types, target, task, classes, metrics\n"
            "  GET  /healthz                 {\"status\": \"ok\"}\n\n"
            "  --host HOST       address to bind (default 127.0.0.1: this machine only;\n"
            "                    0.0.0.0 for every interface — set a token then)\n"
            "  --port PORT       default 8080; 0 picks a free port (printed)\n"
            "  --token TOKEN     requests need \"Authorization: Bearer TOKEN\" (or set\n"
            "                    AUTOML_SERVE_TOKEN, which ps does not show)\n"
            "  --name NAME       the model's name in URLs (default: the file name)\n"
            "  --max-body BYTES  largest request body (default 1048576); larger gets 413\n"
            "  --threads N       worker threads (default 2)\n\n"
            "Stops cleanly on SIGINT (Ctrl-C) or SIGTERM.\n");
}

static int read_file(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        unsigned char *nb = realloc(b, cap *= 2);
        if (!nb) {
            free(b);
            b = NULL;
        }
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        errno = b ? EIO : ENOMEM;
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

/* The model's default name: the file's base name without its extension,
 * with characters a URL name does not take replaced by '_'. */
static void default_name(const char *path, char *name, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(name, cap, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    for (char *c = name; *c; c++) {
        char one[2] = {*c, '\0'};
        if (*c != '.' && !srv_name_ok(one))
            *c = '_';
    }
    if (name[0] == '.' || !name[0])
        name[0] = 'm', name[1] = '\0';
}

static bool parse_size(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    /* first of all: every thread started later (the server's, and the
     * engine's: OpenMP in XGBoost while a model loads) inherits a mask that
     * blocks the stop signals; this thread waits for them with sigwait */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    const char *path = NULL, *name_arg = NULL, *token = getenv("AUTOML_SERVE_TOKEN");
    srv_options o = srv_options_default();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("automl-serve %s\n", AML_VERSION_STRING);
            return 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            fprintf(stderr, "automl-serve: %s needs a value\n", a);
            return 2;
        } else if (strcmp(a, "--host") == 0) {
            o.host = v, i++;
        } else if (strcmp(a, "--port") == 0) {
            if (!parse_size(v, 65535, &n)) {
                fprintf(stderr, "automl-serve: --port %s: use 0 to 65535\n", v);
                return 2;
            }
            o.port = (int)n, i++;
        } else if (strcmp(a, "--token") == 0) {
            token = v, i++;
        } else if (strcmp(a, "--name") == 0) {
            name_arg = v, i++;
        } else if (strcmp(a, "--max-body") == 0) {
            if (!parse_size(v, (unsigned long long)1 << 40, &n) || n == 0) {
                fprintf(stderr, "automl-serve: --max-body %s: a number of bytes\n", v);
                return 2;
            }
            o.max_body = (size_t)n, i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (!parse_size(v, 256, &n) || n == 0) {
                fprintf(stderr, "automl-serve: --threads %s: 1 to 256\n", v);
                return 2;
            }
            o.threads = (unsigned)n, i++;
        } else if (a[0] == '-') {
            fprintf(stderr, "automl-serve: unknown option '%s' (--help lists them)\n", a);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "automl-serve: one model file only ('%s' is a second)\n", a);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "automl-serve: missing MODEL.aml\n");
        usage(stderr);
        return 2;
    }
    char name[160];
    if (name_arg) {
        if (!srv_name_ok(name_arg)) {
            fprintf(stderr, "automl-serve: --name %s: use letters, digits, '_', '-', '.'\n",
                    name_arg);
            return 2;
        }
        snprintf(name, sizeof name, "%s", name_arg);
    } else {
        default_name(path, name, sizeof name);
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (read_file(path, &bytes, &len)) {
        fprintf(stderr, "automl-serve: %s: %s\n", path, strerror(errno));
        return 1;
    }
    aml_error err = {0};
    srv_model *model = NULL;
    int rc = srv_model_from_bytes(bytes, len, NULL, &model, &err);
    free(bytes);
    if (rc) {
        fprintf(stderr, "automl-serve: %s is not a usable model file: %s\n", path,
                err.text[0] ? err.text : aml_strerror(rc));
        return 1;
    }
    srv_server *server = NULL;
    rc = srv_server_start(&o, &server, &err);
    if (rc == 0)
        rc = srv_server_deploy(server, name, model, token, &err);
    if (rc) {
        fprintf(stderr, "automl-serve: %s\n", err.text[0] ? err.text : aml_strerror(rc));
        srv_server_free(server);
        srv_model_unref(model);
        return 1;
    }
    const aml_model *m = srv_model_get(model);
    printf("automl-serve: serving %s (%s, target '%s') as '%s'\n", path,
           aml_task_name(aml_model_task(m)), aml_model_target(m), name);
    printf("  predict: POST %s/v1/models/%s:predict\n", srv_server_url(server), name);
    printf("  schema:  GET  %s/v1/models/%s\n", srv_server_url(server), name);
    printf("  health:  GET  %s/healthz\n", srv_server_url(server));
    printf("  token:   %s\n", token && *token ? "required (Authorization: Bearer ...)" : "none");
    printf("Ctrl-C or SIGTERM stops it.\n");
    if (!(token && *token) && strcmp(o.host, "127.0.0.1") != 0 && strcmp(o.host, "localhost") != 0 &&
        strcmp(o.host, "::1") != 0)
        fprintf(stderr, "automl-serve: warning: no token and --host %s: anyone who can reach "
                        "this machine can call the model (set --token)\n", o.host);
    fflush(stdout);
    srv_model_unref(model);   /* the server holds its own reference */
    int sig = 0;
    sigwait(&stop, &sig);
    srv_server_free(server);
    printf("automl-serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
}
