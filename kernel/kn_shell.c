/*
 * kn_shell.c — the shell channel's request handlers: execute (with
 * stop_on_error aborts), introspection (complete, inspect, is_complete),
 * kernel_info, history and comms.  Runs on the shell thread; every request is
 * bracketed by busy and idle on iopub.
 *
 * Code may hold NUL characters (a client sends "\u0000"): it goes to the
 * interpreter with its length, which answers it (kn.h).  History keeps C
 * strings, so a cell holding a NUL is not recorded there; it uses its
 * execution count like any failed cell.
 */
#include "kn_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static bool flag(json_t *content, const char *key, bool dflt)
{
    json_t *v = json_object_get(content, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static json_t *with_status(json_t *content)
{
    if (!content)
        content = json_object();
    json_object_set_new(content, "status", json_string("ok"));
    return content;
}

static json_t *user_expressions(kn_server *srv, json_t *exprs)
{
    json_t *out = json_object();
    const char *name;
    json_t *v;
    json_object_foreach(exprs, name, v) {
        json_t *r = json_is_string(v) ? srv->interp->evaluate(srv->interp->self,
                                                               json_string_value(v),
                                                               json_string_length(v))
                                      : NULL;
        if (!r)
            r = json_pack("{s:s, s:s, s:s, s:[]}", "status", "error", "ename", "TypeError",
                          "evalue", "a user expression must be a string", "traceback");
        json_object_set_new(out, name, r);
    }
    return out;
}

/* How long a failed cell waits for requests still in flight (stop_on_error):
 * "Run All" sends every cell at once, and a cell that fails at once must still
 * stop the ones sent with it. */
#define KN_ABORT_WINDOW_MS 50

/* Takes every request waiting on the shell socket or arriving within the
 * abort window (stop_on_error).  Called before the failed cell's reply goes
 * out, so a request sent after the client saw that reply is never among
 * them.  Returns how many were taken. */
static size_t take_queued(kn_server *srv, kn_msg **out)
{
    size_t n = 0, cap = 0;
    long deadline = kn_now_ms() + KN_ABORT_WINDOW_MS;
    *out = NULL;
    for (;;) {
        long left = deadline - kn_now_ms();
        zmq_pollitem_t item = {srv->shell, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, left > 0 ? left : 0) <= 0)
            return n;
        kn_msg m;
        if (kn_recv_msg(srv, srv->shell, &m, "shell"))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            kn_msg *v = realloc(*out, cap * sizeof *v);
            if (!v) {
                kn_msg_clear(&m);
                return n;
            }
            *out = v;
        }
        (*out)[n++] = m;
    }
}

/* Answers the taken execute_requests with status "aborted"; other requests
 * are handled normally. */
static void abort_queued(kn_server *srv, kn_msg *queued, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        kn_msg *m = &queued[i];
        if (strcmp(m->msg_type, "execute_request") == 0) {
            kn_publish_status(srv, srv->shell_pub, m, "busy");
            kn_reply(srv, srv->shell, m, "execute_reply",
                     json_pack("{s:s, s:i, s:[], s:{}}", "status", "aborted", "execution_count",
                               srv->execution_count, "payload", "user_expressions"));
            kn_publish_status(srv, srv->shell_pub, m, "idle");
        } else {
            kn_shell_handle(srv, m);
        }
        kn_msg_clear(m);
    }
    free(queued);
}

/* The request's "code": its text and length ("" when absent). */
static const char *code_of(const kn_msg *m, size_t *len)
{
    json_t *v = json_object_get(m->content, "code");
    *len = json_string_length(v);
    return json_is_string(v) ? json_string_value(v) : "";
}

static void execute(kn_server *srv, kn_msg *m)
{
    size_t code_len;
    const char *code = code_of(m, &code_len);
    bool silent = flag(m->content, "silent", false);
    bool store = !silent && flag(m->content, "store_history", true);
    kn_request req = {
        .srv = srv,
        .pub = srv->shell_pub,
        .msg = m,
        .silent = silent,
        .allow_stdin = flag(m->content, "allow_stdin", true),
    };
    if (store)
        srv->execution_count++;
    req.execution_count = srv->execution_count;
    if (!silent)
        kn_publish(srv, srv->shell_pub, m, "execute_input",
                   json_pack("{s:s%, s:i}", "code", code, code_len, "execution_count",
                             req.execution_count));
    atomic_store(&srv->interrupt, 0);
    kn_sigint_seen = 0;

    int rc = srv->interp->execute(srv->interp->self, &req, code, code_len);
    if (rc != 0 && !req.error)
        kn_error(&req, "Error", "the cell failed", NULL, 0);

    json_t *reply = json_pack("{s:s, s:i}", "status", rc == 0 ? "ok" : "error",
                              "execution_count", req.execution_count);
    if (rc != 0)
        json_object_update(reply, req.error);
    json_object_set_new(reply, "payload", req.payload ? req.payload : json_array());
    req.payload = NULL;
    json_t *exprs = json_object_get(m->content, "user_expressions");
    json_object_set_new(reply, "user_expressions",
                        json_is_object(exprs) ? user_expressions(srv, exprs) : json_object());
    if (store && !memchr(code, 0, code_len))
        kn_history_add(srv->history, req.execution_count, code, req.result_text);
    kn_msg *queued = NULL;
    size_t n_queued = 0;
    if (rc != 0 && flag(m->content, "stop_on_error", true))
        n_queued = take_queued(srv, &queued);
    kn_reply(srv, srv->shell, m, "execute_reply", reply);
    kn_publish_status(srv, srv->shell_pub, m, "idle");
    json_decref(req.error);
    free(req.result_text);
    abort_queued(srv, queued, n_queued);
}

