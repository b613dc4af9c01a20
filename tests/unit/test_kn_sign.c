/* test_kn_sign.c — HMAC-SHA256 signatures: known vectors, constant-time
 * verification outcomes, replay detection and unsigned sessions. */
#include <criterion/criterion.h>
#include <string.h>

#include "kn_internal.h"

static void parts_of(kn_bytes p[4], const char *a, const char *b, const char *c, const char *d)
{
    const char *s[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++) {
        p[i].data = s[i];
        p[i].size = strlen(s[i]);
    }
}

Test(sign, rfc4231_vector_over_split_parts)
{
    /* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" —
     * split across the four parts, the MAC is over their concatenation. */
    kn_signer *s = kn_signer_new((const unsigned char *)"Jefe", 4);
    kn_bytes p[4];
    parts_of(p, "what do ya ", "want ", "for nothing", "?");
    char hex[65];
    kn_signer_sign(s, p, hex);
    cr_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    kn_signer_free(s);
}

Test(sign, verify_accepts_once_then_detects_replay)
{
    kn_signer *s = kn_signer_new((const unsigned char *)"secret", 6);
    kn_bytes p[4];
    parts_of(p, "{\"msg_id\":\"1\"}", "{}", "{}", "{}");
    char hex[65];
    kn_signer_sign(s, p, hex);
    cr_assert_eq(kn_signer_verify(s, p, hex, 64), KN_SIG_OK);
    cr_assert_eq(kn_signer_verify(s, p, hex, 64), KN_SIG_REPLAY);
    kn_signer_free(s);
}

Test(sign, verify_rejects_forged_missing_and_malformed)
{
    kn_signer *s = kn_signer_new((const unsigned char *)"secret", 6);
    kn_signer *other = kn_signer_new((const unsigned char *)"not-the-key", 11);
    kn_bytes p[4];
    parts_of(p, "{\"msg_id\":\"2\"}", "{}", "{}", "{\"code\":\"%echo hi\"}");
    char forged[65];
    kn_signer_sign(other, p, forged);
    cr_assert_eq(kn_signer_verify(s, p, forged, 64), KN_SIG_BAD);
    cr_assert_eq(kn_signer_verify(s, p, "", 0), KN_SIG_BAD);
    char good[65];
    kn_signer_sign(s, p, good);
    char upper_garbage[65];
    memcpy(upper_garbage, good, 65);
    upper_garbage[10] = 'z';  /* not a hex digit */
    cr_assert_eq(kn_signer_verify(s, p, upper_garbage, 64), KN_SIG_BAD);
    cr_assert_eq(kn_signer_verify(s, p, good, 63), KN_SIG_BAD);
    /* a tampered content with the original signature */
    kn_bytes q[4];
    parts_of(q, "{\"msg_id\":\"2\"}", "{}", "{}", "{\"code\":\"%echo HI\"}");
    cr_assert_eq(kn_signer_verify(s, q, good, 64), KN_SIG_BAD);
    cr_assert_eq(kn_signer_verify(s, p, good, 64), KN_SIG_OK);
    kn_signer_free(s);
    kn_signer_free(other);
}

Test(sign, empty_key_means_unsigned)
{
    kn_signer *s = kn_signer_new((const unsigned char *)"", 0);
    kn_bytes p[4];
    parts_of(p, "{}", "{}", "{}", "{}");
    char hex[65];
    kn_signer_sign(s, p, hex);
    cr_assert_str_eq(hex, "");
    cr_assert_not(kn_signer_enabled(s));
    cr_assert_eq(kn_signer_verify(s, p, "", 0), KN_SIG_OK);
    kn_signer_free(s);
}

Test(sign, replay_memory_survives_generation_swap)
{
    /* More than one generation of distinct messages: the most recent ones are
     * still remembered after the older generation is dropped. */
    kn_signer *s = kn_signer_new((const unsigned char *)"k", 1);
    char body[64], hex[65], last[65] = "";
    kn_bytes p[4];
    for (int i = 0; i < 70000; i++) {
        snprintf(body, sizeof body, "{\"msg_id\":\"%d\"}", i);
        parts_of(p, body, "{}", "{}", "{}");
        kn_signer_sign(s, p, hex);
        cr_assert_eq(kn_signer_verify(s, p, hex, 64), KN_SIG_OK, "message %d", i);
        memcpy(last, hex, 65);
    }
    cr_assert_eq(kn_signer_verify(s, p, last, 64), KN_SIG_REPLAY);
    kn_signer_free(s);
}
