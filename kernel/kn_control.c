/*
 * kn_control.c — the control thread: kernel_info, interrupt and shutdown are
 * answered here even while the shell thread is busy running a cell.
 */
#include "kn_server.h"

#include <string.h>
#include <zmq.h>

static void handle(kn_server *srv, kn_msg *m)
{
    void *pub = srv->control_pub;
    if (m->refused[0]) {
        kn_refuse(srv, srv->control, pub, m, NULL);
        return;
    }
    kn_publish_status(srv, pub, m, "busy");
    if (strcmp(m->msg_type, "kernel_info_request") == 0) {
        kn_reply(srv, srv->control, m, "kernel_info_reply", kn_kernel_info(srv));
    } else if (strcmp(m->msg_type, "interrupt_request") == 0) {
        atomic_store(&srv->interrupt, 1);
        kn_reply(srv, srv->control, m, "interrupt_reply", json_pack("{s:s}", "status", "ok"));
    } else if (strcmp(m->msg_type, "shutdown_request") == 0) {
        bool restart = json_is_true(json_object_get(m->content, "restart"));
        atomic_store(&srv->restart, restart);
        kn_reply(srv, srv->control, m, "shutdown_reply",
                 json_pack("{s:s, s:b}", "status", "ok", "restart", restart));
        /* stop the running cell too: shutdown must not wait for a long %train */
        atomic_store(&srv->interrupt, 1);
        atomic_store(&srv->stop, 1);
    } else {
        kn_log("control: unsupported message type '%s'", m->msg_type);
    }
    kn_publish_status(srv, pub, m, "idle");
}

void *kn_control_main(void *arg)
{
    kn_server *srv = arg;
    while (!atomic_load(&srv->stop)) {
        zmq_pollitem_t item = {srv->control, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) <= 0)
            continue;
        kn_msg m;
        if (kn_recv_msg(srv, srv->control, &m, "control"))
            continue;
        handle(srv, &m);
        kn_msg_clear(&m);
    }
    return NULL;
}
