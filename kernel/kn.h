/*
 * kn.h — the kernel layer's public interface: a Jupyter messaging protocol 5.3
 * server that runs an interpreter.
 *
 * The kernel knows nothing about AutoML.  A language implements kn_interpreter
 * (a struct of function pointers, as xeus' interpreter interface) and calls the
 * output API below while it executes.  kn_run() owns the sockets and threads:
 * heartbeat, control and iopub run on their own threads; the calling thread is
 * the shell thread and runs the interpreter.
 *
 * JSON values are jansson's json_t.  Unless said otherwise a function that
 * takes a json_t * borrows it (the caller keeps its reference), and a callback
 * that returns a json_t * hands over a new reference.
 *
 * Text from a client (code, expressions) reaches the interpreter as UTF-8
 * `text` with its length `len` in bytes; text[len] is a NUL.  It may hold NUL
 * characters of its own, as a client sends "\u0000" in JSON: read it with
 * the length (memchr, not strlen), and decide what such text means rather
 * than reading only the part before the first NUL.  Strings of the message
 * that name things (msg_type, comm_id, target_name) are never passed holding
 * a NUL: the kernel treats those as malformed or unknown itself.
 */
#ifndef KN_H
#define KN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KN_PROTOCOL_VERSION "5.3"

/* The request being handled: the handle through which an interpreter sends
 * output.  Valid only during the callback it is passed to.  Not thread-safe:
 * use it from the thread that called the callback. */
typedef struct kn_request kn_request;

typedef struct kn_interpreter {
    void *self;  /* passed back to every callback */

    /* Fills `reply` (a kernel_info_reply content object) with language_info,
     * implementation_version, banner and help_links.  Called from the shell
     * and the control threads, so it must only read immutable state. */
    void (*kernel_info)(void *self, json_t *reply);

    /* Runs a cell of `code_len` bytes.  Sends output through the kn_* output
     * API.  Returns 0 on success, -1 after reporting an error with
     * kn_error(). */
    int (*execute)(void *self, kn_request *req, const char *code, size_t code_len);

    /* Evaluates one user expression of `len` bytes.  Returns a new object
     * {"status":"ok","data":{...},"metadata":{}} or an error dict
     * {"status":"error","ename","evalue","traceback"}. */
    json_t *(*evaluate)(void *self, const char *expression, size_t len);

    /* Return new content objects (without "status"; the kernel adds it).
     * Cursor positions are in Unicode code points (a NUL counts as one). */
    json_t *(*complete)(void *self, const char *code, size_t code_len, long cursor_pos);
    json_t *(*inspect)(void *self, const char *code, size_t code_len, long cursor_pos,
                       int detail_level);
    /* Returns {"status": "complete"|"incomplete"|"invalid"|"unknown", ...}. */
    json_t *(*is_complete)(void *self, const char *code, size_t code_len);

    /* Called once on the shell thread when the kernel shuts down. */
    void (*shutdown)(void *self, bool restart);
} kn_interpreter;

/* Comm handlers a language registers for a target name.  `data` is the
 * message's content.data (its strings may hold NULs: compare them with
 * json_string_length).  Each may send output and kn_comm_send(). */
typedef struct kn_comm_target {
    const char *name;
    void (*on_open)(void *self, kn_request *req, const char *comm_id, json_t *data);
    void (*on_msg)(void *self, kn_request *req, const char *comm_id, json_t *data);
    void (*on_close)(void *self, kn_request *req, const char *comm_id, json_t *data);
    void *self;
} kn_comm_target;

typedef struct kn_options {
    const char *connection_file;     /* path of the connection file (required) */
    const char *implementation;      /* e.g. "automl-kernel" */
    const char *history_dir;         /* NULL: <Jupyter data dir>/<language>; "" disables */
    const char *language;            /* used for the history directory name */
    const kn_comm_target *targets;   /* comm targets, `n_targets` of them; borrowed */
    size_t n_targets;
} kn_options;

/* Runs the kernel until a shutdown_request, SIGTERM or a fatal socket error.
 * Returns 0 on a clean shutdown, 1 after an error (already logged to stderr).
 * Installs handlers for SIGINT (interrupt) and SIGTERM (clean shutdown). */
int kn_run(const kn_options *opts, kn_interpreter *interp);

/* ---- output API: call only from the interpreter's callbacks ---- */

/* Sends a stream message; `name` is "stdout" or "stderr". */
void kn_stream(kn_request *req, const char *name, const char *text);

/* Sends display_data.  `data` is a mime bundle, `metadata` may be NULL.
 * `display_id` (may be NULL) makes the display updatable. */
void kn_display(kn_request *req, json_t *data, json_t *metadata, const char *display_id);

/* Sends update_display_data for an earlier display with `display_id`. */
void kn_update_display(kn_request *req, json_t *data, json_t *metadata, const char *display_id);

/* Sends clear_output; with `wait`, the client clears when new output arrives. */
void kn_clear_output(kn_request *req, bool wait);

/* Sends execute_result with the request's execution count. */
void kn_execute_result(kn_request *req, json_t *data, json_t *metadata);

/* Sends an error output and records it for the execute_reply.  `traceback`
 * lines may be NULL/0, in which case "ename: evalue" is used. */
void kn_error(kn_request *req, const char *ename, const char *evalue,
              const char *const *traceback, size_t n_traceback);

/* Adds a pager payload to the execute_reply (shown by the client's pager). */
void kn_page(kn_request *req, json_t *data);

/* Adds an ask_exit payload: a console client exits (and, unless
 * `keep_kernel`, shuts the kernel down). */
void kn_ask_exit(kn_request *req, bool keep_kernel);

/* Asks the user for a line through the stdin channel.  Returns 0 and a
 * malloc'd string in *out (caller frees), -1 when the client does not accept
 * input (allow_stdin false), -2 when interrupted or shutting down, -3 when
 * the answer held a NUL character (it is not a C string; nothing in *out). */
int kn_input(kn_request *req, const char *prompt, bool password, char **out);

/* True once an interrupt (interrupt_request or SIGINT) arrived during this
 * request.  Long work polls it at least every 100 ms. */
bool kn_interrupted(const kn_request *req);

/* The execution count of the running execute_request. */
int kn_execution_count(const kn_request *req);

/* Sends comm_msg with `data` on the comm `comm_id`. */
void kn_comm_send(kn_request *req, const char *comm_id, json_t *data);

#ifdef __cplusplus
}
#endif
#endif
