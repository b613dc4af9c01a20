/*
 * mg_http.c — %http / %%http: send one HTTP request from the notebook and
 * show the answer (status, time, the JSON body pretty-printed).  It is how a
 * notebook queries the model it deployed with %deploy, as an application
 * would:
 *
 *     %%http POST http://127.0.0.1:8080/v1/models/calls:predict
 *     {"instances": [{"age": 41, "job": "technician"}]}
 *
 * Plain http:// only (the kernel talks to local services; no TLS).  An HTTP
 * error status is shown, not raised: a teaching notebook shows what a 400
 * looks like and goes on.  Transport failures (refused, timed out, bad URL)
 * are errors.  Waits in slices of 100 ms, so an interrupt stops it at once.
 */
#include "mg.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE (16u << 20)

static const mg_option http_options[] = {
    {"token", MG_STRING, NULL, "sent as Authorization: Bearer TOKEN"},
    {"timeout", MG_DURATION, NULL, "how long to wait for the answer (default 10s)"},
    {0},
};

typedef struct url {
    char host[256], port[16], path[2048];
} url;

static int parse_url(const char *s, url *u, char *why, size_t len)
{
    if (strncasecmp(s, "https://", 8) == 0) {
        snprintf(why, len, "%.200s: https is not supported — %%http talks to local services over "
                 "http://", s);
        return -1;
    }
    if (strncasecmp(s, "http://", 7) != 0) {
        snprintf(why, len, "%.200s: give a URL starting with http://, e.g. "
                 "http://127.0.0.1:8080/healthz", s);
        return -1;
    }
    const char *h = s + 7, *end = h + strcspn(h, "/?#");
    const char *colon = memchr(h, ':', (size_t)(end - h));
    const char *hend = colon ? colon : end;
    if (hend == h || (size_t)(hend - h) >= sizeof u->host) {
        snprintf(why, len, "%.200s: no host in the URL", s);
        return -1;
    }
    memcpy(u->host, h, (size_t)(hend - h));
    u->host[hend - h] = 0;
    if (colon) {
        size_t pl = (size_t)(end - colon - 1);
        if (pl == 0 || pl >= sizeof u->port || strspn(colon + 1, "0123456789") < pl) {
            snprintf(why, len, "%.200s: the port must be a number", s);
            return -1;
        }
        memcpy(u->port, colon + 1, pl);
        u->port[pl] = 0;
    } else {
        snprintf(u->port, sizeof u->port, "80");
    }
    snprintf(u->path, sizeof u->path, "%s", *end == '/' ? end : "/");
    if (*end && *end != '/')
        snprintf(u->path, sizeof u->path, "/%s", end);
    return 0;
}

/* Waits until `fd` is ready for `events`, in 100 ms slices.  Returns 0,
 * or -1 with the reason in `why` (interrupted, timed out). */
static int wait_fd(mg_ctx *ctx, int fd, short events, double deadline, char *why, size_t len)
{
    for (;;) {
        if (kn_interrupted(ctx->req)) {
            snprintf(why, len, "interrupted");
            return -1;
        }
        double left = deadline - aml_now();
        if (left <= 0) {
            snprintf(why, len, "no answer in time (timeout=)");
            return -1;
        }
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, left < 0.1 ? (int)(left * 1000) + 1 : 100);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR) {
            snprintf(why, len, "%s", strerror(errno));
            return -1;
        }
    }
}

