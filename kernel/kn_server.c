/*
 * kn_server.c — kn_run(): binds the five sockets from the connection file,
 * starts the heartbeat, iopub and control threads, runs the shell loop on the
 * calling thread, and shuts everything down cleanly.
 *
 * Threads (docs/architecture.md, "Threads"): heartbeat echoes on its own REP
 * socket; one iopub thread owns the PUB socket and forwards what the shell and
 * control threads push to it over inproc (ZeroMQ sockets are not
 * thread-safe); control answers kernel_info, interrupt and shutdown while the
 * shell is busy.
 */
#include "kn_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define POLL_MS 50  /* how often idle loops look at the stop flag */
#define IOPUB_PIPE "inproc://kn-iopub"

volatile sig_atomic_t kn_sigint_seen;
static volatile sig_atomic_t sigterm_seen;

/* Routine events (start, stop) are logged only with AUTOML_KERNEL_DEBUG set;
 * problems (dropped messages, socket errors) always are. */
static bool debug_log(void)
{
    const char *v = getenv("AUTOML_KERNEL_DEBUG");
    return v && *v && strcmp(v, "0") != 0;
}

void kn_log(const char *fmt, ...)
{
    char date[40];
    kn_format_date(date);
    va_list ap;
    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "[automl-kernel %s] ", date);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

int kn_recv_frames(void *sock, kn_frames *f)
{
    int more = 1, lost = 0;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        int rc;
        while ((rc = zmq_msg_recv(&part, sock, 0)) < 0 && errno == EINTR)
            ;
        if (rc < 0) {
            zmq_msg_close(&part);
            return -1;
        }
        /* out of memory: the rest of the message is still read (and dropped),
         * so the next receive starts at a message boundary */
        lost |= kn_frames_push(f, zmq_msg_data(&part), zmq_msg_size(&part));
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    return lost ? -1 : 0;
}

int kn_recv_msg(kn_server *srv, void *sock, kn_msg *out, const char *channel)
{
    kn_frames f = {0};
    memset(out, 0, sizeof *out);
    if (kn_recv_frames(sock, &f)) {
        kn_frames_clear(&f);
        return -1;
    }
    const char *why = NULL;
    int rc = kn_msg_decode(&f, srv->signer, out, &why);
    if (rc)
        kn_log("%s: dropped a message (%zu frames): %s", channel, f.n, why);
    kn_frames_clear(&f);
    return rc;
}

json_t *kn_kernel_info(kn_server *srv)
{
    json_t *c = json_pack("{s:s, s:s, s:s, s:b}", "status", "ok", "protocol_version",
                          KN_PROTOCOL_VERSION, "implementation", srv->opts->implementation,
                          "debugger", 0);
    srv->interp->kernel_info(srv->interp->self, c);
    return c;
}

static void on_sigint(int sig)
{
    (void)sig;
    kn_sigint_seen = 1;
}

static void on_sigterm(int sig)
{
    (void)sig;
    sigterm_seen = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigterm;
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static bool stopping(kn_server *srv)
{
    if (sigterm_seen)
        atomic_store(&srv->stop, 1);
    return atomic_load(&srv->stop);
}

/* ---- heartbeat ---- */
static void *hb_main(void *arg)
{
    kn_server *srv = arg;
    while (!stopping(srv)) {
        zmq_pollitem_t item = {srv->hb, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, POLL_MS) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, srv->hb, ZMQ_DONTWAIT) >= 0)
            zmq_msg_send(&m, srv->hb, 0);
        zmq_msg_close(&m);
    }
    return NULL;
}

/* ---- iopub: forwards whole messages from the inproc pipe to the XPUB ----
 *
 * A PUB socket drops what it sends before a client has subscribed, and the
 * first message of all, status "starting", is sent before any client can
 * have.  So the socket is an XPUB: while nobody has subscribed, the first
 * message is held and sent when the first subscription arrives (and dropped
 * after KN_STARTING_HOLD_MS, so an unwatched kernel holds nothing). */
#define KN_STARTING_HOLD_MS 10000

