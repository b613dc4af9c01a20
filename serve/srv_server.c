/*
 * srv_server.c — the embedded REST server: libmicrohttpd on its own threads
 * (an internal polling thread pool) over a socket we bind ourselves (so a
 * busy port or a foreign address is a clear error), the routes of srv.h, a
 * table of deployed models (name -> srv_model + optional bearer token)
 * guarded by a mutex, body limits checked on Content-Length and while the
 * body streams in.
 */
#include "srv.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define PREFIX "/v1/models"
#define PREDICT_SUFFIX ":predict"
/* A body over the limit is read and dropped up to this many times the limit
 * (to answer 413 to clients that send before they read); beyond, the
 * connection is closed. */
#define DRAIN_FACTOR 8

typedef struct entry {
    char *name;
    char *token;        /* NULL: no token */
    srv_model *model;   /* a reference */
} entry;

struct srv_server {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;   /* guards the table */
    entry *models;
    size_t n, cap;
    srv_options opts;
    srv_limits limits;
    char host[256];
    char url[300];
    int port;
};

/* One request's state, from its first call to its completion. */
typedef struct request {
    char *body;
    size_t len, cap;
    size_t seen;        /* body bytes received, kept or not */
    bool too_big;
} request;

srv_options srv_options_default(void)
{
    return (srv_options){
        .host = "127.0.0.1",
        .port = 8080,
        .max_body = 1u << 20,
        .max_instances = 10000,
        .threads = 2,
        .max_connections = 64,
        .timeout_seconds = 30,
    };
}

/* ---- the table ---- */

static long find(const srv_server *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->models[i].name, name) == 0)
            return (long)i;
    return -1;
}

int srv_server_deploy(srv_server *s, const char *name, srv_model *model, const char *token,
                      aml_error *err)
{
    if (!srv_name_ok(name))
        return aml_error_set(err, AML_EINVAL, 0, 0, name ? name : "",
                             "'%s' cannot name an endpoint: use letters, digits, '_', '-', '.'",
                             name ? name : "");
    char *nm = strdup(name), *tk = token && *token ? strdup(token) : NULL;
    if (!nm || (token && *token && !tk)) {
        free(nm);
        free(tk);
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    }
    entry old = {0};
    pthread_mutex_lock(&s->lock);
    long i = find(s, name);
    if (i < 0 && s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        entry *v = realloc(s->models, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&s->lock);
            free(nm);
            free(tk);
            return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
        }
        s->models = v;
        s->cap = cap;
    }
    if (i >= 0)
        old = s->models[i];
    else
        i = (long)s->n++;
    s->models[i] = (entry){nm, tk, srv_model_ref(model)};
    pthread_mutex_unlock(&s->lock);
    free(old.name);
    free(old.token);
    srv_model_unref(old.model);   /* a request in flight may still hold it */
    return 0;
}

int srv_server_undeploy(srv_server *s, const char *name)
{
    pthread_mutex_lock(&s->lock);
    long i = find(s, name);
    if (i < 0) {
        pthread_mutex_unlock(&s->lock);
        return AML_ENOENT;
    }
    entry old = s->models[i];
    s->models[i] = s->models[--s->n];
    pthread_mutex_unlock(&s->lock);
    free(old.name);
    free(old.token);
    srv_model_unref(old.model);
    return 0;
}

size_t srv_server_model_count(const srv_server *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->lock);
    size_t n = s->n;
    pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
    return n;
}

int srv_server_port(const srv_server *s) { return s->port; }
const char *srv_server_host(const srv_server *s) { return s->host; }
const char *srv_server_url(const srv_server *s) { return s->url; }

/* ---- responses ---- */

/* Queues `json` (malloc'd; taken) with `status`. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, char *json,
                                 const char *allow)
{
    if (!json)
        return MHD_NO;
    size_t len = strlen(json);
    json[len] = '\0';
    struct MHD_Response *r = MHD_create_response_from_buffer(len, json, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *text,
                                  const char *field, long instance, const char *allow)
{
    json_t *doc = json_pack("{s:s}", "error", text);
    if (!doc)   /* the text quotes a URL or field that is not UTF-8 */
        doc = json_pack("{s:s}", "error", status == MHD_HTTP_NOT_FOUND
                                              ? "no such path or model (the URL is not UTF-8)"
                                              : "bad request (a name that is not UTF-8)");
    if (doc && field && *field)
        json_object_set_new(doc, "field", json_string(field));
    if (doc && instance >= 0)
        json_object_set_new(doc, "instance", json_integer(instance));
    char *json = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return send_json(c, status, json, allow);
}

static enum MHD_Result send_doc(struct MHD_Connection *c, unsigned status, json_t *doc)
{
    char *json = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return send_json(c, status, json, NULL);
}

/* ---- routing ---- */

static bool is(const char *method, const char *m) { return strcmp(method, m) == 0; }

