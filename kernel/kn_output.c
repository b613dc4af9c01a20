/*
 * kn_output.c — sending messages: replies, iopub publication, and the output
 * API that interpreters call while they run (stream, display, results, errors,
 * pager payloads, stdin input, comm messages).
 */
#include "kn_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int kn_send_frames(void *sock, const kn_frames *f)
{
    for (size_t i = 0; i < f->n; i++) {
        int flags = i + 1 < f->n ? ZMQ_SNDMORE : 0;
        while (zmq_send(sock, f->v[i].data, f->v[i].size, flags) < 0) {
            if (errno != EINTR)
                return -1;
        }
    }
    return 0;
}

void kn_reply(kn_server *srv, void *sock, const kn_msg *parent, const char *msg_type,
              json_t *content)
{
    json_t *header = kn_header_new(msg_type, srv->session);
    kn_frames f = {0};
    if (header && content &&
        kn_msg_encode(srv->signer, &parent->ids, header, parent->header, NULL, content, &f) == 0)
        if (kn_send_frames(sock, &f))
            kn_log("cannot send %s: %s", msg_type, zmq_strerror(errno));
    kn_frames_clear(&f);
    json_decref(header);
    json_decref(content);
}

void kn_publish(kn_server *srv, void *pub, const kn_msg *parent, const char *msg_type,
                json_t *content)
{
    json_t *header = kn_header_new(msg_type, srv->session);
    char topic[128];
    snprintf(topic, sizeof topic, "kernel.%s.%s", srv->session, msg_type);
    kn_frames ids = {0}, f = {0};
    if (kn_frames_push(&ids, topic, strlen(topic)) == 0 && header && content &&
        kn_msg_encode(srv->signer, &ids, header, parent ? parent->header : NULL, NULL, content,
                      &f) == 0)
        if (kn_send_frames(pub, &f))
            kn_log("cannot publish %s: %s", msg_type, zmq_strerror(errno));
    kn_frames_clear(&ids);
    kn_frames_clear(&f);
    json_decref(header);
    json_decref(content);
}

void kn_publish_status(kn_server *srv, void *pub, const kn_msg *parent, const char *state)
{
    kn_publish(srv, pub, parent, "status", json_pack("{s:s}", "execution_state", state));
}

void kn_refuse(kn_server *srv, void *sock, void *pub, const kn_msg *m,
               const int *execution_count)
{
    size_t n = strlen(m->msg_type);
    kn_log("%s: refused: %s", m->msg_type, m->refused);
    if (n <= 8 || n > 100 || strcmp(m->msg_type + n - 8, "_request") != 0)
        return;
    char type[128];
    snprintf(type, sizeof type, "%.*s_reply", (int)(n - 8), m->msg_type);
    json_t *c = json_pack("{s:s, s:s, s:s, s:[s]}", "status", "error", "ename", "ValueError",
                          "evalue", m->refused, "traceback", m->refused);
    if (c && execution_count)
        json_object_set_new(c, "execution_count", json_integer(*execution_count));
    kn_publish_status(srv, pub, m, "busy");
    kn_reply(srv, sock, m, type, c);
    kn_publish_status(srv, pub, m, "idle");
}

/* ---- the output API ---- */

static void out(kn_request *req, const char *msg_type, json_t *content)
{
    if (req->silent) {
        json_decref(content);
        return;
    }
    kn_publish(req->srv, req->pub, req->msg, msg_type, content);
}

void kn_stream(kn_request *req, const char *name, const char *text)
{
    out(req, "stream", json_pack("{s:s, s:s}", "name", name, "text", text));
}

static json_t *display_content(json_t *data, json_t *metadata, const char *display_id)
{
    json_t *c = json_object();
    json_object_set_new(c, "data", data ? json_incref(data) : json_object());
    json_object_set_new(c, "metadata", metadata ? json_incref(metadata) : json_object());
    if (display_id)
        json_object_set_new(c, "transient", json_pack("{s:s}", "display_id", display_id));
    return c;
}

