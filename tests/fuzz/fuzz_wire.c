/* fuzz_wire.c — libFuzzer target for the kernel's wire codec: bytes become a
 * multipart message (frames split at the byte 0xFF, a 0xFE byte stands for
 * the <IDS|MSG> delimiter) and go through kn_msg_decode twice: with a signer
 * whose key the input cannot know (everything must be rejected as unsigned
 * or forged, never crash), and with signing disabled (the JSON parts are
 * parsed for real).  A message that decodes is re-encoded, signed, and must
 * decode again to the same msg_type. */
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
        if (!m.msg_type || !m.header || !m.content)
            abort();
        /* a signer of its own: the same message seen by an earlier input
         * would be a replay */
        kn_signer *rt = kn_signer_new((const unsigned char *)"round-trip", 10);
        kn_frames out = {0};
        if (kn_msg_encode(rt, &m.ids, m.header, m.parent, m.metadata, m.content, &out) == 0) {
            kn_msg again;
            if (kn_msg_decode(&out, rt, &again, &why) != 0 ||
                strcmp(again.msg_type, m.msg_type) != 0)
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