static enum MHD_Result list_models(srv_server *s, struct MHD_Connection *c)
{
    json_t *names = json_array();
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; names && i < s->n; i++)
        json_array_append_new(names, json_string(s->models[i].name));
    pthread_mutex_unlock(&s->lock);
    return send_doc(c, MHD_HTTP_OK, json_pack("{s:o}", "models", names));
}

/* The model called `name` with a new reference, after the token check.
 * NULL when a response (404/401) was queued instead. */
static srv_model *lookup(srv_server *s, struct MHD_Connection *c, const char *name,
                         enum MHD_Result *ret)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    pthread_mutex_lock(&s->lock);
    long i = find(s, name);
    srv_model *m = NULL;
    bool denied = false;
    if (i >= 0) {
        denied = !srv_token_ok(auth, s->models[i].token);
        if (!denied)
            m = srv_model_ref(s->models[i].model);
    }
    pthread_mutex_unlock(&s->lock);
    if (i < 0) {
        char text[300];
        snprintf(text, sizeof text, "no model '%.200s' is deployed here (GET /v1/models lists "
                 "them)", name);
        *ret = send_error(c, MHD_HTTP_NOT_FOUND, text, NULL, -1, NULL);
    } else if (denied) {
        *ret = send_error(c, MHD_HTTP_UNAUTHORIZED,
                          auth ? "wrong token" : "this model needs \"Authorization: Bearer TOKEN\"",
                          NULL, -1, NULL);
    }
    return m;
}

static enum MHD_Result too_large(srv_server *s, struct MHD_Connection *c)
{
    char text[160];
    snprintf(text, sizeof text, "the body is over the limit of %zu bytes: split the batch",
             s->opts.max_body);
    return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, text, NULL, -1, NULL);
}

/* Answers a request once it has been read in full (`rq` holds its body):
 * routes it, checks the model and token, predicts.  Answering after the
 * body keeps the connection alive. */
static enum MHD_Result answer(srv_server *s, struct MHD_Connection *c, const char *url,
                              const char *method, const request *rq)
{
    bool get = is(method, MHD_HTTP_METHOD_GET) || is(method, MHD_HTTP_METHOD_HEAD);
    if (strcmp(url, "/healthz") == 0) {
        if (!get)
            return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET /healthz", NULL, -1, "GET, HEAD");
        return send_doc(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
    }
    if (strcmp(url, PREFIX) == 0 || strcmp(url, PREFIX "/") == 0) {
        if (!get)
            return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET " PREFIX, NULL, -1, "GET, HEAD");
        return list_models(s, c);
    }
    char name[160];
    const char *rest = url + sizeof PREFIX;
    size_t n = strncmp(url, PREFIX "/", sizeof PREFIX) == 0 ? strlen(rest) : 0;
    size_t sl = strlen(PREDICT_SUFFIX);
    bool predict = n > sl && strcmp(rest + n - sl, PREDICT_SUFFIX) == 0;
    if (predict)
        n -= sl;
    if (n == 0 || n >= sizeof name || memchr(rest, '/', n) || memchr(rest, ':', n)) {
        char text[300];
        snprintf(text, sizeof text, "no such path '%.200s' (try POST /v1/models/NAME:predict)",
                 url);
        return send_error(c, MHD_HTTP_NOT_FOUND, text, NULL, -1, NULL);
    }
    memcpy(name, rest, n);
    name[n] = '\0';
    if (predict && !is(method, MHD_HTTP_METHOD_POST))
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "predictions take POST", NULL, -1, "POST");
    if (!predict && !get)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "a model's description takes GET",
                          NULL, -1, "GET, HEAD");
    enum MHD_Result ret = MHD_NO;
    srv_model *m = lookup(s, c, name, &ret);
    if (!m)
        return ret;
    char *json = NULL;
    if (!predict) {
        srv_model_describe_json(m, name, &json);
        srv_model_unref(m);
        return send_json(c, MHD_HTTP_OK, json, NULL);
    }
    if (rq->too_big) {
        srv_model_unref(m);
        return too_large(s, c);
    }
    size_t len = 0;
    srv_error err = {0};
    int rc = srv_model_predict_json(m, rq->body ? rq->body : "", rq->len, &s->limits, &json,
                                    &len, &err);
    srv_model_unref(m);
    if (rc)
        return send_error(c, err.status ? (unsigned)err.status : 500,
                          err.text[0] ? err.text : aml_strerror(rc), err.field, err.instance,
                          NULL);
    return send_json(c, MHD_HTTP_OK, json, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **state)
{
    (void)version;
    srv_server *s = cls;
    request *rq = *state;
    if (!rq) {
        /* first call, headers only.  A declared body over the limit is never
         * buffered: a client that waits for "100 Continue", or one that
         * announces more than DRAIN_FACTOR times the limit, gets its 413 now
         * (libmicrohttpd then closes the connection); any other is answered
         * as soon as its body has been read and dropped, so that clients
         * which send the body before reading (most HTTP libraries) see the
         * 413 instead of a broken pipe. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        bool over = declared > s->opts.max_body;
        if (over && (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT) ||
                     declared / DRAIN_FACTOR > s->opts.max_body))
            return too_large(s, c);
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        rq->too_big = over;
        *state = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t add = *upload_size;
        *upload_size = 0;
        rq->seen += add;
        if (rq->too_big || rq->len + add > s->opts.max_body) {
            /* the rest is read and dropped (413 at the end), up to a point */
            rq->too_big = true;
            free(rq->body);
            rq->body = NULL;
            rq->len = rq->cap = 0;
            return rq->seen / DRAIN_FACTOR > s->opts.max_body ? MHD_NO : MHD_YES;
        }
        if (rq->len + add + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + add + 1)
                cap *= 2;
            char *b = realloc(rq->body, cap);
            if (!b)
                return MHD_NO;
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload_data, add);
        rq->len += add;
        return MHD_YES;
    }
    return answer(s, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *rq = *state;
    if (!rq)
        return;
    free(rq->body);
    free(rq);
    *state = NULL;
}

