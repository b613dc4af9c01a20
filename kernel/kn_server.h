/*
 * kn_server.h — the running kernel's state, shared by the server loop
 * (kn_server.c), the request handlers (kn_shell.c, kn_control.c) and the
 * output API (kn_output.c).
 */
#ifndef KN_SERVER_H
#define KN_SERVER_H

#include "kn_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

typedef struct kn_server {
    void *zctx;
    kn_connection conn;
    kn_signer *signer;
    char session[37];
    const kn_options *opts;
    kn_interpreter *interp;
    kn_history *history;
    int execution_count;          /* shell thread only */
    json_t *comms;                /* comm_id -> target index; shell thread only */

    void *shell, *stdin_sock, *shell_pub;    /* owned by the shell thread */
    void *control, *control_pub;             /* owned by the control thread */
    void *hb;                                /* owned by the heartbeat thread */
    void *iopub, *iopub_pull;                /* owned by the iopub thread */

    atomic_int stop;              /* shutdown requested */
    atomic_int restart;           /* the restart flag of that shutdown_request */
    atomic_int iopub_done;        /* set last: the iopub thread drains and ends */
    atomic_int interrupt;         /* interrupt_request seen during this request */
} kn_server;

struct kn_request {
    kn_server *srv;
    void *pub;            /* this thread's PUSH end of the iopub pipe */
    const kn_msg *msg;    /* the request */
    bool silent, allow_stdin;
    int execution_count;
    json_t *payload;      /* execute_reply payload list */
    json_t *error;        /* {ename, evalue, traceback} of kn_error, or NULL */
    char *result_text;    /* text/plain of the execute_result, for history */
};

/* SIGINT arrived (async-signal-safe flag; cleared at each execute). */
extern volatile sig_atomic_t kn_sigint_seen;

/* Sends frames as one multipart message; retries on EINTR. 0 or -1. */
int kn_send_frames(void *sock, const kn_frames *f);
/* Receives one multipart message (appends to f). 0 or -1. */
int kn_recv_frames(void *sock, kn_frames *f);
/* Receives and decodes a message; invalid ones are logged and dropped
 * (returns -1 then). */
int kn_recv_msg(kn_server *srv, void *sock, kn_msg *out, const char *channel);

/* Sends a reply to `parent` on a ROUTER socket; takes `content`'s reference. */
void kn_reply(kn_server *srv, void *sock, const kn_msg *parent, const char *msg_type,
              json_t *content);
/* Publishes on iopub through `pub`; takes `content`'s reference.  `parent`
 * may be NULL (no parent header). */
void kn_publish(kn_server *srv, void *pub, const kn_msg *parent, const char *msg_type,
                json_t *content);
void kn_publish_status(kn_server *srv, void *pub, const kn_msg *parent, const char *state);

/* Answers a refused message (kn_msg.refused) on `sock`: an X_request gets
 * an X_reply with status "error" (with `execution_count` when not NULL),
 * bracketed by busy and idle on `pub`; anything else is only logged. */
void kn_refuse(kn_server *srv, void *sock, void *pub, const kn_msg *m,
               const int *execution_count);

/* kernel_info_reply content (shared by shell and control). */
json_t *kn_kernel_info(kn_server *srv);

/* Handles one decoded shell message (busy ... idle included). */
void kn_shell_handle(kn_server *srv, kn_msg *msg);
/* The control thread's loop. */
void *kn_control_main(void *arg);

#endif