void kn_display(kn_request *req, json_t *data, json_t *metadata, const char *display_id)
{
    out(req, "display_data", display_content(data, metadata, display_id));
}

void kn_update_display(kn_request *req, json_t *data, json_t *metadata, const char *display_id)
{
    if (!display_id)
        return;
    out(req, "update_display_data", display_content(data, metadata, display_id));
}

void kn_clear_output(kn_request *req, bool wait)
{
    out(req, "clear_output", json_pack("{s:b}", "wait", wait));
}

void kn_execute_result(kn_request *req, json_t *data, json_t *metadata)
{
    const char *text = json_string_value(json_object_get(data, "text/plain"));
    if (text) {
        free(req->result_text);
        req->result_text = strdup(text);
    }
    json_t *c = display_content(data, metadata, NULL);
    json_object_set_new(c, "execution_count", json_integer(req->execution_count));
    out(req, "execute_result", c);
}

void kn_error(kn_request *req, const char *ename, const char *evalue,
              const char *const *traceback, size_t n_traceback)
{
    json_t *tb = json_array();
    if (n_traceback == 0) {
        char line[1024];
        snprintf(line, sizeof line, "%s: %s", ename, evalue);
        json_array_append_new(tb, json_string(line));
    }
    for (size_t i = 0; i < n_traceback; i++)
        json_array_append_new(tb, json_string(traceback[i]));
    json_t *err = json_pack("{s:s, s:s, s:o}", "ename", ename, "evalue", evalue, "traceback", tb);
    json_decref(req->error);
    req->error = json_deep_copy(err);
    out(req, "error", err);
}

static void add_payload(kn_request *req, json_t *payload)
{
    if (!req->payload)
        req->payload = json_array();
    json_array_append_new(req->payload, payload);
}

void kn_page(kn_request *req, json_t *data)
{
    add_payload(req, json_pack("{s:s, s:O, s:i}", "source", "page", "data", data, "start", 0));
}

void kn_ask_exit(kn_request *req, bool keep_kernel)
{
    add_payload(req, json_pack("{s:s, s:b}", "source", "ask_exit", "keepkernel", keep_kernel));
}

bool kn_interrupted(const kn_request *req)
{
    return atomic_load(&req->srv->interrupt) || kn_sigint_seen || atomic_load(&req->srv->stop);
}

int kn_execution_count(const kn_request *req)
{
    return req->execution_count;
}

void kn_comm_send(kn_request *req, const char *comm_id, json_t *data)
{
    kn_publish(req->srv, req->pub, req->msg, "comm_msg",
               json_pack("{s:s, s:O}", "comm_id", comm_id, "data", data ? data : json_null()));
}

int kn_input(kn_request *req, const char *prompt, bool password, char **result)
{
    kn_server *srv = req->srv;
    if (!req->allow_stdin)
        return -1;
    kn_reply(srv, srv->stdin_sock, req->msg, "input_request",
             json_pack("{s:s, s:b}", "prompt", prompt ? prompt : "", "password", password));
    while (!kn_interrupted(req)) {
        zmq_pollitem_t item = {srv->stdin_sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, 50);
        if (n <= 0)
            continue;
        kn_msg m;
        if (kn_recv_msg(srv, srv->stdin_sock, &m, "stdin"))
            continue;
        json_t *value_v = json_object_get(m.content, "value");
        const char *value = json_string_value(value_v);
        bool is_reply = strcmp(m.msg_type, "input_reply") == 0;
        if (is_reply && (m.refused[0] || (value && !kn_cstring(value_v)))) {
            kn_msg_clear(&m);
            return -3;   /* the answer holds a NUL character: not a C string */
        }
        if (is_reply) {
            *result = strdup(value ? value : "");
            kn_msg_clear(&m);
            return *result ? 0 : -2;
        }
        kn_log("stdin: ignoring %s", m.msg_type);
        kn_msg_clear(&m);
    }
    return -2;
}