/* ---- start and stop ---- */

static int bind_socket(srv_server *s, const srv_options *o, int *fd_out, int *family,
                       aml_error *err)
{
    char port[16];
    snprintf(port, sizeof port, "%d", o->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(o->host, port, &hints, &res);
    if (g)
        return aml_error_set(err, AML_EINVAL, 0, 0, o->host, "host=%s: %s", o->host,
                             g == EAI_NONAME ? "no such host or address" : gai_strerror(g));
    int rc = 0, fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            rc = aml_error_set(err, AML_EIO, 0, 0, o->host, "socket: %s", strerror(errno));
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            *family = a->ai_family;
            rc = 0;
            break;
        }
        int e = errno;
        if (e == EADDRINUSE)
            rc = aml_error_set(err, AML_EIO, 0, 0, o->host,
                               "port %d on %s is in use — choose another port, or port 0 for a "
                               "free one", o->port, o->host);
        else if (e == EADDRNOTAVAIL)
            rc = aml_error_set(err, AML_EINVAL, 0, 0, o->host,
                               "host=%s is not an address of this machine", o->host);
        else if (e == EACCES)
            rc = aml_error_set(err, AML_EIO, 0, 0, o->host,
                               "port %d needs privileges: use a port above 1023", o->port);
        else
            rc = aml_error_set(err, AML_EIO, 0, 0, o->host, "binding %s port %d: %s", o->host,
                               o->port, strerror(e));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return rc ? rc : aml_error_set(err, AML_EINVAL, 0, 0, o->host, "host=%s: no address",
                                       o->host);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

int srv_server_start(const srv_options *opts, srv_server **out, aml_error *err)
{
    *out = NULL;
    srv_options o = opts ? *opts : srv_options_default();
    srv_options d = srv_options_default();
    if (!o.host || !*o.host)
        o.host = d.host;
    if (o.port < 0 || o.port > 65535)
        return aml_error_set(err, AML_EINVAL, 0, 0, "port", "port=%d: use 0 to 65535", o.port);
    if (o.max_body == 0)
        o.max_body = d.max_body;
    if (o.max_instances == 0)
        o.max_instances = d.max_instances;
    if (o.threads == 0)
        o.threads = d.threads;
    if (o.max_connections == 0)
        o.max_connections = d.max_connections;
    if (o.timeout_seconds == 0)
        o.timeout_seconds = d.timeout_seconds;
    if (strlen(o.host) >= 256)
        return aml_error_set(err, AML_EINVAL, 0, 0, "host", "host=: too long");
    srv_server *s = calloc(1, sizeof *s);
    if (!s)
        return aml_error_set(err, AML_ENOMEM, 0, 0, "", "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->host, sizeof s->host, "%s", o.host);
    o.host = s->host;
    s->opts = o;
    s->limits = srv_limits_default();
    s->limits.max_instances = o.max_instances;
    int fd = -1, family = AF_INET;
    int rc = bind_socket(s, &o, &fd, &family, err);
    if (rc) {
        srv_server_free(s);
        return rc;
    }
    snprintf(s->url, sizeof s->url, strchr(s->host, ':') ? "http://[%s]:%d" : "http://%s:%d",
             s->host, s->port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    /* the server's threads take none of the process's signals (SIGINT is
     * the kernel's interrupt): they inherit a mask that blocks them */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, o.threads, MHD_OPTION_CONNECTION_LIMIT,
        o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, o.timeout_seconds,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!s->daemon) {
        close(fd);
        srv_server_free(s);
        return aml_error_set(err, AML_EIO, 0, 0, o.host, "the HTTP server did not start");
    }
    *out = s;
    return 0;
}

void srv_server_free(srv_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);   /* joins its threads and closes the socket */
    for (size_t i = 0; i < s->n; i++) {
        free(s->models[i].name);
        free(s->models[i].token);
        srv_model_unref(s->models[i].model);
    }
    free(s->models);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