/* ---- comms ---- */

static const kn_comm_target *find_target(kn_server *srv, const char *name)
{
    for (size_t i = 0; name && i < srv->opts->n_targets; i++)
        if (strcmp(srv->opts->targets[i].name, name) == 0)
            return &srv->opts->targets[i];
    return NULL;
}

static void comm(kn_server *srv, kn_msg *m)
{
    const char *id = kn_cstring(json_object_get(m->content, "comm_id"));
    json_t *data = json_object_get(m->content, "data");
    kn_request req = {.srv = srv, .pub = srv->shell_pub, .msg = m, .execution_count =
                      srv->execution_count};
    if (!id) {
        kn_log("shell: %s without a comm_id (or one holding a NUL character)", m->msg_type);
        return;
    }
    if (strcmp(m->msg_type, "comm_open") == 0) {
        const char *name = kn_cstring(json_object_get(m->content, "target_name"));
        const kn_comm_target *t = find_target(srv, name);
        if (!t) {
            kn_log("shell: no comm target '%s'; closing comm %s", name ? name : "", id);
            kn_publish(srv, srv->shell_pub, m, "comm_close",
                       json_pack("{s:s, s:{}}", "comm_id", id, "data"));
            return;
        }
        json_object_set_new(srv->comms, id, json_string(t->name));
        if (t->on_open)
            t->on_open(t->self, &req, id, data);
        return;
    }
    const kn_comm_target *t = find_target(srv, json_string_value(json_object_get(srv->comms, id)));
    if (!t) {
        kn_log("shell: %s for unknown comm %s", m->msg_type, id);
        return;
    }
    if (strcmp(m->msg_type, "comm_msg") == 0) {
        if (t->on_msg)
            t->on_msg(t->self, &req, id, data);
    } else {
        if (t->on_close)
            t->on_close(t->self, &req, id, data);
        json_object_del(srv->comms, id);
    }
}

static json_t *comm_info(kn_server *srv, kn_msg *m)
{
    json_t *want_v = json_object_get(m->content, "target_name");
    const char *want = kn_cstring(want_v);
    json_t *comms = json_object();
    const char *id;
    json_t *target;
    json_object_foreach(srv->comms, id, target) {
        /* a name holding a NUL names no target: it lists none, not all */
        if (!json_is_string(want_v) || (want && strcmp(want, json_string_value(target)) == 0))
            json_object_set_new(comms, id, json_pack("{s:O}", "target_name", target));
    }
    return json_pack("{s:s, s:o}", "status", "ok", "comms", comms);
}

/* ---- dispatch ---- */

static long cursor(kn_msg *m, const char *code, size_t code_len)
{
    json_t *v = json_object_get(m->content, "cursor_pos");
    return json_is_integer(v) ? (long)json_integer_value(v) : kn_utf8_count(code, code_len);
}

void kn_shell_handle(kn_server *srv, kn_msg *m)
{
    const char *type = m->msg_type;
    kn_interpreter *in = srv->interp;
    size_t len;
    const char *code = code_of(m, &len);
    if (m->refused[0]) {
        kn_refuse(srv, srv->shell, srv->shell_pub, m, &srv->execution_count);
        return;
    }
    if (strcmp(type, "execute_request") == 0) {
        kn_publish_status(srv, srv->shell_pub, m, "busy");
        execute(srv, m);  /* publishes idle itself, before aborting the queue */
        return;
    }
    kn_publish_status(srv, srv->shell_pub, m, "busy");
    if (strcmp(type, "kernel_info_request") == 0) {
        kn_reply(srv, srv->shell, m, "kernel_info_reply", kn_kernel_info(srv));
    } else if (strcmp(type, "complete_request") == 0) {
        kn_reply(srv, srv->shell, m, "complete_reply",
                 with_status(in->complete(in->self, code, len, cursor(m, code, len))));
    } else if (strcmp(type, "inspect_request") == 0) {
        int detail = (int)json_integer_value(json_object_get(m->content, "detail_level"));
        kn_reply(srv, srv->shell, m, "inspect_reply",
                 with_status(in->inspect(in->self, code, len, cursor(m, code, len), detail)));
    } else if (strcmp(type, "is_complete_request") == 0) {
        kn_reply(srv, srv->shell, m, "is_complete_reply", in->is_complete(in->self, code, len));
    } else if (strcmp(type, "history_request") == 0) {
        kn_reply(srv, srv->shell, m, "history_reply", kn_history_reply(srv->history, m->content));
    } else if (strcmp(type, "comm_info_request") == 0) {
        kn_reply(srv, srv->shell, m, "comm_info_reply", comm_info(srv, m));
    } else if (strcmp(type, "comm_open") == 0 || strcmp(type, "comm_msg") == 0 ||
               strcmp(type, "comm_close") == 0) {
        comm(srv, m);
    } else if (strcmp(type, "shutdown_request") == 0) {
        bool restart = json_is_true(json_object_get(m->content, "restart"));
        atomic_store(&srv->restart, restart);
        kn_reply(srv, srv->shell, m, "shutdown_reply",
                 json_pack("{s:s, s:b}", "status", "ok", "restart", restart));
        atomic_store(&srv->stop, 1);
    } else {
        kn_log("shell: unsupported message type '%s'", type);
    }
    kn_publish_status(srv, srv->shell_pub, m, "idle");
}