typedef struct iopub_state {
    bool subscribed;
    bool first_seen;
    kn_frames held;      /* the first message, until someone subscribes */
    long held_at_ms;
} iopub_state;

long kn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void forward_one(kn_server *srv, iopub_state *st)
{
    kn_frames f = {0};
    if (kn_recv_frames(srv->iopub_pull, &f) == 0) {
        if (!st->first_seen && !st->subscribed) {
            st->held = f;  /* keep the frames: sent on the first subscription */
            st->held_at_ms = kn_now_ms();
            st->first_seen = true;
            return;
        }
        st->first_seen = true;
        kn_send_frames(srv->iopub, &f);
    }
    kn_frames_clear(&f);
}

/* Reads subscription messages from the XPUB (they must be drained). */
static void subscriptions(kn_server *srv, iopub_state *st)
{
    kn_frames f = {0};
    if (kn_recv_frames(srv->iopub, &f) == 0 && f.n && f.v[0].size && f.v[0].data[0] == 1) {
        if (!st->subscribed && st->held.n)
            kn_send_frames(srv->iopub, &st->held);
        kn_frames_clear(&st->held);
        st->subscribed = true;
    }
    kn_frames_clear(&f);
}

static void *iopub_main(void *arg)
{
    kn_server *srv = arg;
    iopub_state st;
    memset(&st, 0, sizeof st);
    for (;;) {
        bool done = atomic_load(&srv->iopub_done);
        zmq_pollitem_t items[2] = {{srv->iopub_pull, 0, ZMQ_POLLIN, 0},
                                   {srv->iopub, 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(items, 2, done ? 0 : POLL_MS);
        if (n > 0 && (items[1].revents & ZMQ_POLLIN))
            subscriptions(srv, &st);
        if (n > 0 && (items[0].revents & ZMQ_POLLIN))
            forward_one(srv, &st);
        else if (done)
            break;  /* everything pushed before the shutdown is out */
        if (st.held.n && kn_now_ms() - st.held_at_ms > KN_STARTING_HOLD_MS)
            kn_frames_clear(&st.held);
    }
    kn_frames_clear(&st.held);
    return NULL;
}

/* ---- setup ---- */
static void *open_socket(kn_server *srv, int type, int port, const char *what)
{
    char ep[512];
    if (port >= 0)
        kn_connection_endpoint(&srv->conn, port, ep, sizeof ep);
    else
        snprintf(ep, sizeof ep, "%s", IOPUB_PIPE);
    void *s = zmq_socket(srv->zctx, type);
    int linger = 500, hwm = 100000;
    if (s) {
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    int rc = !s ? -1 : type == ZMQ_PUSH ? zmq_connect(s, ep) : zmq_bind(s, ep);
    if (rc) {
        kn_log("cannot %s %s socket on %s: %s", type == ZMQ_PUSH ? "connect" : "bind", what, ep,
               zmq_strerror(errno));
        if (s)
            zmq_close(s);
        return NULL;
    }
    return s;
}

static void close_socket(void **s)
{
    if (*s)
        zmq_close(*s);
    *s = NULL;
}

/* <Jupyter data dir>/<language>: $JUPYTER_DATA_DIR, $XDG_DATA_HOME/jupyter or
 * ~/.local/share/jupyter, as jupyter_core finds it on Linux. */
static void history_dir(const kn_options *o, char *buf, size_t len)
{
    if (o->history_dir) {
        snprintf(buf, len, "%s", o->history_dir);
        return;
    }
    const char *lang = o->language ? o->language : "kernel";
    const char *jd = getenv("JUPYTER_DATA_DIR"), *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (jd && *jd)
        snprintf(buf, len, "%s/%s", jd, lang);
    else if (xdg && *xdg)
        snprintf(buf, len, "%s/jupyter/%s", xdg, lang);
    else if (home && *home)
        snprintf(buf, len, "%s/.local/share/jupyter/%s", home, lang);
    else
        buf[0] = 0;
}

static void shell_loop(kn_server *srv)
{
    while (!stopping(srv)) {
        zmq_pollitem_t item = {srv->shell, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, POLL_MS);
        if (n <= 0)
            continue;
        kn_msg m;
        if (kn_recv_msg(srv, srv->shell, &m, "shell"))
            continue;
        kn_shell_handle(srv, &m);
        kn_msg_clear(&m);
    }
}

int kn_run(const kn_options *opts, kn_interpreter *interp)
{
    kn_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        kn_log("out of memory");
        return 1;
    }
    int rc = 1;
    bool threads = false;
    pthread_t hb_t, iopub_t, control_t;
    char why[512], dir[4096];
    srv->opts = opts;
    srv->interp = interp;
    if (kn_connection_load(opts->connection_file, &srv->conn, why, sizeof why)) {
        kn_log("%s", why);
        goto out;
    }
    if (srv->conn.exposed)
        kn_log("warning: other users may read the connection file %s (mode %04o), and with it "
               "the key that lets anyone run code in this kernel: chmod 600 it",
               opts->connection_file, srv->conn.file_mode);
    srv->signer = kn_signer_new(srv->conn.key, srv->conn.key_len);
    srv->comms = json_object();
    kn_uuid4(srv->session);
    history_dir(opts, dir, sizeof dir);
    srv->history = kn_history_open(dir);
    srv->zctx = zmq_ctx_new();
    if (!srv->signer || !srv->comms || !srv->history || !srv->zctx) {
        kn_log("out of memory");
        goto out;
    }
    install_signals();
    /* Bind everything before any thread starts: a bind error fails the start. */
    srv->iopub_pull = open_socket(srv, ZMQ_PULL, -1, "iopub pipe");
    srv->iopub = open_socket(srv, ZMQ_XPUB, srv->conn.iopub_port, "iopub");
    srv->shell = open_socket(srv, ZMQ_ROUTER, srv->conn.shell_port, "shell");
    srv->control = open_socket(srv, ZMQ_ROUTER, srv->conn.control_port, "control");
    srv->stdin_sock = open_socket(srv, ZMQ_ROUTER, srv->conn.stdin_port, "stdin");
    srv->hb = open_socket(srv, ZMQ_REP, srv->conn.hb_port, "heartbeat");
    srv->shell_pub = srv->iopub_pull ? open_socket(srv, ZMQ_PUSH, -1, "shell pipe") : NULL;
    srv->control_pub = srv->iopub_pull ? open_socket(srv, ZMQ_PUSH, -1, "control pipe") : NULL;
    if (!srv->iopub_pull || !srv->iopub || !srv->shell || !srv->control || !srv->stdin_sock ||
        !srv->hb || !srv->shell_pub || !srv->control_pub)
        goto out;

    pthread_create(&hb_t, NULL, hb_main, srv);
    pthread_create(&iopub_t, NULL, iopub_main, srv);
    pthread_create(&control_t, NULL, kn_control_main, srv);
    threads = true;
    if (debug_log())
        kn_log("started: session %s, history session %d, %s transport", srv->session,
           kn_history_session(srv->history), srv->conn.transport);
    kn_publish_status(srv, srv->shell_pub, NULL, "starting");

    shell_loop(srv);
    rc = 0;
    interp->shutdown(interp->self, atomic_load(&srv->restart));
out:
    atomic_store(&srv->stop, 1);
    if (threads) {
        pthread_join(control_t, NULL);
        pthread_join(hb_t, NULL);
        atomic_store(&srv->iopub_done, 1);
        pthread_join(iopub_t, NULL);
    }
    close_socket(&srv->shell_pub);
    close_socket(&srv->control_pub);
    close_socket(&srv->iopub_pull);
    close_socket(&srv->iopub);
    close_socket(&srv->shell);
    close_socket(&srv->control);
    close_socket(&srv->stdin_sock);
    close_socket(&srv->hb);
    if (srv->zctx)
        zmq_ctx_term(srv->zctx);
    kn_history_free(srv->history);
    json_decref(srv->comms);
    kn_signer_free(srv->signer);
    kn_connection_clear(&srv->conn);
    free(srv);
    if (debug_log())
        kn_log("stopped");
    return rc;
}
