/* test_srv_server.c — the REST server over real loopback sockets: binding
 * (free port, busy port, bad hosts), routes and statuses, the model being
 * the server's own copy, and concurrent predictions on keep-alive
 * connections while the model is redeployed and undeployed under them. */
#include "srv.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A small binary model: y = (x > 0.5) xor noise, with a category. */
static aml_model *train(void)
{
    enum { N = 200 };
    double x[N];
    const char *cat[N], *y[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = (double)((i * 37) % N) / N;
        cat[i] = i % 3 ? "red" : "blue";
        y[i] = (x[i] > 0.5) != (i % 11 == 0) ? "yes" : "no";
    }
    aml_frame *f = NULL;
    cr_assert_eq(aml_frame_new(&f), 0);
    cr_assert_eq(aml_frame_add_numbers(f, "x", x, N, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "colour", AML_TYPE_CATEGORICAL, cat, N, NULL, NULL), 0);
    cr_assert_eq(aml_frame_add_strings(f, "y", AML_TYPE_CATEGORICAL, y, N, NULL, NULL), 0);
    aml_search_options o = aml_search_options_default();
    const char *models[] = {"linear"};
    o.target = "y";
    o.models = models;
    o.n_models = 1;
    o.max_trials = 1;
    o.budget_seconds = 5;
    o.ensemble = false;
    o.threads = 1;
    aml_run *run = NULL;
    aml_error e = {0};
    cr_assert_eq(aml_search_run(f, &o, &run, &e), 0, "%s", e.text);
    aml_model *m = aml_run_take_model(run);
    cr_assert_not_null(m);
    aml_run_free(run);
    aml_frame_free(f);
    return m;
}

static srv_server *start(int port, aml_error *e)
{
    srv_options o = srv_options_default();
    o.port = port;
    o.max_body = 4096;
    srv_server *s = NULL;
    int rc = srv_server_start(&o, &s, e);
    cr_assert_eq(rc, 0, "%s", e->text);
    return s;
}

/* ---- a minimal HTTP/1.1 client ---- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends a request on fd; returns the status (-1: connection closed) and the
 * body in `body` (NUL-terminated, cut to cap). */
static int exchange(int fd, const char *method, const char *path, const char *extra,
                    const char *body, char *out, size_t cap)
{
    char req[8192];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: t\r\n%sContent-Length: %zu\r\n\r\n%s",
                     method, path, extra ? extra : "", body ? strlen(body) : 0, body ? body : "");
    if (write(fd, req, (size_t)n) != n)
        return -1;
    static __thread char buf[65536];
    size_t len = 0;
    for (;;) {
        ssize_t got = read(fd, buf + len, sizeof buf - 1 - len);
        if (got <= 0)
            return -1;
        len += (size_t)got;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strcasestr(buf, "Content-Length:");
        size_t blen = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
        if (len < (size_t)(end + 4 - buf) + blen)
            continue;
        snprintf(out, cap, "%.*s", (int)blen, end + 4);
        return atoi(buf + 9);
    }
}

static int request(int port, const char *method, const char *path, const char *extra,
                   const char *body, char *out, size_t cap)
{
    int fd = dial(port);
    if (fd < 0)
        return -1;
    int st = exchange(fd, method, path, extra, body, out, cap);
    close(fd);
    return st;
}

