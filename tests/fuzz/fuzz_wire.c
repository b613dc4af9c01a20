/* fuzz_wire.c — libFuzzer target for the kernel's wire codec: bytes become a
 * multipart message (frames split at the byte 0xFF, a 0xFE byte stands for
 * the <IDS|MSG> delimiter) and go through kn_msg_decode twice: with a signer
 * whose key the input cannot know (everything must be rejected as unsigned
 * or forged, never crash), and with signing disabled (the JSON parts are
 * parsed for real).  A message that decodes is re-encoded, signed, and must
 * decode again to the same msg_type and content: strings holding NUL
 * characters (JSON "\u0000") survive whole.  The text helpers the shell uses
 * on "code" run on it with its length, and kn_cstring is checked against
 * the length of every string of the content. */
#include "kn_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DELIM[] = "<IDS|MSG>";

static void split(const uint8_t *data, size_t size, kn_frames *out)
{
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != 0xFF && data[i] != 0xFE)
            continue;
        kn_frames_push(out, data + start, i - start);
        if (i < size && data[i] == 0xFE)
            kn_frames_push(out, DELIM, sizeof DELIM - 1);
        start = i + 1;
    }
}

/* kn_cstring gives a string's text exactly when it holds no NUL. */
static void check_strings(const json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_string(v)) {
        bool whole = strlen(json_string_value(v)) == json_string_length(v);
        if ((kn_cstring(v) != NULL) != whole)
            abort();
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item)
            check_strings(item);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            check_strings(item);
    }
}

/* The shell's reading of "code": a code point count over the whole length
 * (NULs included) and the offset of every count back within it. */
static void check_code(const json_t *content)
{
    json_t *code = json_object_get(content, "code");
    if (!json_is_string(code))
        return;
    const char *text = json_string_value(code);
    size_t len = json_string_length(code);
    long n = kn_utf8_count(text, len);
    if (n < 0 || (size_t)n > len)
        abort();
    const char *nul = memchr(text, 0, len);
    size_t before = nul ? (size_t)(nul - text) : len;
    if (kn_utf8_offset(text, n) > before)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kn_signer *keyed, *open_;
    if (!keyed) {
        keyed = kn_signer_new((const unsigned char *)"fuzz-secret-key", 15);
        open_ = kn_signer_new((const unsigned char *)"", 0);
    }
    kn_frames frames = {0};
    split(data, size, &frames);
    kn_msg m;
    const char *why = NULL;
    /* the input cannot know the key: never accepted */
    if (kn_msg_decode(&frames, keyed, &m, &why) == 0)
        abort();
    if (!why)
        abort();
    if (kn_msg_decode(&frames, open_, &m, &why) == 0) {
        if (!m.msg_type || !m.header || !m.content || strlen(m.msg_type) !=
            json_string_length(json_object_get(m.header, "msg_type")))
            abort();
        if (m.refused[0] && json_object_size(m.content) != 0 && json_object_size(m.metadata) != 0)
            abort();   /* a refused message has an unread part, decoded as {} */
        check_strings(m.content);
        check_code(m.content);
        /* a signer of its own: the same message seen by an earlier input
         * would be a replay */
        kn_signer *rt = kn_signer_new((const unsigned char *)"round-trip", 10);
        kn_frames out = {0};
        if (kn_msg_encode(rt, &m.ids, m.header, m.parent, m.metadata, m.content, &out) == 0) {
            kn_msg again;
            if (kn_msg_decode(&out, rt, &again, &why) != 0 ||
                strcmp(again.msg_type, m.msg_type) != 0 || !json_equal(again.content, m.content))
                abort();
            kn_msg_clear(&again);
        }
        kn_frames_clear(&out);
        kn_signer_free(rt);
        kn_msg_clear(&m);
    }
    kn_frames_clear(&frames);
    return 0;
}