static int connect_to(mg_ctx *ctx, const url *u, double deadline, char *why, size_t len)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(u->host, u->port, &hints, &res);
    if (g) {
        snprintf(why, len, "cannot resolve %s: %s", u->host, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    snprintf(why, len, "cannot connect to %s:%s", u->host, u->port);
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        int err = errno, soerr = 0;
        socklen_t sl = sizeof soerr;
        if (err == EINPROGRESS && wait_fd(ctx, fd, POLLOUT, deadline, why, len) == 0 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
            break;
        if (err != EINPROGRESS || soerr)
            snprintf(why, len, "cannot connect to %s:%s: %s (is the server running? %%deploy "
                     "starts one)", u->host, u->port, strerror(soerr ? soerr : err));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* The body of a chunked response, decoded in place.  Returns its length,
 * or -1 when malformed. */
static long dechunk(char *b, size_t n)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        unsigned long sz = strtoul(b + in, &end, 16);
        char *nl = memchr(b + in, '\n', n - in);
        if (end == b + in || !nl)
            return -1;
        in = (size_t)(nl - b) + 1;
        if (sz == 0)
            return (long)out;
        if (sz > n - in)
            return -1;
        memmove(b + out, b + in, sz);
        out += sz;
        in += sz;
        if (in < n && b[in] == '\r')
            in++;
        if (in < n && b[in] == '\n')
            in++;
    }
}

static int run_http(mg_ctx *ctx, const mg_call *call)
{
    const char *method = "GET", *target;
    const char *body = call->line->body;
    if (call->n_pos == 2) {
        method = call->pos[0];
        target = call->pos[1];
    } else {
        target = call->pos[0];
        if (body && strspn(body, " \t\r\n") < strlen(body))
            method = "POST";
    }
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
    size_t mi = 0;
    while (mi < 6 && strcasecmp(methods[mi], method) != 0)
        mi++;
    if (mi == 6)
        return mg_fail(ctx, "UsageError", "%%http %s: the method is one of GET, POST, PUT, "
                       "DELETE, HEAD, PATCH", method);
    method = methods[mi];
    char why[512], full[2600];
    url u;
    if (target[0] == '/') {   /* a path alone: the server %deploy started */
        const char *base = mg_deploy_url();
        if (!base)
            return mg_fail(ctx, "UsageError", "%%http %s: a path alone goes to the server "
                           "%%deploy started, and nothing is deployed — give a full URL",
                           target);
        snprintf(full, sizeof full, "%s%s", base, target);
        target = full;
    }
    if (parse_url(target, &u, why, sizeof why))
        return mg_fail(ctx, "UsageError", "%s", why);
    double timeout = mg_opt(call, "timeout") ? mg_parse_duration(mg_opt(call, "timeout")) : 10;
    const char *token = mg_opt(call, "token");
    size_t blen = body ? strlen(body) : 0;
    /* a body that is JSON goes as JSON; anything else as text */
    json_error_t jerr;
    json_t *jbody = blen ? json_loads(body, JSON_DECODE_ANY, &jerr) : NULL;
    const char *ctype = jbody ? "application/json" : "text/plain; charset=utf-8";
    json_decref(jbody);

    mg_buf req = {0};
    mg_buf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: automl-kernel\r\n"
                "Accept: application/json\r\nConnection: close\r\n", method, u.path, u.host, u.port);
    if (token)
        mg_buf_addf(&req, "Authorization: Bearer %s\r\n", token);
    if (blen)
        mg_buf_addf(&req, "Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, blen);
    mg_buf_add(&req, "\r\n");

    double t0 = aml_now(), deadline = t0 + timeout;
    int fd = connect_to(ctx, &u, deadline, why, sizeof why);
    if (fd < 0) {
        mg_buf_free(&req);
        return mg_fail(ctx, "ConnectionError", "%%http %s %s: %s", method, target, why);
    }
    int rc = 0;
    const char *parts[2] = {req.data, body};
    size_t lens[2] = {req.len, blen};
    for (int p = 0; p < 2 && rc == 0; p++)
        for (size_t off = 0; off < lens[p] && rc == 0;) {
            ssize_t w = send(fd, parts[p] + off, lens[p] - off, MSG_NOSIGNAL);
            if (w > 0)
                off += (size_t)w;
            else if (w < 0 && (errno == EAGAIN || errno == EINTR))
                rc = wait_fd(ctx, fd, POLLOUT, deadline, why, sizeof why);
            else {
                snprintf(why, sizeof why, "the connection closed while sending: %s",
                         strerror(errno));
                rc = -1;
            }
        }
    mg_buf_free(&req);
    mg_buf resp = {0};
    char chunk[16384];
    while (rc == 0) {
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r > 0) {
            if (resp.len + (size_t)r > MAX_RESPONSE) {
                snprintf(why, sizeof why, "the answer is larger than 16 MB");
                rc = -1;
                break;
            }
            mg_buf_add_n(&resp, chunk, (size_t)r);
        } else if (r == 0) {
            break;
        } else if (errno == EAGAIN || errno == EINTR) {
            rc = wait_fd(ctx, fd, POLLIN, deadline, why, sizeof why);
        } else {
            snprintf(why, sizeof why, "%s", strerror(errno));
            rc = -1;
        }
    }
    close(fd);
    double ms = 1000 * (aml_now() - t0);
    if (rc) {
        mg_buf_free(&resp);
        return mg_fail(ctx, "ConnectionError", "%%http %s %s: %s", method, target, why);
    }
    /* status line, headers, body */
    char *sep = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
    int status = 0;
    char reason[128] = "";
    if (!sep || sscanf(resp.data, "HTTP/%*d.%*d %d %127[^\r\n]", &status, reason) < 1) {
        mg_buf_free(&resp);
        return mg_fail(ctx, "ConnectionError", "%%http %s %s: the answer is not HTTP", method,
                       target);
    }
    *sep = 0;
    char *rbody = sep + 4;
    size_t rblen = resp.len - (size_t)(rbody - resp.data);
    bool chunked = strcasestr(resp.data, "\ntransfer-encoding: chunked") != NULL;
    if (chunked) {
        long n = dechunk(rbody, rblen);
        rblen = n >= 0 ? (size_t)n : 0;
        rbody[rblen] = 0;
    }
    json_t *doc = rblen ? json_loadb(rbody, rblen, JSON_DECODE_ANY, &jerr) : NULL;
    mg_buf text = {0}, html = {0};
    mg_buf_addf(&text, "HTTP %d %s (%.1f ms)\n", status, reason, ms);
    mg_buf_addf(&html, "<p><b style=\"color:%s\">HTTP %d %s</b> <small>(%.1f ms)</small></p>",
                status >= 400 ? "#b00020" : "#1b7f3b", status, reason, ms);
    /* 10 significant digits: the server's floats as it sent them, not their binary tails */
    size_t flags = JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10);
    char *pretty = doc ? json_dumps(doc, flags) : NULL;
    const char *shown = pretty ? pretty : rbody;
    mg_buf_add(&text, shown);
    mg_buf_add(&html, "<pre>");
    mg_buf_add_html(&html, shown);
    mg_buf_add(&html, "</pre>");
    json_t *bundle = json_pack("{s:s, s:s}", "text/plain", text.data, "text/html", html.data);
    if (doc)
        json_object_set_new(bundle, "application/json", json_incref(doc));
    kn_display(ctx->req, bundle, NULL, NULL);
    json_decref(bundle);
    json_decref(doc);
    free(pretty);
    mg_buf_free(&text);
    mg_buf_free(&html);
    mg_buf_free(&resp);
    return 0;
}

const mg_magic mg_magic_http = {
    .name = "http",
    .synopsis = "%http [METHOD] URL|/PATH [token=] [timeout=10s]   or   %%http [METHOD] URL|/PATH + body",
    .summary = "Send an HTTP request (e.g. to a %deploy'ed model) and show the answer.",
    .help = "Sends one request to an http:// URL and shows the status, the time it took and "
            "the answer (JSON pretty-printed). In the cell form, the rest of the cell is the "
            "request body (sent as JSON when it parses as JSON); the method is POST when a "
            "body is given, else GET. An HTTP error status is shown, not raised. A path alone "
            "(/v1/models/NAME:predict) goes to the server %deploy started last.\n\n"
            "Examples:\n"
            "  %http GET http://127.0.0.1:8080/healthz\n"
            "  %%http POST /v1/models/calls:predict\n"
            "  {\"instances\": [{\"age\": 41, \"job\": \"technician\"}]}",
    .options = http_options,
    .min_args = 1,
    .max_args = 2,
    .cell_body = true,
    .run = run_http,
};