Test(srv_server, binds_free_port_and_reports_busy_ports_and_bad_hosts)
{
    aml_error e = {0};
    srv_server *s = start(0, &e);
    int port = srv_server_port(s);
    cr_assert_gt(port, 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    cr_assert_str_eq(srv_server_url(s), url);
    cr_assert_str_eq(srv_server_host(s), "127.0.0.1");
    srv_options o = srv_options_default();
    o.port = port;
    srv_server *s2 = (srv_server *)1;
    cr_assert_eq(srv_server_start(&o, &s2, &e), AML_EIO);
    cr_assert_null(s2);
    cr_assert(strstr(e.text, "is in use"), "%s", e.text);
    o.port = 0;
    o.host = "192.0.2.1";   /* TEST-NET-1: never ours */
    cr_assert_eq(srv_server_start(&o, &s2, &e), AML_EINVAL);
    cr_assert(strstr(e.text, "not an address of this machine"), "%s", e.text);
    o.host = "no-such-host.invalid";
    cr_assert_eq(srv_server_start(&o, &s2, &e), AML_EINVAL);
    cr_assert(strstr(e.text, "no-such-host.invalid"), "%s", e.text);
    o.host = "127.0.0.1";
    o.port = 65536;
    cr_assert_eq(srv_server_start(&o, &s2, &e), AML_EINVAL);
    char body[512];
    cr_assert_eq(request(port, "GET", "/healthz", NULL, NULL, body, sizeof body), 200);
    cr_assert_str_eq(body, "{\"status\":\"ok\"}");
    srv_server_free(s);
    srv_server_free(NULL);
    cr_assert_eq(request(port, "GET", "/healthz", NULL, NULL, body, sizeof body), -1,
                 "the port is closed after srv_server_free");
}

Test(srv_server, routes_statuses_and_own_copy, .timeout = 60)
{
    aml_model *m = train();
    srv_model *copy = NULL;
    aml_error e = {0};
    cr_assert_eq(srv_model_new(m, "{\"validation\": 0.9}", &copy, &e), 0, "%s", e.text);
    aml_model_free(m);   /* the server's copy does not depend on it */
    srv_server *s = start(0, &e);
    int port = srv_server_port(s);
    cr_assert_eq(srv_server_deploy(s, "bad/name", copy, NULL, &e), AML_EINVAL);
    cr_assert_eq(srv_server_deploy(s, "m", copy, "tok", &e), 0);
    srv_model_unref(copy);
    cr_assert_eq(srv_server_model_count(s), 1);
    char body[4096];
    const char *auth = "Authorization: Bearer tok\r\n";
    const char *good = "{\"instances\": [{\"x\": 0.9, \"colour\": \"red\"}, {\"x\": 0.1}]}";
    cr_assert_eq(request(port, "POST", "/v1/models/m:predict", NULL, good, body, sizeof body), 401);
    cr_assert_eq(request(port, "POST", "/v1/models/m:predict", "Authorization: Bearer tok2\r\n",
                         good, body, sizeof body), 401);
    cr_assert_eq(request(port, "POST", "/v1/models/m:predict", auth, good, body, sizeof body), 200,
                 "%s", body);
    json_t *doc = json_loads(body, 0, NULL);
    json_t *preds = json_object_get(doc, "predictions");
    cr_assert_eq(json_array_size(preds), 2, "%s", body);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(preds, 0), "label")), "yes");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(preds, 1), "label")), "no");
    json_t *sc = json_object_get(json_array_get(preds, 0), "scores");
    double sum = json_real_value(json_object_get(sc, "no")) + json_real_value(json_object_get(sc, "yes"));
    cr_assert(fabs(sum - 1) < 1e-5, "scores sum to %g", sum);
    json_decref(doc);
    cr_assert_eq(request(port, "GET", "/v1/models/m", auth, NULL, body, sizeof body), 200);
    doc = json_loads(body, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "task")), "binary");
    cr_assert_eq(json_real_value(json_object_get(json_object_get(doc, "metrics"), "validation")), 0.9);
    cr_assert_eq(json_array_size(json_object_get(doc, "inputs")), 2);
    json_decref(doc);
    cr_assert_eq(request(port, "POST", "/v1/models/m:predict", auth, "{\"instances\": [{\"x\": \"hi\"}]}",
                         body, sizeof body), 400);
    cr_assert(strstr(body, "\"field\":\"x\"") && strstr(body, "\"instance\":0"), "%s", body);
    char big[5000];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(request(port, "POST", "/v1/models/m:predict", auth, big, body, sizeof body), 413);
    cr_assert_eq(request(port, "GET", "/v1/models/m:predict", auth, NULL, body, sizeof body), 405);
    cr_assert_eq(request(port, "DELETE", "/v1/models/m", auth, NULL, body, sizeof body), 405);
    cr_assert_eq(request(port, "GET", "/v1/models/zz", NULL, NULL, body, sizeof body), 404);
    cr_assert_eq(request(port, "GET", "/v1/models/a/b", NULL, NULL, body, sizeof body), 404);
    cr_assert_eq(request(port, "GET", "/", NULL, NULL, body, sizeof body), 404);
    cr_assert_eq(request(port, "GET", "/v1/models/%ff", NULL, NULL, body, sizeof body), 404,
                 "a URL that is not UTF-8 still gets a JSON 404");
    cr_assert(strstr(body, "not UTF-8"), "%s", body);
    cr_assert_eq(request(port, "GET", "/v1/models", NULL, NULL, body, sizeof body), 200);
    cr_assert_str_eq(body, "{\"models\":[\"m\"]}");
    cr_assert_eq(srv_server_undeploy(s, "m"), 0);
    cr_assert_eq(srv_server_undeploy(s, "m"), AML_ENOENT);
    cr_assert_eq(request(port, "POST", "/v1/models/m:predict", auth, good, body, sizeof body), 404);
    srv_server_free(s);
}

