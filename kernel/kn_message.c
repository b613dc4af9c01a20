/*
 * kn_message.c — the Jupyter wire format: multipart frames <-> messages.
 *
 * Wire layout: [identities...] "<IDS|MSG>" signature header parent_header
 * metadata content [buffers...].  Decoding verifies the signature over the raw
 * JSON frames before parsing them; anything malformed is rejected with a
 * reason for the log and never answered.  Strings may hold NUL characters
 * (JSON "\u0000", which a cell may contain): they are decoded whole
 * (JSON_ALLOW_NUL), and whoever takes one out reads it with its length or
 * through kn_cstring.
 */
#include "kn_internal.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DELIM "<IDS|MSG>"
#define DELIM_LEN 9

int kn_frames_push(kn_frames *f, const void *data, size_t size)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        kn_frame *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return -1;
        f->v = v;
        f->cap = cap;
    }
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return -1;
    if (size)
        memcpy(copy, data, size);
    f->v[f->n].data = copy;
    f->v[f->n].size = size;
    f->n++;
    return 0;
}

void kn_frames_clear(kn_frames *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].data);
    free(f->v);
    memset(f, 0, sizeof *f);
}

void kn_msg_clear(kn_msg *m)
{
    kn_frames_clear(&m->ids);
    kn_frames_clear(&m->buffers);
    json_decref(m->header);
    json_decref(m->parent);
    json_decref(m->metadata);
    json_decref(m->content);
    memset(m, 0, sizeof *m);
}

const char *kn_cstring(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

static json_t *parse_object(const kn_frame *f, json_error_t *err)
{
    json_t *v = json_loadb((const char *)f->data, f->size,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, err);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* jansson refuses a key holding "\u0000" even with JSON_ALLOW_NUL.  Such a
 * metadata or content frame is still a request the client waits on: it
 * decodes as {} and the message is marked refused, to be answered with an
 * error reply instead of being run. */
static void refuse_nul_key(kn_msg *m, json_t **part, const json_error_t *e, const char *name)
{
    if (*part || json_error_code(e) != json_error_null_byte_in_key)
        return;
    *part = json_object();
    if (!m->refused[0])
        snprintf(m->refused, sizeof m->refused,
                 "the request's %s has a key holding a NUL character (\\u0000) at column %d, "
                 "which this kernel does not read", name, e->column);
}

int kn_msg_decode(const kn_frames *frames, kn_signer *signer, kn_msg *out, const char **why)
{
    memset(out, 0, sizeof *out);
    size_t d = 0;
    while (d < frames->n && !(frames->v[d].size == DELIM_LEN &&
                              memcmp(frames->v[d].data, DELIM, DELIM_LEN) == 0))
        d++;
    if (d == frames->n) {
        *why = "no <IDS|MSG> delimiter";
        return -1;
    }
    if (frames->n - d < 6) {
        *why = "too few frames after the delimiter";
        return -1;
    }
    const kn_frame *sig = &frames->v[d + 1];
    kn_bytes parts[4];
    for (int i = 0; i < 4; i++) {
        parts[i].data = frames->v[d + 2 + i].data;
        parts[i].size = frames->v[d + 2 + i].size;
    }
    int v = kn_signer_verify(signer, parts, sig->data, sig->size);
    if (v == KN_SIG_BAD) {
        *why = "bad or missing signature";
        return -1;
    }
    if (v == KN_SIG_REPLAY) {
        *why = "replayed signature";
        return -1;
    }
    json_error_t errs[4];
    memset(errs, 0, sizeof errs);
    out->header = parse_object(&frames->v[d + 2], &errs[0]);
    out->parent = parse_object(&frames->v[d + 3], &errs[1]);
    out->metadata = parse_object(&frames->v[d + 4], &errs[2]);
    out->content = parse_object(&frames->v[d + 5], &errs[3]);
    refuse_nul_key(out, &out->metadata, &errs[2], "metadata");
    refuse_nul_key(out, &out->content, &errs[3], "content");
    if (!out->header || !out->parent || !out->metadata || !out->content) {
        *why = "a header, parent_header, metadata or content frame is not a JSON object";
        kn_msg_clear(out);
        return -1;
    }
    out->msg_type = kn_cstring(json_object_get(out->header, "msg_type"));
    if (!out->msg_type || !json_is_string(json_object_get(out->header, "msg_id"))) {
        *why = "header lacks msg_type or msg_id (or its msg_type holds a NUL character)";
        kn_msg_clear(out);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < d && rc == 0; i++)
        rc = kn_frames_push(&out->ids, frames->v[i].data, frames->v[i].size);
    for (size_t i = d + 6; i < frames->n && rc == 0; i++)
        rc = kn_frames_push(&out->buffers, frames->v[i].data, frames->v[i].size);
    if (rc) {
        *why = "out of memory";
        kn_msg_clear(out);
    }
    return rc;
}

void kn_format_date(char buf[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%06ldZ", ts.tv_nsec / 1000);
}

void kn_uuid4(char buf[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);  /* libsodium: the kernel's entropy source */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
}

json_t *kn_header_new(const char *msg_type, const char *session)
{
    /* msg_id: the session id plus a counter is unique and cheaper than a UUID */
    static atomic_ulong counter;
    char id[80], date[40];
    snprintf(id, sizeof id, "%.36s_%lu", session, atomic_fetch_add(&counter, 1) + 1);
    kn_format_date(date);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "msg_id", id, "session", session,
                     "username", "kernel", "date", date, "msg_type", msg_type, "version",
                     KN_PROTOCOL_VERSION);
}

int kn_msg_encode(const kn_signer *signer, const kn_frames *ids, json_t *header,
                  json_t *parent, json_t *metadata, json_t *content, kn_frames *out)
{
    json_t *empty = json_object();
    json_t *objs[4] = {header, parent ? parent : empty, metadata ? metadata : empty,
                       content ? content : empty};
    char *text[4] = {0};
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        text[i] = json_dumps(objs[i], JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text[i])
            rc = -1;
    }
    if (rc == 0) {
        kn_bytes parts[4];
        for (int i = 0; i < 4; i++) {
            parts[i].data = text[i];
            parts[i].size = strlen(text[i]);
        }
        char sig[65];
        kn_signer_sign(signer, parts, sig);
        for (size_t i = 0; ids && i < ids->n && rc == 0; i++)
            rc = kn_frames_push(out, ids->v[i].data, ids->v[i].size);
        rc = rc ? rc : kn_frames_push(out, DELIM, DELIM_LEN);
        rc = rc ? rc : kn_frames_push(out, sig, strlen(sig));
        for (int i = 0; i < 4 && rc == 0; i++)
            rc = kn_frames_push(out, parts[i].data, parts[i].size);
    }
    for (int i = 0; i < 4; i++)
        free(text[i]);
    json_decref(empty);
    return rc;
}
