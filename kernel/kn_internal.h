/*
 * kn_internal.h — pieces shared between the kernel layer's files: the
 * connection file, message signing, the wire codec, history and the server
 * state.  Not for interpreters (they use kn.h only).
 */
#ifndef KN_INTERNAL_H
#define KN_INTERNAL_H

#include "kn.h"

#include <stdint.h>

/* ---- connection file (kn_connection.c) ---- */
typedef struct kn_connection {
    char transport[8];          /* "tcp" or "ipc" */
    char ip[256];
    int shell_port, iopub_port, stdin_port, control_port, hb_port;
    unsigned char *key;         /* raw bytes of the "key" string; owned */
    size_t key_len;
    char signature_scheme[32];
    unsigned file_mode;         /* permission bits of the file read (kn_connection_load) */
    bool exposed;               /* the file holds a key and others may read or write it */
} kn_connection;

/* Parses connection-file JSON text.  Returns 0, or -1 with a one-line reason
 * in `why`.  On success `out` owns its key (kn_connection_clear frees it). */
int kn_connection_parse(const char *text, kn_connection *out, char *why, size_t why_len);
/* Reads and parses the file at `path`; like kn_connection_parse.  Also
 * records the file's permissions (`exposed`: a key others can read). */
int kn_connection_load(const char *path, kn_connection *out, char *why, size_t why_len);
void kn_connection_clear(kn_connection *c);
/* Writes the ZeroMQ endpoint of `port` ("tcp://ip:port" or "ipc://ip-port"). */
void kn_connection_endpoint(const kn_connection *c, int port, char *buf, size_t len);

/* ---- signing (kn_sign.c) ---- */
typedef struct kn_signer kn_signer;
typedef struct kn_bytes {
    const void *data;
    size_t size;
} kn_bytes;

/* A signer for HMAC-SHA256 with `key` (raw bytes, copied); an empty key
 * means unsigned messages.  Thread-safe after creation. */
kn_signer *kn_signer_new(const unsigned char *key, size_t key_len);
void kn_signer_free(kn_signer *s);
bool kn_signer_enabled(const kn_signer *s);
/* Signs the four JSON parts (header, parent, metadata, content) into `hex`
 * (64 lowercase hex digits + NUL); "" when signing is disabled. */
void kn_signer_sign(const kn_signer *s, const kn_bytes parts[4], char hex[65]);

enum { KN_SIG_OK = 0, KN_SIG_BAD = -1, KN_SIG_REPLAY = -2 };
/* Checks `sig` against the parts in constant time and remembers it, so a
 * second message with the same signature is a replay.  Thread-safe. */
int kn_signer_verify(kn_signer *s, const kn_bytes parts[4], const void *sig, size_t sig_len);

/* ---- wire codec (kn_message.c) ---- */
typedef struct kn_frame {
    unsigned char *data;  /* owned */
    size_t size;
} kn_frame;

typedef struct kn_frames {
    kn_frame *v;
    size_t n, cap;
} kn_frames;

/* Appends a copy of the bytes.  Returns 0, or -1 when out of memory (f unchanged). */
int kn_frames_push(kn_frames *f, const void *data, size_t size);
void kn_frames_clear(kn_frames *f);

typedef struct kn_msg {
    kn_frames ids;      /* routing identities before <IDS|MSG> */
    json_t *header, *parent, *metadata, *content;
    kn_frames buffers;
    const char *msg_type;  /* borrowed from header */
    char refused[160];     /* "": a normal message; else why it is answered
                              with an error instead of being handled (its
                              metadata or content could not be read and
                              decoded as {}) */
} kn_msg;

/* The text of string `v` when it is a string holding no NUL character, else
 * NULL.  For strings used as names (msg_type, comm_id, ...): one holding a
 * NUL is not the name its part before the NUL spells. */
const char *kn_cstring(const json_t *v);

/* Decodes a multipart message.  Verifies the signature (and replays) with
 * `signer`.  Returns 0, or -1 with a static reason in *why (and `out`
 * cleared).  A message whose metadata or content has a key holding a NUL
 * character decodes (returns 0) with out->refused set. */
int kn_msg_decode(const kn_frames *frames, kn_signer *signer, kn_msg *out, const char **why);
void kn_msg_clear(kn_msg *m);

/* A new header object for `msg_type` in `session`: msg_id, date with
 * microseconds and Z, username, version. */
json_t *kn_header_new(const char *msg_type, const char *session);
/* Writes an ISO 8601 UTC timestamp with 6-digit microseconds and Z. */
void kn_format_date(char buf[40]);
/* Writes a random UUID4 string (36 chars + NUL). */
void kn_uuid4(char buf[37]);

/* Encodes a message: ids, delimiter, signature, header, parent, metadata,
 * content.  NULL parent/metadata encode as {}.  Appends to `out`. */
int kn_msg_encode(const kn_signer *signer, const kn_frames *ids, json_t *header,
                  json_t *parent, json_t *metadata, json_t *content, kn_frames *out);

/* ---- history (kn_history.c) ---- */
typedef struct kn_history kn_history;
/* Opens (creating) the history file in `dir`; dir NULL or "" keeps history in
 * memory only.  Starts a new session numbered after the last one stored. */
kn_history *kn_history_open(const char *dir);
void kn_history_free(kn_history *h);
int kn_history_session(const kn_history *h);
/* Records input (and its text output, may be NULL) for execution `line`. */
void kn_history_add(kn_history *h, int line, const char *input, const char *output);
/* Answers a history_request content with a new reply content object. */
json_t *kn_history_reply(const kn_history *h, json_t *request);

/* ---- the kernel's monotonic clock (kn_server.c), in milliseconds ---- */
long kn_now_ms(void);

/* ---- logging ---- */
void kn_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- code points (kn_text.c) ---- */
/* Byte offset of code point `cp` in UTF-8 `s` (clamped to the string's end). */
size_t kn_utf8_offset(const char *s, long cp);
/* Number of code points in the first `bytes` bytes of `s` (a NUL byte is one). */
long kn_utf8_count(const char *s, size_t bytes);

#endif