typedef struct hammer {
    int port, ok, missing, other;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    int fd = dial(h->port);
    char body[4096];
    for (int i = 0; i < 150; i++) {
        int st = fd >= 0 ? exchange(fd, "POST", "/v1/models/m:predict", NULL,
                                    "{\"instances\": [{\"x\": 0.7, \"colour\": \"blue\"}]}",
                                    body, sizeof body)
                         : -1;
        if (st == 200 && strstr(body, "\"label\":\"yes\""))
            h->ok++;
        else if (st == 404)
            h->missing++;
        else
            h->other++;
        if (st < 0) {   /* reconnect */
            if (fd >= 0)
                close(fd);
            fd = dial(h->port);
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

Test(srv_server, concurrent_predictions_while_redeploying, .timeout = 120)
{
    aml_model *m = train();
    aml_error e = {0};
    srv_options o = srv_options_default();
    o.port = 0;
    o.threads = 4;
    srv_server *s = NULL;
    cr_assert_eq(srv_server_start(&o, &s, &e), 0, "%s", e.text);
    srv_model *copy = NULL;
    cr_assert_eq(srv_model_new(m, NULL, &copy, &e), 0);
    cr_assert_eq(srv_server_deploy(s, "m", copy, NULL, &e), 0);
    srv_model_unref(copy);
    enum { T = 4 };
    pthread_t th[T];
    hammer h[T];
    for (int i = 0; i < T; i++) {
        h[i] = (hammer){.port = srv_server_port(s)};
        pthread_create(&th[i], NULL, hammer_run, &h[i]);
    }
    /* replace the deployment under the requests, then take it away */
    for (int k = 0; k < 30; k++) {
        cr_assert_eq(srv_model_new(m, NULL, &copy, &e), 0);
        cr_assert_eq(srv_server_deploy(s, "m", copy, NULL, &e), 0);
        srv_model_unref(copy);
        usleep(2000);
    }
    usleep(20000);
    srv_server_undeploy(s, "m");
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    int ok = 0;
    for (int i = 0; i < T; i++) {
        cr_expect_eq(h[i].other, 0, "thread %d: %d unexpected answers", i, h[i].other);
        cr_expect_eq(h[i].ok + h[i].missing, 150);
        ok += h[i].ok;
    }
    cr_assert_gt(ok, 0);
    srv_server_free(s);
    aml_model_free(m);
}

Test(srv_server, free_with_open_keepalive_connections, .timeout = 30)
{
    aml_error e = {0};
    srv_server *s = start(0, &e);
    int fd = dial(srv_server_port(s));
    char body[256];
    /* GETs keep the connection open, errors included */
    cr_assert_eq(exchange(fd, "GET", "/healthz", NULL, NULL, body, sizeof body), 200);
    cr_assert_eq(exchange(fd, "GET", "/v1/models/none", NULL, NULL, body, sizeof body), 404);
    cr_assert_eq(exchange(fd, "GET", "/v1/models", NULL, NULL, body, sizeof body), 200);
    srv_server_free(s);   /* must not wait for the idle connection's timeout */
    char c;
    cr_assert_leq(read(fd, &c, 1), 0);
    close(fd);
}
