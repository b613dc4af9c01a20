/*
 * kn_sign.c — HMAC-SHA256 message signatures and replay detection.
 *
 * HMAC-SHA256 comes from libsodium, which libzmq already loads (OpenSSL's
 * libcrypto would add ~3 MB to the idle kernel).  The key is used as raw
 * bytes.  Verification compares in constant time.
 * Replays are detected by remembering every accepted signature; memory stays
 * bounded by keeping two generations of a hash set and dropping the older one
 * when the newer fills (so at least the last KN_REPLAY_GENERATION signatures
 * are always remembered).  The sets hold the first 16 bytes of each digest
 * (a chance collision is 2^-128) and stay small: 1.1 MB when full, and pages
 * are touched as signatures arrive, so a large set shows as RSS growing with
 * every request.
 */
#include "kn_internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KN_DIGEST_LEN 32
#define KN_KEPT_LEN 16
#define KN_REPLAY_GENERATION 16384
#define KN_REPLAY_SLOTS (2 * KN_REPLAY_GENERATION)  /* load factor <= 0.5 */

typedef struct digest_set {
    unsigned char (*slot)[KN_KEPT_LEN];
    unsigned char *used;
    size_t count;
} digest_set;

struct kn_signer {
    unsigned char *key;
    size_t key_len;
    crypto_auth_hmacsha256_state keyed;  /* initialised with the key; copied per message */
    pthread_mutex_t lock;
    digest_set gen[2];  /* gen[0] newer */
};

static int set_init(digest_set *s)
{
    s->slot = calloc(KN_REPLAY_SLOTS, KN_KEPT_LEN);
    s->used = calloc(KN_REPLAY_SLOTS, 1);
    s->count = 0;
    return s->slot && s->used ? 0 : -1;
}

static void set_free(digest_set *s)
{
    free(s->slot);
    free(s->used);
    s->slot = NULL;
    s->used = NULL;
}

static size_t set_find(const digest_set *s, const unsigned char *d, bool *found)
{
    /* digests are uniformly random: their first bytes are a good hash */
    size_t h;
    memcpy(&h, d, sizeof h);
    h %= KN_REPLAY_SLOTS;
    while (s->used[h]) {
        if (memcmp(s->slot[h], d, KN_KEPT_LEN) == 0) {
            *found = true;
            return h;
        }
        h = (h + 1) % KN_REPLAY_SLOTS;
    }
    *found = false;
    return h;
}

kn_signer *kn_signer_new(const unsigned char *key, size_t key_len)
{
    kn_signer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->key = malloc(key_len + 1);
    if (!s->key || set_init(&s->gen[0]) || set_init(&s->gen[1])) {
        kn_signer_free(s);
        return NULL;
    }
    if (key_len)
        memcpy(s->key, key, key_len);
    s->key_len = key_len;
    pthread_mutex_init(&s->lock, NULL);
    if (sodium_init() < 0 ||
        crypto_auth_hmacsha256_init(&s->keyed, s->key, s->key_len) != 0) {
        kn_signer_free(s);
        return NULL;
    }
    return s;
}

void kn_signer_free(kn_signer *s)
{
    if (!s)
        return;
    if (s->key) {
        sodium_memzero(s->key, s->key_len);
        free(s->key);
    }
    sodium_memzero(&s->keyed, sizeof s->keyed);
    set_free(&s->gen[0]);
    set_free(&s->gen[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

bool kn_signer_enabled(const kn_signer *s)
{
    return s->key_len > 0;
}

/* HMAC over the concatenation of the parts, without copying them. */
static int mac(const kn_signer *s, const kn_bytes parts[4], unsigned char out[KN_DIGEST_LEN])
{
    crypto_auth_hmacsha256_state st = s->keyed;
    for (int i = 0; i < 4; i++)
        crypto_auth_hmacsha256_update(&st, parts[i].data, parts[i].size);
    int rc = crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
    return rc == 0 ? 0 : -1;
}

void kn_signer_sign(const kn_signer *s, const kn_bytes parts[4], char hex[65])
{
    if (!kn_signer_enabled(s)) {
        hex[0] = 0;
        return;
    }
    unsigned char d[KN_DIGEST_LEN];
    if (mac(s, parts, d)) {
        hex[0] = 0;  /* an unsigned message is rejected by the peer, never forged */
        return;
    }
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < KN_DIGEST_LEN; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = 0;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int kn_signer_verify(kn_signer *s, const kn_bytes parts[4], const void *sig, size_t sig_len)
{
    if (!kn_signer_enabled(s))
        return KN_SIG_OK;
    if (sig_len != 2 * KN_DIGEST_LEN)
        return KN_SIG_BAD;
    unsigned char given[KN_DIGEST_LEN];
    const unsigned char *h = sig;
    int bad = 0;
    for (int i = 0; i < KN_DIGEST_LEN; i++) {
        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
        bad |= (hi < 0) | (lo < 0);
        given[i] = (unsigned char)((hi & 15) << 4 | (lo & 15));
    }
    unsigned char want[KN_DIGEST_LEN];
    if (mac(s, parts, want))
        return KN_SIG_BAD;
    if (sodium_memcmp(given, want, KN_DIGEST_LEN) != 0 || bad)
        return KN_SIG_BAD;

    pthread_mutex_lock(&s->lock);
    bool found0 = false, found1 = false;
    size_t at = set_find(&s->gen[0], want, &found0);
    set_find(&s->gen[1], want, &found1);
    int rc = KN_SIG_REPLAY;
    if (!found0 && !found1) {
        if (s->gen[0].count >= KN_REPLAY_GENERATION) {
            digest_set older = s->gen[1];
            s->gen[1] = s->gen[0];
            memset(older.used, 0, KN_REPLAY_SLOTS);
            older.count = 0;
            s->gen[0] = older;
            at = set_find(&s->gen[0], want, &found0);
        }
        memcpy(s->gen[0].slot[at], want, KN_KEPT_LEN);
        s->gen[0].used[at] = 1;
        s->gen[0].count++;
        rc = KN_SIG_OK;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
